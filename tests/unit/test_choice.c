#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_choice.h"
#include "pmc_config.h"
#include "pmc_rng.h"
#include "pmc_test.h"

/* Two models of one parameter each (normal priors), or three; the joint
 * rows are (model, a.x, b.y[, c.z]). */
static const char *const CHOICE_TEXT =
    "[run]\nseed = 1\nparticles = 6\ngenerations = 2\n\n[epsilon]\ninitial = inf\n"
    "quantile = 0.5\n\n[models]\nprior = 0.25, 0.75\nstay = 0.6\n\n"
    "[model.a]\nname = gaussian\n\n[prior.a]\nx = normal(0, 2)\n\n"
    "[model.b]\nname = gaussian\n\n[prior.b]\ny = normal(1, 3)\n";

static pmc_config *choice_config(void)
{
    pmc_config *cfg = calloc(1, sizeof *cfg);
    pmc_err err;
    pmc_err_clear(&err);
    if (!cfg || pmc_config_parse(CHOICE_TEXT, "choice.ini", NULL, 0, cfg, &err) != PMC_OK) {
        fprintf(stderr, "config: %s\n", err.msg);
        abort();
    }
    return cfg;
}

static double normal_pdf(double x, double m, double sd)
{
    return exp(-0.5 * (x - m) * (x - m) / (sd * sd)) / (sd * 2.5066282746310002); /* sqrt(2 pi) */
}

#define NAN_ NAN
/* Previous population: model a rows 0, 2, 5; model b rows 1, 3, 4. */
static const double PREV[6 * 3] = {0, 0.5,  NAN_, 1, NAN_, 2.0, 0, -1.0, NAN_,
                                   1, NAN_, 3.5,  1, NAN_, 1.0, 0, 1.5,  NAN_};
static const double PREV_W[6] = {0.1, 0.2, 0.15, 0.25, 0.2, 0.1};

/* Row r's value of its model's parameter. */
static double value(int r) { return PREV[r * 3 + 1 + (int)PREV[r * 3]]; }

/* Beaumont's kernel variance of one model's values: 2 x the weighted
 * variance with normalised weights, divided by 1 - sum w^2 (as
 * pmc_kernel_weighted_cov). */
static double kernel_var(const int *rows, int n)
{
    double p = 0, mean = 0, ss = 0, w2 = 0;
    for (int k = 0; k < n; k++)
        p += PREV_W[rows[k]];
    for (int k = 0; k < n; k++)
        mean += PREV_W[rows[k]] / p * value(rows[k]);
    for (int k = 0; k < n; k++) {
        double w = PREV_W[rows[k]] / p, dx = value(rows[k]) - mean;
        ss += w * dx * dx;
        w2 += w * w;
    }
    return 2.0 * ss / (1.0 - w2);
}

/* Toni & Stumpf's weight of (m, x), written out: pi(m) pi_m(x) /
 * (q(m) / p(m) sum_{j of m} w_j N(x; x_j, 2 var_m)). */
static double weight_by_hand(int m, double x)
{
    static const int rows[2][3] = {{0, 2, 5}, {1, 3, 4}};
    const double prior_m[2] = {0.25, 0.75}, mean[2] = {0, 1}, sd[2] = {2, 3}, stay = 0.6;
    double p = 0, sum = 0, v = kernel_var(rows[m], 3);
    for (int k = 0; k < 3; k++)
        p += PREV_W[rows[m][k]];
    for (int k = 0; k < 3; k++)
        sum += PREV_W[rows[m][k]] * normal_pdf(x, PREV[rows[m][k] * 3 + 1 + m], sqrt(v));
    double q = p * stay + (1.0 - p) * (1.0 - stay);
    return prior_m[m] * normal_pdf(x, mean[m], sd[m]) / (q / p * sum);
}

PMC_TEST(choice_weights_by_hand)
{
    pmc_config *cfg = choice_config();
    pmc_choice c;
    pmc_err err;
    PMC_CHECK_INT(pmc_choice_init(&c, cfg, 6, &err), PMC_OK);
    PMC_CHECK_INT(pmc_choice_fit(&c, 0, PREV, PREV_W, 6, &err), PMC_OK);
    PMC_CHECK_NEAR(c.p[0], 0.35, 1e-15);
    PMC_CHECK(c.fitted[0] && c.fitted[1]);
    const double cur[3 * 3] = {0, 0.3, NAN_, 1, NAN_, 2.7, 1, NAN_, -0.4};
    double out[3];
    PMC_CHECK_INT(pmc_choice_weights(&c, cur, 0, 3, out, &err), PMC_OK);
    for (int i = 0; i < 3; i++) {
        int m = (int)cur[i * 3];
        double want = weight_by_hand(m, cur[i * 3 + 1 + m]);
        PMC_CHECK(fabs(out[i] - want) <= 1e-12 * want);
    }
    /* Any block of rows gives the same bits (the rank split). */
    double part[2];
    PMC_CHECK_INT(pmc_choice_weights(&c, cur, 1, 3, part, &err), PMC_OK);
    PMC_CHECK(part[0] == out[1] && part[1] == out[2]);
    pmc_choice_free(&c);
    pmc_config_free(cfg);
    free(cfg);
}

/* A model with one particle has no kernel: its parameters come from its
 * prior, and its weight is pi(m) / q(m). */
PMC_TEST(choice_weights_model_from_prior)
{
    pmc_config *cfg = choice_config();
    pmc_choice c;
    pmc_err err;
    const double prev[4 * 3] = {0, 0.5, NAN_, 0, -1.0, NAN_, 0, 1.5, NAN_, 1, NAN_, 2.0};
    const double w[4] = {0.3, 0.3, 0.2, 0.2};
    PMC_CHECK_INT(pmc_choice_init(&c, cfg, 4, &err), PMC_OK);
    PMC_CHECK_INT(pmc_choice_fit(&c, 0, prev, w, 4, &err), PMC_OK);
    PMC_CHECK(c.fitted[0] && !c.fitted[1]);
    const double cur[3] = {1, NAN_, 7.0};
    double out;
    PMC_CHECK_INT(pmc_choice_weights(&c, cur, 0, 1, &out, &err), PMC_OK);
    double q = 0.2 * 0.6 + 0.8 * 0.4;
    PMC_CHECK(fabs(out - 0.75 / q) <= 1e-14 * out);
    pmc_choice_free(&c);
    pmc_config_free(cfg);
    free(cfg);
}

/* The model a proposal picks: q(m) = p(m) s + (1 - p(m)) (1 - s) / (K - 1),
 * counted over 40000 proposals (within 5 binomial standard deviations). */
PMC_TEST(choice_proposal_model_frequencies)
{
    pmc_config *cfg = choice_config();
    pmc_choice c;
    pmc_err err;
    PMC_CHECK_INT(pmc_choice_init(&c, cfg, 6, &err), PMC_OK);
    PMC_CHECK_INT(pmc_choice_fit(&c, 0, PREV, PREV_W, 6, &err), PMC_OK);
    double cumw[6], acc = 0;
    for (int i = 0; i < 6; i++)
        cumw[i] = acc += PREV_W[i];
    gsl_rng *rng = pmc_rng_alloc();
    double row[3];
    long count = 0, n = 40000;
    for (long a = 0; a < n; a++) {
        pmc_rng_set_stream(rng, 7, 1, 0, (uint64_t)a);
        pmc_choice_propose(&c, PREV, cumw, 6, rng, row);
        count += row[0] == 0;
        /* The other model's column stays NaN. */
        PMC_CHECK(isnan(row[row[0] == 0 ? 2 : 1]) && !isnan(row[row[0] == 0 ? 1 : 2]));
    }
    double q = 0.35 * 0.6 + 0.65 * 0.4;
    PMC_CHECK(fabs((double)count / n - q) <= 5 * sqrt(q * (1 - q) / n));
    /* Generation 0 draws the model from its prior (0.25). */
    count = 0;
    for (long a = 0; a < n; a++) {
        pmc_rng_set_stream(rng, 7, 0, 0, (uint64_t)a);
        pmc_choice_propose(&c, NULL, NULL, 0, rng, row);
        count += row[0] == 0;
    }
    PMC_CHECK(fabs((double)count / n - 0.25) <= 5 * sqrt(0.25 * 0.75 / n));
    gsl_rng_free(rng);
    pmc_choice_free(&c);
    pmc_config_free(cfg);
    free(cfg);
}

PMC_TEST(choice_probabilities)
{
    double p[2];
    pmc_choice_probabilities(2, PREV, PREV_W, 6, 3, p);
    PMC_CHECK_NEAR(p[0], 0.35, 1e-15);
    PMC_CHECK_NEAR(p[1], 0.65, 1e-15);
}

const pmc_test_case pmc_tests_choice[] = {
    PMC_TEST_ENTRY(choice_weights_by_hand),
    PMC_TEST_ENTRY(choice_weights_model_from_prior),
    PMC_TEST_ENTRY(choice_proposal_model_frequencies),
    PMC_TEST_ENTRY(choice_probabilities),
    {NULL, NULL},
};

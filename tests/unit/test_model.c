/* Built-in models: set-up from a parsed config (observed statistics, one test
 * per bad model definition, with FILE:LINE where the config has one) and
 * simulation on Philox streams (determinism, a statistical check of the mean,
 * the failure modes of test_fail). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pmc_config.h"
#include "pmc_model.h"
#include "pmc_rng.h"
#include "pmc_test.h"

#define PATH "jobs/m.ini"

/* Mean 5, sum of squared deviations 32: sd (n - 1) = sqrt(32 / 7). */
static const char *const small_data = "# eight values\n2\n4\n4\n\n4\n5\n5 # five\n7\n9\n";
#define SMALL_N 8

/* Writes text to a new temporary data file; its path goes to path. */
static void write_data(const char *text, char path[64])
{
    snprintf(path, 64, "/tmp/pmc-model-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        abort();
    }
    FILE *f = fdopen(fd, "w");
    if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* A config for `model` with data at data_path; lines: 1 [run], 2-4 run keys,
 * 5 [epsilon], 6-7, 8 [model], 9 name, 10 data, 11 extra_model (may be
 * several lines or empty), then [prior] with `priors`. */
static pmc_config *parse_cfg(const char *model, const char *data_path, const char *extra_model,
                             const char *priors)
{
    char text[8192];
    snprintf(text, sizeof text,
             "[run]\nseed = 1\nparticles = 10\ngenerations = 1\n"
             "[epsilon]\ninitial = inf\nquantile = 0.5\n"
             "[model]\nname = %s\ndata = %s\n%s\n"
             "[prior]\n%s\n",
             model, data_path, extra_model, priors);
    pmc_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        abort();
    pmc_err err;
    pmc_err_clear(&err);
    int rc = pmc_config_parse(text, PATH, NULL, 0, cfg, &err);
    PMC_CHECK_INT(rc, PMC_OK);
    if (rc != PMC_OK)
        fprintf(stderr, "unexpected config error: %s\n", err.msg);
    return cfg;
}

static void drop_cfg(pmc_config *cfg)
{
    pmc_config_free(cfg);
    free(cfg);
}

#define GOOD_PRIORS "mu = uniform(0, 10)\nsigma = uniform(0.5, 5)"

/* The model must be created; returns it (NULL after a reported failure). */
static pmc_model *create_ok(const char *model, const char *extra_model)
{
    char data[64];
    write_data(small_data, data);
    pmc_config *cfg = parse_cfg(model, data, extra_model, GOOD_PRIORS);
    pmc_model *m = NULL;
    pmc_err err;
    pmc_err_clear(&err);
    int rc = pmc_model_create(cfg, &m, &err);
    PMC_CHECK_INT(rc, PMC_OK);
    if (rc != PMC_OK) {
        fprintf(stderr, "unexpected model error: %s\n", err.msg);
        m = NULL;
    }
    drop_cfg(cfg);
    unlink(data);
    return m;
}

/* Creating the model must fail with PMC_EINVAL and all of `fragments`
 * (NULL-terminated) in the message. */
static void expect_create_error(const char *model, const char *extra_model, const char *priors,
                                const char *const *fragments)
{
    char data[64];
    write_data(small_data, data);
    pmc_config *cfg = parse_cfg(model, data, extra_model, priors);
    pmc_model *m = (pmc_model *)&m; /* must stay untouched on failure */
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_model_create(cfg, &m, &err), PMC_EINVAL);
    PMC_CHECK_INT(err.code, PMC_EINVAL);
    PMC_CHECK(m == (pmc_model *)&m);
    for (const char *const *f = fragments; *f; f++)
        PMC_CHECK_CONTAINS(err.msg, *f);
    drop_cfg(cfg);
    unlink(data);
}

/* ---- set-up ---------------------------------------------------------------- */

PMC_TEST(model_gaussian_observed_stats)
{
    pmc_model *m = create_ok("gaussian", "");
    if (!m)
        return;
    PMC_CHECK_INT(pmc_model_n_stats(m), 2);
    const double *obs = pmc_model_observed_stats(m);
    /* Exact values of the small data set; 1e-12 allows a few ulps of
     * rounding in the running (Welford) mean and variance. */
    PMC_CHECK_NEAR(obs[0], 5.0, 1e-12);
    PMC_CHECK_NEAR(obs[1], sqrt(32.0 / 7.0), 1e-12);
    pmc_model_free(m);
}

/* Data far from zero: a one-pass sum-of-squares formula would lose the
 * variance to cancellation; compare with a two-pass reference. */
PMC_TEST(model_gaussian_observed_stats_offset)
{
    static const double x[] = {1e6 + 0.25, 1e6 - 1.5, 1e6 + 3.0, 1e6 + 0.125, 1e6 - 0.5};
    const size_t n = sizeof x / sizeof x[0];
    char text[512], data[64];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%.17g\n", x[i]);
    write_data(text, data);
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(ss / (double)(n - 1));

    pmc_config *cfg = parse_cfg("gaussian", data, "", "mu = uniform(0, 2e6)\nsigma = uniform(0.1, 5)");
    pmc_model *m = NULL;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_model_create(cfg, &m, &err), PMC_OK);
    if (m) {
        /* One ulp of 1e6 is 1.2e-10, so an absolute 1e-12 is impossible here:
         * the mean must agree to 1e-12 relative (a few ulps); the sd, whose
         * deviations are ~1 against values ~1e6, loses about 6 digits in any
         * method, hence 1e-9 relative. */
        PMC_CHECK_NEAR(pmc_model_observed_stats(m)[0], mean, 1e-12 * mean);
        PMC_CHECK_NEAR(pmc_model_observed_stats(m)[1], sd, 1e-9 * sd);
    }
    pmc_model_free(m);
    drop_cfg(cfg);
    unlink(data);
}

PMC_TEST(model_unknown_name)
{
    const char *const frag[] = {PATH ":9: [model] name: gaussain: unknown model", "gaussian", NULL};
    expect_create_error("gaussain", "", GOOD_PRIORS, frag);
}

PMC_TEST(model_wrong_parameter_count)
{
    const char *const three[] = {PATH ": [prior]", "model gaussian has 2 parameters",
                                 "defines 3", NULL};
    expect_create_error("gaussian", "", GOOD_PRIORS "\ntau = uniform(0, 1)", three);
    const char *const one[] = {PATH ": [prior]", "defines 1", NULL};
    expect_create_error("gaussian", "", "mu = uniform(0, 10)", one);
}

PMC_TEST(model_unknown_key)
{
    /* Line 11 is the first extra [model] line; gaussian has no keys. */
    const char *const frag[] = {PATH ":11: [model] work_us: 10: unknown key for this model", NULL};
    expect_create_error("gaussian", "work_us = 10", GOOD_PRIORS, frag);
    const char *const frag2[] = {PATH ":12: [model] fail_abov: 3: unknown key", NULL};
    expect_create_error("test_fail", "fail_above = 2\nfail_abov = 3", GOOD_PRIORS, frag2);
}

PMC_TEST(model_test_slow_bad_work_us)
{
    const char *const neg[] = {PATH ":11: [model] work_us: -5: expected a finite number >= 0",
                               NULL};
    expect_create_error("test_slow", "work_us = -5", GOOD_PRIORS, neg);
    const char *const text[] = {PATH ":11: [model] work_us: abc: expected a finite number", NULL};
    expect_create_error("test_slow", "work_us = abc", GOOD_PRIORS, text);
    const char *const inf[] = {PATH ":12: [model] work_us: inf: expected a finite number", NULL};
    expect_create_error("test_slow", "work_spread = 2\nwork_us = inf", GOOD_PRIORS, inf);
}

PMC_TEST(model_test_fail_bad_mode)
{
    const char *const frag[] = {PATH ":11: [model] mode: abort: expected 'error' or 'nan'", NULL};
    expect_create_error("test_fail", "mode = abort", GOOD_PRIORS, frag);
}

PMC_TEST(model_sigma_prior_normal_refused)
{
    /* [prior] starts on line 12 (after the empty extra line 11): sigma is 14. */
    const char *const frag[] = {PATH ":14: [prior] sigma:", "positive values", NULL};
    expect_create_error("gaussian", "", "mu = uniform(0, 10)\nsigma = normal(2, 1)", frag);
    const char *const neg[] = {PATH ":14: [prior] sigma:", "positive values", NULL};
    expect_create_error("gaussian", "", "mu = uniform(0, 10)\nsigma = uniform(-1, 5)", neg);
}

PMC_TEST(model_missing_data_file)
{
    pmc_config *cfg = parse_cfg("gaussian", "/tmp/pmc-model-none/absent.csv", "", GOOD_PRIORS);
    pmc_model *m = NULL;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_model_create(cfg, &m, &err), PMC_EINVAL);
    PMC_CHECK(m == NULL);
    /* The data reader is told where the path came from: line 10. */
    PMC_CHECK_CONTAINS(err.msg, PATH ":10: [model] data: ");
    PMC_CHECK_CONTAINS(err.msg, "/tmp/pmc-model-none/absent.csv");
    drop_cfg(cfg);
}

/* One value has no standard deviation: refused at the data line, with the count. */
PMC_TEST(model_gaussian_one_value)
{
    char data[64];
    write_data("170.5\n", data);
    pmc_config *cfg = parse_cfg("gaussian", data, "", GOOD_PRIORS);
    pmc_model *m = NULL;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_model_create(cfg, &m, &err), PMC_EINVAL);
    PMC_CHECK(m == NULL);
    PMC_CHECK_CONTAINS(err.msg, PATH ":10: [model] data: ");
    PMC_CHECK_CONTAINS(err.msg, ": 1 value: model gaussian needs at least 2");
    drop_cfg(cfg);
    unlink(data);
}

/* ---- simulation ------------------------------------------------------------ */

static int simulate(const pmc_model *m, const double *theta, gsl_rng *r, uint64_t slot,
                    double stats[2], pmc_err *err)
{
    pmc_rng_set_stream(r, 99, 3, slot, 0);
    return pmc_model_simulate(m, theta, r, stats, err);
}

PMC_TEST(model_simulate_deterministic)
{
    pmc_model *m = create_ok("gaussian", "");
    gsl_rng *r = pmc_rng_alloc();
    PMC_CHECK(r != NULL);
    if (!m || !r)
        goto done;
    const double theta[2] = {3.0, 1.5};
    double a[2], b[2], c[2];
    pmc_err err;
    PMC_CHECK_INT(simulate(m, theta, r, 17, a, &err), PMC_OK);
    PMC_CHECK_INT(simulate(m, theta, r, 18, c, &err), PMC_OK); /* another stream between */
    PMC_CHECK_INT(simulate(m, theta, r, 17, b, &err), PMC_OK);
    PMC_CHECK(memcmp(a, b, sizeof a) == 0);
    PMC_CHECK(memcmp(a, c, sizeof a) != 0);
    PMC_CHECK(isfinite(a[0]) && a[1] > 0.0);
done:
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
}

PMC_TEST(model_simulate_mean_near_mu)
{
    pmc_model *m = create_ok("gaussian", "");
    gsl_rng *r = pmc_rng_alloc();
    PMC_CHECK(r != NULL);
    if (!m || !r)
        goto done;
    const double mu = 3.0, sigma = 1.5;
    const double theta[2] = {mu, sigma};
    enum { K = 4000 };
    double sum = 0.0, sum2 = 0.0;
    pmc_err err;
    pmc_err_clear(&err);
    for (uint64_t k = 0; k < K; k++) {
        double s[2];
        if (simulate(m, theta, r, k, s, &err) != PMC_OK) {
            PMC_CHECK_INT(err.code, PMC_OK);
            goto done;
        }
        sum += s[0];
        sum2 += s[0] * s[0];
    }
    /* Each simulated mean xbar of n = 8 draws has sd sigma / sqrt(n); the
     * average of K independent streams' xbar has standard error
     * sigma / sqrt(n K). Five standard errors: a false alarm has probability
     * about 6e-7. */
    double se_xbar = sigma / sqrt((double)SMALL_N);
    double avg = sum / K;
    PMC_CHECK_NEAR(avg, mu, 5.0 * se_xbar / sqrt((double)K));
    /* The spread of xbar across streams is sigma / sqrt(n) too if the
     * streams are independent; the sample sd of K values has relative
     * standard error about 1 / sqrt(2 (K - 1)), ~1.1%, so allow 5 of them. */
    double sd = sqrt((sum2 - K * avg * avg) / (K - 1));
    PMC_CHECK_NEAR(sd, se_xbar, 5.0 * se_xbar / sqrt(2.0 * (K - 1)));
done:
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
}

/* test_fail with fail_above = 6 and `keys`: theta[0] = 5.5 simulates finite
 * statistics, theta[0] = 6.25 fails with PMC_ERUNTIME and all of
 * `fragments` (NULL-terminated) in the message. */
static void expect_test_fail(const char *keys, const char *const *fragments)
{
    pmc_model *m = create_ok("test_fail", keys);
    gsl_rng *r = pmc_rng_alloc();
    PMC_CHECK(r != NULL);
    if (m && r) {
        double s[2];
        pmc_err err;
        pmc_err_clear(&err);
        const double below[2] = {5.5, 1.0}, above[2] = {6.25, 1.0};
        PMC_CHECK_INT(simulate(m, below, r, 0, s, &err), PMC_OK);
        PMC_CHECK(isfinite(s[0]) && isfinite(s[1]));
        PMC_CHECK_INT(simulate(m, above, r, 0, s, &err), PMC_ERUNTIME);
        PMC_CHECK_INT(err.code, PMC_ERUNTIME);
        for (const char *const *f = fragments; *f; f++)
            PMC_CHECK_CONTAINS(err.msg, *f);
    }
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
}

PMC_TEST(model_test_fail_error_above)
{
    const char *const frag[] = {"model test_fail: parameter 6.25 is above fail_above = 6", NULL};
    expect_test_fail("fail_above = 6", frag);
}

PMC_TEST(model_test_fail_nan)
{
    const char *const frag[] = {"non-finite summary statistic", NULL};
    expect_test_fail("fail_above = 6\nmode = nan", frag);
}


/* ---- ma2, gandk, lotka_volterra, sir ---------------------------------------- */

static pmc_model *create_with(const char *model, const char *data_text, const char *extra,
                              const char *priors)
{
    char data[64];
    write_data(data_text, data);
    pmc_config *cfg = parse_cfg(model, data, extra, priors);
    pmc_model *m = NULL;
    pmc_err err;
    pmc_err_clear(&err);
    int rc = pmc_model_create(cfg, &m, &err);
    PMC_CHECK_INT(rc, PMC_OK);
    if (rc != PMC_OK) {
        fprintf(stderr, "unexpected model error: %s\n", err.msg);
        m = NULL;
    }
    drop_cfg(cfg);
    unlink(data);
    return m;
}

#define MA2_PRIORS "t1 = uniform(-2, 2)\nt2 = uniform(-1, 1)"
#define GANDK_PRIORS "A = uniform(0, 10)\nB = uniform(0, 10)\ng = uniform(0, 10)\nk = uniform(0, 10)"
#define LV_PRIORS "c1 = uniform(0, 3)\nc2 = uniform(0, 0.02)\nc3 = uniform(0, 2)"
#define SIR_PRIORS "beta = uniform(0, 2)\ngamma = uniform(0, 1)"

PMC_TEST(model_ma2_observed_stats)
{
    pmc_model *m = create_with("ma2", small_data, "", MA2_PRIORS);
    if (!m)
        return;
    PMC_CHECK_INT(pmc_model_n_stats(m), 2);
    /* y = 2 4 4 4 5 5 7 9: sum y_t y_{t-1} = 183, sum y_t y_{t-2} = 144, over n = 8 (exact). */
    PMC_CHECK(pmc_model_observed_stats(m)[0] == 183.0 / 8);
    PMC_CHECK(pmc_model_observed_stats(m)[1] == 144.0 / 8);
    pmc_model_free(m);
}

PMC_TEST(model_ma2_triangle)
{
    pmc_model *m = create_with("ma2", small_data, "", MA2_PRIORS);
    pmc_model *box = create_with("ma2", small_data, "constraint = none", MA2_PRIORS);
    gsl_rng *r = pmc_rng_alloc();
    if (m && box && r) {
        const double in[2] = {0.6, 0.2}, out1[2] = {1.5, 0.2}, out2[2] = {-1.5, 0.2},
                     out3[2] = {0.0, -1.5};
        PMC_CHECK_INT(pmc_model_in_support(m, in), 1);
        PMC_CHECK_INT(pmc_model_in_support(m, out1), 0); /* t1 - t2 >= 1 */
        PMC_CHECK_INT(pmc_model_in_support(m, out2), 0); /* t1 + t2 <= -1 */
        PMC_CHECK_INT(pmc_model_in_support(m, out3), 0); /* t2 <= -1 */
        PMC_CHECK_INT(pmc_model_in_support(box, out1), 1);
        double s[2];
        pmc_err err;
        pmc_rng_set_stream(r, 1, 0, 0, 0);
        PMC_CHECK_INT(pmc_model_simulate(m, out1, r, s, &err), PMC_ERUNTIME);
        PMC_CHECK_CONTAINS(err.msg, "outside the invertibility triangle");
        PMC_CHECK_INT(pmc_model_simulate(box, out1, r, s, &err), PMC_OK);
    }
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
    pmc_model_free(box);
}

PMC_TEST(model_ma2_bad_constraint)
{
    const char *const frag[] = {PATH ":11: [model] constraint: box: expected 'triangle' or 'none'",
                                NULL};
    expect_create_error("ma2", "constraint = box", MA2_PRIORS, frag);
}

/* Autocovariances of a long simulated MA(2) series against their
 * expectations: E[y_t y_{t-1}] = t1 + t1 t2, E[y_t y_{t-2}] = t2, times (n-k)/n. */
PMC_TEST(model_ma2_simulate_autocov)
{
    enum { N = 20000 };
    char *text = malloc(N * 4);
    if (!text)
        abort();
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(text + len, "%d\n", i % 3);
    pmc_model *m = create_with("ma2", text, "", MA2_PRIORS);
    free(text);
    gsl_rng *r = pmc_rng_alloc();
    if (m && r) {
        const double theta[2] = {0.6, 0.2};
        double s[2];
        pmc_err err;
        pmc_rng_set_stream(r, 5, 0, 0, 0);
        PMC_CHECK_INT(pmc_model_simulate(m, theta, r, s, &err), PMC_OK);
        /* The sd of a lag-k sample autocovariance of an MA(2) with these
         * parameters is below 2.5 / sqrt(N) (Bartlett; gamma0 = 1.4):
         * 5 of those is 0.09. */
        PMC_CHECK_NEAR(s[0], 0.6 + 0.6 * 0.2, 5 * 2.5 / sqrt((double)N));
        PMC_CHECK_NEAR(s[1], 0.2, 5 * 2.5 / sqrt((double)N));
    }
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
}

PMC_TEST(model_gandk_observed_stats)
{
    pmc_model *m = create_with("gandk", small_data, "", GANDK_PRIORS);
    if (!m)
        return;
    PMC_CHECK_INT(pmc_model_n_stats(m), 4);
    /* Octiles of 2 4 4 4 5 5 7 9 (numpy.quantile, linear): 3.75 4 4 4.5 5 5.5 7.25. */
    const double *o = pmc_model_observed_stats(m);
    PMC_CHECK_NEAR(o[0], 4.5, 1e-12);
    PMC_CHECK_NEAR(o[1], 1.5, 1e-12);
    PMC_CHECK_NEAR(o[2], 1.0 / 3.0, 1e-12);
    PMC_CHECK_NEAR(o[3], 5.0 / 3.0, 1e-12);
    pmc_model_free(m);
}

PMC_TEST(model_gandk_errors)
{
    const char *const prior[] = {PATH ":14: [prior] B:", "positive values for its second "
                                 "parameter (the scale B)", NULL};
    expect_create_error("gandk", "", "A = uniform(0, 10)\nB = normal(1, 1)\ng = uniform(0, 10)\n"
                        "k = uniform(0, 10)", prior);
    const char *const count[] = {"model gandk has 4 parameters (A, B, g, k)", "defines 2", NULL};
    expect_create_error("gandk", "", GOOD_PRIORS, count);
    const char *const key[] = {PATH ":11: [model] c: 0.8: unknown key for this model", NULL};
    expect_create_error("gandk", "c = 0.8", GANDK_PRIORS, key);
}

PMC_TEST(model_lotka_volterra)
{
    /* Two observation times: (prey, predators) = (2, 4), (4, 4), ... */
    pmc_model *m = create_with("lotka_volterra", small_data, "dt = 0.5\nmax_events = 50000", LV_PRIORS);
    gsl_rng *r = pmc_rng_alloc();
    if (m && r) {
        PMC_CHECK_INT(pmc_model_n_stats(m), 8);
        PMC_CHECK(pmc_model_observed_stats(m)[7] == 9.0);
        const double theta[3] = {1.0, 0.005, 0.6};
        double a[8], b[8];
        pmc_err err;
        pmc_rng_set_stream(r, 3, 1, 4, 0);
        PMC_CHECK_INT(pmc_model_simulate(m, theta, r, a, &err), PMC_OK);
        pmc_rng_set_stream(r, 3, 1, 4, 0);
        PMC_CHECK_INT(pmc_model_simulate(m, theta, r, b, &err), PMC_OK);
        PMC_CHECK(memcmp(a, b, sizeof a) == 0);
        for (int i = 0; i < 8; i++)
            PMC_CHECK(a[i] >= 0 && a[i] == floor(a[i]));
        /* No predation and no death: prey only grow, predators stay at y0. */
        const double grow[3] = {1.0, 0.0, 0.0};
        PMC_CHECK_INT(pmc_model_simulate(m, grow, r, a, &err), PMC_OK);
        PMC_CHECK(a[1] == 100.0 && a[7] == 100.0 && a[0] >= 50.0 && a[6] >= a[0]);
        /* All rates 0: frozen at (x0, y0). */
        const double none[3] = {0.0, 0.0, 0.0};
        PMC_CHECK_INT(pmc_model_simulate(m, none, r, a, &err), PMC_OK);
        PMC_CHECK(a[0] == 50.0 && a[7] == 100.0);
    }
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
}

PMC_TEST(model_lotka_volterra_errors)
{
    const char *const odd[] = {"7 values: model lotka_volterra needs pairs", NULL};
    char data[64];
    write_data("1\n2\n3\n4\n5\n6\n7\n", data);
    pmc_config *cfg = parse_cfg("lotka_volterra", data, "", LV_PRIORS);
    pmc_model *m = NULL;
    pmc_err err;
    PMC_CHECK_INT(pmc_model_create(cfg, &m, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, odd[0]);
    PMC_CHECK_CONTAINS(err.msg, PATH ":10: [model] data:");
    drop_cfg(cfg);
    unlink(data);
    const char *const dt[] = {PATH ":11: [model] dt: 0: expected a finite number > 0", NULL};
    expect_create_error("lotka_volterra", "dt = 0", LV_PRIORS, dt);
    const char *const x0[] = {PATH ":11: [model] x0: 2.5: expected a whole number >= 0", NULL};
    expect_create_error("lotka_volterra", "x0 = 2.5", LV_PRIORS, x0);
    const char *const rate[] = {PATH ":15: [prior] c3:", "third parameter (the predator death "
                                "rate c3)", NULL};
    expect_create_error("lotka_volterra", "", "c1 = uniform(0, 3)\nc2 = uniform(0, 0.02)\n"
                        "c3 = uniform(-1, 2)", rate);
}

PMC_TEST(model_sir)
{
    pmc_model *m = create_with("sir", small_data, "population = 200\ninfected = 3\ndt = 2", SIR_PRIORS);
    gsl_rng *r = pmc_rng_alloc();
    if (m && r) {
        PMC_CHECK_INT(pmc_model_n_stats(m), 8);
        double a[8];
        pmc_err err;
        const double theta[2] = {1.5, 0.2};
        pmc_rng_set_stream(r, 3, 1, 4, 0);
        PMC_CHECK_INT(pmc_model_simulate(m, theta, r, a, &err), PMC_OK);
        double total = 0.0;
        for (int i = 0; i < 8; i++) {
            PMC_CHECK(a[i] >= 0 && a[i] == floor(a[i]));
            total += a[i];
        }
        PMC_CHECK(total <= 197.0); /* at most everyone susceptible */
        const double none[2] = {0.0, 0.5};
        PMC_CHECK_INT(pmc_model_simulate(m, none, r, a, &err), PMC_OK);
        for (int i = 0; i < 8; i++)
            PMC_CHECK(a[i] == 0.0);
    }
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
}

PMC_TEST(model_sir_errors)
{
    const char *const pop[] = {PATH ": [model] population: missing: model sir needs the "
                               "population size", NULL};
    expect_create_error("sir", "", SIR_PRIORS, pop);
    const char *const inf[] = {PATH ":12: [model] infected: 20: expected at most the population "
                               "size", NULL};
    expect_create_error("sir", "population = 10\ninfected = 20", SIR_PRIORS, inf);
    char data[64];
    write_data("1\n2.5\n", data);
    pmc_config *cfg = parse_cfg("sir", data, "population = 10", SIR_PRIORS);
    pmc_model *m = NULL;
    pmc_err err;
    PMC_CHECK_INT(pmc_model_create(cfg, &m, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "value 2 (2.5): model sir needs whole numbers >= 0 (counts)");
    drop_cfg(cfg);
    unlink(data);
}

/* ---- plugin (the example plugin examples/normal_mean) ------------------------ */

#define PLUGIN_KEYS "plugin = " PMC_EXAMPLE_PLUGIN

PMC_TEST(model_plugin_example)
{
    pmc_model *m = create_with("plugin", small_data, PLUGIN_KEYS "\nsigma0 = 2", "mu = normal(0, 3)");
    gsl_rng *r = pmc_rng_alloc();
    if (m && r) {
        PMC_CHECK_INT(pmc_model_n_stats(m), 1);
        PMC_CHECK(pmc_model_observed_stats(m)[0] == 5.0);
        PMC_CHECK(strcmp(pmc_model_name(m), "normal_mean") == 0);
        PMC_CHECK_INT(pmc_model_has_distance(m), 1);
        const double a[1] = {1.0}, b[1] = {3.5};
        PMC_CHECK(pmc_model_distance(m, a, b) == 2.5);
        const double theta[1] = {4.0};
        double s1[1], s2[1];
        pmc_err err;
        pmc_rng_set_stream(r, 9, 2, 7, 0);
        PMC_CHECK_INT(pmc_model_simulate(m, theta, r, s1, &err), PMC_OK);
        pmc_rng_set_stream(r, 9, 2, 7, 0);
        PMC_CHECK_INT(pmc_model_simulate(m, theta, r, s2, &err), PMC_OK);
        PMC_CHECK(s1[0] == s2[0] && isfinite(s1[0]));
    }
    if (r)
        gsl_rng_free(r);
    pmc_model_free(m);
}

PMC_TEST(model_plugin_errors)
{
    const char *const missing[] = {PATH ": [model] plugin: missing: model plugin needs the path",
                                   NULL};
    expect_create_error("plugin", "", "mu = normal(0, 3)", missing);
    const char *const nofile[] = {PATH ":11: [model] plugin: /tmp/pmc-none/libx.so: cannot open "
                                  "plugin /tmp/pmc-none/libx.so: No such file or directory", NULL};
    expect_create_error("plugin", "plugin = /tmp/pmc-none/libx.so", "mu = normal(0, 3)", nofile);
    const char *const notso[] = {PATH ":11: [model] plugin: " PMC_TEST_DATA_DIR "/normal50.csv: "
                                 "not a loadable shared object: ", NULL};
    expect_create_error("plugin", "plugin = " PMC_TEST_DATA_DIR "/normal50.csv",
                        "mu = normal(0, 3)", notso);
    const char *const count[] = {PATH ":11: [model] plugin: " PMC_EXAMPLE_PLUGIN ": model "
                                 "normal_mean has 1 parameter, the [prior] section defines 2",
                                 NULL};
    expect_create_error("plugin", PLUGIN_KEYS, GOOD_PRIORS, count);
    const char *const name[] = {PATH ":13: [prior] m: model normal_mean expects parameter 1 to "
                                "be named mu (its parameters, in order: mu)", NULL};
    expect_create_error("plugin", PLUGIN_KEYS, "m = normal(0, 3)", name);
    /* The plugin's message starts with the key: that key's line is reported. */
    const char *const key[] = {PATH ":12: [model] sigma0: -1: model normal_mean: expected a "
                               "finite number > 0", NULL};
    expect_create_error("plugin", PLUGIN_KEYS "\nsigma0 = -1", "mu = normal(0, 3)", key);
    const char *const unknown[] = {PATH ":12: [model] sigma1: 1: model normal_mean: unknown key "
                                   "(normal_mean takes only sigma0)", NULL};
    expect_create_error("plugin", PLUGIN_KEYS "\nsigma1 = 1", "mu = normal(0, 3)", unknown);
    /* An empty path would resolve to the config's directory. */
    const char *const empty[] = {PATH ":11: [model] plugin: (empty): expected the path of a "
                                 "shared object", NULL};
    expect_create_error("plugin", "plugin =", "mu = normal(0, 3)", empty);
    const char *const dir[] = {PATH ":11: [model] plugin: /tmp: cannot open plugin /tmp: Is a "
                               "directory", NULL};
    expect_create_error("plugin", "plugin = /tmp", "mu = normal(0, 3)", dir);
    const char *const other[] = {PATH ":11: [model] plugin: x: unknown key for this model", NULL};
    expect_create_error("gaussian", "plugin = x", GOOD_PRIORS, other);
}

const pmc_test_case pmc_tests_model[] = {
    PMC_TEST_ENTRY(model_gaussian_observed_stats),
    PMC_TEST_ENTRY(model_gaussian_observed_stats_offset),
    PMC_TEST_ENTRY(model_unknown_name),
    PMC_TEST_ENTRY(model_wrong_parameter_count),
    PMC_TEST_ENTRY(model_unknown_key),
    PMC_TEST_ENTRY(model_test_slow_bad_work_us),
    PMC_TEST_ENTRY(model_test_fail_bad_mode),
    PMC_TEST_ENTRY(model_sigma_prior_normal_refused),
    PMC_TEST_ENTRY(model_missing_data_file),
    PMC_TEST_ENTRY(model_gaussian_one_value),
    PMC_TEST_ENTRY(model_simulate_deterministic),
    PMC_TEST_ENTRY(model_simulate_mean_near_mu),
    PMC_TEST_ENTRY(model_test_fail_error_above),
    PMC_TEST_ENTRY(model_test_fail_nan),
    PMC_TEST_ENTRY(model_ma2_observed_stats),
    PMC_TEST_ENTRY(model_ma2_triangle),
    PMC_TEST_ENTRY(model_ma2_bad_constraint),
    PMC_TEST_ENTRY(model_ma2_simulate_autocov),
    PMC_TEST_ENTRY(model_gandk_observed_stats),
    PMC_TEST_ENTRY(model_gandk_errors),
    PMC_TEST_ENTRY(model_lotka_volterra),
    PMC_TEST_ENTRY(model_lotka_volterra_errors),
    PMC_TEST_ENTRY(model_sir),
    PMC_TEST_ENTRY(model_sir_errors),
    PMC_TEST_ENTRY(model_plugin_example),
    PMC_TEST_ENTRY(model_plugin_errors),
    {NULL, NULL},
};

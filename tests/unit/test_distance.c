/* Distances: config keys ([distance] name, weights), creation against a
 * model (weights count), evaluation, description text and the adaptive
 * (MAD) weights. */
#include <stdlib.h>
#include <unistd.h>

#include "pmc_config.h"
#include "pmc_distance.h"
#include "pmc_model.h"
#include "pmc_test.h"

#define PATH "jobs/d.ini"

/* Lines: 1-7 [run], [epsilon]; 8 [model], 9 name, 10 data; 11 [prior], 12 mu,
 * 13 sigma; 14 [distance], 15.. `distance` lines. */
static int parse(const char *distance, pmc_config *cfg, pmc_err *err)
{
    char text[4096];
    snprintf(text, sizeof text,
             "[run]\nseed = 1\nparticles = 10\ngenerations = 1\n"
             "[epsilon]\ninitial = inf\nquantile = 0.5\n"
             "[model]\nname = gaussian\ndata = " PMC_TEST_DATA_DIR "/normal50.csv\n"
             "[prior]\nmu = uniform(150, 200)\nsigma = uniform(5, 25)\n"
             "[distance]\n%s\n",
             distance);
    pmc_err_clear(err);
    return pmc_config_parse(text, PATH, NULL, 0, cfg, err);
}

static void expect_config_error(const char *distance, const char *fragment)
{
    pmc_config cfg;
    pmc_err err;
    PMC_CHECK_INT(parse(distance, &cfg, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, fragment);
}

/* Creates the gaussian model (2 statistics) and the distance of `distance`;
 * returns the distance creation status. */
static int create(const char *distance, pmc_model **m, pmc_metric **d, pmc_err *err)
{
    pmc_config cfg;
    *m = NULL;
    *d = NULL;
    int rc = parse(distance, &cfg, err);
    PMC_CHECK_INT(rc, PMC_OK);
    if (rc != PMC_OK) {
        fprintf(stderr, "unexpected config error: %s\n", err->msg);
        return rc;
    }
    rc = pmc_model_create(&cfg, m, err);
    PMC_CHECK_INT(rc, PMC_OK);
    if (rc == PMC_OK)
        rc = pmc_distance_create(&cfg, *m, d, err);
    pmc_config_free(&cfg);
    return rc;
}

PMC_TEST(distance_config_weights_parsed)
{
    pmc_config cfg;
    pmc_err err;
    PMC_CHECK_INT(parse("name = weighted_euclidean\nweights = 1, 0.5", &cfg, &err), PMC_OK);
    PMC_CHECK_INT(cfg.n_distance_weights, 2);
    PMC_CHECK(cfg.distance_weights[0] == 1.0 && cfg.distance_weights[1] == 0.5);
    PMC_CHECK_INT(cfg.distance_weights_origin.line, 16);
    PMC_CHECK_CONTAINS(cfg.text, "[distance]\nname = weighted_euclidean\nweights = 1, 0.5\n");
    pmc_config_free(&cfg);
}

PMC_TEST(distance_unknown_name)
{
    pmc_model *m;
    pmc_metric *d;
    pmc_err err;
    PMC_CHECK_INT(create("name = manhattan", &m, &d, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, PATH ":15: [distance] name: manhattan: unknown distance: expected "
                                "one of euclidean, weighted_euclidean, adaptive, model");
    pmc_model_free(m);
}

PMC_TEST(distance_config_bad_weight)
{
    expect_config_error("name = weighted_euclidean\nweights = 1, -2",
                        PATH ":16: [distance] weights: 1, -2: weight 2: expected a "
                        "comma-separated list of finite numbers > 0");
    expect_config_error("name = weighted_euclidean\nweights = 1, inf", "weight 2: expected");
    expect_config_error("name = weighted_euclidean\nweights = 1,, 2", "weight 2: expected");
    expect_config_error("name = weighted_euclidean\nweights = 0", "weight 1: expected");
    expect_config_error("name = weighted_euclidean\nweights = 1 2", "weight 1: expected");
}

PMC_TEST(distance_config_weights_missing)
{
    expect_config_error("name = weighted_euclidean",
                        PATH ": [distance] weights: missing: expected one weight > 0 per "
                        "summary statistic");
}

PMC_TEST(distance_config_weights_without_weighted)
{
    expect_config_error("name = adaptive\nweights = 1, 2",
                        PATH ":16: [distance] weights: weights are only used with name = "
                        "weighted_euclidean, not adaptive");
}

PMC_TEST(distance_weights_count_checked)
{
    pmc_model *m;
    pmc_metric *d;
    pmc_err err;
    PMC_CHECK_INT(create("name = weighted_euclidean\nweights = 1, 2, 3", &m, &d, &err),
                  PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, PATH ":16: [distance] weights: 3 weights, but model gaussian has "
                                "2 summary statistics");
    PMC_CHECK(d == NULL);
    pmc_model_free(m);
}

PMC_TEST(distance_model_needs_model_distance)
{
    pmc_model *m;
    pmc_metric *d;
    pmc_err err;
    PMC_CHECK_INT(create("name = model", &m, &d, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, PATH ":15: [distance] name: model: model gaussian defines no "
                                "distance of its own");
    pmc_model_free(m);
}

PMC_TEST(distance_eval_and_describe)
{
    const double a[2] = {3.0, 1.0}, b[2] = {0.0, 5.0};
    pmc_model *m;
    pmc_metric *d;
    pmc_err err;
    if (create("name = euclidean", &m, &d, &err) == PMC_OK) {
        /* 3-4-5 triangle: exact in binary. */
        PMC_CHECK(pmc_distance_eval(d, a, b) == 5.0);
        PMC_CHECK(strcmp(pmc_distance_describe(d), "euclidean") == 0);
        PMC_CHECK_INT(pmc_distance_set_weights(d, a, &err), PMC_EINVAL);
    }
    pmc_distance_free(d);
    pmc_model_free(m);
    if (create("name = weighted_euclidean\nweights = 4, 0.75", &m, &d, &err) == PMC_OK) {
        /* sqrt((4 * 3)^2 + (0.75 * 4)^2) = sqrt(144 + 9) */
        PMC_CHECK(pmc_distance_eval(d, a, b) == sqrt(153.0));
        PMC_CHECK(strcmp(pmc_distance_describe(d), "weighted_euclidean(4, 0.75)") == 0);
    }
    pmc_distance_free(d);
    pmc_model_free(m);
}

PMC_TEST(distance_adaptive_set_weights)
{
    const double a[2] = {3.0, 1.0}, b[2] = {0.0, 5.0};
    pmc_model *m;
    pmc_metric *d;
    pmc_err err;
    if (create("name = adaptive", &m, &d, &err) == PMC_OK) {
        PMC_CHECK(pmc_distance_eval(d, a, b) == 5.0); /* weights 1 until set */
        PMC_CHECK(strcmp(pmc_distance_describe(d), "adaptive(1, 1)") == 0);
        const double w[2] = {0.1, 0.5}, bad[2] = {1.0, 0.0};
        PMC_CHECK_INT(pmc_distance_set_weights(d, w, &err), PMC_OK);
        PMC_CHECK(strcmp(pmc_distance_describe(d), "adaptive(0.1, 0.5)") == 0);
        PMC_CHECK(pmc_distance_eval(d, a, b) == sqrt(0.3 * 0.3 + 2.0 * 2.0));
        PMC_CHECK_INT(pmc_distance_set_weights(d, bad, &err), PMC_EINVAL);
        PMC_CHECK_CONTAINS(err.msg, "distance weight 1 is 0: expected a finite number > 0");
        PMC_CHECK(pmc_distance_weights(d)[1] == 0.5); /* unchanged */
    }
    pmc_distance_free(d);
    pmc_model_free(m);
}

PMC_TEST(distance_legacy_lookup)
{
    pmc_distance_kind k;
    pmc_err err;
    PMC_CHECK_INT(pmc_distance_lookup("euclidean", &k, &err), PMC_OK);
    PMC_CHECK_INT(pmc_distance_lookup("manhattan", &k, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "unknown distance");
}

PMC_TEST(distance_mad_weights)
{
    /* Column 0: 1, 2, 3, 4, 100 -> median 3, |dev| 2, 1, 0, 1, 97 -> MAD 1.
     * Column 1: even count in rows 0..3 shown below; all 5 rows: 0, 0, 0, 0, 8
     * -> median 0, MAD 0, mean |dev| 8/5 -> weight 5/8.
     * Column 2: constant 7 -> weight 1. */
    const double s[5 * 3] = {1, 0, 7, 2, 0, 7, 3, 0, 7, 4, 0, 7, 100, 8, 7};
    double w[3];
    pmc_err err;
    PMC_CHECK_INT(pmc_distance_mad_weights(s, 5, 3, w, &err), PMC_OK);
    PMC_CHECK(w[0] == 1.0);
    PMC_CHECK(w[1] == 0.625);
    PMC_CHECK(w[2] == 1.0);
    /* Even count: 1, 2, 4, 10 -> median 3, |dev| 2, 1, 1, 7 -> MAD (1 + 2) / 2. */
    const double e[4] = {10, 1, 4, 2};
    PMC_CHECK_INT(pmc_distance_mad_weights(e, 4, 1, w, &err), PMC_OK);
    PMC_CHECK(w[0] == 1.0 / 1.5);
}

PMC_TEST(distance_mad_weights_row_order)
{
    /* Same rows, another order: the same bits. */
    const double s1[4 * 2] = {0.1, 5, 0.7, 3, 0.3, 9, 0.2, 1};
    const double s2[4 * 2] = {0.2, 1, 0.3, 9, 0.1, 5, 0.7, 3};
    double w1[2], w2[2];
    pmc_err err;
    PMC_CHECK_INT(pmc_distance_mad_weights(s1, 4, 2, w1, &err), PMC_OK);
    PMC_CHECK_INT(pmc_distance_mad_weights(s2, 4, 2, w2, &err), PMC_OK);
    PMC_CHECK(memcmp(w1, w2, sizeof w1) == 0);
}

PMC_TEST(distance_mad_weights_bad_input)
{
    const double s[2] = {1.0, NAN};
    double w[1];
    pmc_err err;
    PMC_CHECK_INT(pmc_distance_mad_weights(s, 2, 1, w, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "statistic 0 of row 1 is not finite");
    PMC_CHECK_INT(pmc_distance_mad_weights(s, 0, 1, w, &err), PMC_EINVAL);
}

const pmc_test_case pmc_tests_distance[] = {
    PMC_TEST_ENTRY(distance_config_weights_parsed),
    PMC_TEST_ENTRY(distance_unknown_name),
    PMC_TEST_ENTRY(distance_config_bad_weight),
    PMC_TEST_ENTRY(distance_config_weights_missing),
    PMC_TEST_ENTRY(distance_config_weights_without_weighted),
    PMC_TEST_ENTRY(distance_weights_count_checked),
    PMC_TEST_ENTRY(distance_model_needs_model_distance),
    PMC_TEST_ENTRY(distance_eval_and_describe),
    PMC_TEST_ENTRY(distance_adaptive_set_weights),
    PMC_TEST_ENTRY(distance_legacy_lookup),
    PMC_TEST_ENTRY(distance_mad_weights),
    PMC_TEST_ENTRY(distance_mad_weights_row_order),
    PMC_TEST_ENTRY(distance_mad_weights_bad_input),
    {NULL, NULL},
};

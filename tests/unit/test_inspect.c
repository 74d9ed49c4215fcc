#include <math.h>
#include <stdlib.h>

#include "pmc_inspect.h"
#include "pmc_test.h"

/* Sums of a few exactly representable products (quarters, tenths): 1e-14
 * is a few ulps of the values below. */
#define SUM_TOL 1e-14

PMC_TEST(inspect_summary_equal_weights)
{
    /* Sorted 1, 2, 3, 4 with weight 1/4 each: cumulative 0.25, 0.5, 0.75, 1.
     * q = 0.5 is reached exactly at 2 (the smallest value reaching q).
     * mean 2.5; var = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25. */
    const double theta[] = {4, 2, 3, 1}, w[] = {0.25, 0.25, 0.25, 0.25};
    pmc_marginal_summary s;
    pmc_err err;
    PMC_CHECK_INT(pmc_posterior_summarize(theta, w, 4, 1, &s, &err), PMC_OK);
    PMC_CHECK_NEAR(s.mean, 2.5, SUM_TOL);
    PMC_CHECK_NEAR(s.sd, sqrt(1.25), SUM_TOL);
    PMC_CHECK(s.q05 == 1 && s.q50 == 2 && s.q95 == 4);
}

PMC_TEST(inspect_summary_columns_and_weights)
{
    /* Column 0: 10, 20, 30 with weights 0.1, 0.6, 0.3: mean 1 + 12 + 9 = 22;
     * cumulative 0.1, 0.7, 1.0 -> q05 10, q50 20, q95 30.
     * Column 1: 3, 1, 2 -> sorted 1 (0.6), 2 (0.3), 3 (0.1): cumulative
     * 0.6, 0.9, 1.0 -> q05 1, q50 1, q95 3; mean 0.3 + 0.6 + 0.6 = 1.5. */
    const double theta[] = {10, 3, 20, 1, 30, 2}, w[] = {0.1, 0.6, 0.3};
    pmc_marginal_summary s[2];
    pmc_err err;
    PMC_CHECK_INT(pmc_posterior_summarize(theta, w, 3, 2, s, &err), PMC_OK);
    PMC_CHECK_NEAR(s[0].mean, 22, SUM_TOL);
    PMC_CHECK(s[0].q05 == 10 && s[0].q50 == 20 && s[0].q95 == 30);
    PMC_CHECK_NEAR(s[1].mean, 1.5, SUM_TOL);
    /* var = 0.1 (1.5)^2 + 0.6 (0.5)^2 + 0.3 (0.5)^2 = 0.225 + 0.15 + 0.075 = 0.45 */
    PMC_CHECK_NEAR(s[1].sd, sqrt(0.45), SUM_TOL);
    PMC_CHECK(s[1].q05 == 1 && s[1].q50 == 1 && s[1].q95 == 3);
}

PMC_TEST(inspect_summary_ties_and_short_total)
{
    /* Weights summing to 0.9 (rounding in a real run is far smaller): a
     * level above the total gives the largest value. Ties: 5, 5 carry 0.6. */
    const double theta[] = {7, 5, 5}, w[] = {0.3, 0.3, 0.3};
    pmc_marginal_summary s;
    pmc_err err;
    PMC_CHECK_INT(pmc_posterior_summarize(theta, w, 3, 1, &s, &err), PMC_OK);
    PMC_CHECK(s.q05 == 5 && s.q50 == 5 && s.q95 == 7);
}

PMC_TEST(inspect_summary_empty)
{
    const double x = 1, w = 1;
    pmc_marginal_summary s;
    pmc_err err;
    PMC_CHECK_INT(pmc_posterior_summarize(&x, &w, 0, 1, &s, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "0 particles x 1 parameters: expected at least one of each");
}

PMC_TEST(inspect_load_missing_path)
{
    pmc_inspect_report r;
    pmc_err err;
    PMC_CHECK_INT(pmc_inspect_load("/nonexistent/pmc/run", &r, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "/nonexistent/pmc/run: No such file or directory");
    PMC_CHECK(r.path == NULL && r.rows == NULL);
}

/* The JSON text of r, or NULL. */
static char *json_of(const pmc_inspect_report *r)
{
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    pmc_inspect_print_json(r, f);
    long len = ftell(f);
    char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    rewind(f);
    if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len)
        buf[len] = '\0';
    else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

PMC_TEST(inspect_json_escapes_and_non_finite)
{
    /* Strings with a quote, backslash, newline, control byte and a byte that
     * is not UTF-8 (a file name may hold any); epsilon inf, ESS NaN. */
    char name[] = "a\"b\\c\nd\x01" "e\xff" "f\xc3\xa9";
    char *names[] = {name};
    pmc_inspect_row row = {.file = "dir/gen-0000.h5"};
    row.meta.epsilon = INFINITY;
    row.meta.ess = NAN;
    row.meta.acceptance_rate = 0.1;
    pmc_inspect_report r = {.kind = PMC_INSPECT_RUN, .path = name, .model = "m", .d = 1,
                            .n = 2, .param_names = names, .state = PMC_STATE_RESUMABLE,
                            .next_generation = 1, .generations = 3, .eps_minimum = -INFINITY,
                            .n_rows = 1, .rows = &row};
    char *json = json_of(&r);
    PMC_CHECK(json != NULL);
    PMC_CHECK_CONTAINS(json, "\"path\": \"a\\\"b\\\\c\\nd\\u0001e\\ufffdf\xc3\xa9\"");
    PMC_CHECK_CONTAINS(json, "\"epsilon\": \"inf\"");
    PMC_CHECK_CONTAINS(json, "\"ess\": null");
    PMC_CHECK_CONTAINS(json, "\"acceptance_rate\": 0.10000000000000001");
    PMC_CHECK_CONTAINS(json, "\"epsilon_minimum\": \"-inf\"");
    PMC_CHECK_CONTAINS(json, "\"text\": \"resumable at generation 1\"");
    PMC_CHECK_CONTAINS(json, "\"posterior\": null");
    free(json);
}

PMC_TEST(inspect_state_texts)
{
    pmc_inspect_report r = {.n = 200, .next_generation = 4, .slots_done = 37};
    char buf[128];
    r.state = PMC_STATE_FINISHED;
    pmc_inspect_state_text(&r, buf, sizeof buf);
    PMC_CHECK(!strcmp(buf, "finished"));
    r.state = PMC_STATE_RESUMABLE;
    pmc_inspect_state_text(&r, buf, sizeof buf);
    PMC_CHECK(!strcmp(buf, "resumable at generation 4"));
    r.state = PMC_STATE_PARTIAL;
    pmc_inspect_state_text(&r, buf, sizeof buf);
    PMC_CHECK(!strcmp(buf, "partial generation 4 with 37 of 200 slots"));
}

const pmc_test_case pmc_tests_inspect[] = {
    PMC_TEST_ENTRY(inspect_summary_equal_weights),
    PMC_TEST_ENTRY(inspect_summary_columns_and_weights),
    PMC_TEST_ENTRY(inspect_summary_ties_and_short_total),
    PMC_TEST_ENTRY(inspect_summary_empty),
    PMC_TEST_ENTRY(inspect_load_missing_path),
    PMC_TEST_ENTRY(inspect_json_escapes_and_non_finite),
    PMC_TEST_ENTRY(inspect_state_texts),
    {NULL, NULL},
};

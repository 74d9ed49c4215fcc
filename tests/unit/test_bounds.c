#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "pmc_bounds.h"
#include "pmc_test.h"

/* ---- helpers ------------------------------------------------------------ */

static pmc_prior_spec prior(const char *name, const char *text)
{
    pmc_prior_spec s;
    pmc_err err;
    memset(&s, 0, sizeof s);
    PMC_CHECK_INT(pmc_prior_parse(text, &s, &err), PMC_OK);
    snprintf(s.name, sizeof s.name, "%s", name);
    return s;
}

/* Prior probability of [lo, hi] under truncnormal(0, 1, a, b), computed in
 * the upper tail with Q = 1 - Phi (a, b > 0 here), independently of the
 * mirrored quantile of lib/pmc_bounds.c. */
static double upper_tail_mass(double lo, double hi, double a, double b)
{
    return (gsl_cdf_ugaussian_Q(lo) - gsl_cdf_ugaussian_Q(hi)) /
           (gsl_cdf_ugaussian_Q(a) - gsl_cdf_ugaussian_Q(b));
}

/* ---- windows and threshold ---------------------------------------------- */

PMC_TEST(bounds_window_uniform)
{
    /* 2.5 % of the width 20 is 0.5: both windows exact in binary. */
    pmc_prior_spec s = prior("sigma", "uniform(5, 25)");
    double bound = 0, edge = 0;
    PMC_CHECK_INT(pmc_bounds_window(&s, 0, &bound, &edge), 1);
    PMC_CHECK(bound == 5 && edge == 5.5);
    PMC_CHECK_INT(pmc_bounds_window(&s, 1, &bound, &edge), 1);
    PMC_CHECK(bound == 25 && edge == 24.5);
}

PMC_TEST(bounds_window_truncnormal)
{
    /* truncnormal(0, 1, -1, 1): the lower edge is Phi^-1(Phi(-1) + 0.025
     * (Phi(1) - Phi(-1))) = -0.93179015698519 (Python's statistics.NormalDist,
     * an independent implementation); symmetric at the upper end. 1e-12: a
     * few ulps of GSL's inverse normal. */
    pmc_prior_spec s = prior("x", "truncnormal(0, 1, -1, 1)");
    double bound = 0, edge = 0;
    PMC_CHECK_INT(pmc_bounds_window(&s, 0, &bound, &edge), 1);
    PMC_CHECK(bound == -1);
    PMC_CHECK_NEAR(edge, -0.9317901569851913, 1e-12);
    PMC_CHECK_INT(pmc_bounds_window(&s, 1, &bound, &edge), 1);
    PMC_CHECK(bound == 1);
    PMC_CHECK_NEAR(edge, 0.9317901569851913, 1e-12);
    /* Shifted and scaled: truncnormal(10, 2, 8, 12) is 10 + 2 times the above. */
    s = prior("y", "truncnormal(10, 2, 8, 12)");
    PMC_CHECK_INT(pmc_bounds_window(&s, 0, &bound, &edge), 1);
    PMC_CHECK(bound == 8);
    PMC_CHECK_NEAR(edge, 10 - 2 * 0.9317901569851913, 1e-11);
}

PMC_TEST(bounds_window_truncnormal_upper_tail)
{
    /* [3, 5] lies in the upper tail, where Phi is within 1.4e-3 of 1: each
     * window must still hold 2.5 % of the prior, measured with Q. 1e-9 of
     * 0.025: the mass is a difference of Q values known to ~1e-15. */
    pmc_prior_spec s = prior("x", "truncnormal(0, 1, 3, 5)");
    double bound = 0, edge = 0;
    PMC_CHECK_INT(pmc_bounds_window(&s, 0, &bound, &edge), 1);
    PMC_CHECK(bound == 3 && edge > 3 && edge < 5);
    PMC_CHECK_NEAR(upper_tail_mass(3, edge, 3, 5), PMC_BOUND_WINDOW, 1e-9);
    PMC_CHECK_INT(pmc_bounds_window(&s, 1, &bound, &edge), 1);
    PMC_CHECK(bound == 5 && edge > 3 && edge < 5);
    PMC_CHECK_NEAR(upper_tail_mass(edge, 5, 3, 5), PMC_BOUND_WINDOW, 1e-9);
}

PMC_TEST(bounds_window_natural_ranges)
{
    /* Bounds no prior choice moves, and no bound at all: not checked. */
    const char *texts[] = {"normal(0, 1)", "beta(1, 1)", "exponential(1)", "gamma(2, 1)",
                           "lognormal(0, 1)"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        pmc_prior_spec s = prior("x", texts[i]);
        double bound = -7, edge = -7;
        PMC_CHECK_INT(pmc_bounds_window(&s, 0, &bound, &edge), 0);
        PMC_CHECK_INT(pmc_bounds_window(&s, 1, &bound, &edge), 0);
        PMC_CHECK(bound == -7 && edge == -7);
    }
}

PMC_TEST(bounds_threshold)
{
    /* max(0.10, 0.025 + 6 sqrt(0.025 * 0.975 / ESS)); the second term is
     * 0.1 at ESS 156 and 0.118674969975976 at ESS 100 (1e-15: a few ulps). */
    PMC_CHECK(pmc_bounds_threshold(1000) == PMC_BOUND_MIN_MASS);
    PMC_CHECK(pmc_bounds_threshold(157) == PMC_BOUND_MIN_MASS);
    PMC_CHECK_NEAR(pmc_bounds_threshold(100), 0.11867496997597599, 1e-15);
    PMC_CHECK_NEAR(pmc_bounds_threshold(10), 0.3212262648719725, 1e-15);
}

/* ---- the check ------------------------------------------------------------ */

PMC_TEST(bounds_check_flat_posterior)
{
    /* 1000 evenly spread values on uniform(5, 25), equal weights: each
     * window (x <= 5.5, x >= 24.5) holds 25 values, 2.5 %: no warning. */
    enum { N = 1000 };
    static double theta[N], w[N];
    for (size_t i = 0; i < N; i++) {
        theta[i] = 5 + 20 * (i + 0.5) / N;
        w[i] = 1.0 / N;
    }
    pmc_prior_spec s = prior("sigma", "uniform(5, 25)");
    pmc_bound_hit hits[2];
    PMC_CHECK_INT(pmc_bounds_check(&s, theta, w, N, 1, hits), 0);
}

PMC_TEST(bounds_check_piled_upper)
{
    /* Column 1 (sigma): half the weight at 24.9, in the top window; column 0
     * (mu) in the middle. Weights 1 each (normalised by their sum): mass
     * 0.5, ESS 10, threshold 0.3212. */
    const double theta[] = {175, 24.9, 175, 24.9, 175, 24.9, 175, 24.9, 175, 24.9,
                            175, 15,   175, 15,   175, 15,   175, 15,   175, 15};
    const double w[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    pmc_prior_spec s[2] = {prior("mu", "uniform(150, 200)"), prior("sigma", "uniform(5, 25)")};
    pmc_bound_hit hits[4];
    PMC_CHECK_INT(pmc_bounds_check(s, theta, w, 10, 2, hits), 1);
    PMC_CHECK_INT(hits[0].param, 1);
    PMC_CHECK_INT(hits[0].upper, 1);
    PMC_CHECK(hits[0].bound == 25 && hits[0].edge == 24.5 && hits[0].mass == 0.5);
    PMC_CHECK_NEAR(hits[0].threshold, 0.3212262648719725, 1e-15);
    char text[1024];
    const char *want = "sigma piles against the upper bound 25 of its prior uniform(5, 25): "
                       "50.0 % of the posterior weight is at or above 24.5, the prior's top "
                       "2.5 % (warning from 32.1 %); the bound may cut the posterior off: "
                       "widen the prior if sigma can lie above 25";
    pmc_bounds_text(&hits[0], s, text, sizeof text);
    PMC_CHECK_CONTAINS(text, want);
    PMC_CHECK_INT(strlen(text), strlen(want));
}

PMC_TEST(bounds_check_both_bounds)
{
    /* uniform(0, 10): 0.4 of the weight at 0.1 (<= 0.25), 0.4 at 9.9 (>= 9.75):
     * both reported, lower first; the text names the lower side. */
    const double theta[] = {0.1, 0.1, 0.1, 0.1, 9.9, 9.9, 9.9, 9.9, 5, 5};
    const double w[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    pmc_prior_spec s = prior("k", "uniform(0, 10)");
    pmc_bound_hit hits[2];
    PMC_CHECK_INT(pmc_bounds_check(&s, theta, w, 10, 1, hits), 2);
    PMC_CHECK(hits[0].upper == 0 && hits[0].bound == 0 && hits[0].edge == 0.25);
    PMC_CHECK(hits[1].upper == 1 && hits[1].bound == 10 && hits[1].edge == 9.75);
    /* 0.4 of a total 0.9999999999999999 (ten 0.1 summed): 1e-15. */
    PMC_CHECK_NEAR(hits[0].mass, 0.4, 1e-15);
    char text[1024];
    pmc_bounds_text(&hits[0], &s, text, sizeof text);
    PMC_CHECK_CONTAINS(text, "k piles against the lower bound 0 of its prior uniform(0, 10): "
                             "40.0 % of the posterior weight is at or below 0.25, the prior's "
                             "bottom 2.5 %");
    PMC_CHECK_CONTAINS(text, "widen the prior if k can lie below 0");
}

PMC_TEST(bounds_check_small_ess)
{
    /* 20 equal weights: threshold 0.2345 (ESS 20). 4 values in the window
     * (0.20) stay below it, 5 (0.25) reach it. */
    double theta[20], w[20];
    pmc_prior_spec s = prior("x", "uniform(0, 1)");
    pmc_bound_hit hits[2];
    for (size_t in = 4; in <= 5; in++) {
        for (size_t i = 0; i < 20; i++) {
            theta[i] = i < in ? 0.99 : 0.5;
            w[i] = 0.05;
        }
        PMC_CHECK_INT(pmc_bounds_check(&s, theta, w, 20, 1, hits), in == 5);
    }
    PMC_CHECK_NEAR(hits[0].threshold, 0.23446360065653413, 1e-15);
}

PMC_TEST(bounds_check_edge_inclusive)
{
    /* A value exactly at the window's edge 24.5 is inside it, the next
     * double below is not: half the weight there, ESS 10, threshold 0.32. */
    double theta[10], w[10];
    pmc_prior_spec s = prior("sigma", "uniform(5, 25)");
    pmc_bound_hit hits[2];
    for (size_t i = 0; i < 10; i++) {
        theta[i] = i < 5 ? 24.5 : 10;
        w[i] = 1;
    }
    PMC_CHECK_INT(pmc_bounds_check(&s, theta, w, 10, 1, hits), 1);
    PMC_CHECK(hits[0].mass == 0.5);
    for (size_t i = 0; i < 5; i++)
        theta[i] = nextafter(24.5, 0);
    PMC_CHECK_INT(pmc_bounds_check(&s, theta, w, 10, 1, hits), 0);
}

PMC_TEST(bounds_check_unchecked_priors)
{
    /* Every value at 0 (beta's and exponential's lower end) or far out
     * (normal): no explicit bound, no warning. */
    const double theta[] = {0, 0, 0, 0, 0, 0}, w[] = {0.5, 0.5};
    pmc_prior_spec s[3] = {prior("p", "beta(1, 1)"), prior("r", "exponential(1)"),
                           prior("m", "normal(100, 1)")};
    pmc_bound_hit hits[6];
    PMC_CHECK_INT(pmc_bounds_check(s, theta, w, 2, 3, hits), 0);
}

PMC_TEST(bounds_check_empty)
{
    const double x = 24.9, w = 0;
    pmc_prior_spec s = prior("sigma", "uniform(5, 25)");
    pmc_bound_hit hits[2];
    PMC_CHECK_INT(pmc_bounds_check(&s, &x, &w, 0, 1, hits), 0);
    PMC_CHECK_INT(pmc_bounds_check(&s, &x, &w, 1, 1, hits), 0); /* total weight 0 */
}

const pmc_test_case pmc_tests_bounds[] = {
    PMC_TEST_ENTRY(bounds_window_uniform),
    PMC_TEST_ENTRY(bounds_window_truncnormal),
    PMC_TEST_ENTRY(bounds_window_truncnormal_upper_tail),
    PMC_TEST_ENTRY(bounds_window_natural_ranges),
    PMC_TEST_ENTRY(bounds_threshold),
    PMC_TEST_ENTRY(bounds_check_flat_posterior),
    PMC_TEST_ENTRY(bounds_check_piled_upper),
    PMC_TEST_ENTRY(bounds_check_both_bounds),
    PMC_TEST_ENTRY(bounds_check_small_ess),
    PMC_TEST_ENTRY(bounds_check_edge_inclusive),
    PMC_TEST_ENTRY(bounds_check_unchecked_priors),
    PMC_TEST_ENTRY(bounds_check_empty),
    {NULL, NULL},
};

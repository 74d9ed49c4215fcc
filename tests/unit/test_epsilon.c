#include "pmc_epsilon.h"
#include "pmc_error.h"
#include "pmc_test.h"

/* Type 7 results below are one multiply-add on small integers; 1e-15 is a
 * few ulps of values of order 1-10. */
#define Q_TOL 1e-15

PMC_TEST(epsilon_quantile_type7)
{
    /* Unsorted input; sorted it is 1, 2, 3, 4. h = 3q:
     * q = 0.5 -> h = 1.5 -> 2 + 0.5 (3 - 2) = 2.5
     * q = 0.1 -> h = 0.3 -> 1 + 0.3 (2 - 1) = 1.3
     * q = 0 -> 1, q = 1 -> 4, q = 2/3 -> h = 2 -> 3 */
    const double x[] = {3, 1, 4, 2};
    PMC_CHECK_NEAR(pmc_quantile(x, 4, 0.5), 2.5, Q_TOL);
    PMC_CHECK_NEAR(pmc_quantile(x, 4, 0.1), 1.3, Q_TOL);
    PMC_CHECK(pmc_quantile(x, 4, 0) == 1);
    PMC_CHECK(pmc_quantile(x, 4, 1) == 4);
    PMC_CHECK_NEAR(pmc_quantile(x, 4, 2.0 / 3), 3, Q_TOL);
    /* x is not modified. */
    PMC_CHECK(x[0] == 3 && x[1] == 1 && x[2] == 4 && x[3] == 2);
}

PMC_TEST(epsilon_quantile_single_and_ties)
{
    const double one[] = {7.5};
    PMC_CHECK(pmc_quantile(one, 1, 0.3) == 7.5);
    /* 5, 5, 5, 9: q = 0.75 -> h = 2.25 -> 5 + 0.25 (9 - 5) = 6 */
    const double ties[] = {5, 9, 5, 5};
    PMC_CHECK_NEAR(pmc_quantile(ties, 4, 0.75), 6, Q_TOL);
}

PMC_TEST(epsilon_quantile_invalid)
{
    const double x[] = {1, 2};
    PMC_CHECK(isnan(pmc_quantile(x, 0, 0.5)));
    PMC_CHECK(isnan(pmc_quantile(x, 2, -0.1)));
    PMC_CHECK(isnan(pmc_quantile(x, 2, 1.1)));
    PMC_CHECK(isnan(pmc_quantile(x, 2, NAN)));
}

PMC_TEST(epsilon_next_applies_minimum)
{
    const double d[] = {3, 1, 4, 2};
    PMC_CHECK_NEAR(pmc_epsilon_next(d, 4, 0.5, 0.0), 2.5, Q_TOL);
    PMC_CHECK_NEAR(pmc_epsilon_next(d, 4, 0.5, 2.4), 2.5, Q_TOL);
    PMC_CHECK(pmc_epsilon_next(d, 4, 0.5, 3.0) == 3.0);
    PMC_CHECK(isnan(pmc_epsilon_next(d, 0, 0.5, 3.0)));
}

PMC_TEST(epsilon_weighted_quantile_by_hand)
{
    /* sorted x 1, 2, 3, 4 with w 0.1, 0.2, 0.3, 0.4: C = 0.1, 0.3, 0.6, 1.0.
     * q = 0.5 -> first C >= 0.5 is 0.6 -> 3; q = 0.3 -> C = 0.3 at x = 2
     * (0.1 + 0.2 rounds to 0.30000000000000004 >= 0.3); q = 0.05 -> 1;
     * q = 1 -> 4; q = 0 -> the smallest x with weight > 0. Exact: the result
     * is one of the inputs. */
    const double x[] = {4, 2, 3, 1};
    const double w[] = {0.4, 0.2, 0.3, 0.1};
    PMC_CHECK(pmc_weighted_quantile(x, w, 4, 0.5) == 3);
    PMC_CHECK(pmc_weighted_quantile(x, w, 4, 0.3) == 2);
    PMC_CHECK(pmc_weighted_quantile(x, w, 4, 0.05) == 1);
    PMC_CHECK(pmc_weighted_quantile(x, w, 4, 1.0) == 4);
    PMC_CHECK(pmc_weighted_quantile(x, w, 4, 0.0) == 1);
    /* Weights need not sum to 1: q W with W = 10. */
    const double w10[] = {4, 2, 3, 1};
    PMC_CHECK(pmc_weighted_quantile(x, w10, 4, 0.5) == 3);
}

PMC_TEST(epsilon_weighted_quantile_skips_zero_weight)
{
    /* x = 1 has weight 0: it is never the quantile, not even for q = 0. */
    const double x[] = {1, 2, 3};
    const double w[] = {0, 0.5, 0.5};
    PMC_CHECK(pmc_weighted_quantile(x, w, 3, 0.0) == 2);
    PMC_CHECK(pmc_weighted_quantile(x, w, 3, 0.5) == 2);
    PMC_CHECK(pmc_weighted_quantile(x, w, 3, 0.51) == 3);
}

PMC_TEST(epsilon_weighted_quantile_equal_weights_is_type1)
{
    /* Equal weights: the inverse empirical CDF (Hyndman & Fan type 1):
     * x 1..5, q = 0.5 -> C_k = k/5 >= 0.5 first at k = 3; q = 0.41 -> 3;
     * q = 0.39 -> 2 (C_2 = 0.4). */
    const double x[] = {5, 1, 4, 2, 3};
    const double w[] = {1, 1, 1, 1, 1};
    PMC_CHECK(pmc_weighted_quantile(x, w, 5, 0.5) == 3);
    PMC_CHECK(pmc_weighted_quantile(x, w, 5, 0.41) == 3);
    PMC_CHECK(pmc_weighted_quantile(x, w, 5, 0.39) == 2);
}

PMC_TEST(epsilon_weighted_quantile_invalid)
{
    const double x[] = {1, 2};
    const double w[] = {1, 1}, zero[] = {0, 0}, inf[] = {INFINITY, 1};
    PMC_CHECK(isnan(pmc_weighted_quantile(x, w, 0, 0.5)));
    PMC_CHECK(isnan(pmc_weighted_quantile(x, w, 2, -0.1)));
    PMC_CHECK(isnan(pmc_weighted_quantile(x, w, 2, 1.1)));
    PMC_CHECK(isnan(pmc_weighted_quantile(x, w, 2, NAN)));
    PMC_CHECK(isnan(pmc_weighted_quantile(x, zero, 2, 0.5)));
    PMC_CHECK(isnan(pmc_weighted_quantile(x, inf, 2, 0.5)));
}

PMC_TEST(epsilon_schedule_names)
{
    pmc_epsilon_schedule s;
    PMC_CHECK_STR(pmc_epsilon_schedule_name(PMC_EPS_QUANTILE), "quantile");
    PMC_CHECK_STR(pmc_epsilon_schedule_name(PMC_EPS_WEIGHTED_QUANTILE), "weighted_quantile");
    PMC_CHECK_STR(pmc_epsilon_schedule_name(PMC_EPS_LIST), "list");
    PMC_CHECK_INT(pmc_epsilon_schedule_parse("list", &s), PMC_OK);
    PMC_CHECK_INT(s, PMC_EPS_LIST);
    PMC_CHECK_STR(pmc_epsilon_schedule_name(PMC_EPS_ACCEPTANCE), "acceptance");
    PMC_CHECK_INT(pmc_epsilon_schedule_parse("Quantile", &s), PMC_EINVAL);
}

PMC_TEST(epsilon_acceptance_quantile)
{
    /* q x target / acceptance, clamped to [0.05, 0.95]; dyadic values so
     * the products are exact: 0.5 x 0.25 / 0.5 = 0.25 (acceptance above the
     * target: shrink faster than q); 0.5 x 0.25 / 0.25 = 0.5 (at the
     * target: q); 0.5 x 0.25 / 0.125 = 1 -> 0.95; 0.5 x 0.0625 / 1 =
     * 0.03125 -> 0.05. */
    PMC_CHECK(pmc_epsilon_acceptance_quantile(0.5, 0.25, 0.5) == 0.25);
    PMC_CHECK(pmc_epsilon_acceptance_quantile(0.5, 0.25, 0.25) == 0.5);
    PMC_CHECK(pmc_epsilon_acceptance_quantile(0.5, 0.25, 0.125) == 0.95);
    PMC_CHECK(pmc_epsilon_acceptance_quantile(0.5, 0.0625, 1.0) == 0.05);
    PMC_CHECK(isnan(pmc_epsilon_acceptance_quantile(0.5, 0.25, 0)));
    PMC_CHECK(isnan(pmc_epsilon_acceptance_quantile(0.5, 1, 0.5)));
    PMC_CHECK(isnan(pmc_epsilon_acceptance_quantile(0, 0.25, 0.5)));
    PMC_CHECK(isnan(pmc_epsilon_acceptance_quantile(0.5, 0.25, NAN)));
}

PMC_TEST(epsilon_stop_min_acceptance)
{
    /* Off at 0; below the threshold stops, equal does not. */
    PMC_CHECK_INT(pmc_epsilon_should_stop(3, 1, 2, 0.001, 0, 0, 0), PMC_EPS_GO_ON);
    PMC_CHECK_INT(pmc_epsilon_should_stop(3, 1, 2, 0.0099, 0.01, 0, 0),
                  PMC_EPS_STOP_ACCEPTANCE);
    PMC_CHECK_INT(pmc_epsilon_should_stop(3, 1, 2, 0.01, 0.01, 0, 0), PMC_EPS_GO_ON);
    /* Generation 0 too: its acceptance is as real as any other's. */
    PMC_CHECK_INT(pmc_epsilon_should_stop(0, 1, INFINITY, 0.005, 0.01, 0, 0),
                  PMC_EPS_STOP_ACCEPTANCE);
}

PMC_TEST(epsilon_stop_min_change)
{
    /* 1 - 0.96 / 1 = 0.04 < 0.05 stops; 1 - 0.9375 / 1 = 0.0625 does not
     * (dyadic values: the differences are exact). */
    PMC_CHECK_INT(pmc_epsilon_should_stop(2, 0.96, 1, 0.5, 0, 0.05, 0), PMC_EPS_STOP_CHANGE);
    PMC_CHECK_INT(pmc_epsilon_should_stop(2, 0.9375, 1, 0.5, 0, 0.05, 0), PMC_EPS_GO_ON);
    /* Exactly the threshold: 1 - 0.75 / 1 = 0.25, not below 0.25. */
    PMC_CHECK_INT(pmc_epsilon_should_stop(2, 0.75, 1, 0.5, 0, 0.25, 0), PMC_EPS_GO_ON);
    /* An unchanged epsilon (change 0) stops; generation 0 never does; an
     * infinite previous epsilon is a full decrease. */
    PMC_CHECK_INT(pmc_epsilon_should_stop(5, 2, 2, 0.5, 0, 0.01, 0), PMC_EPS_STOP_CHANGE);
    PMC_CHECK_INT(pmc_epsilon_should_stop(0, 2, 2, 0.5, 0, 0.01, 0), PMC_EPS_GO_ON);
    PMC_CHECK_INT(pmc_epsilon_should_stop(1, 2, INFINITY, 0.5, 0, 0.99, 0), PMC_EPS_GO_ON);
}

PMC_TEST(epsilon_stop_list_end_and_order)
{
    /* Three values: generations 1..3 use them, so the run stops after 3. */
    PMC_CHECK_INT(pmc_epsilon_should_stop(2, 2, 4, 0.5, 0, 0, 3), PMC_EPS_GO_ON);
    PMC_CHECK_INT(pmc_epsilon_should_stop(3, 1, 2, 0.5, 0, 0, 3), PMC_EPS_STOP_LIST_END);
    /* Several rules at once: the first of the enum is reported. */
    PMC_CHECK_INT(pmc_epsilon_should_stop(3, 2, 2, 0.001, 0.01, 0.1, 3),
                  PMC_EPS_STOP_ACCEPTANCE);
    PMC_CHECK_INT(pmc_epsilon_should_stop(3, 2, 2, 0.5, 0.01, 0.1, 3), PMC_EPS_STOP_CHANGE);
}

const pmc_test_case pmc_tests_epsilon[] = {
    PMC_TEST_ENTRY(epsilon_quantile_type7),
    PMC_TEST_ENTRY(epsilon_quantile_single_and_ties),
    PMC_TEST_ENTRY(epsilon_quantile_invalid),
    PMC_TEST_ENTRY(epsilon_next_applies_minimum),
    PMC_TEST_ENTRY(epsilon_weighted_quantile_by_hand),
    PMC_TEST_ENTRY(epsilon_weighted_quantile_skips_zero_weight),
    PMC_TEST_ENTRY(epsilon_weighted_quantile_equal_weights_is_type1),
    PMC_TEST_ENTRY(epsilon_weighted_quantile_invalid),
    PMC_TEST_ENTRY(epsilon_schedule_names),
    PMC_TEST_ENTRY(epsilon_acceptance_quantile),
    PMC_TEST_ENTRY(epsilon_stop_min_acceptance),
    PMC_TEST_ENTRY(epsilon_stop_min_change),
    PMC_TEST_ENTRY(epsilon_stop_list_end_and_order),
    {NULL, NULL},
};

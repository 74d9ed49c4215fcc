#include "pmc_epsilon.h"
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

const pmc_test_case pmc_tests_epsilon[] = {
    PMC_TEST_ENTRY(epsilon_quantile_type7),
    PMC_TEST_ENTRY(epsilon_quantile_single_and_ties),
    PMC_TEST_ENTRY(epsilon_quantile_invalid),
    PMC_TEST_ENTRY(epsilon_next_applies_minimum),
    {NULL, NULL},
};

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_test.h"
#include "pmc_util.h"

PMC_TEST(util_number_parse_status)
{
    double x = -1.0;
    PMC_CHECK_INT(pmc_number_parse("2.5", 3, &x), PMC_NUMBER_OK);
    PMC_CHECK(x == 2.5);
    /* Only the first n bytes count, and all of them must be the number. */
    PMC_CHECK_INT(pmc_number_parse("7,8", 1, &x), PMC_NUMBER_OK);
    PMC_CHECK(x == 7.0);
    PMC_CHECK_INT(pmc_number_parse("7,8", 3, &x), PMC_NUMBER_SYNTAX);
    PMC_CHECK_INT(pmc_number_parse("", 0, &x), PMC_NUMBER_SYNTAX);
    PMC_CHECK_INT(pmc_number_parse("abc", 3, &x), PMC_NUMBER_SYNTAX);
    PMC_CHECK_INT(pmc_number_parse("1x", 2, &x), PMC_NUMBER_SYNTAX);
    PMC_CHECK_INT(pmc_number_parse(" 1", 2, &x), PMC_NUMBER_OK);
    PMC_CHECK_INT(pmc_number_parse("1 ", 2, &x), PMC_NUMBER_SYNTAX);
    PMC_CHECK_INT(pmc_number_parse("nan", 3, &x), PMC_NUMBER_NAN);
    x = 0.0;
    PMC_CHECK_INT(pmc_number_parse("-inf", 4, &x), PMC_NUMBER_INFINITE);
    PMC_CHECK(isinf(x) && x < 0);
    PMC_CHECK_INT(pmc_number_parse("1e999", 5, &x), PMC_NUMBER_OVERFLOW);
    PMC_CHECK_INT(pmc_number_parse("1e-999", 6, &x), PMC_NUMBER_UNDERFLOW);
    PMC_CHECK(x >= 0.0 && x < 1e-300);
}

PMC_TEST(util_trim_and_skip_space)
{
    char s[] = " \t a b \n";
    PMC_CHECK_STR(pmc_trim(s), "a b");
    char blank[] = "   ";
    PMC_CHECK_STR(pmc_trim(blank), "");
    PMC_CHECK_STR(pmc_skip_space("  x "), "x ");
}

PMC_TEST(util_format_real_round_trips)
{
    char out[32];
    pmc_format_real(0.1, out);
    PMC_CHECK_STR(out, "0.1");
    pmc_format_real(1.0 / 3.0, out);
    PMC_CHECK_STR(out, "0.3333333333333333"); /* 16 digits suffice */
    volatile double a = 0.1, b = 0.2; /* the sum is a double above 0.3 */
    pmc_format_real(a + b, out);
    PMC_CHECK_STR(out, "0.30000000000000004"); /* 17 needed */
    PMC_CHECK(strtod(out, NULL) == a + b);
    pmc_format_real(-INFINITY, out);
    PMC_CHECK_STR(out, "-inf");
    pmc_format_real(INFINITY, out);
    PMC_CHECK_STR(out, "inf");
}

const pmc_test_case pmc_tests_util[] = {
    PMC_TEST_ENTRY(util_number_parse_status),
    PMC_TEST_ENTRY(util_trim_and_skip_space),
    PMC_TEST_ENTRY(util_format_real_round_trips),
    {NULL, NULL},
};

#include "pmc_test.h"

const pmc_test_case pmc_tests_prior[] = {
    {NULL, NULL},
};

/* Runs one unit test by name (as CTest does), or all with no argument. */
#include <stdio.h>
#include <string.h>

#include "pmc_schedule.h"
#include "pmc_test.h"

int pmc_test_failures;

extern const pmc_test_case pmc_tests_config[];
extern const pmc_test_case pmc_tests_prior[];
extern const pmc_test_case pmc_tests_bounds[];
extern const pmc_test_case pmc_tests_rng[];
extern const pmc_test_case pmc_tests_kernel[];
extern const pmc_test_case pmc_tests_weights[];
extern const pmc_test_case pmc_tests_epsilon[];
extern const pmc_test_case pmc_tests_data[];
extern const pmc_test_case pmc_tests_model[];
extern const pmc_test_case pmc_tests_checkpoint[];
extern const pmc_test_case pmc_tests_distance[];
extern const pmc_test_case pmc_tests_inspect[];
extern const pmc_test_case pmc_tests_ledger[];
extern const pmc_test_case pmc_tests_util[];
extern const pmc_test_case pmc_tests_choice[];

static const pmc_test_case *const tables[] = {
    pmc_tests_config, pmc_tests_prior,   pmc_tests_rng,   pmc_tests_kernel,     pmc_tests_weights,
    pmc_tests_epsilon, pmc_tests_data,   pmc_tests_model, pmc_tests_checkpoint, pmc_tests_distance,
    pmc_tests_inspect, pmc_tests_ledger, pmc_tests_bounds, pmc_tests_util,    pmc_tests_choice,
};

static int run_case(const pmc_test_case *t)
{
    int before = pmc_test_failures;
    t->fn();
    int failed = pmc_test_failures != before;
    printf("%s %s\n", failed ? "FAIL" : "ok  ", t->name);
    return failed;
}

int main(int argc, char **argv)
{
    pmc_schedule *s = NULL;
    pmc_err err;
    /* Some tests (checkpoint) need MPI running; one rank is enough. */
    if (pmc_schedule_init(&argc, &argv, &s, &err) != PMC_OK) {
        fprintf(stderr, "MPI init failed: %s\n", err.msg);
        return 1;
    }
    int found = 0, failed = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const pmc_test_case *c = tables[t]; c->name; c++) {
            if (argc > 1 && strcmp(argv[1], c->name) != 0)
                continue;
            found++;
            failed += run_case(c);
        }
    }
    pmc_schedule_finalize(s);
    if (!found) {
        fprintf(stderr, "no test named '%s'\n", argc > 1 ? argv[1] : "");
        return 1;
    }
    return failed ? 1 : 0;
}

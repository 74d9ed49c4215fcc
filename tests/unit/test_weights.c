#include "pmc_test.h"
#include "pmc_weights.h"

/* Relative tolerance for hand-computed values: the library and the
 * constants below are both a few correctly rounded operations apart, so
 * they agree to ~1e-16 relative; 1e-12 leaves room without hiding errors. */
#define HAND_TOL 1e-12

/* d = 1, previous population z_prev = 0, 1, 3 with weights 1/2, 1/4, 1/4.
 * New particle z = 0, prior density 0.2:
 *   denominator = 0.5 e^0 + 0.25 e^{-1/2} + 0.25 e^{-9/2}
 *               = 0.5 + 0.25 * 0.6065306597126334 + 0.25 * 0.011108996538242306
 *               = 0.6544099140627189,  w = 0.2 / that = 0.30561884180261967
 * New particle z = 2, prior density 0.1 (squared distances 4, 1, 1):
 *   denominator = 0.5 e^{-2} + 0.25 e^{-1/2} + 0.25 e^{-1/2}
 *               = 0.5 * 0.1353352832366127 + 0.5 * 0.6065306597126334
 *               = 0.37093297147462306, w = 0.1 / that = 0.26959048585639517
 * New particle z = 1 with prior density 0: w = 0. */
static const double z_prev[] = {0, 1, 3};
static const double w_prev[] = {0.5, 0.25, 0.25};

PMC_TEST(weights_three_particles_by_hand)
{
    const double z[] = {0, 2, 1};
    const double logprior[] = {log(0.2), log(0.1), -INFINITY};
    double out[3];
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block(z, logprior, 0, 3, z_prev, w_prev, 3, 1, out, &err), PMC_OK);
    PMC_CHECK_NEAR(out[0], 0.30561884180261967, HAND_TOL * 0.31);
    PMC_CHECK_NEAR(out[1], 0.26959048585639517, HAND_TOL * 0.27);
    PMC_CHECK(out[2] == 0);
}

PMC_TEST(weights_block_subrange)
{
    /* A block [1, 3) writes out[0..1] for particles 1 and 2, bit-identical
     * to the same particles computed in a full block. */
    const double z[] = {0, 2, 1};
    const double logprior[] = {log(0.2), log(0.1), log(0.3)};
    double full[3], part[2];
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block(z, logprior, 0, 3, z_prev, w_prev, 3, 1, full, &err), PMC_OK);
    PMC_CHECK_INT(pmc_weights_block(z, logprior, 1, 3, z_prev, w_prev, 3, 1, part, &err), PMC_OK);
    PMC_CHECK(part[0] == full[1] && part[1] == full[2]);
}

PMC_TEST(weights_two_dimensions)
{
    /* d = 2: squared distance sums over coordinates. z = (1, 1) against
     * z_prev = (0, 0) [weight 1/4] and (1, 3) [weight 3/4]:
     * denominator = 0.25 e^{-1} + 0.75 e^{-2}, prior density 1. */
    const double z[] = {1, 1};
    const double zp[] = {0, 0, 1, 3};
    const double wp[] = {0.25, 0.75};
    const double logprior[] = {0};
    double out;
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block(z, logprior, 0, 1, zp, wp, 2, 2, &out, &err), PMC_OK);
    double expect = 1 / (0.25 * exp(-1.0) + 0.75 * exp(-2.0));
    PMC_CHECK_NEAR(out, expect, HAND_TOL * expect);
}

PMC_TEST(weights_denominator_underflow)
{
    /* 100 kernel standard deviations away: exp(-5000) underflows to 0. */
    const double z[] = {0, 100};
    const double logprior[] = {0, 0};
    double out[2];
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block(z, logprior, 0, 2, z_prev, w_prev, 3, 1, out, &err),
                  PMC_ERUNTIME);
    PMC_CHECK_CONTAINS(err.msg, "weight of particle 1: kernel mixture density underflowed");
}

PMC_TEST(weights_normalise_sums_to_one)
{
    double w[] = {1, 2, 3, 4};
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_normalise(w, 4, &err), PMC_OK);
    /* 1/10 ... 4/10: each a single rounded division. */
    PMC_CHECK_NEAR(w[0], 0.1, 1e-16);
    PMC_CHECK_NEAR(w[3], 0.4, 1e-16);
    PMC_CHECK_NEAR(w[0] + w[1] + w[2] + w[3], 1.0, 4e-16);
}

PMC_TEST(weights_normalise_zero_sum)
{
    double w[] = {0, 0, 0};
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_normalise(w, 3, &err), PMC_ERUNTIME);
    PMC_CHECK_CONTAINS(err.msg, "weights of 3 particles sum to 0; expected a positive finite sum");
}

PMC_TEST(weights_normalise_infinite_sum)
{
    double w[] = {1, INFINITY};
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_normalise(w, 2, &err), PMC_ERUNTIME);
    PMC_CHECK_CONTAINS(err.msg, "sum to inf");
}

PMC_TEST(weights_ess)
{
    /* Uniform weights 1/8: 1 / (8 / 64) = 8 exactly (powers of two). */
    double u[8];
    for (int i = 0; i < 8; i++)
        u[i] = 0.125;
    PMC_CHECK(pmc_weights_ess(u, 8) == 8);
    /* 1/2, 1/4, 1/4: 1 / (1/4 + 1/16 + 1/16) = 8/3. */
    PMC_CHECK_NEAR(pmc_weights_ess(w_prev, 3), 8.0 / 3, 1e-15);
    /* All weight on one particle: ESS 1. */
    const double one[] = {0, 1, 0};
    PMC_CHECK(pmc_weights_ess(one, 3) == 1);
}

const pmc_test_case pmc_tests_weights[] = {
    PMC_TEST_ENTRY(weights_three_particles_by_hand),
    PMC_TEST_ENTRY(weights_block_subrange),
    PMC_TEST_ENTRY(weights_two_dimensions),
    PMC_TEST_ENTRY(weights_denominator_underflow),
    PMC_TEST_ENTRY(weights_normalise_sums_to_one),
    PMC_TEST_ENTRY(weights_normalise_zero_sum),
    PMC_TEST_ENTRY(weights_normalise_infinite_sum),
    PMC_TEST_ENTRY(weights_ess),
    {NULL, NULL},
};

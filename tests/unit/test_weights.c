#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "pmc_kernel.h"
#include "pmc_test.h"
#include "pmc_weights.h"

/* Relative tolerance for hand-computed values: the library (whose exp(x) has a
 * relative error below 3 (1 + |x|) 2^-53, see pmc_weights.c) and the constants below
 * are a few roundings apart, so they agree to ~1e-15 relative; 1e-12 leaves
 * room without hiding errors. */
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

/* Fixed pseudo-random inputs (an LCG), so the tests are the same every run. */
static double lcg_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (double)(*s >> 11) * 0x1p-53;
}

/* n new and n_prev previous particles in d dimensions, coordinates in
 * [-3, 3), positive previous weights, log prior in [-1, 0). */
static void random_population(uint64_t seed, size_t n, size_t n_prev, size_t d, double *z,
                              double *zp, double *wp, double *lp)
{
    uint64_t s = seed;
    for (size_t k = 0; k < n * d; k++)
        z[k] = 6 * lcg_uniform(&s) - 3;
    for (size_t k = 0; k < n_prev * d; k++)
        zp[k] = 6 * lcg_uniform(&s) - 3;
    for (size_t k = 0; k < n_prev; k++)
        wp[k] = 0.1 + lcg_uniform(&s);
    for (size_t k = 0; k < n; k++)
        lp[k] = -lcg_uniform(&s);
}

PMC_TEST(weights_same_bits_every_isa_and_block)
{
    /* Every instruction set this CPU has gives the baseline's bits, for
     * dimensions on the fused (d <= 6) and the generic path, for n_prev
     * spanning several cache blocks and not a multiple of the 8 lanes, and
     * for sub-blocks [i0, i1) that cut the 16-particle tiles anywhere. */
    enum { N = 37, NP = 1003, DMAX = 10 };
    static double z[N * DMAX], zp[NP * DMAX], wp[NP], lp[N], ref[N], got[N];
    const size_t dims[] = { 1, 2, 3, 5, 6, 7, 10 };
    pmc_err err;
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        size_t d = dims[k];
        random_population(d, N, NP, d, z, zp, wp, lp);
        PMC_CHECK_INT(pmc_weights_block_isa(PMC_WEIGHTS_ISA_BASELINE, z, lp, 0, N, zp, wp, NP, d,
                                            ref, &err), PMC_OK);
        for (int isa = PMC_WEIGHTS_ISA_BASELINE; isa <= PMC_WEIGHTS_ISA_AVX512; isa++) {
            if (isa > (int)pmc_weights_isa_best())
                break;
            PMC_CHECK_INT(pmc_weights_block_isa(isa, z, lp, 0, N, zp, wp, NP, d, got, &err),
                          PMC_OK);
            PMC_CHECK(memcmp(got, ref, sizeof ref) == 0);
            PMC_CHECK_INT(pmc_weights_block_isa(isa, z, lp, 5, 29, zp, wp, NP, d, got, &err),
                          PMC_OK);
            PMC_CHECK(memcmp(got, ref + 5, 24 * sizeof(double)) == 0);
        }
        PMC_CHECK_INT(pmc_weights_block(z, lp, 17, 18, zp, wp, NP, d, got, &err), PMC_OK);
        PMC_CHECK(got[0] == ref[17]);
    }
}

PMC_TEST(weights_clamped_block_same_bits)
{
    /* A cache block whose bounding box reaches beyond squared distance 1400
     * of a particle takes the clamped exp, the others the unclamped one; the
     * two must agree bit for bit wherever the clamp does nothing. Appending
     * a previous particle with weight 0 a million kernel sds away moves
     * block 1 (j = 256..511) to the clamped path and adds +0 to one partial
     * sum, so every weight must keep its bits, on every instruction set. */
    enum { N = 20, NP = 300, D = 2 };
    static double z[N * D], zp[(NP + 1) * D], wp[NP + 1], lp[N], ref[N], got[N];
    random_population(7, N, NP, D, z, zp, wp, lp);
    pmc_err err;
    for (int isa = PMC_WEIGHTS_ISA_BASELINE; isa <= (int)pmc_weights_isa_best(); isa++) {
        PMC_CHECK_INT(pmc_weights_block_isa(isa, z, lp, 0, N, zp, wp, NP, D, ref, &err), PMC_OK);
        zp[NP * D] = 1e6;
        zp[NP * D + 1] = -1e6;
        wp[NP] = 0;
        PMC_CHECK_INT(pmc_weights_block_isa(isa, z, lp, 0, N, zp, wp, NP + 1, D, got, &err),
                      PMC_OK);
        PMC_CHECK(memcmp(got, ref, sizeof ref) == 0);
    }
}

PMC_TEST(weights_match_textbook_loop)
{
    /* Against the textbook loop (libm exp, one sum in index order). The
     * relative error of a sum of n positive terms summed in any order is at
     * most (n - 1) u (u = 2^-53, Higham 2002, eq. 4.4); the library's
     * 8-lane sum has depth n/8 + 3. Each term adds the exp errors (ours
     * below 3 (1 + |x|) u for x = -d2/2, see weights_exp_accuracy; libm's
     * below 1.2e-16) and one product rounding each. With |x| <= 54 here
     * (coordinates in [-3, 3), d = 3), the two weights thus differ by at most
     * (n + n/8 + 3 + 6) u + 3 x 55 u + 1.2e-16 + 2u (final divisions); in
     * practice errors cancel and they agree to ~1e-15. */
    enum { N = 50, NP = 3001, D = 3 };
    static double z[N * D], zp[NP * D], wp[NP], lp[N], got[N];
    random_population(99, N, NP, D, z, zp, wp, lp);
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block(z, lp, 0, N, zp, wp, NP, D, got, &err), PMC_OK);
    double u = DBL_EPSILON / 2, tol = (NP + NP / 8 + 3 + 6 + 2 + 3 * 55) * u + 1.2e-16;
    for (size_t i = 0; i < N; i++) {
        double sum = 0;
        for (size_t j = 0; j < NP; j++) {
            double d2 = 0;
            for (size_t a = 0; a < D; a++) {
                double diff = z[i * D + a] - zp[j * D + a];
                d2 += diff * diff;
            }
            sum += wp[j] * exp(-0.5 * d2);
        }
        double expect = exp(lp[i]) / sum;
        PMC_CHECK_NEAR(got[i], expect, tol * expect);
    }
}

PMC_TEST(weights_exp_accuracy)
{
    /* One previous particle at 0 with weight 1 and prior density 1: the
     * weight is 1 / exp(-z^2 / 2), so it measures the kernel's exp directly
     * over x = -z^2/2 in [-708, 0] (normal results). Bound: 3 (1 + |x|) u,
     * u = 2^-53: the polynomial and its product round to within ~2u, the
     * rounding of t = d2 log2(e)/2 adds up to 2|x|u (pmc_weights.c), the
     * division 1/E one more u; `pmc_bench_weights --accuracy` measures
     * 2.2 (1 + |x|) u at worst over 2e6 points. expl's own error (~1e-19) is
     * negligible. */
    enum { N = 20001 };
    static double z[N], lp[N], out[N];
    const double zp[] = { 0 }, wp[] = { 1 };
    for (size_t i = 0; i < N; i++) {
        z[i] = sqrt(1416.0) * (double)i / (N - 1);
        lp[i] = 0;
    }
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block(z, lp, 0, N, zp, wp, 1, 1, out, &err), PMC_OK);
    long double worst = 0;
    for (size_t i = 0; i < N; i++) {
        double x = -0.5 * (z[i] * z[i]);
        long double rel = fabsl(1 / (out[i] * expl((long double)x)) - 1);
        long double scaled = rel / ((1 - (long double)x) * 0x1p-53L);
        worst = scaled > worst ? scaled : worst;
    }
    PMC_CHECK((double)worst < 3.0);
    PMC_CHECK(out[0] == 1); /* exp(0) is exactly 1 */
}

PMC_TEST(weights_subnormal_denominator)
{
    /* exp(-720) = 2.4e-313 is subnormal: the kernel keeps it (it scales by
     * 2^54 internally) instead of reporting an underflow. With log prior -700
     * the weight is e^20; a subnormal near 2.4e-313 carries about 2e-11
     * relative precision, hence the 1e-10 tolerance. A second previous
     * particle 1e6 kernel sds away (squared distance 1e12, clamped) adds
     * exactly 0. */
    const double z[] = { sqrt(1440.0) }, lp[] = { -700 };
    const double zp[] = { 0, 1e6 }, wp[] = { 1, 1 };
    double out[1], one[1];
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block(z, lp, 0, 1, zp, wp, 2, 1, out, &err), PMC_OK);
    PMC_CHECK_NEAR(out[0], exp(20.0), 1e-10 * exp(20.0));
    PMC_CHECK_INT(pmc_weights_block(z, lp, 0, 1, zp, wp, 1, 1, one, &err), PMC_OK);
    PMC_CHECK(out[0] == one[0]);
}

PMC_TEST(weights_isa_names)
{
    pmc_weights_isa isa;
    PMC_CHECK_INT(pmc_weights_isa_parse("avx2", &isa), PMC_OK);
    PMC_CHECK_INT(isa, PMC_WEIGHTS_ISA_AVX2);
    PMC_CHECK(strcmp(pmc_weights_isa_name(PMC_WEIGHTS_ISA_AVX512), "avx512") == 0);
    PMC_CHECK_INT(pmc_weights_isa_parse("sse9", &isa), PMC_EINVAL);
    PMC_CHECK(pmc_weights_isa_best() != PMC_WEIGHTS_ISA_AUTO);
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

/* Per ancestor, a packed lower-triangular L_j^{-1} with diagonal in
 * [0.5, 1.5) and off-diagonal entries in [-0.5, 0.5). */
static void random_inverse_factors(uint64_t seed, size_t n_prev, size_t d, double *inv)
{
    uint64_t s = seed;
    for (size_t j = 0; j < n_prev; j++)
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b <= a; b++)
                inv[j * d * (d + 1) / 2 + a * (a + 1) / 2 + b] =
                    a == b ? 0.5 + lcg_uniform(&s) : lcg_uniform(&s) - 0.5;
}

PMC_TEST(weights_local_same_bits_every_isa_and_block)
{
    /* As weights_same_bits_every_isa_and_block, for per-ancestor kernels:
     * unrolled (d <= 4) and generic dimensions, several cache blocks. */
    enum { N = 21, NP = 601, DMAX = 7 };
    static double x[N * DMAX], xp[NP * DMAX], wp[NP], lp[N], inv[NP * DMAX * (DMAX + 1) / 2];
    static double ref[N], got[N];
    const size_t dims[] = {1, 2, 3, 4, 5, 7};
    pmc_err err;
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        size_t d = dims[k];
        random_population(d + 100, N, NP, d, x, xp, wp, lp);
        random_inverse_factors(d, NP, d, inv);
        PMC_CHECK_INT(pmc_weights_block_local_isa(PMC_WEIGHTS_ISA_BASELINE, x, lp, 0, N, xp,
                                                  inv, wp, NP, d, ref, &err), PMC_OK);
        for (int isa = PMC_WEIGHTS_ISA_BASELINE; isa <= PMC_WEIGHTS_ISA_AVX512; isa++) {
            if (isa > (int)pmc_weights_isa_best())
                break;
            PMC_CHECK_INT(pmc_weights_block_local_isa(isa, x, lp, 0, N, xp, inv, wp, NP, d, got,
                                                      &err), PMC_OK);
            PMC_CHECK(memcmp(got, ref, sizeof ref) == 0);
            PMC_CHECK_INT(pmc_weights_block_local_isa(isa, x, lp, 3, 19, xp, inv, wp, NP, d,
                                                      got, &err), PMC_OK);
            PMC_CHECK(memcmp(got, ref + 3, 16 * sizeof(double)) == 0);
        }
    }
}

PMC_TEST(weights_local_match_kernel_density)
{
    /* The weights of a fitted OLCM and KNN kernel against the textbook
     * formula pi(theta_i) / sum_j w_j K_j(theta_i | theta_j), with K_j from
     * pmc_kernel_logpdf (its normalising constant included): the block
     * leaves out (2 pi)^{-d/2}, so block = textbook / (2 pi)^{d/2}, up to
     * the library exp's 3 (1 + |x|) 2^-53 and libm's: HAND_TOL relative. */
    enum { NP = 60, N = 25, D = 2 };
    static double xp[NP * D], wp[NP], dist[NP], x[N * D], lp[N], got[N];
    uint64_t s = 99;
    for (size_t j = 0; j < NP; j++) {
        xp[2 * j] = 2 * lcg_uniform(&s) - 1;
        xp[2 * j + 1] = 0.7 * xp[2 * j] + lcg_uniform(&s);
        wp[j] = (0.5 + lcg_uniform(&s)) / NP;
        dist[j] = lcg_uniform(&s);
    }
    for (size_t i = 0; i < N; i++) {
        x[2 * i] = 2 * lcg_uniform(&s) - 1;
        x[2 * i + 1] = 0.7 * x[2 * i] + lcg_uniform(&s);
        lp[i] = -lcg_uniform(&s);
    }
    const pmc_kernel_kind kinds[] = {PMC_KERNEL_OLCM, PMC_KERNEL_KNN};
    pmc_err err;
    for (size_t t = 0; t < 2; t++) {
        pmc_kernel k = {0};
        pmc_kernel_spec spec = {kinds[t], 12, dist, 0.5};
        PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, xp, wp, NP, D, &err), PMC_OK);
        PMC_CHECK_INT(pmc_weights_block_local(x, lp, 0, N, xp, k.local_inv, wp, NP, D, got,
                                              &err), PMC_OK);
        for (size_t i = 0; i < N; i++) {
            double mix = 0;
            for (size_t j = 0; j < NP; j++)
                mix += wp[j] * exp(pmc_kernel_logpdf(&k, j, xp + 2 * j, x + 2 * i));
            double textbook = exp(lp[i]) / mix;
            double expect = textbook / (2 * 3.14159265358979323846); /* (2 pi)^{d/2}, d = 2 */
            PMC_CHECK_NEAR(got[i], expect, HAND_TOL * expect);
        }
        pmc_kernel_free(&k);
    }
}

PMC_TEST(weights_local_one_dimension_by_hand)
{
    /* d = 1, ancestors x = 0 and 2 with w = 1/2 each and sds 1 and 2
     * (L^{-1} = 1, 1/2); new particle at 1, prior density 1:
     *   denominator = 1/2 x 1 x e^{-1/2} + 1/2 x 1/2 x e^{-1/8}
     *               = 0.30326532985631671 + 0.22062422564614886
     *               = 0.5238895555024656, w = 1.9087992678931993 */
    const double xp[] = {0, 2}, inv[] = {1, 0.5}, wp[] = {0.5, 0.5}, x[] = {1}, lp[] = {0};
    double got;
    pmc_err err;
    PMC_CHECK_INT(pmc_weights_block_local(x, lp, 0, 1, xp, inv, wp, 2, 1, &got, &err), PMC_OK);
    PMC_CHECK_NEAR(got, 1.9087992678931993, HAND_TOL * 2);
}

const pmc_test_case pmc_tests_weights[] = {
    PMC_TEST_ENTRY(weights_local_same_bits_every_isa_and_block),
    PMC_TEST_ENTRY(weights_local_match_kernel_density),
    PMC_TEST_ENTRY(weights_local_one_dimension_by_hand),
    PMC_TEST_ENTRY(weights_three_particles_by_hand),
    PMC_TEST_ENTRY(weights_block_subrange),
    PMC_TEST_ENTRY(weights_two_dimensions),
    PMC_TEST_ENTRY(weights_denominator_underflow),
    PMC_TEST_ENTRY(weights_same_bits_every_isa_and_block),
    PMC_TEST_ENTRY(weights_clamped_block_same_bits),
    PMC_TEST_ENTRY(weights_match_textbook_loop),
    PMC_TEST_ENTRY(weights_exp_accuracy),
    PMC_TEST_ENTRY(weights_subnormal_denominator),
    PMC_TEST_ENTRY(weights_isa_names),
    PMC_TEST_ENTRY(weights_normalise_sums_to_one),
    PMC_TEST_ENTRY(weights_normalise_zero_sum),
    PMC_TEST_ENTRY(weights_normalise_infinite_sum),
    PMC_TEST_ENTRY(weights_ess),
    {NULL, NULL},
};

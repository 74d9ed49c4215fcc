#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "pmc_rng.h"
#include "pmc_test.h"

/* Statistical checks use n draws and allow 5 standard errors: a correct
 * generator fails one with probability about 6e-7, and the streams are
 * fixed, so a pass is reproducible. */
#define N_DRAWS 200000

/* Philox4x64-10 known answer for counter 0 and key 0, from Random123's
 * kat_vectors; stream (0, 0, 0) is exactly that block, which pins the
 * (seed, generation, slot, attempt) -> (key, counter) layout. */
static const uint64_t kat_zero[4] = {0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL,
                                     0xd7e772cee186176bULL, 0x7e68b68aec7ba23bULL};

PMC_TEST(rng_known_answer)
{
    gsl_rng *r = pmc_rng_alloc();
    PMC_CHECK(r != NULL);
    PMC_CHECK_INT(gsl_rng_max(r), 0xffffffffUL);
    PMC_CHECK_INT(gsl_rng_min(r), 0);
    /* gsl_rng_get: each word's high half, then its low half. */
    for (int i = 0; i < 4; i++) {
        PMC_CHECK_INT(gsl_rng_get(r), kat_zero[i] >> 32);
        PMC_CHECK_INT(gsl_rng_get(r), kat_zero[i] & 0xffffffffULL);
    }
    /* get_double: the top 53 bits of a fresh block's first word, times 2^-53;
     * after a high half, a double skips the low half and takes the next word. */
    pmc_rng_set_stream(r, 0, 0, 0, 0);
    PMC_CHECK(gsl_rng_uniform(r) == (double)(kat_zero[0] >> 11) * 0x1.0p-53);
    PMC_CHECK_INT(gsl_rng_get(r), kat_zero[1] >> 32);
    PMC_CHECK(gsl_rng_uniform(r) == (double)(kat_zero[2] >> 11) * 0x1.0p-53);
    gsl_rng_free(r);
}

PMC_TEST(rng_same_stream_same_sequence)
{
    gsl_rng *a = pmc_rng_alloc(), *b = pmc_rng_alloc();
    pmc_rng_set_stream(a, 42, 3, 17, 0);
    pmc_rng_set_stream(b, 42, 3, 17, 0);
    int same = 1;
    for (int i = 0; i < 1000; i++) {
        same &= gsl_rng_get(a) == gsl_rng_get(b);
        same &= gsl_rng_uniform(a) == gsl_rng_uniform(b);
    }
    PMC_CHECK(same);
    /* Repositioning restarts the stream, buffer included. */
    pmc_rng_set_stream(a, 42, 3, 17, 0);
    pmc_rng_set_stream(b, 42, 3, 17, 0);
    gsl_rng_get(b);
    pmc_rng_set_stream(b, 42, 3, 17, 0);
    PMC_CHECK_INT(gsl_rng_get(a), gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

PMC_TEST(rng_clone_continues_stream)
{
    gsl_rng *a = pmc_rng_alloc();
    pmc_rng_set_stream(a, 7, 1, 2, 0);
    for (int i = 0; i < 5; i++) /* mid-buffer, so the buffer must be copied too */
        gsl_rng_get(a);
    gsl_rng *b = gsl_rng_clone(a);
    gsl_rng *c = pmc_rng_alloc();
    gsl_rng_memcpy(c, a);
    int same = 1;
    for (int i = 0; i < 100; i++) {
        unsigned long x = gsl_rng_get(a);
        same &= x == gsl_rng_get(b) && x == gsl_rng_get(c);
    }
    PMC_CHECK(same);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
}

PMC_TEST(rng_gsl_set_selects_seed_stream)
{
    gsl_rng *a = pmc_rng_alloc(), *b = pmc_rng_alloc();
    gsl_rng_set(a, 12345);
    pmc_rng_set_stream(b, 12345, 0, 0, 0);
    for (int i = 0; i < 10; i++)
        PMC_CHECK_INT(gsl_rng_get(a), gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

PMC_TEST(rng_streams_differ)
{
    /* Varying each of seed, generation, slot and attempt, including values
     * that an additive packing would confuse (seed+1 vs slot+1, generation+1
     * vs attempt+1), and an attempt beyond 32 bits. */
    const uint64_t streams[][4] = {{1, 0, 0, 0}, {2, 0, 0, 0}, {1, 1, 0, 0}, {1, 0, 1, 0},
                                   {0, 1, 1, 0}, {1, 1, 1, 0}, {1, 0, 1ULL << 40, 0},
                                   {1, 0, 0, 1}, {1, 1, 0, 1}, {1, 0, 1, 1}, {1, 0, 0, 2},
                                   {1, 0, 0, 1ULL << 40}};
    const size_t ns = sizeof streams / sizeof streams[0];
    unsigned long first[sizeof streams / sizeof streams[0]];
    gsl_rng *r = pmc_rng_alloc();
    for (size_t s = 0; s < ns; s++) {
        pmc_rng_set_stream(r, streams[s][0], (uint32_t)streams[s][1], streams[s][2],
                           streams[s][3]);
        first[s] = gsl_rng_get(r);
    }
    for (size_t s = 0; s < ns; s++)
        for (size_t t = s + 1; t < ns; t++)
            PMC_CHECK(first[s] != first[t]);
    gsl_rng_free(r);
}

PMC_TEST(rng_streams_uncorrelated)
{
    /* Neighbouring slots: the sample correlation of independent uniforms has
     * standard error 1/sqrt(n); allow 5 of them. */
    gsl_rng *a = pmc_rng_alloc(), *b = pmc_rng_alloc();
    pmc_rng_set_stream(a, 99, 4, 10, 0);
    pmc_rng_set_stream(b, 99, 4, 11, 0);
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = gsl_rng_uniform(a), y = gsl_rng_uniform(b);
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    double n = N_DRAWS;
    double cov = sab / n - (sa / n) * (sb / n);
    double corr = cov / sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
    PMC_CHECK_NEAR(corr, 0.0, 5.0 / sqrt(n));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

PMC_TEST(rng_uniform_moments)
{
    /* U(0,1): mean 1/2, variance 1/12, fourth central moment 1/80, so the
     * sample variance has standard error sqrt((1/80 - 1/144) / n). */
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 2024, 0, 5, 0);
    double s = 0, ss = 0, lo = 1, hi = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double u = gsl_rng_uniform(r);
        s += u;
        ss += u * u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    double n = N_DRAWS, mean = s / n, var = ss / n - mean * mean;
    PMC_CHECK_NEAR(mean, 0.5, 5 * sqrt(1.0 / 12 / n));
    PMC_CHECK_NEAR(var, 1.0 / 12, 5 * sqrt((1.0 / 80 - 1.0 / 144) / n));
    PMC_CHECK(lo >= 0 && hi < 1);
    unsigned long k = gsl_rng_uniform_int(r, 10);
    PMC_CHECK(k < 10);
    gsl_rng_free(r);
}

PMC_TEST(rng_gaussian_moments)
{
    /* N(0,1) through GSL: mean SE 1/sqrt(n); variance SE sqrt((3 - 1)/n). */
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 2024, 1, 0, 0);
    double s = 0, ss = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = gsl_ran_gaussian(r, 1.0);
        s += x;
        ss += x * x;
    }
    double n = N_DRAWS, mean = s / n, var = ss / n - mean * mean;
    PMC_CHECK_NEAR(mean, 0.0, 5 / sqrt(n));
    PMC_CHECK_NEAR(var, 1.0, 5 * sqrt(2 / n));
    gsl_rng_free(r);
}

/* GSL's ziggurat on this generator (the normals of the proposal, the priors
 * and the built-in models; it takes the 32-bit halves of the Philox words)
 * against N(0, 1) with 2e6 draws: the frequencies of 40
 * bins (equal probability under the normal, from gsl_cdf_ugaussian_Pinv)
 * plus the two tails beyond the ziggurat's R = 3.4426 and beyond 4.5 each
 * within 5 binomial standard errors, and the first four moments within 5
 * standard errors (sd of x^k: sqrt(E x^2k - (E x^k)^2)). The bins check the
 * ziggurat's layers and wedges, the tails its tail sampler. */
#define N_NORMAL 2000000
#define N_BINS 40

static void check_frequency(long count, double p, const char *what)
{
    double n = N_NORMAL, se = sqrt(n * p * (1 - p));
    if (fabs((double)count - n * p) > 5 * se + 1)
        fprintf(stderr, "  %s: %ld draws, expected %.1f +- %.1f\n", what, count, n * p, se);
    PMC_CHECK(fabs((double)count - n * p) <= 5 * se + 1);
}

PMC_TEST(rng_ziggurat_normal_distribution)
{
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 77, 3, 5, 0);
    long bins[N_BINS] = {0}, tail_r = 0, tail_far = 0;
    double edges[N_BINS - 1], m[5] = {0};
    for (int b = 0; b < N_BINS - 1; b++)
        edges[b] = gsl_cdf_ugaussian_Pinv((b + 1.0) / N_BINS);
    for (long i = 0; i < N_NORMAL; i++) {
        double x = gsl_ran_gaussian_ziggurat(r, 1.0), p = 1;
        int lo = 0, hi = N_BINS - 1;
        while (lo < hi) { /* first edge above x */
            int mid = (lo + hi) / 2;
            if (x < edges[mid])
                hi = mid;
            else
                lo = mid + 1;
        }
        bins[lo]++;
        tail_r += fabs(x) > 3.442619855899;
        tail_far += fabs(x) > 4.5;
        for (int k = 1; k <= 4; k++)
            m[k] += (p *= x);
    }
    for (int b = 0; b < N_BINS; b++)
        check_frequency(bins[b], 1.0 / N_BINS, "bin");
    check_frequency(tail_r, 2 * gsl_cdf_ugaussian_Q(3.442619855899), "|x| > R");
    check_frequency(tail_far, 2 * gsl_cdf_ugaussian_Q(4.5), "|x| > 4.5");
    double n = N_NORMAL;
    /* E x^k = 0, 1, 0, 3; E x^2k = 1, 3, 15, 105. */
    const double mom[5] = {0, 0, 1, 0, 3}, mom2[5] = {0, 1, 3, 15, 105};
    for (int k = 1; k <= 4; k++)
        PMC_CHECK_NEAR(m[k] / n, mom[k], 5 * sqrt((mom2[k] - mom[k] * mom[k]) / n));
    gsl_rng_free(r);
}

const pmc_test_case pmc_tests_rng[] = {
    PMC_TEST_ENTRY(rng_ziggurat_normal_distribution),
    PMC_TEST_ENTRY(rng_known_answer),
    PMC_TEST_ENTRY(rng_same_stream_same_sequence),
    PMC_TEST_ENTRY(rng_clone_continues_stream),
    PMC_TEST_ENTRY(rng_gsl_set_selects_seed_stream),
    PMC_TEST_ENTRY(rng_streams_differ),
    PMC_TEST_ENTRY(rng_streams_uncorrelated),
    PMC_TEST_ENTRY(rng_uniform_moments),
    PMC_TEST_ENTRY(rng_gaussian_moments),
    {NULL, NULL},
};

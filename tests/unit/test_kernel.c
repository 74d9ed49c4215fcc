#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "pmc_kernel.h"
#include "pmc_rng.h"
#include "pmc_test.h"

/* Exact-arithmetic cases below use dyadic inputs, so every sum is exact and
 * only the final division rounds: 1e-14 is a few ulps of the results. */
#define EXACT_TOL 1e-14

/* |L L^T - cov| entrywise, relative to the largest |cov| entry. */
static double chol_residual(const pmc_kernel *k)
{
    size_t d = k->d;
    double worst = 0, scale = 0;
    for (size_t a = 0; a < d * d; a++)
        scale = fmax(scale, fabs(k->cov[a]));
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) {
            double s = 0;
            for (size_t c = 0; c < d; c++)
                s += k->chol[a * d + c] * k->chol[b * d + c];
            worst = fmax(worst, fabs(s - k->cov[a * d + b]));
        }
    return worst / scale;
}

static int upper_triangle_is_zero(const pmc_kernel *k)
{
    for (size_t a = 0; a < k->d; a++)
        for (size_t b = a + 1; b < k->d; b++)
            if (k->chol[a * k->d + b] != 0)
                return 0;
    return 1;
}

/* The hand-computed population of kernel_weighted_cov_by_hand. */
static const double hand_theta[] = {0, 0, 1, 2, 3, 1};
static const double hand_w[] = {0.5, 0.25, 0.25};

PMC_TEST(kernel_weighted_cov_by_hand)
{
    /* x = (0,0), (1,2), (3,1); w = 1/2, 1/4, 1/4.
     * mean = (0/2 + 1/4 + 3/4, 0/2 + 2/4 + 1/4) = (1, 0.75)
     * deviations: (-1, -0.75), (0, 1.25), (2, 0.25)
     * sum w dx dx = 0.5 + 0 + 1 = 1.5
     * sum w dx dy = 0.375 + 0 + 0.125 = 0.5
     * sum w dy dy = 0.28125 + 0.390625 + 0.015625 = 0.6875
     * 1 - sum w^2 = 1 - (0.25 + 0.0625 + 0.0625) = 0.625
     * cov = [[2.4, 0.8], [0.8, 1.1]] */
    double cov[4];
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_weighted_cov(hand_theta, hand_w, 3, 2, cov, &err), PMC_OK);
    PMC_CHECK_NEAR(cov[0], 2.4, EXACT_TOL);
    PMC_CHECK_NEAR(cov[1], 0.8, EXACT_TOL);
    PMC_CHECK_NEAR(cov[2], 0.8, EXACT_TOL);
    PMC_CHECK_NEAR(cov[3], 1.1, EXACT_TOL);
    PMC_CHECK(cov[1] == cov[2]);
}

PMC_TEST(kernel_weighted_cov_equal_weights_is_unbiased)
{
    /* Equal weights 1/n: 1 - sum w^2 = (n-1)/n, so the estimate is the
     * usual unbiased variance. x = 1, 2, 4, 7: mean 3.5, squared deviations
     * 6.25 + 2.25 + 0.25 + 12.25 = 21, 21 / 3 = 7 (= 21/4 * 4/3). */
    const double x[] = {1, 2, 4, 7};
    const double w[] = {0.25, 0.25, 0.25, 0.25};
    double var;
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_weighted_cov(x, w, 4, 1, &var, &err), PMC_OK);
    PMC_CHECK_NEAR(var, 7.0, EXACT_TOL);
}

PMC_TEST(kernel_weighted_cov_one_particle)
{
    const double x[] = {1};
    const double w[] = {1};
    double var;
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_weighted_cov(x, w, 1, 1, &var, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "needs at least 2 particles, got 1");
}

PMC_TEST(kernel_weighted_cov_all_weight_on_one)
{
    const double x[] = {1, 2, 3};
    const double w[] = {0, 1, 0};
    double var;
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_weighted_cov(x, w, 3, 1, &var, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "all weight sits on one particle");
}

PMC_TEST(kernel_fit_twice_covariance)
{
    pmc_kernel k = {0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit(&k, hand_theta, hand_w, 3, 2, &err), PMC_OK);
    PMC_CHECK_INT(k.d, 2);
    PMC_CHECK_NEAR(k.cov[0], 4.8, EXACT_TOL);
    PMC_CHECK_NEAR(k.cov[1], 1.6, EXACT_TOL);
    PMC_CHECK_NEAR(k.cov[3], 2.2, EXACT_TOL);
    /* L L^T reproduces cov to rounding (a few ulps for d = 2). */
    PMC_CHECK(chol_residual(&k) <= 1e-15 * 8);
    PMC_CHECK(upper_triangle_is_zero(&k));
    /* Refitting with another dimension reuses the struct (ASan checks leaks). */
    const double x1[] = {1, 2, 4, 7};
    const double w1[] = {0.25, 0.25, 0.25, 0.25};
    PMC_CHECK_INT(pmc_kernel_fit(&k, x1, w1, 4, 1, &err), PMC_OK);
    PMC_CHECK_INT(k.d, 1);
    PMC_CHECK_NEAR(k.cov[0], 14.0, EXACT_TOL);
    PMC_CHECK_NEAR(k.chol[0], sqrt(14.0), EXACT_TOL);
    pmc_kernel_free(&k);
    PMC_CHECK(k.cov == NULL && k.chol == NULL && k.d == 0);
}

PMC_TEST(kernel_fit_collapsed_parameter_jitter)
{
    /* The second parameter is constant: cov is singular; jitter makes it
     * positive definite and stays tiny against the other variance. */
    const double theta[] = {0, 5, 1, 5, 3, 5};
    pmc_kernel k = {0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit(&k, theta, hand_w, 3, 2, &err), PMC_OK);
    PMC_CHECK(k.cov[3] > 0 && k.cov[3] <= 1e-6 * k.cov[0]);
    PMC_CHECK(chol_residual(&k) <= 1e-15 * 8);
    pmc_kernel_free(&k);
}

PMC_TEST(kernel_fit_all_collapsed)
{
    const double theta[] = {2, 5, 2, 5, 2, 5};
    pmc_kernel k = {0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit(&k, theta, hand_w, 3, 2, &err), PMC_ERUNTIME);
    PMC_CHECK_CONTAINS(err.msg, "not positive definite even with jitter: parameter index 0");
    pmc_kernel_free(&k);
}

/* A correlated 3-d population with uneven weights, fixed by the stream. */
static void make_population(double *theta, double *w, size_t n)
{
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 11, 0, 0, 0);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double a = gsl_ran_gaussian(r, 1), b = gsl_ran_gaussian(r, 1), c = gsl_ran_gaussian(r, 1);
        theta[3 * i + 0] = 10 + 2 * a;
        theta[3 * i + 1] = -1 + 0.5 * a + 0.3 * b;
        theta[3 * i + 2] = 100 * c + 20 * b;
        w[i] = 0.5 + gsl_rng_uniform(r);
        sum += w[i];
    }
    for (size_t i = 0; i < n; i++)
        w[i] /= sum;
    gsl_rng_free(r);
}

/* Fills theta (n x 3) and w with make_population and fits a kernel to them. */
static pmc_kernel fit_population(double *theta, double *w, size_t n)
{
    pmc_kernel k = {0};
    pmc_err err;
    make_population(theta, w, n);
    PMC_CHECK_INT(pmc_kernel_fit(&k, theta, w, n, 3, &err), PMC_OK);
    return k;
}

PMC_TEST(kernel_whiten_is_mahalanobis)
{
    enum { n = 50, d = 3 };
    double theta[n * d], w[n], z[n * d];
    pmc_kernel k = fit_population(theta, w, n);
    pmc_kernel_whiten(&k, theta, n, z);

    /* (x - y)^T cov^{-1} (x - y) by LU solve, independent of the Cholesky. */
    double lu[d * d], diff[d], sol[d];
    memcpy(lu, k.cov, sizeof lu);
    gsl_matrix_view m = gsl_matrix_view_array(lu, d, d);
    gsl_permutation *perm = gsl_permutation_alloc(d);
    int sign;
    gsl_linalg_LU_decomp(&m.matrix, perm, &sign);
    for (size_t i = 1; i < 6; i++) {
        double ez = 0, maha = 0;
        for (size_t a = 0; a < d; a++) {
            diff[a] = theta[i * d + a] - theta[a];
            double dz = z[i * d + a] - z[a];
            ez += dz * dz;
        }
        gsl_vector_view dv = gsl_vector_view_array(diff, d), sv = gsl_vector_view_array(sol, d);
        gsl_linalg_LU_solve(&m.matrix, perm, &dv.vector, &sv.vector);
        for (size_t a = 0; a < d; a++)
            maha += diff[a] * sol[a];
        /* The scales differ by 200x, so cond(cov) ~ 1e5: rounding in either
         * route is below cond * 1e-16 ~ 1e-11 relative; allow 1e-9. */
        PMC_CHECK_NEAR(ez, maha, 1e-9 * maha);
    }
    gsl_permutation_free(perm);
    pmc_kernel_free(&k);
}

PMC_TEST(kernel_whiten_in_place)
{
    enum { n = 10, d = 3 };
    double theta[n * d], w[n], z[n * d];
    pmc_kernel k = fit_population(theta, w, n);
    pmc_kernel_whiten(&k, theta, n, z);
    pmc_kernel_whiten(&k, theta, n, theta);
    PMC_CHECK(memcmp(z, theta, sizeof z) == 0);
    pmc_kernel_free(&k);
}

PMC_TEST(kernel_perturb_is_center_plus_l_z)
{
    enum { n = 50, d = 3 };
    double theta[n * d], w[n], out[d], z[d];
    pmc_kernel k = fit_population(theta, w, n);
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 3, 2, 1, 0);
    pmc_kernel_perturb(&k, theta, r, out);
    /* Same stream: z is d ziggurat gaussian draws in order. */
    pmc_rng_set_stream(r, 3, 2, 1, 0);
    for (size_t a = 0; a < d; a++)
        z[a] = gsl_ran_gaussian_ziggurat(r, 1.0);
    for (size_t a = 0; a < d; a++) {
        double expect = theta[a];
        for (size_t b = 0; b <= a; b++)
            expect += k.chol[a * d + b] * z[b];
        PMC_CHECK_NEAR(out[a], expect, 1e-12 * fmax(1, fabs(expect)));
    }
    gsl_rng_free(r);
    pmc_kernel_free(&k);
}

PMC_TEST(kernel_perturb_moments)
{
    /* Kernel with cov = 2 * [[2.4, 0.8], [0.8, 1.1]]. For gaussian steps
     * x, the sample mean of x_a has SE sqrt(S_aa / n) and the sample
     * second moment of x_a x_b has SE sqrt((S_aa S_bb + S_ab^2) / n);
     * allow 5 SE each. */
    const double center[] = {100, -3};
    pmc_kernel k = {0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit(&k, hand_theta, hand_w, 3, 2, &err), PMC_OK);
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 8, 0, 0, 0);
    enum { n = 200000 };
    double s[2] = {0, 0}, ss[4] = {0, 0, 0, 0}, x[2];
    for (int i = 0; i < n; i++) {
        pmc_kernel_perturb(&k, center, r, x);
        x[0] -= center[0];
        x[1] -= center[1];
        for (int a = 0; a < 2; a++) {
            s[a] += x[a];
            for (int b = 0; b < 2; b++)
                ss[2 * a + b] += x[a] * x[b];
        }
    }
    const double *S = k.cov;
    for (int a = 0; a < 2; a++) {
        PMC_CHECK_NEAR(s[a] / n, 0.0, 5 * sqrt(S[3 * a] / n));
        for (int b = 0; b < 2; b++) {
            double se = sqrt((S[3 * a] * S[3 * b] + S[2 * a + b] * S[2 * a + b]) / n);
            PMC_CHECK_NEAR(ss[2 * a + b] / n, S[2 * a + b], 5 * se);
        }
    }
    gsl_rng_free(r);
    pmc_kernel_free(&k);
}

const pmc_test_case pmc_tests_kernel[] = {
    PMC_TEST_ENTRY(kernel_weighted_cov_by_hand),
    PMC_TEST_ENTRY(kernel_weighted_cov_equal_weights_is_unbiased),
    PMC_TEST_ENTRY(kernel_weighted_cov_one_particle),
    PMC_TEST_ENTRY(kernel_weighted_cov_all_weight_on_one),
    PMC_TEST_ENTRY(kernel_fit_twice_covariance),
    PMC_TEST_ENTRY(kernel_fit_collapsed_parameter_jitter),
    PMC_TEST_ENTRY(kernel_fit_all_collapsed),
    PMC_TEST_ENTRY(kernel_whiten_is_mahalanobis),
    PMC_TEST_ENTRY(kernel_whiten_in_place),
    PMC_TEST_ENTRY(kernel_perturb_is_center_plus_l_z),
    PMC_TEST_ENTRY(kernel_perturb_moments),
    {NULL, NULL},
};

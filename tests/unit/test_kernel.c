#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <stdint.h>

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

/* ---- the kernels of [kernel] name ------------------------------------- */

PMC_TEST(kernel_kind_names)
{
    pmc_kernel_kind kind;
    const char *names[] = {"beaumont", "componentwise", "olcm", "knn"};
    for (int i = 0; i < 4; i++) {
        PMC_CHECK_STR(pmc_kernel_kind_name((pmc_kernel_kind)i), names[i]);
        PMC_CHECK_INT(pmc_kernel_kind_parse(names[i], &kind), PMC_OK);
        PMC_CHECK_INT(kind, i);
    }
    PMC_CHECK_INT(pmc_kernel_kind_parse("OLCM", &kind), PMC_EINVAL);
}

PMC_TEST(kernel_fit_kind_beaumont_same_bits)
{
    /* The default through pmc_kernel_fit_kind is pmc_kernel_fit, bit for bit. */
    pmc_kernel a = {0}, b = {0};
    pmc_kernel_spec spec = {PMC_KERNEL_BEAUMONT, 0, NULL, 0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit(&a, hand_theta, hand_w, 3, 2, &err), PMC_OK);
    PMC_CHECK_INT(pmc_kernel_fit_kind(&b, &spec, hand_theta, hand_w, 3, 2, &err), PMC_OK);
    PMC_CHECK(memcmp(a.cov, b.cov, 4 * sizeof(double)) == 0);
    PMC_CHECK(memcmp(a.chol, b.chol, 4 * sizeof(double)) == 0);
    PMC_CHECK_INT(b.n_local, 0);
    pmc_kernel_free(&a);
    pmc_kernel_free(&b);
}

PMC_TEST(kernel_componentwise_by_hand)
{
    /* The hand population's weighted covariance is [[2.4, 0.8], [0.8, 1.1]]
     * (kernel_weighted_cov_by_hand): the component-wise kernel keeps
     * 2 x its diagonal, 4.8 and 2.2, and drops the covariance. */
    pmc_kernel k = {0};
    pmc_kernel_spec spec = {PMC_KERNEL_COMPONENTWISE, 0, NULL, 0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, hand_theta, hand_w, 3, 2, &err), PMC_OK);
    PMC_CHECK_NEAR(k.cov[0], 4.8, EXACT_TOL);
    PMC_CHECK_NEAR(k.cov[3], 2.2, EXACT_TOL);
    PMC_CHECK(k.cov[1] == 0 && k.cov[2] == 0 && k.chol[2] == 0);
    PMC_CHECK_NEAR(k.chol[0], sqrt(4.8), EXACT_TOL);
    PMC_CHECK_NEAR(k.chol[3], sqrt(2.2), EXACT_TOL);
    pmc_kernel_free(&k);
}

/* Sigma_j of a 1-d local kernel: L_j^2. */
static double local_var(const pmc_kernel *k, size_t j)
{
    return k->local_chol[j] * k->local_chol[j];
}

PMC_TEST(kernel_olcm_by_hand)
{
    /* d = 1: x = 0, 1, 3 with w = 1/2, 1/4, 1/4 and distances 1, 2, 3;
     * epsilon 2 keeps S = {0, 1} (2 >= d + 1 members), w~ = 2/3, 1/3.
     * Sigma_j = sum_S w~_k (x_k - x_j)^2 (Filippi et al. 2013, eq. 11):
     *   j = 0: 1/3 x 1 = 1/3;  j = 1: 2/3 x 1 = 2/3;
     *   j = 2: 2/3 x 9 + 1/3 x 4 = 22/3. */
    const double x[] = {0, 1, 3}, w[] = {0.5, 0.25, 0.25}, dist[] = {1, 2, 3};
    pmc_kernel k = {0};
    pmc_kernel_spec spec = {PMC_KERNEL_OLCM, 0, dist, 2.0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, x, w, 3, 1, &err), PMC_OK);
    PMC_CHECK_INT(k.n_local, 3);
    PMC_CHECK_NEAR(local_var(&k, 0), 1.0 / 3, EXACT_TOL);
    PMC_CHECK_NEAR(local_var(&k, 1), 2.0 / 3, EXACT_TOL);
    PMC_CHECK_NEAR(local_var(&k, 2), 22.0 / 3, 8 * EXACT_TOL);
    /* L_j^{-1}, packed: 1 / L_j. */
    PMC_CHECK_NEAR(k.local_inv[2] * k.local_chol[2], 1.0, EXACT_TOL);
    /* epsilon 1 keeps one particle, fewer than d + 1 = 2: all three are
     * used, w~ = w: j = 0: 1/4 + 9/4 = 5/2. */
    spec.epsilon = 1.0;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, x, w, 3, 1, &err), PMC_OK);
    PMC_CHECK_NEAR(local_var(&k, 0), 2.5, EXACT_TOL);
    pmc_kernel_free(&k);
}

PMC_TEST(kernel_knn_by_hand)
{
    /* d = 1: x = 0, 1, 3, 7 with equal weights, k = 2 (the particle and its
     * nearest other): 0 -> {0, 1}: 1/2 x 1 = 0.5; 1 -> {1, 0}: 0.5;
     * 3 -> {3, 1}: 1/2 x 4 = 2; 7 -> {7, 3}: 1/2 x 16 = 8. */
    const double x[] = {0, 1, 3, 7}, w[] = {0.25, 0.25, 0.25, 0.25};
    pmc_kernel k = {0};
    pmc_kernel_spec spec = {PMC_KERNEL_KNN, 2, NULL, 0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, x, w, 4, 1, &err), PMC_OK);
    PMC_CHECK_NEAR(local_var(&k, 0), 0.5, EXACT_TOL);
    PMC_CHECK_NEAR(local_var(&k, 1), 0.5, EXACT_TOL);
    PMC_CHECK_NEAR(local_var(&k, 2), 2.0, EXACT_TOL);
    PMC_CHECK_NEAR(local_var(&k, 3), 8.0, 4 * EXACT_TOL);
    /* A tie (1 is at distance 2 from 3, and so is 5): the lower index wins. */
    const double y[] = {1, 3, 5};
    const double wy[] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, y, wy, 3, 1, &err), PMC_OK);
    PMC_CHECK_NEAR(local_var(&k, 1), 2.0, EXACT_TOL); /* {3, 1}: 1/2 x 4 */
    pmc_kernel_free(&k);
}

PMC_TEST(kernel_knn_bad_neighbours)
{
    const double x[] = {0, 1, 3}, w[] = {0.5, 0.25, 0.25};
    pmc_kernel k = {0};
    pmc_kernel_spec spec = {PMC_KERNEL_KNN, 4, NULL, 0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, x, w, 3, 1, &err), PMC_EINVAL);
    PMC_CHECK_STR(err.msg, "kernel knn: 4 neighbours; expected 2 (the parameters + 1) to 3 (the "
                           "population size)");
    spec.neighbours = 1;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, x, w, 3, 1, &err), PMC_EINVAL);
    pmc_kernel_free(&k);
}

/* A correlated 2-d population of n: theta_i = (u, u/2 + v), u, v uniform
 * on [-1, 1) from a fixed LCG; weights 1 + (i mod 3). */
static void local_population(size_t n, double *theta, double *w, double *dist)
{
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(s >> 11) * 0x1p-52 - 1;
        s = s * 6364136223846793005u + 1442695040888963407u;
        double v = (double)(s >> 11) * 0x1p-52 - 1;
        theta[2 * i] = u;
        theta[2 * i + 1] = 0.5 * u + v;
        w[i] = 1 + (double)(i % 3);
        dist[i] = fabs(u) + fabs(v);
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    for (size_t i = 0; i < n; i++)
        w[i] /= sum;
}

PMC_TEST(kernel_knn_matches_sorting)
{
    /* The selection of the k nearest (select in lib/pmc_kernel.c) against sorting all
     * distances: Sigma_j = sum over the k nearest of w~ (theta - theta_j)
     * (theta - theta_j)^T for a 2-d population of 300 with many k, summed
     * here in index order as the library does, so the bits agree. */
    enum { n = 300 };
    static double theta[2 * n], w[n], dist[n], z[2 * n];
    local_population(n, theta, w, dist);
    const size_t ks[] = {3, 4, 17, 75, 299, 300};
    pmc_err err;
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        pmc_kernel k = {0};
        pmc_kernel_spec spec = {PMC_KERNEL_KNN, ks[t], NULL, 0};
        PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, theta, w, n, 2, &err), PMC_OK);
        pmc_kernel_whiten(&k, theta, n, z);
        for (size_t j = 0; j < n; j += 37) {
            /* i's rank: the points before it in (distance, index) order */
            double cov[3] = {0, 0, 0}, v1 = 0;
            for (size_t i = 0; i < n; i++) {
                double di = 0, dl;
                for (size_t a = 0; a < 2; a++)
                    di += (z[2 * i + a] - z[2 * j + a]) * (z[2 * i + a] - z[2 * j + a]);
                size_t rank = 0;
                for (size_t l = 0; l < n; l++) {
                    dl = 0;
                    for (size_t a = 0; a < 2; a++)
                        dl += (z[2 * l + a] - z[2 * j + a]) * (z[2 * l + a] - z[2 * j + a]);
                    rank += dl < di || (dl == di && l < i);
                }
                if (rank >= ks[t])
                    continue;
                double u0 = theta[2 * i] - theta[2 * j], u1 = theta[2 * i + 1] - theta[2 * j + 1];
                v1 += w[i];
                cov[0] += w[i] * u0 * u0;
                cov[1] += w[i] * u1 * u0;
                cov[2] += w[i] * u1 * u1;
            }
            const double *l = k.local_chol + 4 * j;
            PMC_CHECK_NEAR(l[0] * l[0], cov[0] / v1, 1e-12 * cov[0] / v1);
            PMC_CHECK_NEAR(l[2] * l[0], cov[1] / v1, 1e-12 * cov[0] / v1);
            PMC_CHECK_NEAR(l[2] * l[2] + l[3] * l[3], cov[2] / v1, 1e-12 * cov[2] / v1);
        }
        pmc_kernel_free(&k);
    }
}

PMC_TEST(kernel_local_density_integrates_to_one)
{
    /* Each kind's K_j (pmc_kernel_logpdf) is a normalised density: the
     * midpoint rule on a 401 x 401 grid over +-9 kernel sds of the widest
     * axis integrates a smooth gaussian to far better than 1e-6 (the error
     * of the midpoint rule on a gaussian decays like exp(-c / h^2)). */
    enum { n = 40 };
    double theta[2 * n], w[n], dist[n];
    local_population(n, theta, w, dist);
    const pmc_kernel_kind kinds[] = {PMC_KERNEL_BEAUMONT, PMC_KERNEL_COMPONENTWISE,
                                     PMC_KERNEL_OLCM, PMC_KERNEL_KNN};
    pmc_err err;
    for (size_t t = 0; t < 4; t++) {
        pmc_kernel k = {0};
        pmc_kernel_spec spec = {kinds[t], 10, dist, 1.0};
        PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, theta, w, n, 2, &err), PMC_OK);
        for (size_t j = 0; j < n; j += 13) {
            const double *c = theta + 2 * j;
            const double *l = k.n_local ? k.local_chol + 4 * j : k.chol;
            double sd = sqrt(fmax(l[0] * l[0], l[2] * l[2] + l[3] * l[3]));
            double half = 9 * sd, h = 2 * half / 401, sum = 0;
            for (int a = 0; a < 401; a++)
                for (int b = 0; b < 401; b++) {
                    double x[2] = {c[0] - half + (a + 0.5) * h, c[1] - half + (b + 0.5) * h};
                    sum += exp(pmc_kernel_logpdf(&k, j, c, x));
                }
            PMC_CHECK_NEAR(sum * h * h, 1.0, 1e-6);
        }
        pmc_kernel_free(&k);
    }
}

PMC_TEST(kernel_local_logpdf_by_hand)
{
    /* 1-d OLCM of kernel_olcm_by_hand, ancestor 2 (x = 3, Sigma = 22/3) at
     * x = 5: log N(5; 3, 22/3) = -2^2 / (2 x 22/3) - log(2 pi x 22/3) / 2. */
    const double x[] = {0, 1, 3}, w[] = {0.5, 0.25, 0.25}, dist[] = {1, 2, 3};
    pmc_kernel k = {0};
    pmc_kernel_spec spec = {PMC_KERNEL_OLCM, 0, dist, 2.0};
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, x, w, 3, 1, &err), PMC_OK);
    double at = 5, s2 = 22.0 / 3;
    double expect = -4 / (2 * s2) - 0.5 * log(2 * 3.14159265358979323846 * s2);
    PMC_CHECK_NEAR(pmc_kernel_logpdf(&k, 2, x + 2, &at), expect, 1e-13);
    pmc_kernel_free(&k);
}

PMC_TEST(kernel_perturb_ancestor_uses_its_factor)
{
    /* out = theta_j + L_j z with L_j the ancestor's own factor. */
    enum { n = 30 };
    double theta[2 * n], w[n], dist[n], out[2], z[2];
    local_population(n, theta, w, dist);
    pmc_kernel k = {0};
    pmc_kernel_spec spec = {PMC_KERNEL_KNN, 8, NULL, 0};  /* >= d + 1 = 3 */
    pmc_err err;
    PMC_CHECK_INT(pmc_kernel_fit_kind(&k, &spec, theta, w, n, 2, &err), PMC_OK);
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 3, 2, 1, 0);
    pmc_kernel_perturb_ancestor(&k, 7, theta + 14, r, out);
    pmc_rng_set_stream(r, 3, 2, 1, 0);
    z[0] = gsl_ran_gaussian_ziggurat(r, 1.0);
    z[1] = gsl_ran_gaussian_ziggurat(r, 1.0);
    const double *l = k.local_chol + 4 * 7;
    PMC_CHECK_NEAR(out[0], theta[14] + l[0] * z[0], 1e-14);
    PMC_CHECK_NEAR(out[1], theta[15] + l[2] * z[0] + l[3] * z[1], 1e-14);
    gsl_rng_free(r);
    pmc_kernel_free(&k);
}

/* --- discrete kernel --- */

PMC_TEST(kernel_discrete_fit_half_width)
{
    pmc_discrete_kernel k = { .n = 2, .col = { 0, 1 }, .categories = { 0, 3 } };
    /* Column 0: values 0 and 10 with weights 1/2: v = 25, h = round((sqrt(601) - 1) / 2) = 12. */
    const double theta[] = { 0, 1, 10, 2 }, w[] = { 0.5, 0.5 };
    pmc_discrete_kernel_fit(&k, theta, w, 2, 2);
    PMC_CHECK(k.half_width[0] == 12.0);
    /* A collapsed column still walks: h >= 1. */
    const double same[] = { 4, 0, 4, 0 };
    pmc_discrete_kernel_fit(&k, same, w, 2, 2);
    PMC_CHECK(k.half_width[0] == 1.0);
}

/* The pmf sums to 1 over all reachable values, and 200,000 perturbations
 * of one ancestor land on each value with its pmf (5 binomial sds). */
PMC_TEST(kernel_discrete_perturb_matches_pmf)
{
    enum { M = 200000 };
    pmc_discrete_kernel k = { .n = 2, .col = { 0, 2 }, .categories = { 0, 4 },
                              .half_width = { 2, 0 } };
    const double from[3] = { 5, 0.25, 1 };
    size_t count[5][4] = { { 0 } };
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 99, 1, 0, 0);
    double to[3] = { 0, 0.25, 0 };
    for (int i = 0; i < M; i++) {
        pmc_discrete_kernel_perturb(&k, from, r, to);
        PMC_CHECK(to[1] == 0.25); /* a continuous column is left alone */
        int a = (int)to[0] - 3, b = (int)to[2];
        if (a < 0 || a > 4 || b < 0 || b > 3) {
            PMC_CHECK(0);
            break;
        }
        count[a][b]++;
    }
    gsl_rng_free(r);
    double total = 0.0;
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 4; b++) {
            double x[3] = { a + 3.0, 0.25, b };
            double p = pmc_discrete_kernel_pmf(&k, from, x);
            total += p;
            PMC_CHECK(fabs((double)count[a][b] - M * p) <= 5 * sqrt(M * p * (1 - p)) + 1e-9);
        }
    PMC_CHECK_NEAR(total, 1.0, 1e-12);
    double far[3] = { 8, 0.25, 1 };
    PMC_CHECK(pmc_discrete_kernel_pmf(&k, from, far) == 0.0);
}


/* Normal samples with no sampling noise: the quantiles of (i + 1/2) / n,
 * scaled; in d dimensions the grid of their products (n = m^d rows). */
static void normal_grid(double *theta, size_t m, size_t d, double sd)
{
    size_t n = 1;
    for (size_t a = 0; a < d; a++)
        n *= m;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0, r = i; a < d; a++, r /= m)
            theta[i * d + a] = sd * gsl_cdf_ugaussian_Pinv(((double)(r % m) + 0.5) / (double)m);
}

/* N(0, s^2) against N(0, 1) in each of d coordinates: the ratio of the
 * densities peaks at 0 with (1 / s)^d. Both estimates are smoothed by the
 * same factor 1 + h^2 (the bandwidth is proportional to each covariance),
 * so the ratio of the estimates peaks at the same value; what is left is
 * the estimates' own error at the centre, about h^2 relative. */
PMC_TEST(kernel_density_ratio_of_two_normals)
{
    enum { M = 1000, M2 = 40 };
    static double cur[M * 1], prev[M * 1], cur2[M2 * M2 * 2], prev2[M2 * M2 * 2];
    static double w[M2 * M2];
    pmc_err err = {0};
    double c;
    normal_grid(cur, M, 1, 0.5);
    normal_grid(prev, M, 1, 1.0);
    for (size_t i = 0; i < M; i++)
        w[i] = 1.0 / M;
    PMC_CHECK_INT(pmc_kernel_density_ratio_max(cur, w, prev, w, M, 1, &c, &err), PMC_OK);
    PMC_CHECK_NEAR(c, 2.0, 0.02);
    normal_grid(cur2, M2, 2, 0.5);
    normal_grid(prev2, M2, 2, 1.0);
    for (size_t i = 0; i < M2 * M2; i++)
        w[i] = 1.0 / (M2 * M2);
    /* 1600 rows: every second one is evaluated (at most 1000). */
    PMC_CHECK_INT(pmc_kernel_density_ratio_max(cur2, w, prev2, w, M2 * M2, 2, &c, &err), PMC_OK);
    PMC_CHECK_NEAR(c, 4.0, 0.08);
    /* The same population twice: ratio 1 everywhere. */
    for (size_t i = 0; i < M; i++)
        w[i] = 1.0 / M;
    PMC_CHECK_INT(pmc_kernel_density_ratio_max(prev, w, prev, w, M, 1, &c, &err), PMC_OK);
    PMC_CHECK_NEAR(c, 1.0, 1e-12);
}

PMC_TEST(kernel_density_ratio_all_weight_on_one)
{
    double theta[3] = {1, 2, 3}, one[3] = {0, 1, 0}, w[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    pmc_err err = {0};
    double c;
    PMC_CHECK_INT(pmc_kernel_density_ratio_max(theta, one, theta, w, 3, 1, &c, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "all weight sits on one particle");
}

const pmc_test_case pmc_tests_kernel[] = {
    PMC_TEST_ENTRY(kernel_discrete_fit_half_width),
    PMC_TEST_ENTRY(kernel_discrete_perturb_matches_pmf),
    PMC_TEST_ENTRY(kernel_kind_names),
    PMC_TEST_ENTRY(kernel_fit_kind_beaumont_same_bits),
    PMC_TEST_ENTRY(kernel_componentwise_by_hand),
    PMC_TEST_ENTRY(kernel_olcm_by_hand),
    PMC_TEST_ENTRY(kernel_knn_by_hand),
    PMC_TEST_ENTRY(kernel_knn_bad_neighbours),
    PMC_TEST_ENTRY(kernel_knn_matches_sorting),
    PMC_TEST_ENTRY(kernel_local_density_integrates_to_one),
    PMC_TEST_ENTRY(kernel_local_logpdf_by_hand),
    PMC_TEST_ENTRY(kernel_perturb_ancestor_uses_its_factor),
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
    PMC_TEST_ENTRY(kernel_density_ratio_of_two_normals),
    PMC_TEST_ENTRY(kernel_density_ratio_all_weight_on_one),
    {NULL, NULL},
};

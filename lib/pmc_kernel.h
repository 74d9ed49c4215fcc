/* The perturbation kernel of PMC-ABC: a multivariate normal centred on the
 * ancestor, with covariance twice the weighted covariance of the previous
 * population (Beaumont, Cornuet, Marin & Robert 2009, section 3). */
#ifndef PMC_KERNEL_H
#define PMC_KERNEL_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "pmc_error.h"

typedef struct {
    size_t d;
    double *cov;  /* d*d row-major: 2 x weighted covariance */
    double *chol; /* d*d row-major lower-triangular L, cov = L L^T */
} pmc_kernel;

/* Weighted covariance of theta (n rows x d columns, row-major) with
 * normalised weights w (sum 1), written to cov (d*d row-major). Uses the
 * unbiased "reliability weights" form, sum_i w_i (x_i - m)(x_i - m)^T /
 * (1 - sum_i w_i^2), as numpy.cov(aweights=w) and ABCpy do. Summation is in
 * index order, so the result is the same on every rank. Returns PMC_EINVAL
 * if n < 2 or all weight sits on one particle. */
int pmc_kernel_weighted_cov(const double *theta, const double *w, size_t n, size_t d,
                            double *cov, pmc_err *err);

/* Fits the kernel to a population: cov = 2 x weighted covariance, and its
 * Cholesky factor. A covariance that is not positive definite (e.g. a
 * parameter that collapsed to one value) gets a tiny relative jitter on the
 * diagonal; if it still fails, returns PMC_ERUNTIME naming the parameter.
 * k must be zero-initialised or previously fitted; pmc_kernel_free releases it. */
int pmc_kernel_fit(pmc_kernel *k, const double *theta, const double *w, size_t n, size_t d,
                   pmc_err *err);

void pmc_kernel_free(pmc_kernel *k);

/* out = center + L z, z ~ N(0, I_d) drawn from rng (d gaussian draws in order). */
void pmc_kernel_perturb(const pmc_kernel *k, const double *center, gsl_rng *rng, double *out);

/* Whitens n points: z_i = L^{-1} theta_i (row-major, n x d), so that the
 * kernel's Mahalanobis distance becomes a Euclidean one:
 * K(x | y) is proportional to exp(-|z_x - z_y|^2 / 2). */
void pmc_kernel_whiten(const pmc_kernel *k, const double *theta, size_t n, double *z);

#endif

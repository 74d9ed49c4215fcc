/* The perturbation kernel of PMC-ABC: a multivariate normal centred on the
 * ancestor. By default its covariance is twice the weighted covariance of the
 * previous population (Beaumont, Cornuet, Marin & Robert 2009, section 3);
 * [kernel] name chooses the diagonal of it, or a covariance per ancestor
 * (pmc_kernel_kind; formulas and sources in docs/algorithm.md). */
#ifndef PMC_KERNEL_H
#define PMC_KERNEL_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "pmc_error.h"

/* Which kernel ([kernel] name, docs/algorithm.md "Proposal kernels").
 * BEAUMONT and COMPONENTWISE share one covariance for every ancestor; OLCM
 * and KNN give each ancestor j its own covariance Sigma_j. */
typedef enum {
    PMC_KERNEL_BEAUMONT = 0, /* 2 x weighted covariance (Beaumont et al. 2009) */
    PMC_KERNEL_COMPONENTWISE, /* its diagonal only (Beaumont 2009; Toni et al. 2009) */
    PMC_KERNEL_OLCM,          /* optimal local covariance (Filippi et al. 2013, eq. 11) */
    PMC_KERNEL_KNN            /* local covariance of the k nearest particles */
} pmc_kernel_kind;

/* "beaumont", "componentwise", "olcm", "knn". */
const char *pmc_kernel_kind_name(pmc_kernel_kind kind);

/* The knn kernel's default neighbourhood for n particles in d dimensions:
 * ceil(n / 8), at least d + 1, at most n (docs/algorithm.md: the measured
 * choice; pyABC's LocalTransition uses n / 4). */
size_t pmc_kernel_default_neighbours(size_t n, size_t d);

/* Parses a name of pmc_kernel_kind_name into *kind; PMC_EINVAL if unknown. */
int pmc_kernel_kind_parse(const char *name, pmc_kernel_kind *kind);

typedef struct {
    size_t d;
    double *cov;  /* d*d row-major: 2 x weighted covariance (its diagonal for COMPONENTWISE) */
    double *chol; /* d*d row-major lower-triangular L, cov = L L^T */
    pmc_kernel_kind kind;
    /* Local kinds only (else n_local = 0, NULLs): per ancestor j, the
     * lower-triangular L_j of Sigma_j = L_j L_j^T at local_chol + j d d, and
     * the packed lower triangle of L_j^{-1} (row a: entries b = 0..a) at
     * local_inv + j d (d + 1) / 2, for pmc_weights_block_local. */
    size_t n_local;
    double *local_chol, *local_inv;
} pmc_kernel;

/* Inputs of pmc_kernel_fit_kind beyond the population. */
typedef struct {
    pmc_kernel_kind kind;
    size_t neighbours;        /* KNN: k, d + 1 <= k <= n (the ancestor counts as one) */
    const double *distances;  /* OLCM: the population's distances (n), under the new metric */
    double epsilon;           /* OLCM: the next generation's tolerance */
} pmc_kernel_spec;

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

/* pmc_kernel_fit for any kind (BEAUMONT gives the same bits as
 * pmc_kernel_fit). COMPONENTWISE: cov = 2 diag(weighted variances).
 * OLCM: with S = {k : distances[k] <= epsilon} (all particles if S has
 * fewer than d + 1 members) and w~ the weights renormalised on S,
 *   Sigma_j = sum_{k in S} w~_k (theta_k - theta_j)(theta_k - theta_j)^T
 *           = C_S + (m_S - theta_j)(m_S - theta_j)^T,
 * m_S, C_S the w~-weighted mean and (biased) covariance of S.
 * KNN: N_j = the k particles nearest theta_j in the Mahalanobis metric of
 * the global covariance (ties by index; theta_j is one of them), and Sigma_j
 * as OLCM's with N_j for S. Each Sigma_j gets pmc_kernel_fit's jitter if it
 * is not positive definite. Returns PMC_EINVAL (bad spec), PMC_ENOMEM or
 * PMC_ERUNTIME (a covariance not positive definite even with jitter). */
int pmc_kernel_fit_kind(pmc_kernel *k, const pmc_kernel_spec *spec, const double *theta,
                        const double *w, size_t n, size_t d, pmc_err *err);

/* log of the kernel density K_j(x | theta_j) of ancestor j (any j for the
 * global kinds), with its normalising constant: for tests and checks. */
double pmc_kernel_logpdf(const pmc_kernel *k, size_t j, const double *theta_j, const double *x);

void pmc_kernel_free(pmc_kernel *k);

/* out = center + L_j z for ancestor j (L for the global kinds), z ~ N(0, I_d)
 * drawn from rng (d gaussian draws in order). */
void pmc_kernel_perturb_ancestor(const pmc_kernel *k, size_t j, const double *center,
                                 gsl_rng *rng, double *out);

/* out = center + L z, z ~ N(0, I_d) drawn from rng (d gaussian draws in order). */
void pmc_kernel_perturb(const pmc_kernel *k, const double *center, gsl_rng *rng, double *out);

/* Whitens n points: z_i = L^{-1} theta_i (row-major, n x d), so that the
 * kernel's Mahalanobis distance becomes a Euclidean one:
 * K(x | y) is proportional to exp(-|z_x - z_y|^2 / 2). */
void pmc_kernel_whiten(const pmc_kernel *k, const double *theta, size_t n, double *z);

/* --- density ratio of two populations --- */

/* The largest ratio p_cur(x) / p_prev(x) over x among the particles of cur
 * (all of them up to 1000, else every ceil(n / 1000)-th), each p a weighted
 * Gaussian kernel density estimate of its population (n rows of d, weights
 * normalised) with bandwidth matrix ESS^(-2 / (d + 4)) x the weighted
 * covariance (Scott's rule with the effective sample size): the c_t of
 * Simola et al. (2021), whose 1 / c_t is the next quantile of
 * [epsilon] schedule = density_ratio. Fixed summation order: the same bits
 * on every rank. PMC_EINVAL if a covariance is undefined (all weight on one
 * particle), PMC_ERUNTIME if it is singular even with jitter. */
int pmc_kernel_density_ratio_max(const double *cur, const double *w_cur, const double *prev,
                                 const double *w_prev, size_t n, size_t d, double *out,
                                 pmc_err *err);

/* --- discrete parameters --- */

/* The kernel of the discrete parameters (docs/algorithm.md "Discrete
 * parameters"), independent of the normal kernel of the continuous ones and
 * of each other. An ordered parameter (uniform_int, poisson) steps by s,
 * uniform on {-h, ..., h}; h is fitted so that the step's variance
 * h (h + 1) / 3 matches Beaumont's 2 x the weighted variance. A categorical
 * parameter of k categories stays with probability PMC_KERNEL_STAY, else
 * jumps to one of the other k - 1 uniformly (pyABC's DiscreteJumpTransition,
 * Klinger, Rickert & Hasenauer 2018). */
#define PMC_KERNEL_MAX_DISCRETE 64
#define PMC_KERNEL_STAY 0.7
typedef struct {
    size_t n;                                   /* discrete parameters */
    size_t col[PMC_KERNEL_MAX_DISCRETE];        /* their columns in theta */
    unsigned categories[PMC_KERNEL_MAX_DISCRETE]; /* k, or 0 for an ordered parameter */
    double half_width[PMC_KERNEL_MAX_DISCRETE]; /* h of an ordered parameter, >= 1 */
} pmc_discrete_kernel;

/* Sets the half-widths from the population theta (n rows of d) with
 * normalised weights w: h = max(1, round((sqrt(1 + 24 v) - 1) / 2)), v the
 * weighted variance of the column, summed in index order. */
void pmc_discrete_kernel_fit(pmc_discrete_kernel *k, const double *theta, const double *w,
                             size_t n, size_t d);

/* Writes the discrete columns of theta, moved from the ancestor's row
 * (d columns), one uniform draw per parameter in column order. */
void pmc_discrete_kernel_perturb(const pmc_discrete_kernel *k, const double *ancestor,
                                 gsl_rng *rng, double *theta);

/* The product over the discrete parameters of K(to | from) (rows of d). */
double pmc_discrete_kernel_pmf(const pmc_discrete_kernel *k, const double *from,
                               const double *to);

#endif

#include "pmc_kernel.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Relative diagonal jitter tried, in order, when the covariance is not
 * positive definite: tiny against the largest variance, so a healthy
 * parameter's kernel is unchanged to ~1e-10 relative. */
static const double pmc__jitter[] = {1e-10, 1e-8, 1e-6};

/* Weighted mean m = sum_i w_i x_i / V1, summed in index order. */
static void pmc__weighted_mean(const double *theta, const double *w, size_t n, size_t d,
                               double v1, double *mean)
{
    memset(mean, 0, d * sizeof *mean);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            mean[a] += w[i] * theta[i * d + a];
    for (size_t a = 0; a < d; a++)
        mean[a] /= v1;
}

/* Lower triangle of sum_i w_i (x_i - m)(x_i - m)^T, in index order; the
 * upper triangle is mirrored so cov is exactly symmetric. */
static void pmc__weighted_scatter(const double *theta, const double *w, size_t n, size_t d,
                                  const double *mean, double *diff, double *cov)
{
    memset(cov, 0, d * d * sizeof *cov);
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < d; a++)
            diff[a] = theta[i * d + a] - mean[a];
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b <= a; b++)
                cov[a * d + b] += w[i] * diff[a] * diff[b];
    }
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < a; b++)
            cov[b * d + a] = cov[a * d + b];
}

/* Reliability-weights estimator (numpy.cov with aweights, ddof = 1):
 * cov = sum_i w_i (x_i - m)(x_i - m)^T / (V1 - V2 / V1), V1 = sum w_i,
 * V2 = sum w_i^2; with V1 = 1 this is the header's 1 / (1 - sum w_i^2). */
int pmc_kernel_weighted_cov(const double *theta, const double *w, size_t n, size_t d,
                            double *cov, pmc_err *err)
{
    if (n < 2)
        return pmc_err_set(err, PMC_EINVAL, "weighted covariance needs at least 2 particles, got %zu",
                           n);
    double v1 = 0, v2 = 0;
    for (size_t i = 0; i < n; i++) {
        v1 += w[i];
        v2 += w[i] * w[i];
    }
    double denom = v1 > 0 ? v1 - v2 / v1 : 0;
    if (!(denom > 0) || !isfinite(denom))
        return pmc_err_set(err, PMC_EINVAL,
                           "weighted covariance is undefined: all weight sits on one particle "
                           "(sum w = %g, sum w^2 = %g)", v1, v2);
    double *scratch = malloc(2 * d * sizeof *scratch);
    if (!scratch && d > 0)
        return pmc_err_set(err, PMC_ENOMEM, "weighted covariance: out of memory for %zu parameters",
                           d);
    pmc__weighted_mean(theta, w, n, d, v1, scratch);
    pmc__weighted_scatter(theta, w, n, d, scratch, scratch + d, cov);
    for (size_t a = 0; a < d * d; a++)
        cov[a] /= denom;
    free(scratch);
    return PMC_OK;
}

/* (Re)sizes k's matrices for dimension d. */
static int pmc__kernel_reserve(pmc_kernel *k, size_t d, pmc_err *err)
{
    if (k->d == d && k->cov && k->chol)
        return PMC_OK;
    pmc_kernel_free(k);
    k->cov = malloc(d * d * sizeof *k->cov);
    k->chol = malloc(d * d * sizeof *k->chol);
    if (!k->cov || !k->chol) {
        pmc_kernel_free(k);
        return pmc_err_set(err, PMC_ENOMEM, "kernel: out of memory for %zu parameters", d);
    }
    k->d = d;
    return PMC_OK;
}

/* chol = cholesky(cov) with the strict upper triangle zeroed. Returns
 * nonzero if cov is not positive definite. GSL reports that through its
 * error handler, whose default aborts the process; the handler is switched
 * off around the call (the library must not exit) and then restored. */
static int pmc__cholesky(const double *cov, double *chol, size_t d)
{
    memcpy(chol, cov, d * d * sizeof *chol);
    gsl_matrix_view m = gsl_matrix_view_array(chol, d, d);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_linalg_cholesky_decomp1(&m.matrix);
    gsl_set_error_handler(old);
    for (size_t a = 0; a < d; a++)
        for (size_t b = a + 1; b < d; b++)
            chol[a * d + b] = 0;
    return rc;
}

/* Index of the parameter with the smallest variance: the one that most
 * likely collapsed, named in the error message. */
static size_t pmc__smallest_variance(const double *cov, size_t d)
{
    size_t best = 0;
    for (size_t a = 1; a < d; a++)
        if (!(cov[a * d + a] >= cov[best * d + best]))
            best = a;
    return best;
}

static double pmc__max_variance(const double *cov, size_t d)
{
    double mx = 0;
    for (size_t a = 0; a < d; a++)
        mx = fmax(mx, cov[a * d + a]);
    return mx;
}

/* Adds jitter to the diagonal of k->cov until its Cholesky succeeds. The
 * jitter is kept in k->cov, so cov = L L^T holds exactly as documented. */
static int pmc__factor_with_jitter(pmc_kernel *k, pmc_err *err)
{
    size_t d = k->d;
    if (pmc__cholesky(k->cov, k->chol, d) == 0)
        return PMC_OK;
    double scale = pmc__max_variance(k->cov, d), added = 0;
    for (size_t t = 0; t < sizeof pmc__jitter / sizeof pmc__jitter[0] && scale > 0; t++) {
        double eps = pmc__jitter[t] * scale - added;
        for (size_t a = 0; a < d; a++)
            k->cov[a * d + a] += eps;
        added += eps;
        if (pmc__cholesky(k->cov, k->chol, d) == 0)
            return PMC_OK;
    }
    size_t bad = pmc__smallest_variance(k->cov, d);
    return pmc_err_set(err, PMC_ERUNTIME,
                       "kernel covariance is not positive definite even with jitter: parameter "
                       "index %zu has variance %g (largest variance %g); has it collapsed to one "
                       "value?", bad, k->cov[bad * d + bad] - added, scale);
}

int pmc_kernel_fit(pmc_kernel *k, const double *theta, const double *w, size_t n, size_t d,
                   pmc_err *err)
{
    int rc = pmc__kernel_reserve(k, d, err);
    if (rc != PMC_OK)
        return rc;
    rc = pmc_kernel_weighted_cov(theta, w, n, d, k->cov, err);
    if (rc != PMC_OK)
        return rc;
    /* Beaumont et al. 2009, section 3: the kernel variance is twice the
     * weighted empirical variance of the previous population. */
    for (size_t a = 0; a < d * d; a++)
        k->cov[a] *= 2;
    return pmc__factor_with_jitter(k, err);
}

void pmc_kernel_free(pmc_kernel *k)
{
    free(k->cov);
    free(k->chol);
    k->cov = NULL;
    k->chol = NULL;
    k->d = 0;
}

/* out = center + L z. z is drawn into out first; then rows are formed from
 * the last to the first, because row a of L z reads only z_0..z_a, which are
 * still in place. This needs no scratch memory (the function cannot report
 * an allocation failure), but out must not overlap center. */
void pmc_kernel_perturb(const pmc_kernel *k, const double *center, gsl_rng *rng, double *out)
{
    size_t d = k->d;
    for (size_t a = 0; a < d; a++)
        out[a] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t a = d; a-- > 0;) {
        const double *row = k->chol + a * d;
        double sum = 0;
        for (size_t b = 0; b <= a; b++)
            sum += row[b] * out[b];
        out[a] = center[a] + sum;
    }
}

/* Forward substitution for L z = x, row by row: z_a = (x_a - sum_{b<a} L_ab z_b) / L_aa.
 * Then (x - y)^T cov^{-1} (x - y) = |L^{-1}(x - y)|^2 = |z_x - z_y|^2. */
void pmc_kernel_whiten(const pmc_kernel *k, const double *theta, size_t n, double *z)
{
    size_t d = k->d;
    for (size_t i = 0; i < n; i++) {
        const double *x = theta + i * d;
        double *zi = z + i * d;
        for (size_t a = 0; a < d; a++) {
            const double *row = k->chol + a * d;
            double sum = x[a];
            for (size_t b = 0; b < a; b++)
                sum -= row[b] * zi[b];
            zi[a] = sum / row[a];
        }
    }
}

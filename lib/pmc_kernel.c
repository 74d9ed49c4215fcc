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
static const double jitter[] = {1e-10, 1e-8, 1e-6};

/* Weighted mean m = sum_i w_i x_i / V1, summed in index order. */
static void weighted_mean(const double *theta, const double *w, size_t n, size_t d,
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
static void weighted_scatter(const double *theta, const double *w, size_t n, size_t d,
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
    weighted_mean(theta, w, n, d, v1, scratch);
    weighted_scatter(theta, w, n, d, scratch, scratch + d, cov);
    for (size_t a = 0; a < d * d; a++)
        cov[a] /= denom;
    free(scratch);
    return PMC_OK;
}

/* (Re)sizes k's matrices for dimension d. */
static int kernel_reserve(pmc_kernel *k, size_t d, pmc_err *err)
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
static int cholesky(const double *cov, double *chol, size_t d)
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
static size_t smallest_variance(const double *cov, size_t d)
{
    size_t best = 0;
    for (size_t a = 1; a < d; a++)
        if (!(cov[a * d + a] >= cov[best * d + best]))
            best = a;
    return best;
}

static double max_variance(const double *cov, size_t d)
{
    double mx = 0;
    for (size_t a = 0; a < d; a++)
        mx = fmax(mx, cov[a * d + a]);
    return mx;
}

/* Adds jitter to the diagonal of cov until its Cholesky succeeds. The
 * jitter is kept in cov, so cov = L L^T holds exactly as documented. */
static int factor_cov(double *cov, double *chol, size_t d, pmc_err *err)
{
    if (cholesky(cov, chol, d) == 0)
        return PMC_OK;
    double scale = max_variance(cov, d), added = 0;
    for (size_t t = 0; t < sizeof jitter / sizeof jitter[0] && scale > 0; t++) {
        double eps = jitter[t] * scale - added;
        for (size_t a = 0; a < d; a++)
            cov[a * d + a] += eps;
        added += eps;
        if (cholesky(cov, chol, d) == 0)
            return PMC_OK;
    }
    size_t bad = smallest_variance(cov, d);
    return pmc_err_set(err, PMC_ERUNTIME,
                       "kernel covariance is not positive definite even with jitter: parameter "
                       "index %zu has variance %g (largest variance %g); has it collapsed to one "
                       "value?", bad, cov[bad * d + bad] - added, scale);
}

static int factor_with_jitter(pmc_kernel *k, pmc_err *err)
{
    return factor_cov(k->cov, k->chol, k->d, err);
}

int pmc_kernel_fit(pmc_kernel *k, const double *theta, const double *w, size_t n, size_t d,
                   pmc_err *err)
{
    int rc = kernel_reserve(k, d, err);
    if (rc != PMC_OK)
        return rc;
    rc = pmc_kernel_weighted_cov(theta, w, n, d, k->cov, err);
    if (rc != PMC_OK)
        return rc;
    /* Beaumont et al. 2009, section 3: the kernel variance is twice the
     * weighted empirical variance of the previous population. */
    for (size_t a = 0; a < d * d; a++)
        k->cov[a] *= 2;
    return factor_with_jitter(k, err);
}

void pmc_kernel_free(pmc_kernel *k)
{
    free(k->cov);
    free(k->chol);
    free(k->local_chol);
    free(k->local_inv);
    memset(k, 0, sizeof *k);
}

static const char *const kind_names[] = {"beaumont", "componentwise", "olcm", "knn"};

/* n / 8 rather than pyABC's n / 4: on the benchmark tasks of
 * docs/performance.md ("Simulation efficiency") it needs fewer simulations
 * and its ESS stayed above n / 10, where n / 4 fell to 56 and 85 of 1000. */
size_t pmc_kernel_default_neighbours(size_t n, size_t d)
{
    size_t k = n / 8 + (n % 8 != 0);
    k = k < d + 1 ? d + 1 : k;
    return k > n ? n : k;
}

const char *pmc_kernel_kind_name(pmc_kernel_kind kind)
{
    return (unsigned)kind < 4 ? kind_names[kind] : "unknown";
}

int pmc_kernel_kind_parse(const char *name, pmc_kernel_kind *kind)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, kind_names[i])) {
            *kind = (pmc_kernel_kind)i;
            return PMC_OK;
        }
    return PMC_EINVAL;
}

/* sum_{k in idx} w~_k (theta_k - c)(theta_k - c)^T with w~ = w / sum_idx w,
 * summed in the order of idx: the second moment about c (Filippi et al.
 * 2013, eq. 11, with c = theta_j). Written to cov (d*d, mirrored). */
static void moment_about(const double *theta, const double *w, const size_t *idx,
                              size_t m, size_t d, const double *c, double *diff, double *cov)
{
    double v1 = 0;
    for (size_t t = 0; t < m; t++)
        v1 += w[idx[t]];
    memset(cov, 0, d * d * sizeof *cov);
    for (size_t t = 0; t < m; t++) {
        const double *x = theta + idx[t] * d;
        for (size_t a = 0; a < d; a++)
            diff[a] = x[a] - c[a];
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b <= a; b++)
                cov[a * d + b] += w[idx[t]] * diff[a] * diff[b];
    }
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b <= a; b++) {
            cov[a * d + b] /= v1;
            cov[b * d + a] = cov[a * d + b];
        }
}

/* The packed lower triangle of L^{-1} (row a holds b = 0..a), by forward
 * substitution on the columns of the identity. */
static void invert_lower(const double *chol, size_t d, double *inv)
{
    for (size_t col = 0; col < d; col++) {
        for (size_t a = col; a < d; a++) {
            double sum = a == col ? 1.0 : 0.0;
            for (size_t b = col; b < a; b++)
                sum -= chol[a * d + b] * inv[b * (b + 1) / 2 + col];
            inv[a * (a + 1) / 2 + col] = sum / chol[a * d + a];
        }
    }
}

typedef struct {
    double dist;
    size_t idx;
} neighbour;

/* Nearest first; equal distances by index, so the order is total and the
 * neighbour set is the same on every rank. */
static int cmp_neighbour(const void *pa, const void *pb)
{
    const neighbour *a = pa, *b = pb;
    if (a->dist != b->dist)
        return a->dist < b->dist ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Indices of the particles whose distance is within epsilon (OLCM's set S),
 * or of all particles if fewer than d + 1 are: a Sigma_j from fewer points
 * is singular. Returns the count. */
static size_t olcm_set(const pmc_kernel_spec *spec, size_t n, size_t d, size_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (spec->distances[i] <= spec->epsilon)
            idx[m++] = i;
    if (m >= d + 1)
        return m;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return n;
}

/* Rearranges nb[0..n-1] so that nb[k] is the element of rank k under
 * cmp_neighbour (Hoare's selection, middle element as pivot; the order
 * is total, so the element is the same whatever the pivots). */
static void select(neighbour *nb, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        neighbour pivot = nb[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (cmp_neighbour(&nb[i], &pivot) < 0)
                i++;
            while (cmp_neighbour(&nb[j], &pivot) > 0)
                j--;
            if (i <= j) {
                neighbour t = nb[i];
                nb[i] = nb[j];
                nb[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* The k nearest particles to particle j in the whitened coordinates z
 * (Mahalanobis under the global covariance; ties by index), into idx in
 * index order, so the sums over them run in a fixed order. O(n) expected. */
static void knn_set(const double *z, size_t n, size_t d, size_t j, size_t k,
                         neighbour *nb, size_t *idx)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t a = 0; a < d; a++) {
            double u = z[i * d + a] - z[j * d + a];
            s += u * u;
        }
        nb[i].dist = s;
        nb[i].idx = i;
    }
    select(nb, n, k - 1);
    neighbour last = nb[k - 1];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t a = 0; a < d; a++) {
            double u = z[i * d + a] - z[j * d + a];
            s += u * u;
        }
        neighbour me = {s, i};
        if (cmp_neighbour(&me, &last) <= 0)
            idx[m++] = i;
    }
}

/* Sigma_j and its factors for every ancestor (OLCM or KNN). */
static int fit_local(pmc_kernel *k, const pmc_kernel_spec *spec, const double *theta,
                          const double *w, size_t n, size_t d, pmc_err *err)
{
    size_t tri = d * (d + 1) / 2;
    k->local_chol = malloc(n * d * d * sizeof(double));
    k->local_inv = malloc(n * tri * sizeof(double));
    size_t *idx = malloc(n * sizeof *idx);
    double *cov = malloc((d * d + d) * sizeof *cov);
    neighbour *nb = spec->kind == PMC_KERNEL_KNN ? malloc(n * sizeof *nb) : NULL;
    double *z = spec->kind == PMC_KERNEL_KNN ? malloc(n * d * sizeof *z) : NULL;
    int rc = PMC_OK;
    if (!k->local_chol || !k->local_inv || !idx || !cov ||
        (spec->kind == PMC_KERNEL_KNN && (!nb || !z))) {
        rc = pmc_err_set(err, PMC_ENOMEM, "kernel %s: out of memory for %zu particles x %zu "
                         "parameters", pmc_kernel_kind_name(spec->kind), n, d);
        goto done;
    }
    k->n_local = n;
    size_t m = 0;
    if (spec->kind == PMC_KERNEL_OLCM)
        m = olcm_set(spec, n, d, idx);
    else
        pmc_kernel_whiten(k, theta, n, z);
    for (size_t j = 0; j < n && rc == PMC_OK; j++) {
        if (spec->kind == PMC_KERNEL_KNN) {
            m = spec->neighbours;
            knn_set(z, n, d, j, m, nb, idx);
        }
        moment_about(theta, w, idx, m, d, theta + j * d, cov + d * d, cov);
        double *lj = k->local_chol + j * d * d;
        rc = factor_cov(cov, lj, d, err);
        if (rc == PMC_OK)
            invert_lower(lj, d, k->local_inv + j * tri);
    }
done:
    free(idx);
    free(cov);
    free(nb);
    free(z);
    return rc;
}

int pmc_kernel_fit_kind(pmc_kernel *k, const pmc_kernel_spec *spec, const double *theta,
                        const double *w, size_t n, size_t d, pmc_err *err)
{
    /* Fewer than d + 1 points span less than d dimensions: Sigma_j would be
     * singular (the ancestor's own term is 0). */
    if (spec->kind == PMC_KERNEL_KNN && (spec->neighbours < d + 1 || spec->neighbours > n))
        return pmc_err_set(err, PMC_EINVAL, "kernel knn: %zu neighbours; expected %zu (the "
                           "parameters + 1) to %zu (the population size)", spec->neighbours,
                           d + 1, n);
    if (spec->kind == PMC_KERNEL_OLCM && !spec->distances)
        return pmc_err_set(err, PMC_EINVAL, "kernel olcm: the population's distances are needed");
    free(k->local_chol);
    free(k->local_inv);
    k->local_chol = k->local_inv = NULL;
    k->n_local = 0;
    int rc = pmc_kernel_fit(k, theta, w, n, d, err);
    if (rc != PMC_OK)
        return rc;
    k->kind = spec->kind;
    if (spec->kind == PMC_KERNEL_COMPONENTWISE) {
        /* Beaumont 2009 / Toni et al. 2009: each parameter perturbed on its
         * own, variance twice its weighted variance. k->cov already holds
         * 2 x the weighted covariance, jittered only if singular; the
         * diagonal is refactored from scratch. */
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++)
                if (a != b)
                    k->cov[a * d + b] = 0;
        return factor_with_jitter(k, err);
    }
    if (spec->kind == PMC_KERNEL_OLCM || spec->kind == PMC_KERNEL_KNN)
        return fit_local(k, spec, theta, w, n, d, err);
    return PMC_OK;
}

/* The factor of ancestor j: its own for the local kinds, else the global one. */
static const double *chol_of(const pmc_kernel *k, size_t j)
{
    return k->n_local ? k->local_chol + j * k->d * k->d : k->chol;
}

double pmc_kernel_logpdf(const pmc_kernel *k, size_t j, const double *theta_j, const double *x)
{
    size_t d = k->d;
    const double *l = chol_of(k, j);
    double z[64], q = 0, logdet = 0;
    if (d > 64)
        return NAN;
    for (size_t a = 0; a < d; a++) {
        double sum = x[a] - theta_j[a];
        for (size_t b = 0; b < a; b++)
            sum -= l[a * d + b] * z[b];
        z[a] = sum / l[a * d + a];
        q += z[a] * z[a];
        logdet += log(l[a * d + a]);
    }
    const double log_2pi = 1.8378770664093454835606594728112; /* log(2 pi) */
    return -0.5 * q - logdet - 0.5 * (double)d * log_2pi;
}

void pmc_kernel_perturb_ancestor(const pmc_kernel *k, size_t j, const double *center,
                                 gsl_rng *rng, double *out)
{
    size_t d = k->d;
    const double *chol = chol_of(k, j);
    for (size_t a = 0; a < d; a++)
        out[a] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t a = d; a-- > 0;) {
        const double *row = chol + a * d;
        double sum = 0;
        for (size_t b = 0; b <= a; b++)
            sum += row[b] * out[b];
        out[a] = center[a] + sum;
    }
}

/* out = center + L z. z is drawn into out first; then rows are formed from
 * the last to the first, because row a of L z reads only z_0..z_a, which are
 * still in place. This needs no scratch memory (the function cannot report
 * an allocation failure), but out must not overlap center. */
void pmc_kernel_perturb(const pmc_kernel *k, const double *center, gsl_rng *rng, double *out)
{
    pmc_kernel_perturb_ancestor(k, 0, center, rng, out);
}

/* --- density ratio of two populations --- */

/* Fits k to a kernel density estimate's bandwidth matrix (see
 * pmc_kernel_density_ratio_max); *log_det = log |L|. */
static int kde_fit(pmc_kernel *k, const double *theta, const double *w, size_t n, size_t d,
                   double *log_det, pmc_err *err)
{
    int rc = kernel_reserve(k, d, err);
    if (rc == PMC_OK)
        rc = pmc_kernel_weighted_cov(theta, w, n, d, k->cov, err);
    if (rc != PMC_OK)
        return rc;
    double sum_w2 = 0;
    for (size_t i = 0; i < n; i++)
        sum_w2 += w[i] * w[i];
    /* Scott (1992), Multivariate Density Estimation, eq. 6.42: h = n^(-1/(d+4))
     * for a normal reference, with the effective sample size for n. */
    double h2 = pow(1.0 / sum_w2, -2.0 / ((double)d + 4.0));
    for (size_t a = 0; a < d * d; a++)
        k->cov[a] *= h2;
    rc = factor_with_jitter(k, err);
    *log_det = 0;
    for (size_t a = 0; rc == PMC_OK && a < d; a++)
        *log_det += log(k->chol[a * d + a]);
    return rc;
}

/* log sum_j w_j exp(-|zx - z_j|^2 / 2) - log_det: the log density at a
 * point zx of a kernel estimate whose points are z, up to (2 pi)^(-d/2),
 * which cancels in a ratio. Log-sum-exp about the largest term; h (n)
 * holds the exponents -|zx - z_j|^2 / 2 between the two passes. */
static double kde_log_density(const double *z, const double *w, size_t n, size_t d,
                              const double *zx, double log_det, double *h)
{
    double top = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        double s = 0;
        for (size_t a = 0; a < d; a++)
            s += (zx[a] - z[j * d + a]) * (zx[a] - z[j * d + a]);
        h[j] = -0.5 * s;
        if (w[j] > 0)
            top = fmax(top, h[j]);
    }
    double sum = 0;
    for (size_t j = 0; j < n; j++)
        sum += w[j] * exp(h[j] - top);
    return top + log(sum) - log_det;
}

int pmc_kernel_density_ratio_max(const double *cur, const double *w_cur, const double *prev,
                                 const double *w_prev, size_t n, size_t d, double *out,
                                 pmc_err *err)
{
    pmc_kernel kc, kp;
    memset(&kc, 0, sizeof kc);
    memset(&kp, 0, sizeof kp);
    double ldc = 0, ldp = 0;
    double *zc = malloc(n * d * sizeof *zc), *zcp = malloc(n * d * sizeof *zcp);
    double *zp = malloc(n * d * sizeof *zp), *h = malloc(n * sizeof *h);
    int rc = zc && zcp && zp && h ? PMC_OK
                             : pmc_err_set(err, PMC_ENOMEM, "density ratio: out of memory for %zu "
                                           "particles", n);
    if (rc == PMC_OK)
        rc = kde_fit(&kc, cur, w_cur, n, d, &ldc, err);
    if (rc == PMC_OK)
        rc = kde_fit(&kp, prev, w_prev, n, d, &ldp, err);
    if (rc == PMC_OK) {
        pmc_kernel_whiten(&kc, cur, n, zc);  /* cur's points and x under cur's bandwidth */
        pmc_kernel_whiten(&kp, cur, n, zcp); /* x under prev's bandwidth */
        pmc_kernel_whiten(&kp, prev, n, zp); /* prev's points under prev's bandwidth */
        size_t stride = (n + 999) / 1000;
        double best = -INFINITY;
        for (size_t i = 0; i < n; i += stride) {
            double r = kde_log_density(zc, w_cur, n, d, zc + i * d, ldc, h) -
                       kde_log_density(zp, w_prev, n, d, zcp + i * d, ldp, h);
            best = fmax(best, r);
        }
        *out = exp(best);
    }
    free(zc);
    free(zcp);
    free(zp);
    free(h);
    pmc_kernel_free(&kc);
    pmc_kernel_free(&kp);
    return rc;
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

/* --- discrete parameters --- */

void pmc_discrete_kernel_fit(pmc_discrete_kernel *k, const double *theta, const double *w,
                             size_t n, size_t d)
{
    for (size_t a = 0; a < k->n; a++) {
        if (k->categories[a])
            continue;
        size_t c = k->col[a];
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            m += w[i] * theta[i * d + c];
        for (size_t i = 0; i < n; i++)
            v += w[i] * (theta[i * d + c] - m) * (theta[i * d + c] - m);
        /* h (h + 1) / 3 = 2 v, the variance of a uniform step on -h..h
         * against Beaumont's factor 2; at least 1, so the walk never stops. */
        double h = round((sqrt(1.0 + 24.0 * v) - 1.0) / 2.0);
        k->half_width[a] = h >= 1.0 ? h : 1.0;
    }
}

void pmc_discrete_kernel_perturb(const pmc_discrete_kernel *k, const double *ancestor,
                                 gsl_rng *rng, double *theta)
{
    for (size_t a = 0; a < k->n; a++) {
        size_t c = k->col[a];
        double u = gsl_rng_uniform(rng); /* [0, 1) */
        if (k->categories[a]) {
            unsigned cats = k->categories[a], from = (unsigned)ancestor[c];
            if (u < PMC_KERNEL_STAY) {
                theta[c] = from;
                continue;
            }
            /* One of the other cats - 1 categories, uniformly: skip `from`. */
            unsigned j = (unsigned)((u - PMC_KERNEL_STAY) / (1.0 - PMC_KERNEL_STAY) * (cats - 1));
            j = j < cats - 1 ? j : cats - 2;
            theta[c] = j < from ? j : j + 1;
        } else {
            double h = k->half_width[a];
            double step = floor(u * (2.0 * h + 1.0));
            theta[c] = ancestor[c] + (step < 2.0 * h ? step : 2.0 * h) - h;
        }
    }
}

double pmc_discrete_kernel_pmf(const pmc_discrete_kernel *k, const double *from,
                               const double *to)
{
    double p = 1.0;
    for (size_t a = 0; a < k->n; a++) {
        size_t c = k->col[a];
        if (k->categories[a]) {
            unsigned cats = k->categories[a];
            p *= to[c] == from[c] ? PMC_KERNEL_STAY : (1.0 - PMC_KERNEL_STAY) / (cats - 1);
        } else {
            double h = k->half_width[a];
            if (fabs(to[c] - from[c]) > h)
                return 0.0;
            p *= 1.0 / (2.0 * h + 1.0);
        }
    }
    return p;
}

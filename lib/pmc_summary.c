/* Summaries of a weighted sample: quantiles and the posterior summary. One
 * owner for the orderings and cumulative sums that the tolerance schedule,
 * the run log and `pmcabc inspect` all rely on (and that
 * tools/pmcabc_read.py mirrors bit for bit). */
#include "pmc_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Ascending order with NaN last, so qsort sees a consistent total order
 * even if a distance is NaN. */
static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

/* Hyndman & Fan (1996) type 7 on the sorted copy s:
 * h = (n-1) q, s[floor h] + (h - floor h)(s[floor h + 1] - s[floor h]). */
static double quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    double lo = floor(h);
    size_t k = (size_t)lo;
    if (k + 1 >= n)
        return s[n - 1];
    return s[k] + (h - lo) * (s[k + 1] - s[k]);
}

double pmc_quantile(const double *x, size_t n, double q)
{
    if (n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NAN;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double r = quantile_sorted(s, n, q);
    free(s);
    return r;
}

typedef struct {
    double x, w;
    size_t idx;
} weighted_point;

/* Ascending x, NaN last, ties by index: a total order, so the sorted
 * sequence (and the cumulative sum) is the same on every rank. */
static int cmp_point(const void *pa, const void *pb)
{
    const weighted_point *a = pa, *b = pb;
    int c = cmp_double(&a->x, &b->x);
    if (c)
        return c;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

double pmc_weighted_quantile(const double *x, const double *w, size_t n, double q)
{
    if (n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    weighted_point *s = malloc(n * sizeof *s);
    if (!s)
        return NAN;
    for (size_t i = 0; i < n; i++)
        s[i] = (weighted_point){x[i], w[i], i};
    qsort(s, n, sizeof *s, cmp_point);
    double total = 0;
    for (size_t k = 0; k < n; k++)
        total += s[k].w;
    double r = NAN;
    if (total > 0 && isfinite(total)) {
        double target = q * total, cum = 0;
        r = s[n - 1].x; /* rounding may leave the last C_k a hair below q W */
        for (size_t k = 0; k < n; k++) {
            cum += s[k].w;
            if (cum >= target && s[k].w > 0) {
                r = s[k].x;
                break;
            }
        }
    }
    free(s);
    return r;
}

/* The posterior summary's quantile on points sorted by cmp_point under
 * normalised weights: the smallest value whose cumulative weight reaches q.
 * It is pmc_weighted_quantile's rule with the total taken as 1 (the weights
 * as stored), which tools/pmcabc_read.py repeats. */
static double normalised_quantile(const weighted_point *v, size_t n, double q)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) {
        acc += v[i].w;
        if (acc >= q)
            return v[i].x;
    }
    return v[n - 1].x;
}

/* Contract: see pmc_summary.h. */
int pmc_posterior_summarize(const double *theta, const double *w, size_t n, size_t d,
                            pmc_marginal_summary *out, pmc_err *err)
{
    if (n == 0 || d == 0)
        return pmc_err_set(err, PMC_EINVAL, "posterior summary: %zu particles x %zu parameters: "
                           "expected at least one of each", n, d);
    weighted_point *v = malloc(n * sizeof *v);
    if (!v)
        return pmc_err_set(err, PMC_ENOMEM, "posterior summary: out of memory for %zu particles",
                           n);
    for (size_t k = 0; k < d; k++) {
        /* NaN marks a parameter the particle does not have (model choice:
         * another model's): the column is summarised over the particles
         * that have it, their weights renormalised; a column without NaN
         * takes the plain sums (scale 1). */
        double total = 0.0, scale = 1.0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(theta[i * d + k]))
                total += w[i];
        for (size_t i = 0; i < n; i++)
            if (isnan(theta[i * d + k]))
                scale = total > 0 ? 1.0 / total : NAN;
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(theta[i * d + k]))
                mean += w[i] * scale * theta[i * d + k];
        for (size_t i = 0; i < n; i++) {
            if (isnan(theta[i * d + k]))
                continue;
            double dx = theta[i * d + k] - mean;
            var += w[i] * scale * dx * dx;
            v[m++] = (weighted_point){theta[i * d + k], w[i] * scale, i};
        }
        if (m == 0) {
            out[k] = (pmc_marginal_summary){NAN, NAN, NAN, NAN, NAN};
            continue;
        }
        qsort(v, m, sizeof *v, cmp_point);
        out[k].mean = mean;
        out[k].sd = sqrt(var);
        out[k].q05 = normalised_quantile(v, m, 0.05);
        out[k].q50 = normalised_quantile(v, m, 0.5);
        out[k].q95 = normalised_quantile(v, m, 0.95);
    }
    free(v);
    return PMC_OK;
}

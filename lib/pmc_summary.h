/* Summaries of a weighted sample: the quantiles of the tolerance schedule
 * and the posterior summary of the run log and `pmcabc inspect`
 * (tools/pmcabc_read.py uses the same definitions, docs/postprocessing.md). */
#ifndef PMC_SUMMARY_H
#define PMC_SUMMARY_H

#include <stddef.h>

#include "pmc_error.h"

/* The q-quantile (0 <= q <= 1) of x[0..n-1], n >= 1, by linear interpolation
 * between order statistics (Hyndman & Fan type 7, numpy's default):
 * h = (n-1) q, result = x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)).
 * x is not modified. Returns NAN if n == 0 or allocation fails. */
double pmc_quantile(const double *x, size_t n, double q);

/* The weighted q-quantile (0 <= q <= 1) of x[0..n-1] with weights
 * w[0..n-1] >= 0 (any positive sum W): with x sorted ascending (ties by
 * index) and C_k = w_(1) + ... + w_(k) summed in that order, the smallest
 * x_(k) with C_k >= q W - the inverse of the weighted empirical CDF, as in
 * pyABC's weighted_quantile (Klinger, Rickert & Hasenauer 2018). With equal
 * weights it is Hyndman & Fan's type 1, not pmc_quantile's type 7. Returns
 * NAN if n == 0, q is outside [0, 1], W is not positive and finite, or
 * allocation fails. */
double pmc_weighted_quantile(const double *x, const double *w, size_t n, double q);

/* Weighted marginal summary of one parameter under normalised weights w. */
typedef struct {
    double mean;          /* sum_i w_i x_i, summed in index order */
    double sd;            /* sqrt(sum_i w_i (x_i - mean)^2), summed in index order */
    double q05, q50, q95; /* weighted quantiles at 0.05, 0.5, 0.95 */
} pmc_marginal_summary;

/* Summarises each column of theta (n x d, row-major) under the normalised
 * weights w: out[k] for column k. A NaN is a parameter the particle does
 * not have (model choice: another model's); a column with NaN is
 * summarised over the other particles, their weights divided by their sum
 * (the posterior given the model), and a column of NaN only gives NaN. The weighted q-quantile is the smallest
 * sampled value whose cumulative weight, summed in ascending order of value
 * (equal values in index order), reaches q; the largest value if rounding
 * keeps the total below q. Returns PMC_OK, PMC_EINVAL (n or d is 0) or
 * PMC_ENOMEM, with err filled. */
int pmc_posterior_summarize(const double *theta, const double *w, size_t n, size_t d,
                            pmc_marginal_summary *out, pmc_err *err);

#endif

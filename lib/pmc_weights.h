/* Importance weights of PMC-ABC (Beaumont et al. 2009, algorithm step 2.2):
 *   w_i  proportional to  pi(theta_i) / sum_j w_j^{prev} K(theta_i | theta_j^{prev}).
 * The kernel's normalising constant is common to all i and cancels. */
#ifndef PMC_WEIGHTS_H
#define PMC_WEIGHTS_H

#include <stddef.h>

#include "pmc_error.h"

/* Unnormalised weights for particles i in [i0, i1):
 *   out[i - i0] = exp(logprior[i]) / sum_j w_prev[j] exp(-|z[i] - z_prev[j]|^2 / 2)
 * z (rows of the new population) and z_prev (n_prev rows) are whitened with
 * the kernel (pmc_kernel_whiten), d columns, row-major. The sum over j runs
 * in index order, so each w_i is the same whichever rank computes it.
 * Returns PMC_ERUNTIME if a denominator underflows to zero. */
int pmc_weights_block(const double *z, const double *logprior, size_t i0, size_t i1,
                      const double *z_prev, const double *w_prev, size_t n_prev, size_t d,
                      double *out, pmc_err *err);

/* Divides w[0..n-1] by their sum, summed in index order. Returns PMC_ERUNTIME
 * if the sum is not positive and finite. */
int pmc_weights_normalise(double *w, size_t n, pmc_err *err);

/* Effective sample size 1 / sum w_i^2 of normalised weights. */
double pmc_weights_ess(const double *w, size_t n);

#endif

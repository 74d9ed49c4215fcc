#include "pmc_weights.h"

#include <math.h>

/* Denominator of Beaumont et al. 2009, step 2.2, with the kernel's constant
 * dropped: sum_j w_prev[j] exp(-|zi - z_prev[j]|^2 / 2), summed in index
 * order. z_prev rows are read in storage order, so the loop streams through
 * memory. */
static double pmc__kernel_mixture(const double *zi, const double *z_prev, const double *w_prev,
                                  size_t n_prev, size_t d)
{
    double sum = 0;
    for (size_t j = 0; j < n_prev; j++) {
        const double *zj = z_prev + j * d;
        double d2 = 0;
        for (size_t a = 0; a < d; a++) {
            double diff = zi[a] - zj[a];
            d2 += diff * diff;
        }
        sum += w_prev[j] * exp(-0.5 * d2);
    }
    return sum;
}

int pmc_weights_block(const double *z, const double *logprior, size_t i0, size_t i1,
                      const double *z_prev, const double *w_prev, size_t n_prev, size_t d,
                      double *out, pmc_err *err)
{
    for (size_t i = i0; i < i1; i++) {
        double prior = exp(logprior[i]);
        if (prior == 0) {
            /* Zero prior density: the weight is 0 whatever the denominator. */
            out[i - i0] = 0;
            continue;
        }
        double denom = pmc__kernel_mixture(z + i * d, z_prev, w_prev, n_prev, d);
        if (!(denom > 0))
            return pmc_err_set(err, PMC_ERUNTIME,
                               "weight of particle %zu: kernel mixture density underflowed to "
                               "zero (the particle lies more than about 38 kernel standard "
                               "deviations from every previous particle)", i);
        out[i - i0] = prior / denom;
    }
    return PMC_OK;
}

int pmc_weights_normalise(double *w, size_t n, pmc_err *err)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    if (!(sum > 0) || !isfinite(sum))
        return pmc_err_set(err, PMC_ERUNTIME,
                           "weights of %zu particles sum to %g; expected a positive finite sum",
                           n, sum);
    for (size_t i = 0; i < n; i++)
        w[i] /= sum;
    return PMC_OK;
}

/* Kish's effective sample size, 1 / sum w_i^2 for weights summing to 1. */
double pmc_weights_ess(const double *w, size_t n)
{
    double s2 = 0;
    for (size_t i = 0; i < n; i++)
        s2 += w[i] * w[i];
    return 1.0 / s2;
}

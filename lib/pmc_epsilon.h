/* The tolerance schedule: epsilon_t = max(minimum, q-quantile of generation
 * t-1's accepted distances). */
#ifndef PMC_EPSILON_H
#define PMC_EPSILON_H

#include <stddef.h>

/* The q-quantile (0 <= q <= 1) of x[0..n-1], n >= 1, by linear interpolation
 * between order statistics (Hyndman & Fan type 7, numpy's default):
 * h = (n-1) q, result = x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)).
 * x is not modified. Returns NAN if n == 0 or allocation fails. */
double pmc_quantile(const double *x, size_t n, double q);

/* Next tolerance: max(minimum, pmc_quantile(distances, n, q)). */
double pmc_epsilon_next(const double *distances, size_t n, double q, double minimum);

#endif

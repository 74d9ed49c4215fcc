#include "pmc_epsilon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Ascending order with NaN last, so qsort sees a consistent total order
 * even if a distance is NaN. */
static int pmc__cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

/* Hyndman & Fan (1996) type 7 on the sorted copy s:
 * h = (n-1) q, s[floor h] + (h - floor h)(s[floor h + 1] - s[floor h]). */
static double pmc__quantile_sorted(const double *s, size_t n, double q)
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
    qsort(s, n, sizeof *s, pmc__cmp_double);
    double r = pmc__quantile_sorted(s, n, q);
    free(s);
    return r;
}

/* A failed quantile (NaN) is passed on rather than hidden behind the
 * minimum, which fmax would return. */
double pmc_epsilon_next(const double *distances, size_t n, double q, double minimum)
{
    double e = pmc_quantile(distances, n, q);
    if (isnan(e))
        return NAN;
    return e > minimum ? e : minimum;
}

#include "pmc_distance.h"

#include <math.h>
#include <string.h>

int pmc_distance_lookup(const char *name, pmc_distance_kind *out, pmc_err *err)
{
    if (!strcmp(name, "euclidean")) {
        *out = PMC_DISTANCE_EUCLIDEAN;
        return PMC_OK;
    }
    (void)name;
    return pmc_err_set(err, PMC_EINVAL, "unknown distance (known: euclidean)");
}

double pmc_distance(pmc_distance_kind kind, const double *a, const double *b, size_t n)
{
    (void)kind;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        s += d * d;
    }
    return sqrt(s);
}

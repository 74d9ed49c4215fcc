/* Distances between vectors of summary statistics. */
#ifndef PMC_DISTANCE_H
#define PMC_DISTANCE_H

#include <stddef.h>

#include "pmc_error.h"

typedef enum { PMC_DISTANCE_EUCLIDEAN } pmc_distance_kind;

/* Looks up a distance by its config name; PMC_EINVAL with the list of known
 * names if unknown. */
int pmc_distance_lookup(const char *name, pmc_distance_kind *out, pmc_err *err);

/* Distance between a and b (n statistics each). */
double pmc_distance(pmc_distance_kind kind, const double *a, const double *b, size_t n);

#endif

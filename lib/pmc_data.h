/* Observed data files: one column of numbers, one per line; blank lines and
 * text after '#' are ignored. */
#ifndef PMC_DATA_H
#define PMC_DATA_H

#include <stddef.h>

#include "pmc_error.h"

/* Reads a one-column numeric file into a malloc'd array (*values, *n).
 * Errors (PMC_EINVAL, also for a file that cannot be opened; PMC_EIO for a
 * read error) name the file
 * and line: a non-number, NaN or infinite value, more than one column, an
 * empty file (no numbers at all). `origin` (may be NULL) is prefixed to the
 * message, e.g. "jobs/gaussian.ini:9: [model] data: data/heights.csv". */
int pmc_data_read_column(const char *path, const char *origin, double **values, size_t *n,
                         pmc_err *err);

#endif

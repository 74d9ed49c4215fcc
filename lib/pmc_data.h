/* Observed data files (docs/models.md#observed-data): either one column of
 * numbers, one per line, or a table whose header row names its columns,
 * read when [model] data_columns selects columns by name. In both, blank
 * lines and text after '#' are ignored. */
#ifndef PMC_DATA_H
#define PMC_DATA_H

#include <stddef.h>

#include "pmc_error.h"

/* The observed data as the models see it: the selected columns of a table,
 * or the one column of a file without header. */
typedef struct pmc_table {
    double *values;     /* n_rows * n_columns numbers, row by row */
    size_t n_rows;
    size_t n_columns;   /* 1 for a file without header */
    char **names;       /* n_columns names in selection order; NULL without header */
    size_t header_line; /* line of the header row; 0 without header */
} pmc_table;

/* Reads a one-column numeric file into a malloc'd array (*values, *n).
 * Errors (PMC_EINVAL, also for a file that cannot be opened; PMC_EIO for a
 * read error) name the file
 * and line: a non-number, NaN or infinite value, more than one column, an
 * empty file (no numbers at all). `origin` (may be NULL) is prefixed to the
 * message, e.g. "jobs/gaussian.ini:9: [model] data: data/heights.csv". */
int pmc_data_read_column(const char *path, const char *origin, double **values, size_t *n,
                         pmc_err *err);

/* Reads the observed data into *t. columns NULL: a one-column file
 * (pmc_data_read_column; t->names NULL). Otherwise columns is a list of
 * column names as pmc_data_columns_normalise accepts it, and the file must
 * be a table with a header row; t gets those columns, in that order.
 * Errors are PMC_EINVAL (exit 2) unless memory or reading fails: about the
 * file's content (ragged row, cell that is not a finite number, duplicate
 * column names, header only) they name FILE:LINE after `origin`; about the
 * selection (a name not in the header, a file without header row) they
 * start with `columns_origin`, e.g. "job.ini:14: [model] data_columns:
 * prey, predator". On failure *t is empty. */
int pmc_data_read_table(const char *path, const char *origin, const char *columns,
                        const char *columns_origin, pmc_table *t, pmc_err *err);

/* Frees what pmc_data_read_table allocated and empties *t. */
void pmc_table_free(pmc_table *t);

/* Checks a list of column names written like a header row (comma-separated,
 * a name may be double-quoted) and writes its normalised form ("a, b",
 * quotes only where needed) to out (len bytes) and the count to *n.
 * PMC_EINVAL with what was expected in why (why_len bytes) for an empty
 * name, a name listed twice, an unterminated quote or an out too small. */
int pmc_data_columns_normalise(const char *list, char *out, size_t len, size_t *n, char *why,
                               size_t why_len);

#endif

#include "pmc_data.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Lines longer than this are rejected rather than silently split. */
#define DATA_LINE_MAX 4096

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Parses one data line; *has_value = 0 for blank or comment lines. */
static int parse_line(char *line, double *value, int *has_value, const char **why)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *s = trim(line);
    *has_value = 0;
    if (*s == '\0')
        return PMC_OK;
    if (strchr(s, ',') || strchr(s, ';') || strchr(s, '\t') || strchr(s, ' ')) {
        *why = "expected one column (one number per line)";
        return PMC_EINVAL;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') {
        *why = "not a number";
        return PMC_EINVAL;
    }
    if (errno == ERANGE && fabs(v) > 1.0) {
        *why = "number out of range";
        return PMC_EINVAL;
    }
    if (!isfinite(v)) {
        *why = "expected a finite number (NaN and infinity are not data)";
        return PMC_EINVAL;
    }
    *value = v;
    *has_value = 1;
    return PMC_OK;
}

static int push_value(double **values, size_t *n, size_t *cap, double v)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 256;
        double *p = realloc(*values, nc * sizeof *p);
        if (!p)
            return PMC_ENOMEM;
        *values = p;
        *cap = nc;
    }
    (*values)[(*n)++] = v;
    return PMC_OK;
}

int pmc_data_read_column(const char *path, const char *origin, double **values, size_t *n,
                         pmc_err *err)
{
    const char *pre = origin ? origin : "";
    const char *sep = origin ? ": " : "";
    *values = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return pmc_err_set(err, PMC_EINVAL, "%s%scannot open data file %s: %s", pre, sep, path,
                           strerror(errno));
    /* fopen opens a directory; its first read fails with EISDIR, which is a
     * wrong path (exit 2), not an I/O failure. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return pmc_err_set(err, PMC_EINVAL, "%s%scannot open data file %s: %s (expected a file "
                           "of numbers)", pre, sep, path, strerror(EISDIR));
    }
    char line[DATA_LINE_MAX];
    size_t cap = 0, lineno = 0;
    int rc = PMC_OK;
    while (rc == PMC_OK && fgets(line, sizeof line, f)) {
        lineno++;
        /* A UTF-8 byte-order mark (some spreadsheet exports) is not data. */
        if (lineno == 1 && !strncmp(line, PMC_UTF8_BOM, 3))
            memmove(line, line + 3, strlen(line + 3) + 1);
        if (!strchr(line, '\n') && !feof(f)) {
            rc = pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: line longer than %d characters", pre,
                             sep, path, lineno, DATA_LINE_MAX - 2);
            break;
        }
        double v;
        int has = 0;
        const char *why = NULL;
        char copy[DATA_LINE_MAX];
        memcpy(copy, line, sizeof copy);
        if (parse_line(line, &v, &has, &why) != PMC_OK)
            rc = pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: '%s': %s", pre, sep, path, lineno,
                             trim(copy), why);
        else if (has && push_value(values, n, &cap, v) != PMC_OK)
            rc = pmc_err_set(err, PMC_ENOMEM, "out of memory reading %s", path);
    }
    if (rc == PMC_OK && ferror(f))
        rc = pmc_err_set(err, PMC_EIO, "%s%s%s: read error: %s", pre, sep, path, strerror(errno));
    fclose(f);
    if (rc == PMC_OK && *n == 0)
        rc = pmc_err_set(err, PMC_EINVAL, "%s%s%s: no data (the file holds no numbers)", pre,
                         sep, path);
    if (rc != PMC_OK) {
        free(*values);
        *values = NULL;
        *n = 0;
    }
    return rc;
}

#include "pmc_data.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "pmc_util.h"

/* Lines longer than this are rejected rather than silently split. */
#define DATA_LINE_MAX 4096
/* A table row is one line however many columns it has; the cap only keeps a
 * binary file from being read as one huge line. */
#define TABLE_LINE_MAX (1 << 20)

/* Shown after the first line of a one-column file when it is not a number:
 * most often the file is a table and its header row is that line. */
#define TABLE_HINT "; a table with a header row needs [model] data_columns to select its columns"


/* NULL if s is a finite number (then stored in *value), else why it is not. */
static const char *parse_number(const char *s, double *value)
{
    switch (pmc_number_parse(s, strlen(s), value)) {
    case PMC_NUMBER_OK:
    case PMC_NUMBER_UNDERFLOW:
        return NULL;
    case PMC_NUMBER_SYNTAX:
        return "not a number";
    case PMC_NUMBER_OVERFLOW:
        return "number out of range";
    case PMC_NUMBER_NAN:
    case PMC_NUMBER_INFINITE:
        break;
    }
    return "expected a finite number (NaN and infinity are not data)";
}

/* Parses one line of a one-column file; *has_value = 0 for blank or comment
 * lines. */
static int parse_line(char *line, double *value, int *has_value, const char **why)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *s = pmc_trim(line);
    *has_value = 0;
    if (*s == '\0')
        return PMC_OK;
    if (strchr(s, ',') || strchr(s, ';') || strchr(s, '\t') || strchr(s, ' ')) {
        *why = "expected one column (one number per line)";
        return PMC_EINVAL;
    }
    *why = parse_number(s, value);
    if (*why)
        return PMC_EINVAL;
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

/* --- reading lines --- */

/* One data file read line by line; messages start with "ORIGIN: " (pre, sep). */
typedef struct {
    FILE *f;
    const char *path, *pre, *sep;
    char *buf;
    size_t max; /* of buf: lines of up to max - 2 characters */
    size_t lineno;
} line_reader;

static int reader_open(line_reader *r, const char *path, const char *origin, size_t max,
                       pmc_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->pre = origin ? origin : "";
    r->sep = origin ? ": " : "";
    r->max = max;
    r->f = fopen(path, "r");
    if (!r->f)
        return pmc_err_set(err, PMC_EINVAL, "%s%scannot open data file %s: %s", r->pre, r->sep,
                           path, strerror(errno));
    /* fopen opens a directory; its first read fails with EISDIR, which is a
     * wrong path (exit 2), not an I/O failure. */
    struct stat sb;
    if (fstat(fileno(r->f), &sb) == 0 && S_ISDIR(sb.st_mode))
        return pmc_err_set(err, PMC_EINVAL, "%s%scannot open data file %s: %s (expected a file "
                           "of numbers)", r->pre, r->sep, path, strerror(EISDIR));
    r->buf = malloc(max);
    if (!r->buf)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory reading %s", path);
    return PMC_OK;
}

/* The next line (*line points into r->buf), or *line = NULL at the end. */
static int reader_next(line_reader *r, char **line, pmc_err *err)
{
    *line = NULL;
    if (!fgets(r->buf, (int)r->max, r->f)) {
        if (ferror(r->f))
            return pmc_err_set(err, PMC_EIO, "%s%s%s: read error: %s", r->pre, r->sep, r->path,
                               strerror(errno));
        return PMC_OK;
    }
    r->lineno++;
    /* A UTF-8 byte-order mark (some spreadsheet exports) is not data. */
    if (r->lineno == 1 && !strncmp(r->buf, PMC_UTF8_BOM, 3))
        memmove(r->buf, r->buf + 3, strlen(r->buf + 3) + 1);
    if (!strchr(r->buf, '\n') && !feof(r->f))
        return pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: line longer than %zu characters", r->pre,
                           r->sep, r->path, r->lineno, r->max - 2);
    *line = r->buf;
    return PMC_OK;
}

static void reader_close(line_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->buf);
}

int pmc_data_read_column(const char *path, const char *origin, double **values, size_t *n,
                         pmc_err *err)
{
    *values = NULL;
    *n = 0;
    line_reader r;
    int rc = reader_open(&r, path, origin, DATA_LINE_MAX, err);
    size_t cap = 0;
    char *line = NULL;
    while (rc == PMC_OK && (rc = reader_next(&r, &line, err)) == PMC_OK && line) {
        double v;
        int has = 0;
        const char *why = NULL;
        char copy[DATA_LINE_MAX];
        memcpy(copy, line, strlen(line) + 1);
        if (parse_line(line, &v, &has, &why) != PMC_OK) {
            /* Only the first line with text can be a header row. */
            int header_like = *n == 0 && (!strcmp(why, "not a number") ||
                                          !strncmp(why, "expected one column", 19));
            rc = pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: '%s': %s%s", r.pre, r.sep, path,
                             r.lineno, pmc_trim(copy), why, header_like ? TABLE_HINT : "");
        }
        else if (has && push_value(values, n, &cap, v) != PMC_OK)
            rc = pmc_err_set(err, PMC_ENOMEM, "out of memory reading %s", path);
    }
    reader_close(&r);
    if (rc == PMC_OK && *n == 0)
        rc = pmc_err_set(err, PMC_EINVAL, "%s%s%s: no data (the file holds no numbers)", r.pre,
                         r.sep, path);
    if (rc != PMC_OK) {
        free(*values);
        *values = NULL;
        *n = 0;
    }
    return rc;
}

/* --- tables --- */

typedef struct {
    char **cell;
    size_t n, cap;
} cell_list;

/* Whitespace around a cell, but never the separator (a tab may be one). */
static int is_blank(char c, char sep)
{
    return c != sep && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f');
}

static int push_cell(cell_list *c, char *cell)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 16;
        char **p = realloc(c->cell, nc * sizeof *p);
        if (!p)
            return PMC_ENOMEM;
        c->cell = p;
        c->cap = nc;
    }
    c->cell[c->n++] = cell;
    return PMC_OK;
}

/* Splits line in place into the cells between separators sep, as CSV does
 * (RFC 4180, except that a quoted cell ends on its line): whitespace around
 * a cell is dropped; a cell in double quotes keeps its text as it is, with
 * "" for a quote, so it may hold the separator or '#'. With comments, '#'
 * outside quotes ends the line, and a blank or comment line has no cells.
 * PMC_EINVAL with *why for a quote that is not closed or text after one. */
static int split_cells(char *line, char sep, int comments, cell_list *c, const char **why)
{
    c->n = 0;
    /* Cells are written back over the line: w never passes r. */
    char *r = line, *w = line;
    while (is_blank(*r, sep))
        r++;
    if (*r == '\0' || (comments && *r == '#'))
        return PMC_OK;
    for (;;) {
        while (is_blank(*r, sep))
            r++;
        char *start = w;
        if (*r == '"') {
            for (r++;; r++) {
                if (*r == '\0' || *r == '\n') {
                    *why = "unterminated quote: a quoted cell must end on its line";
                    return PMC_EINVAL;
                }
                if (*r == '"' && r[1] != '"')
                    break;
                *w++ = *r;
                r += *r == '"'; /* "" is one quote */
            }
            for (r++; is_blank(*r, sep); r++)
                ;
            if (*r != sep && *r != '\0' && !(comments && *r == '#')) {
                *why = "text after a closing quote: expected a separator after a quoted cell";
                return PMC_EINVAL;
            }
        } else {
            while (*r != sep && *r != '\0' && !(comments && *r == '#'))
                *w++ = *r++;
            while (w > start && is_blank(w[-1], sep))
                w--;
        }
        char end = *r;
        *w++ = '\0';
        if (push_cell(c, start) != PMC_OK)
            return PMC_ENOMEM;
        if (end != sep)
            return PMC_OK;
        r++;
    }
}

/* A table's separator, from its header row: ',' or, in a header without
 * commas, a tab, else ';' (what spreadsheets export); characters inside
 * quotes and after a comment do not count. */
static char detect_separator(const char *line)
{
    int quoted = 0, tab = 0, semicolon = 0;
    for (const char *p = line; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (quoted)
            continue;
        else if (*p == '#')
            break;
        else if (*p == ',')
            return ',';
        else
            tab |= *p == '\t', semicolon |= *p == ';';
    }
    return tab ? '\t' : semicolon ? ';' : ',';
}

/* "a, b, c" into buf (len bytes), cut with "..." when it does not fit. */
static void format_names(char *const *names, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         names[i][0] ? names[i] : "\"\"");
        if (k < 0 || (size_t)k >= len - used) {
            if (len > 4)
                strcpy(buf + len - 4, "...");
            return;
        }
        used += (size_t)k;
    }
}

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Copies of the n cells (NULL if out of memory). */
static char **copy_cells(const cell_list *c)
{
    char **names = calloc(c->n ? c->n : 1, sizeof *names);
    for (size_t i = 0; names && i < c->n; i++)
        if (!(names[i] = strdup(c->cell[i]))) {
            free_names(names, i);
            return NULL;
        }
    return names;
}

/* The names of a data_columns list: PMC_EINVAL with why for an empty name,
 * a name listed twice or a bad quote. */
static int split_columns(const char *list, char ***names, size_t *n, char *why, size_t why_len)
{
    *names = NULL;
    *n = 0;
    char *copy = strdup(list);
    cell_list c = {NULL, 0, 0};
    const char *bad = NULL;
    int rc = copy ? split_cells(copy, ',', 0, &c, &bad) : PMC_ENOMEM;
    if (rc == PMC_EINVAL)
        snprintf(why, why_len, "%s", bad);
    else if (rc == PMC_OK && c.n == 0) {
        snprintf(why, why_len, "expected a comma-separated list of column names");
        rc = PMC_EINVAL;
    }
    for (size_t i = 0; rc == PMC_OK && i < c.n; i++) {
        if (!c.cell[i][0]) {
            snprintf(why, why_len, "name %zu is empty: expected a comma-separated list of "
                     "column names", i + 1);
            rc = PMC_EINVAL;
        }
        for (size_t j = 0; rc == PMC_OK && j < i; j++)
            if (!strcmp(c.cell[i], c.cell[j])) {
                snprintf(why, why_len, "'%s' is listed twice: expected each column once",
                         c.cell[i]);
                rc = PMC_EINVAL;
            }
    }
    if (rc == PMC_OK && !(*names = copy_cells(&c)))
        rc = PMC_ENOMEM;
    if (rc == PMC_ENOMEM)
        snprintf(why, why_len, "out of memory");
    if (rc == PMC_OK)
        *n = c.n;
    free(c.cell);
    free(copy);
    return rc;
}

int pmc_data_columns_normalise(const char *list, char *out, size_t len, size_t *n, char *why,
                               size_t why_len)
{
    char **names = NULL;
    int rc = split_columns(list, &names, n, why, why_len);
    size_t used = 0;
    for (size_t i = 0; rc == PMC_OK && i < *n; i++) {
        const char *s = names[i];
        size_t sl = strlen(s);
        /* Quoted only where a plain name would read back differently; a
         * name starting with '#' after ", " would read back as a comment. */
        int quote = strpbrk(s, ",\"#") || is_blank(s[0], ',') || is_blank(s[sl - 1], ',');
        if (used + 2 * sl + 5 > len) {
            snprintf(why, why_len, "too long: expected at most %zu characters", len - 1);
            rc = PMC_EINVAL;
            break;
        }
        if (i) {
            memcpy(out + used, ", ", 2);
            used += 2;
        }
        if (quote)
            out[used++] = '"';
        for (; *s; s++) {
            if (*s == '"')
                out[used++] = '"';
            out[used++] = *s;
        }
        if (quote)
            out[used++] = '"';
        out[used] = '\0';
    }
    free_names(names, *n);
    if (rc != PMC_OK)
        *n = 0;
    return rc;
}

void pmc_table_free(pmc_table *t)
{
    if (!t)
        return;
    free(t->values);
    free_names(t->names, t->names ? t->n_columns : 0);
    memset(t, 0, sizeof *t);
}

/* The state of one pmc_data_read_table call, freed in one place. */
typedef struct {
    line_reader r;
    const char *columns_origin;
    cell_list c;
    char **header; /* the header row's names */
    size_t n_header;
    char *header_text; /* the header row as written, for messages */
    size_t *pick;      /* header index of each selected column */
    size_t cap;        /* of the table's values */
    char list[512];    /* names formatted for a message */
} table_reader;

/* Finds the header row: the first line with cells. */
static int read_header(table_reader *tr, pmc_table *t, char *sep, pmc_err *err)
{
    line_reader *r = &tr->r;
    char *line = NULL;
    for (;;) {
        int rc = reader_next(r, &line, err);
        if (rc != PMC_OK)
            return rc;
        if (!line)
            return pmc_err_set(err, PMC_EINVAL, "%s%s%s: no data (the file holds no header row "
                               "and no rows)", r->pre, r->sep, r->path);
        *sep = detect_separator(line);
        if (!(tr->header_text = strdup(line)))
            return pmc_err_set(err, PMC_ENOMEM, "out of memory reading %s", r->path);
        const char *why = NULL;
        rc = split_cells(line, *sep, 1, &tr->c, &why);
        if (rc == PMC_EINVAL)
            return pmc_err_set(err, rc, "%s%s%s:%zu: header row: %s", r->pre, r->sep, r->path,
                               r->lineno, why);
        if (rc != PMC_OK)
            return pmc_err_set(err, rc, "out of memory reading %s", r->path);
        if (tr->c.n > 0)
            break;
        free(tr->header_text);
        tr->header_text = NULL;
    }
    t->header_line = r->lineno;
    if (!(tr->header = copy_cells(&tr->c)))
        return pmc_err_set(err, PMC_ENOMEM, "out of memory reading %s", r->path);
    tr->n_header = tr->c.n;
    return PMC_OK;
}

/* The header must name its columns, each name once. */
static int check_header(table_reader *tr, const pmc_table *t, pmc_err *err)
{
    const line_reader *r = &tr->r;
    size_t numbers = 0;
    for (size_t i = 0; i < tr->n_header; i++) {
        double v;
        numbers += tr->header[i][0] && !parse_number(tr->header[i], &v);
    }
    if (numbers == tr->n_header)
        return pmc_err_set(err, PMC_EINVAL, "%s: %s:%zu: '%s': expected a header row naming the "
                           "columns, found numbers (a file of one number per line has no "
                           "header: read it without data_columns)", tr->columns_origin, r->path,
                           t->header_line, pmc_trim(tr->header_text));
    for (size_t i = 0; i < tr->n_header; i++)
        for (size_t j = 0; tr->header[i][0] && j < i; j++)
            if (!strcmp(tr->header[i], tr->header[j]))
                return pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: column '%s' appears twice in the "
                                   "header (columns %zu and %zu): expected unique column names",
                                   r->pre, r->sep, r->path, t->header_line, tr->header[i], j + 1,
                                   i + 1);
    return PMC_OK;
}

/* Maps each selected name to its header column. */
static int pick_columns(table_reader *tr, const pmc_table *t, pmc_err *err)
{
    if (!(tr->pick = calloc(t->n_columns, sizeof *tr->pick)))
        return pmc_err_set(err, PMC_ENOMEM, "out of memory reading %s", tr->r.path);
    for (size_t j = 0; j < t->n_columns; j++) {
        size_t i = 0;
        while (i < tr->n_header && strcmp(tr->header[i], t->names[j]) != 0)
            i++;
        tr->pick[j] = i;
        if (i < tr->n_header)
            continue;
        char hint[256] = "";
        for (i = 0; i < tr->n_header; i++)
            if (!strcasecmp(tr->header[i], t->names[j])) {
                snprintf(hint, sizeof hint, "; names are case-sensitive: did you mean '%s'?",
                         tr->header[i]);
                break;
            }
        format_names(tr->header, tr->n_header, tr->list, sizeof tr->list);
        return pmc_err_set(err, PMC_EINVAL, "%s: no column '%s' in the header of %s:%zu (its "
                           "columns: %s)%s", tr->columns_origin, t->names[j], tr->r.path,
                           t->header_line, tr->list, hint);
    }
    return PMC_OK;
}

/* Reads the rows after the header, keeping the selected cells. */
static int read_rows(table_reader *tr, pmc_table *t, char sep, pmc_err *err)
{
    line_reader *r = &tr->r;
    size_t n_values = 0;
    char *line = NULL;
    int rc;
    while ((rc = reader_next(r, &line, err)) == PMC_OK && line) {
        const char *why = NULL;
        rc = split_cells(line, sep, 1, &tr->c, &why);
        if (rc == PMC_EINVAL)
            return pmc_err_set(err, rc, "%s%s%s:%zu: %s", r->pre, r->sep, r->path, r->lineno,
                               why);
        if (rc != PMC_OK)
            return pmc_err_set(err, rc, "out of memory reading %s", r->path);
        if (tr->c.n == 0)
            continue;
        if (tr->c.n != tr->n_header) {
            format_names(tr->header, tr->n_header, tr->list, sizeof tr->list);
            return pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: %zu cell%s, but the header (line "
                               "%zu) names %zu column%s (%s): expected one cell per column",
                               r->pre, r->sep, r->path, r->lineno, tr->c.n,
                               tr->c.n == 1 ? "" : "s", t->header_line, tr->n_header,
                               tr->n_header == 1 ? "" : "s", tr->list);
        }
        t->n_rows++;
        for (size_t j = 0; j < t->n_columns; j++) {
            const char *cell = tr->c.cell[tr->pick[j]];
            double v = 0.0;
            why = cell[0] ? parse_number(cell, &v)
                          : "empty cell: expected a number (a missing value is not data)";
            if (why)
                return pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: row %zu, column '%s': '%s': %s",
                                   r->pre, r->sep, r->path, r->lineno, t->n_rows, t->names[j],
                                   cell, why);
            if (push_value(&t->values, &n_values, &tr->cap, v) != PMC_OK)
                return pmc_err_set(err, PMC_ENOMEM, "out of memory reading %s", r->path);
        }
    }
    if (rc != PMC_OK)
        return rc;
    if (t->n_rows == 0) {
        format_names(tr->header, tr->n_header, tr->list, sizeof tr->list);
        return pmc_err_set(err, PMC_EINVAL, "%s%s%s:%zu: no data: the header row (%s) is not "
                           "followed by any row", r->pre, r->sep, r->path, t->header_line,
                           tr->list);
    }
    return PMC_OK;
}

int pmc_data_read_table(const char *path, const char *origin, const char *columns,
                        const char *columns_origin, pmc_table *t, pmc_err *err)
{
    memset(t, 0, sizeof *t);
    if (!columns) {
        int rc = pmc_data_read_column(path, origin, &t->values, &t->n_rows, err);
        t->n_columns = rc == PMC_OK;
        return rc;
    }
    table_reader tr;
    memset(&tr, 0, sizeof tr);
    tr.columns_origin = columns_origin ? columns_origin : "data_columns";
    char why[256];
    int rc = split_columns(columns, &t->names, &t->n_columns, why, sizeof why);
    if (rc != PMC_OK)
        rc = pmc_err_set(err, rc, "%s: %s", tr.columns_origin, why);
    char sep = ',';
    if (rc == PMC_OK)
        rc = reader_open(&tr.r, path, origin, TABLE_LINE_MAX, err);
    if (rc == PMC_OK)
        rc = read_header(&tr, t, &sep, err);
    if (rc == PMC_OK)
        rc = check_header(&tr, t, err);
    if (rc == PMC_OK)
        rc = pick_columns(&tr, t, err);
    if (rc == PMC_OK)
        rc = read_rows(&tr, t, sep, err);
    reader_close(&tr.r);
    free(tr.c.cell);
    free_names(tr.header, tr.n_header);
    free(tr.header_text);
    free(tr.pick);
    if (rc != PMC_OK)
        pmc_table_free(t);
    return rc;
}

/* Observed data files, one-column files and tables: good files with
 * comments, blank lines and quotes, and one test per bad input (status +
 * message naming the file and line). Each test writes its own temporary file
 * and removes it. */
#include <stdlib.h>
#include <unistd.h>

#include "pmc_data.h"
#include "pmc_test.h"

#define ORIGIN "job.ini:9: [model] data"

/* Writes len bytes of text to a new temporary file; its path goes to path. */
static void write_temp(const char *text, size_t len, char path[64])
{
    snprintf(path, 64, "/tmp/pmc-data-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        abort();
    }
    FILE *f = fdopen(fd, "w");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Reading text must fail with PMC_EINVAL, a NULL/0 result and a message that
 * holds the origin, the temp file's path, then "path:line:" when line > 0,
 * and `fragment`. */
static void expect_error_len(const char *text, size_t len, int line, const char *fragment)
{
    char path[64], at[96];
    write_temp(text, len, path);
    double *x = (double *)&x; /* not NULL: the reader must reset it */
    size_t n = 99;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_data_read_column(path, ORIGIN, &x, &n, &err), PMC_EINVAL);
    PMC_CHECK_INT(err.code, PMC_EINVAL);
    PMC_CHECK(x == NULL);
    PMC_CHECK_INT(n, 0);
    PMC_CHECK_CONTAINS(err.msg, ORIGIN ": ");
    if (line > 0)
        snprintf(at, sizeof at, "%s:%d: ", path, line);
    else
        snprintf(at, sizeof at, "%s: ", path);
    PMC_CHECK_CONTAINS(err.msg, at);
    PMC_CHECK_CONTAINS(err.msg, fragment);
    unlink(path);
}

static void expect_error(const char *text, int line, const char *fragment)
{
    expect_error_len(text, strlen(text), line, fragment);
}

PMC_TEST(data_good_with_comments)
{
    const char *text = "# heights in cm\n"
                       "\n"
                       "170.5\n"
                       "  -2.25   # trailing comment\n"
                       "\t\n"
                       "1e3\r\n"
                       "# the end\n"
                       "0.125"; /* no final newline */
    char path[64];
    write_temp(text, strlen(text), path);
    double *x = NULL;
    size_t n = 0;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_data_read_column(path, NULL, &x, &n, &err), PMC_OK);
    PMC_CHECK_INT(n, 4);
    if (x && n == 4) {
        PMC_CHECK(x[0] == 170.5);
        PMC_CHECK(x[1] == -2.25);
        PMC_CHECK(x[2] == 1000.0);
        PMC_CHECK(x[3] == 0.125);
    }
    free(x);
    unlink(path);
}

PMC_TEST(data_not_a_number)
{
    expect_error("1.5\n# comment\n2.5x\n3\n", 3, "'2.5x': not a number");
}

PMC_TEST(data_not_a_number_without_origin)
{
    char path[64];
    write_temp("1\nabc\n", 6, path);
    double *x = NULL;
    size_t n = 0;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_data_read_column(path, NULL, &x, &n, &err), PMC_EINVAL);
    /* With no origin the message starts with the file itself. */
    PMC_CHECK(strncmp(err.msg, path, strlen(path)) == 0);
    PMC_CHECK_CONTAINS(err.msg, ":2: 'abc': not a number");
    PMC_CHECK(x == NULL);
    unlink(path);
}

PMC_TEST(data_nan)
{
    expect_error("1\n2\nNaN\n", 3, "expected a finite number");
}

PMC_TEST(data_inf)
{
    expect_error("1\n-inf\n", 2, "expected a finite number");
}

PMC_TEST(data_two_columns)
{
    expect_error("1\n2 3\n", 2, "expected one column");
    expect_error("1,2\n", 1, "expected one column");
    expect_error("4\n5\t6\n", 2, "expected one column");
}

PMC_TEST(data_empty_file)
{
    expect_error("", 0, "no data");
}

PMC_TEST(data_only_comments)
{
    expect_error("# nothing\n\n   \n# here\n", 0, "no data");
}

PMC_TEST(data_missing_file)
{
    const char *path = "/tmp/pmc-data-does-not-exist/none.csv";
    double *x = (double *)&x;
    size_t n = 99;
    pmc_err err;
    pmc_err_clear(&err);
    /* A wrong data path is a config mistake: exit code 2 ("invalid ... data"),
     * like every other bad input, so PMC_EINVAL rather than PMC_EIO. */
    PMC_CHECK_INT(pmc_data_read_column(path, ORIGIN, &x, &n, &err), PMC_EINVAL);
    PMC_CHECK_INT(err.code, PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, ORIGIN ": ");
    PMC_CHECK_CONTAINS(err.msg, path);
    PMC_CHECK_CONTAINS(err.msg, "No such file or directory");
}

PMC_TEST(data_overlong_line)
{
    /* 5000 digits: longer than the 4096-byte line buffer, must not be split
     * into two numbers. */
    size_t len = 5000;
    char *text = malloc(len + 8);
    if (!text)
        abort();
    memcpy(text, "1\n", 2);
    memset(text + 2, '7', len);
    memcpy(text + 2 + len, "\n3\n", 3);
    expect_error_len(text, len + 5, 2, "line longer than");
    free(text);
}

PMC_TEST(data_out_of_range)
{
    expect_error("1\n2\n1e999\n", 3, "'1e999': number out of range");
    expect_error("-1e999\n", 1, "number out of range");
}

PMC_TEST(data_directory)
{
    /* fopen opens a directory; the reader must say what it is (exit 2), not
     * report a read error (exit 1). */
    double *x = (double *)&x;
    size_t n = 99;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_data_read_column("/tmp", ORIGIN, &x, &n, &err), PMC_EINVAL);
    PMC_CHECK(x == NULL);
    PMC_CHECK_CONTAINS(err.msg, ORIGIN ": cannot open data file /tmp: Is a directory");
}

PMC_TEST(data_leading_bom_skipped)
{
    char path[64];
    const char *text = "\xEF\xBB\xBF" "170.5\n171\n";
    write_temp(text, strlen(text), path);
    double *x = NULL;
    size_t n = 0;
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_data_read_column(path, ORIGIN, &x, &n, &err), PMC_OK);
    PMC_CHECK_INT(n, 2);
    if (n == 2)
        PMC_CHECK(x[0] == 170.5 && x[1] == 171.0);
    free(x);
    unlink(path);
}

PMC_TEST(data_bom_inside_shown_escaped)
{
    expect_error("170\n\xEF\xBB\xBF" "171\n", 2, "'\\xEF\\xBB\\xBF171': not a number");
}

/* ---- tables ----------------------------------------------------------------- */

#define COLUMNS_ORIGIN "job.ini:10: [model] data_columns: "

/* Reads text as a table selecting `columns`; the temp file is removed. */
static int read_table_text(const char *text, const char *columns, pmc_table *t, pmc_err *err)
{
    char path[64];
    write_temp(text, strlen(text), path);
    pmc_err_clear(err);
    int rc = pmc_data_read_table(path, ORIGIN, columns, COLUMNS_ORIGIN "(list)", t, err);
    unlink(path);
    return rc;
}

/* Reading text as a table must fail with PMC_EINVAL, an empty table and a
 * message holding `fragment` (and ORIGIN, unless the selection is at fault). */
static void expect_table_error(const char *text, const char *columns, const char *fragment)
{
    pmc_table t;
    pmc_err err;
    PMC_CHECK_INT(read_table_text(text, columns, &t, &err), PMC_EINVAL);
    PMC_CHECK(t.values == NULL && t.names == NULL && t.n_rows == 0 && t.n_columns == 0);
    PMC_CHECK_CONTAINS(err.msg, fragment);
    if (!strstr(err.msg, COLUMNS_ORIGIN))
        PMC_CHECK_CONTAINS(err.msg, ORIGIN ": /tmp/pmc-data-");
}

PMC_TEST(table_good)
{
    /* Comments, blank lines, whitespace, \r\n, quotes with a separator and a
     * "" inside, an unselected text column and a selection in another order
     * than the file's. */
    const char *text = "# Lotka-Volterra counts\n"
                       "\n"
                       " time , prey,\"predator\" , site  # the header\n"
                       "2, 185, 73, \"north, \"\"A\"\"\"\r\n"
                       "# a comment between rows\n"
                       "   \n"
                       "4,225 ,278,south # trailing comment\n";
    pmc_table t;
    pmc_err err;
    PMC_CHECK_INT(read_table_text(text, "predator, prey", &t, &err), PMC_OK);
    PMC_CHECK_INT(t.n_rows, 2);
    PMC_CHECK_INT(t.n_columns, 2);
    PMC_CHECK_INT(t.header_line, 3);
    if (t.n_rows == 2 && t.n_columns == 2) {
        PMC_CHECK_STR(t.names[0], "predator");
        PMC_CHECK_STR(t.names[1], "prey");
        PMC_CHECK(t.values[0] == 73 && t.values[1] == 185);
        PMC_CHECK(t.values[2] == 278 && t.values[3] == 225);
    }
    pmc_table_free(&t);
    PMC_CHECK(t.values == NULL && t.names == NULL);
}

PMC_TEST(table_other_separators)
{
    /* A header without commas chooses a tab, else a semicolon. */
    pmc_table t;
    pmc_err err;
    PMC_CHECK_INT(read_table_text("a\tb\n1\t2.5\n\t3\n", "b", &t, &err), PMC_OK);
    PMC_CHECK_INT(t.n_rows, 2);
    if (t.n_rows == 2)
        PMC_CHECK(t.values[0] == 2.5 && t.values[1] == 3.0);
    pmc_table_free(&t);
    PMC_CHECK_INT(read_table_text("a; b\n1;2\n", "a", &t, &err), PMC_OK);
    PMC_CHECK(t.n_rows == 1 && t.values[0] == 1.0);
    pmc_table_free(&t);
    /* Commas inside quotes do not make a comma-separated header. */
    PMC_CHECK_INT(read_table_text("\"x, y\";z\n1;2\n", "\"x, y\"", &t, &err), PMC_OK);
    PMC_CHECK(t.n_rows == 1 && t.values[0] == 1.0);
    pmc_table_free(&t);
}

PMC_TEST(table_r_export)
{
    /* R's write.csv: every name quoted, an unnamed first column of quoted
     * row names, a byte-order mark from a spreadsheet in front. */
    const char *text = "\xEF\xBB\xBF\"\",\"time\",\"prey\"\n\"1\",2,185\n\"2\",4,225\n";
    pmc_table t;
    pmc_err err;
    PMC_CHECK_INT(read_table_text(text, "prey", &t, &err), PMC_OK);
    PMC_CHECK(t.n_rows == 2 && t.n_columns == 1);
    if (t.n_rows == 2)
        PMC_CHECK(t.values[0] == 185 && t.values[1] == 225);
    pmc_table_free(&t);
}

PMC_TEST(table_wide_row)
{
    /* A row is one line however wide: 2000 columns (about 10 kB) are fine. */
    size_t n = 2000, len = 0;
    char *text = malloc(2 * n * 8 + 16);
    if (!text)
        abort();
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%sc%zu", i ? "," : "", i);
    text[len++] = '\n';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%s%zu", i ? "," : "", i);
    strcpy(text + len, "\n");
    pmc_table t;
    pmc_err err;
    PMC_CHECK_INT(read_table_text(text, "c1999, c7", &t, &err), PMC_OK);
    PMC_CHECK(t.n_rows == 1 && t.values && t.values[0] == 1999 && t.values[1] == 7);
    pmc_table_free(&t);
    free(text);
}

PMC_TEST(table_without_columns_is_one_column_file)
{
    pmc_table t;
    pmc_err err;
    PMC_CHECK_INT(read_table_text("1\n2\n3\n", NULL, &t, &err), PMC_OK);
    PMC_CHECK(t.n_rows == 3 && t.n_columns == 1 && t.names == NULL && t.header_line == 0);
    pmc_table_free(&t);
}

PMC_TEST(table_ragged_row)
{
    expect_table_error("time,prey,predator\n2,185,73\n4,225\n", "prey",
                       ":3: 2 cells, but the header (line 1) names 3 columns (time, prey, "
                       "predator): expected one cell per column");
    expect_table_error("a,b\n1,2,\n", "a", ":2: 3 cells, but the header (line 1) names 2");
}

PMC_TEST(table_unknown_column)
{
    expect_table_error("time,prey,predator\n2,185,73\n", "prey, predators",
                       COLUMNS_ORIGIN "(list): no column 'predators' in the header of /tmp/");
    expect_table_error("time,prey,predator\n2,185,73\n", "prey, predators",
                       ":1 (its columns: time, prey, predator)");
    expect_table_error("time,Prey\n2,185\n", "prey",
                       "(its columns: time, Prey); names are case-sensitive: did you mean 'Prey'?");
}

PMC_TEST(table_not_a_number)
{
    expect_table_error("time,prey\n2,185\n# gap\n4,18x5\n", "prey",
                       ":4: row 2, column 'prey': '18x5': not a number");
    expect_table_error("time,prey\n2,NaN\n", "prey",
                       ":2: row 1, column 'prey': 'NaN': expected a finite number");
    expect_table_error("time,prey\n2,1e999\n", "prey", "'1e999': number out of range");
}

PMC_TEST(table_empty_cell)
{
    expect_table_error("time,prey\n2,\n", "prey",
                       ":2: row 1, column 'prey': '': empty cell: expected a number");
}

PMC_TEST(table_text_in_unselected_column)
{
    pmc_table t;
    pmc_err err;
    PMC_CHECK_INT(read_table_text("day,prey\nmonday,3\nNA,4\n", "prey", &t, &err), PMC_OK);
    PMC_CHECK(t.n_rows == 2 && t.values && t.values[1] == 4.0);
    pmc_table_free(&t);
}

PMC_TEST(table_header_only)
{
    expect_table_error("# counts\ntime,prey\n\n# nothing yet\n", "prey",
                       ":2: no data: the header row (time, prey) is not followed by any row");
}

PMC_TEST(table_empty_file)
{
    expect_table_error("# nothing\n\n", "prey",
                       ": no data (the file holds no header row and no rows)");
}

PMC_TEST(table_duplicate_columns)
{
    expect_table_error("time,prey,prey\n2,1,2\n", "time",
                       ":1: column 'prey' appears twice in the header (columns 2 and 3): "
                       "expected unique column names");
}

PMC_TEST(table_no_header_row)
{
    /* data_columns given for a file of one number per line. */
    expect_table_error("# heights\n170.5\n171\n", "height",
                       COLUMNS_ORIGIN "(list): /tmp/");
    expect_table_error("# heights\n170.5\n171\n", "height",
                       ":2: '170.5': expected a header row naming the columns, found numbers (a "
                       "file of one number per line has no header: read it without "
                       "data_columns)");
}

PMC_TEST(table_bad_quotes)
{
    expect_table_error("a,\"b\n1,2\n", "a", ":1: header row: unterminated quote");
    expect_table_error("a,b\n1,\"2\"x\n", "a", ":2: text after a closing quote");
}

PMC_TEST(data_header_without_columns_hint)
{
    /* A table read as a one-column file says how to read it as a table. */
    expect_error("# heights\nheight\n170\n", 2,
                 "'height': not a number; a table with a header row needs [model] data_columns");
    expect_error("time,prey\n2,185\n", 1, "expected one column (one number per line); a table");
}

PMC_TEST(data_columns_normalise)
{
    char out[64], why[128];
    size_t n = 0;
    PMC_CHECK_INT(pmc_data_columns_normalise(" a ,b,\"c, d\",\"e\"\"f\", #g", out, sizeof out,
                                             &n, why, sizeof why), PMC_OK);
    PMC_CHECK_INT(n, 5);
    PMC_CHECK_STR(out, "a, b, \"c, d\", \"e\"\"f\", \"#g\"");
    /* The normalised list reads back as itself. */
    char again[64];
    PMC_CHECK_INT(pmc_data_columns_normalise(out, again, sizeof again, &n, why, sizeof why),
                  PMC_OK);
    PMC_CHECK_STR(again, out);
    PMC_CHECK_INT(pmc_data_columns_normalise("a,,b", out, sizeof out, &n, why, sizeof why),
                  PMC_EINVAL);
    PMC_CHECK_CONTAINS(why, "name 2 is empty");
    PMC_CHECK_INT(n, 0);
    PMC_CHECK_INT(pmc_data_columns_normalise("b, a, b", out, sizeof out, &n, why, sizeof why),
                  PMC_EINVAL);
    PMC_CHECK_CONTAINS(why, "'b' is listed twice");
    PMC_CHECK_INT(pmc_data_columns_normalise("abcdefgh, ijklmnop", out, 12, &n, why, sizeof why),
                  PMC_EINVAL);
    PMC_CHECK_CONTAINS(why, "too long");
}

const pmc_test_case pmc_tests_data[] = {
    PMC_TEST_ENTRY(data_good_with_comments),
    PMC_TEST_ENTRY(data_not_a_number),
    PMC_TEST_ENTRY(data_not_a_number_without_origin),
    PMC_TEST_ENTRY(data_nan),
    PMC_TEST_ENTRY(data_inf),
    PMC_TEST_ENTRY(data_two_columns),
    PMC_TEST_ENTRY(data_empty_file),
    PMC_TEST_ENTRY(data_only_comments),
    PMC_TEST_ENTRY(data_missing_file),
    PMC_TEST_ENTRY(data_overlong_line),
    PMC_TEST_ENTRY(data_out_of_range),
    PMC_TEST_ENTRY(data_directory),
    PMC_TEST_ENTRY(data_leading_bom_skipped),
    PMC_TEST_ENTRY(data_bom_inside_shown_escaped),
    PMC_TEST_ENTRY(table_good),
    PMC_TEST_ENTRY(table_other_separators),
    PMC_TEST_ENTRY(table_r_export),
    PMC_TEST_ENTRY(table_wide_row),
    PMC_TEST_ENTRY(table_without_columns_is_one_column_file),
    PMC_TEST_ENTRY(table_ragged_row),
    PMC_TEST_ENTRY(table_unknown_column),
    PMC_TEST_ENTRY(table_not_a_number),
    PMC_TEST_ENTRY(table_empty_cell),
    PMC_TEST_ENTRY(table_text_in_unselected_column),
    PMC_TEST_ENTRY(table_header_only),
    PMC_TEST_ENTRY(table_empty_file),
    PMC_TEST_ENTRY(table_duplicate_columns),
    PMC_TEST_ENTRY(table_no_header_row),
    PMC_TEST_ENTRY(table_bad_quotes),
    PMC_TEST_ENTRY(data_header_without_columns_hint),
    PMC_TEST_ENTRY(data_columns_normalise),
    {NULL, NULL},
};

/* Observed data files: one good file with comments and blank lines, and one
 * test per bad input (status + message naming the file and line). Each test
 * writes its own temporary file and removes it. */
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
    {NULL, NULL},
};

/* libFuzzer target: the observed-data readers on a temporary file holding the
 * input: pmc_data_read_column (one number per line) and pmc_data_read_table
 * selecting the columns "b, a" of a table. Beyond "no crash, no sanitizer
 * report": success means at least one value (one row), all finite, and the
 * table's names as selected; failure has a message and leaves nothing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "pmc_data.h"

static char path[FUZZ_PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_temp_path(path, "data.csv");
    return 0;
}

static void check_values(const double *v, size_t n)
{
    if (n == 0 || !v)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            abort();
}

static void check_table(void)
{
    pmc_table t;
    pmc_err err = {0};
    if (pmc_data_read_table(path, "fuzz.ini:1: [model] data", "b, a",
                            "fuzz.ini:2: [model] data_columns: b, a", &t, &err) == PMC_OK) {
        if (t.n_columns != 2 || t.n_rows == 0 || !t.names || strcmp(t.names[0], "b") != 0 ||
            strcmp(t.names[1], "a") != 0 || t.header_line == 0)
            abort();
        check_values(t.values, t.n_rows * t.n_columns);
    } else if (err.msg[0] == '\0' || t.values || t.names || t.n_rows || t.n_columns) {
        abort();
    }
    pmc_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write_file(path, data, size);
    double *v = NULL;
    size_t n = 0;
    pmc_err err = {0};
    if (pmc_data_read_column(path, "fuzz.ini:1: [model] data", &v, &n, &err) == PMC_OK)
        check_values(v, n);
    else if (err.msg[0] == '\0' || v != NULL || n != 0)
        abort();
    free(v);
    check_table();
    return 0;
}

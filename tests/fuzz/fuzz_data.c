/* libFuzzer target: the observed-data reader (pmc_data_read_column) on a
 * temporary file holding the input. Beyond "no crash, no sanitizer report":
 * success means at least one value, all finite; failure has a message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write_file(path, data, size);
    double *v = NULL;
    size_t n = 0;
    pmc_err err = {0};
    if (pmc_data_read_column(path, "fuzz.ini:1: [model] data", &v, &n, &err) == PMC_OK) {
        if (n == 0 || !v)
            abort();
        for (size_t i = 0; i < n; i++)
            if (!isfinite(v[i]))
                abort();
    } else if (err.msg[0] == '\0' || v != NULL || n != 0) {
        abort();
    }
    free(v);
    return 0;
}

/* test_table: a test-only model plugin of ABI version 3 that checks the
 * observed-data table pmcabc hands to init_table and observed_table
 * (tests/e2e/test_plugin.sh).
 *
 * The model: every value of the selected columns ~ Normal(mu, 1); one
 * statistic, the mean of all values (the normal_mean example on a table).
 *
 * Keys, each optional; a mismatch fails init_table with a "data: ..."
 * message, which pmcabc reports at the data key's FILE:LINE (exit 2):
 *   expect_columns = a, b   the column names, in order, joined by ", ";
 *                           "none" for a file without header (names NULL)
 *   expect_rows = N         the number of rows
 *   expect_path = PATH      the data file as pmcabc opened it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmcabc/model.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct {
    size_t n; /* values per simulation: rows x columns of the observed table */
} table_state;

/* The names joined by ", ", or "none" without names. */
static void joined_names(const pmcabc_table *t, char *buf, size_t len)
{
    size_t used = 0;
    snprintf(buf, len, "none");
    for (size_t c = 0; t->column_names && c < t->n_columns && used < len; c++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", c ? ", " : "",
                                 t->column_names[c]);
}

static int tt_init_table(const char *const *keys, const char *const *values, size_t n_keys,
                         const pmcabc_table *data, void **state, char *errbuf, size_t errlen)
{
    if (!data) {
        snprintf(errbuf, errlen, "needs observed data ([model] data)");
        return 1;
    }
    for (size_t i = 0; i < n_keys; i++) {
        char got[1024];
        if (!strcmp(keys[i], "expect_columns"))
            joined_names(data, got, sizeof got);
        else if (!strcmp(keys[i], "expect_rows"))
            snprintf(got, sizeof got, "%zu", data->n_rows);
        else if (!strcmp(keys[i], "expect_path"))
            snprintf(got, sizeof got, "%s", data->path ? data->path : "(null)");
        else {
            snprintf(errbuf, errlen, "%s: unknown key (test_table takes expect_columns, "
                     "expect_rows, expect_path)", keys[i]);
            return 1;
        }
        if (strcmp(got, values[i]) != 0) {
            snprintf(errbuf, errlen, "data: %s is '%s', expected '%s'", keys[i] + 7, got,
                     values[i]);
            return 1;
        }
    }
    table_state *s = malloc(sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return 1;
    }
    s->n = data->n_rows * data->n_columns;
    *state = s;
    return 0;
}

static void tt_finalize(void *state) { free(state); }

static int tt_observed_table(const pmcabc_table *data, double *out, void *state, char *errbuf,
                             size_t errlen)
{
    const table_state *s = state;
    if (data->n_rows * data->n_columns != s->n) {
        snprintf(errbuf, errlen, "data: observed_table got %zu x %zu values, init_table %zu",
                 data->n_rows, data->n_columns, s->n);
        return 1;
    }
    double sum = 0.0;
    for (size_t i = 0; i < s->n; i++)
        sum += data->values[i];
    out[0] = sum / (double)s->n;
    return 0;
}

static int tt_simulate(const double *params, pmcabc_rng *rng, double *out, void *state,
                       char *errbuf, size_t errlen)
{
    const table_state *s = state;
    (void)errbuf, (void)errlen;
    double sum = 0.0;
    for (size_t i = 0; i < s->n; i++)
        sum += params[0] + rng->normal(rng);
    out[0] = sum / (double)s->n;
    return 0;
}

static const char *const tt_param_names[] = {"mu"};

static const pmcabc_model tt_plugin = {
    .abi_version = PMCABC_MODEL_ABI_VERSION,
    .name = "test_table",
    .n_params = 1,
    .param_names = tt_param_names,
    .n_stats = 1,
    .finalize = tt_finalize,
    .simulate = tt_simulate,
    .init_table = tt_init_table,
    .observed_table = tt_observed_table,
};

PLUGIN_EXPORT const pmcabc_model *pmcabc_model_plugin(void) { return &tt_plugin; }

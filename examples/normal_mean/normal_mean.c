/* normal_mean: a pmcabc model plugin, the example of docs/writing-a-model.md.
 *
 * Data x_1..x_n ~ Normal(mu, sigma0) with sigma0 known ([model] key sigma0,
 * default 1). One parameter, mu; one statistic, the sample mean, which is
 * sufficient for mu. With a Normal(m0, s0) prior the exact posterior is
 * Normal with precision 1/s0^2 + n/sigma0^2 (the conjugate update), which
 * makes the plugin a good end-to-end check of pmcabc.
 *
 * Build: cc -shared -fPIC -O2 $(pkg-config --cflags pmcabc) normal_mean.c -o libnormal_mean.so -lm */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmcabc/model.h>

/* Exported even under -fvisibility=hidden: pmcabc finds it with dlsym. */
#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct {
    double sigma0;
    size_t n; /* sample size of the observed data, and of every simulation */
} normal_mean_state;

static int nm_init(const char *const *keys, const char *const *values, size_t n_keys,
                   const double *data, size_t n_data, void **state, char *errbuf, size_t errlen)
{
    (void)data;
    double sigma0 = 1.0;
    for (size_t i = 0; i < n_keys; i++) {
        if (strcmp(keys[i], "sigma0") != 0) {
            /* "KEY: ..." makes pmcabc prefix the key's FILE:LINE. */
            snprintf(errbuf, errlen, "%s: unknown key (normal_mean takes only sigma0)", keys[i]);
            return 1;
        }
        char *end;
        errno = 0;
        sigma0 = strtod(values[i], &end);
        if (end == values[i] || *end || errno || !isfinite(sigma0) || !(sigma0 > 0)) {
            snprintf(errbuf, errlen, "sigma0: expected a finite number > 0");
            return 1;
        }
    }
    if (n_data == 0) {
        snprintf(errbuf, errlen, "needs observed data ([model] data)");
        return 1;
    }
    normal_mean_state *s = malloc(sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return 1;
    }
    s->sigma0 = sigma0;
    s->n = n_data;
    *state = s;
    return 0;
}

static void nm_finalize(void *state) { free(state); }

static int nm_observed_stats(const double *data, size_t n_data, double *out, void *state,
                             char *errbuf, size_t errlen)
{
    (void)state, (void)errbuf, (void)errlen;
    double sum = 0.0;
    for (size_t i = 0; i < n_data; i++)
        sum += data[i];
    out[0] = sum / (double)n_data;
    return 0;
}

/* Draws n values from Normal(mu, sigma0) with pmcabc's stream only, so that
 * the result depends on (seed, generation, slot, attempt) alone. */
static int nm_simulate(const double *params, pmcabc_rng *rng, double *out, void *state,
                       char *errbuf, size_t errlen)
{
    const normal_mean_state *s = state;
    (void)errbuf, (void)errlen;
    double sum = 0.0;
    for (size_t i = 0; i < s->n; i++)
        sum += params[0] + s->sigma0 * rng->normal(rng);
    out[0] = sum / (double)s->n;
    return 0;
}

/* With one statistic every sensible distance is |a - b|; it is here to show
 * the callback (`[distance] name = model`). */
static double nm_distance(const double *a, const double *b, size_t n, void *state)
{
    (void)n, (void)state;
    return fabs(a[0] - b[0]);
}

static const char *const nm_param_names[] = {"mu"};

static const pmcabc_model nm_plugin = {
    .abi_version = PMCABC_MODEL_ABI_VERSION,
    .name = "normal_mean",
    .n_params = 1,
    .param_names = nm_param_names,
    .n_stats = 1,
    .init = nm_init,
    .finalize = nm_finalize,
    .observed_stats = nm_observed_stats,
    .simulate = nm_simulate,
    .distance = nm_distance,
};

PLUGIN_EXPORT const pmcabc_model *pmcabc_model_plugin(void) { return &nm_plugin; }

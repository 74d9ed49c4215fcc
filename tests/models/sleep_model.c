/* sleep_model: a test plugin for scale-out benchmarks (tools/bench-scaling,
 * tools/bench-dispatch; issue 15).
 *
 * The simulation of the built-in `gaussian` model (jobs/gaussian.ini:
 * parameters mu and sigma, statistics the sample mean and sample standard
 * deviation of as many normal draws as there are observed values), followed
 * by nanosleep(sleep_ms). A sleeping rank leaves its core free, so 64 ranks
 * of a 20 ms model run on 2 cores as they would on 64: the benchmark then
 * measures pmcabc's scheduling, not the competition for the cores.
 * `sleep_ms = 0` (the default) skips the call: a zero-cost model for the
 * dispatcher's throughput.
 *
 * [model] keys: sleep_ms (milliseconds per simulation, a finite number >= 0).
 * Same draws as `gaussian` would make from the same stream only in law, not
 * in bits (this uses the plugin stream's normal(), not GSL's ziggurat). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pmcabc/model.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct {
    struct timespec sleep; /* per simulation; zero: no call */
    size_t n;              /* observed values, and draws per simulation */
} sleep_state;

static int parse_sleep_ms(const char *text, double *ms, char *errbuf, size_t errlen)
{
    char *end;
    errno = 0;
    *ms = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(*ms) || *ms < 0.0 || *ms > 3.6e6) {
        snprintf(errbuf, errlen, "sleep_ms: expected a number of milliseconds in [0, 3600000], "
                 "got '%s'", text);
        return 1;
    }
    return 0;
}

static int sleep_init(const char *const *keys, const char *const *values, size_t n_keys,
                      const double *data, size_t n_data, void **state, char *errbuf,
                      size_t errlen)
{
    (void)data;
    double ms = 0.0;
    for (size_t i = 0; i < n_keys; i++) {
        if (strcmp(keys[i], "sleep_ms") != 0) {
            snprintf(errbuf, errlen, "%s: unknown key (sleep_model takes only sleep_ms)", keys[i]);
            return 1;
        }
        if (parse_sleep_ms(values[i], &ms, errbuf, errlen))
            return 1;
    }
    if (n_data < 2) {
        snprintf(errbuf, errlen, "needs observed data with at least 2 values ([model] data)");
        return 1;
    }
    sleep_state *s = malloc(sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return 1;
    }
    long long ns = llround(ms * 1e6);
    s->sleep.tv_sec = (time_t)(ns / 1000000000LL);
    s->sleep.tv_nsec = (long)(ns % 1000000000LL);
    s->n = n_data;
    *state = s;
    return 0;
}

static void sleep_finalize(void *state) { free(state); }

/* Sample mean and sample standard deviation (n - 1), a copy of the gaussian model's
 * mean_sd in lib/pmc_model.c (a plugin links nothing of pmcabc); Welford's
 * update, exact for data far from zero (heights ~ 170). */
static void mean_sd(const double *x, size_t n, double out[2])
{
    double mean = 0.0, m2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double delta = x[i] - mean;
        mean += delta / (double)(i + 1);
        m2 += delta * (x[i] - mean);
    }
    out[0] = mean;
    out[1] = sqrt(m2 / (double)(n - 1));
}

static int sleep_observed_stats(const double *data, size_t n_data, double *out, void *state,
                                char *errbuf, size_t errlen)
{
    (void)state, (void)errbuf, (void)errlen;
    mean_sd(data, n_data, out);
    return 0;
}

/* Statistics of mu + sigma z_i from standard normals z_i (the gaussian
 * model's streaming form: mean = mu + sigma mean(z), sd = sigma sd(z)), then
 * the sleep. EINTR restarts the sleep with the time left. */
static int sleep_simulate(const double *params, pmcabc_rng *rng, double *out, void *state,
                          char *errbuf, size_t errlen)
{
    const sleep_state *s = state;
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        double z = rng->normal(rng);
        s1 += z;
        s2 += z * z;
    }
    double mean_z = s1 / (double)s->n;
    double ss = s2 - s1 * mean_z;
    out[0] = params[0] + params[1] * mean_z;
    out[1] = params[1] * sqrt((ss > 0.0 ? ss : 0.0) / (double)(s->n - 1));
    if (s->sleep.tv_sec == 0 && s->sleep.tv_nsec == 0)
        return 0;
    struct timespec left = s->sleep;
    while (nanosleep(&left, &left) != 0) {
        if (errno != EINTR) {
            snprintf(errbuf, errlen, "nanosleep: %s", strerror(errno));
            return 1;
        }
    }
    return 0;
}

static const char *const sleep_param_names[] = {"mu", "sigma"};

static const pmcabc_model sleep_plugin = {
    .abi_version = PMCABC_MODEL_ABI_VERSION,
    .name = "sleep_model",
    .n_params = 2,
    .param_names = sleep_param_names,
    .n_stats = 2,
    .init = sleep_init,
    .finalize = sleep_finalize,
    .observed_stats = sleep_observed_stats,
    .simulate = sleep_simulate,
};

PLUGIN_EXPORT const pmcabc_model *pmcabc_model_plugin(void) { return &sleep_plugin; }

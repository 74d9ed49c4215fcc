/* Models: a table of operations per built-in model plus the plugin loader.
 * Contract in pmc_model.h, user reference in docs/models.md and
 * docs/writing-a-model.md. */
#include "pmc_model.h"

#include <dlfcn.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pmc_command.h"
#include "pmc_data.h"
#include "pmc_util.h"
#include "pmcabc/model.h"

typedef struct model_ops model_ops;

struct pmc_model {
    const model_ops *ops;
    const char *name; /* model name for messages: the ops name or the plugin's */
    size_t n_data, n_stats;
    double *obs;
    const pmc_table *table; /* the observed data, set while observe runs */
    uint64_t data_checksum;
    uint64_t digest; /* of the plugin file; 0 for a built-in model */

    double work_us, work_spread; /* test_slow */
    double fail_above;           /* test_fail */
    int fail_nan;                /* test_fail: return NaN instead of an error */
    int triangle;                /* ma2: constraint = triangle */
    double lv_x0, lv_y0, lv_dt, lv_max_events; /* lotka_volterra */
    double sir_population, sir_infected, sir_dt; /* sir */
    const pmc_config_kv *sir_population_kv;

    /* plugin */
    const pmc_config_kv *plugin_kv;
    char plugin_path[PMC_PATH_MAX];
    void *dl;
    pmcabc_model pl_desc; /* the plugin's description; fields past its ABI version are 0 */
    const pmcabc_model *pl;
    void *pl_state;
    int pl_initialised;

    pmc_command *cmd; /* name = command (pmc_command.c) */
};

/* One model. Hooks may be NULL (nothing to do). */
struct model_ops {
    const char *name;
    size_t n_params;        /* 0: the plugin says */
    const char *param_desc; /* "mean, standard deviation" for the count message */
    /* Applies one [model] key; PMC_ENOTFOUND for a key the model lacks. */
    int (*set_key)(pmc_model *m, const pmc_config_kv *kv, pmc_err *err);
    /* Checks the [prior] section and the keys as a whole; loads plugins. */
    int (*check)(pmc_model *m, const pmc_config *cfg, pmc_err *err);
    /* Sets n_stats and obs from the data (x may be NULL for plugins). */
    int (*observe)(pmc_model *m, const pmc_config *cfg, const double *x, size_t n, pmc_err *err);
    int (*simulate)(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                    pmc_err *err);
    int (*in_support)(const pmc_model *m, const double *theta);
};

uint64_t pmc_model_data_checksum(const pmc_model *m) { return m->data_checksum; }
uint64_t pmc_model_digest(const pmc_model *m) { return m->digest; }
const char *pmc_model_code_path(const pmc_model *m)
{
    return m->pl ? m->plugin_path : m->cmd ? pmc_command_code_files(m->cmd) : NULL;
}

size_t pmc_model_n_stats(const pmc_model *m) { return m->n_stats; }

const char *pmc_model_name(const pmc_model *m) { return m->name; }

const double *pmc_model_observed_stats(const pmc_model *m) { return m->obs; }

int pmc_model_in_support(const pmc_model *m, const double *theta)
{
    return m->ops->in_support ? m->ops->in_support(m, theta) : 1;
}

int pmc_model_has_distance(const pmc_model *m) { return m->pl && m->pl->distance; }

double pmc_model_distance(const pmc_model *m, const double *a, const double *b)
{
    return m->pl->distance(a, b, m->n_stats, m->pl_state);
}

void pmc_model_free(pmc_model *m)
{
    if (!m)
        return;
    if (m->pl && m->pl_initialised && m->pl->finalize)
        m->pl->finalize(m->pl_state);
    if (m->dl)
        dlclose(m->dl);
    pmc_command_free(m->cmd);
    free(m->obs);
    free(m);
}

/* --- key and prior helpers --- */

static int key_error(const pmc_config_kv *kv, const char *expected, pmc_err *err)
{
    return pmc_err_set(err, PMC_EINVAL, "%s: [model] %s: %s: %s", PMC_ORIGIN_TEXT(&kv->origin),
                       kv->key, kv->value, expected);
}

/* 1 if kv's value is a finite number (put in *v). */
static int finite_value(const pmc_config_kv *kv, double *v)
{
    pmc_number_status st = pmc_number_parse(kv->value, strlen(kv->value), v);
    return st == PMC_NUMBER_OK || st == PMC_NUMBER_UNDERFLOW;
}

static int parse_number(const pmc_config_kv *kv, double lo, double *out, pmc_err *err)
{
    double v = 0.0;
    if (!finite_value(kv, &v) || v < lo) {
        char what[128];
        snprintf(what, sizeof what, "expected a finite number >= %g", lo);
        return key_error(kv, what, err);
    }
    *out = v;
    return PMC_OK;
}

/* A number > 0 (time steps). */
static int parse_positive(const pmc_config_kv *kv, double *out, pmc_err *err)
{
    double v = 0.0;
    if (!finite_value(kv, &v) || !(v > 0))
        return key_error(kv, "expected a finite number > 0", err);
    *out = v;
    return PMC_OK;
}

/* A whole number in [lo, 2^53] (counts: population sizes, event caps). */
static int parse_count(const pmc_config_kv *kv, double lo, double *out, pmc_err *err)
{
    double v = 0.0;
    if (!finite_value(kv, &v) || v < lo || v > 0x1p53 ||
        v != floor(v)) {
        char what[128];
        snprintf(what, sizeof what, "expected a whole number >= %g", lo);
        return key_error(kv, what, err);
    }
    *out = v;
    return PMC_OK;
}

static const char *const ordinals[] = {"first", "second", "third", "fourth"};

/* The parameter at index i must have a prior on values >= 0 (standard
 * deviations, scales, rates): a support that starts at 0 or above. */
static int check_nonnegative_prior(const pmc_config *cfg, size_t i, const char *what,
                                   pmc_err *err)
{
    const pmc_prior_spec *p = &cfg->prior[i];
    double lo, hi;
    pmc_prior_support(p, &lo, &hi);
    if (!(lo >= 0.0))
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [prior] %s: model %s needs a prior on positive values for "
                           "its %s parameter (%s)",
                           PMC_ORIGIN_TEXT(&cfg->prior_origin[i]), p->name,
                           cfg->model_name, ordinals[i], what);
    return PMC_OK;
}

/* The built-in models read one column of data (lotka_volterra: one or two):
 * more selected columns are a mistake in [model] data_columns. */
static int check_data_columns(const pmc_model *m, const pmc_config *cfg, size_t max,
                              const char *reads, pmc_err *err)
{
    if (m->table->n_columns <= max)
        return PMC_OK;
    return pmc_err_set(err, PMC_EINVAL, "%s: [model] data_columns: %s: %zu columns: model %s "
                       "reads %s", PMC_ORIGIN_TEXT(&cfg->model_data_columns_origin),
                       cfg->model_data_columns, m->table->n_columns, cfg->model_name, reads);
}

static int no_keys(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    (void)m, (void)kv, (void)err;
    return PMC_ENOTFOUND;
}

/* --- gaussian, test_slow, test_fail --- */

/* Sample mean and sample standard deviation (n - 1 denominator; 0 for n = 1),
 * the sufficient statistics of the normal model. Welford's update keeps the
 * variance accurate for data far from zero (heights ~ 170 cm). */
static void mean_sd(const double *x, size_t n, double out[2])
{
    double mean = 0.0, m2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double delta = x[i] - mean;
        mean += delta / (double)(i + 1);
        m2 += delta * (x[i] - mean);
    }
    out[0] = mean;
    out[1] = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
}

/* The statistics of mu + sigma z_i, i < n, from the standard normals z_i:
 * mean = mu + sigma mean(z), sd = sigma sd(z). The z are centred near 0 with
 * spread 1, so plain sums of z and z^2 lose nothing to cancellation, and
 * the loop has no division in its dependency chain (Welford's update has
 * one per value and cost a quarter of a simulation). */
static void gaussian_stats_streaming(double mu, double sigma, size_t n, gsl_rng *rng,
                                     double out[2])
{
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double z = gsl_ran_gaussian_ziggurat(rng, 1.0);
        s1 += z;
        s2 += z * z;
    }
    double mean_z = s1 / (double)n;
    double ss = s2 - s1 * mean_z;
    out[0] = mu + sigma * mean_z;
    out[1] = n > 1 ? sigma * sqrt((ss > 0.0 ? ss : 0.0) / (double)(n - 1)) : 0.0;
}

/* Burns `us` microseconds of this thread's CPU time: a stand-in for an
 * expensive CPU-bound simulator (sleeping would not load the core). */
static void burn_cpu_us(double us)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    volatile double sink = 0.0;
    for (;;) {
        for (int i = 0; i < 64; i++)
            sink += 1e-9 * i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        double el = 1e6 * (double)(t.tv_sec - t0.tv_sec) + 1e-3 * (double)(t.tv_nsec - t0.tv_nsec);
        if (el >= us)
            break;
    }
    /* The volatile stores above are the work; this read is their only reader
     * (clang warns of a variable set but never used). */
    (void)sink;
}

static int gaussian_check(pmc_model *m, const pmc_config *cfg, pmc_err *err)
{
    (void)m;
    return check_nonnegative_prior(cfg, 1, "the standard deviation", err);
}

static int gaussian_observe(pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                            pmc_err *err)
{
    int rc = check_data_columns(m, cfg, 1, "one column (the sample)", err);
    if (rc != PMC_OK)
        return rc;
    /* One value has no standard deviation: the statistic would be a silent 0. */
    if (n < 2)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: %s: %zu value: model %s needs at least 2 (its "
                           "statistics are the mean and the standard deviation)",
                           PMC_ORIGIN_TEXT(&cfg->model_data_origin), cfg->model_data, n,
                           cfg->model_name);
    m->n_stats = 2;
    mean_sd(x, n, m->obs);
    return PMC_OK;
}

static int gaussian_simulate(const pmc_model *m, const double *theta, gsl_rng *rng,
                             double *stats, pmc_err *err)
{
    (void)err;
    gaussian_stats_streaming(theta[0], theta[1], m->n_data, rng, stats);
    return PMC_OK;
}

static int test_slow_key(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    if (!strcmp(kv->key, "work_us"))
        return parse_number(kv, 0.0, &m->work_us, err);
    if (!strcmp(kv->key, "work_spread"))
        return parse_number(kv, 1.0, &m->work_spread, err);
    return PMC_ENOTFOUND;
}

static int test_slow_simulate(const pmc_model *m, const double *theta, gsl_rng *rng,
                              double *stats, pmc_err *err)
{
    double frac = fabs(theta[0]) - floor(fabs(theta[0]));
    burn_cpu_us(m->work_us * (1.0 + (m->work_spread - 1.0) * frac));
    return gaussian_simulate(m, theta, rng, stats, err);
}

static int test_fail_key(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    if (!strcmp(kv->key, "fail_above"))
        return parse_number(kv, -INFINITY, &m->fail_above, err);
    if (!strcmp(kv->key, "mode")) {
        if (!strcmp(kv->value, "nan"))
            m->fail_nan = 1;
        else if (strcmp(kv->value, "error") != 0)
            return key_error(kv, "expected 'error' or 'nan'", err);
        return PMC_OK;
    }
    return PMC_ENOTFOUND;
}

static int test_fail_simulate(const pmc_model *m, const double *theta, gsl_rng *rng,
                              double *stats, pmc_err *err)
{
    if (theta[0] <= m->fail_above)
        return gaussian_simulate(m, theta, rng, stats, err);
    if (!m->fail_nan)
        return pmc_err_set(err, PMC_ERUNTIME,
                           "model test_fail: parameter %.17g is above fail_above = %g",
                           theta[0], m->fail_above);
    stats[0] = NAN;
    stats[1] = NAN;
    return PMC_OK;
}

/* --- ma2 --- */

/* MA(2): y_t = e_t + t1 e_{t-1} + t2 e_{t-2}, e iid N(0, 1), as long as the
 * observed series. Statistics: the lag-1 and lag-2 autocovariances
 * (1/n) sum y_t y_{t-k} (Marin, Pudlo, Robert & Ryder 2012, "Approximate
 * Bayesian computational methods", Stat. Comput. 22, section 2; scaled by
 * 1/n here so that they do not grow with the series length). */
static void ma2_autocov(const double *y, size_t n, double out[2])
{
    double s1 = 0.0, s2 = 0.0;
    for (size_t t = 1; t < n; t++)
        s1 += y[t] * y[t - 1];
    for (size_t t = 2; t < n; t++)
        s2 += y[t] * y[t - 2];
    out[0] = s1 / (double)n;
    out[1] = s2 / (double)n;
}

static int ma2_key(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    if (strcmp(kv->key, "constraint") != 0)
        return PMC_ENOTFOUND;
    if (!strcmp(kv->value, "triangle"))
        m->triangle = 1;
    else if (!strcmp(kv->value, "none"))
        m->triangle = 0;
    else
        return key_error(kv, "expected 'triangle' or 'none'", err);
    return PMC_OK;
}

/* The invertibility region of MA(2): -1 < t2 < 1, t1 + t2 > -1, t1 - t2 < 1,
 * the triangle with corners (-2, 1), (2, 1), (0, -1). */
static int ma2_in_support(const pmc_model *m, const double *theta)
{
    double t1 = theta[0], t2 = theta[1];
    return !m->triangle || (t2 > -1.0 && t2 < 1.0 && t1 + t2 > -1.0 && t1 - t2 < 1.0);
}

static int ma2_observe(pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                       pmc_err *err)
{
    int rc = check_data_columns(m, cfg, 1, "one column (the series)", err);
    if (rc != PMC_OK)
        return rc;
    if (n < 3)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: %s: %zu values: model ma2 needs a series of at "
                           "least 3 values",
                           PMC_ORIGIN_TEXT(&cfg->model_data_origin),
                           cfg->model_data, n);
    m->n_stats = 2;
    ma2_autocov(x, n, m->obs);
    return PMC_OK;
}

static int ma2_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                        pmc_err *err)
{
    if (!ma2_in_support(m, theta))
        return pmc_err_set(err, PMC_ERUNTIME,
                           "model ma2: parameters (%.17g, %.17g) outside the invertibility "
                           "triangle were simulated: the engine must treat them as outside "
                           "the prior",
                           theta[0], theta[1]);
    double t1 = theta[0], t2 = theta[1];
    double e2 = gsl_ran_gaussian_ziggurat(rng, 1.0); /* e_{t-2} */
    double e1 = gsl_ran_gaussian_ziggurat(rng, 1.0); /* e_{t-1} */
    double y1 = 0.0, y2 = 0.0, s1 = 0.0, s2 = 0.0;   /* y_{t-1}, y_{t-2} */
    for (size_t t = 0; t < m->n_data; t++) {
        double e = gsl_ran_gaussian_ziggurat(rng, 1.0);
        double y = e + t1 * e1 + t2 * e2;
        if (t >= 1)
            s1 += y * y1;
        if (t >= 2)
            s2 += y * y2;
        y2 = y1;
        y1 = y;
        e2 = e1;
        e1 = e;
    }
    stats[0] = s1 / (double)m->n_data;
    stats[1] = s2 / (double)m->n_data;
    return PMC_OK;
}

/* --- gandk --- */

/* The g-and-k distribution is defined by its quantile function
 *   Q(z) = A + B (1 + c tanh(g z / 2)) (1 + z^2)^k z,  z ~ N(0, 1), c = 0.8
 * (Rayner & MacGillivray 2002). Statistics: the robust measures of location,
 * scale, skewness and kurtosis built from the octiles E1..E7 (Drovandi &
 * Pettitt 2011, "Likelihood-free Bayesian estimation of multivariate
 * quantile distributions", CSDA 55):
 *   E4,  E6 - E2,  (E6 + E2 - 2 E4) / (E6 - E2),  (E7 - E5 + E3 - E1) / (E6 - E2). */
#define GANDK_C 0.8

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile p of sorted x (n >= 2) by linear interpolation between order
 * statistics (Hyndman & Fan 1996, definition 7). */
static double sorted_quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* Sorts x in place. */
static void gandk_stats(double *x, size_t n, double out[4])
{
    double e[8];
    qsort(x, n, sizeof *x, compare_double);
    for (int i = 1; i <= 7; i++)
        e[i] = sorted_quantile(x, n, i / 8.0);
    double spread = e[6] - e[2];
    out[0] = e[4];
    out[1] = spread;
    out[2] = (e[6] + e[2] - 2.0 * e[4]) / spread;
    out[3] = (e[7] - e[5] + e[3] - e[1]) / spread;
}

static int gandk_check(pmc_model *m, const pmc_config *cfg, pmc_err *err)
{
    (void)m;
    return check_nonnegative_prior(cfg, 1, "the scale B", err);
}

static int gandk_observe(pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                         pmc_err *err)
{
    int rc = check_data_columns(m, cfg, 1, "one column (the sample)", err);
    if (rc != PMC_OK)
        return rc;
    if (n < 8)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: %s: %zu values: model gandk needs at least 8 "
                           "(its statistics are octiles)",
                           PMC_ORIGIN_TEXT(&cfg->model_data_origin),
                           cfg->model_data, n);
    double *copy = malloc(n * sizeof *copy);
    if (!copy)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu data values", n);
    memcpy(copy, x, n * sizeof *copy);
    m->n_stats = 4;
    gandk_stats(copy, n, m->obs);
    free(copy);
    if (!(m->obs[1] > 0.0))
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: %s: the 2nd and 6th octiles are equal: model "
                           "gandk needs data with spread",
                           PMC_ORIGIN_TEXT(&cfg->model_data_origin),
                           cfg->model_data);
    return PMC_OK;
}

static int gandk_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                          pmc_err *err)
{
    double a = theta[0], b = theta[1], g = theta[2], k = theta[3];
    double *x = malloc(m->n_data * sizeof *x);
    if (!x)
        return pmc_err_set(err, PMC_ENOMEM, "model gandk: out of memory for %zu draws",
                           m->n_data);
    for (size_t i = 0; i < m->n_data; i++) {
        double z = gsl_ran_gaussian_ziggurat(rng, 1.0);
        x[i] = a + b * (1.0 + GANDK_C * tanh(0.5 * g * z)) * pow(1.0 + z * z, k) * z;
    }
    gandk_stats(x, m->n_data, stats);
    free(x);
    return PMC_OK;
}

/* --- Gillespie's direct method, shared by lotka_volterra and sir --- */

/* Waiting time to the next event at total rate a0 > 0 (Gillespie 1977,
 * "Exact stochastic simulation of coupled chemical reactions", J. Phys.
 * Chem. 81). The event itself is chosen by the caller with u * a0. */
static double gillespie_wait(gsl_rng *rng, double a0)
{
    return -log(gsl_rng_uniform_pos(rng)) / a0;
}

/* --- lotka_volterra --- */

/* Stochastic Lotka-Volterra (Wilkinson 2011, "Stochastic Modelling for
 * Systems Biology", section 6.4): prey X, predators Y, reactions
 *   X -> 2X at rate c1 X,  X + Y -> 2Y at rate c2 X Y,  Y -> 0 at rate c3 Y,
 * from (x0, y0) at time 0. Observed at times dt, 2 dt, ..., T dt; the data
 * and the statistics are the counts (prey, predators) at each time, in the
 * order x(dt), y(dt), x(2 dt), y(2 dt), ... (Toni et al. 2009 use the series
 * itself): a table's two columns prey, predators read row by row, or one
 * column holding them interleaved. A trajectory that needs more than
 * max_events events (prey explode when the predators die out) is frozen at
 * its state then. */
static int lv_key(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    if (!strcmp(kv->key, "x0"))
        return parse_count(kv, 0.0, &m->lv_x0, err);
    if (!strcmp(kv->key, "y0"))
        return parse_count(kv, 0.0, &m->lv_y0, err);
    if (!strcmp(kv->key, "dt"))
        return parse_positive(kv, &m->lv_dt, err);
    if (!strcmp(kv->key, "max_events"))
        return parse_count(kv, 1.0, &m->lv_max_events, err);
    return PMC_ENOTFOUND;
}

static int lv_check(pmc_model *m, const pmc_config *cfg, pmc_err *err)
{
    (void)m;
    static const char *const what[] = {"the prey birth rate c1", "the predation rate c2",
                                       "the predator death rate c3"};
    for (size_t i = 0; i < 3; i++) {
        int rc = check_nonnegative_prior(cfg, i, what[i], err);
        if (rc != PMC_OK)
            return rc;
    }
    return PMC_OK;
}

/* Counts must be whole numbers >= 0: a count model cannot match anything
 * else. A value of a table is named by its row and column. */
static int check_counts(const pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                        pmc_err *err)
{
    const pmc_table *t = m->table;
    for (size_t i = 0; i < n; i++) {
        if (x[i] >= 0.0 && x[i] == floor(x[i]))
            continue;
        char which[PMC_VALUE_MAX + 64];
        if (t->names)
            snprintf(which, sizeof which, "row %zu, column '%s'", i / t->n_columns + 1,
                     t->names[i % t->n_columns]);
        else
            snprintf(which, sizeof which, "value %zu", i + 1);
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: %s: %s (%g): model %s needs whole numbers >= 0 "
                           "(counts)",
                           PMC_ORIGIN_TEXT(&cfg->model_data_origin), cfg->model_data, which,
                           x[i], cfg->model_name);
    }
    return PMC_OK;
}

/* The population models' data are counts observed at fixed times; the
 * counts themselves are the summary statistics. */
static int observe_counts(pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                          pmc_err *err)
{
    int rc = check_counts(m, cfg, x, n, err);
    if (rc != PMC_OK)
        return rc;
    m->n_stats = n;
    memcpy(m->obs, x, n * sizeof *x);
    return PMC_OK;
}

static int lv_observe(pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                      pmc_err *err)
{
    int rc = check_data_columns(m, cfg, 2, "one column (prey and predators interleaved) or two "
                                "(prey, predators)", err);
    if (rc != PMC_OK)
        return rc;
    if (n % 2 != 0)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: %s: %zu values: model lotka_volterra needs "
                           "pairs (prey, predators) per observation time, an even count",
                           PMC_ORIGIN_TEXT(&cfg->model_data_origin),
                           cfg->model_data, n);
    return observe_counts(m, cfg, x, n, err);
}

static int lv_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                       pmc_err *err)
{
    (void)err;
    const double c1 = theta[0], c2 = theta[1], c3 = theta[2];
    const size_t n_obs = m->n_stats / 2;
    double x = m->lv_x0, y = m->lv_y0, t = 0.0, events = 0.0;
    size_t k = 0;
    while (k < n_obs) {
        double a1 = c1 * x, a2 = c2 * x * y, a3 = c3 * y, a0 = a1 + a2 + a3;
        double t_next = (a0 > 0.0 && events < m->lv_max_events) ? t + gillespie_wait(rng, a0)
                                                                 : INFINITY;
        for (; k < n_obs && (double)(k + 1) * m->lv_dt < t_next; k++) {
            stats[2 * k] = x;
            stats[2 * k + 1] = y;
        }
        if (k == n_obs)
            break;
        double u = gsl_rng_uniform(rng) * a0;
        if (u < a1)
            x += 1.0;
        else if (u < a1 + a2) {
            x -= 1.0;
            y += 1.0;
        } else
            y -= 1.0;
        t = t_next;
        events += 1.0;
    }
    return PMC_OK;
}

/* --- sir --- */

/* Stochastic SIR in a closed population of N (Kermack-McKendrick as a Markov
 * jump process; Andersson & Britton 2000, "Stochastic Epidemic Models and
 * Their Statistical Analysis", ch. 2): infection S + I -> 2I at rate
 * beta S I / N, recovery I -> R at rate gamma I, from S = N - I0, I = I0.
 * Data and statistics: the incidence (new infections) in each interval
 * ((k-1) dt, k dt], k = 1..T. At most 2N events, so no cap is needed. */
static int sir_key(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    if (!strcmp(kv->key, "population")) {
        m->sir_population_kv = kv;
        return parse_count(kv, 1.0, &m->sir_population, err);
    }
    if (!strcmp(kv->key, "infected"))
        return parse_count(kv, 1.0, &m->sir_infected, err);
    if (!strcmp(kv->key, "dt"))
        return parse_positive(kv, &m->sir_dt, err);
    return PMC_ENOTFOUND;
}

static int sir_check(pmc_model *m, const pmc_config *cfg, pmc_err *err)
{
    if (!m->sir_population_kv)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] population: missing: model sir needs the population "
                           "size N (a whole number >= 1)",
                           cfg->path);
    if (m->sir_infected > m->sir_population) {
        const pmc_config_kv *kv = pmc_config_model_key(cfg, "infected");
        return key_error(kv, "expected at most the population size", err);
    }
    int rc = check_nonnegative_prior(cfg, 0, "the infection rate beta", err);
    if (rc == PMC_OK)
        rc = check_nonnegative_prior(cfg, 1, "the recovery rate gamma", err);
    return rc;
}

static int sir_observe(pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                       pmc_err *err)
{
    int rc = check_data_columns(m, cfg, 1, "one column (the new infections per interval)", err);
    return rc == PMC_OK ? observe_counts(m, cfg, x, n, err) : rc;
}

static int sir_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                        pmc_err *err)
{
    (void)err;
    const double beta = theta[0], gamma = theta[1], n_pop = m->sir_population;
    const size_t n_obs = m->n_stats;
    double s = n_pop - m->sir_infected, i = m->sir_infected, t = 0.0, cases = 0.0;
    size_t k = 0;
    while (k < n_obs) {
        double a1 = beta * s * i / n_pop, a2 = gamma * i, a0 = a1 + a2;
        double t_next = a0 > 0.0 ? t + gillespie_wait(rng, a0) : INFINITY;
        for (; k < n_obs && (double)(k + 1) * m->sir_dt < t_next; k++) {
            stats[k] = cases;
            cases = 0.0;
        }
        if (k == n_obs)
            break;
        if (gsl_rng_uniform(rng) * a0 < a1) {
            s -= 1.0;
            i += 1.0;
            cases += 1.0;
        } else
            i -= 1.0;
        t = t_next;
    }
    return PMC_OK;
}

/* --- plugin --- */

static double plugin_rng_uniform(pmcabc_rng *r) { return gsl_rng_uniform_pos(r->impl); }
static double plugin_rng_normal(pmcabc_rng *r) { return gsl_ran_gaussian_ziggurat(r->impl, 1.0); }
static double plugin_rng_exponential(pmcabc_rng *r)
{
    return -log(gsl_rng_uniform_pos(r->impl));
}

/* The Philox generator gives 32 bits per gsl_rng_get (pmc_rng.c). */
static uint64_t plugin_rng_bits(pmcabc_rng *r)
{
    uint64_t hi = gsl_rng_get(r->impl);
    return hi << 32 | (uint64_t)gsl_rng_get(r->impl);
}

static int plugin_key(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    (void)err;
    if (!strcmp(kv->key, "plugin"))
        m->plugin_kv = kv;
    return PMC_OK; /* every other key goes to the plugin's init */
}

/* "FILE:LINE: [model] plugin: VALUE" for messages about the plugin file. */
static void plugin_where(const pmc_model *m, char *buf, size_t len)
{
    const pmc_config_kv *kv = m->plugin_kv;
    snprintf(buf, len, "%s: [model] plugin: %s", PMC_ORIGIN_TEXT(&kv->origin),
             kv->value);
}

/* A relative path from the file is taken from the config file's directory
 * (like [model] data); from --set, from the working directory. A path
 * without '/' gets "./" so that dlopen does not search the library path. */
static int plugin_resolve(pmc_model *m, pmc_err *err)
{
    const pmc_config_kv *kv = m->plugin_kv;
    const char *v = kv->value, *slash = strrchr(kv->origin.file, '/');
    int n;
    if (!v[0]) /* would resolve to the config's directory */
        return pmc_err_set(err, PMC_EINVAL, "%s: [model] plugin: (empty): expected the path of "
                           "a shared object (plugin = path/to/libmodel.so)",
                           PMC_ORIGIN_TEXT(&kv->origin));
    if (v[0] == '/')
        n = snprintf(m->plugin_path, sizeof m->plugin_path, "%s", v);
    else if (kv->origin.line > 0 && slash)
        n = snprintf(m->plugin_path, sizeof m->plugin_path, "%.*s/%s",
                     (int)(slash - kv->origin.file), kv->origin.file, v);
    else
        n = snprintf(m->plugin_path, sizeof m->plugin_path, "./%s", v);
    if (n < 0 || (size_t)n >= sizeof m->plugin_path)
        return key_error(kv, "path too long", err);
    return PMC_OK;
}

/* FNV-1a 64 of the plugin file's bytes, so that a resume notices a rebuilt
 * plugin (a different simulate would silently change the posterior). The
 * file is hashed, not the loaded image, because the file is what a user
 * rebuilds; hashing it costs one read at start. */
static int plugin_digest(pmc_model *m, const char *where, pmc_err *err)
{
    uint64_t h = PMC_FNV1A_INIT;
    int e = pmc_checksum_fnv1a_file(m->plugin_path, &h);
    if (e)
        return pmc_err_set(err, e == EIO ? PMC_EIO : PMC_EINVAL, "%s: cannot read plugin %s: %s",
                           where, m->plugin_path, strerror(e));
    /* 0 marks a built-in model in checkpoints. */
    m->digest = h ? h : 1;
    return PMC_OK;
}

static int plugin_load(pmc_model *m, pmc_err *err)
{
    char where[PMC_PATH_MAX + PMC_VALUE_MAX + 64];
    plugin_where(m, where, sizeof where);
    struct stat st;
    int e = stat(m->plugin_path, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e)
        return pmc_err_set(err, PMC_EINVAL, "%s: cannot open plugin %s: %s", where,
                           m->plugin_path, strerror(e));
    int rc = plugin_digest(m, where, err);
    if (rc != PMC_OK)
        return rc;
    m->dl = dlopen(m->plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (!m->dl)
        return pmc_err_set(err, PMC_EINVAL, "%s: not a loadable shared object: %s", where,
                           dlerror());
    void *sym = dlsym(m->dl, PMCABC_MODEL_ENTRY);
    if (!sym)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: no symbol %s: expected a pmcabc model plugin (include "
                           "<pmcabc/model.h> and define const pmcabc_model "
                           "*pmcabc_model_plugin(void))",
                           where, PMCABC_MODEL_ENTRY);
    /* POSIX guarantees that a data pointer from dlsym converts to a function pointer. */
    pmcabc_model_entry entry;
    memcpy(&entry, &sym, sizeof entry);
    const pmcabc_model *given = entry();
    if (!given)
        return pmc_err_set(err, PMC_EINVAL, "%s: %s() returned NULL", where, PMCABC_MODEL_ENTRY);
    if (given->abi_version < PMCABC_MODEL_ABI_VERSION_MIN ||
        given->abi_version > PMCABC_MODEL_ABI_VERSION)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: plugin ABI version %u, but this pmcabc supports versions %d "
                           "to %d: rebuild the plugin against this pmcabc's <pmcabc/model.h>",
                           where, (unsigned)given->abi_version, PMCABC_MODEL_ABI_VERSION_MIN,
                           PMCABC_MODEL_ABI_VERSION);
    /* A version 1 description ends before simulate_group, a version 2 one
     * before init_table: copy only what it has, so nothing past its end is
     * ever read. */
    size_t len = given->abi_version == 1   ? offsetof(pmcabc_model, simulate_group)
                 : given->abi_version == 2 ? offsetof(pmcabc_model, init_table)
                                           : sizeof m->pl_desc;
    memcpy(&m->pl_desc, given, len);
    m->pl = &m->pl_desc;
    const pmcabc_model *pl = m->pl;
    const char *missing = !pl->name || !pl->name[0]              ? "name"
                          : !pl->simulate && !pl->simulate_group ? "simulate (or simulate_group)"
                          : !pl->observed_stats && !pl->observed_table
                              ? "observed_stats (or observed_table)"
                          : pl->n_params == 0                    ? "n_params (>= 1)"
                          : pl->n_stats == 0                     ? "n_stats (>= 1)"
                                                                 : NULL;
    if (missing)
        return pmc_err_set(err, PMC_EINVAL, "%s: the plugin description lacks %s", where,
                           missing);
    m->name = pl->name;
    return PMC_OK;
}

static int plugin_check_params(const pmc_model *m, const pmc_config *cfg, pmc_err *err)
{
    const pmcabc_model *pl = m->pl;
    if (pl->n_params != cfg->n_params) {
        char where[PMC_PATH_MAX + PMC_VALUE_MAX + 64];
        plugin_where(m, where, sizeof where);
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: model %s has %zu parameter%s, the [prior] section defines %zu",
                           where, pl->name, pl->n_params, pl->n_params == 1 ? "" : "s",
                           cfg->n_params);
    }
    if (!pl->param_names)
        return PMC_OK;
    for (size_t i = 0; i < pl->n_params; i++) {
        const char *want = pl->param_names[i] ? pl->param_names[i] : "(null)";
        if (strcmp(want, cfg->prior[i].name) != 0) {
            char list[512];
            size_t len = 0;
            for (size_t j = 0; j < pl->n_params && len < sizeof list; j++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "",
                                        pl->param_names[j] ? pl->param_names[j] : "(null)");
            return pmc_err_set(err, PMC_EINVAL,
                               "%s: [prior] %s: model %s expects parameter %zu to be named "
                               "%s (its parameters, in order: %s)",
                               PMC_ORIGIN_TEXT(&cfg->prior_origin[i]),
                               cfg->prior[i].name, pl->name, i + 1, want, list);
        }
    }
    return PMC_OK;
}

static int plugin_check(pmc_model *m, const pmc_config *cfg, pmc_err *err)
{
    if (!m->plugin_kv)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] plugin: missing: model plugin needs the path of a "
                           "shared object (plugin = path/to/libmodel.so)",
                           cfg->path);
    int rc = plugin_resolve(m, err);
    if (rc == PMC_OK)
        rc = plugin_load(m, err);
    if (rc == PMC_OK)
        rc = plugin_check_params(m, cfg, err);
    return rc;
}

/* A plugin message "KEY: ..." about one of the keys it was given, or
 * "data: ..." about the data, gets that key's FILE:LINE; any other message
 * gets the plugin key's. */
static int plugin_fail(const pmc_model *m, const pmc_config *cfg, const char *what,
                       const char *msg, pmc_err *err)
{
    if (cfg->model_data[0] && !strncmp(msg, "data:", 5))
        return pmc_err_set(err, PMC_EINVAL, "%s: [model] data: %s: model %s: %s",
                           PMC_ORIGIN_TEXT(&cfg->model_data_origin), cfg->model_data, m->name,
                           msg + (msg[5] == ' ' ? 6 : 5));
    for (size_t i = 0; i < cfg->n_model_keys; i++) {
        const pmc_config_kv *kv = &cfg->model_keys[i];
        size_t len = strlen(kv->key);
        if (kv != m->plugin_kv && !strncmp(msg, kv->key, len) && msg[len] == ':')
            return pmc_err_set(err, PMC_EINVAL, "%s: [model] %s: %s: model %s: %s",
                               PMC_ORIGIN_TEXT(&kv->origin), kv->key, kv->value, m->name,
                               msg + len + (msg[len + 1] == ' ' ? 2 : 1));
    }
    char where[PMC_PATH_MAX + PMC_VALUE_MAX + 64];
    plugin_where(m, where, sizeof where);
    return pmc_err_set(err, PMC_EINVAL, "%s: model %s: %s: %s", where, m->name, what,
                       msg[0] ? msg : "failed (no message)");
}

static int plugin_observe(pmc_model *m, const pmc_config *cfg, const double *x, size_t n,
                          pmc_err *err)
{
    const pmcabc_model *pl = m->pl;
    const char *keys[PMC_MODEL_KEYS_MAX], *values[PMC_MODEL_KEYS_MAX];
    size_t n_keys = 0;
    for (size_t i = 0; i < cfg->n_model_keys; i++) {
        const pmc_config_kv *kv = &cfg->model_keys[i];
        if (kv == m->plugin_kv)
            continue;
        keys[n_keys] = kv->key;
        values[n_keys++] = kv->value;
    }
    char msg[PMC_ERR_MSG_MAX / 2] = "";
    /* ABI 3: the same numbers as x, with their shape and column names. */
    const pmc_table *t = m->table;
    const pmcabc_table table = {t->values, t->n_rows, t->n_columns,
                                (const char *const *)t->names, cfg->model_data};
    const pmcabc_table *data = cfg->model_data[0] ? &table : NULL;
    if (!pl->init && !pl->init_table && n_keys > 0) {
        const pmc_config_kv *kv = pmc_config_model_key(cfg, keys[0]);
        return key_error(kv, "unknown key: this plugin takes no keys (it has no init or "
                         "init_table)", err);
    }
    if (pl->init_table || pl->init) {
        int failed = pl->init_table ? pl->init_table(keys, values, n_keys, data, &m->pl_state,
                                                     msg, sizeof msg)
                                    : pl->init(keys, values, n_keys, x, n, &m->pl_state, msg,
                                               sizeof msg);
        if (failed != 0)
            return plugin_fail(m, cfg, pl->init_table ? "init_table" : "init", msg, err);
        m->pl_initialised = 1;
    }
    m->n_stats = pl->n_stats;
    msg[0] = '\0';
    const char *what = pl->observed_table ? "observed_table" : "observed_stats";
    if ((pl->observed_table ? pl->observed_table(data, m->obs, m->pl_state, msg, sizeof msg)
                            : pl->observed_stats(x, n, m->obs, m->pl_state, msg, sizeof msg)) != 0)
        return plugin_fail(m, cfg, what, msg, err);
    for (size_t k = 0; k < m->n_stats; k++)
        if (!isfinite(m->obs[k])) {
            char bad[128];
            snprintf(bad, sizeof bad, "observed statistic %zu is not finite (%g)", k,
                     m->obs[k]);
            return plugin_fail(m, cfg, what, bad, err);
        }
    return PMC_OK;
}

static int plugin_simulate_in(const pmc_model *m, const double *theta, gsl_rng *rng,
                              double *stats, const pmcabc_group *group, pmc_err *err)
{
    pmcabc_rng r = {plugin_rng_uniform, plugin_rng_normal, plugin_rng_exponential,
                    plugin_rng_bits, rng};
    char msg[PMC_ERR_MSG_MAX / 2] = "";
    int failed = m->pl->simulate_group
                     ? m->pl->simulate_group(theta, &r, stats, m->pl_state, group, msg, sizeof msg)
                     : m->pl->simulate(theta, &r, stats, m->pl_state, msg, sizeof msg);
    if (failed != 0)
        return pmc_err_set(err, PMC_ERUNTIME, "model %s: %s", m->name,
                           msg[0] ? msg : "simulate failed (no message)");
    return PMC_OK;
}

static int plugin_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                           pmc_err *err)
{
    const pmcabc_group self = {NULL, 0, 1};
    return plugin_simulate_in(m, theta, rng, stats, &self, err);
}

/* --- command: an executable as the model (pmc_command.c) --- */

static int command_key(pmc_model *m, const pmc_config_kv *kv, pmc_err *err)
{
    if (!strcmp(kv->key, "command") || !strcmp(kv->key, "mode") ||
        !strcmp(kv->key, "timeout") || !strcmp(kv->key, "observed"))
        return pmc_command_set_key(m->cmd, kv, err);
    return PMC_ENOTFOUND;
}

/* The program and the observed statistics, in place of load_observed: the
 * program reads [model] data itself, in whatever format it likes. */
static int command_load(const pmc_config *cfg, pmc_model *m, pmc_err *err)
{
    /* pmcabc reads no column of it, so a selection would be silently ignored. */
    if (cfg->n_model_data_columns > 0)
        return pmc_err_set(err, PMC_EINVAL, "%s: [model] data_columns: %s: model command does "
                           "not read the data itself: its program gets the file as {data} and "
                           "reads what it needs", PMC_ORIGIN_TEXT(&cfg->model_data_columns_origin),
                           cfg->model_data_columns);
    int rc = pmc_command_setup(m->cmd, cfg, &m->obs, &m->n_stats, &m->data_checksum, err);
    if (rc == PMC_OK)
        m->digest = pmc_command_code_digest(m->cmd);
    return rc;
}

static int command_simulate(const pmc_model *m, const double *theta, gsl_rng *rng,
                            double *stats, pmc_err *err)
{
    return pmc_command_simulate(m->cmd, theta, rng, stats, err);
}

void pmc_model_set_stop_time(pmc_model *m, double stop_time)
{
    if (m->cmd)
        pmc_command_set_stop_time(m->cmd, stop_time);
}

/* --- the table --- */

static const model_ops models[] = {
    {"gaussian", 2, "mean, standard deviation", no_keys, gaussian_check, gaussian_observe,
     gaussian_simulate, NULL},
    {"ma2", 2, "t1, t2", ma2_key, NULL, ma2_observe, ma2_simulate, ma2_in_support},
    {"gandk", 4, "A, B, g, k", no_keys, gandk_check, gandk_observe, gandk_simulate, NULL},
    {"lotka_volterra", 3, "c1, c2, c3", lv_key, lv_check, lv_observe, lv_simulate, NULL},
    {"sir", 2, "beta, gamma", sir_key, sir_check, sir_observe, sir_simulate, NULL},
    {"plugin", 0, NULL, plugin_key, plugin_check, plugin_observe, plugin_simulate, NULL},
    {"command", 0, NULL, command_key, NULL, NULL, command_simulate, NULL},
    {"test_slow", 2, "mean, standard deviation", test_slow_key, gaussian_check,
     gaussian_observe, test_slow_simulate, NULL},
    {"test_fail", 2, "mean, standard deviation", test_fail_key, gaussian_check,
     gaussian_observe, test_fail_simulate, NULL},
};

int pmc_model_is_group_parallel(const pmc_model *m)
{
    return m->pl && m->pl->simulate_group;
}

int pmc_model_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                       pmc_err *err)
{
    return pmc_model_simulate_group(m, theta, rng, stats, NULL, err);
}

int pmc_model_simulate_group(const pmc_model *m, const double *theta, gsl_rng *rng,
                             double *stats, const pmcabc_group *group, pmc_err *err)
{
    int rc = group && pmc_model_is_group_parallel(m)
                 ? plugin_simulate_in(m, theta, rng, stats, group, err)
                 : m->ops->simulate(m, theta, rng, stats, err);
    if (rc != PMC_OK)
        return rc;
    for (size_t k = 0; k < m->n_stats; k++)
        if (!isfinite(stats[k]))
            return pmc_err_set(err, PMC_ERUNTIME,
                               "model %s returned a non-finite summary statistic %zu (%g)",
                               m->name, k, stats[k]);
    return PMC_OK;
}

/* --- set-up and validation --- */

static int apply_model_keys(const pmc_config *cfg, pmc_model *m, pmc_err *err)
{
    for (size_t i = 0; i < cfg->n_model_keys; i++) {
        const pmc_config_kv *kv = &cfg->model_keys[i];
        int rc = m->ops->set_key(m, kv, err);
        if (rc == PMC_ENOTFOUND)
            rc = key_error(kv, "unknown key for this model", err);
        if (rc != PMC_OK)
            return rc;
    }
    return PMC_OK;
}

static int lookup_ops(const pmc_config *cfg, const model_ops **ops, pmc_err *err)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (!strcmp(cfg->model_name, models[i].name)) {
            *ops = &models[i];
            return PMC_OK;
        }
    return pmc_err_set(err, PMC_EINVAL,
                       "%s: [model] name: %s: unknown model (built-in: gaussian, ma2, gandk, "
                       "lotka_volterra, sir; plugin: plugin; program: command; test-only: test_slow, test_fail)",
                       PMC_ORIGIN_TEXT(&cfg->model_name_origin), cfg->model_name);
}

/* Reads [model] data (required by every built-in model, optional for
 * plugins): a one-column file, or the columns [model] data_columns selects
 * from a table. The models get its numbers row by row, so two columns
 * prey, predator give the values a one-column file holds interleaved, bit
 * for bit, and so do the checksum and the results. */
static int load_observed(const pmc_config *cfg, pmc_model *m, pmc_err *err)
{
    int is_plugin = m->ops->n_params == 0;
    pmc_table t = {NULL, 0, 0, NULL, 0};
    if (cfg->model_data[0] == '\0' && !is_plugin)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: missing: model %s needs observed data (a "
                           "one-column file, or a table with [model] data_columns)",
                           cfg->path, cfg->model_name);
    if (cfg->model_data[0] != '\0') {
        char origin[PMC_PATH_MAX + 64], columns_origin[PMC_ORIGIN_TEXT_MAX + PMC_VALUE_MAX + 64];
        snprintf(origin, sizeof origin, "%s: [model] data",
                 PMC_ORIGIN_TEXT(&cfg->model_data_origin));
        snprintf(columns_origin, sizeof columns_origin, "%s: [model] data_columns: %s",
                 PMC_ORIGIN_TEXT(&cfg->model_data_columns_origin), cfg->model_data_columns);
        int rc = pmc_data_read_table(cfg->model_data, origin,
                                     cfg->model_data_columns[0] ? cfg->model_data_columns : NULL,
                                     columns_origin, &t, err);
        if (rc != PMC_OK)
            return rc;
    }
    const double *x = t.values;
    size_t n = t.n_rows * t.n_columns;
    m->n_data = n;
    m->data_checksum = pmc_checksum_fnv1a(PMC_FNV1A_INIT, x, n * sizeof *x);
    /* Every model has at most max(n, plugin n_stats, 4) statistics. */
    size_t cap = n > 4 ? n : 4;
    if (is_plugin && m->pl->n_stats > cap)
        cap = m->pl->n_stats;
    m->obs = calloc(cap, sizeof *m->obs);
    m->table = &t;
    int rc = m->obs ? m->ops->observe(m, cfg, x, n, err)
                    : pmc_err_set(err, PMC_ENOMEM, "out of memory for the observed statistics");
    m->table = NULL;
    pmc_table_free(&t);
    return rc;
}

int pmc_model_create(const pmc_config *cfg, pmc_model **out, pmc_err *err)
{
    pmc_model *m = calloc(1, sizeof *m);
    if (!m)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory creating the model");
    m->work_us = 1000.0;
    m->work_spread = 1.0;
    m->fail_above = INFINITY;
    m->triangle = 1;
    m->lv_x0 = 50.0;
    m->lv_y0 = 100.0;
    m->lv_dt = 2.0;
    m->lv_max_events = 1e5;
    m->sir_infected = 1.0;
    m->sir_dt = 1.0;
    int rc = lookup_ops(cfg, &m->ops, err);
    if (rc == PMC_OK && m->ops->simulate == command_simulate)
        rc = pmc_command_new(&m->cmd, err);
    if (rc == PMC_OK) {
        m->name = m->ops->name;
        if (m->ops->n_params && cfg->n_params != m->ops->n_params)
            rc = pmc_err_set(err, PMC_EINVAL,
                             "%s: [prior]: model %s has %zu parameters (%s), the [prior] "
                             "section defines %zu",
                             cfg->path, cfg->model_name, m->ops->n_params, m->ops->param_desc,
                             cfg->n_params);
    }
    if (rc == PMC_OK)
        rc = apply_model_keys(cfg, m, err);
    if (rc == PMC_OK && m->ops->check)
        rc = m->ops->check(m, cfg, err);
    if (rc == PMC_OK)
        rc = m->cmd ? command_load(cfg, m, err) : load_observed(cfg, m, err);
    if (rc != PMC_OK) {
        pmc_model_free(m);
        return rc;
    }
    *out = m;
    return PMC_OK;
}

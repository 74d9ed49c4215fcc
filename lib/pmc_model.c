#include "pmc_model.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pmc_checkpoint.h"
#include "pmc_data.h"

typedef enum { MODEL_GAUSSIAN, MODEL_TEST_SLOW, MODEL_TEST_FAIL } model_kind;

struct pmc_model {
    model_kind kind;
    size_t n_data;
    double obs[2];
    double work_us, work_spread; /* test_slow */
    double fail_above;           /* test_fail */
    int fail_nan;                /* test_fail: return NaN instead of an error */
    uint64_t data_checksum;
};

uint64_t pmc_model_data_checksum(const pmc_model *m) { return m->data_checksum; }

size_t pmc_model_n_stats(const pmc_model *m)
{
    (void)m;
    return 2;
}

const double *pmc_model_observed_stats(const pmc_model *m) { return m->obs; }

void pmc_model_free(pmc_model *m) { free(m); }

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

static void gaussian_stats_streaming(double mu, double sigma, size_t n, gsl_rng *rng,
                                     double out[2])
{
    double mean = 0.0, m2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = mu + gsl_ran_gaussian_ziggurat(rng, sigma);
        double delta = x - mean;
        mean += delta / (double)(i + 1);
        m2 += delta * (x - mean);
    }
    out[0] = mean;
    out[1] = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
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
}

int pmc_model_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                       pmc_err *err)
{
    if (m->kind == MODEL_TEST_FAIL && theta[0] > m->fail_above) {
        if (!m->fail_nan)
            return pmc_err_set(err, PMC_ERUNTIME,
                               "model test_fail: parameter %.17g is above fail_above = %g",
                               theta[0], m->fail_above);
        stats[0] = NAN;
        stats[1] = NAN;
    } else {
        if (m->kind == MODEL_TEST_SLOW) {
            double frac = fabs(theta[0]) - floor(fabs(theta[0]));
            burn_cpu_us(m->work_us * (1.0 + (m->work_spread - 1.0) * frac));
        }
        gaussian_stats_streaming(theta[0], theta[1], m->n_data, rng, stats);
    }
    for (size_t k = 0; k < 2; k++)
        if (!isfinite(stats[k]))
            return pmc_err_set(err, PMC_ERUNTIME,
                               "model returned a non-finite summary statistic %zu (%g)", k,
                               stats[k]);
    return PMC_OK;
}

/* --- set-up and validation ---------------------------------------------- */

static int key_error(const pmc_config_kv *kv, const char *expected, pmc_err *err)
{
    return pmc_err_set(err, PMC_EINVAL, "%s:%d: [model] %s: %s: %s", kv->origin.file,
                       kv->origin.line, kv->key, kv->value, expected);
}

static int parse_number(const pmc_config_kv *kv, double lo, double *out, pmc_err *err)
{
    char *end = NULL;
    double v = strtod(kv->value, &end);
    if (end == kv->value || *end != '\0' || !isfinite(v) || v < lo) {
        char what[128];
        snprintf(what, sizeof what, "expected a finite number >= %g", lo);
        return key_error(kv, what, err);
    }
    *out = v;
    return PMC_OK;
}

/* The gaussian models need sigma > 0 everywhere the prior can put it. */
static int check_sigma_prior(const pmc_config *cfg, pmc_err *err)
{
    const pmc_prior_spec *p = &cfg->prior[1];
    int ok = 1;
    if (p->kind == PMC_PRIOR_NORMAL)
        ok = 0;
    if ((p->kind == PMC_PRIOR_UNIFORM || p->kind == PMC_PRIOR_TRUNCNORMAL) &&
        p->p[p->kind == PMC_PRIOR_UNIFORM ? 0 : 2] < 0.0)
        ok = 0;
    if (!ok)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s:%d: [prior] %s: model %s needs a prior on positive values for "
                           "its second parameter (the standard deviation)",
                           cfg->prior_origin[1].file, cfg->prior_origin[1].line, p->name,
                           cfg->model_name);
    return PMC_OK;
}

static int apply_model_keys(const pmc_config *cfg, pmc_model *m, pmc_err *err)
{
    for (size_t i = 0; i < cfg->n_model_keys; i++) {
        const pmc_config_kv *kv = &cfg->model_keys[i];
        int rc = PMC_OK;
        if (m->kind == MODEL_TEST_SLOW && !strcmp(kv->key, "work_us"))
            rc = parse_number(kv, 0.0, &m->work_us, err);
        else if (m->kind == MODEL_TEST_SLOW && !strcmp(kv->key, "work_spread"))
            rc = parse_number(kv, 1.0, &m->work_spread, err);
        else if (m->kind == MODEL_TEST_FAIL && !strcmp(kv->key, "fail_above"))
            rc = parse_number(kv, -INFINITY, &m->fail_above, err);
        else if (m->kind == MODEL_TEST_FAIL && !strcmp(kv->key, "mode")) {
            if (!strcmp(kv->value, "nan"))
                m->fail_nan = 1;
            else if (strcmp(kv->value, "error") != 0)
                rc = key_error(kv, "expected 'error' or 'nan'", err);
        } else
            rc = key_error(kv, "unknown key for this model", err);
        if (rc != PMC_OK)
            return rc;
    }
    return PMC_OK;
}

static int lookup_kind(const pmc_config *cfg, model_kind *kind, pmc_err *err)
{
    static const char *const names[] = { "gaussian", "test_slow", "test_fail" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(cfg->model_name, names[i])) {
            *kind = (model_kind)i;
            return PMC_OK;
        }
    const pmc_config_origin *o = &cfg->model_name_origin;
    char where[PMC_PATH_MAX + 32];
    if (o->line > 0)
        snprintf(where, sizeof where, "%s:%d", o->file, o->line);
    else
        snprintf(where, sizeof where, "%s", o->file);
    return pmc_err_set(err, PMC_EINVAL,
                       "%s: [model] name: %s: unknown model (built-in: gaussian; test-only: "
                       "test_slow, test_fail)",
                       where, cfg->model_name);
}

static int load_observed(const pmc_config *cfg, pmc_model *m, pmc_err *err)
{
    if (cfg->model_data[0] == '\0')
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [model] data: missing: model %s needs observed data (a "
                           "one-column file)",
                           cfg->path, cfg->model_name);
    char origin[PMC_PATH_MAX + 64];
    snprintf(origin, sizeof origin, "%s:%d: [model] data", cfg->model_data_origin.file,
             cfg->model_data_origin.line);
    double *x = NULL;
    int rc = pmc_data_read_column(cfg->model_data, origin, &x, &m->n_data, err);
    if (rc != PMC_OK)
        return rc;
    mean_sd(x, m->n_data, m->obs);
    m->data_checksum = pmc_checksum_fnv1a(PMC_FNV1A_INIT, x, m->n_data * sizeof *x);
    free(x);
    return PMC_OK;
}

int pmc_model_create(const pmc_config *cfg, pmc_model **out, pmc_err *err)
{
    pmc_model *m = calloc(1, sizeof *m);
    if (!m)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory creating the model");
    m->work_us = 1000.0;
    m->work_spread = 1.0;
    m->fail_above = INFINITY;
    int rc = lookup_kind(cfg, &m->kind, err);
    if (rc == PMC_OK && cfg->n_params != 2)
        rc = pmc_err_set(err, PMC_EINVAL,
                         "%s: [prior]: model %s has 2 parameters (mean, standard deviation), "
                         "the [prior] section defines %zu",
                         cfg->path, cfg->model_name, cfg->n_params);
    if (rc == PMC_OK)
        rc = check_sigma_prior(cfg, err);
    if (rc == PMC_OK)
        rc = apply_model_keys(cfg, m, err);
    if (rc == PMC_OK)
        rc = load_observed(cfg, m, err);
    if (rc != PMC_OK) {
        free(m);
        return rc;
    }
    *out = m;
    return PMC_OK;
}

#include "pmc_distance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_util.h"

struct pmc_metric {
    pmc_distance_kind kind;
    size_t n_stats;
    const pmc_model *model; /* kind MODEL */
    double *w;
    char *text; /* pmc_distance_describe */
    size_t text_cap;
};

static const char *const kind_names[] = {"euclidean", "weighted_euclidean", "adaptive", "model"};

int pmc_distance_lookup(const char *name, pmc_distance_kind *out, pmc_err *err)
{
    if (!strcmp(name, "euclidean")) {
        *out = PMC_DISTANCE_EUCLIDEAN;
        return PMC_OK;
    }
    for (size_t i = 1; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (!strcmp(name, kind_names[i]))
            return pmc_err_set(err, PMC_EINVAL,
                               "not supported by this build's generation loop yet (it applies "
                               "only euclidean)");
    return pmc_err_set(err, PMC_EINVAL,
                       "unknown distance: expected one of euclidean, weighted_euclidean, "
                       "adaptive, model");
}

double pmc_distance(pmc_distance_kind kind, const double *a, const double *b, size_t n)
{
    (void)kind;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        s += d * d;
    }
    return sqrt(s);
}


/* Rebuilds d->text; returns PMC_ENOMEM if it cannot. */
static int describe_update(pmc_metric *d)
{
    size_t need = 64 + 128 + d->n_stats * 34; /* name, model name, weights */
    if (need > d->text_cap) {
        char *p = realloc(d->text, need);
        if (!p)
            return PMC_ENOMEM;
        d->text = p;
        d->text_cap = need;
    }
    size_t len = (size_t)snprintf(d->text, d->text_cap, "%s", kind_names[d->kind]);
    if (d->kind == PMC_DISTANCE_EUCLIDEAN)
        return PMC_OK;
    if (d->kind == PMC_DISTANCE_MODEL) {
        snprintf(d->text + len, d->text_cap - len, "(%.127s)", pmc_model_name(d->model));
        return PMC_OK;
    }
    for (size_t i = 0; i < d->n_stats; i++) {
        char num[32];
        pmc_format_real(d->w[i], num);
        len += (size_t)snprintf(d->text + len, d->text_cap - len, "%s%s", i ? ", " : "(", num);
    }
    snprintf(d->text + len, d->text_cap - len, ")");
    return PMC_OK;
}

static int check_weights(const pmc_config *cfg, size_t n_stats, pmc_err *err)
{
    char where[PMC_ORIGIN_TEXT_MAX];
    pmc_config_origin_text(&cfg->distance_weights_origin, where, sizeof where);
    if (cfg->n_distance_weights != n_stats)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [distance] weights: %zu weights, but model %s has %zu summary "
                           "statistics: expected one weight per statistic",
                           where, cfg->n_distance_weights, cfg->model_name, n_stats);
    return PMC_OK;
}

int pmc_distance_create(const pmc_config *cfg, const pmc_model *model, pmc_metric **out,
                        pmc_err *err)
{
    pmc_distance_kind kind = PMC_DISTANCE_EUCLIDEAN;
    size_t i = 0;
    while (i < sizeof kind_names / sizeof kind_names[0] && strcmp(cfg->distance_name, kind_names[i]))
        i++;
    char where[PMC_ORIGIN_TEXT_MAX];
    pmc_config_origin_text(&cfg->distance_origin, where, sizeof where);
    if (i == sizeof kind_names / sizeof kind_names[0])
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [distance] name: %s: unknown distance: expected one of "
                           "euclidean, weighted_euclidean, adaptive, model",
                           where, cfg->distance_name);
    kind = (pmc_distance_kind)i;
    size_t n_stats = pmc_model_n_stats(model);
    if (kind == PMC_DISTANCE_MODEL && !pmc_model_has_distance(model))
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [distance] name: model: model %s defines no distance of its "
                           "own: expected a plugin with a distance callback, or another "
                           "distance",
                           where, pmc_model_name(model));
    if (kind == PMC_DISTANCE_WEIGHTED_EUCLIDEAN) {
        int rc = check_weights(cfg, n_stats, err);
        if (rc != PMC_OK)
            return rc;
    }
    pmc_metric *d = calloc(1, sizeof *d);
    if (d)
        d->w = malloc(n_stats * sizeof *d->w);
    if (!d || !d->w) {
        pmc_distance_free(d);
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for the distance");
    }
    d->kind = kind;
    d->n_stats = n_stats;
    d->model = model;
    for (size_t j = 0; j < n_stats; j++)
        d->w[j] = kind == PMC_DISTANCE_WEIGHTED_EUCLIDEAN ? cfg->distance_weights[j] : 1.0;
    if (describe_update(d) != PMC_OK) {
        pmc_distance_free(d);
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for the distance");
    }
    *out = d;
    return PMC_OK;
}

void pmc_distance_free(pmc_metric *d)
{
    if (!d)
        return;
    free(d->w);
    free(d->text);
    free(d);
}

pmc_distance_kind pmc_distance_kind_of(const pmc_metric *d) { return d->kind; }

const double *pmc_distance_weights(const pmc_metric *d) { return d->w; }

const char *pmc_distance_describe(const pmc_metric *d) { return d->text; }

double pmc_distance_eval(const pmc_metric *d, const double *a, const double *b)
{
    if (d->kind == PMC_DISTANCE_MODEL)
        return pmc_model_distance(d->model, a, b);
    if (d->kind == PMC_DISTANCE_EUCLIDEAN)
        return pmc_distance(d->kind, a, b, d->n_stats);
    double s = 0.0;
    for (size_t i = 0; i < d->n_stats; i++) {
        double x = d->w[i] * (a[i] - b[i]);
        s += x * x;
    }
    return sqrt(s);
}

int pmc_distance_set_weights(pmc_metric *d, const double *w, pmc_err *err)
{
    if (d->kind != PMC_DISTANCE_ADAPTIVE && d->kind != PMC_DISTANCE_WEIGHTED_EUCLIDEAN)
        return pmc_err_set(err, PMC_EINVAL, "distance %s has no weights to set",
                           kind_names[d->kind]);
    for (size_t i = 0; i < d->n_stats; i++)
        if (!isfinite(w[i]) || !(w[i] > 0))
            return pmc_err_set(err, PMC_EINVAL,
                               "distance weight %zu is %g: expected a finite number > 0", i, w[i]);
    memcpy(d->w, w, d->n_stats * sizeof *w);
    if (describe_update(d) != PMC_OK)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory describing the distance");
    return PMC_OK;
}

/* --- adaptive weights --- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of x[0..n), n >= 1; sorts x. */
static double median_sorting(double *x, size_t n)
{
    qsort(x, n, sizeof *x, compare_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

int pmc_distance_mad_weights(const double *stats, size_t n, size_t n_stats, double *weights_out,
                             pmc_err *err)
{
    if (n == 0)
        return pmc_err_set(err, PMC_EINVAL, "adaptive distance weights need at least one row");
    double *col = malloc(n * sizeof *col);
    if (!col)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu statistics", n);
    for (size_t j = 0; j < n_stats; j++) {
        for (size_t i = 0; i < n; i++) {
            col[i] = stats[i * n_stats + j];
            if (!isfinite(col[i])) {
                free(col);
                return pmc_err_set(err, PMC_EINVAL,
                                   "adaptive distance weights: statistic %zu of row %zu is not "
                                   "finite (%g)",
                                   j, i, stats[i * n_stats + j]);
            }
        }
        double med = median_sorting(col, n), mean_abs = 0.0;
        for (size_t i = 0; i < n; i++) {
            col[i] = fabs(col[i] - med);
            mean_abs += col[i];
        }
        mean_abs /= (double)n;
        double mad = median_sorting(col, n);
        /* A statistic that is mostly constant (e.g. a count that is usually
         * 0) has MAD 0; its mean absolute deviation still measures its scale. */
        double scale = mad > 0.0 ? mad : mean_abs;
        weights_out[j] = scale > 0.0 && isfinite(1.0 / scale) ? 1.0 / scale : 1.0;
    }
    free(col);
    return PMC_OK;
}

/* Distances between vectors of summary statistics (docs/config.md,
 * [distance]):
 *   euclidean           sqrt(sum (a_i - b_i)^2)
 *   weighted_euclidean  sqrt(sum (w_i (a_i - b_i))^2), w from [distance] weights
 *   adaptive            weighted_euclidean whose weights the generation loop
 *                       sets from the population (pmc_distance_mad_weights;
 *                       Prangle 2017); all weights 1 until then
 *   model               the model's own distance (a plugin's `distance`)
 * A weight multiplies the difference, so it is 1 / (the scale of the
 * statistic): w_i = 1 / MAD_i makes every statistic count alike. */
#ifndef PMC_DISTANCE_H
#define PMC_DISTANCE_H

#include <stddef.h>

#include "pmc_config.h"
#include "pmc_error.h"
#include "pmc_model.h"

typedef enum {
    PMC_DISTANCE_EUCLIDEAN,
    PMC_DISTANCE_WEIGHTED_EUCLIDEAN,
    PMC_DISTANCE_ADAPTIVE,
    PMC_DISTANCE_MODEL
} pmc_distance_kind;

/* The distance in use: kind, weights (one per statistic) and the model for
 * kind MODEL. Read-only while slots are computed. */
typedef struct pmc_metric pmc_metric;

/* Legacy: the distances the generation loop can apply while it calls
 * pmc_distance(kind, ...) without weights, i.e. only "euclidean"; any other
 * name is PMC_EINVAL. pmc_distance_create replaces both. */
int pmc_distance_lookup(const char *name, pmc_distance_kind *out, pmc_err *err);

/* Creates the distance of cfg ([distance] name, weights) for model: checks
 * that the weights count equals the model's number of statistics and, for
 * `model`, that the model defines a distance. Errors are PMC_EINVAL naming
 * FILE:LINE of the key at fault. */
int pmc_distance_create(const pmc_config *cfg, const pmc_model *model, pmc_metric **out,
                        pmc_err *err);

void pmc_distance_free(pmc_metric *d);

pmc_distance_kind pmc_distance_kind_of(const pmc_metric *d);

/* Distance between simulated statistics a and observed b (n_stats each). */
double pmc_distance_eval(const pmc_metric *d, const double *a, const double *b);

/* The weights in use (n_stats values; all 1 for euclidean and model). */
const double *pmc_distance_weights(const pmc_metric *d);

/* Replaces the weights (kind ADAPTIVE; also allowed for WEIGHTED_EUCLIDEAN).
 * Each must be finite and > 0; PMC_EINVAL otherwise (d unchanged). */
int pmc_distance_set_weights(pmc_metric *d, const double *w, pmc_err *err);

/* Text for generation files and logs, e.g. "euclidean",
 * "weighted_euclidean(1, 0.5)", "adaptive(2.5, 0.125)", "model(normal_mean)".
 * Weights are printed exactly (shortest %.17g round trip). Valid until the
 * next pmc_distance_set_weights or pmc_distance_free. */
const char *pmc_distance_describe(const pmc_metric *d);

/* Adaptive weights (Prangle 2017, "Adapting the ABC distance function",
 * Bayesian Analysis 12(1), algorithm 4): weights_out[j] = 1 / MAD_j over the
 * n rows of stats (row-major n x n_stats), MAD_j the median absolute
 * deviation from the median of column j (medians of an even count are the
 * mean of the two middle values; sorting makes it independent of row order).
 * A column with MAD 0 falls back to 1 / (mean absolute deviation from the
 * median); a constant column gets weight 1. Needs n >= 1; PMC_EINVAL on a
 * non-finite statistic, PMC_ENOMEM. */
int pmc_distance_mad_weights(const double *stats, size_t n, size_t n_stats, double *weights_out,
                             pmc_err *err);

/* Legacy form used until the generation loop holds a pmc_metric: the
 * Euclidean distance (kind must be PMC_DISTANCE_EUCLIDEAN). */
double pmc_distance(pmc_distance_kind kind, const double *a, const double *b, size_t n);

#endif

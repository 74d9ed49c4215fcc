/* Model choice: ABC-SMC over K models (Toni & Stumpf 2010, Bioinformatics
 * 26:104; docs/algorithm.md "Model choice"). A particle is a row of the run's
 * joint parameter list (pmc_config.h): column 0 the model index m, model m's
 * parameters in columns first[m] .. first[m + 1] - 1, the other models'
 * columns NaN. Every function here is deterministic and gives the same bits
 * on every rank. */
#ifndef PMC_CHOICE_H
#define PMC_CHOICE_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "pmc_config.h"
#include "pmc_error.h"
#include "pmc_kernel.h"

typedef struct {
    const pmc_config *cfg; /* the run's: n_models, model_first, models[m]->prior */
    size_t K, d;           /* models; columns of a row */
    /* Fitted to the previous population by pmc_choice_fit: */
    double p[PMC_MODELS_MAX];       /* its model probabilities (weight per model) */
    size_t start[PMC_MODELS_MAX + 1]; /* its particles of model m: order[start[m] .. start[m+1]) */
    size_t *order;                  /* particle indices grouped by model, ascending in a group */
    double *cumw;                   /* in order: cumulative weights within each group */
    double *w_group;                /* in order: w_j p-scaled for the weight sums (pmc_choice_weights) */
    double *z_prev;                 /* in order: the rows whitened by their model's kernel (d_m columns) */
    pmc_kernel kernel[PMC_MODELS_MAX]; /* over model m's parameters, from its particles */
    int fitted[PMC_MODELS_MAX];     /* 0: model m's parameters are proposed from its prior */
    double log_norm[PMC_MODELS_MAX]; /* log |L_m| + d_m/2 log(2 pi): its kernel's constant */
} pmc_choice;

/* For a run of cfg (cfg->n_models >= 2) with up to n particles. */
int pmc_choice_init(pmc_choice *c, const pmc_config *cfg, size_t n, pmc_err *err);
void pmc_choice_free(pmc_choice *c);

/* The model index of a row (column 0). */
size_t pmc_choice_model_of(const double *row);

/* Fits to a population (n rows, normalised weights w): the model
 * probabilities, and per model with at least two particles a kernel of
 * kernel_kind (beaumont or componentwise) over its parameters from its
 * particles and their weights; a model with fewer, or whose weighted
 * covariance is undefined or singular, gets its parameters from its prior
 * in the next generation (`fitted` 0). */
int pmc_choice_fit(pmc_choice *c, int kernel_kind, const double *theta, const double *w,
                   size_t n, pmc_err *err);

/* One proposal into row (d columns): generation 0 (prev NULL) draws the
 * model from its prior and its parameters from theirs; later the model of
 * an ancestor drawn by weight (prev_cumw: cumulative weights of all of
 * prev's n rows), which stays with probability [models] stay and else moves
 * to one of the other K - 1 models, each alike; then an ancestor of that
 * model by weight, perturbed by the model's kernel (or the model's prior if
 * it is not fitted). Returns 1 if the row lies in the model's prior
 * support, 0 if not (the caller draws again). */
int pmc_choice_propose(const pmc_choice *c, const double *prev, const double *prev_cumw,
                       size_t n_prev, gsl_rng *rng, double *row);

/* The model's parameters of a row and its model index. */
const double *pmc_choice_params(const pmc_choice *c, const double *row, size_t *m);

/* Unnormalised weights of rows [lo, hi) of theta (Toni & Stumpf 2010,
 * eq. in docs/algorithm.md): for row i of model m,
 *   pi(m) pi_m(theta_i) / ( q(m) / p(m) sum_{j of m} w_j K_m(theta_i | theta_j) ),
 *   q(m) = p(m) stay + (1 - p(m)) (1 - stay) / (K - 1),
 * with K_m's normalising constant (it differs between models), or
 * pi(m) / q(m) for a model proposed from its prior. out[i - lo]. */
int pmc_choice_weights(const pmc_choice *c, const double *theta, size_t lo, size_t hi,
                       double *out, pmc_err *err);

/* Posterior model probabilities of a population: the weight on each model. */
void pmc_choice_probabilities(size_t K, const double *theta, const double *w, size_t n,
                              size_t d, double *p);

#endif

/* Simulation models. A model maps parameters and a random stream to a vector
 * of summary statistics; it also owns the observed data's statistics.
 *
 * Built-in models (docs/models.md):
 *   gaussian        data ~ Normal(mu, sigma), stats (mean, sd); params (mu, sigma)
 *   ma2             MA(2) time series, stats: autocovariances at lags 1, 2
 *   gandk           g-and-k distribution, stats: octile-based robust moments
 *   lotka_volterra  stochastic predator-prey (Gillespie), stats: the counts
 *   sir             stochastic SIR epidemic (Gillespie), stats: incidence
 *   plugin          a shared object implementing <pmcabc/model.h>
 *   test_slow       gaussian that also burns CPU: work_us * (1 + spread * u(theta))
 *   test_fail       gaussian that fails when the first parameter exceeds fail_above
 * The test_ models exist for the scheduler tests; they are documented but not
 * meant for inference.
 *
 * Every model is one entry of a table of operations in pmc_model.c (set a
 * key, check the priors, read the observed data, simulate, support check). */
#ifndef PMC_MODEL_H
#define PMC_MODEL_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "pmc_config.h"
#include "pmc_error.h"
#include "pmcabc/model.h"

typedef struct pmc_model pmc_model;

/* Creates the model named in cfg->model_name: checks its model-specific keys
 * (unknown key or bad value: PMC_EINVAL naming file:line), loads a plugin
 * (`name = plugin`), reads the observed data, checks the [prior] parameter
 * count (and names, for plugins that declare them), and computes the
 * observed statistics. All failures are PMC_EINVAL (exit 2) except
 * PMC_ENOMEM/PMC_EIO. On failure *out is untouched. */
int pmc_model_create(const pmc_config *cfg, pmc_model **out, pmc_err *err);

/* Frees the model (calls a plugin's finalize and unloads it). NULL is fine. */
void pmc_model_free(pmc_model *m);

size_t pmc_model_n_stats(const pmc_model *m);

/* The model's name: the [model] name, or a plugin's own name. */
const char *pmc_model_name(const pmc_model *m);

/* Fingerprint of the observed data (FNV-1a 64 of the values as read), stored
 * in checkpoints so that a resume with changed data is refused. */
uint64_t pmc_model_data_checksum(const pmc_model *m);

/* Fingerprint of a plugin's or a command's code (FNV-1a 64 of the plugin
 * file; of the program and its script files), stored in checkpoints so that
 * a resume with a rebuilt simulator is refused; 0 for a built-in model,
 * whose code the stream version (pmc_version.h) covers. */
uint64_t pmc_model_digest(const pmc_model *m);

/* The file(s) pmc_model_digest covers, as text; NULL for a built-in model. */
const char *pmc_model_code_path(const pmc_model *m);
const double *pmc_model_observed_stats(const pmc_model *m);

/* Simulates at theta with rng and writes the statistics to stats. Returns
 * PMC_ERUNTIME with a message if the model fails or a statistic is not finite.
 * Thread-compatible: the model's state is read-only during simulation. */
int pmc_model_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                       pmc_err *err);

/* 1 if the model can share one simulation over a group of MPI ranks (a
 * plugin with simulate_group, <pmcabc/model.h>); only such a model runs
 * with [mpi] ranks_per_simulation > 1. */
int pmc_model_is_group_parallel(const pmc_model *m);

/* pmc_model_simulate for one rank of a group: every rank of the group calls
 * it with the same theta and an identical rng; a group-parallel model gets
 * `group`, any other model ignores it (and must only run in groups of 1).
 * group NULL is a group of one without a communicator (unit tests). */
int pmc_model_simulate_group(const pmc_model *m, const double *theta, gsl_rng *rng,
                             double *stats, const pmcabc_group *group, pmc_err *err);

/* 1 if theta is inside the model's own parameter constraint (e.g. ma2's
 * invertibility triangle), else 0. A point outside must be treated as having
 * zero prior density: never proposed, never simulated. Models without a
 * constraint return 1 everywhere. */
int pmc_model_in_support(const pmc_model *m, const double *theta);

/* Whether the model defines its own distance (a plugin's `distance`), and
 * that distance between simulated a and observed b (n_stats each). */
int pmc_model_has_distance(const pmc_model *m);
double pmc_model_distance(const pmc_model *m, const double *a, const double *b);

/* The run's time limit (a pmc_now() time; 0 = none), for a model that
 * waits on something outside the process (a command model's program):
 * past it a simulation is abandoned with PMC_EINTR, as on a stop signal.
 * Other models ignore it (they are not interrupted). */
void pmc_model_set_stop_time(pmc_model *m, double stop_time);

#endif

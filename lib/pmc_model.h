/* Simulation models. A model maps parameters and a random stream to a vector
 * of summary statistics; it also owns the observed data's statistics.
 *
 * Built-in models (docs/models.md):
 *   gaussian    data ~ Normal(mu, sigma), stats (mean, sd); params (mu, sigma)
 *   test_slow   gaussian that also burns CPU: work_us * (1 + spread * u(theta))
 *   test_fail   gaussian that fails when the first parameter exceeds fail_above
 * The test_ models exist for the scheduler tests; they are documented but not
 * meant for inference. */
#ifndef PMC_MODEL_H
#define PMC_MODEL_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "pmc_config.h"
#include "pmc_error.h"

typedef struct pmc_model pmc_model;

/* Creates the model named in cfg->model_name: checks its model-specific keys
 * (unknown key or bad value: PMC_EINVAL naming file:line), reads the observed
 * data, checks the [prior] parameter count, and computes the observed
 * statistics. */
int pmc_model_create(const pmc_config *cfg, pmc_model **out, pmc_err *err);

void pmc_model_free(pmc_model *m);

size_t pmc_model_n_stats(const pmc_model *m);

/* Fingerprint of the observed data (FNV-1a 64 of the values as read), stored
 * in checkpoints so that a resume with changed data is refused. */
uint64_t pmc_model_data_checksum(const pmc_model *m);
const double *pmc_model_observed_stats(const pmc_model *m);

/* Simulates at theta with rng and writes the statistics to stats. Returns
 * PMC_ERUNTIME with a message if the model fails or a statistic is not finite.
 * Thread-compatible: the model's state is read-only during simulation. */
int pmc_model_simulate(const pmc_model *m, const double *theta, gsl_rng *rng, double *stats,
                       pmc_err *err);

#endif

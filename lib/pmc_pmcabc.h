/* The generation loop of Population Monte Carlo ABC (Beaumont, Cornuet,
 * Marin & Robert 2009, "Adaptive approximate Bayesian computation"). */
#ifndef PMC_PMCABC_H
#define PMC_PMCABC_H

#include "pmc_config.h"
#include "pmc_error.h"
#include "pmc_schedule.h"

/* Runs the inference described by cfg over the ranks of s, writing
 * gen-NNNN.h5 after each generation and logging progress on rank 0.
 * Returns PMC_OK when it stopped normally (generations reached, epsilon
 * minimum reached, or simulation budget exhausted), else an error that is
 * the same on every rank. Collective. */
int pmc_run(const pmc_config *cfg, pmc_schedule *s, pmc_err *err);

#endif

/* The generation loop of Population Monte Carlo ABC (Beaumont, Cornuet,
 * Marin & Robert 2009, "Adaptive approximate Bayesian computation"). */
#ifndef PMC_PMCABC_H
#define PMC_PMCABC_H

#include "pmc_config.h"
#include "pmc_error.h"
#include "pmc_schedule.h"

/* What to do with a checkpoint_dir that already holds a run. */
typedef enum {
    PMC_RESTART_AUTO = 0, /* resume it if there is one, else start (default) */
    PMC_RESTART_NEVER,    /* refuse to touch an existing run */
    PMC_RESTART_REQUIRE   /* fail if there is nothing to resume */
} pmc_restart_mode;

typedef struct {
    pmc_restart_mode restart;
    double time_limit; /* seconds from the command line; < 0 = take [run] time_limit */
} pmc_run_options;

/* Runs the inference described by cfg over the ranks of s, writing
 * gen-NNNN.h5 after each generation and logging progress on rank 0. Resumes
 * from the newest valid generation (and its partial file) in the checkpoint
 * directory. Returns PMC_OK when it stopped normally (generations reached,
 * epsilon minimum reached, simulation budget exhausted, or the run was
 * already finished), PMC_EINTR after a signal or the time limit (a
 * resumable checkpoint is on disk), else an error; the same on every rank.
 * Collective. */
int pmc_run(const pmc_config *cfg, const pmc_run_options *opt, pmc_schedule *s, pmc_err *err);

#endif

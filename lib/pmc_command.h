/* The `command` model: the simulator is an executable that pmcabc runs
 * without a shell (docs/writing-a-model.md, "A simulator program").
 *
 *   persistent (default)  one process per rank, started at the first
 *                         simulation: one request line per simulation on
 *                         its stdin ("simulate SEED name=value ..."), one
 *                         reply line of statistics on its stdout;
 *   per_simulation        one process per simulation, its argv with
 *                         {seed} and {NAME} substituted; the statistics
 *                         are its stdout.
 *
 * Every child runs in a process group of its own (a Ctrl-C or a signal to
 * pmcabc's group reaches pmcabc, which stops it), dies with the thread that
 * started it (PR_SET_PDEATHSIG: a `kill -9` of a rank takes its child
 * along), and is killed, group and all, before pmcabc returns. Its stderr
 * goes to pmcabc's stderr line by line, prefixed with rank, generation and
 * slot. All waiting is poll() with timeouts: no core is spun.
 *
 * Not thread-safe: a command model is simulated by one thread per process
 * (pmcabc's main thread), which is what the scheduler does. */
#ifndef PMC_COMMAND_H
#define PMC_COMMAND_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "pmc_config.h"
#include "pmc_error.h"

typedef struct pmc_command pmc_command;

/* An empty command model: keys are given with pmc_command_set_key, then
 * pmc_command_setup. PMC_ENOMEM on failure. */
int pmc_command_new(pmc_command **out, pmc_err *err);

/* Applies one [model] key of the command model: command, mode, timeout or
 * observed. PMC_ENOTFOUND for any other key; PMC_EINVAL for a bad value
 * (FILE:LINE: [model] KEY: VALUE: what was expected). */
int pmc_command_set_key(pmc_command *c, const pmc_config_kv *kv, pmc_err *err);

/* Checks the program (found, a regular file, executable: else PMC_EINVAL at
 * the command key's FILE:LINE), the placeholders of its argv, and gets the
 * observed statistics, from the `observed` file or from the program's
 * `observed` request. On success *obs is a malloc'd array of *n_stats
 * values and *checksum fingerprints them together with the data file's
 * bytes (a resume with other data or statistics is refused). Failures are
 * PMC_EINVAL (exit 2: nothing is written) or PMC_ENOMEM/PMC_EIO. */
int pmc_command_setup(pmc_command *c, const pmc_config *cfg, double **obs, size_t *n_stats,
                      uint64_t *checksum, pmc_err *err);

/* After pmc_command_setup: FNV-1a 64 of the program file and of every
 * argument naming an existing file other than the data (a script), so a
 * resume notices a changed simulator (never 0); and the files it covers,
 * as text for messages. */
uint64_t pmc_command_code_digest(const pmc_command *c);
const char *pmc_command_code_files(const pmc_command *c);

/* One simulation at theta (cfg's [prior] order): draws a 64-bit seed from
 * rng and writes the program's n_stats finite statistics to stats. Returns
 * PMC_ERUNTIME with one message (the program's exit status or signal, what
 * it replied, the tail of its stderr) on any failure, or PMC_EINTR when a
 * stop signal arrived (the simulation is abandoned and its child killed; an
 * attempt is redone on resume, with the same seed). */
int pmc_command_simulate(pmc_command *c, const double *theta, gsl_rng *rng, double *stats,
                         pmc_err *err);

/* The run's time limit (a pmc_now() time, 0 = none): a simulation still
 * running then is abandoned like on a stop signal (PMC_EINTR). */
void pmc_command_set_stop_time(pmc_command *c, double stop_time);

/* Stops the child (end of input, a short grace, then SIGKILL to its process
 * group) and frees. NULL is fine. */
void pmc_command_free(pmc_command *c);

#endif

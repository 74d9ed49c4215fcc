/* Stop requests from the outside world: SIGTERM (Slurm preemption, requeue,
 * scancel), SIGUSR1 (Slurm's --signal warning before the time limit) and
 * SIGINT (Ctrl-C). The handler only records the signal; the run notices it
 * between simulations, saves what is finished and exits with code 75. */
#ifndef PMC_SIGNAL_H
#define PMC_SIGNAL_H

/* Installs handlers for SIGTERM, SIGUSR1 and SIGINT (SA_RESTART). */
void pmc_signal_install(void);

/* The last stop signal received, or 0. Async-signal-safe to call. */
int pmc_signal_pending(void);

/* Name of a signal number ("SIGTERM", ...). */
const char *pmc_signal_name(int sig);

#endif

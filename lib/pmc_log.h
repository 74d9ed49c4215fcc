/* Logging: every line carries the rank and the elapsed wall time, so that the
 * interleaved output of many ranks in one Slurm log stays readable. */
#ifndef PMC_LOG_H
#define PMC_LOG_H

#include <stddef.h>

typedef enum { PMC_LOG_ERROR = 0, PMC_LOG_WARN = 1, PMC_LOG_INFO = 2, PMC_LOG_DEBUG = 3 } pmc_log_level;

/* Sets this process's rank and starts the elapsed-time clock. Call once. */
void pmc_log_init(int rank, pmc_log_level level);

/* Messages at INFO and DEBUG are printed by rank 0 only (to stdout);
 * WARN and ERROR by any rank (to stderr). */
void pmc_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pmc_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pmc_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pmc_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line of another program's output (a simulator's stderr): printed by
 * any rank, to stderr, with rank and time but no level tag; at WARN level,
 * so --quiet still shows it. */
void pmc_log_forward(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Live progress (rank 0): on a terminal, one line refreshed in place
 * (final = 1 ends it with a newline); otherwise a plain INFO line, except
 * for the final call, which prints nothing (a summary line follows). */
void pmc_log_progress(int final, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How often to call pmc_log_progress: every 0.5 s on a terminal, else every
 * `interval` seconds; 0 when progress is off (interval <= 0 or quiet). */
double pmc_log_progress_period(double interval);

/* "42 s", "3 min 20 s", "2 h 5 min", or "unknown" for negative values. */
void pmc_log_duration(double seconds, char *buf, size_t len);

/* Seconds since pmc_log_init (monotonic clock). */
double pmc_log_elapsed(void);

/* Monotonic wall clock in seconds, for timing. */
double pmc_now(void);

#endif

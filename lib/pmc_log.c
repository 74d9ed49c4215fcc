#include "pmc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Process-wide logging state: set once by pmc_log_init before any worker
 * thread starts, read-only afterwards. */
static int log_rank;
static pmc_log_level log_level = PMC_LOG_INFO;
static double log_t0;

double pmc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void pmc_log_init(int rank, pmc_log_level level)
{
    log_rank = rank;
    log_level = level;
    log_t0 = pmc_now();
}

double pmc_log_elapsed(void)
{
    return pmc_now() - log_t0;
}

static void log_emit(pmc_log_level level, const char *tag, const char *fmt, va_list ap)
{
    if (level > log_level)
        return;
    if (level >= PMC_LOG_INFO && log_rank != 0)
        return;
    FILE *out = level >= PMC_LOG_INFO ? stdout : stderr;
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(out, "[%d %9.3fs] %s%s\n", log_rank, pmc_log_elapsed(), tag, line);
    fflush(out);
}

#define PMC_LOG_FN(fname, level, tag)      \
    void fname(const char *fmt, ...)       \
    {                                      \
        va_list ap;                        \
        va_start(ap, fmt);                 \
        log_emit(level, tag, fmt, ap);     \
        va_end(ap);                        \
    }

PMC_LOG_FN(pmc_log_error, PMC_LOG_ERROR, "error: ")
PMC_LOG_FN(pmc_log_warn, PMC_LOG_WARN, "warning: ")
PMC_LOG_FN(pmc_log_info, PMC_LOG_INFO, "")
PMC_LOG_FN(pmc_log_debug, PMC_LOG_DEBUG, "debug: ")
PMC_LOG_FN(pmc_log_forward, PMC_LOG_WARN, "")

double pmc_log_progress_period(double interval)
{
    if (interval <= 0.0 || log_level < PMC_LOG_INFO)
        return 0.0;
    return isatty(STDOUT_FILENO) ? 0.5 : interval;
}

void pmc_log_progress(int final, const char *fmt, ...)
{
    if (log_rank != 0 || log_level < PMC_LOG_INFO)
        return;
    int tty = isatty(STDOUT_FILENO);
    if (final && !tty)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (tty)
        printf("\r[%d %9.3fs] %s\033[K%s", log_rank, pmc_log_elapsed(), line, final ? "\n" : "");
    else
        printf("[%d %9.3fs] %s\n", log_rank, pmc_log_elapsed(), line);
    fflush(stdout);
}

void pmc_log_duration(double seconds, char *buf, size_t len)
{
    if (!(seconds >= 0.0))
        snprintf(buf, len, "unknown");
    else if (seconds < 60.0)
        snprintf(buf, len, "%.0f s", seconds);
    else if (seconds < 3600.0)
        snprintf(buf, len, "%d min %d s", (int)(seconds / 60), (int)seconds % 60);
    else
        snprintf(buf, len, "%d h %d min", (int)(seconds / 3600), ((int)seconds % 3600) / 60);
}

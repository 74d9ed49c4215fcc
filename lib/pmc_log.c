#include "pmc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

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

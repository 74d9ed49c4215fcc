/* Status codes and error reports shared by every pmcabc module.
 *
 * Library functions return one of pmc_status (PMC_OK or a negative code) and,
 * on failure, fill a pmc_err with a message that names what was wrong and what
 * was expected. They never exit the process: only app/ maps codes to exit
 * statuses (pmc_exit_code). */
#ifndef PMC_ERROR_H
#define PMC_ERROR_H

#include <stddef.h>

typedef enum {
    PMC_OK = 0,
    PMC_EINVAL = -1,    /* bad usage, config, data or model definition (exit 2) */
    PMC_EIO = -2,       /* file system or HDF5 failure (exit 1) */
    PMC_ENOMEM = -3,    /* allocation failed (exit 1) */
    PMC_ERUNTIME = -4,  /* model failure, numerical failure during a run (exit 1) */
    PMC_EINTR = -5,     /* interrupted, a resumable checkpoint is on disk (exit 75) */
    PMC_ENOTFOUND = -6, /* nothing there (no checkpoint, no key); callers decide */
    PMC_EBUDGET = -7    /* simulation budget (max_simulations) would be exceeded */
} pmc_status;

/* Process exit codes, documented in `pmcabc --help` and docs/exit-codes.md. */
enum {
    PMC_EXIT_OK = 0,
    PMC_EXIT_RUNTIME = 1,
    PMC_EXIT_INVALID = 2,
    PMC_EXIT_INTERRUPTED = 75
};

#define PMC_ERR_MSG_MAX 1024

typedef struct {
    int code;
    char msg[PMC_ERR_MSG_MAX];
} pmc_err;

/* Short text of a status code ("invalid input", ...). Never NULL. */
const char *pmc_strerror(int code);

/* A UTF-8 byte-order mark, which config and data files may start with. */
#define PMC_UTF8_BOM "\xEF\xBB\xBF"

/* Records code and a printf-style message in err (err may be NULL) and
 * returns code, so callers can write `return pmc_err_set(err, ...)`.
 * Bytes that would not show on a terminal (control characters but '\n',
 * invalid UTF-8, and invisible characters such as a byte-order mark, a
 * zero-width or a no-break space) are written as \xNN, so that the culprit
 * of a message quoting input text can be seen. pmc_err_prefix does the same. */
int pmc_err_set(pmc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message, keeping the code. Returns the code. */
int pmc_err_prefix(pmc_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void pmc_err_clear(pmc_err *err);

/* Maps a status to the documented process exit code. */
int pmc_exit_code(int code);

#endif

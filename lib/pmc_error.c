#include "pmc_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pmc_strerror(int code)
{
    switch (code) {
    case PMC_OK: return "success";
    case PMC_EINVAL: return "invalid input";
    case PMC_EIO: return "input/output error";
    case PMC_ENOMEM: return "out of memory";
    case PMC_ERUNTIME: return "runtime error";
    case PMC_EINTR: return "interrupted (checkpoint saved)";
    case PMC_ENOTFOUND: return "not found";
    case PMC_EBUDGET: return "simulation budget exhausted";
    default: return "unknown error";
    }
}

int pmc_err_set(pmc_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int pmc_err_prefix(pmc_err *err, const char *fmt, ...)
{
    if (!err)
        return PMC_ERUNTIME;
    char buf[2 * PMC_ERR_MSG_MAX + 2];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, PMC_ERR_MSG_MAX, fmt, ap);
    va_end(ap);
    size_t off = len < 0 ? 0 : (size_t)len;
    if (off >= PMC_ERR_MSG_MAX)
        off = PMC_ERR_MSG_MAX - 1;
    memcpy(buf + off, ": ", 2);
    memcpy(buf + off + 2, err->msg, PMC_ERR_MSG_MAX);
    buf[off + 2 + PMC_ERR_MSG_MAX - 1] = '\0';
    /* Long messages keep their beginning, which names the place of the error. */
    memcpy(err->msg, buf, PMC_ERR_MSG_MAX - 1);
    err->msg[PMC_ERR_MSG_MAX - 1] = '\0';
    return err->code;
}

void pmc_err_clear(pmc_err *err)
{
    if (err) {
        err->code = PMC_OK;
        err->msg[0] = '\0';
    }
}

int pmc_exit_code(int code)
{
    switch (code) {
    case PMC_OK: return PMC_EXIT_OK;
    case PMC_EINVAL: return PMC_EXIT_INVALID;
    case PMC_EINTR: return PMC_EXIT_INTERRUPTED;
    default: return PMC_EXIT_RUNTIME;
    }
}

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

/* Length of the valid UTF-8 sequence at s (1-4) and its code point in *cp;
 * 0 if s does not start one (stray continuation byte, overlong form,
 * surrogate, truncated). */
static size_t utf8_sequence(const unsigned char *s, unsigned long *cp)
{
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || s[0] > 0xF4)
        return 0;
    unsigned long c = s[0] & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* Characters that print as nothing or as a plain space: C1 controls, no-break
 * and soft hyphen, zero-width and direction marks, line/paragraph separators,
 * word joiners, the byte-order mark. */
static int invisible(unsigned long c)
{
    return (c >= 0x80 && c <= 0xA0) || c == 0xAD || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x2028 && c <= 0x202F) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

/* Rewrites msg (NUL-terminated, capacity PMC_ERR_MSG_MAX) with invisible
 * bytes as \xNN (contract in pmc_error.h); the end is cut if it grows. */
static void escape_invisible(char *msg)
{
    char out[PMC_ERR_MSG_MAX];
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)msg;
    while (*s && o + 1 < sizeof out) {
        unsigned long cp = 0;
        size_t len = *s < 0x80 ? 1 : utf8_sequence(s, &cp);
        int plain = *s < 0x80 ? (*s >= 0x20 && *s != 0x7F) || *s == '\n'
                              : len > 0 && !invisible(cp);
        if (plain) {
            if (o + len >= sizeof out)
                break;
            memcpy(out + o, s, len);
            o += len;
            s += len;
            continue;
        }
        /* Every byte of an invisible character, so its encoding can be looked up. */
        for (size_t i = 0; i < (len ? len : 1); i++, s++) {
            if (o + 4 >= sizeof out)
                goto done;
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02X", *s);
        }
    }
done:
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

int pmc_err_set(pmc_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        escape_invisible(err->msg);
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
    escape_invisible(err->msg);
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

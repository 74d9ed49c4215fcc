/* Small shared helpers: checksum, text trimming, strict numbers. */
#include "pmc_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64-bit (Fowler, Noll, Vo; draft-eastlake-fnv): for each byte,
 * h = (h XOR byte) * 0x100000001b3 mod 2^64. It detects damage (flipped
 * bits, torn or truncated writes), not deliberate forgery. */
uint64_t pmc_checksum_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int pmc_checksum_fnv1a_file(const char *path, uint64_t *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        *h = pmc_checksum_fnv1a(*h, buf, got);
    int bad = ferror(f);
    fclose(f);
    return bad ? EIO : 0;
}

const char *pmc_skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

char *pmc_trim(char *s)
{
    s = (char *)pmc_skip_space(s);
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

pmc_number_status pmc_number_parse(const char *s, size_t n, double *out)
{
    if (n == 0)
        return PMC_NUMBER_SYNTAX;
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || (size_t)(end - s) != n)
        return PMC_NUMBER_SYNTAX;
    if (isnan(x))
        return PMC_NUMBER_NAN;
    /* strtod sets ERANGE both for overflow (returning ±HUGE_VAL) and for
     * underflow (returning a value no larger than the smallest normal). */
    if (errno == ERANGE && isinf(x))
        return PMC_NUMBER_OVERFLOW;
    *out = x;
    if (isinf(x))
        return PMC_NUMBER_INFINITE;
    if (errno == ERANGE)
        return PMC_NUMBER_UNDERFLOW;
    return PMC_NUMBER_OK;
}

void pmc_format_real(double x, char out[32])
{
    if (isinf(x)) {
        snprintf(out, 32, "%s", x > 0 ? "inf" : "-inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            return;
    }
}

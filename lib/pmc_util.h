/* Small helpers that several modules need, each with one owner here: the
 * FNV-1a checksum, trimming text and the strict number parser. This module
 * depends on nothing else in pmcabc, so any module may include it. */
#ifndef PMC_UTIL_H
#define PMC_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64-bit hash of n bytes, continuing from h (start with
 * PMC_FNV1A_INIT). Used for the integrity checksum of checkpoint files, the
 * observed data's fingerprint and the model's code digest. */
#define PMC_FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t pmc_checksum_fnv1a(uint64_t h, const void *data, size_t n);

/* pmc_checksum_fnv1a over the bytes of the file at path, continuing from
 * *h (the fingerprint of a plugin or of a command model's data file).
 * Returns 0, or an errno value (the file cannot be opened or read). */
int pmc_checksum_fnv1a_file(const char *path, uint64_t *h);

/* Removes leading and trailing white space in place; returns the first
 * non-space character of s. */
char *pmc_trim(char *s);

/* The first character of p that is not white space. */
const char *pmc_skip_space(const char *p);

/* What the strict number parser found; callers turn it into their own
 * message, since what a value means (data, a prior bound, a config key)
 * decides the words. */
typedef enum {
    PMC_NUMBER_OK = 0,
    PMC_NUMBER_SYNTAX,    /* empty, not a number, or characters after it */
    PMC_NUMBER_NAN,       /* "nan" */
    PMC_NUMBER_INFINITE,  /* "inf" written as such */
    PMC_NUMBER_OVERFLOW,  /* finite text beyond the range of a double */
    PMC_NUMBER_UNDERFLOW  /* nonzero text below the smallest double (value is kept) */
} pmc_number_status;

/* Parses the n bytes at s as one strtod number: all n must be consumed.
 * *out is set for PMC_NUMBER_OK, _INFINITE and _UNDERFLOW (strtod's result),
 * so a caller may accept infinity or gradual underflow where it means to. */
pmc_number_status pmc_number_parse(const char *s, size_t n, double *out);

/* The shortest of %.15g..%.17g that reads back as the same double, "inf"
 * or "-inf": exact, so a stored value compares equal when read again, yet
 * 0.1 stays "0.1". */
void pmc_format_real(double x, char out[32]);

#endif

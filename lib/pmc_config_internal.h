/* What lib/pmc_config.c shares with lib/pmc_config_diff.c: the INI scanner
 * (one for config files and for the normalised texts stored in checkpoints)
 * and the key table's resume-safe flag. Internal to the config module. */
#ifndef PMC_CONFIG_INTERNAL_H
#define PMC_CONFIG_INTERNAL_H

#include <stddef.h>

/* A piece of a text: not NUL-terminated. */
typedef struct {
    const char *p;
    size_t n;
} span;

typedef enum {
    INI_END,        /* no more lines */
    INI_SECTION,    /* "[name] rest" */
    INI_ENTRY,      /* "key = value" */
    INI_NO_CLOSE,   /* '[' without ']' */
    INI_NO_EQUALS   /* neither a header nor "key = value" */
} ini_kind;

/* One significant line: trimmed spans into the scanned text. */
typedef struct {
    ini_kind kind;
    int line;        /* 1-based */
    span text;       /* the whole line, trimmed (for messages) */
    span name, rest; /* INI_SECTION: between '[' and the first ']', and after it */
    span key, value; /* INI_ENTRY: before the first '=', and after it up to a comment */
} ini_line;

typedef struct {
    const char *p; /* next line; NULL at the end */
    int line;
} ini_cursor;

/* Reads the next line that is not blank or a comment ('#' or ';' first).
 * Lines end at '\n'; the text at its NUL. */
ini_kind pmc_config_ini_next(ini_cursor *c, ini_line *out);

/* Whether the key table marks [section] key RESUME_SAFE: a resume may change
 * it (it cannot change the results). */
int pmc_config_key_resume_safe(span section, span key);

#endif

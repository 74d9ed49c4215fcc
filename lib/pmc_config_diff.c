/* pmc_config_diff (contract in pmc_config.h): what differs between the
 * normalised config text stored in a checkpoint and the current one, except
 * the keys the key table marks RESUME_SAFE. */
#include "pmc_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pmc_config_internal.h"

/* The texts compared are normalised (build_text): they are read with the
 * config files' scanner (pmc_config_ini_next), in place on the const text:
 * no copies, no allocation, and hence no failure mode other than
 * "unreadable". */

typedef struct {
    span section, key, value;
} text_entry;

typedef struct {
    ini_cursor at;
    span section; /* current section, empty before the first header */
} text_cursor;

static int span_eq(span a, span b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static int span_is(span a, const char *s)
{
    return a.n == strlen(s) && memcmp(a.p, s, a.n) == 0;
}


/* Moves to the next "key = value" line (ini_next). Returns 1 with *e
 * filled, 0 at the end, -1 on a line that a normalised text cannot contain:
 * a header with text after ']', any malformed line, a key before the first
 * header or an empty key. */
static int text_next(text_cursor *c, text_entry *e)
{
    ini_line l;
    for (;;) {
        switch (pmc_config_ini_next(&c->at, &l)) {
        case INI_END:
            return 0;
        case INI_SECTION:
            if (l.rest.n)
                return -1;
            c->section = l.name;
            continue;
        case INI_ENTRY:
            if (c->section.n == 0 || l.key.n == 0)
                return -1;
            e->section = c->section;
            e->key = l.key;
            e->value = l.value;
            return 1;
        default:
            return -1;
        }
    }
}

static text_cursor text_begin(const char *text)
{
    return (text_cursor){{text, 0}, {"", 0}};
}

static int text_readable(const char *text)
{
    if (!text)
        return 0;
    text_cursor c = text_begin(text);
    text_entry e;
    int rc;
    while ((rc = text_next(&c, &e)) == 1)
        ;
    return rc == 0;
}

/* Finds section.key in text; returns 1 and fills *found, else 0. */
static int text_find(const char *text, span section, span key, text_entry *found)
{
    text_cursor c = text_begin(text);
    while (text_next(&c, found) == 1)
        if (span_eq(found->section, section) && span_eq(found->key, key))
            return 1;
    return 0;
}

/* 1-based position of prior `name` among the [prior] keys of text; 0 if absent. */
static size_t prior_position(const char *text, span name)
{
    text_cursor c = text_begin(text);
    text_entry e;
    size_t pos = 0;
    while (text_next(&c, &e) == 1) {
        if (!span_is(e.section, "prior"))
            continue;
        pos++;
        if (span_eq(e.key, name))
            return pos;
    }
    return 0;
}

/* Whether text configures `[model] name = command`. */
static int is_command_model(const char *text)
{
    text_entry e;
    span model = {"model", 5}, name = {"name", 4};
    return text_find(text, model, name, &e) && span_is(e.value, "command");
}

/* [model] timeout of a command model bounds the wall time of a simulation:
 * a simulation either finishes within it, with the statistics it always
 * has, or stops the run, so a resume may raise it (the usual fix after a
 * timeout). Only for a command model on both sides: a plugin's own key of
 * that name may mean anything. */
static int command_timeout(const text_entry *e, int both_command)
{
    return both_command && span_is(e->section, "model") && span_is(e->key, "timeout");
}

static int resume_safe(const text_entry *e)
{
    return pmc_config_key_resume_safe(e->section, e->key);
}

/* Bounded, always NUL-terminated report; once something did not fit, the
 * report ends in "..." and nothing more is written. */
typedef struct {
    char *buf;
    size_t cap, len;
    int truncated;
} diff_report;

static void report_printf(diff_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report_printf(diff_report *r, const char *fmt, ...)
{
    if (r->truncated || r->cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < r->cap - r->len) {
        r->len += (size_t)n;
        return;
    }
    r->truncated = 1;
    r->len = r->cap - 1;
    r->buf[r->len] = '\0';
    size_t dots = r->cap - 1 < 3 ? r->cap - 1 : 3;
    memset(r->buf + r->len - dots, '.', dots);
}

/* Starts a new line of the report: lines are separated, not terminated, by '\n'. */
static void report_line(diff_report *r, int *count)
{
    report_printf(r, "%s  ", *count ? "\n" : "");
    (*count)++;
}

static void report_value(diff_report *r, const text_entry *e)
{
    if (e)
        report_printf(r, "%.*s", (int)e->value.n, e->value.p);
    else
        report_printf(r, "(absent)");
}

/* stored or now may be NULL (absent), not both. */
static void report_change(diff_report *r, int *count, const text_entry *stored,
                          const text_entry *now)
{
    const text_entry *key = stored ? stored : now;
    report_line(r, count);
    report_printf(r, "[%.*s] %.*s: stored ", (int)key->section.n, key->section.p,
                  (int)key->key.n, key->key.p);
    report_value(r, stored);
    report_printf(r, ", now ");
    report_value(r, now);
}

static void report_prior_names(diff_report *r, const char *text)
{
    text_cursor c = text_begin(text);
    text_entry e;
    const char *sep = "";
    while (text_next(&c, &e) == 1) {
        if (!span_is(e.section, "prior"))
            continue;
        report_printf(r, "%s%.*s", sep, (int)e.key.n, e.key.p);
        sep = ", ";
    }
    if (!*sep)
        report_printf(r, "(none)");
}

/* Parameters are positional (theta columns, plugin code), so the parameters
 * both texts have must come in the same relative order. Checking neighbours
 * in stored order suffices: order is transitive. */
static int priors_reordered(const char *stored, const char *now)
{
    text_cursor c = text_begin(stored);
    text_entry e;
    size_t last = 0;
    while (text_next(&c, &e) == 1) {
        if (!span_is(e.section, "prior"))
            continue;
        size_t pos = prior_position(now, e.key);
        if (pos == 0)
            continue;
        if (pos < last)
            return 1;
        last = pos;
    }
    return 0;
}

int pmc_config_diff(const char *stored_text, const char *current_text, char *out, size_t out_len)
{
    diff_report r = {out, out ? out_len : 0, 0, 0};
    if (r.cap)
        out[0] = '\0';
    int count = 0;
    /* An unreadable text counts as empty, so every key of the other one is
     * listed, and as a difference in itself, so two unreadable texts never
     * compare equal. */
    const char *stored = stored_text, *now = current_text;
    if (!text_readable(stored)) {
        report_line(&r, &count);
        report_printf(&r, "stored config: unreadable: expected a normalised config text");
        stored = "";
    }
    if (!text_readable(now)) {
        report_line(&r, &count);
        report_printf(&r, "current config: unreadable: expected a normalised config text");
        now = "";
    }

    int both_command = is_command_model(stored) && is_command_model(now);
    text_cursor c = text_begin(stored);
    text_entry s, n;
    while (text_next(&c, &s) == 1) {
        if (resume_safe(&s) || command_timeout(&s, both_command))
            continue;
        int present = text_find(now, s.section, s.key, &n);
        if (!present || !span_eq(s.value, n.value))
            report_change(&r, &count, &s, present ? &n : NULL);
    }
    c = text_begin(now);
    while (text_next(&c, &n) == 1)
        if (!resume_safe(&n) && !command_timeout(&n, both_command) &&
            !text_find(stored, n.section, n.key, &s))
            report_change(&r, &count, NULL, &n);

    if (priors_reordered(stored, now)) {
        report_line(&r, &count);
        report_printf(&r, "[prior] order: stored ");
        report_prior_names(&r, stored);
        report_printf(&r, ", now ");
        report_prior_names(&r, now);
    }
    return count;
}

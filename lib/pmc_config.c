/* Run configuration: a small INI reader, per-key validation, --set overrides
 * and the normalised text stored in checkpoints. Contract in pmc_config.h,
 * user reference in docs/config.md.
 *
 * Values are validated as soon as a line is read, so an error always points
 * at the line that caused it; "missing key" checks run only after the
 * overrides, because a required key may come from --set. */
#include "pmc_config.h"
#include "pmc_config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_data.h"
#include "pmc_epsilon.h"
#include "pmc_kernel.h"
#include "pmc_util.h"

#define OVERRIDE_ORIGIN "--set"
/* The sections of `sections`; model choice adds [model.LABEL] and
 * [prior.LABEL] (docs/config.md). */
#define SECTION_LIST "[run], [epsilon], [kernel], [models], [model], [prior], [distance], [mpi]"

/* Fixed-name keys (everything but [prior] and model-specific keys). */
enum { N_KEYS = 28 };

typedef struct {
    const char *file; /* config path for messages */
    pmc_config *cfg;  /* where entries go: root, or a model's config in [model.L], [prior.L] */
    pmc_config *root; /* the run's config */
    int sub;          /* the index of cfg in root->models, or -1 for root */
    pmc_err *err;
    int *seen;        /* line that set each fixed key; -1 for --set; 0 unset (of cfg) */
    int root_seen[N_KEYS];
    int model_seen[PMC_MODELS_MAX][N_KEYS];
    int line;         /* line of the entry being applied; 0 for --set */
    char why[256];    /* room for "what was expected" texts: numbers, key lists */
    char where[PMC_PATH_MAX + 32]; /* "FILE:LINE" or "--set" of the entry at fault */
} parse_ctx;

/* Stores a value into ctx->cfg; returns NULL, or what was expected. */
typedef const char *(*key_setter)(parse_ctx *ctx, const char *value);


static const char *const sections[] = {"run",   "epsilon",  "kernel", "models",
                                       "model", "prior", "distance", "mpi"};

/* --- small text helpers --- */

/* A '#' starts a trailing comment after whitespace or right after the '='
 * (v is the raw text after '='), so values such as "a#b" survive and the
 * normalised text "key = VALUE" reads back as the same value: "key =#x" is
 * an empty value, not "#x", which would read back as a comment. Both cases
 * were found by tests/fuzz (fuzz_config): "key =" at the very end of the
 * text was read one byte past its end, and "key =#x" did not round-trip. */
static size_t before_comment(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == '#' && (i == 0 || isspace((unsigned char)v[i - 1])))
            return i;
    return n;
}

static void strip_trailing_comment(char *v)
{
    v[before_comment(v, strlen(v))] = '\0';
}

/* Prior names become identifiers in output files and plugin code. */
static int is_identifier(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return 0;
    for (s++; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* Keeps "FILE:LINE: [s] k: : ..." from looking like a typo in the message. */
static const char *shown(const char *value)
{
    return *value ? value : "(empty)";
}

static const char *known_section(const char *name)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (strcmp(sections[i], name) == 0)
            return sections[i];
    return NULL;
}

/* --- error reports --- */

static const char *where(parse_ctx *ctx, int line)
{
    if (line > 0)
        snprintf(ctx->where, sizeof ctx->where, "%s:%d", ctx->file, line);
    else
        snprintf(ctx->where, sizeof ctx->where, "%s", OVERRIDE_ORIGIN);
    return ctx->where;
}

/* FILE:LINE: [section] key: value: what was expected; in a model's own
 * section, [model.LABEL] or [prior.LABEL]. */
static int fail(parse_ctx *ctx, int line, const char *section, const char *key,
                const char *value, const char *why)
{
    int own = ctx->sub >= 0 && (!strcmp(section, "model") || !strcmp(section, "prior"));
    return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [%s%s%s] %s: %s: %s", where(ctx, line),
                       section, own ? "." : "", own ? ctx->root->model_labels[ctx->sub] : "", key,
                       shown(value), why);
}

/* For lines that have no section/key structure to report. */
static int fail_line(parse_ctx *ctx, int line, const char *text, const char *why)
{
    return pmc_err_set(ctx->err, PMC_EINVAL, "%s: %s: %s", where(ctx, line), text, why);
}

static void set_origin(pmc_config_origin *o, const parse_ctx *ctx, int line)
{
    snprintf(o->file, sizeof o->file, "%s", line > 0 ? ctx->file : OVERRIDE_ORIGIN);
    o->line = line;
}

/* --- value parsers: return NULL or what was expected --- */

/* Digits only: strtoull alone would accept "-1" (wrapping it), "+1" and " 1". */
static const char *parse_uint(parse_ctx *ctx, const char *v, uint64_t max, uint64_t *out)
{
    if (!*v)
        return "expected a non-negative whole number";
    for (const char *c = v; *c; c++)
        if (!isdigit((unsigned char)*c))
            return "expected a non-negative whole number";
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    if (errno == ERANGE || x > max) {
        snprintf(ctx->why, sizeof ctx->why, "out of range: expected at most %llu",
                 (unsigned long long)max);
        return ctx->why;
    }
    *out = (uint64_t)x;
    return NULL;
}

/* "inf" is accepted only where allow_inf says so; nan never, since every
 * comparison with it is false and it would slip through range checks. */
static const char *parse_real(const char *v, int allow_inf, double *out)
{
    double x = 0.0;
    switch (pmc_number_parse(v, strlen(v), &x)) {
    case PMC_NUMBER_SYNTAX:
        return "expected a number";
    case PMC_NUMBER_NAN:
        return "expected a number, not nan";
    case PMC_NUMBER_OVERFLOW:
        return "out of range: expected a finite number";
    case PMC_NUMBER_INFINITE:
        if (!allow_inf)
            return "expected a finite number";
        break;
    case PMC_NUMBER_OK:
    case PMC_NUMBER_UNDERFLOW:
        break;
    }
    *out = x;
    return NULL;
}

static const char *copy_text(parse_ctx *ctx, const char *v, char *dst, size_t size,
                             const char *if_empty)
{
    if (!*v)
        return if_empty;
    if (strlen(v) >= size) {
        snprintf(ctx->why, sizeof ctx->why, "too long: expected at most %zu characters",
                 size - 1);
        return ctx->why;
    }
    memcpy(dst, v, strlen(v) + 1);
    return NULL;
}

/* --- the key table --- */

/* The normalised text is built in a growing buffer; a failed allocation
 * is noticed once, at the end (build_text). */
typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    if (sb->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t need = sb->len + (size_t)(n < 0 ? 0 : n) + 1;
    if (n >= 0 && need > sb->cap) {
        char *p = realloc(sb->buf, 2 * need);
        if (p) {
            sb->buf = p;
            sb->cap = 2 * need;
        }
    }
    if (n < 0 || need > sb->cap) {
        sb->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

static void sb_real(strbuf *sb, const char *key, double x)
{
    char num[32];
    pmc_format_real(x, num);
    sb_printf(sb, "%s = %s\n", key, num);
}


/* How a fixed key's value is read (the generic kinds cover every key whose
 * setter had the same shape; the rest keep a setter of their own). */
typedef enum {
    KEY_UINT,  /* digits only (parse_uint up to umax), then within [lo, hi] */
    KEY_REAL,  /* a number (inf only with REAL_INF) within the range of lo, hi, flags */
    KEY_TEXT,  /* non-empty text that fits its field */
    KEY_CUSTOM /* its own setter */
} key_type;

enum { REAL_INF = 1, LO_OPEN = 2, HI_OPEN = 4 };
/* REQUIRED: no default; RESUME_SAFE: may differ on resume (cannot change
 * results); OMIT_UNSET: left out of the normalised text while zero or
 * empty, so that the text (and a resume's comparison with it) of a config
 * that does not use the key is as before the key existed. */
enum { REQUIRED = 1, RESUME_SAFE = 2, OMIT_UNSET = 4 };

/* Writes a key's line(s) of the normalised text (nothing to leave it out). */
typedef void (*key_writer)(strbuf *sb, const pmc_config *cfg);

#define NO_ORIGIN ((size_t)-1)
#define FIELD(f) offsetof(pmc_config, f), sizeof(((pmc_config *)0)->f)
#define ORIGIN(f) offsetof(pmc_config, f)

/* One fixed key: everything parsing, validation, defaults, the resume
 * comparison and the messages need to know about it. */
typedef struct {
    const char *section, *key;
    key_type type;
    unsigned use;        /* REQUIRED, RESUME_SAFE (may differ on resume: cannot change results) */
    size_t offset, size; /* the value's field in pmc_config */
    size_t origin;       /* its pmc_config_origin, or NO_ORIGIN */
    uint64_t umax;       /* KEY_UINT: the largest number read at all */
    double lo, hi;       /* KEY_UINT, KEY_REAL: the accepted range */
    unsigned flags;      /* KEY_REAL: REAL_INF, LO_OPEN, HI_OPEN */
    const char *lo_why;  /* outside the range (below lo, for KEY_UINT) */
    const char *hi_why;  /* KEY_UINT: above hi */
    key_setter set;      /* KEY_CUSTOM */
    key_writer write;    /* its line(s) in the normalised text when not the generic one */
    const char *expected; /* REQUIRED: shown when the key is missing */
    const char *def;      /* default, read like a value before the file; NULL: zero or empty */
} key_desc;

#define SECONDS_WHY "expected a number of seconds >= 0"
#define UNIT_WHY "expected a number strictly between 0 and 1"
#define FRACTION_WHY "expected a number from 0 (off) up to, not including, 1"
#define STR_(x) #x
#define STR(x) STR_(x)

/* Relative paths in the file are taken from the file's directory, so a job
 * directory can be run from anywhere; a --set path was typed in the shell
 * and so is taken from the working directory, like any other argument. */
static const char *set_model_data(parse_ctx *ctx, const char *v)
{
    pmc_config *cfg = ctx->cfg;
    if (!*v)
        return "expected a data file path";
    const char *slash = strrchr(ctx->file, '/');
    int n;
    if (ctx->line <= 0 || v[0] == '/' || !slash)
        n = snprintf(cfg->model_data, sizeof cfg->model_data, "%s", v);
    else
        n = snprintf(cfg->model_data, sizeof cfg->model_data, "%.*s/%s",
                     (int)(slash - ctx->file), ctx->file, v);
    if (n < 0 || (size_t)n >= sizeof cfg->model_data) {
        cfg->model_data[0] = '\0';
        snprintf(ctx->why, sizeof ctx->why, "too long: expected a path of at most %zu characters",
                 sizeof cfg->model_data - 1);
        return ctx->why;
    }
    return NULL;
}

/* The names are checked here (none empty, none twice) and normalised, so
 * that "prey,predator" and "prey, predator" are the same run; whether the
 * data file has them is checked when the model reads it. An empty value
 * selects nothing: a --set can return to a file of one number per line. */
static const char *set_model_data_columns(parse_ctx *ctx, const char *v)
{
    pmc_config *cfg = ctx->cfg;
    cfg->model_data_columns[0] = '\0';
    cfg->n_model_data_columns = 0;
    if (!*v)
        return NULL;
    if (pmc_data_columns_normalise(v, cfg->model_data_columns, sizeof cfg->model_data_columns,
                                   &cfg->n_model_data_columns, ctx->why,
                                   sizeof ctx->why) != PMC_OK) {
        cfg->model_data_columns[0] = '\0';
        return ctx->why;
    }
    return NULL;
}

/* "w1, w2, ...": the count is checked against the model's statistics later
 * (pmc_distance_create), when the model is known. */
/* A comma-separated list of at most max finite numbers > 0 into out;
 * what names an item in messages ("weight", "value"). */
static const char *parse_positive_list(parse_ctx *ctx, const char *v, const char *what,
                                       size_t max, double *out, size_t *n_out)
{
    size_t n = 0;
    const char *p = v;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || isnan(x) || errno == ERANGE || !isfinite(x) || !(x > 0)) {
            snprintf(ctx->why, sizeof ctx->why,
                     "%s %zu: expected a comma-separated list of finite numbers > 0", what, n + 1);
            return ctx->why;
        }
        if (n == max) {
            snprintf(ctx->why, sizeof ctx->why, "too many %ss: expected at most %zu", what, max);
            return ctx->why;
        }
        out[n++] = x;
        while (isspace((unsigned char)*end))
            end++;
        if (*end == '\0')
            break;
        if (*end != ',') {
            snprintf(ctx->why, sizeof ctx->why,
                     "%s %zu: expected a comma-separated list of finite numbers > 0", what, n);
            return ctx->why;
        }
        p = end + 1;
    }
    *n_out = n;
    return NULL;
}

static const char *set_distance_weights(parse_ctx *ctx, const char *v)
{
    pmc_config *cfg = ctx->cfg;
    const char *why = parse_positive_list(ctx, v, "weight", PMC_DISTANCE_WEIGHTS_MAX,
                                          cfg->distance_weights, &cfg->n_distance_weights);
    return why;
}

static const char *set_eps_schedule(parse_ctx *ctx, const char *v)
{
    pmc_epsilon_schedule sched;
    if (pmc_epsilon_schedule_parse(v, &sched) != PMC_OK)
        return "expected quantile, weighted_quantile, list, acceptance or density_ratio";
    ctx->cfg->eps_schedule = (int)sched;
    return NULL;
}

/* An explicit schedule (Toni et al. 2009 fix epsilon_1 > ... > epsilon_T in
 * advance): each value at most the one before, so no generation widens. */
static const char *set_eps_values(parse_ctx *ctx, const char *v)
{
    pmc_config *cfg = ctx->cfg;
    const char *why = parse_positive_list(ctx, v, "value", PMC_EPS_VALUES_MAX, cfg->eps_values,
                                          &cfg->n_eps_values);
    if (why)
        return why;
    for (size_t i = 1; i < cfg->n_eps_values; i++)
        if (cfg->eps_values[i] > cfg->eps_values[i - 1]) {
            snprintf(ctx->why, sizeof ctx->why,
                     "value %zu: %g is above value %zu (%g): expected a non-increasing list",
                     i + 1, cfg->eps_values[i], i, cfg->eps_values[i - 1]);
            return ctx->why;
        }
    return NULL;
}

static const char *set_kernel_name(parse_ctx *ctx, const char *v)
{
    pmc_kernel_kind kind;
    if (pmc_kernel_kind_parse(v, &kind) != PMC_OK)
        return "expected beaumont, componentwise, olcm or knn";
    ctx->cfg->kernel_kind = (int)kind;
    return NULL;
}

/* --- lines of the normalised text that are not "key = value" of a field --- */

/* "key = a, b, c"; nothing for an empty list. */
static void write_list(strbuf *sb, const char *key, const double *v, size_t n)
{
    if (n == 0)
        return;
    sb_printf(sb, "%s = ", key);
    for (size_t i = 0; i < n; i++) {
        char num[32];
        pmc_format_real(v[i], num);
        sb_printf(sb, "%s%s", i ? ", " : "", num);
    }
    sb_printf(sb, "\n");
}

/* A list schedule takes no quantile (check_schedule_and_kernel). */
static void write_quantile(strbuf *sb, const pmc_config *cfg)
{
    if (cfg->eps_schedule != PMC_EPS_LIST)
        sb_real(sb, "quantile", cfg->eps_quantile);
}

/* The default schedule and kernel are left out, as OMIT_UNSET keys are. */
static void write_schedule(strbuf *sb, const pmc_config *cfg)
{
    if (cfg->eps_schedule != PMC_EPS_QUANTILE)
        sb_printf(sb, "schedule = %s\n",
                  pmc_epsilon_schedule_name((pmc_epsilon_schedule)cfg->eps_schedule));
}

static void write_values(strbuf *sb, const pmc_config *cfg)
{
    write_list(sb, "values", cfg->eps_values, cfg->n_eps_values);
}

static void write_kernel_name(strbuf *sb, const pmc_config *cfg)
{
    if (cfg->kernel_kind != PMC_KERNEL_BEAUMONT)
        sb_printf(sb, "name = %s\n", pmc_kernel_kind_name((pmc_kernel_kind)cfg->kernel_kind));
}

static void write_data(strbuf *sb, const pmc_config *cfg)
{
    if (cfg->model_data[0])
        sb_printf(sb, "data = %s\n", cfg->model_data);
}

static void write_data_columns(strbuf *sb, const pmc_config *cfg)
{
    if (cfg->model_data_columns[0])
        sb_printf(sb, "data_columns = %s\n", cfg->model_data_columns);
}

static void write_weights(strbuf *sb, const pmc_config *cfg)
{
    write_list(sb, "weights", cfg->distance_weights, cfg->n_distance_weights);
}

/* [models] is written for model choice only (and then with its defaults). */
static void write_model_prior(strbuf *sb, const pmc_config *cfg)
{
    if (cfg->n_models)
        write_list(sb, "prior", cfg->model_prior, cfg->n_models);
}

static void write_model_stay(strbuf *sb, const pmc_config *cfg)
{
    if (cfg->n_models)
        sb_real(sb, "stay", cfg->model_stay);
}

/* The model prior; its count and sum are checked with the models
 * (check_models). */
static const char *set_model_prior(parse_ctx *ctx, const char *v)
{
    return parse_positive_list(ctx, v, "probability", PMC_MODELS_MAX, ctx->cfg->model_prior,
                               &ctx->cfg->n_model_prior);
}

/* Table order is the order of the "missing key" checks; build_text writes
 * the keys in the same order. Weights and the kernel covariance need at
 * least two particles; every rank holds two populations and their work
 * arrays, (5 d + 9) x 8 bytes per particle for d parameters (pmc_pmcabc.c:
 * alloc_state), so a typo such as 1000000000000 particles is refused here
 * rather than at allocation. A quantile of 0 keeps no particle, 1 never
 * shrinks epsilon. */
static const key_desc keys[] = {
    {"run", "seed", KEY_UINT, REQUIRED, FIELD(seed), NO_ORIGIN, UINT64_MAX, 0, 0, 0, NULL, NULL,
     NULL, NULL, "expected a non-negative whole number", NULL},
    {"run", "particles", KEY_UINT, REQUIRED, FIELD(particles), NO_ORIGIN, SIZE_MAX, 2,
     PMC_PARTICLES_MAX, 0, "expected at least 2 particles",
     "expected at most " STR(PMC_PARTICLES_MAX) " particles (every rank holds the whole "
     "population, over 100 bytes per particle: 1e8 particles need over 10 GB on each rank)",
     NULL, NULL, "expected a whole number >= 2", NULL},
    {"run", "generations", KEY_UINT, REQUIRED | RESUME_SAFE, FIELD(generations), NO_ORIGIN,
     UINT_MAX, 1, 0, 0, "expected at least 1 generation", NULL, NULL, NULL,
     "expected a whole number >= 1", NULL},
    {"run", "max_simulations", KEY_UINT, RESUME_SAFE, FIELD(max_simulations), NO_ORIGIN,
     UINT64_MAX, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL},
    {"run", "checkpoint_dir", KEY_TEXT, RESUME_SAFE, FIELD(checkpoint_dir), NO_ORIGIN, 0, 0, 0, 0,
     "expected a directory path", NULL, NULL, NULL, NULL, "checkpoints"},
    {"run", "checkpoint_interval", KEY_REAL, RESUME_SAFE, FIELD(checkpoint_interval), NO_ORIGIN, 0,
     0, INFINITY, 0, SECONDS_WHY, NULL, NULL, NULL, NULL, "600"},
    {"run", "time_limit", KEY_REAL, RESUME_SAFE, FIELD(time_limit), NO_ORIGIN, 0, 0, INFINITY, 0,
     SECONDS_WHY, NULL, NULL, NULL, NULL, NULL},
    {"run", "keep_last", KEY_UINT, RESUME_SAFE, FIELD(keep_last), NO_ORIGIN, UINT_MAX, 0, 0, 0,
     NULL, NULL, NULL, NULL, NULL, NULL},
    {"run", "progress_interval", KEY_REAL, RESUME_SAFE, FIELD(progress_interval), NO_ORIGIN, 0, 0,
     INFINITY, 0, SECONDS_WHY, NULL, NULL, NULL, NULL, "30"},
    {"epsilon", "initial", KEY_REAL, REQUIRED, FIELD(eps_initial), NO_ORIGIN, 0, 0, INFINITY,
     REAL_INF | LO_OPEN, "expected a positive number or inf", NULL, NULL, NULL,
     "expected a positive number or inf", NULL},
    {"epsilon", "quantile", KEY_REAL, REQUIRED, FIELD(eps_quantile), ORIGIN(eps_quantile_origin),
     0, 0, 1, LO_OPEN | HI_OPEN, UNIT_WHY, NULL, NULL, write_quantile, UNIT_WHY, NULL},
    {"epsilon", "minimum", KEY_REAL, 0, FIELD(eps_minimum), NO_ORIGIN, 0, 0, INFINITY, 0,
     "expected a number >= 0", NULL, NULL, NULL, NULL, NULL},
    {"epsilon", "schedule", KEY_CUSTOM, 0, FIELD(eps_schedule), NO_ORIGIN, 0, 0, 0, 0, NULL, NULL,
     set_eps_schedule, write_schedule, NULL, NULL},
    {"epsilon", "values", KEY_CUSTOM, 0, FIELD(eps_values), ORIGIN(eps_values_origin), 0, 0, 0, 0,
     NULL, NULL, set_eps_values, write_values, NULL, NULL},
    {"epsilon", "target_acceptance", KEY_REAL, OMIT_UNSET, FIELD(eps_target_acceptance),
     ORIGIN(eps_target_acceptance_origin), 0, 0, 1, LO_OPEN | HI_OPEN, UNIT_WHY, NULL, NULL, NULL,
     NULL, NULL},
    {"epsilon", "min_acceptance", KEY_REAL, RESUME_SAFE | OMIT_UNSET, FIELD(eps_min_acceptance),
     NO_ORIGIN, 0, 0, 1, HI_OPEN, FRACTION_WHY, NULL, NULL, NULL, NULL, NULL},
    {"epsilon", "min_change", KEY_REAL, RESUME_SAFE | OMIT_UNSET, FIELD(eps_min_change), NO_ORIGIN,
     0, 0, 1, HI_OPEN, FRACTION_WHY, NULL, NULL, NULL, NULL, NULL},
    {"kernel", "name", KEY_CUSTOM, 0, FIELD(kernel_kind), NO_ORIGIN, 0, 0, 0, 0, NULL, NULL,
     set_kernel_name, write_kernel_name, NULL, NULL},
    {"kernel", "neighbours", KEY_UINT, OMIT_UNSET, FIELD(kernel_neighbours),
     ORIGIN(kernel_neighbours_origin), PMC_PARTICLES_MAX, 2, PMC_PARTICLES_MAX, 0,
     "expected a whole number >= 2 (the particle itself and at least one other)", NULL, NULL, NULL,
     NULL, NULL},
    {"models", "prior", KEY_CUSTOM, 0, FIELD(model_prior), ORIGIN(model_prior_origin), 0, 0, 0, 0,
     NULL, NULL, set_model_prior, write_model_prior, NULL, NULL},
    {"models", "stay", KEY_REAL, OMIT_UNSET, FIELD(model_stay), NO_ORIGIN, 0, 0, 1,
     LO_OPEN | HI_OPEN, UNIT_WHY, NULL, NULL, write_model_stay, NULL, NULL},
    {"model", "name", KEY_TEXT, REQUIRED, FIELD(model_name), ORIGIN(model_name_origin), 0, 0, 0, 0,
     "expected a model name", NULL, NULL, NULL, "expected a model name", NULL},
    {"model", "data", KEY_CUSTOM, RESUME_SAFE, FIELD(model_data), ORIGIN(model_data_origin), 0, 0,
     0, 0, NULL, NULL, set_model_data, write_data, NULL, NULL},
    {"model", "data_columns", KEY_CUSTOM, 0, FIELD(model_data_columns),
     ORIGIN(model_data_columns_origin), 0, 0, 0, 0, NULL, NULL, set_model_data_columns,
     write_data_columns, NULL, NULL},
    {"distance", "name", KEY_TEXT, 0, FIELD(distance_name), ORIGIN(distance_origin), 0, 0, 0, 0,
     "expected a distance name", NULL, NULL, NULL, NULL, "euclidean"},
    {"distance", "weights", KEY_CUSTOM, 0, FIELD(distance_weights),
     ORIGIN(distance_weights_origin), 0, 0, 0, 0, NULL, NULL, set_distance_weights, write_weights,
     NULL, NULL},
    {"mpi", "chunk", KEY_UINT, RESUME_SAFE, FIELD(mpi_chunk), NO_ORIGIN, SIZE_MAX, 0, 0, 0, NULL,
     NULL, NULL, NULL, NULL, NULL},
    {"mpi", "ranks_per_simulation", KEY_UINT, RESUME_SAFE, FIELD(mpi_ranks_per_simulation),
     ORIGIN(mpi_ranks_per_simulation_origin), 1048576, 1, 0, 0,
     "expected a whole number >= 1 (ranks that run one simulation together)", NULL, NULL, NULL,
     NULL, "1"},
};
_Static_assert(sizeof keys / sizeof keys[0] == N_KEYS, "N_KEYS must match the key table");

/* Stores x in the key's unsigned field of 8 or 4 bytes (uint64_t, size_t,
 * unsigned, or the int of ranks_per_simulation, whose range fits). */
static void store_uint(pmc_config *cfg, const key_desc *k, uint64_t x)
{
    unsigned char *field = (unsigned char *)cfg + k->offset;
    if (k->size == sizeof(uint64_t)) {
        memcpy(field, &x, sizeof x);
    } else {
        uint32_t v = (uint32_t)x;
        memcpy(field, &v, sizeof v);
    }
}

/* The generic kinds; NULL or what was expected. hi = 0 for KEY_UINT means
 * no bound beyond umax. */
static const char *set_generic(parse_ctx *ctx, const key_desc *k, const char *v)
{
    pmc_config *cfg = ctx->cfg;
    if (k->type == KEY_UINT) {
        uint64_t x = 0;
        const char *why = parse_uint(ctx, v, k->umax, &x);
        if (!why && (double)x < k->lo)
            why = k->lo_why;
        if (!why && k->hi > 0 && (double)x > k->hi)
            why = k->hi_why;
        if (!why)
            store_uint(cfg, k, x);
        return why;
    }
    if (k->type == KEY_REAL) {
        double x = 0;
        const char *why = parse_real(v, k->flags & REAL_INF, &x);
        if (!why && (x < k->lo || x > k->hi || ((k->flags & LO_OPEN) && x == k->lo) ||
                     ((k->flags & HI_OPEN) && x == k->hi)))
            why = k->lo_why;
        /* + 0.0: -0 would print as "-0" in cfg->text */
        x += 0.0;
        if (!why)
            memcpy((unsigned char *)cfg + k->offset, &x, sizeof x);
        return why;
    }
    return copy_text(ctx, v, (char *)cfg + k->offset, k->size, k->lo_why);
}

static int find_key(const char *section, const char *key)
{
    for (int k = 0; k < N_KEYS; k++)
        if (strcmp(keys[k].section, section) == 0 && strcmp(keys[k].key, key) == 0)
            return k;
    return -1;
}

/* "expected one of seed, particles, ..." for the section at hand. */
static const char *unknown_key_why(parse_ctx *ctx, const char *section)
{
    size_t len = (size_t)snprintf(ctx->why, sizeof ctx->why, "unknown key: expected one of");
    const char *sep = " ";
    for (int k = 0; k < N_KEYS && len < sizeof ctx->why; k++) {
        if (strcmp(keys[k].section, section) != 0)
            continue;
        len += (size_t)snprintf(ctx->why + len, sizeof ctx->why - len, "%s%s", sep, keys[k].key);
        sep = ", ";
    }
    return ctx->why;
}

/* --- applying one key = value --- */

/* line > 0: from the file, where a key may appear once; line 0: --set, which
 * replaces whatever the file said. */
static int apply_fixed(parse_ctx *ctx, int k, const char *value, int line)
{
    if (line > 0 && ctx->seen[k] > 0) {
        snprintf(ctx->why, sizeof ctx->why, "duplicate key: already set on line %d",
                 ctx->seen[k]);
        return fail(ctx, line, keys[k].section, keys[k].key, value, ctx->why);
    }
    ctx->line = line;
    const char *why = keys[k].type == KEY_CUSTOM ? keys[k].set(ctx, value)
                                                 : set_generic(ctx, &keys[k], value);
    if (why)
        return fail(ctx, line, keys[k].section, keys[k].key, value, why);
    if (keys[k].origin != NO_ORIGIN)
        set_origin((pmc_config_origin *)((char *)ctx->cfg + keys[k].origin), ctx, line);
    ctx->seen[k] = line > 0 ? line : -1;
    return PMC_OK;
}

static size_t find_prior(const pmc_config *cfg, const char *name)
{
    size_t i = 0;
    while (i < cfg->n_params && strcmp(cfg->prior[i].name, name) != 0)
        i++;
    return i;
}

static int apply_prior(parse_ctx *ctx, const char *name, const char *value, int line)
{
    pmc_config *cfg = ctx->cfg;
    if (!is_identifier(name))
        return fail(ctx, line, "prior", name, value,
                    "parameter name must be an identifier (a letter or _, then letters, digits, _)");
    if (strlen(name) >= PMC_NAME_MAX) {
        snprintf(ctx->why, sizeof ctx->why,
                 "parameter name too long: expected at most %d characters", PMC_NAME_MAX - 1);
        return fail(ctx, line, "prior", name, value, ctx->why);
    }
    size_t i = find_prior(cfg, name);
    if (i < cfg->n_params && line > 0) {
        snprintf(ctx->why, sizeof ctx->why, "duplicate parameter: already set on line %d",
                 cfg->prior_origin[i].line);
        return fail(ctx, line, "prior", name, value, ctx->why);
    }
    if (i == PMC_MAX_PARAMS) {
        snprintf(ctx->why, sizeof ctx->why, "too many parameters: expected at most %d",
                 PMC_MAX_PARAMS);
        return fail(ctx, line, "prior", name, value, ctx->why);
    }
    pmc_prior_spec spec;
    memset(&spec, 0, sizeof spec);
    pmc_err perr;
    pmc_err_clear(&perr);
    int rc = pmc_prior_parse(value, &spec, &perr);
    if (rc != PMC_OK)
        return pmc_err_set(ctx->err, rc, "%s: [prior] %s: %s: %s", where(ctx, line), name,
                           shown(value), perr.msg);
    memcpy(spec.name, name, strlen(name) + 1);
    cfg->prior[i] = spec;
    set_origin(&cfg->prior_origin[i], ctx, line);
    if (i == cfg->n_params)
        cfg->n_params++;
    return PMC_OK;
}

static int apply_model_key(parse_ctx *ctx, const char *key, const char *value, int line)
{
    pmc_config *cfg = ctx->cfg;
    if (!is_identifier(key))
        return fail(ctx, line, "model", key, value,
                    "key must be an identifier (a letter or _, then letters, digits, _)");
    const char *why = NULL;
    if (strlen(key) >= PMC_NAME_MAX)
        why = "key too long";
    else if (strlen(value) >= PMC_VALUE_MAX)
        why = "value too long";
    if (why)
        return fail(ctx, line, "model", key, value, why);
    size_t i = 0;
    while (i < cfg->n_model_keys && strcmp(cfg->model_keys[i].key, key) != 0)
        i++;
    if (i < cfg->n_model_keys && line > 0) {
        snprintf(ctx->why, sizeof ctx->why, "duplicate key: already set on line %d",
                 cfg->model_keys[i].origin.line);
        return fail(ctx, line, "model", key, value, ctx->why);
    }
    if (i == PMC_MODEL_KEYS_MAX) {
        snprintf(ctx->why, sizeof ctx->why, "too many model keys: expected at most %d",
                 PMC_MODEL_KEYS_MAX);
        return fail(ctx, line, "model", key, value, ctx->why);
    }
    pmc_config_kv *kv = &cfg->model_keys[i];
    memcpy(kv->key, key, strlen(key) + 1);
    memcpy(kv->value, value, strlen(value) + 1);
    set_origin(&kv->origin, ctx, line);
    if (i == cfg->n_model_keys)
        cfg->n_model_keys++;
    return PMC_OK;
}

/* section is one of `sections` (checked by the caller). */
static int apply_entry(parse_ctx *ctx, const char *section, const char *key, const char *value,
                       int line)
{
    int k = find_key(section, key);
    if (k >= 0)
        return apply_fixed(ctx, k, value, line);
    if (strcmp(section, "prior") == 0)
        return apply_prior(ctx, key, value, line);
    if (strcmp(section, "model") == 0)
        return apply_model_key(ctx, key, value, line);
    return fail(ctx, line, section, key, value, unknown_key_why(ctx, section));
}

/* --- the INI reader: one scanner for config files and stored texts --- */

static span span_trim(const char *p, size_t n)
{
    while (n > 0 && isspace((unsigned char)*p)) {
        p++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    return (span){p, n};
}

/* Reads the next line that is not blank or a comment ('#' or ';' first).
 * Lines end at '\n'; the text at its NUL. */
ini_kind pmc_config_ini_next(ini_cursor *c, ini_line *out)
{
    while (c->p) {
        const char *nl = strchr(c->p, '\n');
        size_t n = nl ? (size_t)(nl - c->p) : strlen(c->p);
        out->text = span_trim(c->p, n);
        out->line = ++c->line;
        c->p = nl ? nl + 1 : NULL;
        span t = out->text;
        if (t.n == 0 || t.p[0] == '#' || t.p[0] == ';')
            continue;
        if (t.p[0] == '[') {
            const char *close = memchr(t.p, ']', t.n);
            if (!close)
                return out->kind = INI_NO_CLOSE;
            out->name = span_trim(t.p + 1, (size_t)(close - t.p - 1));
            out->rest = span_trim(close + 1, (size_t)(t.p + t.n - close - 1));
            return out->kind = INI_SECTION;
        }
        const char *eq = memchr(t.p, '=', t.n);
        if (!eq)
            return out->kind = INI_NO_EQUALS;
        out->key = span_trim(t.p, (size_t)(eq - t.p));
        size_t after = (size_t)(t.p + t.n - eq - 1);
        out->value = span_trim(eq + 1, before_comment(eq + 1, after));
        return out->kind = INI_ENTRY;
    }
    return INI_END;
}

int pmc_config_key_resume_safe(span section, span key)
{
    for (int k = 0; k < N_KEYS; k++)
        if ((keys[k].use & RESUME_SAFE) && section.n == strlen(keys[k].section) &&
            !memcmp(section.p, keys[k].section, section.n) && key.n == strlen(keys[k].key) &&
            !memcmp(key.p, keys[k].key, key.n))
            return 1;
    return 0;
}

/* NUL-terminates s in the scanned (writable) text; returns its start. The
 * byte after a span is never part of another span the caller still needs. */
static char *span_cut(span s)
{
    char *p = (char *)s.p;
    p[s.n] = '\0';
    return p;
}

static void set_defaults(pmc_config *cfg);

/* *k_out: the index of label's model config, made on first use (model
 * choice). */
static int model_config(parse_ctx *ctx, const char *label, int line, const char *name,
                        int *k_out)
{
    pmc_config *root = ctx->root;
    size_t k = 0;
    while (k < root->n_models && strcmp(root->model_labels[k], label) != 0)
        k++;
    *k_out = (int)k;
    if (k < root->n_models)
        return PMC_OK;
    const char *why = NULL;
    if (!is_identifier(label))
        why = "expected a model label after the '.': a letter or _, then letters, digits, _";
    else if (strlen(label) >= PMC_NAME_MAX)
        why = "model label too long";
    else if (k == PMC_MODELS_MAX)
        why = "too many models: expected at most " STR(PMC_MODELS_MAX);
    if (why)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [%s]: %s", where(ctx, line), name, why);
    pmc_config *m = malloc(sizeof *m);
    if (!m)
        return pmc_err_set(ctx->err, PMC_ENOMEM, "%s: out of memory", ctx->file);
    set_defaults(m);
    strcpy(m->path, root->path);
    strcpy(m->model_name_origin.file, root->path);
    memcpy(root->model_labels[k], label, strlen(label) + 1);
    root->models[k] = m;
    root->n_models++;
    return PMC_OK;
}

/* Makes `name` the current section: *section is its entry in `sections`
 * ("model" and "prior" for [model.LABEL], [prior.LABEL], whose entries go
 * to that model's config). */
static int enter_section(parse_ctx *ctx, const char *name, int line, const char **section)
{
    ctx->cfg = ctx->root;
    ctx->seen = ctx->root_seen;
    ctx->sub = -1;
    const char *dot = strchr(name, '.');
    size_t base = dot ? (size_t)(dot - name) : strlen(name);
    if (dot && ((base == 5 && !strncmp(name, "model", 5)) ||
                (base == 5 && !strncmp(name, "prior", 5)))) {
        int k = 0, rc = model_config(ctx, dot + 1, line, name, &k);
        if (rc != PMC_OK)
            return rc;
        ctx->cfg = ctx->root->models[k];
        ctx->seen = ctx->model_seen[k];
        ctx->sub = k;
        *section = name[0] == 'm' ? "model" : "prior";
        return PMC_OK;
    }
    *section = known_section(name);
    if (!*section)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [%s]: unknown section: expected one of %s",
                           where(ctx, line), name, SECTION_LIST);
    return PMC_OK;
}

/* A header line; on success *section points at a name in `sections`. */
static int parse_header(parse_ctx *ctx, const ini_line *l, const char **section)
{
    const char *name = span_cut(l->name);
    if (l->rest.n && l->rest.p[0] != '#' && l->rest.p[0] != ';') {
        snprintf(ctx->why, sizeof ctx->why, "unexpected text after ']': %.*s", (int)l->rest.n,
                 l->rest.p);
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [%s]: %s", where(ctx, l->line), name,
                           ctx->why);
    }
    return enter_section(ctx, name, l->line, section);
}

static int parse_line(parse_ctx *ctx, const ini_line *l, const char **section)
{
    switch (l->kind) {
    case INI_SECTION:
        return parse_header(ctx, l, section);
    case INI_NO_CLOSE:
        return fail_line(ctx, l->line, span_cut(l->text),
                         "unterminated section header: expected ']'");
    case INI_NO_EQUALS:
        return fail_line(ctx, l->line, span_cut(l->text), "expected 'key = value' or '[section]'");
    default:
        break;
    }
    /* The value first: cutting the key writes over the '=' or a blank. */
    char *value = span_cut(l->value), *key = span_cut(l->key);
    if (!*key)
        return fail_line(ctx, l->line, shown(value), "expected a key before '='");
    if (!*section)
        return fail_line(ctx, l->line, key, "key before any [section] header");
    return apply_entry(ctx, *section, key, value, l->line);
}

/* text is modified in place (spans are cut into strings). */
static int parse_lines(parse_ctx *ctx, char *text)
{
    const char *section = NULL;
    ini_cursor c = {text, 0};
    ini_line l;
    while (pmc_config_ini_next(&c, &l) != INI_END) {
        int rc = parse_line(ctx, &l, &section);
        if (rc != PMC_OK)
            return rc;
    }
    return PMC_OK;
}

/* "section.key=value". Messages quote the override as typed. */
static int apply_override(parse_ctx *ctx, const char *ov)
{
    char *buf = strdup(ov);
    if (!buf)
        return pmc_err_set(ctx->err, PMC_ENOMEM, "%s: out of memory", OVERRIDE_ORIGIN);
    int rc = PMC_OK;
    char *eq = strchr(buf, '=');
    /* The last '.' before the '=': section names may hold one (model.LABEL). */
    char *dot = NULL;
    for (char *c = buf; eq && c < eq; c++)
        if (*c == '.')
            dot = c;
    char *name = NULL, *key = NULL, *value = NULL;
    if (eq && dot) {
        *dot = *eq = '\0';
        name = pmc_trim(buf);
        key = pmc_trim(dot + 1);
        /* Read like a line of the file, so that the value written to the
         * effective text reads back the same (found by tests/fuzz). */
        strip_trailing_comment(eq + 1);
        value = pmc_trim(eq + 1);
    }
    /* A newline would split the value into two lines of cfg->text. */
    const char *section = NULL;
    if (!eq || !dot || !*name || !*key || strchr(value, '\n'))
        rc = fail_line(ctx, 0, ov, "malformed override: expected section.key=value");
    else if ((rc = enter_section(ctx, name, 0, &section)) == PMC_OK)
        rc = apply_entry(ctx, section, key, value, 0);
    ctx->cfg = ctx->root;
    ctx->seen = ctx->root_seen;
    ctx->sub = -1;
    free(buf);
    return rc;
}

static int apply_overrides(parse_ctx *ctx, const char *const *overrides, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = apply_override(ctx, overrides[i]);
        if (rc != PMC_OK)
            return rc;
    }
    return PMC_OK;
}

/* Weights belong to weighted_euclidean, and it needs them. */
static int check_distance(parse_ctx *ctx)
{
    pmc_config *cfg = ctx->cfg;
    int weighted = strcmp(cfg->distance_name, "weighted_euclidean") == 0;
    if (weighted && cfg->n_distance_weights == 0)
        return pmc_err_set(ctx->err, PMC_EINVAL,
                           "%s: [distance] weights: missing: expected one weight > 0 per summary "
                           "statistic for name = weighted_euclidean",
                           ctx->file);
    if (!weighted && cfg->n_distance_weights > 0) {
        const pmc_config_origin *o = &cfg->distance_weights_origin;
        snprintf(ctx->why, sizeof ctx->why,
                 "weights are only used with name = weighted_euclidean, not %s",
                 cfg->distance_name);
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [distance] weights: %s",
                           where(ctx, o->line), ctx->why);
    }
    return PMC_OK;
}

/* The quantile belongs to the quantile schedules, the values to the list;
 * neighbours to the knn kernel. */
static int check_schedule_and_kernel(parse_ctx *ctx)
{
    pmc_config *cfg = ctx->cfg;
    int list = cfg->eps_schedule == PMC_EPS_LIST;
    if (list && cfg->n_eps_values == 0)
        return pmc_err_set(ctx->err, PMC_EINVAL,
                           "%s: [epsilon] values: missing: expected the tolerances of generations "
                           "1, 2, ... (comma-separated, non-increasing) for schedule = list",
                           ctx->file);
    if (!list && cfg->n_eps_values > 0)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [epsilon] values: only used with schedule "
                           "= list, not %s", where(ctx, cfg->eps_values_origin.line),
                           pmc_epsilon_schedule_name((pmc_epsilon_schedule)cfg->eps_schedule));
    if (list && cfg->eps_quantile > 0)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [epsilon] quantile: %g: not used with "
                           "schedule = list (the values give every tolerance); expected no quantile",
                           where(ctx, cfg->eps_quantile_origin.line), cfg->eps_quantile);
    int acc = cfg->eps_schedule == PMC_EPS_ACCEPTANCE;
    if (acc && !(cfg->eps_target_acceptance > 0))
        return pmc_err_set(ctx->err, PMC_EINVAL,
                           "%s: [epsilon] target_acceptance: missing: expected a number strictly "
                           "between 0 and 1 for schedule = acceptance", ctx->file);
    if (!acc && cfg->eps_target_acceptance > 0)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [epsilon] target_acceptance: only used "
                           "with schedule = acceptance, not %s",
                           where(ctx, cfg->eps_target_acceptance_origin.line),
                           pmc_epsilon_schedule_name((pmc_epsilon_schedule)cfg->eps_schedule));
    if (cfg->kernel_kind != PMC_KERNEL_KNN && cfg->kernel_neighbours > 0)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [kernel] neighbours: only used with name = "
                           "knn, not %s", where(ctx, cfg->kernel_neighbours_origin.line),
                           pmc_kernel_kind_name((pmc_kernel_kind)cfg->kernel_kind));
    if (cfg->kernel_neighbours && cfg->kernel_neighbours < cfg->n_params + 1)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [kernel] neighbours: %zu: expected at least "
                           "the number of parameters + 1 (%zu): fewer points give a singular "
                           "covariance", where(ctx, cfg->kernel_neighbours_origin.line),
                           cfg->kernel_neighbours, cfg->n_params + 1);
    if (cfg->kernel_neighbours > cfg->particles)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [kernel] neighbours: %zu: expected at most "
                           "[run] particles (%zu)", where(ctx, cfg->kernel_neighbours_origin.line),
                           cfg->kernel_neighbours, cfg->particles);
    /* keep_last is resume-safe, so this is checked on every start, also of a
     * resume whose first run kept more. */
    if (cfg->eps_schedule == PMC_EPS_DENSITY_RATIO && cfg->keep_last == 1)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [run] keep_last: 1: schedule = "
                           "density_ratio compares the last two generations, and a resumed run "
                           "reads both files; expected 0 (keep all) or at least 2", ctx->file);
    /* The default is resolved here, so that the effective config records it:
     * a knn run started under another default is refused on resume. */
    if (cfg->kernel_kind == PMC_KERNEL_KNN && cfg->kernel_neighbours == 0)
        cfg->kernel_neighbours = pmc_kernel_default_neighbours(cfg->particles, cfg->n_params);
    return PMC_OK;
}

/* A model's [model] and [prior] (cfg: the run's, or a model's under model
 * choice, labelled "model.L" / "prior.L" in messages then). */
static int check_model_part(parse_ctx *ctx, const pmc_config *cfg, const int *seen,
                            const char *label)
{
    const char *dot = label ? "." : "", *l = label ? label : "";
    for (int k = 0; k < N_KEYS; k++)
        if ((keys[k].use & REQUIRED) && !seen[k] && !strcmp(keys[k].section, "model"))
            return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [model%s%s] %s: missing: %s", ctx->file,
                               dot, l, keys[k].key, keys[k].expected);
    if (cfg->model_data_columns[0] && !cfg->model_data[0])
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [model%s%s] data_columns: %s: expected "
                           "[model%s%s] data too: the table to read these columns from",
                           where(ctx, cfg->model_data_columns_origin.line), dot, l,
                           cfg->model_data_columns, dot, l);
    if (cfg->n_params == 0)
        return pmc_err_set(ctx->err, PMC_EINVAL,
                           "%s: [prior%s%s]: missing: expected at least one parameter, "
                           "e.g. theta = uniform(0, 1)",
                           ctx->file, dot, l);
    return PMC_OK;
}

/* Model choice: what the models may use, the model prior, and the joint
 * parameter list of the run (pmc_config.h). */
static int check_models(parse_ctx *ctx)
{
    pmc_config *cfg = ctx->root;
    size_t K = cfg->n_models;
    int mixed = cfg->n_params || cfg->n_model_keys;
    for (int k = 0; k < N_KEYS; k++)
        mixed |= !strcmp(keys[k].section, "model") && ctx->root_seen[k];
    if (mixed)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [model.%s]: a run has either one model "
                           "([model] and [prior]) or two or more ([model.LABEL] and "
                           "[prior.LABEL] each), not both", ctx->file, cfg->model_labels[0]);
    if (K == 1)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [model.%s]: one model: model choice needs "
                           "two or more [model.LABEL] sections; for one model use [model] and "
                           "[prior]", ctx->file, cfg->model_labels[0]);
    if (cfg->kernel_kind != PMC_KERNEL_BEAUMONT && cfg->kernel_kind != PMC_KERNEL_COMPONENTWISE)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [kernel] name: %s: with several models "
                           "expected beaumont or componentwise (a kernel per model, fitted to "
                           "its particles)", ctx->file,
                           pmc_kernel_kind_name((pmc_kernel_kind)cfg->kernel_kind));
    if (cfg->eps_schedule == PMC_EPS_DENSITY_RATIO)
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [epsilon] schedule: density_ratio: with "
                           "several models expected another schedule (its density estimate is "
                           "over one parameter space)", ctx->file);
    if (!strcmp(cfg->distance_name, "model"))
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [distance] name: model: with several "
                           "models expected a distance of pmcabc's own (one distance must compare "
                           "every model's statistics)", ctx->file);
    double sum = 0;
    for (size_t m = 0; m < cfg->n_model_prior; m++)
        sum += cfg->model_prior[m];
    if (cfg->n_model_prior && (cfg->n_model_prior != K || fabs(sum - 1.0) > 1e-9))
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [models] prior: %zu probabilities summing "
                           "to %.17g: expected %zu (one per model, in the order of their "
                           "sections) summing to 1", where(ctx, cfg->model_prior_origin.line),
                           cfg->n_model_prior, sum, K);
    for (size_t m = 0; !cfg->n_model_prior && m < K; m++)
        cfg->model_prior[m] = 1.0 / (double)K;
    if (cfg->model_stay == 0)
        cfg->model_stay = 0.7;
    /* The joint list: "model" first, then every model's parameters. */
    char spec[PMC_VALUE_MAX] = "categorical(";
    for (size_t m = 0; m < K; m++) {
        char num[32];
        pmc_format_real(cfg->model_prior[m], num);
        snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%s", m ? ", " : "", num);
    }
    strcat(spec, ")");
    memset(&cfg->prior[0], 0, sizeof cfg->prior[0]);
    int rc = pmc_prior_parse(spec, &cfg->prior[0], ctx->err);
    if (rc != PMC_OK)
        return rc;
    strcpy(cfg->prior[0].name, "model");
    cfg->n_params = 1;
    for (size_t m = 0; m < K; m++) {
        const pmc_config *mc = cfg->models[m];
        cfg->model_first[m] = cfg->n_params;
        for (size_t i = 0; i < mc->n_params; i++) {
            const pmc_prior_spec *p = &mc->prior[i];
            const char *why = NULL;
            if (pmc_prior_is_discrete(p) || p->scale != PMC_SCALE_LINEAR)
                why = "with several models expected a continuous prior on its own scale (no "
                      "discrete prior, no log or logit)";
            else if (cfg->n_params == PMC_MAX_PARAMS)
                why = "too many parameters over all models: expected at most " STR(PMC_MAX_PARAMS)
                      " with the model index";
            else if (strlen(cfg->model_labels[m]) + 1 + strlen(p->name) >= PMC_NAME_MAX)
                why = "model label and parameter name too long together";
            if (why)
                return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [prior.%s] %s: %s",
                                   where(ctx, mc->prior_origin[i].line), cfg->model_labels[m],
                                   p->name, why);
            cfg->prior[cfg->n_params] = *p;
            /* "LABEL.NAME", whose length was checked above */
            char *name = cfg->prior[cfg->n_params].name;
            size_t label_len = strlen(cfg->model_labels[m]);
            memcpy(name, cfg->model_labels[m], label_len);
            name[label_len] = '.';
            memcpy(name + label_len + 1, p->name, strlen(p->name) + 1);
            cfg->prior_origin[cfg->n_params++] = mc->prior_origin[i];
        }
    }
    cfg->model_first[K] = cfg->n_params;
    strcpy(cfg->model_name, "choice");
    return PMC_OK;
}

/* A model's config takes every setting of the run but its own [model] and
 * [prior] (pmc_config.h). */
static int adopt_run_settings(pmc_config *m, const pmc_config *run, pmc_err *err)
{
    pmc_config *own = malloc(sizeof *own);
    if (!own)
        return pmc_err_set(err, PMC_ENOMEM, "%s: out of memory", run->path);
    memcpy(own, m, sizeof *own);
    memcpy(m, run, sizeof *m);
    m->text = NULL;
    m->n_models = 0;
    memset(m->models, 0, sizeof m->models);
#define OWN(f) memcpy(&m->f, &own->f, sizeof m->f)
    OWN(model_name);
    OWN(model_name_origin);
    OWN(model_data);
    OWN(model_data_origin);
    OWN(model_data_columns);
    OWN(n_model_data_columns);
    OWN(model_data_columns_origin);
    OWN(n_model_keys);
    OWN(model_keys);
    OWN(n_params);
    OWN(prior);
    OWN(prior_origin);
#undef OWN
    free(own);
    return PMC_OK;
}

static int check_complete(parse_ctx *ctx)
{
    pmc_config *cfg = ctx->root;
    ctx->cfg = cfg;
    ctx->seen = ctx->root_seen;
    ctx->sub = -1;
    int choice = cfg->n_models > 0;
    for (int k = 0; k < N_KEYS; k++)
        if ((keys[k].use & REQUIRED) && !ctx->root_seen[k] &&
            !(choice && !strcmp(keys[k].section, "model")) &&
            !(cfg->eps_schedule == PMC_EPS_LIST && !strcmp(keys[k].key, "quantile")))
            return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [%s] %s: missing: %s", ctx->file,
                               keys[k].section, keys[k].key, keys[k].expected);
    if (!choice && (cfg->n_model_prior || cfg->model_stay > 0))
        return pmc_err_set(ctx->err, PMC_EINVAL, "%s: [models] %s: only used with two or more "
                           "models ([model.LABEL] and [prior.LABEL] sections)", ctx->file,
                           cfg->n_model_prior ? "prior" : "stay");
    int rc = PMC_OK;
    for (size_t m = 0; choice && m < cfg->n_models && rc == PMC_OK; m++)
        rc = check_model_part(ctx, cfg->models[m], ctx->model_seen[m], cfg->model_labels[m]);
    if (rc == PMC_OK)
        rc = choice ? check_models(ctx) : check_model_part(ctx, cfg, ctx->root_seen, NULL);
    if (rc == PMC_OK)
        rc = check_schedule_and_kernel(ctx);
    if (rc == PMC_OK)
        rc = check_distance(ctx);
    for (size_t m = 0; choice && m < cfg->n_models && rc == PMC_OK; m++)
        rc = adopt_run_settings(cfg->models[m], cfg, ctx->err);
    return rc;
}

/* --- the normalised text --- */

static void sb_prior(strbuf *sb, const pmc_prior_spec *spec)
{
    sb_printf(sb, "%s = %s(", spec->name, pmc_prior_kind_name(spec->kind));
    for (size_t j = 0; j < spec->n_p; j++) {
        char num[32];
        pmc_format_real(spec->p[j], num);
        sb_printf(sb, "%s%s", j ? ", " : "", num);
    }
    /* Linear, the default, is not written: texts of runs without scales stay as they were. */
    if (spec->scale != PMC_SCALE_LINEAR)
        sb_printf(sb, ") %s\n", pmc_prior_scale_name(spec->scale));
    else
        sb_printf(sb, ")\n");
}

/* "key = value" of a key of a generic kind, or nothing for an OMIT_UNSET
 * key at zero. Whole numbers are unsigned (ranks_per_simulation, the one
 * int, is >= 1), so one format serves every width. */
static void write_generic(strbuf *sb, const pmc_config *cfg, const key_desc *k)
{
    const unsigned char *field = (const unsigned char *)cfg + k->offset;
    if (k->type == KEY_UINT) {
        uint64_t x = 0;
        if (k->size == sizeof(uint64_t)) {
            memcpy(&x, field, sizeof x);
        } else {
            uint32_t v;
            memcpy(&v, field, sizeof v);
            x = v;
        }
        if (x || !(k->use & OMIT_UNSET))
            sb_printf(sb, "%s = %llu\n", k->key, (unsigned long long)x);
    } else if (k->type == KEY_REAL) {
        double x;
        memcpy(&x, field, sizeof x);
        if (x != 0 || !(k->use & OMIT_UNSET))
            sb_real(sb, k->key, x);
    } else {
        sb_printf(sb, "%s = %s\n", k->key, (const char *)field);
    }
}

/* The normalised text: sections in the order of `sections`, each with its
 * keys in table order ([kernel] only when a key of it is written), the
 * model's own keys after [model]'s fixed ones, the priors in file order. */
/* The keys of section s of cfg, in table order; [model] with the model's own
 * keys after the fixed ones, [prior] the priors in file order. */
static void write_section_body(strbuf *sb, const pmc_config *cfg, const char *s)
{
    for (int k = 0; k < N_KEYS; k++) {
        if (strcmp(keys[k].section, s) != 0)
            continue;
        if (keys[k].write)
            keys[k].write(sb, cfg);
        else
            write_generic(sb, cfg, &keys[k]);
    }
    if (!strcmp(s, "model"))
        for (size_t i = 0; i < cfg->n_model_keys; i++)
            sb_printf(sb, "%s = %s\n", cfg->model_keys[i].key, cfg->model_keys[i].value);
    if (!strcmp(s, "prior"))
        for (size_t i = 0; i < cfg->n_params; i++)
            sb_prior(sb, &cfg->prior[i]);
}

static int build_text(pmc_config *cfg, pmc_err *err)
{
    strbuf sb = {NULL, 0, 0, 0};
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        /* Model choice: [model.L] and [prior.L] per model where [model] and
         * [prior] would be; the joint list is made from them, not written. */
        if (cfg->n_models && !strcmp(sections[s], "model")) {
            for (size_t m = 0; m < cfg->n_models; m++) {
                sb_printf(&sb, "\n[model.%s]\n", cfg->model_labels[m]);
                write_section_body(&sb, cfg->models[m], "model");
                sb_printf(&sb, "\n[prior.%s]\n", cfg->model_labels[m]);
                write_section_body(&sb, cfg->models[m], "prior");
            }
            continue;
        }
        if (cfg->n_models && !strcmp(sections[s], "prior"))
            continue;
        size_t header = sb.len;
        sb_printf(&sb, "%s[%s]\n", s ? "\n" : "", sections[s]);
        size_t body = sb.len;
        write_section_body(&sb, cfg, sections[s]);
        /* [kernel] with every key at its default, [models] of a run of one
         * model: no header either. */
        if ((!strcmp(sections[s], "kernel") || !strcmp(sections[s], "models")) &&
            sb.len == body && !sb.failed) {
            sb.len = header;
            sb.buf[sb.len] = '\0';
        }
    }
    if (sb.failed) {
        free(sb.buf);
        return pmc_err_set(err, PMC_ENOMEM, "%s: out of memory building the effective config",
                           cfg->path);
    }
    cfg->text = sb.buf;
    return PMC_OK;
}

/* --- public API --- */

/* The table's defaults, read like values (they are all of generic kinds). */
static void set_defaults(pmc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.cfg = ctx.root = cfg;
    ctx.sub = -1;
    for (int k = 0; k < N_KEYS; k++)
        if (keys[k].def)
            (void)set_generic(&ctx, &keys[k], keys[k].def);
}

static int parse_all(parse_ctx *ctx, char *text, const char *const *overrides,
                     size_t n_overrides)
{
    int rc = parse_lines(ctx, text);
    if (rc == PMC_OK)
        rc = apply_overrides(ctx, overrides, n_overrides);
    if (rc == PMC_OK)
        rc = check_complete(ctx);
    if (rc == PMC_OK)
        rc = build_text(ctx->cfg, ctx->err);
    return rc;
}

int pmc_config_parse(const char *text, const char *path, const char *const *overrides,
                     size_t n_overrides, pmc_config *cfg, pmc_err *err)
{
    set_defaults(cfg);
    if (!path)
        path = "(config)";
    if (strlen(path) >= sizeof cfg->path)
        return pmc_err_set(err, PMC_EINVAL, "%.64s...: config path too long: expected at most %zu "
                           "characters", path, sizeof cfg->path - 1);
    strcpy(cfg->path, path);
    /* A defaulted key is reported against the file as a whole, like a missing one. */
    strcpy(cfg->model_name_origin.file, path);
    strcpy(cfg->distance_origin.file, path);
    strcpy(cfg->mpi_ranks_per_simulation_origin.file, path);
    /* Editors on Windows may start a UTF-8 file with a byte-order mark. */
    if (!strncmp(text, PMC_UTF8_BOM, 3))
        text += 3;
    char *copy = strdup(text);
    if (!copy)
        return pmc_err_set(err, PMC_ENOMEM, "%s: out of memory", path);
    parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.file = cfg->path;
    ctx.cfg = ctx.root = cfg;
    ctx.seen = ctx.root_seen;
    ctx.sub = -1;
    ctx.err = err;
    int rc = parse_all(&ctx, copy, overrides, n_overrides);
    free(copy);
    if (rc != PMC_OK)
        pmc_config_free(cfg);
    return rc;
}

/* Reads the whole file; *out is NUL-terminated and owned by the caller. */
static int read_file(const char *path, char **out, pmc_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        /* A config that is not there is bad usage (exit 2), not an I/O failure. */
        return pmc_err_set(err, PMC_EINVAL, "%s: cannot open config: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = PMC_OK;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *p = realloc(buf, cap = 2 * cap + 4096 + 1);
            if (!p) {
                rc = pmc_err_set(err, PMC_ENOMEM, "%s: out of memory reading config", path);
                break;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    /* A directory given as the config is bad usage (exit 2) like a missing
     * file, not an I/O failure (tests/e2e/test_bad_checkpoints.sh). */
    if (rc == PMC_OK && ferror(f))
        rc = pmc_err_set(err, errno == EISDIR ? PMC_EINVAL : PMC_EIO, "%s: cannot read config: %s",
                         path, strerror(errno));
    fclose(f);
    if (rc == PMC_OK && memchr(buf, '\0', len))
        rc = pmc_err_set(err, PMC_EINVAL, "%s: contains a NUL byte: expected a text file", path);
    if (rc != PMC_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    return PMC_OK;
}

int pmc_config_load(const char *path, const char *const *overrides, size_t n_overrides,
                    pmc_config *cfg, pmc_err *err)
{
    set_defaults(cfg);
    char *text = NULL;
    int rc = read_file(path, &text, err);
    if (rc != PMC_OK)
        return rc;
    rc = pmc_config_parse(text, path, overrides, n_overrides, cfg, err);
    free(text);
    return rc;
}

void pmc_config_free(pmc_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->text);
    cfg->text = NULL;
    for (size_t m = 0; m < cfg->n_models; m++) {
        pmc_config_free(cfg->models[m]);
        free(cfg->models[m]);
        cfg->models[m] = NULL;
    }
    cfg->n_models = 0;
}

const char *pmc_config_origin_text(const pmc_config_origin *o, char *buf, size_t n)
{
    if (o->line > 0)
        snprintf(buf, n, "%s:%d", o->file, o->line);
    else
        snprintf(buf, n, "%s", o->file);
    return buf;
}

const pmc_config_kv *pmc_config_model_key(const pmc_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n_model_keys; i++)
        if (strcmp(cfg->model_keys[i].key, key) == 0)
            return &cfg->model_keys[i];
    return NULL;
}

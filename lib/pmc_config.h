/* Run configuration: an INI file plus `--set section.key=value` overrides,
 * parsed and validated before anything is written. Reference: docs/config.md.
 *
 * Every error message has the form
 *   FILE:LINE: [section] key: value: what was expected
 * (for overrides FILE:LINE is "--set"), and the status is PMC_EINVAL. */
#ifndef PMC_CONFIG_H
#define PMC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "pmc_error.h"
#include "pmc_prior.h"

#define PMC_PATH_MAX 4096
#define PMC_MODEL_KEYS_MAX 32
#define PMC_VALUE_MAX 1024
#define PMC_DISTANCE_WEIGHTS_MAX 256
#define PMC_EPS_VALUES_MAX 256
/* [run] particles: at most 1e8 (docs/config.md): every rank holds the whole
 * population, over 100 bytes per particle. */
#define PMC_PARTICLES_MAX 100000000
/* Model choice: at most this many models ([model.LABEL] sections). */
#define PMC_MODELS_MAX 8

/* Where a value came from, for error messages in later stages (e.g. the
 * data reader or model setup report the config line of the key at fault). */
typedef struct {
    char file[PMC_PATH_MAX]; /* config path, or "--set" */
    int line;                /* 1-based line, 0 for --set */
} pmc_config_origin;

/* Room for pmc_config_origin_text: the path, ':' and a line number. */
#define PMC_ORIGIN_TEXT_MAX (PMC_PATH_MAX + 16)

/* A model-specific key of the [model] section (anything but name and data);
 * the model validates these. */
typedef struct {
    char key[PMC_NAME_MAX];
    char value[PMC_VALUE_MAX];
    pmc_config_origin origin;
} pmc_config_kv;

typedef struct pmc_config {
    char path[PMC_PATH_MAX]; /* the config file as given */

    /* [run] */
    uint64_t seed;            /* required */
    size_t particles;         /* required, >= 2 */
    unsigned generations;     /* required, >= 1: generation 0 .. generations-1 */
    uint64_t max_simulations; /* default 0 = no cap */
    char checkpoint_dir[PMC_PATH_MAX]; /* default "checkpoints", relative to the working directory */
    double checkpoint_interval; /* seconds between mid-generation saves; default 600; 0 = never */
    double time_limit;          /* seconds; 0 = none (default); --time-limit overrides */
    unsigned keep_last;         /* keep only the newest K generation files; 0 = all (default) */
    double progress_interval;   /* seconds between progress lines in logs; default 30; 0 = none */

    /* [epsilon] */
    double eps_initial;  /* required; > 0, may be INFINITY ("inf") */
    double eps_quantile; /* required; 0 < q < 1 */
    double eps_minimum;  /* default 0; >= 0 */
    int eps_schedule;    /* pmc_epsilon_schedule; default PMC_EPS_QUANTILE */
    size_t n_eps_values; /* schedule = list: epsilons of generations 1, 2, ... (>= 1) */
    double eps_values[PMC_EPS_VALUES_MAX]; /* > 0, non-increasing */
    pmc_config_origin eps_values_origin;
    pmc_config_origin eps_quantile_origin;
    double eps_target_acceptance; /* schedule = acceptance: 0 < a < 1, required there */
    pmc_config_origin eps_target_acceptance_origin;
    double eps_min_acceptance; /* default 0 = off; stop when a generation's acceptance is below */
    double eps_min_change;     /* default 0 = off; stop when 1 - eps_t / eps_{t-1} is below */

    /* [kernel] */
    int kernel_kind;          /* pmc_kernel_kind; default PMC_KERNEL_BEAUMONT */
    size_t kernel_neighbours; /* knn only; default 0 = ceil(particles / 4) */
    pmc_config_origin kernel_neighbours_origin;

    /* [model] */
    char model_name[PMC_NAME_MAX];  /* required */
    pmc_config_origin model_name_origin;
    char model_data[PMC_PATH_MAX];  /* resolved: relative paths are taken from the config file's directory */
    pmc_config_origin model_data_origin;
    /* "" or the normalised list of the table columns to read ("prey, predator") */
    char model_data_columns[PMC_VALUE_MAX];
    size_t n_model_data_columns;
    pmc_config_origin model_data_columns_origin;
    size_t n_model_keys;
    pmc_config_kv model_keys[PMC_MODEL_KEYS_MAX];

    /* [prior]: one parameter per key, in file order; at least one */
    size_t n_params;
    pmc_prior_spec prior[PMC_MAX_PARAMS];
    pmc_config_origin prior_origin[PMC_MAX_PARAMS];

    /* Model choice (docs/config.md, [models]): n_models = 0 for a run of one
     * model ([model], [prior]); else K >= 2 models from the sections
     * [model.LABEL] and [prior.LABEL], in the order their labels first
     * appear. models[k] is model k's own config: its [model] and [prior]
     * fields, every other field the run's. This config's [model] name is
     * then "choice" and its prior[] the joint list: "model", categorical
     * over the K models with the model prior, then model k's parameters as
     * "LABEL.NAME" at model_first[k] .. model_first[k + 1] - 1. */
    size_t n_models;
    char model_labels[PMC_MODELS_MAX][PMC_NAME_MAX];
    struct pmc_config *models[PMC_MODELS_MAX];
    size_t model_first[PMC_MODELS_MAX + 1];
    double model_prior[PMC_MODELS_MAX]; /* [models] prior: default 1 / K each */
    size_t n_model_prior;
    pmc_config_origin model_prior_origin;
    double model_stay; /* [models] stay: the model kernel's stay probability; default 0.7 */

    /* [distance] */
    char distance_name[PMC_NAME_MAX]; /* euclidean (default), weighted_euclidean, adaptive, model */
    pmc_config_origin distance_origin; /* line 0 and the config path when defaulted */
    size_t n_distance_weights;         /* weighted_euclidean only (then >= 1) */
    double distance_weights[PMC_DISTANCE_WEIGHTS_MAX]; /* finite, > 0; count checked by the distance */
    pmc_config_origin distance_weights_origin;

    /* [mpi] */
    size_t mpi_chunk; /* default 0 = adaptive; else fixed number of slots per request */
    int mpi_ranks_per_simulation; /* default 1; the world size must be a multiple of it */
    pmc_config_origin mpi_ranks_per_simulation_origin; /* line 0 and the config path when defaulted */

    /* The effective configuration (file + overrides), normalised to one
     * "key = value" per line under its section, in a fixed order. Stored in
     * every checkpoint. Owned; freed by pmc_config_free. */
    char *text;
} pmc_config;

/* Parses and validates the INI file at path, then applies overrides
 * (each "section.key=value"), then validates the whole. On success fills cfg
 * (which pmc_config_free releases). Errors: PMC_EINVAL (file cannot be
 * opened, syntax, unknown section or key, duplicate key, missing key, bad
 * number, impossible value, bad override) or PMC_EIO (read error), with the
 * message in err.
 * The data file itself is not read here. */
int pmc_config_load(const char *path, const char *const *overrides, size_t n_overrides,
                    pmc_config *cfg, pmc_err *err);

/* Same as pmc_config_load but from text in memory; `path` is used in messages
 * and for resolving the data path. */
int pmc_config_parse(const char *text, const char *path, const char *const *overrides,
                     size_t n_overrides, pmc_config *cfg, pmc_err *err);

void pmc_config_free(pmc_config *cfg);

/* Compares the effective config text stored in a checkpoint with the
 * current one, key by key. Keys that cannot change the results are ignored:
 * run.generations, run.max_simulations, run.checkpoint_dir,
 * run.checkpoint_interval, run.time_limit, run.keep_last,
 * run.progress_interval, epsilon.min_acceptance, epsilon.min_change
 * (stopping rules: they decide how many generations run, as
 * run.generations does, not what any generation holds), mpi.chunk, mpi.ranks_per_simulation, and
 * model.data (the path; the data's content is compared by checksum
 * elsewhere). Every other difference (seed, particles, the other epsilon.* keys,
 * kernel.*, model.*, prior.* incl. added/removed parameters, distance.*) is listed in out as
 * lines "  [section] key: stored VALUE, now VALUE" (or "(absent)").
 * Returns the number of differences (0 = compatible). */
int pmc_config_diff(const char *stored_text, const char *current_text, char *out, size_t out_len);

/* Writes "FILE:LINE", or "FILE" alone for a line of 0 (an override or a
 * defaulted key, which has no line to point at), into buf of size n
 * (PMC_ORIGIN_TEXT_MAX fits any origin) and returns buf, so that every stage
 * reports a config location the same way. */
const char *pmc_config_origin_text(const pmc_config_origin *o, char *buf, size_t n);
/* pmc_config_origin_text into a buffer that lives until the end of the
 * enclosing block (a compound literal): for error messages, as a printf
 * argument. */
#define PMC_ORIGIN_TEXT(o)                                                                       \
    pmc_config_origin_text((o), (char[PMC_ORIGIN_TEXT_MAX]){ 0 }, PMC_ORIGIN_TEXT_MAX)

/* Value of a model-specific key, or NULL if absent. */
const pmc_config_kv *pmc_config_model_key(const pmc_config *cfg, const char *key);

#endif

/* Post-processing: what a run directory or one checkpoint file holds (model,
 * state, per-generation figures, posterior summary), as text or JSON, for
 * `pmcabc inspect`. Reads only through the pmc_checkpoint read API (and
 * opendir for the file names) and never writes. The posterior summary is
 * the one the run log prints; tools/pmcabc_read.py uses the same
 * definitions (docs/postprocessing.md). */
#ifndef PMC_INSPECT_H
#define PMC_INSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pmc_bounds.h"
#include "pmc_checkpoint.h"
#include "pmc_config.h"
#include "pmc_error.h"
#include "pmc_lock.h"
#include "pmc_summary.h"

/* --- inspect report ---------------------------------------------------------- */

typedef enum {
    PMC_INSPECT_RUN = 0,    /* a run directory */
    PMC_INSPECT_GENERATION, /* one gen-NNNN.h5 file */
    PMC_INSPECT_PARTIAL     /* one partial-NNNN.h5 file */
} pmc_inspect_kind;

typedef enum {
    PMC_STATE_FINISHED = 0, /* the newest generation ends the run, or max_simulations does */
    PMC_STATE_RESUMABLE,    /* a run would go on with next_generation */
    PMC_STATE_PARTIAL       /* next_generation has slots_done of n slots saved */
} pmc_run_state;

/* A usable generation file and its root attributes. */
typedef struct {
    char *file;
    pmc_gen_meta meta;
    double model_p[PMC_MODELS_MAX]; /* model choice: posterior model probabilities */
} pmc_inspect_row;

/* A file named like a checkpoint that could not be used; error names it. */
typedef struct {
    char *file;
    char *error;
} pmc_inspect_skip;

typedef struct {
    pmc_inspect_kind kind;
    char *path; /* as given */
    /* From the stored config text of the newest usable file. */
    char *model;
    unsigned generations;     /* [run] generations */
    double eps_minimum;       /* [epsilon] minimum */
    uint64_t max_simulations; /* [run] max_simulations, 0 = none */
    uint64_t seed;
    size_t n, d;
    char **param_names; /* d names */
    /* Model choice (docs/config.md [models]): the labels; 0 for one model. */
    size_t n_models;
    char model_labels[PMC_MODELS_MAX][PMC_NAME_MAX];
    pmc_run_state state;
    unsigned next_generation;     /* RESUMABLE, PARTIAL */
    size_t slots_done;            /* PARTIAL */
    uint64_t partial_simulations; /* PARTIAL: simulations used by the saved slots */
    double partial_epsilon;       /* PARTIAL: tolerance of next_generation */
    char *partial_file;           /* PARTIAL */
    /* FINISHED by max_simulations: the next generation (its partial file's
     * slots and known rejected attempts included) needs more than the
     * budget_left simulations the stored config leaves. */
    int stop_rule; /* FINISHED by an [epsilon] stopping rule (pmc_epsilon_run_finished) */
    int budget_reached;
    uint64_t budget_max, budget_left;
    /* Which build wrote the newest file read (pmc_checkpoint.h), and
     * whether this pmcabc may continue the run (same stream version). */
    pmc_file_build build;
    int build_compatible;
    size_t n_rows;
    pmc_inspect_row *rows; /* usable generation files, ascending generation */
    size_t n_skipped;
    pmc_inspect_skip *skipped;
    /* The newest usable generation (kinds RUN and GENERATION). */
    int has_posterior;
    pmc_gen_meta last;
    size_t n_epsilons;
    double *epsilons;              /* tolerance history stored in the newest file */
    pmc_marginal_summary *summary; /* d entries */
    pmc_prior_spec *priors;        /* d entries from the stored config (NULL: its count differs) */
    size_t n_bound_hits;
    pmc_bound_hit *bound_hits;     /* where the posterior piles against a prior bound */
    /* Kind RUN: the directory's .lock (PMC_LOCK_NONE without one). */
    pmc_lock_status lock;
} pmc_inspect_report;

/* Builds the report of path: a run directory (every gen-NNNN.h5 in it, the
 * newest usable one summarised, the partial-NNNN.h5 of the next generation
 * looked at), one generation file, or one partial file (a name
 * partial-*.h5). Nothing is written. Damaged files of a directory that
 * still holds a usable generation are listed in skipped. Errors: PMC_EINVAL
 * when path does not exist, is not a pmcabc checkpoint, is damaged or holds
 * no usable generation (the message names the file and the problem; for a
 * directory whose lock a running pmcabc holds it says so too: such a run
 * has not saved anything yet); PMC_ENOMEM. On failure *out is empty. */
int pmc_inspect_load(const char *path, pmc_inspect_report *out, pmc_err *err);

void pmc_inspect_free(pmc_inspect_report *r);

/* The state as one phrase: "finished", "resumable at generation 4" or
 * "partial generation 4 with 37 of 200 slots". Always NUL-terminated. */
void pmc_inspect_state_text(const pmc_inspect_report *r, char *buf, size_t len);

/* Human-readable report (example in docs/postprocessing.md). */
void pmc_inspect_print_text(const pmc_inspect_report *r, FILE *out);

/* The same as one JSON object: numbers with %.17g, infinities as the
 * strings "inf" / "-inf", NaN as null. Schema in docs/postprocessing.md. */
void pmc_inspect_print_json(const pmc_inspect_report *r, FILE *out);

/* What `inspect --json` prints when it fails, so that a script always reads
 * one JSON object: {"path": PATH or null, "error": MESSAGE, "exit": CODE}
 * (CODE the process's exit status). */
void pmc_inspect_print_json_error(const char *path, const char *message, int exit_code,
                                  FILE *out);

#endif

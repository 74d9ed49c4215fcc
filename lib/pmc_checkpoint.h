/* The only HDF5 module: generation files gen-NNNN.h5 in the checkpoint
 * directory, written by rank 0 alone (small files) or collectively with
 * parallel HDF5 (MPI-IO; large files) and committed atomically, each with a
 * whole-file digest in its first 512 bytes that readers verify before
 * libhdf5 opens the file. Layout: docs/checkpoint-format.md. */
#ifndef PMC_CHECKPOINT_H
#define PMC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "pmc_error.h"
#include "pmc_util.h"

/* The layout of the files (docs/checkpoint-format.md). 2: random streams
 * per proposal attempt (pmc_rng), layout of version 1. 3: the build
 * identity (attributes stream_version, model_digest) in both kinds and the
 * rejected attempts of unfinished slots (/rejected) in partial files.
 * Versions 1 to 3 are read; whether a run may be continued is decided by
 * the stream version (pmc_version.h), not by this number. */
#define PMC_CHECKPOINT_FORMAT_VERSION 3

/* Most statistics per particle a file may hold (/stats columns): the
 * reader's bound, far above a command model's 10^6 (pmc_command.c) and far
 * from overflowing n * s * 8 bytes with n < 2^40. */
#define PMC_CHECKPOINT_MAX_STATS ((size_t)1 << 20)

/* Root attributes of a generation file. */
typedef struct {
    unsigned generation;
    double epsilon;
    uint64_t n_simulations;   /* cumulative over generations 0..generation */
    uint64_t gen_simulations; /* this generation only */
    double ess;
    double acceptance_rate;   /* particles / gen_simulations */
    uint64_t seed;
    double wall_time;         /* seconds spent on this generation */
    uint64_t data_checksum;   /* FNV-1a 64 of the observed data values (pmc_checksum_fnv1a) */
    uint64_t model_digest;    /* FNV-1a 64 of a plugin's file; 0 for a built-in model */
} pmc_gen_meta;

/* Which build wrote a file, as read back. Files of format 1 and 2 have no
 * stream_version attribute: theirs is their format version (the two
 * changed together), and no model digest (has_model_digest 0). */
typedef struct {
    unsigned format_version;
    unsigned stream_version;
    int has_model_digest;
    char *creator; /* e.g. "pmcabc 0.2.0"; "unknown" if the file has none */
} pmc_file_build;

/* A population as every rank holds it (all n rows); a rank writes only rows
 * [lo, hi) of each dataset. */
typedef struct {
    size_t n, d;
    size_t lo, hi;
    const double *theta;     /* n x d, row-major, columns in [prior] order */
    const double *weights;   /* n, normalised */
    const double *distances; /* n */
    const double *epsilons;  /* epsilon of generations 0..generation (generation+1 values) */
    const char *const *param_names; /* d names */
    const char *config_text; /* effective config */
    const char *distance;    /* the distance in use, e.g. "weighted_euclidean(1, 0.5)"; may be NULL */
    const char *model;       /* the model's own name (a plugin's, not "plugin"); may be NULL */
    /* Per particle, the statistics of its accepted simulation (n x n_stats,
     * dataset /stats; n_stats = 0: absent); with the adaptive distance also
     * those of its slot's first simulation (/proposal_stats, NULL: absent);
     * and the observed statistics (n_stats, /observed_stats, NULL: absent). */
    size_t n_stats;
    const double *stats, *proposal_stats, *observed_stats;
    /* Model choice (n_models > 0): attributes model_names (the labels) and
     * model_probabilities (the weight on each model). */
    size_t n_models;
    const char *const *model_names;
    const double *model_probabilities;
} pmc_population_view;

/* Writes the whole-file digest header into the 512-byte user block of a
 * file whose HDF5 data starts at byte 512 (docs/checkpoint-format.md,
 * "Digest"), and fsyncs it. The commit of every file pmcabc writes does this
 * before the rename; tests use it to give a deliberately wrong file a valid
 * digest, so that the checks behind the digest can be tested. PMC_EINVAL if
 * the file has no such user block, PMC_EIO on an I/O error. */
int pmc_checkpoint_seal(const char *path, pmc_err *err);

/* Writes <dir>/gen-NNNN.h5 on the communicator (*(MPI_Comm *)comm): every
 * rank calls it with the same meta and n/d, and its own [lo, hi). Below
 * 256 MiB (PMCABC_COLLECTIVE_IO_MIN_MB) rank 0 writes every row itself and
 * the others only learn its status; above, the write is collective.
 * Commit protocol: write to a temporary name in dir, close, fsync, rename into
 * place, fsync dir, so a reader never sees a half-written gen file. Returns
 * the same status on every rank. */
int pmc_checkpoint_write_generation(void *comm, const char *dir, const pmc_gen_meta *meta,
                                    const pmc_population_view *pop, pmc_err *err);

/* A generation read back (all rows), for tests and, later, resume. */
typedef struct {
    pmc_gen_meta meta;
    size_t n, d;
    double *theta, *weights, *distances;
    size_t n_epsilons;
    double *epsilons;
    char **param_names;
    char *config_text;
    char *model;                    /* attribute model (format 3); NULL in older files */
    pmc_file_build build;
    size_t n_stats;                 /* 0 when the file has no /stats */
    double *stats, *proposal_stats; /* n x n_stats, or NULL (each may be absent) */
    double *observed_stats;         /* n_stats, or NULL (files before it was stored) */
} pmc_generation;

/* Reads a generation file (independent I/O, any single process). The
 * file's digest is verified before libhdf5 opens it; a file without one (an
 * older pmcabc's) is read with a warning. Errors: PMC_EIO if it cannot be
 * opened, PMC_EINVAL if its digest does not match ("PATH: file damaged:
 * ..."), it is not a pmcabc file or its datasets have the wrong shape or
 * type (message names path and dataset). */
int pmc_checkpoint_read_generation(const char *path, pmc_generation *out, pmc_err *err);

void pmc_generation_free(pmc_generation *g);

/* --- resume support ------------------------------------------------------- */

/* Finds the newest valid generation file in dir: tries gen files from the
 * highest generation down, reading each with pmc_checkpoint_read_generation
 * (which verifies the checksum); each invalid one is skipped with a
 * pmc_log_warn naming the file and the problem. On success fills out and
 * path (the file used). PMC_ENOTFOUND if dir is missing or holds no valid
 * generation file. Any single process may call it. */
int pmc_checkpoint_find_latest(const char *dir, pmc_generation *out, char *path, size_t path_len,
                               pmc_err *err);

/* pmc_checkpoint_read_generation of a file listed as generation `named`
 * (the number its name carries, pmc_rundir_number): PMC_EINVAL, with *out
 * empty, if it holds another generation (renamed or copied by hand). */
int pmc_checkpoint_read_named(const char *path, long named, pmc_generation *out, pmc_err *err);

/* A partially computed generation: the slots finished so far, saved on a
 * signal, a time limit or every checkpoint_interval seconds. File name
 * partial-NNNN.h5 (never matches gen-NNNN.h5), same commit protocol. */
typedef struct {
    unsigned generation;
    double epsilon;
    uint64_t seed;
    size_t n;                /* particles of the full generation */
    size_t d;
    size_t k;                /* slots done */
    size_t lo, hi;           /* rows of the k this rank writes (writer only) */
    const uint64_t *slots;   /* k slot indices, ascending */
    const double *theta;     /* k x d */
    const double *distances; /* k */
    const uint64_t *n_sims;  /* k: simulations each slot used */
    /* n: for a slot not done, how many of its first attempts are known to be
     * rejected (a resume starts it there; 0 for done slots); NULL = none. */
    const uint64_t *rejected;
    uint64_t model_digest;   /* as in pmc_gen_meta */
    const char *config_text;
    size_t n_stats;          /* optional, as in pmc_population_view (k rows) */
    const double *stats, *proposal_stats; /* proposal_stats: adaptive only, else NULL */
} pmc_partial_view;

/* Writes <dir>/partial-NNNN.h5 collectively (as pmc_checkpoint_write_generation). */
int pmc_checkpoint_write_partial(void *comm, const char *dir, const pmc_partial_view *p,
                                 pmc_err *err);

typedef struct {
    pmc_file_build build;
    unsigned generation;
    double epsilon;
    uint64_t seed;
    size_t n, d, k;
    uint64_t *slots;
    double *theta, *distances;
    uint64_t *n_sims;
    uint64_t *rejected;      /* n values (all 0 in files of format 1 and 2) */
    uint64_t model_digest;
    char *config_text;
    size_t n_stats;                 /* 0 when the file has no /stats */
    double *stats, *proposal_stats; /* k x n_stats, or NULL (each may be absent) */
} pmc_partial;

/* Reads and verifies (checksum, shapes, slots ascending and < n) a partial
 * file. PMC_ENOTFOUND if it does not exist; PMC_EIO / PMC_EINVAL otherwise. */
int pmc_checkpoint_read_partial(const char *path, pmc_partial *out, pmc_err *err);

void pmc_partial_free(pmc_partial *p);

#endif

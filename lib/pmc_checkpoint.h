/* The only HDF5 module: generation files gen-NNNN.h5 in the checkpoint
 * directory, written collectively with parallel HDF5 (MPI-IO) and committed
 * atomically. Layout: docs/checkpoint-format.md. */
#ifndef PMC_CHECKPOINT_H
#define PMC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "pmc_error.h"

#define PMC_CHECKPOINT_FORMAT_VERSION 1

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
} pmc_gen_meta;

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
} pmc_population_view;

/* Creates dir (and parents) if needed. Call on one rank (rank 0). */
int pmc_checkpoint_prepare_dir(const char *dir, pmc_err *err);

/* Writes <dir>/gen-NNNN.h5 collectively on the communicator (*(MPI_Comm *)comm):
 * every rank calls it with the same meta and n/d, and its own [lo, hi).
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
    unsigned format_version;
} pmc_generation;

/* Reads a generation file (independent I/O, any single process). Errors:
 * PMC_EIO if it cannot be opened, PMC_EINVAL if it is not a pmcabc file or
 * its datasets have the wrong shape or type (message names path and dataset). */
int pmc_checkpoint_read_generation(const char *path, pmc_generation *out, pmc_err *err);

void pmc_generation_free(pmc_generation *g);

#endif

/* pmcabc model plugin ABI, version 2: a frozen copy of the header as released
 * with version 2, for tests/e2e/test_plugin.sh to build real version 2 plugins.
 *
 * A plugin is a shared object (built with -shared -fPIC, no link against
 * pmcabc) that exports one function:
 *
 *     const pmcabc_model *pmcabc_model_plugin(void);
 *
 * returning a pointer to a static description of the model. pmcabc loads it
 * for `[model] name = plugin` and `plugin = path/to/libmodel.so`; every other
 * [model] key except `data` is handed to init() as text. The guide with a
 * complete example is docs/writing-a-model.md (examples/normal_mean/).
 *
 * Reproducibility contract: simulate() must draw randomness only from the
 * `rng` it is given and must give the same statistics for the same
 * parameters and the same stream. pmcabc positions that stream per proposal
 * attempt (seed, generation, slot, attempt), so results are then bit-identical for any
 * number of MPI ranks and across kill/resume.
 *
 * MPI-parallel models (ABI version 2): with `[mpi] ranks_per_simulation = k`
 * the MPI world is split into groups of k ranks and every rank of a group
 * calls simulate_group() for the same particle, at the same time, with the
 * same params and an identical copy of the random stream; the model may use
 * the group's communicator (and only that one) to share the work. Only the
 * group leader's (group rank 0) statistics are kept. For bit-identical
 * results with any k, the statistics must depend only on params and the
 * stream, not on the group size: give each piece of work (replicate, domain
 * block) its own randomness derived from the stream, and combine pieces in a
 * fixed order (a floating-point sum over ranks in rank order is not the same
 * as one over a different number of ranks). docs/writing-a-model.md,
 * examples/mpi_walk/.
 *
 * Thread-compatibility: simulate() and distance() must not modify `state`
 * (it is shared by all slots of a process); use stack or per-call memory.
 *
 * This header has no dependency on pmcabc internals, GSL or MPI. */
#ifndef PMCABC_MODEL_H
#define PMCABC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PMCABC_MODEL_ABI_VERSION 2

/* The oldest version this pmcabc still loads: a version 1 description ends
 * after `distance`, and its model runs with ranks_per_simulation = 1 only. */
#define PMCABC_MODEL_ABI_VERSION_MIN 1

/* The name of the entry symbol pmcabc looks up with dlsym. */
#define PMCABC_MODEL_ENTRY "pmcabc_model_plugin"

/* A random stream owned by pmcabc. Call its functions through the table:
 *     double u = rng->uniform(rng);
 * Only the layout of the function table is part of the ABI; `impl` is
 * pmcabc's generator and must not be touched. */
typedef struct pmcabc_rng pmcabc_rng;
struct pmcabc_rng {
    double (*uniform)(pmcabc_rng *rng);     /* uniform on the open interval (0, 1) */
    double (*normal)(pmcabc_rng *rng);      /* standard normal N(0, 1) */
    double (*exponential)(pmcabc_rng *rng); /* exponential with rate 1 (mean 1) */
    uint64_t (*bits)(pmcabc_rng *rng);      /* 64 uniform random bits */
    void *impl;
};

/* The group of ranks that simulates one particle together (ABI version 2).
 * comm points to the group's MPI communicator: in C,
 *     MPI_Comm comm = *(const MPI_Comm *)group->comm;
 * (Fortran: MPI_Comm_c2f of that). It is a communicator of its own, so the
 * model's messages never mix with pmcabc's. */
typedef struct pmcabc_group {
    const void *comm;
    int rank; /* 0 .. size-1; 0 is the leader, whose statistics are kept */
    int size; /* [mpi] ranks_per_simulation */
} pmcabc_group;

typedef struct pmcabc_model {
    /* PMCABC_MODEL_ABI_VERSION (or 1 for a plugin built against the version 1
     * header): pmcabc refuses other versions. */
    uint32_t abi_version;
    /* Short name used in messages, e.g. "normal_mean". Required. */
    const char *name;
    /* Number of parameters, which must equal the number of [prior] keys. */
    size_t n_params;
    /* NULL, or n_params names that must equal the [prior] keys in order. */
    const char *const *param_names;
    /* Number of summary statistics (>= 1). */
    size_t n_stats;

    /* Optional. Called once per process before anything else, with the
     * [model] keys other than name, data and plugin (in file order) and the
     * observed data (NULL and 0 without `[model] data`). May store a pointer
     * in *state, passed to every other callback. Returns 0, or nonzero with a
     * message in errbuf (errlen bytes): the run stops with exit status 2.
     * Start the message with "KEY: " to have pmcabc prefix that key's
     * FILE:LINE. Without init, any extra [model] key is an error. */
    int (*init)(const char *const *keys, const char *const *values, size_t n_keys,
                const double *data, size_t n_data, void **state, char *errbuf,
                size_t errlen);

    /* Optional. Releases what init allocated. */
    void (*finalize)(void *state);

    /* Required. Writes the n_stats statistics of the observed data to
     * out_stats. Returns 0, or nonzero with a message (exit status 2). */
    int (*observed_stats)(const double *data, size_t n_data, double *out_stats, void *state,
                          char *errbuf, size_t errlen);

    /* Required unless simulate_group is given. Simulates the model at
     * params (n_params values, [prior] order) and writes n_stats finite statistics to out_stats. Returns 0, or
     * nonzero with a message: the run stops with exit status 1 and pmcabc
     * adds rank, slot, generation and parameters to the message. */
    int (*simulate)(const double *params, pmcabc_rng *rng, double *out_stats, void *state,
                    char *errbuf, size_t errlen);

    /* Optional. Distance between simulated statistics a and observed b (n
     * each), used with `[distance] name = model`. Must be >= 0 (may be +inf). */
    double (*distance)(const double *a, const double *b, size_t n, void *state);

    /* --- ABI version 2 --- */

    /* Optional. The MPI-parallel simulate: called on every rank of the
     * group with the same params and the same stream (see the top of this
     * file); out_stats of the leader (group->rank == 0) is kept. When given,
     * pmcabc calls it instead of simulate, for any ranks_per_simulation
     * (group->size == 1 included). A nonzero return on any rank stops the
     * run with exit status 1 and that rank's message. If one rank returns
     * while the others wait in a collective of the model, they cannot be
     * told: pmcabc then aborts the whole run (exit status 1) after a grace
     * period, so a failure should be detected collectively when possible. */
    int (*simulate_group)(const double *params, pmcabc_rng *rng, double *out_stats,
                          void *state, const pmcabc_group *group, char *errbuf, size_t errlen);
} pmcabc_model;

/* The entry point a plugin defines. */
typedef const pmcabc_model *(*pmcabc_model_entry)(void);

#ifdef __cplusplus
}
#endif

#endif

/* pmcabc model plugin ABI, version 1: a frozen copy of the header as released
 * with version 1, for tests/e2e/test_plugin.sh to build real version 1 plugins.
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
 * parameters and the same stream. pmcabc positions that stream per particle
 * slot (seed, generation, slot), so results are then bit-identical for any
 * number of MPI ranks and across kill/resume.
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

#define PMCABC_MODEL_ABI_VERSION 1

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

typedef struct pmcabc_model {
    /* Must be PMCABC_MODEL_ABI_VERSION: pmcabc refuses other versions. */
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

    /* Required. Simulates the model at params (n_params values, [prior]
     * order) and writes n_stats finite statistics to out_stats. Returns 0, or
     * nonzero with a message: the run stops with exit status 1 and pmcabc
     * adds rank, slot, generation and parameters to the message. */
    int (*simulate)(const double *params, pmcabc_rng *rng, double *out_stats, void *state,
                    char *errbuf, size_t errlen);

    /* Optional. Distance between simulated statistics a and observed b (n
     * each), used with `[distance] name = model`. Must be >= 0 (may be +inf). */
    double (*distance)(const double *a, const double *b, size_t n, void *state);
} pmcabc_model;

/* The entry point a plugin defines. */
typedef const pmcabc_model *(*pmcabc_model_entry)(void);

#ifdef __cplusplus
}
#endif

#endif

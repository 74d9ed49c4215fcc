/* libFuzzer target: the checkpoint readers on a file holding the input:
 * pmc_checkpoint_read_generation and pmc_checkpoint_read_partial on it, and
 * pmc_checkpoint_find_latest on its directory (the file is named
 * gen-0000.h5 there). Beyond "no crash, no sanitizer report": a result is
 * either complete (every array present) or empty with a message, and no
 * HDF5 object is left open. Seeds are real generation and partial files
 * (tests/fuzz/corpus/checkpoint), with a digest (sealed-*) and without.
 *
 * An input that starts with the HDF5 signature has no digest header: the
 * readers take it for a file of a pmcabc from before digests and hand it,
 * unverified, to libhdf5, whose own bugs (a heap overflow under H5Aexists in
 * 1.10.8, docs/reliability.md) pmcabc cannot fix. Such inputs are skipped
 * unless PMC_FUZZ_LEGACY=1, so that the default run (CI's fuzz smoke) tests
 * what the digest guarantees: nothing else reaches libhdf5 unless its
 * digest matches. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <mpi.h>

#include "fuzz_common.h"
#include "pmc_checkpoint.h"
#include "pmc_log.h"

static char path[FUZZ_PATH_MAX];
static int legacy; /* PMC_FUZZ_LEGACY=1: also inputs without a digest header */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* The parallel HDF5 build calls MPI functions from H5open. */
    MPI_Init(argc, argv);
    pmc_log_init(0, PMC_LOG_ERROR); /* find_latest warns about every bad file */
    fuzz_temp_path(path, "gen-0000.h5");
    const char *v = getenv("PMC_FUZZ_LEGACY");
    legacy = v && strcmp(v, "1") == 0;
    return 0;
}

static void check_generation(int st, const pmc_generation *g, const pmc_err *err)
{
    if (st == PMC_OK) {
        if (!g->theta || !g->weights || !g->distances || !g->epsilons || !g->param_names ||
            !g->config_text || g->n == 0 || g->d == 0 || g->n_epsilons != g->meta.generation + 1u)
            abort();
        for (size_t j = 0; j < g->d; j++)
            if (!g->param_names[j])
                abort();
    } else if (err->msg[0] == '\0' || g->theta || g->param_names || g->config_text) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (!legacy && size >= sizeof hdf5_signature &&
        memcmp(data, hdf5_signature, sizeof hdf5_signature) == 0)
        return -1; /* libFuzzer: do not add it to the corpus */
    fuzz_write_file(path, data, size);
    pmc_generation g;
    pmc_err err = {0};
    check_generation(pmc_checkpoint_read_generation(path, &g, &err), &g, &err);
    pmc_generation_free(&g);

    pmc_partial p;
    memset(&err, 0, sizeof err);
    int st = pmc_checkpoint_read_partial(path, &p, &err);
    if (st == PMC_OK) {
        if (!p.slots || !p.theta || !p.distances || !p.n_sims || !p.config_text || p.k > p.n)
            abort();
        for (size_t i = 0; i < p.k; i++)
            if (p.slots[i] >= p.n || (i > 0 && p.slots[i] <= p.slots[i - 1]))
                abort();
    } else if (err.msg[0] == '\0' || p.slots) {
        abort();
    }
    pmc_partial_free(&p);

    char found[FUZZ_PATH_MAX];
    memset(&err, 0, sizeof err);
    char dir[FUZZ_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    check_generation(pmc_checkpoint_find_latest(dir, &g, found, sizeof found, &err), &g, &err);
    pmc_generation_free(&g);

    /* Every HDF5 object the readers opened is closed again. */
    ssize_t open_ids = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (open_ids != 0) {
        fprintf(stderr, "%zd HDF5 objects left open\n", open_ids);
        abort();
    }
    return 0;
}

/* Checkpoint writer (contract: pmc_checkpoint.h): a generation or partial
 * file to a temporary name, by rank 0 alone below CKPT_COLLECTIVE_MIN_MB or
 * collectively over parallel HDF5 above it, with a disk-space reservation,
 * then the digest, fsync, rename and directory fsync. */
#include "pmc_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "pmc_ckpt_internal.h"
#include "pmc_log.h"
#include "pmc_schedule.h"
#include "pmc_version.h"

/* --- the writer --- */

/* One dataset and this rank's part of it. */
typedef struct {
    const char *name;
    hid_t ftype, mtype; /* little-endian file type, native memory type */
    int ndims;
    hsize_t dims[2];
    hsize_t start[2], count[2]; /* count[0] == 0: this rank writes nothing */
    const void *buf;            /* first element of this rank's rows; NULL if none */
    hid_t fspace, mspace;
} ckpt_dset;

/* Rows [lo, lo + rows) of a row-major array of `width` values per row; NULL
 * when there are none (the array itself may be NULL when k = 0). */
#define CKPT_ROWS(a, lo, rows, width) ((rows) ? (const void *)((a) + (lo) * (width)) : NULL)

typedef struct {
    MPI_Comm comm;
    int rank;
    const char *dir;
    char path[PATH_MAX]; /* final name: messages use it */
    char tmp[PATH_MAX];
    hid_t fcpl, fapl, dcpl, dxpl, file, scalar, names_space, str_type;
    ckpt_dset ds[CKPT_NDATASETS];
    int tmp_made; /* the temp file may exist: remove it on failure */
    uint64_t need; /* bytes reserved for the file (ckpt_estimate) */
    pmc_err e;    /* local error; the agreed one after ckpt_agree */
    int serial;          /* rank 0 alone, with HDF5's default (sec2) driver */
    const char *kind;    /* "gen" or "partial", for test faults */
    unsigned generation; /* of the file, for test faults */
} ckpt_writer;

static void ckpt_writer_init(ckpt_writer *w, void *comm, const char *dir)
{
    memset(w, 0, sizeof *w);
    w->comm = *(MPI_Comm *)comm;
    w->dir = dir ? dir : "";
    w->fcpl = w->fapl = w->dcpl = w->dxpl = w->file = w->scalar = w->names_space = w->str_type = -1;
    for (int i = 0; i < CKPT_NDATASETS; i++)
        w->ds[i].fspace = w->ds[i].mspace = -1;
    pmc_ckpt_h5_quiet();
}

/* Makes every rank return the same status. If any rank failed, all get the
 * code and message of the lowest failing rank, so they take the same cleanup
 * path (H5Fclose is collective and must be called by all or none). */
static int ckpt_agree(ckpt_writer *w, int status)
{
    int first = -1;
    if (pmc_schedule_comm_agree(&w->comm, status == PMC_OK, &first) != PMC_OK)
        return pmc_err_set(&w->e, PMC_EIO, "%s: MPI_Iallreduce failed", w->path);
    if (first < 0)
        return PMC_OK;
    if (pmc_schedule_comm_bcast(&w->comm, &w->e, sizeof w->e, first) != PMC_OK)
        return pmc_err_set(&w->e, PMC_EIO, "%s: MPI_Ibcast failed", w->path);
    return w->e.code;
}

static int ckpt_rank(ckpt_writer *w)
{
    if (MPI_Comm_rank(w->comm, &w->rank) != MPI_SUCCESS)
        return pmc_err_set(&w->e, PMC_EIO, "%s: MPI_Comm_rank failed", w->dir);
    return PMC_OK;
}

/* Local checks of the arguments; identical on all ranks except [lo, hi). */
static int ckpt_check_args(const ckpt_writer *w, const pmc_gen_meta *m, const pmc_population_view *p,
                           pmc_err *e)
{
    if (!m || !p)
        return pmc_err_set(e, PMC_EINVAL, "%s: no metadata or population to write", w->path);
    if (p->n == 0 || p->n >= CKPT_MAX_PARTICLES || p->d == 0 || p->d > CKPT_MAX_PARAMS)
        return pmc_err_set(e, PMC_EINVAL,
                           "%s: population of %zu x %zu: expected 1 <= n < 2^40 and 1 <= d <= 2^20",
                           w->path, p->n, p->d);
    if (p->lo > p->hi || p->hi > p->n)
        return pmc_err_set(e, PMC_EINVAL, "%s: row block [%zu, %zu) outside [0, %zu)", w->path, p->lo,
                           p->hi, p->n);
    if (m->generation >= CKPT_MAX_GENERATION)
        return pmc_err_set(e, PMC_EINVAL, "%s: generation %u: expected below 2^24", w->path,
                           m->generation);
    if (!p->theta || !p->weights || !p->distances || !p->epsilons || !p->param_names)
        return pmc_err_set(e, PMC_EINVAL, "%s: population view has a NULL array", w->path);
    if (p->n_stats > CKPT_MAX_STATS || (p->n_stats && !p->stats))
        return pmc_err_set(e, PMC_EINVAL, "%s: %zu statistics per particle%s: expected at most "
                           "%zu, with their array", w->path, p->n_stats,
                           p->stats ? "" : " but no array", CKPT_MAX_STATS);
    for (size_t j = 0; j < p->d; j++)
        if (!p->param_names[j])
            return pmc_err_set(e, PMC_EINVAL, "%s: parameter name %zu is NULL", w->path, j);
    return PMC_OK;
}

/* The same for a partial generation; all ranks hold all k rows, so the slot
 * check gives the same answer everywhere. */
static int ckpt_check_partial(const ckpt_writer *w, const pmc_partial_view *p, pmc_err *e)
{
    if (!p)
        return pmc_err_set(e, PMC_EINVAL, "%s: no partial generation to write", w->path);
    if (p->n == 0 || p->n >= CKPT_MAX_PARTICLES || p->d == 0 || p->d > CKPT_MAX_PARAMS)
        return pmc_err_set(e, PMC_EINVAL,
                           "%s: generation of %zu x %zu: expected 1 <= n < 2^40 and 1 <= d <= 2^20",
                           w->path, p->n, p->d);
    if (p->k > p->n)
        return pmc_err_set(e, PMC_EINVAL, "%s: %zu slots done: expected at most n_particles %zu",
                           w->path, p->k, p->n);
    if (p->lo > p->hi || p->hi > p->k)
        return pmc_err_set(e, PMC_EINVAL, "%s: row block [%zu, %zu) outside [0, %zu)", w->path, p->lo,
                           p->hi, p->k);
    if (p->generation >= CKPT_MAX_GENERATION)
        return pmc_err_set(e, PMC_EINVAL, "%s: generation %u: expected below 2^24", w->path,
                           p->generation);
    if (p->k > 0 && (!p->slots || !p->theta || !p->distances || !p->n_sims))
        return pmc_err_set(e, PMC_EINVAL, "%s: partial view has a NULL array", w->path);
    if (p->n_stats > CKPT_MAX_STATS || (p->k > 0 && p->n_stats && !p->stats))
        return pmc_err_set(e, PMC_EINVAL, "%s: %zu statistics per particle%s: expected at most "
                           "%zu, with their array", w->path, p->n_stats,
                           p->stats ? "" : " but no array", CKPT_MAX_STATS);
    return pmc_ckpt_check_slots(w->path, p->slots, p->k, p->n, e);
}

/* --- Test-only fault injection (docs/reliability.md) --- */

/* PMC_TEST_FAIL_AT=reserve|write|close|fsync|rename|fsync_dir makes that
 * step of writing and committing a checkpoint file fail as the system call
 * would: errno ENOSPC for reserve and write, EIO for the others.
 * PMC_TEST_FAIL_GEN=N limits it to generation N (default: every
 * generation), PMC_TEST_FAIL_KIND=gen|partial to one kind of file (default
 * gen). Unset, it costs one getenv per step;
 * the tests of the commit protocol (tests/e2e/test_faults.sh) are its only
 * users. Returns 1 with errno set when the step must fail. */
static int ckpt_test_fault(const ckpt_writer *w, const char *step)
{
    const char *at = getenv("PMC_TEST_FAIL_AT");
    if (!at || strcmp(at, step) != 0)
        return 0;
    const char *gen = getenv("PMC_TEST_FAIL_GEN"), *kind = getenv("PMC_TEST_FAIL_KIND");
    if (gen && *gen && strtoul(gen, NULL, 10) != w->generation)
        return 0;
    if (strcmp(kind && *kind ? kind : "gen", w->kind ? w->kind : "") != 0)
        return 0;
    pmc_log_warn("test fault: PMC_TEST_FAIL_AT=%s fails this step of writing %s", step, w->path);
    errno = strcmp(step, "write") == 0 || strcmp(step, "reserve") == 0 ? ENOSPC : EIO;
    return 1;
}

/* kind is "gen" or "partial". */
static int ckpt_paths(ckpt_writer *w, const char *kind, unsigned generation)
{
    w->kind = kind;
    w->generation = generation;
    int gen = !strcmp(kind, "gen");
    if (pmc_rundir_path(w->path, sizeof w->path, w->dir, gen ? PMC_RUNDIR_GEN : PMC_RUNDIR_PARTIAL,
                        generation, &w->e) != PMC_OK ||
        pmc_rundir_path(w->tmp, sizeof w->tmp, w->dir,
                        gen ? PMC_RUNDIR_GEN_TMP : PMC_RUNDIR_PARTIAL_TMP, generation,
                        &w->e) != PMC_OK)
        return w->e.code;
    return PMC_OK;
}

/* The optional statistics datasets (slots 4 and 5), row-blocked like
 * /theta; /proposal_stats only when pstats is given. */
static void ckpt_describe_stats(ckpt_writer *w, size_t rows_total, size_t lo, size_t hi,
                                size_t n_stats, const double *stats, const double *pstats)
{
    if (!n_stats)
        return;
    hsize_t rows = hi - lo;
    const char *names[2] = {"/stats", "/proposal_stats"};
    const double *bufs[2] = {stats, pstats};
    for (int i = 0; i < (pstats ? 2 : 1); i++) {
        ckpt_dset *ds = &w->ds[4 + i];
        ds->name = names[i];
        ds->ndims = 2;
        ds->dims[0] = rows_total;
        ds->dims[1] = n_stats;
        ds->start[0] = lo;
        ds->start[1] = 0;
        ds->count[0] = rows;
        ds->count[1] = n_stats;
        ds->buf = CKPT_ROWS(bufs[i], lo, rows, n_stats);
    }
}

static void ckpt_describe_gen(ckpt_writer *w, const pmc_gen_meta *m, const pmc_population_view *p)
{
    hsize_t rows = p->hi - p->lo, n_eps = (hsize_t)m->generation + 1;
    hid_t f64 = H5T_IEEE_F64LE, dbl = H5T_NATIVE_DOUBLE;
    ckpt_dset init[CKPT_NDATASETS] = {
        {"/theta", f64, dbl, 2, {p->n, p->d}, {p->lo, 0}, {rows, p->d},
         CKPT_ROWS(p->theta, p->lo, rows, p->d), -1, -1},
        {"/weights", f64, dbl, 1, {p->n, 0}, {p->lo, 0}, {rows, 0},
         CKPT_ROWS(p->weights, p->lo, rows, 1), -1, -1},
        {"/distances", f64, dbl, 1, {p->n, 0}, {p->lo, 0}, {rows, 0},
         CKPT_ROWS(p->distances, p->lo, rows, 1), -1, -1},
        /* The history is tiny and not row-blocked: rank 0 writes all of it. */
        {"/epsilons", f64, dbl, 1, {n_eps, 0}, {0, 0}, {w->rank == 0 ? n_eps : 0, 0},
         w->rank == 0 ? p->epsilons : NULL, -1, -1},
        {NULL, f64, dbl, 0, {0, 0}, {0, 0}, {0, 0}, NULL, -1, -1},
        {NULL, f64, dbl, 0, {0, 0}, {0, 0}, {0, 0}, NULL, -1, -1},
        {NULL, f64, dbl, 0, {0, 0}, {0, 0}, {0, 0}, NULL, -1, -1},
    };
    memcpy(w->ds, init, sizeof init);
    ckpt_describe_stats(w, p->n, p->lo, p->hi, p->n_stats, p->stats, p->proposal_stats);
    if (p->n_stats && p->observed_stats) /* tiny and not per particle: rank 0 writes it */
        w->ds[6] = (ckpt_dset){"/observed_stats", f64, dbl, 1, {p->n_stats, 0}, {0, 0},
                               {w->rank == 0 ? p->n_stats : 0, 0},
                               w->rank == 0 ? p->observed_stats : NULL, -1, -1};
}

static void ckpt_describe_partial(ckpt_writer *w, const pmc_partial_view *p)
{
    hsize_t rows = p->hi - p->lo;
    hid_t f64 = H5T_IEEE_F64LE, dbl = H5T_NATIVE_DOUBLE, u64 = H5T_STD_U64LE,
          nu64 = H5T_NATIVE_UINT64;
    ckpt_dset init[CKPT_NDATASETS] = {
        {"/slots", u64, nu64, 1, {p->k, 0}, {p->lo, 0}, {rows, 0},
         CKPT_ROWS(p->slots, p->lo, rows, 1), -1, -1},
        {"/theta", f64, dbl, 2, {p->k, p->d}, {p->lo, 0}, {rows, p->d},
         CKPT_ROWS(p->theta, p->lo, rows, p->d), -1, -1},
        {"/distances", f64, dbl, 1, {p->k, 0}, {p->lo, 0}, {rows, 0},
         CKPT_ROWS(p->distances, p->lo, rows, 1), -1, -1},
        {"/n_sims", u64, nu64, 1, {p->k, 0}, {p->lo, 0}, {rows, 0},
         CKPT_ROWS(p->n_sims, p->lo, rows, 1), -1, -1},
        {NULL, f64, dbl, 0, {0, 0}, {0, 0}, {0, 0}, NULL, -1, -1},
        {NULL, f64, dbl, 0, {0, 0}, {0, 0}, {0, 0}, NULL, -1, -1},
        {NULL, f64, dbl, 0, {0, 0}, {0, 0}, {0, 0}, NULL, -1, -1},
    };
    memcpy(w->ds, init, sizeof init);
    ckpt_describe_stats(w, p->k, p->lo, p->hi, p->n_stats, p->stats, p->proposal_stats);
    if (p->rejected) /* per slot, not per done row: rank 0 writes all of it */
        w->ds[6] = (ckpt_dset){"/rejected", u64, nu64, 1, {p->n, 0}, {0, 0},
                               {w->rank == 0 ? p->n : 0, 0}, w->rank == 0 ? p->rejected : NULL,
                               -1, -1};
}

/* File and memory dataspaces of one dataset; both local operations. A rank
 * without rows selects none but still joins the collective H5Dwrite. A
 * dataset of 0 rows (a partial file with k = 0) has a simple dataspace of
 * size 0, which HDF5 stores as an empty contiguous dataset. */
static int ckpt_dset_spaces(ckpt_writer *w, ckpt_dset *ds)
{
    hsize_t one[2] = {1, ds->dims[1]};
    ds->fspace = H5Screate_simple(ds->ndims, ds->dims, NULL);
    ds->mspace = H5Screate_simple(ds->ndims, ds->count[0] ? ds->count : one, NULL);
    if (ds->fspace < 0 || ds->mspace < 0)
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "create dataspace");
    herr_t st;
    if (ds->count[0])
        st = H5Sselect_hyperslab(ds->fspace, H5S_SELECT_SET, ds->start, NULL, ds->count, NULL);
    else if ((st = H5Sselect_none(ds->fspace)) >= 0)
        st = H5Sselect_none(ds->mspace);
    if (st < 0)
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "select rows");
    return PMC_OK;
}

/* Property lists, types and dataspaces: everything local, made before the
 * first collective call so that no rank can fail alone in the middle of one. */
static int ckpt_prepare(ckpt_writer *w, size_t d)
{
    w->fcpl = H5Pcreate(H5P_FILE_CREATE);
    w->fapl = H5Pcreate(H5P_FILE_ACCESS);
    w->dcpl = H5Pcreate(H5P_DATASET_CREATE);
    w->dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (w->fcpl < 0 || w->fapl < 0 || w->dcpl < 0 || w->dxpl < 0)
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "create property lists");
    /* The user block the commit fills with the digest header (pmc_ckpt_digest_seal). */
    if (H5Pset_userblock(w->fcpl, DIGEST_BLOCK) < 0)
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "set user block");
    /* Contiguous (the default without chunking) and no fill pass: every
     * element is written once by exactly one rank. */
    if (H5Pset_layout(w->dcpl, H5D_CONTIGUOUS) < 0 ||
        H5Pset_fill_time(w->dcpl, H5D_FILL_TIME_NEVER) < 0 ||
        (!w->serial && H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE) < 0))
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "set dataset properties");
    hsize_t nd = d;
    w->scalar = H5Screate(H5S_SCALAR);
    w->names_space = H5Screate_simple(1, &nd, NULL);
    w->str_type = pmc_ckpt_h5_vlen_utf8();
    if (w->scalar < 0 || w->names_space < 0 || w->str_type < 0)
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "create attribute types");
    for (int i = 0; i < CKPT_NDATASETS; i++) {
        int st = w->ds[i].name ? ckpt_dset_spaces(w, &w->ds[i]) : PMC_OK;
        if (st != PMC_OK)
            return st;
    }
    return PMC_OK;
}

/* Collective: H5Pset_fapl_mpio duplicates the communicator (MPI_Comm_dup),
 * so it must come after the ranks agreed that all of them got this far. */
static int ckpt_set_mpio(ckpt_writer *w)
{
    if (H5Pset_fapl_mpio(w->fapl, w->comm, MPI_INFO_NULL) < 0)
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "set MPI-IO file access");
    return PMC_OK;
}

/* The bytes of an empty HDF5 file (superblock and root group), made in
 * memory by HDF5's core driver without a backing store: rank 0 writes them
 * itself (ckpt_reserve_file), so that HDF5 never meets a full disk before
 * the space is reserved. *image is malloc'ed; NULL on failure. */
static int ckpt_empty_image(ckpt_writer *w, void **image, size_t *size)
{
    *image = NULL;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    ssize_t n = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 64 * 1024, 0) >= 0)
        f = H5Fcreate(w->tmp, H5F_ACC_TRUNC, w->fcpl, fapl); /* with the digest's user block */
    /* The flush writes the metadata into the image (H5Fget_file_image does
     * not); the image is then byte for byte what H5Fcreate + H5Fclose write. */
    if (f >= 0 && H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0 && (n = H5Fget_file_image(f, NULL, 0)) > 0 &&
        (*image = malloc((size_t)n)) != NULL)
        n = H5Fget_file_image(f, *image, (size_t)n);
    herr_t closed = f >= 0 ? H5Fclose(f) : -1;
    pmc_ckpt_h5_close_id(&fapl, H5Pclose);
    if (n <= 0 || !*image || closed < 0) {
        free(*image);
        *image = NULL;
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "make an empty HDF5 file in memory");
    }
    *size = (size_t)n;
    return PMC_OK;
}

/* Where the in-memory image goes in the file: the core driver's image of a
 * file with a user block may start at its superblock (the block left out);
 * the superblock records its base address (512), so it belongs there. */
static off_t image_offset(const void *image, size_t size)
{
    return size >= sizeof pmc_ckpt_hdf5_signature &&
                   memcmp(image, pmc_ckpt_hdf5_signature, sizeof pmc_ckpt_hdf5_signature) == 0
               ? DIGEST_BLOCK : 0;
}

/* Rank 0, before any data is written: the temporary file, created (or a
 * leftover of a crashed run truncated), its whole estimated size
 * (ckpt_estimate) reserved with posix_fallocate, then an empty HDF5 file
 * written at its start. A disk that is full, or that another process
 * fills while we write, then fails here, in plain system calls, and not
 * halfway through the datasets or inside parallel HDF5's collective close,
 * where an ENOSPC on one rank can leave the ranks in different collective
 * calls (a hang: docs/reliability.md, "A full disk"). The reservation is
 * made on the file itself (blocks, not a count), so no other writer can
 * take the space afterwards; the writing ranks then open the file without
 * truncating it, and HDF5 cuts it to its real end when it closes it. */
static int ckpt_reserve_file(ckpt_writer *w)
{
    void *image;
    size_t size = 0;
    int st = ckpt_empty_image(w, &image, &size);
    if (st != PMC_OK)
        return st;
    w->tmp_made = 1;
    int fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        st = pmc_err_set(&w->e, PMC_EIO, "%s: create temporary file: %s", w->path, strerror(errno));
        free(image);
        return st;
    }
    int rc = ckpt_test_fault(w, "reserve") ? errno : posix_fallocate(fd, 0, (off_t)w->need);
    if (rc != 0)
        st = pmc_err_set(&w->e, PMC_EIO, "%s: reserve %llu bytes for the temporary file in %s: %s",
                         w->path, (unsigned long long)w->need, w->dir, strerror(rc));
    else if ((errno = 0, pwrite(fd, image, size, image_offset(image, size))) != (ssize_t)size)
        st = pmc_err_set(&w->e, PMC_EIO, "%s: write temporary file: %s", w->path,
                         errno ? strerror(errno) : "short write");
    if (close(fd) != 0 && st == PMC_OK)
        st = pmc_err_set(&w->e, PMC_EIO, "%s: close temporary file: %s", w->path, strerror(errno));
    free(image);
    return st;
}

/* Every writing rank: the reserved file, opened without truncating it. */
static int ckpt_open_file(ckpt_writer *w)
{
    w->file = H5Fopen(w->tmp, H5F_ACC_RDWR, w->fapl);
    if (w->file < 0)
        return pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "open temporary file");
    return PMC_OK;
}

/* Collective: creates, writes and closes one dataset, agreeing on the status
 * after each collective call so a rank never waits in H5Dwrite alone. */
static int ckpt_write_dset(ckpt_writer *w, ckpt_dset *ds)
{
    /* HDF5 wants a buffer even when nothing is selected. */
    static const uint64_t no_rows;
    hid_t dset = H5Dcreate2(w->file, ds->name, ds->ftype, ds->fspace, H5P_DEFAULT, w->dcpl,
                            H5P_DEFAULT);
    int st = dset < 0 ? pmc_ckpt_h5_fail_item(&w->e, PMC_EIO, w->path, "create dataset", ds->name)
                      : PMC_OK;
    if ((st = ckpt_agree(w, st)) != PMC_OK) {
        pmc_ckpt_h5_close_id(&dset, H5Dclose);
        return st;
    }
    /* An empty dataset (k = 0) is only created: HDF5 rejects a collective
     * write to it. dims are the same on every rank, so all skip together. */
    herr_t wr = ds->dims[0] == 0 ? 0
                                 : H5Dwrite(dset, ds->mtype, ds->mspace, ds->fspace, w->dxpl,
                                            ds->buf ? ds->buf : &no_rows);
    herr_t cl = H5Dclose(dset);
    st = wr < 0 || cl < 0
             ? pmc_ckpt_h5_fail_item(&w->e, PMC_EIO, w->path, "write dataset", ds->name)
             : PMC_OK;
    if (st == PMC_OK && ckpt_test_fault(w, "write")) /* test-only fault injection */
        st = pmc_err_set(&w->e, PMC_EIO, "%s: write dataset %s: %s", w->path, ds->name,
                         strerror(errno));
    return ckpt_agree(w, st);
}

/* One root attribute to write: file type, memory type, dataspace, value. */
typedef struct {
    const char *name;
    hid_t ftype, mtype, space;
    const void *buf;
} ckpt_attr_spec;

/* Root attributes. In parallel HDF5 these are collective metadata
 * operations: every rank passes the same values. */
static int ckpt_write_attrs(ckpt_writer *w, const ckpt_attr_spec *attrs, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const ckpt_attr_spec *s = &attrs[i];
        hid_t a = H5Acreate2(w->file, s->name, s->ftype, s->space, H5P_DEFAULT, H5P_DEFAULT);
        herr_t wr = a < 0 ? -1 : H5Awrite(a, s->mtype, s->buf);
        herr_t cl = a < 0 ? -1 : H5Aclose(a);
        if (a < 0 || wr < 0 || cl < 0)
            return pmc_ckpt_h5_fail_item(&w->e, PMC_EIO, w->path, "write attribute", s->name);
    }
    return PMC_OK;
}

static int ckpt_write_gen_attrs(ckpt_writer *w, const pmc_gen_meta *m, const pmc_population_view *p)
{
    const uint32_t generation = m->generation, n_params = (uint32_t)p->d;
    const uint32_t version = PMC_CHECKPOINT_FORMAT_VERSION, stream = PMC_STREAM_VERSION;
    const uint64_t n_particles = p->n, checksum = pmc_ckpt_gen_checksum(m, p);
    const char *config = p->config_text ? p->config_text : "";
    const char *creator = "pmcabc " PMC_VERSION;
    const char *distance = p->distance ? p->distance : "euclidean";
    const char *model = p->model ? p->model : "";
    hid_t u32 = H5T_STD_U32LE, u64 = H5T_STD_U64LE, f64 = H5T_IEEE_F64LE;
    hid_t nu32 = H5T_NATIVE_UINT32, nu64 = H5T_NATIVE_UINT64, dbl = H5T_NATIVE_DOUBLE;
    const ckpt_attr_spec attrs[] = {
        {"format_version", u32, nu32, w->scalar, &version},
        {"stream_version", u32, nu32, w->scalar, &stream},
        {"generation", u32, nu32, w->scalar, &generation},
        {"epsilon", f64, dbl, w->scalar, &m->epsilon},
        {"n_simulations", u64, nu64, w->scalar, &m->n_simulations},
        {"gen_simulations", u64, nu64, w->scalar, &m->gen_simulations},
        {"ess", f64, dbl, w->scalar, &m->ess},
        {"acceptance_rate", f64, dbl, w->scalar, &m->acceptance_rate},
        {"seed", u64, nu64, w->scalar, &m->seed},
        {"wall_time", f64, dbl, w->scalar, &m->wall_time},
        {"n_particles", u64, nu64, w->scalar, &n_particles},
        {"n_params", u32, nu32, w->scalar, &n_params},
        {"data_checksum", u64, nu64, w->scalar, &m->data_checksum},
        {"model_digest", u64, nu64, w->scalar, &m->model_digest},
        {"checksum", u64, nu64, w->scalar, &checksum},
        {"parameter_names", w->str_type, w->str_type, w->names_space, p->param_names},
        {"config", w->str_type, w->str_type, w->scalar, &config},
        {"creator", w->str_type, w->str_type, w->scalar, &creator},
        {"distance", w->str_type, w->str_type, w->scalar, &distance},
        {"model", w->str_type, w->str_type, w->scalar, &model},
    };
    int rc = ckpt_write_attrs(w, attrs, sizeof attrs / sizeof attrs[0]);
    if (rc != PMC_OK || p->n_models == 0)
        return rc;
    /* Model choice: the labels and the posterior model probabilities. */
    hsize_t k = p->n_models;
    hid_t space = H5Screate_simple(1, &k, NULL);
    if (space < 0)
        return pmc_ckpt_h5_fail_item(&w->e, PMC_EIO, w->path, "create dataspace", "model_names");
    const ckpt_attr_spec models[] = {
        {"model_names", w->str_type, w->str_type, space, p->model_names},
        {"model_probabilities", f64, dbl, space, p->model_probabilities},
    };
    rc = ckpt_write_attrs(w, models, 2);
    H5Sclose(space);
    return rc;
}

static int ckpt_write_partial_attrs(ckpt_writer *w, const pmc_partial_view *p)
{
    const uint32_t generation = p->generation, n_params = (uint32_t)p->d;
    const uint32_t version = PMC_CHECKPOINT_FORMAT_VERSION, stream = PMC_STREAM_VERSION;
    const uint64_t n_particles = p->n, n_done = p->k, checksum = pmc_ckpt_partial_checksum(p);
    const char *config = p->config_text ? p->config_text : "";
    const char *creator = "pmcabc " PMC_VERSION, *kind = "partial";
    hid_t u32 = H5T_STD_U32LE, u64 = H5T_STD_U64LE;
    hid_t nu32 = H5T_NATIVE_UINT32, nu64 = H5T_NATIVE_UINT64;
    const ckpt_attr_spec attrs[] = {
        {"format_version", u32, nu32, w->scalar, &version},
        {"stream_version", u32, nu32, w->scalar, &stream},
        {"kind", w->str_type, w->str_type, w->scalar, &kind},
        {"generation", u32, nu32, w->scalar, &generation},
        {"epsilon", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, w->scalar, &p->epsilon},
        {"seed", u64, nu64, w->scalar, &p->seed},
        {"n_particles", u64, nu64, w->scalar, &n_particles},
        {"n_params", u32, nu32, w->scalar, &n_params},
        {"n_done", u64, nu64, w->scalar, &n_done},
        {"model_digest", u64, nu64, w->scalar, &p->model_digest},
        {"checksum", u64, nu64, w->scalar, &checksum},
        {"config", w->str_type, w->str_type, w->scalar, &config},
        {"creator", w->str_type, w->str_type, w->scalar, &creator},
    };
    return ckpt_write_attrs(w, attrs, sizeof attrs / sizeof attrs[0]);
}

/* Rank 0 only, after the collective close: make the bytes durable, then the
 * name. Each step is checked on its own so the message says which failed. */
/* Test-only: PMC_TEST_COMMIT_DELAY_MS widens the window between fsync and
 * rename, so that kill -9 tests can hit a commit in progress. */
static void test_commit_delay(void)
{
    const char *v = getenv("PMC_TEST_COMMIT_DELAY_MS");
    long ms = v ? strtol(v, NULL, 10) : 0;
    if (ms > 0 && ms < 10000) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static int ckpt_commit(ckpt_writer *w)
{
    int fd = open(w->tmp, O_RDWR);
    if (fd < 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: open temporary file: %s", w->path, strerror(errno));
    /* The digest goes in before the fsync, so the file is complete, digest
     * included, before its name appears: a crash never leaves a gen file
     * without one. */
    struct stat sb;
    int st = fstat(fd, &sb) != 0
                 ? pmc_err_set(&w->e, PMC_EIO, "%s: stat: %s", w->path, strerror(errno))
                 : pmc_ckpt_digest_seal(fd, w->path, (uint64_t)sb.st_size, &w->e);
    if (st != PMC_OK) {
        close(fd);
        return st;
    }
    if (ckpt_test_fault(w, "fsync") || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return pmc_err_set(&w->e, PMC_EIO, "%s: fsync: %s", w->path, strerror(e));
    }
    if (close(fd) != 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: close: %s", w->path, strerror(errno));
    test_commit_delay();
    if (ckpt_test_fault(w, "rename") || rename(w->tmp, w->path) != 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: rename: %s", w->path, strerror(errno));
    /* The rename is durable only once the directory entry is on disk. */
    int rc = ckpt_test_fault(w, "fsync_dir") ? errno : pmc_rundir_fsync(w->dir);
    if (rc != 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: fsync directory: %s", w->path, strerror(rc));
    return PMC_OK;
}

/* Releases every handle; the file only if it is still open (failure path). */
static void ckpt_release(ckpt_writer *w)
{
    for (int i = 0; i < CKPT_NDATASETS; i++) {
        pmc_ckpt_h5_close_id(&w->ds[i].fspace, H5Sclose);
        pmc_ckpt_h5_close_id(&w->ds[i].mspace, H5Sclose);
    }
    pmc_ckpt_h5_close_id(&w->scalar, H5Sclose);
    pmc_ckpt_h5_close_id(&w->names_space, H5Sclose);
    pmc_ckpt_h5_close_id(&w->str_type, H5Tclose);
    pmc_ckpt_h5_close_id(&w->file, H5Fclose);
    pmc_ckpt_h5_close_id(&w->fcpl, H5Pclose);
    pmc_ckpt_h5_close_id(&w->fapl, H5Pclose);
    pmc_ckpt_h5_close_id(&w->dcpl, H5Pclose);
    pmc_ckpt_h5_close_id(&w->dxpl, H5Pclose);
}

/* First collective half, shared by both file kinds: agree on the local
 * setup status st, open the temporary file and write the datasets. */
static int ckpt_begin(ckpt_writer *w, int st)
{
    if ((st = ckpt_agree(w, st)) != PMC_OK)
        return st;
    if (!w->serial && (st = ckpt_agree(w, ckpt_set_mpio(w))) != PMC_OK)
        return st;
    if ((st = ckpt_agree(w, w->rank == 0 ? ckpt_reserve_file(w) : PMC_OK)) != PMC_OK)
        return st;
    if ((st = ckpt_agree(w, ckpt_open_file(w))) != PMC_OK)
        return st;
    for (int i = 0; i < CKPT_NDATASETS; i++)
        if (w->ds[i].name && (st = ckpt_write_dset(w, &w->ds[i])) != PMC_OK)
            return st;
    return PMC_OK;
}

/* Second half: if all went well (st, agreed), close and commit; always
 * release the handles. On failure the temp file is removed and err gets the
 * agreed message. After a successful rename the temp name is gone. */
static int ckpt_end(ckpt_writer *w, int st, pmc_err *err)
{
    if (st == PMC_OK) {
        herr_t closed = H5Fclose(w->file);
        w->file = -1;
        st = closed < 0 ? pmc_ckpt_h5_fail(&w->e, PMC_EIO, w->path, "close temporary file")
                        : PMC_OK;
        if (st == PMC_OK && ckpt_test_fault(w, "close")) /* test-only fault injection */
            st = pmc_err_set(&w->e, PMC_EIO, "%s: close temporary file: %s", w->path,
                             strerror(errno));
        st = ckpt_agree(w, st);
    }
    if (st == PMC_OK)
        st = ckpt_agree(w, w->rank == 0 ? ckpt_commit(w) : PMC_OK);
    ckpt_release(w);
    if (st != PMC_OK && w->rank == 0 && w->tmp_made)
        unlink(w->tmp);
    if (st != PMC_OK)
        pmc_err_set(err, st, "%s", w->e.msg);
    return st;
}

/* A conservative size of the file, reserved before it is written
 * (ckpt_reserve_file): the raw data of every dataset described in w->ds
 * (8 bytes a value, contiguous, so exactly that many bytes), plus HDF5's own
 * structures. Those are the superblock, the root group (symbol table B-tree
 * and local heap), one object header per dataset and the root attributes:
 * 9-11 KiB in all for our files, n from 150 to 200000 (measured,
 * docs/reliability.md, "A full disk"), covered 6 times by
 * CKPT_METADATA_MARGIN; plus the variable-length strings (config, names,
 * creator, distance), which live in a global heap collection (16 bytes of
 * header per string, a 4 KiB collection at least, inside the margin):
 * counted twice, so a long config text cannot exhaust the margin. */
#define CKPT_METADATA_MARGIN (64u * 1024u)

static uint64_t ckpt_string_bytes(const char *s)
{
    return s ? 16 + (uint64_t)strlen(s) : 0;
}

static void ckpt_estimate(ckpt_writer *w, uint64_t string_bytes)
{
    uint64_t raw = 0;
    for (int i = 0; i < CKPT_NDATASETS; i++) {
        const ckpt_dset *ds = &w->ds[i];
        if (ds->name)
            raw += 8 * (uint64_t)ds->dims[0] * (ds->ndims == 2 ? (uint64_t)ds->dims[1] : 1);
    }
    w->need = raw + CKPT_METADATA_MARGIN + 2 * string_bytes;
}

/* Free-space check before anything is written (rank 0): a disk already too
 * full gets a message with the figures, "about N bytes needed, M available",
 * and no temporary file is created. The reservation that follows is what
 * makes the space ours; this check only explains the common case better. */
static int ckpt_check_space(ckpt_writer *w)
{
    if (w->rank != 0)
        return PMC_OK;
    struct statvfs vfs;
    if (statvfs(w->dir, &vfs) != 0)
        return PMC_OK; /* cannot tell: the reservation will report */
    uint64_t avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
    if (avail < w->need)
        return pmc_err_set(&w->e, PMC_EIO, "%s: %s: about %llu bytes needed, %llu available in %s",
                           w->path, strerror(ENOSPC), (unsigned long long)w->need,
                           (unsigned long long)avail, w->dir);
    return PMC_OK;
}

/* Every rank of *comm returns the same status and, on failure, the same
 * message "PATH: STEP: cause"; the temp file is removed on failure and
 * gen-NNNN.h5 is either the complete old or new file. */
static int write_generation(MPI_Comm *comm, int serial, const char *dir,
                            const pmc_gen_meta *meta, const pmc_population_view *pop, pmc_err *err)
{
    ckpt_writer w;
    ckpt_writer_init(&w, comm, dir);
    w.serial = serial;
    int st = ckpt_rank(&w);
    if (st != PMC_OK)
        return pmc_err_set(err, st, "%s", w.e.msg); /* nothing to agree with */
    st = ckpt_paths(&w, "gen", meta ? meta->generation : 0);
    if (st == PMC_OK)
        st = ckpt_check_args(&w, meta, pop, &w.e);
    if (st == PMC_OK) {
        ckpt_describe_gen(&w, meta, pop);
        st = ckpt_prepare(&w, pop->d);
    }
    if (st == PMC_OK) {
        uint64_t strings = ckpt_string_bytes(pop->config_text) + ckpt_string_bytes(pop->distance) +
                           ckpt_string_bytes("pmcabc " PMC_VERSION);
        for (size_t j = 0; j < pop->d; j++)
            strings += ckpt_string_bytes(pop->param_names[j]);
        ckpt_estimate(&w, strings);
        st = ckpt_check_space(&w);
    }
    st = ckpt_begin(&w, st);
    if (st == PMC_OK)
        st = ckpt_agree(&w, ckpt_write_gen_attrs(&w, meta, pop));
    return ckpt_end(&w, st, err);
}

/* As write_generation, with the slot checks of pmc_ckpt_check_slots (PMC_EINVAL on
 * every rank). */
static int write_partial(MPI_Comm *comm, int serial, const char *dir, const pmc_partial_view *p,
                         pmc_err *err)
{
    ckpt_writer w;
    ckpt_writer_init(&w, comm, dir);
    w.serial = serial;
    int st = ckpt_rank(&w);
    if (st != PMC_OK)
        return pmc_err_set(err, st, "%s", w.e.msg);
    st = ckpt_paths(&w, "partial", p ? p->generation : 0);
    if (st == PMC_OK)
        st = ckpt_check_partial(&w, p, &w.e);
    if (st == PMC_OK) {
        ckpt_describe_partial(&w, p);
        st = ckpt_prepare(&w, p->d);
    }
    if (st == PMC_OK) {
        ckpt_estimate(&w, ckpt_string_bytes(p->config_text) + ckpt_string_bytes("partial") +
                              ckpt_string_bytes("pmcabc " PMC_VERSION));
        st = ckpt_check_space(&w);
    }
    st = ckpt_begin(&w, st);
    if (st == PMC_OK)
        st = ckpt_agree(&w, ckpt_write_partial_attrs(&w, p));
    return ckpt_end(&w, st, err);
}

/* Files smaller than this are written by rank 0 alone: every rank holds
 * the whole population anyway, and a collective parallel-HDF5 write costs a
 * few collective metadata operations per dataset and attribute, which grew
 * from 0.006 s at 2 ranks to 10.6 s at 32 ranks for a 64-particle file here
 * (docs/performance.md, "Generation files"). Above it, the ranks share the
 * bandwidth of a parallel file system. PMCABC_COLLECTIVE_IO_MIN_MB overrides
 * it (0: always collective); every rank must see the same value, as they do
 * when the launcher passes on the environment. */
#define CKPT_COLLECTIVE_MIN_MB 256.0

static int ckpt_serial(uint64_t bytes)
{
    double mb = CKPT_COLLECTIVE_MIN_MB;
    const char *v = getenv("PMCABC_COLLECTIVE_IO_MIN_MB");
    if (v && *v) {
        char *end;
        double x = strtod(v, &end);
        if (*end == '\0' && x >= 0.0 && x <= 1e9)
            mb = x;
    }
    return (double)bytes < mb * 1048576.0;
}

/* After a write by rank 0 alone: every rank returns rank 0's status and
 * message. */
static int ckpt_share_status(MPI_Comm *all, int rank, int st, pmc_err *err)
{
    int first = -1;
    pmc_err e;
    pmc_err_clear(&e);
    if (rank == 0 && st != PMC_OK && err)
        e = *err;
    e.code = st;
    if (pmc_schedule_comm_agree(all, st == PMC_OK, &first) != PMC_OK)
        return pmc_err_set(err, PMC_EIO, "checkpoint: MPI_Iallreduce failed");
    if (first < 0)
        return PMC_OK;
    if (pmc_schedule_comm_bcast(all, &e, sizeof e, first) != PMC_OK)
        return pmc_err_set(err, PMC_EIO, "checkpoint: MPI_Ibcast failed");
    if (err)
        *err = e;
    return e.code;
}

/* One kind of file written on a communicator, alone (serial) or
 * collectively; args are the kind's own arguments. */
typedef int (*ckpt_write_fn)(MPI_Comm *comm, int serial, const void *args, pmc_err *err);

/* Writes a file of `bytes` data bytes: collectively with each rank's rows
 * (mine), or, below the threshold, by rank 0 alone with every row (whole). */
static int ckpt_write_file(void *comm, uint64_t bytes, ckpt_write_fn fn, const void *mine,
                           const void *whole, pmc_err *err)
{
    MPI_Comm *all = comm;
    int rank = 0;
    if (!ckpt_serial(bytes) || MPI_Comm_rank(*all, &rank) != MPI_SUCCESS)
        return fn(all, 0, mine, err);
    MPI_Comm self = MPI_COMM_SELF;
    int st = rank == 0 ? fn(&self, 1, whole, err) : PMC_OK;
    return ckpt_share_status(all, rank, st, err);
}

typedef struct {
    const char *dir;
    const pmc_gen_meta *meta;
    const pmc_population_view *pop;
} gen_args;

static int gen_write(MPI_Comm *comm, int serial, const void *args, pmc_err *err)
{
    const gen_args *a = args;
    return write_generation(comm, serial, a->dir, a->meta, a->pop, err);
}

typedef struct {
    const char *dir;
    const pmc_partial_view *p;
} partial_args;

static int partial_write(MPI_Comm *comm, int serial, const void *args, pmc_err *err)
{
    const partial_args *a = args;
    return write_partial(comm, serial, a->dir, a->p, err);
}

/* Contract: see pmc_checkpoint.h. */
int pmc_checkpoint_write_generation(void *comm, const char *dir, const pmc_gen_meta *meta,
                                    const pmc_population_view *pop, pmc_err *err)
{
    pmc_population_view whole = { 0 };
    if (pop) {
        whole = *pop;
        whole.lo = 0;
        whole.hi = pop->n;
    }
    gen_args mine = { dir, meta, pop }, all = { dir, meta, pop ? &whole : NULL };
    uint64_t stat_cols = pop ? pop->n_stats * (pop->proposal_stats ? 2u : 1u) : 0;
    uint64_t bytes = pop && meta ? 8 * ((uint64_t)pop->n * (pop->d + 2 + stat_cols) +
                                        meta->generation + 1 + pop->n_stats)
                                 : 0;
    return ckpt_write_file(comm, bytes, gen_write, &mine, &all, err);
}

/* Contract: see pmc_checkpoint.h. */
int pmc_checkpoint_write_partial(void *comm, const char *dir, const pmc_partial_view *p,
                                 pmc_err *err)
{
    pmc_partial_view whole = { 0 };
    if (p) {
        whole = *p;
        whole.lo = 0;
        whole.hi = p->k;
    }
    partial_args mine = { dir, p }, all = { dir, p ? &whole : NULL };
    uint64_t stat_cols = p ? p->n_stats * (p->proposal_stats ? 2u : 1u) : 0;
    uint64_t bytes = p ? 8 * (uint64_t)p->k * (p->d + 3 + stat_cols) : 0;
    return ckpt_write_file(comm, bytes, partial_write, &mine, &all, err);
}


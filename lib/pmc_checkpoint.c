/* Generation files gen-NNNN.h5: the only module that calls HDF5.
 *
 * Writing is collective over parallel HDF5 (MPI-IO): every rank writes its
 * own row block with collective transfers, all ranks set the same root
 * attributes, then rank 0 commits the file (fsync, rename, fsync dir).
 * Reading is serial (default sec2 driver) and validates the whole layout
 * before it allocates anything. Layout: docs/checkpoint-format.md. */
#include "pmc_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#ifndef PMC_VERSION
#define PMC_VERSION "unknown"
#endif

/* Bounds that keep every size product (n * d * 8 bytes) far from overflow
 * and reject files whose attributes are nonsense before we allocate. */
#define CKPT_MAX_PARTICLES ((uint64_t)1 << 40)
#define CKPT_MAX_PARAMS ((uint64_t)1 << 20)
#define CKPT_MAX_GENERATION ((uint64_t)1 << 24)

#define CKPT_NDATASETS 4

/* ------------------------------------------------------------------------
 * Shared helpers
 * ------------------------------------------------------------------------ */

/* Walk callback: keeps the innermost HDF5 error description, which is the
 * one naming the actual cause (errno text, "truncated file", ...). */
static herr_t h5_first_desc(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc) {
        snprintf(buf, 256, "%s", e->desc);
        /* MPI-IO descriptions carry a multi-line stack; keep one line. */
        for (char *c = buf; *c; c++)
            if (*c == '\n')
                *c = ' ';
    }
    return 0;
}

/* Text of the current HDF5 error stack (innermost cause) for our own
 * messages; HDF5's automatic stack printing is switched off. */
static const char *h5_detail(char buf[256])
{
    snprintf(buf, 256, "HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_first_desc, buf);
    H5Eclear2(H5E_DEFAULT);
    return buf;
}

/* Fills err with "PATH: STEP: <HDF5 cause>" and returns code. */
static int h5_fail(pmc_err *err, int code, const char *path, const char *step)
{
    char detail[256];
    return pmc_err_set(err, code, "%s: %s: %s", path, step, h5_detail(detail));
}

/* Same, for a step on a named item: "PATH: write dataset /theta: cause". */
static int h5_fail_item(pmc_err *err, int code, const char *path, const char *step,
                        const char *item)
{
    char what[128];
    snprintf(what, sizeof what, "%s %s", step, item);
    return h5_fail(err, code, path, what);
}

static void h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void h5_close_id(hid_t *id, herr_t (*close_fn)(hid_t))
{
    if (*id >= 0)
        close_fn(*id);
    *id = -1;
}

/* Variable-length UTF-8 string type: h5py reads such attributes as str, and
 * the text lives in the global heap, so a long config does not hit the 64 KiB
 * object-header limit of compact attributes. */
static hid_t h5_vlen_utf8(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* ------------------------------------------------------------------------
 * Directory preparation
 * ------------------------------------------------------------------------ */

/* Creates one directory level; an existing directory is fine. */
static int mkdir_one(const char *dir, const char *level, pmc_err *err)
{
    if (mkdir(level, 0777) == 0)
        return PMC_OK;
    int e = errno;
    struct stat st;
    if (e == EEXIST && stat(level, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return PMC_OK;
        return pmc_err_set(err, PMC_EIO, "%s: %s exists but is not a directory", dir, level);
    }
    return pmc_err_set(err, PMC_EIO, "%s: mkdir %s: %s", dir, level, strerror(e));
}

/* Contract: creates dir and missing parents (mode 0777 & umask); fails with
 * PMC_EIO if a level exists as a non-directory, cannot be created, or dir is
 * not writable; PMC_EINVAL for an empty or over-long path. */
int pmc_checkpoint_prepare_dir(const char *dir, pmc_err *err)
{
    if (!dir || !*dir)
        return pmc_err_set(err, PMC_EINVAL, "checkpoint directory: empty path");
    char level[PATH_MAX];
    if (snprintf(level, sizeof level, "%s", dir) >= (int)sizeof level)
        return pmc_err_set(err, PMC_EINVAL, "%s: path too long", dir);
    /* Every '/' after a non-slash character ends a level: "a//b/" gives a, a//b. */
    for (char *p = level + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        int st = mkdir_one(dir, level, err);
        *p = '/';
        if (st != PMC_OK)
            return st;
    }
    int st = mkdir_one(dir, level, err);
    if (st != PMC_OK)
        return st;
    if (access(dir, W_OK | X_OK) != 0)
        return pmc_err_set(err, PMC_EIO, "%s: directory not writable: %s", dir, strerror(errno));
    return PMC_OK;
}

/* ------------------------------------------------------------------------
 * Collective writer
 * ------------------------------------------------------------------------ */

/* One float64 dataset and this rank's part of it. */
typedef struct {
    const char *name;
    int ndims;
    hsize_t dims[2];
    hsize_t start[2], count[2]; /* count[0] == 0: this rank writes nothing */
    const double *buf;          /* first element of this rank's rows */
    hid_t fspace, mspace;
} ckpt_dset;

typedef struct {
    MPI_Comm comm;
    int rank;
    const char *dir;
    char path[PATH_MAX]; /* final name: messages use it */
    char tmp[PATH_MAX];
    hid_t fapl, dcpl, dxpl, file, scalar, names_space, str_type;
    ckpt_dset ds[CKPT_NDATASETS];
    int tmp_made; /* H5Fcreate was tried: the temp file may exist */
    pmc_err e;    /* local error; the agreed one after ckpt_agree */
} ckpt_writer;

/* The only MPI calls besides HDF5's own: makes every rank return the same
 * status. If any rank failed, all get the code and message of the lowest
 * failing rank, so they take the same cleanup path (H5Fclose is collective
 * and must be called by all or none). */
static int ckpt_agree(ckpt_writer *w, int status)
{
    struct {
        int ok, rank;
    } in = {status == PMC_OK, w->rank}, out;
    if (MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MINLOC, w->comm) != MPI_SUCCESS)
        return pmc_err_set(&w->e, PMC_EIO, "%s: MPI_Allreduce failed", w->path);
    if (out.ok)
        return PMC_OK;
    if (MPI_Bcast(&w->e, (int)sizeof w->e, MPI_BYTE, out.rank, w->comm) != MPI_SUCCESS)
        return pmc_err_set(&w->e, PMC_EIO, "%s: MPI_Bcast failed", w->path);
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
    for (size_t j = 0; j < p->d; j++)
        if (!p->param_names[j])
            return pmc_err_set(e, PMC_EINVAL, "%s: parameter name %zu is NULL", w->path, j);
    return PMC_OK;
}

static int ckpt_paths(ckpt_writer *w, unsigned generation)
{
    int a = snprintf(w->path, sizeof w->path, "%s/gen-%04u.h5", w->dir, generation);
    /* Leading dot and .tmp suffix: never matches gen-[0-9][0-9][0-9][0-9].h5,
     * so a scan for generation files cannot pick up a half-written one. */
    int b = snprintf(w->tmp, sizeof w->tmp, "%s/.gen-%04u.h5.tmp", w->dir, generation);
    if (a < 0 || b < 0 || a >= (int)sizeof w->path || b >= (int)sizeof w->tmp)
        return pmc_err_set(&w->e, PMC_EINVAL, "%s: checkpoint directory path too long", w->dir);
    return PMC_OK;
}

static void ckpt_describe(ckpt_writer *w, const pmc_gen_meta *m, const pmc_population_view *p)
{
    hsize_t rows = p->hi - p->lo;
    ckpt_dset init[CKPT_NDATASETS] = {
        {"/theta", 2, {p->n, p->d}, {p->lo, 0}, {rows, p->d}, p->theta + p->lo * p->d, -1, -1},
        {"/weights", 1, {p->n, 0}, {p->lo, 0}, {rows, 0}, p->weights + p->lo, -1, -1},
        {"/distances", 1, {p->n, 0}, {p->lo, 0}, {rows, 0}, p->distances + p->lo, -1, -1},
        /* The history is tiny and not row-blocked: rank 0 writes all of it. */
        {"/epsilons", 1, {(hsize_t)m->generation + 1, 0}, {0, 0},
         {w->rank == 0 ? (hsize_t)m->generation + 1 : 0, 0}, p->epsilons, -1, -1},
    };
    memcpy(w->ds, init, sizeof init);
}

/* File and memory dataspaces of one dataset; both local operations. A rank
 * without rows selects none but still joins the collective H5Dwrite. */
static int ckpt_dset_spaces(ckpt_writer *w, ckpt_dset *ds)
{
    hsize_t one[2] = {1, ds->dims[1]};
    ds->fspace = H5Screate_simple(ds->ndims, ds->dims, NULL);
    ds->mspace = H5Screate_simple(ds->ndims, ds->count[0] ? ds->count : one, NULL);
    if (ds->fspace < 0 || ds->mspace < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "create dataspace");
    herr_t st;
    if (ds->count[0])
        st = H5Sselect_hyperslab(ds->fspace, H5S_SELECT_SET, ds->start, NULL, ds->count, NULL);
    else if ((st = H5Sselect_none(ds->fspace)) >= 0)
        st = H5Sselect_none(ds->mspace);
    if (st < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "select rows");
    return PMC_OK;
}

/* Property lists, types and dataspaces: everything local, made before the
 * first collective call so that no rank can fail alone in the middle of one. */
static int ckpt_prepare(ckpt_writer *w, size_t d)
{
    w->fapl = H5Pcreate(H5P_FILE_ACCESS);
    w->dcpl = H5Pcreate(H5P_DATASET_CREATE);
    w->dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (w->fapl < 0 || w->dcpl < 0 || w->dxpl < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "create property lists");
    /* Contiguous (the default without chunking) and no fill pass: every
     * element is written once by exactly one rank. */
    if (H5Pset_layout(w->dcpl, H5D_CONTIGUOUS) < 0 ||
        H5Pset_fill_time(w->dcpl, H5D_FILL_TIME_NEVER) < 0 ||
        H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "set dataset properties");
    hsize_t nd = d;
    w->scalar = H5Screate(H5S_SCALAR);
    w->names_space = H5Screate_simple(1, &nd, NULL);
    w->str_type = h5_vlen_utf8();
    if (w->scalar < 0 || w->names_space < 0 || w->str_type < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "create attribute types");
    for (int i = 0; i < CKPT_NDATASETS; i++) {
        int st = ckpt_dset_spaces(w, &w->ds[i]);
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
        return h5_fail(&w->e, PMC_EIO, w->path, "set MPI-IO file access");
    return PMC_OK;
}

static int ckpt_create_file(ckpt_writer *w)
{
    w->tmp_made = 1;
    /* TRUNC: a temp file left by a crashed run is simply overwritten. */
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, w->fapl);
    if (w->file < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "create temporary file");
    return PMC_OK;
}

/* Collective: creates, writes and closes one dataset, agreeing on the status
 * after each collective call so a rank never waits in H5Dwrite alone. */
static int ckpt_write_dset(ckpt_writer *w, ckpt_dset *ds)
{
    hid_t dset = H5Dcreate2(w->file, ds->name, H5T_IEEE_F64LE, ds->fspace, H5P_DEFAULT, w->dcpl,
                            H5P_DEFAULT);
    int st = dset < 0 ? h5_fail_item(&w->e, PMC_EIO, w->path, "create dataset", ds->name) : PMC_OK;
    if ((st = ckpt_agree(w, st)) != PMC_OK) {
        h5_close_id(&dset, H5Dclose);
        return st;
    }
    herr_t wr = H5Dwrite(dset, H5T_NATIVE_DOUBLE, ds->mspace, ds->fspace, w->dxpl, ds->buf);
    herr_t cl = H5Dclose(dset);
    st = wr < 0 || cl < 0 ? h5_fail_item(&w->e, PMC_EIO, w->path, "write dataset", ds->name) : PMC_OK;
    return ckpt_agree(w, st);
}

/* One root attribute. In parallel HDF5 this is a collective metadata
 * operation: every rank passes the same value. */
static int ckpt_attr(ckpt_writer *w, const char *name, hid_t ftype, hid_t mtype, hid_t space,
                     const void *buf)
{
    hid_t a = H5Acreate2(w->file, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t wr = a < 0 ? -1 : H5Awrite(a, mtype, buf);
    herr_t cl = a < 0 ? -1 : H5Aclose(a);
    if (a < 0 || wr < 0 || cl < 0)
        return h5_fail_item(&w->e, PMC_EIO, w->path, "write attribute", name);
    return PMC_OK;
}

static int ckpt_write_attrs(ckpt_writer *w, const pmc_gen_meta *m, const pmc_population_view *p)
{
    const uint32_t generation = m->generation, n_params = (uint32_t)p->d;
    const uint32_t version = PMC_CHECKPOINT_FORMAT_VERSION;
    const uint64_t n_particles = p->n;
    const char *config = p->config_text ? p->config_text : "";
    const char *creator = "pmcabc " PMC_VERSION;
    const struct {
        const char *name;
        hid_t ftype, mtype, space;
        const void *buf;
    } attrs[] = {
        {"format_version", H5T_STD_U32LE, H5T_NATIVE_UINT32, w->scalar, &version},
        {"generation", H5T_STD_U32LE, H5T_NATIVE_UINT32, w->scalar, &generation},
        {"epsilon", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, w->scalar, &m->epsilon},
        {"n_simulations", H5T_STD_U64LE, H5T_NATIVE_UINT64, w->scalar, &m->n_simulations},
        {"gen_simulations", H5T_STD_U64LE, H5T_NATIVE_UINT64, w->scalar, &m->gen_simulations},
        {"ess", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, w->scalar, &m->ess},
        {"acceptance_rate", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, w->scalar, &m->acceptance_rate},
        {"seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, w->scalar, &m->seed},
        {"wall_time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, w->scalar, &m->wall_time},
        {"n_particles", H5T_STD_U64LE, H5T_NATIVE_UINT64, w->scalar, &n_particles},
        {"n_params", H5T_STD_U32LE, H5T_NATIVE_UINT32, w->scalar, &n_params},
        {"parameter_names", w->str_type, w->str_type, w->names_space, p->param_names},
        {"config", w->str_type, w->str_type, w->scalar, &config},
        {"creator", w->str_type, w->str_type, w->scalar, &creator},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        int st = ckpt_attr(w, attrs[i].name, attrs[i].ftype, attrs[i].mtype, attrs[i].space,
                           attrs[i].buf);
        if (st != PMC_OK)
            return st;
    }
    return PMC_OK;
}

/* Rank 0 only, after the collective close: make the bytes durable, then the
 * name. Each step is checked on its own so the message says which failed. */
static int ckpt_commit(ckpt_writer *w)
{
    int fd = open(w->tmp, O_RDONLY);
    if (fd < 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: open temporary file: %s", w->path, strerror(errno));
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return pmc_err_set(&w->e, PMC_EIO, "%s: fsync: %s", w->path, strerror(e));
    }
    if (close(fd) != 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: close: %s", w->path, strerror(errno));
    if (rename(w->tmp, w->path) != 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: rename: %s", w->path, strerror(errno));
    /* The rename is durable only once the directory entry is on disk. */
    int dfd = open(w->dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: open directory: %s", w->path, strerror(errno));
    /* EINVAL: the file system cannot sync directories (some network file
     * systems); there is nothing more we could do, so it is not an error. */
    int rc = fsync(dfd) == 0 || errno == EINVAL ? 0 : errno;
    close(dfd);
    if (rc != 0)
        return pmc_err_set(&w->e, PMC_EIO, "%s: fsync directory: %s", w->path, strerror(rc));
    return PMC_OK;
}

/* Releases every handle; the file only if it is still open (failure path). */
static void ckpt_release(ckpt_writer *w)
{
    for (int i = 0; i < CKPT_NDATASETS; i++) {
        h5_close_id(&w->ds[i].fspace, H5Sclose);
        h5_close_id(&w->ds[i].mspace, H5Sclose);
    }
    h5_close_id(&w->scalar, H5Sclose);
    h5_close_id(&w->names_space, H5Sclose);
    h5_close_id(&w->str_type, H5Tclose);
    h5_close_id(&w->file, H5Fclose);
    h5_close_id(&w->fapl, H5Pclose);
    h5_close_id(&w->dcpl, H5Pclose);
    h5_close_id(&w->dxpl, H5Pclose);
}

/* Contract: see pmc_checkpoint.h. Every rank returns the same status and,
 * on failure, the same message "PATH: STEP: cause"; the temp file is removed
 * on failure and gen-NNNN.h5 is either the complete old or new file. */
int pmc_checkpoint_write_generation(void *comm, const char *dir, const pmc_gen_meta *meta,
                                    const pmc_population_view *pop, pmc_err *err)
{
    ckpt_writer w = {.comm = *(MPI_Comm *)comm, .dir = dir ? dir : "", .fapl = -1, .dcpl = -1,
                     .dxpl = -1, .file = -1, .scalar = -1, .names_space = -1, .str_type = -1};
    for (int i = 0; i < CKPT_NDATASETS; i++)
        w.ds[i].fspace = w.ds[i].mspace = -1;
    h5_quiet();
    int st = ckpt_rank(&w);
    if (st != PMC_OK)
        return pmc_err_set(err, st, "%s", w.e.msg); /* nothing to agree with */
    st = ckpt_paths(&w, meta ? meta->generation : 0);
    if (st == PMC_OK)
        st = ckpt_check_args(&w, meta, pop, &w.e);
    if (st == PMC_OK) {
        ckpt_describe(&w, meta, pop);
        st = ckpt_prepare(&w, pop->d);
    }
    if ((st = ckpt_agree(&w, st)) != PMC_OK)
        goto cleanup;
    if ((st = ckpt_agree(&w, ckpt_set_mpio(&w))) != PMC_OK)
        goto cleanup;
    if ((st = ckpt_agree(&w, ckpt_create_file(&w))) != PMC_OK)
        goto cleanup;
    for (int i = 0; i < CKPT_NDATASETS; i++)
        if ((st = ckpt_write_dset(&w, &w.ds[i])) != PMC_OK)
            goto cleanup;
    if ((st = ckpt_agree(&w, ckpt_write_attrs(&w, meta, pop))) != PMC_OK)
        goto cleanup;
    herr_t closed = H5Fclose(w.file);
    w.file = -1;
    st = closed < 0 ? h5_fail(&w.e, PMC_EIO, w.path, "close temporary file") : PMC_OK;
    if ((st = ckpt_agree(&w, st)) != PMC_OK)
        goto cleanup;
    st = ckpt_agree(&w, w.rank == 0 ? ckpt_commit(&w) : PMC_OK);
cleanup:
    ckpt_release(&w);
    /* After a successful rename the temp name is gone and unlink is a no-op. */
    if (st != PMC_OK && w.rank == 0 && w.tmp_made)
        unlink(w.tmp);
    if (st != PMC_OK)
        pmc_err_set(err, st, "%s", w.e.msg);
    return st;
}

/* ------------------------------------------------------------------------
 * Serial reader
 * ------------------------------------------------------------------------ */

/* Opens a root attribute after checking it exists, has the expected type
 * class and holds `count` elements in `ndims` dimensions (0 = scalar). */
static int attr_open(hid_t file, const char *path, const char *name, H5T_class_t cls, int ndims,
                     hsize_t count, hid_t *out, pmc_err *err)
{
    static const char *const class_names[] = {
        [H5T_INTEGER] = "integer", [H5T_FLOAT] = "float", [H5T_STRING] = "string"};
    htri_t exists = H5Aexists(file, name);
    if (exists <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: attribute %s: missing", path, name);
    }
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (a < 0)
        return h5_fail_item(err, PMC_EINVAL, path, "open attribute", name);
    hid_t type = H5Aget_type(a), space = H5Aget_space(a);
    H5T_class_t got = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    hssize_t np = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    h5_close_id(&type, H5Tclose);
    h5_close_id(&space, H5Sclose);
    if (got != cls || nd != ndims || np < 0 || (hsize_t)np != count) {
        H5Aclose(a);
        H5Eclear2(H5E_DEFAULT);
        if (ndims == 0)
            return pmc_err_set(err, PMC_EINVAL, "%s: attribute %s: expected a scalar %s", path,
                               name, class_names[cls]);
        return pmc_err_set(err, PMC_EINVAL, "%s: attribute %s: expected a 1-D %s array of %llu",
                           path, name, class_names[cls], (unsigned long long)count);
    }
    *out = a;
    return PMC_OK;
}

/* Reads a scalar numeric attribute, converted by HDF5 to the memory type. */
static int attr_read_scalar(hid_t file, const char *path, const char *name, H5T_class_t cls,
                            hid_t mtype, void *value, pmc_err *err)
{
    hid_t a = -1;
    int st = attr_open(file, path, name, cls, 0, 1, &a, err);
    if (st != PMC_OK)
        return st;
    herr_t rd = H5Aread(a, mtype, value);
    H5Aclose(a);
    return rd < 0 ? h5_fail_item(err, PMC_EINVAL, path, "read attribute", name) : PMC_OK;
}

/* Copies `count` strings (fixed or variable length) out of an open string
 * attribute into out[0..count-1] (each malloc'ed). */
static int attr_copy_strings(hid_t a, size_t count, char **out)
{
    hid_t ftype = H5Aget_type(a);
    if (ftype < 0)
        return PMC_EINVAL;
    htri_t vlen = H5Tis_variable_str(ftype);
    size_t size = H5Tget_size(ftype);
    int st = PMC_EINVAL;
    if (vlen > 0) {
        hid_t mtype = h5_vlen_utf8(), space = H5Aget_space(a);
        char **raw = calloc(count, sizeof *raw);
        if (raw && mtype >= 0 && space >= 0 && H5Aread(a, mtype, raw) >= 0) {
            st = PMC_OK;
            for (size_t i = 0; i < count && st == PMC_OK; i++)
                if (!(out[i] = strdup(raw[i] ? raw[i] : "")))
                    st = PMC_ENOMEM;
            H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, raw);
        }
        free(raw);
        h5_close_id(&mtype, H5Tclose);
        h5_close_id(&space, H5Sclose);
    } else if (vlen == 0 && size > 0) {
        /* Fixed length: read the padded bytes as stored, cut at the first NUL. */
        char *raw = malloc(count * size);
        if (raw && H5Aread(a, ftype, raw) >= 0) {
            st = PMC_OK;
            for (size_t i = 0; i < count && st == PMC_OK; i++)
                if (!(out[i] = strndup(raw + i * size, size)))
                    st = PMC_ENOMEM;
        }
        free(raw);
    }
    H5Tclose(ftype);
    return st;
}

static int attr_read_strings(hid_t file, const char *path, const char *name, int ndims,
                             size_t count, char **out, pmc_err *err)
{
    hid_t a = -1;
    int st = attr_open(file, path, name, H5T_STRING, ndims, count, &a, err);
    if (st != PMC_OK)
        return st;
    st = attr_copy_strings(a, count, out);
    H5Aclose(a);
    if (st == PMC_ENOMEM)
        return pmc_err_set(err, st, "%s: attribute %s: out of memory", path, name);
    return st == PMC_OK ? PMC_OK : h5_fail_item(err, PMC_EINVAL, path, "read attribute", name);
}

/* Checked first: its absence means "not one of our files" and its value
 * decides how the rest must be read. */
static int read_format_version(hid_t file, const char *path, pmc_generation *g, pmc_err *err)
{
    if (H5Aexists(file, "format_version") <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: attribute format_version: missing (not a pmcabc generation file)",
                           path);
    }
    uint64_t version = 0;
    int st = attr_read_scalar(file, path, "format_version", H5T_INTEGER, H5T_NATIVE_UINT64,
                              &version, err);
    if (st != PMC_OK)
        return st;
    if (version != PMC_CHECKPOINT_FORMAT_VERSION)
        return pmc_err_set(err, PMC_EINVAL, "%s: format_version %llu: this pmcabc reads version %d",
                           path, (unsigned long long)version, PMC_CHECKPOINT_FORMAT_VERSION);
    g->format_version = (unsigned)version;
    return PMC_OK;
}

/* Integer attributes, all read as uint64 and range-checked here, so a
 * negative or oversized stored value is reported rather than truncated. */
static int read_int_attrs(hid_t file, const char *path, pmc_generation *g, uint64_t *n,
                          uint64_t *d, pmc_err *err)
{
    uint64_t generation = 0;
    const struct {
        const char *name;
        uint64_t *dst, lo, hi;
    } ints[] = {
        {"generation", &generation, 0, CKPT_MAX_GENERATION - 1},
        {"n_particles", n, 1, CKPT_MAX_PARTICLES - 1},
        {"n_params", d, 1, CKPT_MAX_PARAMS},
        {"n_simulations", &g->meta.n_simulations, 0, UINT64_MAX},
        {"gen_simulations", &g->meta.gen_simulations, 0, UINT64_MAX},
        {"seed", &g->meta.seed, 0, UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int st = attr_read_scalar(file, path, ints[i].name, H5T_INTEGER, H5T_NATIVE_UINT64,
                                  ints[i].dst, err);
        if (st != PMC_OK)
            return st;
        if (*ints[i].dst < ints[i].lo || *ints[i].dst > ints[i].hi)
            return pmc_err_set(err, PMC_EINVAL, "%s: attribute %s = %llu: expected %llu..%llu",
                               path, ints[i].name, (unsigned long long)*ints[i].dst,
                               (unsigned long long)ints[i].lo, (unsigned long long)ints[i].hi);
    }
    g->meta.generation = (unsigned)generation;
    if (g->meta.gen_simulations > g->meta.n_simulations)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: gen_simulations %llu exceeds cumulative n_simulations %llu", path,
                           (unsigned long long)g->meta.gen_simulations,
                           (unsigned long long)g->meta.n_simulations);
    return PMC_OK;
}

static int read_float_attrs(hid_t file, const char *path, pmc_generation *g, uint64_t n,
                            pmc_err *err)
{
    pmc_gen_meta *m = &g->meta;
    /* ESS = 1 / sum w^2 <= n; the slack allows for rounding in that sum. */
    const struct {
        const char *name;
        double *dst, lo, hi;
    } floats[] = {
        {"epsilon", &m->epsilon, 0.0, INFINITY},
        {"ess", &m->ess, 0.0, (double)n * (1.0 + 1e-9)},
        {"acceptance_rate", &m->acceptance_rate, 0.0, 1.0},
        {"wall_time", &m->wall_time, 0.0, INFINITY},
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        int st = attr_read_scalar(file, path, floats[i].name, H5T_FLOAT, H5T_NATIVE_DOUBLE,
                                  floats[i].dst, err);
        if (st != PMC_OK)
            return st;
        double v = *floats[i].dst;
        if (!(v >= floats[i].lo && v <= floats[i].hi)) /* also rejects NaN */
            return pmc_err_set(err, PMC_EINVAL, "%s: attribute %s = %g: expected %g..%g", path,
                               floats[i].name, v, floats[i].lo, floats[i].hi);
    }
    return PMC_OK;
}

/* "5 x 2", "5" or "scalar", for messages about shapes. */
static const char *shape_text(char *buf, size_t size, int ndims, const hsize_t *dims)
{
    if (ndims <= 0)
        return ndims == 0 ? "scalar" : "unknown";
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < ndims && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%llu", i ? " x " : "",
                                (unsigned long long)dims[i]);
    return buf;
}

/* Opens a dataset after checking it is a float array of exactly the shape
 * want[0..ndims-1]. */
static int dset_open(hid_t file, const char *path, const char *name, int ndims,
                     const hsize_t want[2], hid_t *out, pmc_err *err)
{
    char expect[64], found[128];
    shape_text(expect, sizeof expect, ndims, want);
    htri_t exists = H5Lexists(file, name, H5P_DEFAULT);
    hid_t ds = exists > 0 ? H5Dopen2(file, name, H5P_DEFAULT) : -1;
    if (ds < 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: dataset %s: missing (expected float array %s)",
                           path, name, expect);
    }
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    H5T_class_t cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    hsize_t got[H5S_MAX_RANK] = {0};
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (nd > 0 && nd <= H5S_MAX_RANK)
        H5Sget_simple_extent_dims(space, got, NULL);
    h5_close_id(&type, H5Tclose);
    h5_close_id(&space, H5Sclose);
    if (cls != H5T_FLOAT || nd != ndims || got[0] != want[0] || (ndims == 2 && got[1] != want[1])) {
        H5Dclose(ds);
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: dataset %s: expected float array %s, found %s array %s",
                           path, name, expect, cls == H5T_FLOAT ? "float" : "non-float",
                           shape_text(found, sizeof found, nd, got));
    }
    *out = ds;
    return PMC_OK;
}

/* Reads a checked dataset whole, converted to native double. */
static int dset_read(hid_t ds, const char *path, const char *name, size_t count, double **out,
                     pmc_err *err)
{
    *out = malloc(count * sizeof **out);
    if (!*out)
        return pmc_err_set(err, PMC_ENOMEM, "%s: dataset %s: out of memory (%zu values)", path,
                           name, count);
    if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        return h5_fail_item(err, PMC_EIO, path, "read dataset", name);
    return PMC_OK;
}

/* Checks all four datasets' shapes first, then reads them. */
static int read_datasets(hid_t file, const char *path, pmc_generation *g, pmc_err *err)
{
    struct {
        const char *name;
        int ndims;
        hsize_t dims[2];
        double **dst;
        hid_t id;
    } ds[CKPT_NDATASETS] = {
        {"/theta", 2, {g->n, g->d}, &g->theta, -1},
        {"/weights", 1, {g->n, 0}, &g->weights, -1},
        {"/distances", 1, {g->n, 0}, &g->distances, -1},
        {"/epsilons", 1, {g->n_epsilons, 0}, &g->epsilons, -1},
    };
    int st = PMC_OK;
    for (int i = 0; i < CKPT_NDATASETS && st == PMC_OK; i++)
        st = dset_open(file, path, ds[i].name, ds[i].ndims, ds[i].dims, &ds[i].id, err);
    for (int i = 0; i < CKPT_NDATASETS && st == PMC_OK; i++) {
        size_t count = (size_t)ds[i].dims[0] * (ds[i].ndims == 2 ? (size_t)ds[i].dims[1] : 1);
        st = dset_read(ds[i].id, path, ds[i].name, count, ds[i].dst, err);
    }
    for (int i = 0; i < CKPT_NDATASETS; i++)
        h5_close_id(&ds[i].id, H5Dclose);
    return st;
}

/* Attributes first (they give the expected shapes), then strings, then data. */
static int read_contents(hid_t file, const char *path, pmc_generation *g, pmc_err *err)
{
    uint64_t n = 0, d = 0;
    int st = read_format_version(file, path, g, err);
    if (st == PMC_OK)
        st = read_int_attrs(file, path, g, &n, &d, err);
    if (st == PMC_OK)
        st = read_float_attrs(file, path, g, n, err);
    if (st != PMC_OK)
        return st;
    g->n = (size_t)n;
    g->d = (size_t)d;
    g->n_epsilons = (size_t)g->meta.generation + 1;
    g->param_names = calloc(g->d, sizeof *g->param_names);
    if (!g->param_names)
        return pmc_err_set(err, PMC_ENOMEM, "%s: out of memory", path);
    st = attr_read_strings(file, path, "parameter_names", 1, g->d, g->param_names, err);
    if (st == PMC_OK)
        st = attr_read_strings(file, path, "config", 0, 1, &g->config_text, err);
    if (st == PMC_OK)
        st = read_datasets(file, path, g, err);
    return st;
}

/* Contract: see pmc_checkpoint.h. On failure *out is left empty (all NULL),
 * so pmc_generation_free(out) is always safe. */
int pmc_checkpoint_read_generation(const char *path, pmc_generation *out, pmc_err *err)
{
    memset(out, 0, sizeof *out);
    h5_quiet();
    /* POSIX first: "No such file", "Permission denied" are clearer than
     * HDF5's stack, and they are I/O errors, not bad content. */
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return pmc_err_set(err, PMC_EIO, "%s: open: %s", path, strerror(errno));
    close(fd);
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: not an HDF5 file (no HDF5 signature)", path);
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return h5_fail(err, PMC_EIO, path, "open HDF5 file (truncated or corrupt?)");
    int st = read_contents(file, path, out, err);
    if (H5Fclose(file) < 0 && st == PMC_OK)
        st = h5_fail(err, PMC_EIO, path, "close");
    if (st != PMC_OK)
        pmc_generation_free(out);
    return st;
}

void pmc_generation_free(pmc_generation *g)
{
    if (!g)
        return;
    if (g->param_names)
        for (size_t j = 0; j < g->d; j++)
            free(g->param_names[j]);
    free(g->param_names);
    free(g->config_text);
    free(g->theta);
    free(g->weights);
    free(g->distances);
    free(g->epsilons);
    memset(g, 0, sizeof *g);
}

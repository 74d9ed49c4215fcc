/* Checkpoint reader (contract: pmc_checkpoint.h): serial (HDF5's sec2
 * driver); checks the file kind, the digest and the global heaps before
 * libhdf5 opens a file, validates the whole layout before it allocates, and
 * verifies the checksum last. Also finds the newest usable generation of a
 * run directory. */
#include "pmc_checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "pmc_ckpt_internal.h"
#include "pmc_log.h"

/* --- Serial reader --- */

static const char *const class_names[] = {
    [H5T_INTEGER] = "integer", [H5T_FLOAT] = "float", [H5T_STRING] = "string"};

/* Opens a root attribute after checking it exists, has the expected type
 * class and holds `count` elements in `ndims` dimensions (0 = scalar). */
static int attr_open(hid_t file, const char *path, const char *name, H5T_class_t cls, int ndims,
                     hsize_t count, hid_t *out, pmc_err *err)
{
    htri_t exists = H5Aexists(file, name);
    if (exists <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: attribute %s: missing", path, name);
    }
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (a < 0)
        return pmc_ckpt_h5_fail_item(err, PMC_EINVAL, path, "open attribute", name);
    hid_t type = H5Aget_type(a), space = H5Aget_space(a);
    H5T_class_t got = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    hssize_t np = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    pmc_ckpt_h5_close_id(&type, H5Tclose);
    pmc_ckpt_h5_close_id(&space, H5Sclose);
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
    return rd < 0 ? pmc_ckpt_h5_fail_item(err, PMC_EINVAL, path, "read attribute", name) : PMC_OK;
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
        hid_t mtype = pmc_ckpt_h5_vlen_utf8(), space = H5Aget_space(a);
        char **raw = calloc(count, sizeof *raw);
        herr_t rd = raw && mtype >= 0 && space >= 0 ? H5Aread(a, mtype, raw) : -1;
        if (rd >= 0) {
            st = PMC_OK;
            for (size_t i = 0; i < count && st == PMC_OK; i++)
                if (!(out[i] = strdup(raw[i] ? raw[i] : "")))
                    st = PMC_ENOMEM;
        }
        /* Also after a failed read: HDF5 may have converted (allocated) the
         * strings before the one it could not read (a leak found by
         * tests/fuzz). raw was zeroed, so unconverted entries are NULL. */
        if (raw && mtype >= 0 && space >= 0)
            H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, raw);
        free(raw);
        pmc_ckpt_h5_close_id(&mtype, H5Tclose);
        pmc_ckpt_h5_close_id(&space, H5Sclose);
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
    return st == PMC_OK ? PMC_OK
                        : pmc_ckpt_h5_fail_item(err, PMC_EINVAL, path, "read attribute", name);
}


/* Checked first: its absence means "not one of our files" and its value
 * decides how the rest must be read. what: "generation" or "partial". */
static int read_format_version(hid_t file, const char *path, const char *what, unsigned *out,
                               pmc_err *err)
{
    if (H5Aexists(file, "format_version") <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: attribute format_version: missing (not a pmcabc %s file)", path,
                           what);
    }
    uint64_t version = 0;
    int st = attr_read_scalar(file, path, "format_version", H5T_INTEGER, H5T_NATIVE_UINT64,
                              &version, err);
    if (st != PMC_OK)
        return st;
    /* Versions 1 and 2 share the layout (2 changed the random streams); 3
     * added attributes and /rejected. All are read; pmc_pmcabc refuses to
     * resume a file of another stream version (read_build). */
    if (version < 1 || version > PMC_CHECKPOINT_FORMAT_VERSION)
        return pmc_err_set(err, PMC_EINVAL, "%s: format_version %llu: this pmcabc reads versions "
                           "1 to %d", path, (unsigned long long)version,
                           PMC_CHECKPOINT_FORMAT_VERSION);
    *out = (unsigned)version;
    return PMC_OK;
}

/* An integer attribute to read and its allowed range. */
typedef struct {
    const char *name;
    uint64_t *dst, lo, hi;
} ckpt_uint_attr;

/* Integer attributes, all read as uint64 and range-checked here, so a
 * negative or oversized stored value is reported rather than truncated. */
static int read_uint_attrs(hid_t file, const char *path, const ckpt_uint_attr *ints, size_t count,
                           pmc_err *err)
{
    for (size_t i = 0; i < count; i++) {
        int st = attr_read_scalar(file, path, ints[i].name, H5T_INTEGER, H5T_NATIVE_UINT64,
                                  ints[i].dst, err);
        if (st != PMC_OK)
            return st;
        if (*ints[i].dst < ints[i].lo || *ints[i].dst > ints[i].hi)
            return pmc_err_set(err, PMC_EINVAL, "%s: attribute %s = %llu: expected %llu..%llu",
                               path, ints[i].name, (unsigned long long)*ints[i].dst,
                               (unsigned long long)ints[i].lo, (unsigned long long)ints[i].hi);
    }
    return PMC_OK;
}

typedef struct {
    const char *name;
    double *dst, lo, hi;
} ckpt_float_attr;

static int read_float_attrs(hid_t file, const char *path, const ckpt_float_attr *floats,
                            size_t count, pmc_err *err)
{
    for (size_t i = 0; i < count; i++) {
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

/* The build identity after the format version: format 3 stores the stream
 * version and the model digest; for older files the stream version is the
 * format version and there is no digest (*digest left 0). The creator is
 * informative only: a file without one says "unknown". */
static int read_build(hid_t file, const char *path, pmc_file_build *b, uint64_t *digest,
                      pmc_err *err)
{
    b->stream_version = b->format_version;
    b->has_model_digest = 0;
    if (b->format_version >= 3) {
        uint64_t stream = 0;
        const ckpt_uint_attr ints[] = {
            {"stream_version", &stream, 1, UINT32_MAX},
            {"model_digest", digest, 0, UINT64_MAX},
        };
        int st = read_uint_attrs(file, path, ints, sizeof ints / sizeof ints[0], err);
        if (st != PMC_OK)
            return st;
        b->stream_version = (unsigned)stream;
        b->has_model_digest = 1;
    }
    if (H5Aexists(file, "creator") > 0)
        return attr_read_strings(file, path, "creator", 0, 1, &b->creator, err);
    H5Eclear2(H5E_DEFAULT);
    b->creator = strdup("unknown");
    return b->creator ? PMC_OK : pmc_err_set(err, PMC_ENOMEM, "%s: out of memory", path);
}

static int read_gen_attrs(hid_t file, const char *path, pmc_generation *g, uint64_t *n,
                          uint64_t *d, uint64_t *checksum, pmc_err *err)
{
    pmc_gen_meta *m = &g->meta;
    uint64_t generation = 0;
    const ckpt_uint_attr ints[] = {
        {"generation", &generation, 0, CKPT_MAX_GENERATION - 1},
        {"n_particles", n, 1, CKPT_MAX_PARTICLES - 1},
        {"n_params", d, 1, CKPT_MAX_PARAMS},
        {"n_simulations", &m->n_simulations, 0, UINT64_MAX},
        {"gen_simulations", &m->gen_simulations, 0, UINT64_MAX},
        {"seed", &m->seed, 0, UINT64_MAX},
        {"data_checksum", &m->data_checksum, 0, UINT64_MAX},
        {"checksum", checksum, 0, UINT64_MAX},
    };
    int st = read_uint_attrs(file, path, ints, sizeof ints / sizeof ints[0], err);
    if (st != PMC_OK)
        return st;
    m->generation = (unsigned)generation;
    if (m->gen_simulations > m->n_simulations)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: gen_simulations %llu exceeds cumulative n_simulations %llu", path,
                           (unsigned long long)m->gen_simulations,
                           (unsigned long long)m->n_simulations);
    /* ESS = 1 / sum w^2 <= n; the slack allows for rounding in that sum. */
    const ckpt_float_attr floats[] = {
        {"epsilon", &m->epsilon, 0.0, INFINITY},
        {"ess", &m->ess, 0.0, (double)*n * (1.0 + 1e-9)},
        {"acceptance_rate", &m->acceptance_rate, 0.0, 1.0},
        {"wall_time", &m->wall_time, 0.0, INFINITY},
    };
    return read_float_attrs(file, path, floats, sizeof floats / sizeof floats[0], err);
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


/* Opens a dataset after checking it is an array of type class cls and
 * exactly the shape want[0..ndims-1]. */
static int dset_open(hid_t file, const char *path, const char *name, H5T_class_t cls, int ndims,
                     const hsize_t want[2], hid_t *out, pmc_err *err)
{
    char expect[64], found[128];
    shape_text(expect, sizeof expect, ndims, want);
    htri_t exists = H5Lexists(file, name, H5P_DEFAULT);
    hid_t ds = exists > 0 ? H5Dopen2(file, name, H5P_DEFAULT) : -1;
    if (ds < 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: dataset %s: missing (expected %s array %s)", path,
                           name, class_names[cls], expect);
    }
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    H5T_class_t got_cls = type < 0 ? H5T_NO_CLASS : H5Tget_class(type);
    hsize_t got[H5S_MAX_RANK] = {0};
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (nd > 0 && nd <= H5S_MAX_RANK)
        H5Sget_simple_extent_dims(space, got, NULL);
    pmc_ckpt_h5_close_id(&type, H5Tclose);
    pmc_ckpt_h5_close_id(&space, H5Sclose);
    if (got_cls != cls || nd != ndims || got[0] != want[0] || (ndims == 2 && got[1] != want[1])) {
        H5Dclose(ds);
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: dataset %s: expected %s array %s, found %s%s array %s",
                           path, name, class_names[cls], expect, got_cls == cls ? "" : "non-",
                           class_names[cls], shape_text(found, sizeof found, nd, got));
    }
    *out = ds;
    return PMC_OK;
}

/* A dataset to read: expected class and shape, memory type, and the buffer
 * read_dsets allocates (never NULL on success, even for 0 elements). */
typedef struct {
    const char *name;
    H5T_class_t cls;
    hid_t mtype;
    size_t elem; /* bytes per element of mtype */
    int ndims;
    hsize_t dims[2];
    void *buf;
} ckpt_read_dset;

static int dset_read(hid_t id, const char *path, ckpt_read_dset *ds, pmc_err *err)
{
    size_t count = (size_t)ds->dims[0] * (ds->ndims == 2 ? (size_t)ds->dims[1] : 1);
    ds->buf = malloc(count ? count * ds->elem : 1);
    if (!ds->buf)
        return pmc_err_set(err, PMC_ENOMEM, "%s: dataset %s: out of memory (%zu values)", path,
                           ds->name, count);
    if (count && H5Dread(id, ds->mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, ds->buf) < 0)
        return pmc_ckpt_h5_fail_item(err, PMC_EIO, path, "read dataset", ds->name);
    return PMC_OK;
}

/* Checks all datasets' types and shapes first, then reads them. On failure
 * no buffer is left allocated. */
static int read_dsets(hid_t file, const char *path, ckpt_read_dset *ds, int count, pmc_err *err)
{
    hid_t ids[CKPT_NDATASETS] = {-1, -1, -1, -1, -1, -1, -1};
    int st = PMC_OK;
    for (int i = 0; i < count && st == PMC_OK; i++)
        st = dset_open(file, path, ds[i].name, ds[i].cls, ds[i].ndims, ds[i].dims, &ids[i], err);
    for (int i = 0; i < count && st == PMC_OK; i++)
        st = dset_read(ids[i], path, &ds[i], err);
    for (int i = 0; i < count; i++) {
        pmc_ckpt_h5_close_id(&ids[i], H5Dclose);
        if (st != PMC_OK) {
            free(ds[i].buf);
            ds[i].buf = NULL;
        }
    }
    return st;
}

static int verify_checksum(const char *path, uint64_t stored, uint64_t computed, pmc_err *err)
{
    if (stored != computed)
        return pmc_err_set(err, PMC_EINVAL, "%s: checksum mismatch (file damaged?)", path);
    return PMC_OK;
}

/* Columns of the optional /stats (0 when absent): a 2-D float array of
 * `rows` rows and 1..CKPT_MAX_STATS columns. */
static int stats_columns(hid_t file, const char *path, size_t rows, size_t *n_stats, pmc_err *err)
{
    *n_stats = 0;
    if (H5Lexists(file, "/stats", H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return PMC_OK;
    }
    hid_t ds = H5Dopen2(file, "/stats", H5P_DEFAULT);
    hid_t space = ds < 0 ? -1 : H5Dget_space(ds);
    hsize_t dims[H5S_MAX_RANK] = {0};
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (nd == 2)
        H5Sget_simple_extent_dims(space, dims, NULL);
    pmc_ckpt_h5_close_id(&space, H5Sclose);
    pmc_ckpt_h5_close_id(&ds, H5Dclose);
    H5Eclear2(H5E_DEFAULT);
    if (nd != 2 || dims[0] != rows || dims[1] < 1 || dims[1] > CKPT_MAX_STATS)
        return pmc_err_set(err, PMC_EINVAL, "%s: dataset /stats: expected a float array of %zu "
                           "rows and 1..%zu columns", path, rows, CKPT_MAX_STATS);
    *n_stats = (size_t)dims[1];
    return PMC_OK;
}

static int has_dataset(hid_t file, const char *name)
{
    int yes = H5Lexists(file, name, H5P_DEFAULT) > 0;
    H5Eclear2(H5E_DEFAULT);
    return yes;
}

/* Reads /stats and, when the file has them, /proposal_stats and (obs not
 * NULL: a generation file) /observed_stats. Either of the two without
 * /stats is damage: the writer never stores them alone. */
static int read_stats(hid_t file, const char *path, size_t rows, size_t *n_stats, double **stats,
                      double **pstats, double **obs, pmc_err *err)
{
    int st = stats_columns(file, path, rows, n_stats, err);
    if (st != PMC_OK)
        return st;
    int has_p = has_dataset(file, "/proposal_stats");
    int has_o = obs && has_dataset(file, "/observed_stats");
    if (!*n_stats && (has_p || has_o))
        return pmc_err_set(err, PMC_EINVAL, "%s: dataset %s without /stats", path,
                           has_p ? "/proposal_stats" : "/observed_stats");
    if (!*n_stats)
        return PMC_OK;
    const hid_t dbl = H5T_NATIVE_DOUBLE;
    ckpt_read_dset ds[3] = {
        {"/stats", H5T_FLOAT, dbl, sizeof(double), 2, {rows, *n_stats}, NULL},
    };
    int count = 1, ip = -1, io = -1;
    if (has_p) {
        ip = count++;
        ds[ip] = (ckpt_read_dset){"/proposal_stats", H5T_FLOAT, dbl, sizeof(double), 2,
                                  {rows, *n_stats}, NULL};
    }
    if (has_o) {
        io = count++;
        ds[io] = (ckpt_read_dset){"/observed_stats", H5T_FLOAT, dbl, sizeof(double), 1,
                                  {*n_stats, 0}, NULL};
    }
    st = read_dsets(file, path, ds, count, err);
    *stats = ds[0].buf;
    *pstats = ip >= 0 ? ds[ip].buf : NULL;
    if (obs)
        *obs = io >= 0 ? ds[io].buf : NULL;
    return st;
}

static int read_gen_datasets(hid_t file, const char *path, pmc_generation *g, pmc_err *err)
{
    const hid_t dbl = H5T_NATIVE_DOUBLE;
    ckpt_read_dset ds[CKPT_NDATASETS] = {
        {"/theta", H5T_FLOAT, dbl, sizeof(double), 2, {g->n, g->d}, NULL},
        {"/weights", H5T_FLOAT, dbl, sizeof(double), 1, {g->n, 0}, NULL},
        {"/distances", H5T_FLOAT, dbl, sizeof(double), 1, {g->n, 0}, NULL},
        {"/epsilons", H5T_FLOAT, dbl, sizeof(double), 1, {g->n_epsilons, 0}, NULL},
    };
    int st = read_dsets(file, path, ds, 4, err);
    g->theta = ds[0].buf;
    g->weights = ds[1].buf;
    g->distances = ds[2].buf;
    g->epsilons = ds[3].buf;
    if (st == PMC_OK)
        st = read_stats(file, path, g->n, &g->n_stats, &g->stats, &g->proposal_stats,
                        &g->observed_stats, err);
    return st;
}

/* Attributes first (they give the expected shapes), then strings, then
 * data, then the checksum over what was read. */
static int read_gen_contents(hid_t file, const char *path, pmc_generation *g, pmc_err *err)
{
    uint64_t n = 0, d = 0, checksum = 0;
    int st = read_format_version(file, path, "generation", &g->build.format_version, err);
    if (st == PMC_OK)
        st = read_build(file, path, &g->build, &g->meta.model_digest, err);
    if (st == PMC_OK)
        st = read_gen_attrs(file, path, g, &n, &d, &checksum, err);
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
    if (st == PMC_OK && g->build.format_version >= 3) /* the model's own name */
        st = attr_read_strings(file, path, "model", 0, 1, &g->model, err);
    if (st == PMC_OK)
        st = read_gen_datasets(file, path, g, err);
    if (st != PMC_OK)
        return st;
    const pmc_population_view v = {.n = g->n, .d = g->d, .theta = g->theta,
                                   .weights = g->weights, .distances = g->distances,
                                   .epsilons = g->epsilons, .n_stats = g->n_stats,
                                   .stats = g->stats, .proposal_stats = g->proposal_stats,
                                   .observed_stats = g->observed_stats};
    return verify_checksum(path, checksum, pmc_ckpt_gen_checksum(&g->meta, &v), err);
}

static int read_partial_attrs(hid_t file, const char *path, pmc_partial *p, uint64_t *checksum,
                              pmc_err *err)
{
    char *kind = NULL;
    int st = read_format_version(file, path, "partial", &p->build.format_version, err);
    if (st == PMC_OK)
        st = read_build(file, path, &p->build, &p->model_digest, err);
    if (st == PMC_OK)
        st = attr_read_strings(file, path, "kind", 0, 1, &kind, err);
    if (st == PMC_OK && strcmp(kind, "partial") != 0)
        st = pmc_err_set(err, PMC_EINVAL, "%s: attribute kind = \"%s\": expected \"partial\"", path,
                         kind);
    free(kind);
    if (st != PMC_OK)
        return st;
    uint64_t generation = 0, n = 0, d = 0, k = 0;
    const ckpt_uint_attr ints[] = {
        {"generation", &generation, 0, CKPT_MAX_GENERATION - 1},
        {"n_particles", &n, 1, CKPT_MAX_PARTICLES - 1},
        {"n_params", &d, 1, CKPT_MAX_PARAMS},
        {"n_done", &k, 0, CKPT_MAX_PARTICLES - 1},
        {"seed", &p->seed, 0, UINT64_MAX},
        {"checksum", checksum, 0, UINT64_MAX},
    };
    const ckpt_float_attr floats[] = {{"epsilon", &p->epsilon, 0.0, INFINITY}};
    st = read_uint_attrs(file, path, ints, sizeof ints / sizeof ints[0], err);
    if (st == PMC_OK)
        st = read_float_attrs(file, path, floats, 1, err);
    if (st != PMC_OK)
        return st;
    if (k > n)
        return pmc_err_set(err, PMC_EINVAL, "%s: n_done %llu exceeds n_particles %llu", path,
                           (unsigned long long)k, (unsigned long long)n);
    p->generation = (unsigned)generation;
    p->n = (size_t)n;
    p->d = (size_t)d;
    p->k = (size_t)k;
    return PMC_OK;
}

/* The optional /rejected (n values); p->rejected is n zeros without it. */
static int read_rejected(hid_t file, const char *path, pmc_partial *p, int *has, pmc_err *err)
{
    *has = 0;
    if (H5Lexists(file, "/rejected", H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        p->rejected = calloc(p->n, sizeof *p->rejected);
        return p->rejected ? PMC_OK : pmc_err_set(err, PMC_ENOMEM, "%s: out of memory", path);
    }
    ckpt_read_dset ds[1] = {
        {"/rejected", H5T_INTEGER, H5T_NATIVE_UINT64, sizeof(uint64_t), 1, {p->n, 0}, NULL},
    };
    int st = read_dsets(file, path, ds, 1, err);
    p->rejected = ds[0].buf;
    *has = st == PMC_OK;
    return st;
}

static int read_partial_contents(hid_t file, const char *path, pmc_partial *p, pmc_err *err)
{
    uint64_t checksum = 0;
    int st = read_partial_attrs(file, path, p, &checksum, err);
    if (st == PMC_OK)
        st = attr_read_strings(file, path, "config", 0, 1, &p->config_text, err);
    if (st != PMC_OK)
        return st;
    const hid_t dbl = H5T_NATIVE_DOUBLE, u64 = H5T_NATIVE_UINT64;
    ckpt_read_dset ds[CKPT_NDATASETS] = {
        {"/slots", H5T_INTEGER, u64, sizeof(uint64_t), 1, {p->k, 0}, NULL},
        {"/theta", H5T_FLOAT, dbl, sizeof(double), 2, {p->k, p->d}, NULL},
        {"/distances", H5T_FLOAT, dbl, sizeof(double), 1, {p->k, 0}, NULL},
        {"/n_sims", H5T_INTEGER, u64, sizeof(uint64_t), 1, {p->k, 0}, NULL},
    };
    st = read_dsets(file, path, ds, 4, err);
    p->slots = ds[0].buf;
    p->theta = ds[1].buf;
    p->distances = ds[2].buf;
    p->n_sims = ds[3].buf;
    if (st == PMC_OK)
        st = read_stats(file, path, p->k, &p->n_stats, &p->stats, &p->proposal_stats, NULL,
                        err);
    int has_rejected = 0;
    if (st == PMC_OK)
        st = read_rejected(file, path, p, &has_rejected, err);
    if (st != PMC_OK)
        return st;
    const pmc_partial_view v = {.generation = p->generation, .epsilon = p->epsilon,
                                .seed = p->seed, .n = p->n, .d = p->d, .k = p->k,
                                .slots = p->slots, .theta = p->theta,
                                .distances = p->distances, .n_sims = p->n_sims,
                                .rejected = has_rejected ? p->rejected : NULL,
                                .model_digest = p->model_digest,
                                .n_stats = p->n_stats, .stats = p->stats,
                                .proposal_stats = p->proposal_stats};
    /* Checksum first: damage is reported as damage, and only an intact file
     * written with bad slots gets the slot message. */
    st = verify_checksum(path, checksum, pmc_ckpt_partial_checksum(&v), err);
    if (st == PMC_OK)
        st = pmc_ckpt_check_slots(path, p->slots, p->k, p->n, err);
    return st;
}

/* --- Global heap pre-check --- */

/* Variable-length strings (parameter_names, config, kind, creator) live in
 * HDF5 global heap collections ("GCOL"). HDF5 1.10 walks a collection's
 * objects with p = begin + need, where need is the stored size of a free-space
 * object: a size of 0 (one damaged byte suffices) makes H5Aread loop forever
 * instead of failing, so a damaged file would hang resume rather than be
 * skipped (found by tests/fuzz, fuzz_checkpoint). Before HDF5 reads a file we
 * walk every collection the same way and reject one whose objects do not
 * tile it exactly. Layout: HDF5 file format spec, "Global Heap"; sizes of
 * lengths are 8 bytes in every file pmcabc writes. Since files carry a
 * digest, only files without one (written by an older pmcabc) need it: a
 * damaged heap in a sealed file fails the digest first. */
#define GCOL_HEADER 16   /* "GCOL", version, 3 reserved, collection size */
#define GCOL_OBJ_HEADER 16 /* index, refcount, 4 reserved, object size */
#define GCOL_MIN_SIZE 4096 /* H5HG_MINSIZE */
#define GCOL_MAX_SIZE ((uint64_t)1 << 30)

static uint64_t le_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Walks one collection (c[0..size)); returns the offset of the first bad
 * object header, or 0 if the objects tile the collection. */
static uint64_t gcol_bad_object(const unsigned char *c, uint64_t size)
{
    uint64_t p = GCOL_HEADER;
    while (p < size && size - p >= GCOL_OBJ_HEADER) {
        unsigned idx = (unsigned)c[p] | (unsigned)c[p + 1] << 8;
        uint64_t len = le_u64(c + p + 8);
        if (len > size)
            return p;
        /* Objects are padded to 8 bytes; the free space (index 0) counts its header. */
        uint64_t need = idx > 0 ? GCOL_OBJ_HEADER + ((len + 7) & ~(uint64_t)7) : len;
        if (need == 0 || need > size - p)
            return p;
        p += need;
    }
    return 0;
}

/* Contract: PMC_OK if every global heap collection in the file at fd (of
 * file_size bytes) is well formed, else PMC_EINVAL naming path and offset. */
static int check_global_heaps(int fd, const char *path, uint64_t file_size, pmc_err *err)
{
    enum { BLOCK = 1 << 16 };
    unsigned char block[BLOCK + 3];
    int st = PMC_OK;
    for (uint64_t off = 0; off < file_size && st == PMC_OK; off += BLOCK) {
        ssize_t got = pread(fd, block, sizeof block, (off_t)off);
        if (got < 0)
            return pmc_err_set(err, PMC_EIO, "%s: read: %s", path, strerror(errno));
        for (ssize_t i = 0; i + 4 <= got && i < BLOCK && st == PMC_OK; i++) {
            if (memcmp(block + i, "GCOL", 4) != 0)
                continue;
            unsigned char head[GCOL_HEADER];
            uint64_t at = off + (uint64_t)i;
            if (pread(fd, head, sizeof head, (off_t)at) != (ssize_t)sizeof head || head[4] != 1)
                continue; /* not a version 1 collection: data that looks like one */
            uint64_t size = le_u64(head + 8);
            if (size < GCOL_MIN_SIZE || size > GCOL_MAX_SIZE || size > file_size - at)
                continue;
            unsigned char *c = malloc(size);
            if (!c)
                return pmc_err_set(err, PMC_ENOMEM, "%s: out of memory", path);
            uint64_t bad = 0;
            if (pread(fd, c, size, (off_t)at) == (ssize_t)size)
                bad = gcol_bad_object(c, size);
            free(c);
            if (bad)
                st = pmc_err_set(err, PMC_EINVAL, "%s: global heap at byte %llu: object at byte "
                                 "%llu has an impossible size (file damaged?)", path,
                                 (unsigned long long)at, (unsigned long long)(at + bad));
        }
    }
    return st;
}

/* True if path still names the file verified as sb: same inode, size and
 * modification time. */
static int same_file(const char *path, const struct stat *sb)
{
    struct stat now;
    return stat(path, &now) == 0 && now.st_dev == sb->st_dev && now.st_ino == sb->st_ino &&
           now.st_size == sb->st_size && now.st_mtim.tv_sec == sb->st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == sb->st_mtim.tv_nsec;
}

/* A checkpoint name that is a symbolic link: pmcabc writes regular files
 * only, so a link is someone else's doing; it is not followed (it could
 * lead to another run's file, a device or a FIFO). */
static int refuse_symlink(const char *path, pmc_err *err)
{
    char target[256];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return pmc_err_set(err, PMC_EIO, "%s: open: %s", path, strerror(ELOOP));
    target[n] = '\0';
    return pmc_err_set(err, PMC_EINVAL, "%s: a symbolic link (to %s%s), not a file pmcabc wrote: "
                       "not followed", path, target, (size_t)n == sizeof target - 1 ? "..." : "");
}

/* What a checkpoint name must be: a regular file. Readable files of
 * another user are read (a shared project directory), with a warning:
 * their owner can change them behind the run's back. */
static int check_file_kind(const char *path, const struct stat *sb, pmc_err *err)
{
    if (!S_ISREG(sb->st_mode))
        return pmc_err_set(err, PMC_EINVAL, "%s: %s, not a regular file", path,
                           S_ISDIR(sb->st_mode)    ? "a directory"
                           : S_ISFIFO(sb->st_mode) ? "a FIFO"
                           : S_ISSOCK(sb->st_mode) ? "a socket"
                                                   : "a device");
    if (sb->st_uid != geteuid())
        pmc_log_warn("checkpoint %s belongs to another user (uid %u; this run is uid %u)", path,
                     (unsigned)sb->st_uid, (unsigned)geteuid());
    return PMC_OK;
}

/* Opens path read-only (serial driver). POSIX open first: "No such file",
 * "Permission denied" are clearer than HDF5's stack. A missing file gives
 * `missing` (the caller decides whether that is an I/O error or normal).
 * Symbolic links are not followed and only regular files are read
 * (O_NONBLOCK: opening a FIFO must not wait for a writer). Then the digest
 * (pmc_ckpt_digest_verify), so that libhdf5 only ever parses bytes pmcabc sealed; a
 * file without one (older pmcabc) gets the global heap pre-check and a
 * warning instead. */
static int ckpt_open_read(const char *path, int missing, hid_t *file, pmc_err *err)
{
    pmc_ckpt_h5_quiet();
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return refuse_symlink(path, err);
        return pmc_err_set(err, e == ENOENT ? missing : PMC_EIO, "%s: open: %s", path, strerror(e));
    }
    struct stat sb;
    int has_digest = 0;
    int st = fstat(fd, &sb) != 0 ? pmc_err_set(err, PMC_EIO, "%s: stat: %s", path, strerror(errno))
                                 : check_file_kind(path, &sb, err);
    if (st == PMC_OK)
        st = pmc_ckpt_digest_verify(fd, path, (uint64_t)sb.st_size, &has_digest, err);
    /* Needed only without a digest: a sealed file's heaps are the ones pmcabc
     * wrote. */
    if (st == PMC_OK && !has_digest)
        st = check_global_heaps(fd, path, (uint64_t)sb.st_size, err);
    close(fd);
    if (st != PMC_OK)
        return st;
    if (!has_digest)
        pmc_log_warn("checkpoint %s has no digest header (written by a pmcabc from before "
                     "digests, or by another program): it is read without verifying its bytes",
                     path);
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return pmc_err_set(err, PMC_EINVAL, "%s: not an HDF5 file (no HDF5 signature)", path);
    }
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0)
        return pmc_ckpt_h5_fail(err, PMC_EIO, path, "open HDF5 file (truncated or corrupt?)");
    /* The name could have been given to another file since the checks (a
     * copy, a second run renaming into place, a symbolic link): then the
     * checked bytes are not the ones libhdf5 reads. */
    if (!same_file(path, &sb)) {
        H5Fclose(*file);
        *file = -1;
        return pmc_err_set(err, PMC_EIO, "%s: replaced or changed while being read", path);
    }
    return PMC_OK;
}

static int ckpt_close_read(hid_t file, const char *path, int st, pmc_err *err)
{
    if (H5Fclose(file) < 0 && st == PMC_OK)
        st = pmc_ckpt_h5_fail(err, PMC_EIO, path, "close");
    return st;
}

/* Contract: see pmc_checkpoint.h. On failure *out is left empty (all NULL),
 * so pmc_generation_free(out) is always safe. A missing file is PMC_EIO: the
 * caller named it. */
int pmc_checkpoint_read_generation(const char *path, pmc_generation *out, pmc_err *err)
{
    memset(out, 0, sizeof *out);
    hid_t file = -1;
    int st = ckpt_open_read(path, PMC_EIO, &file, err);
    if (st != PMC_OK)
        return st;
    st = ckpt_close_read(file, path, read_gen_contents(file, path, out, err), err);
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
    free(g->model);
    free(g->build.creator);
    free(g->theta);
    free(g->weights);
    free(g->distances);
    free(g->epsilons);
    free(g->stats);
    free(g->proposal_stats);
    free(g->observed_stats);
    memset(g, 0, sizeof *g);
}

/* Contract: see pmc_checkpoint.h. On success every array is non-NULL (also
 * for k = 0); on failure *out is left empty. */
int pmc_checkpoint_read_partial(const char *path, pmc_partial *out, pmc_err *err)
{
    memset(out, 0, sizeof *out);
    hid_t file = -1;
    int st = ckpt_open_read(path, PMC_ENOTFOUND, &file, err);
    if (st != PMC_OK)
        return st;
    st = ckpt_close_read(file, path, read_partial_contents(file, path, out, err), err);
    if (st != PMC_OK)
        pmc_partial_free(out);
    return st;
}

void pmc_partial_free(pmc_partial *p)
{
    if (!p)
        return;
    free(p->slots);
    free(p->theta);
    free(p->distances);
    free(p->n_sims);
    free(p->rejected);
    free(p->config_text);
    free(p->build.creator);
    free(p->stats);
    free(p->proposal_stats);
    memset(p, 0, sizeof *p);
}

/* --- finding the newest generation --- */

int pmc_checkpoint_read_named(const char *path, long named, pmc_generation *out, pmc_err *err)
{
    int st = pmc_checkpoint_read_generation(path, out, err);
    if (st == PMC_OK && (long)out->meta.generation != named) {
        st = pmc_err_set(err, PMC_EINVAL, "%s: holds generation %u, its name says %ld", path,
                         out->meta.generation, named);
        pmc_generation_free(out);
    }
    return st;
}

/* err's message without the leading "PATH: ", which the warning names already. */
static const char *msg_after_path(const pmc_err *e, const char *path)
{
    size_t len = strlen(path);
    if (strncmp(e->msg, path, len) == 0 && strncmp(e->msg + len, ": ", 2) == 0)
        return e->msg + len + 2;
    return e->msg;
}

/* Contract: see pmc_checkpoint.h. A damaged or unreadable file (PMC_EIO or
 * PMC_EINVAL from the reader) is skipped with a warning; out of memory or a
 * too-small path buffer stop the search. On failure *out is empty. */
int pmc_checkpoint_find_latest(const char *dir, pmc_generation *out, char *path, size_t path_len,
                               pmc_err *err)
{
    memset(out, 0, sizeof *out);
    if (!dir || !*dir)
        return pmc_err_set(err, PMC_EINVAL, "checkpoint directory: empty path");
    pmc_rundir_entry *list = NULL;
    size_t count = 0, rejected = 0;
    int rc = pmc_rundir_list(dir, PMC_RUNDIR_GEN, &list, &count);
    if (rc == ENOENT)
        return pmc_err_set(err, PMC_ENOTFOUND, "no valid generation file in %s (no such directory)",
                           dir);
    if (rc != 0)
        return pmc_err_set(err, rc == ENOMEM ? PMC_ENOMEM : PMC_EIO, "%s: list directory: %s", dir,
                           strerror(rc));
    int st = PMC_ENOTFOUND;
    /* Newest first: the list is ascending. */
    for (size_t i = count; i-- > 0 && st == PMC_ENOTFOUND;) {
        char file[PATH_MAX];
        pmc_err why = {0};
        if (snprintf(file, sizeof file, "%s/%s", dir, list[i].name) >= (int)sizeof file) {
            st = pmc_err_set(err, PMC_EINVAL, "%s: checkpoint directory path too long", dir);
            break;
        }
        int got = pmc_checkpoint_read_named(file, list[i].generation, out, &why);
        if (got == PMC_OK && path && strlen(file) >= path_len) {
            pmc_generation_free(out);
            st = pmc_err_set(err, PMC_EINVAL, "%s: path buffer of %zu bytes too small", file,
                             path_len);
        } else if (got == PMC_OK) {
            if (path)
                memcpy(path, file, strlen(file) + 1);
            st = PMC_OK;
        } else if (got == PMC_EIO || got == PMC_EINVAL) {
            rejected++;
            pmc_log_warn("checkpoint %s is not usable (%s); falling back to an older generation",
                         file, msg_after_path(&why, file));
        } else {
            st = pmc_err_set(err, got, "%s", why.msg);
        }
    }
    free(list);
    if (st == PMC_ENOTFOUND && rejected)
        pmc_err_set(err, st, "no valid generation file in %s (%zu gen files not usable)", dir,
                    rejected);
    else if (st == PMC_ENOTFOUND)
        pmc_err_set(err, st, "no valid generation file in %s", dir);
    return st;
}


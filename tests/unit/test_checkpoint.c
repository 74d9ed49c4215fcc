/* Checkpoint files: round trip, commit protocol, and one test per kind of
 * damaged or foreign file. MPI-aware so the same tests also run under
 * mpiexec -n P (each rank writes its own row block; rank 0 alone damages
 * files, between barriers). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "pmc_checkpoint.h"
#include "pmc_rundir.h"
#include "pmc_test.h"
#include "pmc_version.h"

#define N 5
#define D 2
#define GEN 3

/* Known values; some chosen to catch any decimal round trip (0.1, 1/3). */
static const double theta[N * D] = {0.1, -2.5, 1.0 / 3.0, 1e-300, -0.0, 7.0, 3.25, -1e10, 42.0, 0.5};
static const double weights[N] = {0.1, 0.2, 0.3, 0.25, 0.15};
static const double distances[N] = {0.01, 0.5, 0.125, 0.75, 1.0 / 7.0};
static const double epsilons[GEN + 1] = {INFINITY, 2.0, 1.5, 0.875};
static const char *const names[D] = {"mu", "sigma_\xc3\xa9"}; /* UTF-8 on purpose */
static const char config[] = "[model]\nname = normal\n[prior]\nmu = uniform(-10, 10)\n";

static const pmc_gen_meta meta = {
    .generation = GEN,
    .epsilon = 0.875,
    .n_simulations = 1234567890123ULL,
    .gen_simulations = 20,
    .ess = 4.25,
    .acceptance_rate = 0.25,
    .seed = 0xfedcba9876543210ULL,
    .wall_time = 1.5,
    .data_checksum = 0x0123456789abcdefULL,
    .model_digest = 0x1234abcd5678ef00ULL,
};

static MPI_Comm comm_world(void)
{
    return MPI_COMM_WORLD;
}

static int my_rank(void)
{
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

/* A fresh temp dir shared by all ranks: rank 0 creates it. */
static void shared_tmpdir(char dir[64])
{
    snprintf(dir, 64, "/tmp/pmc-ckpt-XXXXXX");
    if (my_rank() == 0 && !mkdtemp(dir))
        dir[0] = '\0';
    MPI_Bcast(dir, 64, MPI_CHAR, 0, MPI_COMM_WORLD);
}

static void remove_tree(const char *dir)
{
    MPI_Barrier(MPI_COMM_WORLD);
    if (my_rank() == 0) {
        DIR *dp = opendir(dir);
        struct dirent *de;
        char p[512];
        while (dp && (de = readdir(dp)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p)
                    continue;
                if (unlink(p) != 0)
                    rmdir(p); /* one level of subdirectories is all tests make */
            }
        if (dp)
            closedir(dp);
        rmdir(dir);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* This rank's block [r k / P, (r+1) k / P) of k rows. */
static void my_block(size_t k, size_t *lo, size_t *hi)
{
    int r = 0, p = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    *lo = (size_t)r * k / (size_t)p;
    *hi = (size_t)(r + 1) * k / (size_t)p;
}

/* Writes the known population under m (m->generation <= GEN); each rank its block. */
static int write_gen_meta(const char *dir, const pmc_gen_meta *m, pmc_err *err)
{
    pmc_population_view v = {
        .n = N, .d = D, .theta = theta, .weights = weights, .distances = distances,
        .epsilons = epsilons, .param_names = names, .config_text = config,
    };
    my_block(N, &v.lo, &v.hi);
    MPI_Comm c = comm_world();
    return pmc_checkpoint_write_generation(&c, dir, m, &v, err);
}

static int write_known(const char *dir, pmc_err *err)
{
    return write_gen_meta(dir, &meta, err);
}

static void gen_path(char *buf, size_t size, const char *dir)
{
    snprintf(buf, size, "%s/gen-%04d.h5", dir, GEN);
}

/* Directory entries other than . and .., joined by spaces. */
static void list_dir(const char *dir, char *out, size_t size)
{
    out[0] = '\0';
    DIR *dp = opendir(dir);
    struct dirent *de;
    while (dp && (de = readdir(dp)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            size_t len = strlen(out);
            snprintf(out + len, size - len, "%s%s", len ? " " : "", de->d_name);
        }
    if (dp)
        closedir(dp);
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Rank 0 changes the written file with raw HDF5 (as a foreign tool would)
 * and seals it again (pmc_checkpoint_seal), as if pmcabc had written it so:
 * the checks behind the digest are under test, not the digest. */
typedef void (*damage_fn)(hid_t file);

static void damage(const char *path, damage_fn fn)
{
    if (my_rank() == 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        PMC_CHECK(f >= 0);
        fn(f);
        H5Fclose(f);
        pmc_err err = {0};
        PMC_CHECK_INT(pmc_checkpoint_seal(path, &err), PMC_OK);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Writes the known generation, applies fn, reads it back: returns the read
 * status and the message in err. */
static int read_damaged(damage_fn fn, pmc_err *err)
{
    char dir[64], path[128];
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, err), PMC_OK);
    damage(path, fn);
    pmc_generation g;
    int st = pmc_checkpoint_read_generation(path, &g, err);
    PMC_CHECK(g.theta == NULL && g.param_names == NULL); /* nothing half-filled */
    pmc_generation_free(&g);
    remove_tree(dir);
    return st;
}

/* Field by field (struct padding is not part of the value), doubles bit for bit. */
static void check_meta(const pmc_gen_meta *m)
{
    PMC_CHECK_INT(m->generation, meta.generation);
    PMC_CHECK(m->n_simulations == meta.n_simulations);
    PMC_CHECK(m->gen_simulations == meta.gen_simulations);
    PMC_CHECK(m->seed == meta.seed);
    PMC_CHECK(m->data_checksum == meta.data_checksum);
    PMC_CHECK(same_bits(&m->epsilon, &meta.epsilon, 1));
    PMC_CHECK(same_bits(&m->ess, &meta.ess, 1));
    PMC_CHECK(same_bits(&m->acceptance_rate, &meta.acceptance_rate, 1));
    PMC_CHECK(same_bits(&m->wall_time, &meta.wall_time, 1));
}

PMC_TEST(checkpoint_roundtrip_values)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_OK);
    PMC_CHECK_INT(g.n, N);
    PMC_CHECK_INT(g.d, D);
    PMC_CHECK_INT(g.n_epsilons, GEN + 1);
    PMC_CHECK_INT(g.build.format_version, PMC_CHECKPOINT_FORMAT_VERSION);
    PMC_CHECK_INT(g.build.stream_version, PMC_STREAM_VERSION);
    PMC_CHECK_INT(g.build.has_model_digest, 1);
    PMC_CHECK(g.build.creator && strcmp(g.build.creator, "pmcabc " PMC_VERSION) == 0);
    PMC_CHECK(g.meta.model_digest == 0x1234abcd5678ef00ULL);
    if (g.n == N && g.d == D && g.n_epsilons == GEN + 1) {
        PMC_CHECK(same_bits(g.theta, theta, N * D));
        PMC_CHECK(same_bits(g.weights, weights, N));
        PMC_CHECK(same_bits(g.distances, distances, N));
        PMC_CHECK(same_bits(g.epsilons, epsilons, GEN + 1));
        PMC_CHECK(strcmp(g.param_names[0], names[0]) == 0);
        PMC_CHECK(strcmp(g.param_names[1], names[1]) == 0);
    }
    PMC_CHECK(g.config_text && strcmp(g.config_text, config) == 0);
    check_meta(&g.meta);
    pmc_generation_free(&g);
    remove_tree(dir);
}

PMC_TEST(checkpoint_leaves_only_gen_file)
{
    char dir[64], listing[512];
    pmc_err err = {0};
    shared_tmpdir(dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    list_dir(dir, listing, sizeof listing);
    PMC_CHECK(strcmp(listing, "gen-0003.h5") == 0);
    if (strcmp(listing, "gen-0003.h5") != 0)
        fprintf(stderr, "directory holds: %s\n", listing);
    remove_tree(dir);
}

/* A temp file left by a crashed writer is overwritten, and a second write of
 * the same generation replaces the first. */
PMC_TEST(checkpoint_overwrites_stale_temp_and_gen)
{
    char dir[64], tmp[128], listing[512];
    pmc_err err = {0};
    shared_tmpdir(dir);
    snprintf(tmp, sizeof tmp, "%s/.gen-%04d.h5.tmp", dir, GEN);
    if (my_rank() == 0) {
        FILE *f = fopen(tmp, "w");
        PMC_CHECK(f != NULL);
        if (f) {
            fputs("half a file", f);
            fclose(f);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    list_dir(dir, listing, sizeof listing);
    PMC_CHECK(strcmp(listing, "gen-0003.h5") == 0);
    remove_tree(dir);
}

PMC_TEST(checkpoint_write_into_file_fails)
{
    char dir[64], notdir[128], listing[512];
    pmc_err err = {0};
    shared_tmpdir(dir);
    snprintf(notdir, sizeof notdir, "%s/plainfile", dir);
    if (my_rank() == 0) {
        FILE *f = fopen(notdir, "w");
        PMC_CHECK(f != NULL);
        if (f)
            fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    PMC_CHECK_INT(write_known(notdir, &err), PMC_EIO);
    PMC_CHECK_CONTAINS(err.msg, "plainfile/gen-0003.h5: create temporary file");
    list_dir(dir, listing, sizeof listing);
    PMC_CHECK(strcmp(listing, "plainfile") == 0);
    remove_tree(dir);
}

/* Only the last rank passes a bad block; every rank must return its error. */
PMC_TEST(checkpoint_write_rejects_bad_block)
{
    char dir[64], listing[512];
    pmc_err err = {0};
    int p = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    shared_tmpdir(dir);
    int last = my_rank() == p - 1;
    pmc_population_view v = {
        .n = N, .d = D, .lo = last ? 3 : 0, .hi = last ? N + 1 : 0, .theta = theta,
        .weights = weights, .distances = distances, .epsilons = epsilons, .param_names = names,
        .config_text = config,
    };
    MPI_Comm c = comm_world();
    /* Row blocks exist only in a collective write; a file this small is
     * otherwise written by rank 0 alone. */
    setenv("PMCABC_COLLECTIVE_IO_MIN_MB", "0", 1);
    PMC_CHECK_INT(pmc_checkpoint_write_generation(&c, dir, &meta, &v, &err), PMC_EINVAL);
    unsetenv("PMCABC_COLLECTIVE_IO_MIN_MB");
    PMC_CHECK_CONTAINS(err.msg, "gen-0003.h5: row block [3, 6) outside [0, 5)");
    list_dir(dir, listing, sizeof listing);
    PMC_CHECK_INT(strlen(listing), 0);
    remove_tree(dir);
}

PMC_TEST(checkpoint_prepare_dir_creates_parents)
{
    char dir[64], nested[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    if (my_rank() == 0) {
        snprintf(nested, sizeof nested, "%s/a//b/", dir);
        PMC_CHECK_INT(pmc_rundir_prepare(nested, &err), PMC_OK);
        PMC_CHECK_INT(pmc_rundir_prepare(nested, &err), PMC_OK); /* idempotent */
        struct stat st;
        snprintf(nested, sizeof nested, "%s/a/b", dir);
        PMC_CHECK(stat(nested, &st) == 0 && S_ISDIR(st.st_mode));
        rmdir(nested);
    }
    remove_tree(dir);
}

PMC_TEST(checkpoint_prepare_dir_on_file_fails)
{
    char dir[64], file[128], below[160];
    pmc_err err = {0};
    shared_tmpdir(dir);
    if (my_rank() == 0) {
        snprintf(file, sizeof file, "%s/f", dir);
        FILE *f = fopen(file, "w");
        PMC_CHECK(f != NULL);
        if (f)
            fclose(f);
        PMC_CHECK_INT(pmc_rundir_prepare(file, &err), PMC_EIO);
        PMC_CHECK_CONTAINS(err.msg, "/f exists but is not a directory");
        snprintf(below, sizeof below, "%s/sub", file);
        PMC_CHECK_INT(pmc_rundir_prepare(below, &err), PMC_EIO);
        PMC_CHECK_CONTAINS(err.msg, "/f exists but is not a directory");
    }
    remove_tree(dir);
}

PMC_TEST(checkpoint_prepare_dir_permission_denied)
{
    char dir[64], sub[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    /* root ignores permission bits, so the case cannot be provoked there. */
    if (my_rank() == 0 && geteuid() != 0) {
        snprintf(sub, sizeof sub, "%s/ro", dir);
        mkdir(sub, 0555);
        snprintf(sub, sizeof sub, "%s/ro/x", dir);
        PMC_CHECK_INT(pmc_rundir_prepare(sub, &err), PMC_EIO);
        PMC_CHECK_CONTAINS(err.msg, "Permission denied");
    }
    remove_tree(dir);
}

PMC_TEST(checkpoint_read_missing_file)
{
    pmc_err err = {0};
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation("/nonexistent/gen-0000.h5", &g, &err), PMC_EIO);
    PMC_CHECK_CONTAINS(err.msg, "/nonexistent/gen-0000.h5: open: No such file or directory");
    pmc_generation_free(&g);
}

PMC_TEST(checkpoint_read_non_hdf5)
{
    pmc_err err = {0};
    pmc_generation g;
    const char *path = PMC_SOURCE_DIR "/CMakeLists.txt";
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "CMakeLists.txt: not an HDF5 file");
    pmc_generation_free(&g);
}

static void truncate_half(const char *path)
{
    if (my_rank() == 0) {
        struct stat st;
        PMC_CHECK(stat(path, &st) == 0);
        PMC_CHECK(truncate(path, st.st_size / 2) == 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

PMC_TEST(checkpoint_read_truncated)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    truncate_half(path);
    pmc_generation g;
    /* The digest header's byte count catches it before libhdf5 opens it. */
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, path);
    PMC_CHECK_CONTAINS(err.msg, ": file damaged (truncated or appended to): ");
    pmc_generation_free(&g);
    remove_tree(dir);
}

static void drop_format_version(hid_t f)
{
    PMC_CHECK(H5Adelete(f, "format_version") >= 0);
}

PMC_TEST(checkpoint_read_without_format_version)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(drop_format_version, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "attribute format_version: missing (not a pmcabc generation file)");
}

/* Overwrites an existing root attribute with one value of memory type t. */
static void set_attr(hid_t f, const char *name, hid_t t, const void *value)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    PMC_CHECK(a >= 0 && H5Awrite(a, t, value) >= 0);
    H5Aclose(a);
}

static void set_format_version_4(hid_t f)
{
    uint32_t v = 4;
    set_attr(f, "format_version", H5T_NATIVE_UINT32, &v);
}

PMC_TEST(checkpoint_read_future_format_version)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(set_format_version_4, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "format_version 4: this pmcabc reads versions 1 to 3");
}

static void set_format_version_1(hid_t f)
{
    uint32_t v = 1;
    set_attr(f, "format_version", H5T_NATIVE_UINT32, &v);
}

/* Version 1 files (streams of before per-attempt streams) have the same
 * layout: they are read, and pmc_pmcabc refuses to resume them. */
PMC_TEST(checkpoint_read_format_version_1)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    damage(path, set_format_version_1);
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_OK);
    PMC_CHECK_INT(g.build.format_version, 1);
    PMC_CHECK_INT(g.build.stream_version, 1); /* implied by format 1 */
    PMC_CHECK_INT(g.build.has_model_digest, 0);
    pmc_generation_free(&g);
    remove_tree(dir);
}

/* Replaces /theta by a float64 dataset of the given shape. */
static void replace_theta(hid_t f, int ndims, const hsize_t *dims, hid_t type)
{
    PMC_CHECK(H5Ldelete(f, "/theta", H5P_DEFAULT) >= 0);
    hid_t sp = H5Screate_simple(ndims, dims, NULL);
    hid_t ds = H5Dcreate2(f, "/theta", type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    PMC_CHECK(ds >= 0);
    H5Dclose(ds);
    H5Sclose(sp);
}

static void theta_wrong_columns(hid_t f)
{
    hsize_t dims[2] = {N, D + 1};
    replace_theta(f, 2, dims, H5T_IEEE_F64LE);
}

PMC_TEST(checkpoint_read_theta_wrong_shape)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(theta_wrong_columns, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "dataset /theta: expected float array 5 x 2, found float array 5 x 3");
}

static void theta_one_dimensional(hid_t f)
{
    hsize_t dims[1] = {N * D};
    replace_theta(f, 1, dims, H5T_IEEE_F64LE);
}

PMC_TEST(checkpoint_read_theta_wrong_rank)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(theta_one_dimensional, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "dataset /theta: expected float array 5 x 2, found float array 10");
}

static void theta_integer(hid_t f)
{
    hsize_t dims[2] = {N, D};
    replace_theta(f, 2, dims, H5T_STD_I32LE);
}

PMC_TEST(checkpoint_read_theta_integer)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(theta_integer, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "dataset /theta: expected float array 5 x 2, found non-float array 5 x 2");
}

static void drop_weights(hid_t f)
{
    PMC_CHECK(H5Ldelete(f, "/weights", H5P_DEFAULT) >= 0);
}

PMC_TEST(checkpoint_read_missing_weights)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(drop_weights, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "dataset /weights: missing (expected float array 5)");
}

/* n_params says 3 while parameter_names and /theta hold 2 columns. */
static void n_params_3(hid_t f)
{
    uint32_t v = 3;
    set_attr(f, "n_params", H5T_NATIVE_UINT32, &v);
}

PMC_TEST(checkpoint_read_inconsistent_n_params)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(n_params_3, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "attribute parameter_names: expected a 1-D string array of 3");
}

static void drop_seed(hid_t f)
{
    PMC_CHECK(H5Adelete(f, "seed") >= 0);
}

PMC_TEST(checkpoint_read_missing_seed)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(drop_seed, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "attribute seed: missing");
}

static void huge_n_particles(hid_t f)
{
    uint64_t v = (uint64_t)1 << 40;
    set_attr(f, "n_particles", H5T_NATIVE_UINT64, &v);
}

PMC_TEST(checkpoint_read_huge_n_particles)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(huge_n_particles, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "attribute n_particles = 1099511627776: expected 1..1099511627775");
}

static void nan_acceptance(hid_t f)
{
    double v = NAN;
    set_attr(f, "acceptance_rate", H5T_NATIVE_DOUBLE, &v);
}

PMC_TEST(checkpoint_read_nan_acceptance_rate)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(nan_acceptance, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "attribute acceptance_rate = nan: expected 0..1");
}

/* --- checksums ------------------------------------------------------------ */

/* Reference values of FNV-1a 64 (draft-eastlake-fnv test vectors). */
PMC_TEST(checkpoint_fnv1a_known_values)
{
    PMC_CHECK(pmc_checksum_fnv1a(PMC_FNV1A_INIT, "", 0) == 0xcbf29ce484222325ULL);
    PMC_CHECK(pmc_checksum_fnv1a(PMC_FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
    PMC_CHECK(pmc_checksum_fnv1a(PMC_FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
    /* Continuing from a previous value hashes the concatenation. */
    uint64_t h = pmc_checksum_fnv1a(PMC_FNV1A_INIT, "foo", 3);
    PMC_CHECK(pmc_checksum_fnv1a(h, "bar", 3) == 0x85944171f73967e8ULL);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    return pmc_checksum_fnv1a(h, p, n);
}

static uint64_t read_u64_attr(const char *path, const char *name)
{
    uint64_t v = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = f >= 0 ? H5Aopen(f, name, H5P_DEFAULT) : -1;
    PMC_CHECK(a >= 0 && H5Aread(a, H5T_NATIVE_UINT64, &v) >= 0);
    if (a >= 0)
        H5Aclose(a);
    if (f >= 0)
        H5Fclose(f);
    return v;
}

/* The documented byte sequence of the known population's checksum
 * (docs/checkpoint-format.md), computed from the known values on a
 * little-endian host; a file with statistics goes on from it. */
static uint64_t documented_checksum(void)
{
    const uint32_t gen = GEN, d = D;
    const uint64_t n = N;
    uint64_t h = fnv(PMC_FNV1A_INIT, theta, sizeof theta);
    h = fnv(h, weights, sizeof weights);
    h = fnv(h, distances, sizeof distances);
    h = fnv(h, epsilons, sizeof epsilons);
    h = fnv(h, &gen, 4);
    h = fnv(h, &meta.epsilon, 8);
    h = fnv(h, &meta.n_simulations, 8);
    h = fnv(h, &meta.seed, 8);
    h = fnv(h, &n, 8);
    return fnv(h, &d, 4);
}

/* The stored checksum is the documented byte sequence. */
PMC_TEST(checkpoint_checksum_attribute_as_documented)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    PMC_CHECK(read_u64_attr(path, "checksum") == documented_checksum());
    PMC_CHECK(read_u64_attr(path, "data_checksum") == meta.data_checksum);
    remove_tree(dir);
}

/* Names that are not regular files are refused before anything is read:
 * a symbolic link (even to a valid file), a directory, a FIFO (without
 * waiting for a writer). */
PMC_TEST(checkpoint_read_refuses_links_and_special_files)
{
    char dir[64], path[128], name[160];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    static const struct {
        const char *name, *want;
    } cases[] = {
        {"link.h5", "link.h5: a symbolic link (to "},
        {"dir.h5", "dir.h5: a directory, not a regular file"},
        {"fifo.h5", "fifo.h5: a FIFO, not a regular file"},
    };
    if (my_rank() == 0) {
        snprintf(name, sizeof name, "%s/link.h5", dir);
        PMC_CHECK(symlink(path, name) == 0);
        snprintf(name, sizeof name, "%s/dir.h5", dir);
        PMC_CHECK(mkdir(name, 0700) == 0);
        snprintf(name, sizeof name, "%s/fifo.h5", dir);
        PMC_CHECK(mkfifo(name, 0600) == 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "%s/%s", dir, cases[i].name);
        pmc_generation g;
        PMC_CHECK_INT(pmc_checkpoint_read_generation(name, &g, &err), PMC_EINVAL);
        PMC_CHECK_CONTAINS(err.msg, cases[i].want);
        pmc_generation_free(&g);
        pmc_partial p;
        PMC_CHECK_INT(pmc_checkpoint_read_partial(name, &p, &err), PMC_EINVAL);
        PMC_CHECK_CONTAINS(err.msg, cases[i].want);
        pmc_partial_free(&p);
    }
    remove_tree(dir);
}

/* Statistics of the known population: 3 per particle, and observed ones. */
#define S 3
static const double stats[N * S] = {1.5, -2.0, 0.1, 3.0, 1.0 / 3.0, -0.0, 7.25, 1e-300, 2.0,
                                    -1e10, 0.5, 4.0, 9.0, 8.0, 7.0};
static const double pstats[N * S] = {0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5,
                                     5.0, 5.5, 6.0, 6.5, 7.0, 7.5};
static const double observed[S] = {1.25, 0.2, -3.0};

/* The known population with /stats and /observed_stats, and /proposal_stats
 * when with_pstats (the adaptive distance). */
static int write_with_stats(const char *dir, int with_pstats, pmc_err *err)
{
    pmc_population_view v = {
        .n = N, .d = D, .theta = theta, .weights = weights, .distances = distances,
        .epsilons = epsilons, .param_names = names, .config_text = config,
        .n_stats = S, .stats = stats, .proposal_stats = with_pstats ? pstats : NULL,
        .observed_stats = observed,
    };
    my_block(N, &v.lo, &v.hi);
    MPI_Comm c = comm_world();
    return pmc_checkpoint_write_generation(&c, dir, &meta, &v, err);
}

/* The documented checksum (docs/checkpoint-format.md, part 11): the
 * statistics datasets the file has, after the population's parts. */
static uint64_t checksum_with_stats(int with_pstats)
{
    uint64_t h = fnv(documented_checksum(), stats, sizeof stats);
    if (with_pstats)
        h = fnv(h, pstats, sizeof pstats);
    return fnv(h, observed, sizeof observed);
}

static void roundtrip_stats(int with_pstats)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_with_stats(dir, with_pstats, &err), PMC_OK);
    PMC_CHECK(read_u64_attr(path, "checksum") == checksum_with_stats(with_pstats));
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_OK);
    PMC_CHECK_INT(g.n_stats, S);
    PMC_CHECK(g.stats && same_bits(g.stats, stats, N * S));
    PMC_CHECK(g.observed_stats && same_bits(g.observed_stats, observed, S));
    if (with_pstats)
        PMC_CHECK(g.proposal_stats && same_bits(g.proposal_stats, pstats, N * S));
    else
        PMC_CHECK(g.proposal_stats == NULL);
    pmc_generation_free(&g);
    remove_tree(dir);
}

/* Every distance: /stats and /observed_stats, no /proposal_stats. */
PMC_TEST(checkpoint_roundtrip_stats)
{
    roundtrip_stats(0);
}

/* The adaptive distance: /proposal_stats too. */
PMC_TEST(checkpoint_roundtrip_stats_adaptive)
{
    roundtrip_stats(1);
}

/* A file without statistics (written before they were stored always) reads
 * with n_stats 0 and no arrays. */
PMC_TEST(checkpoint_read_without_stats)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_OK);
    PMC_CHECK_INT(g.n_stats, 0);
    PMC_CHECK(!g.stats && !g.proposal_stats && !g.observed_stats);
    pmc_generation_free(&g);
    remove_tree(dir);
}

static void add_observed_stats(hid_t f)
{
    hsize_t dims[1] = {S};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(f, "/observed_stats", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    PMC_CHECK(ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  observed) >= 0);
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(sp);
}

/* The writer stores /observed_stats only with /stats: alone it is damage. */
PMC_TEST(checkpoint_read_observed_stats_without_stats)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(add_observed_stats, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "gen-0003.h5: dataset /observed_stats without /stats");
}

/* Rank 0 flips one bit of the first byte + 3 of a dataset's data, found
 * with H5Dget_offset (contiguous layout; the offset counts the user block),
 * as a disk error would. */
static void flip_data_byte(const char *path, const char *dataset)
{
    if (my_rank() == 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t ds = f >= 0 ? H5Dopen2(f, dataset, H5P_DEFAULT) : -1;
        haddr_t off = ds >= 0 ? H5Dget_offset(ds) : HADDR_UNDEF;
        if (ds >= 0)
            H5Dclose(ds);
        if (f >= 0)
            H5Fclose(f);
        PMC_CHECK(off != HADDR_UNDEF);
        int fd = open(path, O_RDWR);
        unsigned char b = 0;
        PMC_CHECK(fd >= 0 && pread(fd, &b, 1, (off_t)off + 3) == 1);
        b ^= 0x10;
        PMC_CHECK(fd >= 0 && pwrite(fd, &b, 1, (off_t)off + 3) == 1);
        if (fd >= 0)
            close(fd);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Rank 0 gives the file at path a valid digest again (see damage). */
static void reseal(const char *path)
{
    if (my_rank() == 0) {
        pmc_err err = {0};
        PMC_CHECK_INT(pmc_checkpoint_seal(path, &err), PMC_OK);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* The digest catches the flipped bit before libhdf5 opens the file. */
PMC_TEST(checkpoint_read_flipped_theta_byte)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    flip_data_byte(path, "/theta");
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_EINVAL);
    char want[192];
    snprintf(want, sizeof want, "%s: file damaged: digest mismatch (bytes 512..", path);
    PMC_CHECK(strncmp(err.msg, want, strlen(want)) == 0);
    PMC_CHECK(g.theta == NULL);
    pmc_generation_free(&g);
    /* Sealed again (a writer that got the value wrong): the checksum. */
    reseal(path);
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_EINVAL);
    snprintf(want, sizeof want, "%s: checksum mismatch (file damaged?)", path);
    PMC_CHECK(strcmp(err.msg, want) == 0);
    pmc_generation_free(&g);
    remove_tree(dir);
}

/* The header pmcabc writes is the documented one (docs/checkpoint-format.md,
 * "Digest"): FNV-1a 64 of bytes 512..EOF and their count, zero padding. */
static void check_digest_header(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    PMC_CHECK(fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 512);
    if (fd < 0 || sb.st_size <= 512)
        return;
    unsigned char *bytes = malloc((size_t)sb.st_size);
    PMC_CHECK(bytes && pread(fd, bytes, (size_t)sb.st_size, 0) == sb.st_size);
    close(fd);
    if (!bytes)
        return;
    char want[512] = {0};
    snprintf(want, sizeof want, "pmcabc-digest 1\nfnv1a64 %016llx\nbytes %020llu\n",
             (unsigned long long)pmc_checksum_fnv1a(PMC_FNV1A_INIT, bytes + 512,
                                                     (size_t)sb.st_size - 512),
             (unsigned long long)sb.st_size - 512);
    PMC_CHECK(memcmp(bytes, want, sizeof want) == 0);
    PMC_CHECK(memcmp(bytes + 512, "\x89HDF\r\n\x1a\n", 8) == 0);
    free(bytes);
}

PMC_TEST(checkpoint_digest_header_as_documented)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    if (my_rank() == 0)
        check_digest_header(path);
    remove_tree(dir);
}

/* Large files are written collectively over MPI-IO: the same user block. */
PMC_TEST(checkpoint_digest_of_collective_write)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    setenv("PMCABC_COLLECTIVE_IO_MIN_MB", "0", 1);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    unsetenv("PMCABC_COLLECTIVE_IO_MIN_MB");
    if (my_rank() == 0)
        check_digest_header(path);
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_OK);
    pmc_generation_free(&g);
    remove_tree(dir);
}

/* Rank 0 rewrites path from byte `from` on, after `prefix` (n bytes). */
static void rewrite_from(const char *path, const void *prefix, size_t n, off_t from)
{
    if (my_rank() == 0) {
        int fd = open(path, O_RDONLY);
        struct stat sb;
        PMC_CHECK(fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > from);
        size_t rest = fd >= 0 ? (size_t)(sb.st_size - from) : 0;
        unsigned char *bytes = malloc(n + rest);
        PMC_CHECK(bytes && pread(fd, bytes + n, rest, from) == (ssize_t)rest);
        close(fd);
        memcpy(bytes, prefix, n);
        FILE *f = fopen(path, "wb");
        PMC_CHECK(f && fwrite(bytes, 1, n + rest, f) == n + rest && fclose(f) == 0);
        free(bytes);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

static int capture_begin(const char *file);
static const char *capture_end(int saved, const char *file);

/* A file of a pmcabc from before digests (no user block: HDF5 addresses are
 * relative to the superblock, so dropping the block gives one) is read, with
 * a warning; it cannot be sealed, having no room for the header. */
PMC_TEST(checkpoint_read_without_digest)
{
    char dir[64], path[128], log[96];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    rewrite_from(path, "", 0, 512);
    snprintf(log, sizeof log, "%s.rank%d.log", dir, my_rank());
    int saved = capture_begin(log);
    pmc_generation g;
    int st = pmc_checkpoint_read_generation(path, &g, &err);
    const char *warnings = capture_end(saved, log);
    PMC_CHECK_INT(st, PMC_OK);
    PMC_CHECK(g.n == N && g.theta && same_bits(g.theta, theta, N * D));
    pmc_generation_free(&g);
    PMC_CHECK_CONTAINS(warnings, "gen-0003.h5 has no digest header (written by a pmcabc from "
                                 "before digests, or by another program)");
    if (my_rank() == 0) {
        PMC_CHECK_INT(pmc_checkpoint_seal(path, &err), PMC_EINVAL);
        PMC_CHECK_CONTAINS(err.msg, "gen-0003.h5: seal: no HDF5 data after a 512-byte user block");
    }
    remove_tree(dir);
}

/* Rank 0 sets byte `at` of path to b (at = file size: appends it). */
static void poke(const char *path, off_t at, unsigned char b)
{
    if (my_rank() == 0) {
        int fd = open(path, O_WRONLY);
        PMC_CHECK(fd >= 0 && pwrite(fd, &b, 1, at) == 1);
        if (fd >= 0)
            close(fd);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Each part of the header is checked: a character of the digest, of the
 * size, of the padding, of the magic, and a size that is not the file's; a
 * file whose header is gone is refused without libhdf5 too. */
PMC_TEST(checkpoint_read_damaged_digest_header)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    static const struct {
        off_t at; /* -1: one byte appended */
        const char *want;
    } cases[] = {
        {30, "file damaged: its digest header (bytes 0-511) is garbled"},
        {60, "file damaged: its digest header (bytes 0-511) is garbled"},
        {300, "file damaged: its digest header (bytes 0-511) is garbled"},
        {3, "file damaged or not written by pmcabc: HDF5 data after a 512-byte user block "
            "without a pmcabc digest header"},
        {-1, "file damaged (truncated or appended to): "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
        struct stat sb;
        PMC_CHECK(stat(path, &sb) == 0);
        poke(path, cases[i].at < 0 ? sb.st_size : cases[i].at, 'x');
        pmc_generation g;
        PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_EINVAL);
        PMC_CHECK_CONTAINS(err.msg, cases[i].want);
        pmc_generation_free(&g);
    }
    /* The first 520 bytes gone: neither header nor HDF5 signature. */
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    rewrite_from(path, "", 0, 520);
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_read_generation(path, &g, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "gen-0003.h5: not an HDF5 file (no HDF5 signature)");
    pmc_generation_free(&g);
    remove_tree(dir);
}

static void drop_checksum(hid_t f)
{
    PMC_CHECK(H5Adelete(f, "checksum") >= 0);
}

PMC_TEST(checkpoint_read_without_checksum)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(drop_checksum, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "attribute checksum: missing");
}

/* A plausible but changed attribute is caught too: the checksum covers it. */
static void change_seed(hid_t f)
{
    uint64_t v = meta.seed + 1;
    set_attr(f, "seed", H5T_NATIVE_UINT64, &v);
}

PMC_TEST(checkpoint_read_changed_seed)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(change_seed, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "gen-0003.h5: checksum mismatch (file damaged?)");
}

/* --- find_latest ---------------------------------------------------------- */

/* Makes an (empty or bogus) file in dir on rank 0. */
static void touch(const char *dir, const char *name, const char *text)
{
    if (my_rank() == 0) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        FILE *f = fopen(p, "w");
        PMC_CHECK(f != NULL);
        if (f) {
            fputs(text, f);
            fclose(f);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

static int write_generation_n(const char *dir, unsigned gen, pmc_err *err)
{
    pmc_gen_meta m = meta;
    m.generation = gen;
    m.epsilon = epsilons[gen];
    return write_gen_meta(dir, &m, err);
}

/* Sends this process's stderr to file until capture_end. */
static int capture_begin(const char *file)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    PMC_CHECK(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    return saved;
}

/* Restores stderr and returns what was written (static buffer). */
static const char *capture_end(int saved, const char *file)
{
    static char text[8192];
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    text[0] = '\0';
    FILE *f = fopen(file, "r");
    if (f) {
        size_t len = fread(text, 1, sizeof text - 1, f);
        text[len] = '\0';
        fclose(f);
    }
    unlink(file);
    return text;
}

static int count_of(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        c++;
    return c;
}

/* gen 3 truncated, gen 2 with a flipped byte: gen 1 wins, with one warning
 * each; temp, partial and misnamed files are ignored silently. */
PMC_TEST(checkpoint_find_latest_falls_back)
{
    char dir[64], path[128], found[128], log[96];
    pmc_err err = {0};
    shared_tmpdir(dir);
    for (unsigned g = 0; g <= 3; g++)
        PMC_CHECK_INT(write_generation_n(dir, g, &err), PMC_OK);
    snprintf(path, sizeof path, "%s/gen-0003.h5", dir);
    truncate_half(path);
    snprintf(path, sizeof path, "%s/gen-0002.h5", dir);
    flip_data_byte(path, "/theta");
    touch(dir, ".gen-0009.h5.tmp", "half");
    touch(dir, "partial-0009.h5", "bogus");
    touch(dir, "gen-009.h5", "bogus");
    touch(dir, "gen-0009.h5.bak", "bogus");
    touch(dir, "gen-00x9.h5", "bogus");
    snprintf(log, sizeof log, "%s.rank%d.log", dir, my_rank());
    int saved = capture_begin(log);
    pmc_generation g;
    int st = pmc_checkpoint_find_latest(dir, &g, found, sizeof found, &err);
    const char *warnings = capture_end(saved, log);
    PMC_CHECK_INT(st, PMC_OK);
    PMC_CHECK_INT(g.meta.generation, 1);
    snprintf(path, sizeof path, "%s/gen-0001.h5", dir);
    PMC_CHECK(strcmp(found, path) == 0);
    PMC_CHECK(g.n == N && g.epsilons && g.epsilons[1] == epsilons[1]);
    PMC_CHECK_INT(count_of(warnings, "is not usable"), 2);
    PMC_CHECK_CONTAINS(warnings, "gen-0003.h5 is not usable (file damaged (truncated or appended "
                                 "to): ");
    PMC_CHECK_CONTAINS(warnings, "gen-0002.h5 is not usable (file damaged: digest mismatch (");
    PMC_CHECK_CONTAINS(warnings, "); falling back to an older generation");
    pmc_generation_free(&g);
    remove_tree(dir);
}

PMC_TEST(checkpoint_find_latest_empty_dir)
{
    char dir[64], found[128] = "unchanged";
    pmc_err err = {0};
    shared_tmpdir(dir);
    touch(dir, "partial-0000.h5", "");
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_find_latest(dir, &g, found, sizeof found, &err), PMC_ENOTFOUND);
    char want[128];
    snprintf(want, sizeof want, "no valid generation file in %s", dir);
    PMC_CHECK(strcmp(err.msg, want) == 0);
    PMC_CHECK(strcmp(found, "unchanged") == 0);
    pmc_generation_free(&g);
    remove_tree(dir);
}

PMC_TEST(checkpoint_find_latest_missing_dir)
{
    pmc_err err = {0};
    pmc_generation g;
    PMC_CHECK_INT(pmc_checkpoint_find_latest("/nonexistent/ckpt", &g, NULL, 0, &err), PMC_ENOTFOUND);
    PMC_CHECK_CONTAINS(err.msg, "no valid generation file in /nonexistent/ckpt");
    pmc_generation_free(&g);
}

PMC_TEST(checkpoint_find_latest_none_valid)
{
    char dir[64], log[96];
    pmc_err err = {0};
    shared_tmpdir(dir);
    touch(dir, "gen-0000.h5", "not hdf5");
    snprintf(log, sizeof log, "%s.rank%d.log", dir, my_rank());
    int saved = capture_begin(log);
    pmc_generation g;
    int st = pmc_checkpoint_find_latest(dir, &g, NULL, 0, &err);
    const char *warnings = capture_end(saved, log);
    PMC_CHECK_INT(st, PMC_ENOTFOUND);
    PMC_CHECK_CONTAINS(err.msg, "no valid generation file in");
    PMC_CHECK_CONTAINS(err.msg, "(1 gen files not usable)");
    PMC_CHECK_CONTAINS(warnings, "gen-0000.h5 is not usable (not an HDF5 file (no HDF5 signature))");
    PMC_CHECK(g.theta == NULL);
    pmc_generation_free(&g);
    remove_tree(dir);
}

/* A file renamed by hand holds another generation than its name says. */
PMC_TEST(checkpoint_find_latest_rejects_renamed_file)
{
    char dir[64], from[128], to[128], found[128], log[96];
    pmc_err err = {0};
    shared_tmpdir(dir);
    PMC_CHECK_INT(write_generation_n(dir, 1, &err), PMC_OK);
    PMC_CHECK_INT(write_generation_n(dir, 2, &err), PMC_OK);
    if (my_rank() == 0) {
        snprintf(from, sizeof from, "%s/gen-0002.h5", dir);
        snprintf(to, sizeof to, "%s/gen-0005.h5", dir);
        PMC_CHECK(rename(from, to) == 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    snprintf(log, sizeof log, "%s.rank%d.log", dir, my_rank());
    int saved = capture_begin(log);
    pmc_generation g;
    int st = pmc_checkpoint_find_latest(dir, &g, found, sizeof found, &err);
    const char *warnings = capture_end(saved, log);
    PMC_CHECK_INT(st, PMC_OK);
    PMC_CHECK_INT(g.meta.generation, 1);
    PMC_CHECK_CONTAINS(warnings, "gen-0005.h5 is not usable (holds generation 2, its name says 5)");
    pmc_generation_free(&g);
    remove_tree(dir);
}

/* --- partial files -------------------------------------------------------- */

static const uint64_t all_slots[N] = {0, 1, 2, 3, 4};
static const uint64_t odd_slots[3] = {0, 2, 4};
static const uint64_t n_sims[N] = {7, 1, 123456789012345ULL, 2, 9};
static const uint64_t rejected[N] = {0, 41, 0, 9876543210ULL, 0};

static pmc_partial_view partial_view(size_t k, const uint64_t *slots)
{
    pmc_partial_view v = {
        .generation = GEN, .epsilon = 0.875, .seed = meta.seed, .n = N, .d = D, .k = k,
        .slots = slots, .theta = theta, .distances = distances, .n_sims = n_sims,
        .rejected = rejected, .model_digest = 77, .config_text = config,
    };
    my_block(k, &v.lo, &v.hi);
    return v;
}

static int write_partial(const char *dir, const pmc_partial_view *v, pmc_err *err)
{
    MPI_Comm c = comm_world();
    return pmc_checkpoint_write_partial(&c, dir, v, err);
}

static void partial_path(char *buf, size_t size, const char *dir)
{
    snprintf(buf, size, "%s/partial-%04d.h5", dir, GEN);
}

/* Writes k slots, reads them back and compares bit for bit. */
static void partial_round_trip(size_t k, const uint64_t *slots)
{
    char dir[64], path[128], listing[512];
    pmc_err err = {0};
    shared_tmpdir(dir);
    partial_path(path, sizeof path, dir);
    pmc_partial_view v = partial_view(k, slots);
    PMC_CHECK_INT(write_partial(dir, &v, &err), PMC_OK);
    list_dir(dir, listing, sizeof listing);
    PMC_CHECK(strcmp(listing, "partial-0003.h5") == 0);
    pmc_partial p;
    PMC_CHECK_INT(pmc_checkpoint_read_partial(path, &p, &err), PMC_OK);
    PMC_CHECK_INT(p.generation, GEN);
    PMC_CHECK(same_bits(&p.epsilon, &v.epsilon, 1));
    PMC_CHECK(p.seed == meta.seed);
    PMC_CHECK_INT(p.n, N);
    PMC_CHECK_INT(p.d, D);
    PMC_CHECK_INT(p.k, k);
    PMC_CHECK(p.slots && p.theta && p.distances && p.n_sims); /* also for k = 0 */
    PMC_CHECK(p.rejected && memcmp(p.rejected, rejected, sizeof rejected) == 0);
    PMC_CHECK(p.model_digest == 77);
    PMC_CHECK_INT(p.build.stream_version, PMC_STREAM_VERSION);
    if (p.k == k && k > 0) {
        PMC_CHECK(memcmp(p.slots, slots, k * sizeof *slots) == 0);
        PMC_CHECK(same_bits(p.theta, theta, k * D));
        PMC_CHECK(same_bits(p.distances, distances, k));
        PMC_CHECK(memcmp(p.n_sims, n_sims, k * sizeof *n_sims) == 0);
    }
    PMC_CHECK(p.config_text && strcmp(p.config_text, config) == 0);
    pmc_partial_free(&p);
    remove_tree(dir);
}

PMC_TEST(checkpoint_partial_roundtrip)
{
    partial_round_trip(3, odd_slots);
}

/* A partial file keeps its done slots' /stats (k rows of S), without
 * /proposal_stats unless the distance is adaptive. */
PMC_TEST(checkpoint_partial_roundtrip_stats)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    partial_path(path, sizeof path, dir);
    pmc_partial_view v = partial_view(3, odd_slots);
    v.n_stats = S;
    v.stats = stats;
    PMC_CHECK_INT(write_partial(dir, &v, &err), PMC_OK);
    pmc_partial p;
    PMC_CHECK_INT(pmc_checkpoint_read_partial(path, &p, &err), PMC_OK);
    PMC_CHECK_INT(p.n_stats, S);
    PMC_CHECK(p.stats && same_bits(p.stats, stats, 3 * S));
    PMC_CHECK(p.proposal_stats == NULL);
    pmc_partial_free(&p);
    remove_tree(dir);
}

PMC_TEST(checkpoint_partial_roundtrip_empty)
{
    partial_round_trip(0, NULL);
}

PMC_TEST(checkpoint_partial_roundtrip_full)
{
    partial_round_trip(N, all_slots);
}

/* Writes a view that must be rejected on every rank, leaving no file. */
static void partial_rejected(const pmc_partial_view *v, const char *message)
{
    char dir[64], listing[512];
    pmc_err err = {0};
    shared_tmpdir(dir);
    PMC_CHECK_INT(write_partial(dir, v, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, message);
    list_dir(dir, listing, sizeof listing);
    PMC_CHECK_INT(strlen(listing), 0);
    remove_tree(dir);
}

PMC_TEST(checkpoint_partial_rejects_unsorted_slots)
{
    static const uint64_t unsorted[3] = {0, 4, 2};
    pmc_partial_view v = partial_view(3, unsorted);
    partial_rejected(&v, "partial-0003.h5: slots[2] = 2 after 4: expected strictly ascending slots");
}

PMC_TEST(checkpoint_partial_rejects_repeated_slot)
{
    static const uint64_t repeated[3] = {1, 1, 2};
    pmc_partial_view v = partial_view(3, repeated);
    partial_rejected(&v, "slots[1] = 1 after 1: expected strictly ascending slots");
}

PMC_TEST(checkpoint_partial_rejects_slot_out_of_range)
{
    static const uint64_t beyond[2] = {1, N};
    pmc_partial_view v = partial_view(2, beyond);
    partial_rejected(&v, "slots[1] = 5: expected below n_particles 5");
}

PMC_TEST(checkpoint_partial_rejects_k_above_n)
{
    static const uint64_t many[N + 1] = {0, 1, 2, 3, 4, 5};
    pmc_partial_view v = partial_view(N + 1, many);
    partial_rejected(&v, "6 slots done: expected at most n_particles 5");
}

PMC_TEST(checkpoint_read_partial_missing)
{
    pmc_err err = {0};
    pmc_partial p;
    PMC_CHECK_INT(pmc_checkpoint_read_partial("/nonexistent/partial-0000.h5", &p, &err),
                  PMC_ENOTFOUND);
    PMC_CHECK_CONTAINS(err.msg, "/nonexistent/partial-0000.h5: open: No such file or directory");
    pmc_partial_free(&p);
}

/* Writes the 3-slot partial, damages it with fn(path), reads it back. */
static int read_damaged_partial(void (*fn)(const char *path), pmc_err *err)
{
    char dir[64], path[128];
    shared_tmpdir(dir);
    partial_path(path, sizeof path, dir);
    pmc_partial_view v = partial_view(3, odd_slots);
    PMC_CHECK_INT(write_partial(dir, &v, err), PMC_OK);
    fn(path);
    pmc_partial p;
    int st = pmc_checkpoint_read_partial(path, &p, err);
    PMC_CHECK(p.slots == NULL && p.config_text == NULL); /* nothing half-filled */
    pmc_partial_free(&p);
    remove_tree(dir);
    return st;
}

static void flip_partial_theta(const char *path)
{
    flip_data_byte(path, "/theta");
}

static void flip_partial_theta_resealed(const char *path)
{
    flip_data_byte(path, "/theta");
    reseal(path);
}

PMC_TEST(checkpoint_read_partial_flipped_byte)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged_partial(flip_partial_theta, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "partial-0003.h5: file damaged: digest mismatch (");
    PMC_CHECK_INT(read_damaged_partial(flip_partial_theta_resealed, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "partial-0003.h5: checksum mismatch (file damaged?)");
}

static void flip_partial_slots(const char *path)
{
    flip_data_byte(path, "/slots");
}

static void flip_partial_slots_resealed(const char *path)
{
    flip_data_byte(path, "/slots");
    reseal(path);
}

PMC_TEST(checkpoint_read_partial_flipped_slot)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged_partial(flip_partial_slots, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "partial-0003.h5: file damaged: digest mismatch (");
    PMC_CHECK_INT(read_damaged_partial(flip_partial_slots_resealed, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "partial-0003.h5: checksum mismatch (file damaged?)");
}

PMC_TEST(checkpoint_read_partial_truncated)
{
    pmc_err err = {0};
    int st = read_damaged_partial(truncate_half, &err);
    PMC_CHECK(st == PMC_EIO || st == PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "partial-0003.h5: ");
}

PMC_TEST(checkpoint_read_partial_of_gen_file)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    pmc_partial p;
    PMC_CHECK_INT(pmc_checkpoint_read_partial(path, &p, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "gen-0003.h5: attribute kind: missing");
    pmc_partial_free(&p);
    remove_tree(dir);
}

/* --- cleanup -------------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Directory entries, sorted, joined by spaces (readdir order is arbitrary). */
static void list_sorted(const char *dir, char *out, size_t size)
{
    char raw[1024], *names[64];
    size_t count = 0;
    list_dir(dir, raw, sizeof raw);
    for (char *tok = strtok(raw, " "); tok && count < 64; tok = strtok(NULL, " "))
        names[count++] = tok;
    qsort(names, count, sizeof *names, compare_names);
    out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", names[i]);
    }
}

/* Cleanup looks at names only, so empty files stand in for real ones. */
static void make_cleanup_dir(const char *dir)
{
    static const char *const files[] = {
        "gen-0000.h5", "gen-0001.h5", "gen-0002.h5", "gen-0003.h5", "gen-0004.h5",
        "partial-0002.h5", "partial-0004.h5", "partial-0005.h5", ".gen-0005.h5.tmp",
        ".partial-0005.h5.tmp", "notes.txt", "gen-0001.h5.bak", "gen-01.h5", ".gen-x.h5.tmp",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        touch(dir, files[i], "");
}

PMC_TEST(checkpoint_cleanup_keeps_all_generations)
{
    char dir[64], listing[1024];
    shared_tmpdir(dir);
    make_cleanup_dir(dir);
    if (my_rank() == 0) {
        pmc_rundir_cleanup(dir, 4, 0);
        list_sorted(dir, listing, sizeof listing);
        PMC_CHECK_CONTAINS(listing, ".gen-x.h5.tmp gen-0000.h5 gen-0001.h5 gen-0001.h5.bak "
                                    "gen-0002.h5 gen-0003.h5 gen-0004.h5 gen-01.h5 notes.txt "
                                    "partial-0005.h5");
        PMC_CHECK_INT(strlen(listing), strlen(".gen-x.h5.tmp gen-0000.h5 gen-0001.h5 "
                                              "gen-0001.h5.bak gen-0002.h5 gen-0003.h5 "
                                              "gen-0004.h5 gen-01.h5 notes.txt partial-0005.h5"));
    }
    remove_tree(dir);
}

PMC_TEST(checkpoint_cleanup_keeps_last_two)
{
    char dir[64], listing[1024];
    shared_tmpdir(dir);
    make_cleanup_dir(dir);
    if (my_rank() == 0) {
        pmc_rundir_cleanup(dir, 4, 2);
        list_sorted(dir, listing, sizeof listing);
        const char *want = ".gen-x.h5.tmp gen-0001.h5.bak gen-0003.h5 gen-0004.h5 gen-01.h5 "
                           "notes.txt partial-0005.h5";
        PMC_CHECK(strcmp(listing, want) == 0);
        if (strcmp(listing, want) != 0)
            fprintf(stderr, "directory holds: %s\n", listing);
        /* keep_last above the number of generations removes no generation. */
        pmc_rundir_cleanup(dir, 1, 3);
        list_sorted(dir, listing, sizeof listing);
        PMC_CHECK(strcmp(listing, want) == 0);
    }
    remove_tree(dir);
}

const pmc_test_case pmc_tests_checkpoint[] = {
    PMC_TEST_ENTRY(checkpoint_roundtrip_values),
    PMC_TEST_ENTRY(checkpoint_leaves_only_gen_file),
    PMC_TEST_ENTRY(checkpoint_overwrites_stale_temp_and_gen),
    PMC_TEST_ENTRY(checkpoint_write_into_file_fails),
    PMC_TEST_ENTRY(checkpoint_write_rejects_bad_block),
    PMC_TEST_ENTRY(checkpoint_prepare_dir_creates_parents),
    PMC_TEST_ENTRY(checkpoint_prepare_dir_on_file_fails),
    PMC_TEST_ENTRY(checkpoint_prepare_dir_permission_denied),
    PMC_TEST_ENTRY(checkpoint_read_missing_file),
    PMC_TEST_ENTRY(checkpoint_read_non_hdf5),
    PMC_TEST_ENTRY(checkpoint_read_truncated),
    PMC_TEST_ENTRY(checkpoint_read_without_format_version),
    PMC_TEST_ENTRY(checkpoint_read_future_format_version),
    PMC_TEST_ENTRY(checkpoint_read_format_version_1),
    PMC_TEST_ENTRY(checkpoint_read_theta_wrong_shape),
    PMC_TEST_ENTRY(checkpoint_read_theta_wrong_rank),
    PMC_TEST_ENTRY(checkpoint_read_theta_integer),
    PMC_TEST_ENTRY(checkpoint_read_missing_weights),
    PMC_TEST_ENTRY(checkpoint_read_inconsistent_n_params),
    PMC_TEST_ENTRY(checkpoint_read_missing_seed),
    PMC_TEST_ENTRY(checkpoint_read_huge_n_particles),
    PMC_TEST_ENTRY(checkpoint_read_nan_acceptance_rate),
    PMC_TEST_ENTRY(checkpoint_fnv1a_known_values),
    PMC_TEST_ENTRY(checkpoint_checksum_attribute_as_documented),
    PMC_TEST_ENTRY(checkpoint_read_flipped_theta_byte),
    PMC_TEST_ENTRY(checkpoint_digest_header_as_documented),
    PMC_TEST_ENTRY(checkpoint_digest_of_collective_write),
    PMC_TEST_ENTRY(checkpoint_read_without_digest),
    PMC_TEST_ENTRY(checkpoint_read_damaged_digest_header),
    PMC_TEST_ENTRY(checkpoint_read_refuses_links_and_special_files),
    PMC_TEST_ENTRY(checkpoint_read_without_checksum),
    PMC_TEST_ENTRY(checkpoint_read_changed_seed),
    PMC_TEST_ENTRY(checkpoint_find_latest_falls_back),
    PMC_TEST_ENTRY(checkpoint_find_latest_empty_dir),
    PMC_TEST_ENTRY(checkpoint_find_latest_missing_dir),
    PMC_TEST_ENTRY(checkpoint_find_latest_none_valid),
    PMC_TEST_ENTRY(checkpoint_find_latest_rejects_renamed_file),
    PMC_TEST_ENTRY(checkpoint_roundtrip_stats),
    PMC_TEST_ENTRY(checkpoint_roundtrip_stats_adaptive),
    PMC_TEST_ENTRY(checkpoint_read_without_stats),
    PMC_TEST_ENTRY(checkpoint_read_observed_stats_without_stats),
    PMC_TEST_ENTRY(checkpoint_partial_roundtrip),
    PMC_TEST_ENTRY(checkpoint_partial_roundtrip_stats),
    PMC_TEST_ENTRY(checkpoint_partial_roundtrip_empty),
    PMC_TEST_ENTRY(checkpoint_partial_roundtrip_full),
    PMC_TEST_ENTRY(checkpoint_partial_rejects_unsorted_slots),
    PMC_TEST_ENTRY(checkpoint_partial_rejects_repeated_slot),
    PMC_TEST_ENTRY(checkpoint_partial_rejects_slot_out_of_range),
    PMC_TEST_ENTRY(checkpoint_partial_rejects_k_above_n),
    PMC_TEST_ENTRY(checkpoint_read_partial_missing),
    PMC_TEST_ENTRY(checkpoint_read_partial_flipped_byte),
    PMC_TEST_ENTRY(checkpoint_read_partial_flipped_slot),
    PMC_TEST_ENTRY(checkpoint_read_partial_truncated),
    PMC_TEST_ENTRY(checkpoint_read_partial_of_gen_file),
    PMC_TEST_ENTRY(checkpoint_cleanup_keeps_all_generations),
    PMC_TEST_ENTRY(checkpoint_cleanup_keeps_last_two),
    {NULL, NULL},
};

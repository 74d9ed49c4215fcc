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
#include "pmc_test.h"

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

/* Writes the known generation; each rank its block r n / P .. (r+1) n / P. */
static int write_known(const char *dir, pmc_err *err)
{
    int r = 0, p = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    pmc_population_view v = {
        .n = N, .d = D, .lo = (size_t)r * N / p, .hi = (size_t)(r + 1) * N / p,
        .theta = theta, .weights = weights, .distances = distances, .epsilons = epsilons,
        .param_names = names, .config_text = config,
    };
    MPI_Comm c = comm_world();
    return pmc_checkpoint_write_generation(&c, dir, &meta, &v, err);
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

/* Rank 0 changes the written file with raw HDF5 (as a foreign tool would). */
typedef void (*damage_fn)(hid_t file);

static void damage(const char *path, damage_fn fn)
{
    if (my_rank() == 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        PMC_CHECK(f >= 0);
        fn(f);
        H5Fclose(f);
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
    PMC_CHECK_INT(g.format_version, PMC_CHECKPOINT_FORMAT_VERSION);
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
    PMC_CHECK_INT(pmc_checkpoint_write_generation(&c, dir, &meta, &v, &err), PMC_EINVAL);
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
        PMC_CHECK_INT(pmc_checkpoint_prepare_dir(nested, &err), PMC_OK);
        PMC_CHECK_INT(pmc_checkpoint_prepare_dir(nested, &err), PMC_OK); /* idempotent */
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
        PMC_CHECK_INT(pmc_checkpoint_prepare_dir(file, &err), PMC_EIO);
        PMC_CHECK_CONTAINS(err.msg, "/f exists but is not a directory");
        snprintf(below, sizeof below, "%s/sub", file);
        PMC_CHECK_INT(pmc_checkpoint_prepare_dir(below, &err), PMC_EIO);
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
        PMC_CHECK_INT(pmc_checkpoint_prepare_dir(sub, &err), PMC_EIO);
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

PMC_TEST(checkpoint_read_truncated)
{
    char dir[64], path[128];
    pmc_err err = {0};
    shared_tmpdir(dir);
    gen_path(path, sizeof path, dir);
    PMC_CHECK_INT(write_known(dir, &err), PMC_OK);
    if (my_rank() == 0) {
        struct stat st;
        PMC_CHECK(stat(path, &st) == 0);
        PMC_CHECK(truncate(path, st.st_size / 2) == 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    pmc_generation g;
    int rc = pmc_checkpoint_read_generation(path, &g, &err);
    PMC_CHECK(rc == PMC_EIO || rc == PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, path);
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

static void set_format_version_2(hid_t f)
{
    uint32_t v = 2;
    set_attr(f, "format_version", H5T_NATIVE_UINT32, &v);
}

PMC_TEST(checkpoint_read_future_format_version)
{
    pmc_err err = {0};
    PMC_CHECK_INT(read_damaged(set_format_version_2, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "format_version 2: this pmcabc reads version 1");
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
    PMC_TEST_ENTRY(checkpoint_read_theta_wrong_shape),
    PMC_TEST_ENTRY(checkpoint_read_theta_wrong_rank),
    PMC_TEST_ENTRY(checkpoint_read_theta_integer),
    PMC_TEST_ENTRY(checkpoint_read_missing_weights),
    PMC_TEST_ENTRY(checkpoint_read_inconsistent_n_params),
    PMC_TEST_ENTRY(checkpoint_read_missing_seed),
    PMC_TEST_ENTRY(checkpoint_read_huge_n_particles),
    PMC_TEST_ENTRY(checkpoint_read_nan_acceptance_rate),
    {NULL, NULL},
};

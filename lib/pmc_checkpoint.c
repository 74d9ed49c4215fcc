/* Checkpoint files: the only module that calls HDF5.
 *
 * Two kinds of file, both committed atomically: gen-NNNN.h5 (a finished
 * generation) and partial-NNNN.h5 (the slots of a generation finished so
 * far). A small file (below CKPT_COLLECTIVE_MIN_MB) is written by rank 0
 * alone with HDF5's default driver while the others wait for its status; a
 * large one collectively over parallel HDF5 (MPI-IO), every rank writing its
 * own row block with collective transfers. Either way the root attributes
 * carry an FNV-1a checksum of the content, and rank 0 commits the file
 * (digest into the user block, fsync, rename, fsync dir). Reading verifies
 * the whole-file digest before libhdf5 opens the file, is serial (default
 * sec2 driver), validates the whole layout before it allocates anything and
 * verifies the checksum last. Layout: docs/checkpoint-format.md. */
#include "pmc_checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "pmc_log.h"
#include "pmc_schedule.h"
#include "pmc_version.h"

/* Bounds that keep every size product (n * d * 8 bytes) far from overflow
 * and reject files whose attributes are nonsense before we allocate. */
#define CKPT_MAX_PARTICLES ((uint64_t)1 << 40)
#define CKPT_MAX_PARAMS ((uint64_t)1 << 20)
#define CKPT_MAX_GENERATION ((uint64_t)1 << 24)

/* Four required datasets per file kind, the optional /stats and
 * /proposal_stats (the latter with the adaptive distance only), then a
 * generation file's /observed_stats or a partial file's /rejected (name
 * NULL when absent). */
#define CKPT_NDATASETS 7
#define CKPT_MAX_STATS PMC_CHECKPOINT_MAX_STATS

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

/* fsync of a directory, so that a rename or removal in it survives a power
 * loss. Returns 0 or an errno value. EINVAL means the file system cannot sync
 * directories (some network file systems); there is nothing more we could
 * do, so it is not an error. */
static int fsync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return errno;
    int rc = fsync(dfd) == 0 || errno == EINVAL ? 0 : errno;
    close(dfd);
    return rc;
}

/* ------------------------------------------------------------------------
 * Checksums
 * ------------------------------------------------------------------------ */

/* Hashes v as `size` little-endian bytes whatever the host byte order, so
 * the checksum is over the bytes as the file stores them (all little-endian)
 * and h5py can recompute it from the datasets' raw bytes. */
static uint64_t fnv_le(uint64_t h, uint64_t v, size_t size)
{
    unsigned char b[8];
    for (size_t i = 0; i < size; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return pmc_checksum_fnv1a(h, b, size);
}

static uint64_t fnv_u64s(uint64_t h, const uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = fnv_le(h, v[i], 8);
    return h;
}

/* IEEE 754 binary64 bit patterns, so -0.0, NaN payloads and inf count. */
static uint64_t fnv_f64s(uint64_t h, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        h = fnv_le(h, bits, 8);
    }
    return h;
}

/* Checksum of a generation file (docs/checkpoint-format.md, "Checksums"):
 * the datasets in this order, then the attributes that identify the
 * population, each at its file width. */
/* The build identity (stream_version, model_digest) is not covered: a
 * damaged value can only make a resume refuse the file, never accept a
 * foreign one, and the checksums of format 1 and 2 stay valid. */
static uint64_t gen_checksum(const pmc_gen_meta *m, const pmc_population_view *p)
{
    uint64_t h = PMC_FNV1A_INIT;
    h = fnv_f64s(h, p->theta, p->n * p->d);
    h = fnv_f64s(h, p->weights, p->n);
    h = fnv_f64s(h, p->distances, p->n);
    h = fnv_f64s(h, p->epsilons, (size_t)m->generation + 1);
    h = fnv_le(h, m->generation, 4);
    h = fnv_f64s(h, &m->epsilon, 1);
    h = fnv_le(h, m->n_simulations, 8);
    h = fnv_le(h, m->seed, 8);
    h = fnv_le(h, p->n, 8);
    h = fnv_le(h, p->d, 4);
    /* Files without statistics keep the checksum of format version 1, and
     * each optional dataset counts only when present, so the files written
     * before /stats was stored always (adaptive distance only, no
     * /observed_stats) keep theirs. */
    if (p->n_stats) {
        h = fnv_f64s(h, p->stats, p->n * p->n_stats);
        if (p->proposal_stats)
            h = fnv_f64s(h, p->proposal_stats, p->n * p->n_stats);
        if (p->observed_stats)
            h = fnv_f64s(h, p->observed_stats, p->n_stats);
    }
    return h;
}

/* Checksum of a partial file, built the same way. */
static uint64_t partial_checksum(const pmc_partial_view *p)
{
    uint64_t h = PMC_FNV1A_INIT;
    h = fnv_u64s(h, p->slots, p->k);
    h = fnv_f64s(h, p->theta, p->k * p->d);
    h = fnv_f64s(h, p->distances, p->k);
    h = fnv_u64s(h, p->n_sims, p->k);
    h = fnv_le(h, p->generation, 4);
    h = fnv_f64s(h, &p->epsilon, 1);
    h = fnv_le(h, p->seed, 8);
    h = fnv_le(h, p->n, 8);
    h = fnv_le(h, p->d, 4);
    h = fnv_le(h, p->k, 8);
    if (p->n_stats) {
        h = fnv_f64s(h, p->stats, p->k * p->n_stats);
        if (p->proposal_stats)
            h = fnv_f64s(h, p->proposal_stats, p->k * p->n_stats);
    }
    if (p->rejected) /* format 3 */
        h = fnv_u64s(h, p->rejected, p->n);
    return h;
}

/* ------------------------------------------------------------------------
 * Whole-file digest (docs/checkpoint-format.md, "Digest")
 * ------------------------------------------------------------------------
 * Every file pmcabc writes starts with an HDF5 user block of 512 bytes
 * (H5Pset_userblock). HDF5 puts its superblock after it, and every HDF5
 * reader, h5py included, looks for the superblock at byte 0, 512, 1024, ...
 * (HDF5 File Format Specification, "Format Signature and Superblock"), so
 * the user block is invisible to them. After the file is closed, the commit
 * writes into the user block a text header with the FNV-1a 64 of bytes
 * 512..EOF and their count. Readers verify both on the raw bytes before
 * libhdf5 sees the file: a truncated, half-copied, bit-flipped or hand-edited
 * file is rejected by this code instead of reaching libhdf5 1.10.8's
 * parsers, which overflow a heap buffer or loop forever on some damaged
 * files (found by tests/fuzz). A user block rather than a sidecar file: one
 * file per generation, so a copy, a rename or keep_last's cleanup can never
 * separate data and digest, and the commit keeps its single rename.
 *
 * Header (bytes 0..511; the rest of the block is zero):
 *   "pmcabc-digest 1\n" "fnv1a64 <16 lower-case hex digits>\n"
 *   "bytes <20 decimal digits>\n"
 * A file without it that starts with the HDF5 signature was written before
 * digests existed (or by another program): it is still read, unverified, after
 * the global heap pre-check below. */
#define DIGEST_BLOCK 512
#define DIGEST_MAGIC "pmcabc-digest 1\n"
#define DIGEST_HEX_AT 24   /* after the magic and "fnv1a64 " */
#define DIGEST_BYTES_AT 47 /* after "\nbytes " */

/* The HDF5 format signature (File Format Specification, "Superblock"). */
static const unsigned char hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static void digest_header(unsigned char out[DIGEST_BLOCK], uint64_t digest, uint64_t bytes)
{
    memset(out, 0, DIGEST_BLOCK);
    snprintf((char *)out, DIGEST_BLOCK, DIGEST_MAGIC "fnv1a64 %016llx\nbytes %020llu\n",
             (unsigned long long)digest, (unsigned long long)bytes);
}

/* Parses a header written by digest_header; 0 if every one of its 512 bytes
 * is exactly what digest_header gives for the values read, -1 otherwise. */
static int digest_parse(const unsigned char h[DIGEST_BLOCK], uint64_t *digest, uint64_t *bytes)
{
    uint64_t d = 0, n = 0;
    for (int i = 0; i < 16; i++) {
        int c = h[DIGEST_HEX_AT + i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        d = d << 4 | (uint64_t)v;
    }
    for (int i = 0; i < 20; i++) {
        int c = h[DIGEST_BYTES_AT + i];
        if (c < '0' || c > '9' || n > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
            return -1;
        n = n * 10 + (uint64_t)(c - '0');
    }
    unsigned char again[DIGEST_BLOCK];
    digest_header(again, d, n);
    if (memcmp(again, h, DIGEST_BLOCK) != 0)
        return -1;
    *digest = d;
    *bytes = n;
    return 0;
}

/* FNV-1a 64 of the `bytes` bytes after the user block of the file open as fd. */
static int digest_of(int fd, const char *path, uint64_t bytes, uint64_t *out, pmc_err *err)
{
    enum { CHUNK = 1 << 16 };
    unsigned char buf[CHUNK];
    uint64_t h = PMC_FNV1A_INIT, done = 0;
    while (done < bytes) {
        size_t want = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
        ssize_t got = pread(fd, buf, want, (off_t)(DIGEST_BLOCK + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return pmc_err_set(err, PMC_EIO, "%s: read: %s", path,
                               got < 0 ? strerror(errno) : "file shrank while being read");
        h = pmc_checksum_fnv1a(h, buf, (size_t)got);
        done += (uint64_t)got;
    }
    *out = h;
    return PMC_OK;
}

/* Writes the digest header into the reserved user block of the file open
 * read-write as fd (size bytes, HDF5 data from byte 512). The writer's
 * commit calls it on the temporary file before the fsync. */
static int digest_seal(int fd, const char *path, uint64_t size, pmc_err *err)
{
    unsigned char sig[sizeof hdf5_signature];
    if (size < DIGEST_BLOCK + sizeof sig ||
        pread(fd, sig, sizeof sig, DIGEST_BLOCK) != (ssize_t)sizeof sig ||
        memcmp(sig, hdf5_signature, sizeof sig) != 0)
        return pmc_err_set(err, PMC_EINVAL, "%s: seal: no HDF5 data after a %d-byte user block",
                           path, DIGEST_BLOCK);
    uint64_t digest = 0, bytes = size - DIGEST_BLOCK;
    int st = digest_of(fd, path, bytes, &digest, err);
    if (st != PMC_OK)
        return st;
    unsigned char header[DIGEST_BLOCK];
    digest_header(header, digest, bytes);
    ssize_t put = pwrite(fd, header, sizeof header, 0);
    if (put != (ssize_t)sizeof header)
        return pmc_err_set(err, PMC_EIO, "%s: write digest: %s", path,
                           put < 0 ? strerror(errno) : "short write");
    return PMC_OK;
}

/* Contract: see pmc_checkpoint.h. */
int pmc_checkpoint_seal(const char *path, pmc_err *err)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return pmc_err_set(err, PMC_EIO, "%s: open: %s", path, strerror(errno));
    struct stat sb;
    int st = fstat(fd, &sb) != 0 ? pmc_err_set(err, PMC_EIO, "%s: stat: %s", path, strerror(errno))
                                 : digest_seal(fd, path, (uint64_t)sb.st_size, err);
    if (st == PMC_OK && fsync(fd) != 0)
        st = pmc_err_set(err, PMC_EIO, "%s: fsync: %s", path, strerror(errno));
    if (close(fd) != 0 && st == PMC_OK)
        st = pmc_err_set(err, PMC_EIO, "%s: close: %s", path, strerror(errno));
    return st;
}

/* The one check of a file's digest, for every reader (resume, run's partial
 * files, inspect): on the raw bytes of the file open as fd (size bytes),
 * before libhdf5 opens it. PMC_OK with *has_digest 1: the bytes are the ones
 * pmcabc sealed. PMC_OK with *has_digest 0: no header, HDF5 signature at byte
 * 0 (a file of an older pmcabc or another program). PMC_EINVAL "PATH: file
 * damaged: ..." for a damaged or foreign file; PMC_EIO if it cannot be read. */
static int digest_verify(int fd, const char *path, uint64_t size, int *has_digest, pmc_err *err)
{
    *has_digest = 0;
    unsigned char head[DIGEST_BLOCK + sizeof hdf5_signature];
    size_t want = size < sizeof head ? (size_t)size : sizeof head;
    ssize_t got = want ? pread(fd, head, want, 0) : 0;
    if (got < 0)
        return pmc_err_set(err, PMC_EIO, "%s: read: %s", path, strerror(errno));
    size_t have = (size_t)got;
    size_t lm = sizeof DIGEST_MAGIC - 1, ls = sizeof hdf5_signature;
    if (have >= ls && memcmp(head, hdf5_signature, ls) == 0)
        return PMC_OK; /* no user block: written without a digest */
    if (have < lm || memcmp(head, DIGEST_MAGIC, lm) != 0) {
        if (have == sizeof head && memcmp(head + DIGEST_BLOCK, hdf5_signature, ls) == 0)
            return pmc_err_set(err, PMC_EINVAL, "%s: file damaged or not written by pmcabc: HDF5 "
                               "data after a %d-byte user block without a pmcabc digest header",
                               path, DIGEST_BLOCK);
        /* The message readers gave before digests existed. */
        return pmc_err_set(err, PMC_EINVAL, "%s: not an HDF5 file (no HDF5 signature)", path);
    }
    uint64_t stored = 0, bytes = 0, computed = 0;
    if (have < DIGEST_BLOCK || digest_parse(head, &stored, &bytes) != 0)
        return pmc_err_set(err, PMC_EINVAL, "%s: file damaged: its digest header (bytes 0-%d) is "
                           "%s", path, DIGEST_BLOCK - 1, have < DIGEST_BLOCK ? "cut short" : "garbled");
    if (size - DIGEST_BLOCK != bytes)
        return pmc_err_set(err, PMC_EINVAL, "%s: file damaged (truncated or appended to): %llu "
                           "bytes after its digest header, which says %llu", path,
                           (unsigned long long)(size - DIGEST_BLOCK), (unsigned long long)bytes);
    int st = digest_of(fd, path, bytes, &computed, err);
    if (st != PMC_OK)
        return st;
    /* Compared as numbers, never as text: a fuzzer's comparison hooks could
     * otherwise copy the computed digest into the header. */
    if (computed != stored)
        return pmc_err_set(err, PMC_EINVAL, "%s: file damaged: digest mismatch (bytes %d..%llu "
                           "hash to %016llx, its header says %016llx)", path, DIGEST_BLOCK,
                           (unsigned long long)size, (unsigned long long)computed,
                           (unsigned long long)stored);
    *has_digest = 1;
    return PMC_OK;
}

/* Slots of a partial generation: inside the generation and strictly
 * ascending, so each slot is done at most once. Writer and reader. */
static int check_slots(const char *path, const uint64_t *slots, size_t k, size_t n, pmc_err *err)
{
    for (size_t i = 0; i < k; i++) {
        if (slots[i] >= n)
            return pmc_err_set(err, PMC_EINVAL, "%s: slots[%zu] = %llu: expected below n_particles %zu",
                               path, i, (unsigned long long)slots[i], n);
        if (i > 0 && slots[i] <= slots[i - 1])
            return pmc_err_set(err, PMC_EINVAL,
                               "%s: slots[%zu] = %llu after %llu: expected strictly ascending slots",
                               path, i, (unsigned long long)slots[i],
                               (unsigned long long)slots[i - 1]);
    }
    return PMC_OK;
}

/* ------------------------------------------------------------------------
 * Collective writer
 * ------------------------------------------------------------------------ */

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
    h5_quiet();
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
    return check_slots(w->path, p->slots, p->k, p->n, e);
}

/* ---- Test-only fault injection (docs/reliability.md) -------------------
 * PMC_TEST_FAIL_AT=reserve|write|close|fsync|rename|fsync_dir makes that
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
    int a = snprintf(w->path, sizeof w->path, "%s/%s-%04u.h5", w->dir, kind, generation);
    /* Leading dot and .tmp suffix: never matches gen-NNNN.h5 or
     * partial-NNNN.h5, so a scan for them cannot pick up a half-written file. */
    int b = snprintf(w->tmp, sizeof w->tmp, "%s/.%s-%04u.h5.tmp", w->dir, kind, generation);
    if (a < 0 || b < 0 || a >= (int)sizeof w->path || b >= (int)sizeof w->tmp)
        return pmc_err_set(&w->e, PMC_EINVAL, "%s: checkpoint directory path too long", w->dir);
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
    w->fcpl = H5Pcreate(H5P_FILE_CREATE);
    w->fapl = H5Pcreate(H5P_FILE_ACCESS);
    w->dcpl = H5Pcreate(H5P_DATASET_CREATE);
    w->dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (w->fcpl < 0 || w->fapl < 0 || w->dcpl < 0 || w->dxpl < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "create property lists");
    /* The user block the commit fills with the digest header (digest_seal). */
    if (H5Pset_userblock(w->fcpl, DIGEST_BLOCK) < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "set user block");
    /* Contiguous (the default without chunking) and no fill pass: every
     * element is written once by exactly one rank. */
    if (H5Pset_layout(w->dcpl, H5D_CONTIGUOUS) < 0 ||
        H5Pset_fill_time(w->dcpl, H5D_FILL_TIME_NEVER) < 0 ||
        (!w->serial && H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE) < 0))
        return h5_fail(&w->e, PMC_EIO, w->path, "set dataset properties");
    hsize_t nd = d;
    w->scalar = H5Screate(H5S_SCALAR);
    w->names_space = H5Screate_simple(1, &nd, NULL);
    w->str_type = h5_vlen_utf8();
    if (w->scalar < 0 || w->names_space < 0 || w->str_type < 0)
        return h5_fail(&w->e, PMC_EIO, w->path, "create attribute types");
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
        return h5_fail(&w->e, PMC_EIO, w->path, "set MPI-IO file access");
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
    h5_close_id(&fapl, H5Pclose);
    if (n <= 0 || !*image || closed < 0) {
        free(*image);
        *image = NULL;
        return h5_fail(&w->e, PMC_EIO, w->path, "make an empty HDF5 file in memory");
    }
    *size = (size_t)n;
    return PMC_OK;
}

/* Where the in-memory image goes in the file: the core driver's image of a
 * file with a user block may start at its superblock (the block left out);
 * the superblock records its base address (512), so it belongs there. */
static off_t image_offset(const void *image, size_t size)
{
    return size >= sizeof hdf5_signature &&
                   memcmp(image, hdf5_signature, sizeof hdf5_signature) == 0
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
        return h5_fail(&w->e, PMC_EIO, w->path, "open temporary file");
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
    int st = dset < 0 ? h5_fail_item(&w->e, PMC_EIO, w->path, "create dataset", ds->name) : PMC_OK;
    if ((st = ckpt_agree(w, st)) != PMC_OK) {
        h5_close_id(&dset, H5Dclose);
        return st;
    }
    /* An empty dataset (k = 0) is only created: HDF5 rejects a collective
     * write to it. dims are the same on every rank, so all skip together. */
    herr_t wr = ds->dims[0] == 0 ? 0
                                 : H5Dwrite(dset, ds->mtype, ds->mspace, ds->fspace, w->dxpl,
                                            ds->buf ? ds->buf : &no_rows);
    herr_t cl = H5Dclose(dset);
    st = wr < 0 || cl < 0 ? h5_fail_item(&w->e, PMC_EIO, w->path, "write dataset", ds->name) : PMC_OK;
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
            return h5_fail_item(&w->e, PMC_EIO, w->path, "write attribute", s->name);
    }
    return PMC_OK;
}

static int ckpt_write_gen_attrs(ckpt_writer *w, const pmc_gen_meta *m, const pmc_population_view *p)
{
    const uint32_t generation = m->generation, n_params = (uint32_t)p->d;
    const uint32_t version = PMC_CHECKPOINT_FORMAT_VERSION, stream = PMC_STREAM_VERSION;
    const uint64_t n_particles = p->n, checksum = gen_checksum(m, p);
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
    return ckpt_write_attrs(w, attrs, sizeof attrs / sizeof attrs[0]);
}

static int ckpt_write_partial_attrs(ckpt_writer *w, const pmc_partial_view *p)
{
    const uint32_t generation = p->generation, n_params = (uint32_t)p->d;
    const uint32_t version = PMC_CHECKPOINT_FORMAT_VERSION, stream = PMC_STREAM_VERSION;
    const uint64_t n_particles = p->n, n_done = p->k, checksum = partial_checksum(p);
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
                 : digest_seal(fd, w->path, (uint64_t)sb.st_size, &w->e);
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
    int rc = ckpt_test_fault(w, "fsync_dir") ? errno : fsync_dir(w->dir);
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
    h5_close_id(&w->fcpl, H5Pclose);
    h5_close_id(&w->fapl, H5Pclose);
    h5_close_id(&w->dcpl, H5Pclose);
    h5_close_id(&w->dxpl, H5Pclose);
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
        st = closed < 0 ? h5_fail(&w->e, PMC_EIO, w->path, "close temporary file") : PMC_OK;
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

/* As write_generation, with the slot checks of check_slots (PMC_EINVAL on
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

/* ------------------------------------------------------------------------
 * Serial reader
 * ------------------------------------------------------------------------ */

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
    h5_close_id(&type, H5Tclose);
    h5_close_id(&space, H5Sclose);
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
        return h5_fail_item(err, PMC_EIO, path, "read dataset", ds->name);
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
        h5_close_id(&ids[i], H5Dclose);
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
    h5_close_id(&space, H5Sclose);
    h5_close_id(&ds, H5Dclose);
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
    return verify_checksum(path, checksum, gen_checksum(&g->meta, &v), err);
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
    st = verify_checksum(path, checksum, partial_checksum(&v), err);
    if (st == PMC_OK)
        st = check_slots(path, p->slots, p->k, p->n, err);
    return st;
}

/* ---- Global heap pre-check ------------------------------------------------
 * Variable-length strings (parameter_names, config, kind, creator) live in
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
 * (digest_verify), so that libhdf5 only ever parses bytes pmcabc sealed; a
 * file without one (older pmcabc) gets the global heap pre-check and a
 * warning instead. */
static int ckpt_open_read(const char *path, int missing, hid_t *file, pmc_err *err)
{
    h5_quiet();
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
        st = digest_verify(fd, path, (uint64_t)sb.st_size, &has_digest, err);
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
        return h5_fail(err, PMC_EIO, path, "open HDF5 file (truncated or corrupt?)");
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
        st = h5_fail(err, PMC_EIO, path, "close");
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

/* ------------------------------------------------------------------------
 * Directory scans: resume and housekeeping
 * ------------------------------------------------------------------------ */

/* Generation number in a name "<prefix>NNNN<suffix>" (4 or more decimal
 * digits, value below 2^24), or -1 if the name has any other form. */
static long numbered_name(const char *name, const char *prefix, const char *suffix)
{
    size_t lp = strlen(prefix), ls = strlen(suffix), len = strlen(name);
    if (len < lp + 4 + ls || strncmp(name, prefix, lp) != 0 || strcmp(name + len - ls, suffix) != 0)
        return -1;
    long v = 0;
    for (size_t i = lp; i < len - ls; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
        if (v >= (long)CKPT_MAX_GENERATION)
            return -1;
    }
    return v;
}

typedef struct {
    long generation;
    char name[NAME_MAX + 1];
} ckpt_entry;

/* Maps a directory entry's name to a number >= 0 to keep it, -1 to skip. */
typedef long (*ckpt_name_filter)(const char *name, const void *ctx);

/* The entries of dir that pick keeps, with pick's number. Returns 0 or an
 * errno value (opendir's, or ENOMEM). */
static int scan_dir(const char *dir, ckpt_name_filter pick, const void *ctx, ckpt_entry **out,
                    size_t *count)
{
    *out = NULL;
    *count = 0;
    DIR *dp = opendir(dir);
    if (!dp)
        return errno;
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        long g = pick(de->d_name, ctx);
        if (g < 0)
            continue;
        if (*count == cap) {
            cap = cap ? 2 * cap : 16;
            ckpt_entry *grown = realloc(*out, cap * sizeof **out);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            *out = grown;
        }
        (*out)[*count].generation = g;
        snprintf((*out)[*count].name, sizeof (*out)[*count].name, "%s", de->d_name);
        (*count)++;
    }
    closedir(dp);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

static long pick_gen_file(const char *name, const void *ctx)
{
    (void)ctx;
    return numbered_name(name, "gen-", ".h5");
}

static int newest_first(const void *a, const void *b)
{
    const ckpt_entry *x = a, *y = b;
    if (x->generation != y->generation)
        return x->generation < y->generation ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* Reads one candidate; a file whose generation attribute disagrees with its
 * name is not usable either (renamed or copied by hand). */
static int try_generation(const char *file, long named, pmc_generation *out, pmc_err *err)
{
    int st = pmc_checkpoint_read_generation(file, out, err);
    if (st == PMC_OK && (long)out->meta.generation != named) {
        st = pmc_err_set(err, PMC_EINVAL, "%s: holds generation %u, its name says %ld", file,
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
    ckpt_entry *list = NULL;
    size_t count = 0, rejected = 0;
    int rc = scan_dir(dir, pick_gen_file, NULL, &list, &count);
    if (rc == ENOENT)
        return pmc_err_set(err, PMC_ENOTFOUND, "no valid generation file in %s (no such directory)",
                           dir);
    if (rc != 0)
        return pmc_err_set(err, rc == ENOMEM ? PMC_ENOMEM : PMC_EIO, "%s: list directory: %s", dir,
                           strerror(rc));
    if (count > 0) /* qsort must not get NULL, even for 0 elements */
        qsort(list, count, sizeof *list, newest_first);
    int st = PMC_ENOTFOUND;
    for (size_t i = 0; i < count && st == PMC_ENOTFOUND; i++) {
        char file[PATH_MAX];
        pmc_err why = {0};
        if (snprintf(file, sizeof file, "%s/%s", dir, list[i].name) >= (int)sizeof file) {
            st = pmc_err_set(err, PMC_EINVAL, "%s: checkpoint directory path too long", dir);
            break;
        }
        int got = try_generation(file, list[i].generation, out, &why);
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

/* What housekeeping removes after generation `newest` was committed. */
typedef struct {
    unsigned newest, keep_last;
} cleanup_rule;

static long pick_for_cleanup(const char *name, const void *ctx)
{
    const cleanup_rule *r = ctx;
    long g;
    /* Temporary files: only one writer runs at a time and it has just
     * committed, so any left now belong to a crashed run. */
    if (numbered_name(name, ".gen-", ".h5.tmp") >= 0 ||
        numbered_name(name, ".partial-", ".h5.tmp") >= 0)
        return 0;
    /* A partial file is superseded once its generation is complete. */
    if ((g = numbered_name(name, "partial-", ".h5")) >= 0)
        return g <= (long)r->newest ? 0 : -1;
    if (r->keep_last > 0 && r->newest >= r->keep_last && (g = numbered_name(name, "gen-", ".h5")) >= 0)
        return g <= (long)(r->newest - r->keep_last) ? 0 : -1;
    return -1;
}

/* Contract: see pmc_checkpoint.h. Never fails: every problem is a warning,
 * because the run itself is already safely on disk. */
void pmc_checkpoint_cleanup(const char *dir, unsigned newest, unsigned keep_last)
{
    const cleanup_rule rule = {newest, keep_last};
    ckpt_entry *list = NULL;
    size_t count = 0, removed = 0;
    int rc = scan_dir(dir, pick_for_cleanup, &rule, &list, &count);
    if (rc != 0) {
        pmc_log_warn("checkpoint cleanup: cannot list %s: %s", dir, strerror(rc));
        return;
    }
    for (size_t i = 0; i < count; i++) {
        char file[PATH_MAX];
        if (snprintf(file, sizeof file, "%s/%s", dir, list[i].name) >= (int)sizeof file)
            continue; /* cannot happen: dir itself was opened */
        if (unlink(file) == 0)
            removed++;
        else if (errno != ENOENT)
            pmc_log_warn("checkpoint cleanup: cannot remove %s: %s", file, strerror(errno));
    }
    free(list);
    if (removed && (rc = fsync_dir(dir)) != 0)
        pmc_log_warn("checkpoint cleanup: fsync directory %s: %s", dir, strerror(rc));
}

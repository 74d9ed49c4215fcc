/* Checkpoint files: the only module that calls HDF5 (this file, pmc_ckpt_write.c,
 * pmc_ckpt_read.c; shared parts in pmc_ckpt_internal.h). This file: HDF5
 * error reports, the content checksums and the whole-file digest.
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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "pmc_ckpt_internal.h"

/* --- HDF5 errors --- */

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
const char *pmc_ckpt_h5_detail(char buf[256])
{
    snprintf(buf, 256, "HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_first_desc, buf);
    H5Eclear2(H5E_DEFAULT);
    return buf;
}

/* Fills err with "PATH: STEP: <HDF5 cause>" and returns code. */
int pmc_ckpt_h5_fail(pmc_err *err, int code, const char *path, const char *step)
{
    char detail[256];
    return pmc_err_set(err, code, "%s: %s: %s", path, step, pmc_ckpt_h5_detail(detail));
}

/* Same, for a step on a named item: "PATH: write dataset /theta: cause". */
int pmc_ckpt_h5_fail_item(pmc_err *err, int code, const char *path, const char *step,
                          const char *item)
{
    char what[128];
    snprintf(what, sizeof what, "%s %s", step, item);
    return pmc_ckpt_h5_fail(err, code, path, what);
}

void pmc_ckpt_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void pmc_ckpt_h5_close_id(hid_t *id, herr_t (*close_fn)(hid_t))
{
    if (*id >= 0)
        close_fn(*id);
    *id = -1;
}

/* Variable-length UTF-8 string type: h5py reads such attributes as str, and
 * the text lives in the global heap, so a long config does not hit the 64 KiB
 * object-header limit of compact attributes. */
hid_t pmc_ckpt_h5_vlen_utf8(void)
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

/* --- Checksums --- */

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
uint64_t pmc_ckpt_gen_checksum(const pmc_gen_meta *m, const pmc_population_view *p)
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
uint64_t pmc_ckpt_partial_checksum(const pmc_partial_view *p)
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

/* --- Whole-file digest (docs/checkpoint-format.md, "Digest") --- */

/* Every file pmcabc writes starts with an HDF5 user block of 512 bytes
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
#define DIGEST_MAGIC "pmcabc-digest 1\n"
#define DIGEST_HEX_AT 24   /* after the magic and "fnv1a64 " */
#define DIGEST_BYTES_AT 47 /* after "\nbytes " */

/* The HDF5 format signature (File Format Specification, "Superblock"). */
const unsigned char pmc_ckpt_hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

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
int pmc_ckpt_digest_seal(int fd, const char *path, uint64_t size, pmc_err *err)
{
    unsigned char sig[sizeof pmc_ckpt_hdf5_signature];
    if (size < DIGEST_BLOCK + sizeof sig ||
        pread(fd, sig, sizeof sig, DIGEST_BLOCK) != (ssize_t)sizeof sig ||
        memcmp(sig, pmc_ckpt_hdf5_signature, sizeof sig) != 0)
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
                                 : pmc_ckpt_digest_seal(fd, path, (uint64_t)sb.st_size, err);
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
int pmc_ckpt_digest_verify(int fd, const char *path, uint64_t size, int *has_digest, pmc_err *err)
{
    *has_digest = 0;
    unsigned char head[DIGEST_BLOCK + sizeof pmc_ckpt_hdf5_signature];
    size_t want = size < sizeof head ? (size_t)size : sizeof head;
    ssize_t got = want ? pread(fd, head, want, 0) : 0;
    if (got < 0)
        return pmc_err_set(err, PMC_EIO, "%s: read: %s", path, strerror(errno));
    size_t have = (size_t)got;
    size_t lm = sizeof DIGEST_MAGIC - 1, ls = sizeof pmc_ckpt_hdf5_signature;
    if (have >= ls && memcmp(head, pmc_ckpt_hdf5_signature, ls) == 0)
        return PMC_OK; /* no user block: written without a digest */
    if (have < lm || memcmp(head, DIGEST_MAGIC, lm) != 0) {
        if (have == sizeof head && memcmp(head + DIGEST_BLOCK, pmc_ckpt_hdf5_signature, ls) == 0)
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
int pmc_ckpt_check_slots(const char *path, const uint64_t *slots, size_t k, size_t n, pmc_err *err)
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


/* What the checkpoint sources share (lib/pmc_checkpoint.c: HDF5 errors,
 * checksums, the whole-file digest; pmc_ckpt_write.c: the writer;
 * pmc_ckpt_read.c: the reader). Internal: only those three include it, and
 * only they include <hdf5.h>. */
#ifndef PMC_CKPT_INTERNAL_H
#define PMC_CKPT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "pmc_checkpoint.h"
#include "pmc_rundir.h"


/* Bounds that keep every size product (n * d * 8 bytes) far from overflow
 * and reject files whose attributes are nonsense before we allocate. */
#define CKPT_MAX_PARTICLES ((uint64_t)1 << 40)
#define CKPT_MAX_PARAMS ((uint64_t)1 << 20)
#define CKPT_MAX_GENERATION ((uint64_t)PMC_RUNDIR_MAX_GENERATION)

/* Four required datasets per file kind, the optional /stats and
 * /proposal_stats (the latter with the adaptive distance only), then a
 * generation file's /observed_stats or a partial file's /rejected (name
 * NULL when absent). */
#define CKPT_NDATASETS 7
#define CKPT_MAX_STATS PMC_CHECKPOINT_MAX_STATS

/* The user block before the HDF5 data: the whole-file digest lives there
 * (docs/checkpoint-format.md, "Digest"). */
#define DIGEST_BLOCK 512

/* --- HDF5 errors --- */

/* HDF5's innermost error description, for messages; buf holds it. */
const char *pmc_ckpt_h5_detail(char buf[256]);
/* err = "PATH: STEP failed: DETAIL" with code; returns code. */
int pmc_ckpt_h5_fail(pmc_err *err, int code, const char *path, const char *step);
/* The same naming the dataset or attribute `item`. */
int pmc_ckpt_h5_fail_item(pmc_err *err, int code, const char *path, const char *step,
                          const char *item);
/* Turns off HDF5's automatic error printing (our messages say it). */
void pmc_ckpt_h5_quiet(void);
/* Closes *id with close_fn if it is open and marks it closed. */
void pmc_ckpt_h5_close_id(hid_t *id, herr_t (*close_fn)(hid_t));
/* A variable-length UTF-8 string type; the caller closes it. */
hid_t pmc_ckpt_h5_vlen_utf8(void);

/* --- checksums and digest --- */

/* The content checksums stored in the root attribute "checksum". */
uint64_t pmc_ckpt_gen_checksum(const pmc_gen_meta *m, const pmc_population_view *p);
uint64_t pmc_ckpt_partial_checksum(const pmc_partial_view *p);
/* The 8-byte HDF5 file signature. */
extern const unsigned char pmc_ckpt_hdf5_signature[8];
/* Writes the digest of the size-byte file fd into its user block. */
int pmc_ckpt_digest_seal(int fd, const char *path, uint64_t size, pmc_err *err);
/* Checks fd's digest; *has_digest = 0 for a file written before digests. */
int pmc_ckpt_digest_verify(int fd, const char *path, uint64_t size, int *has_digest,
                           pmc_err *err);
/* slots[0..k-1] strictly ascending and below n. */
int pmc_ckpt_check_slots(const char *path, const uint64_t *slots, size_t k, size_t n,
                         pmc_err *err);

#endif

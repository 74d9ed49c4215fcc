/* The run directory ([run] checkpoint_dir): the one owner of what its files
 * are called, which names count as generation, partial or temporary files,
 * listing them, creating the directory, making its entries durable and
 * retention ([run] keep_last). Its lock is lib/pmc_lock.c. No HDF5 and no
 * MPI here: what the files hold is lib/pmc_checkpoint.h's business.
 *
 *   gen-NNNN.h5          a finished generation (4 or more digits)
 *   partial-NNNN.h5      the finished slots of an unfinished generation
 *   .gen-NNNN.h5.tmp     a generation file being written (then renamed)
 *   .partial-NNNN.h5.tmp a partial file being written
 *   .lock                the run's lock (pmc_lock.h)
 */
#ifndef PMC_RUNDIR_H
#define PMC_RUNDIR_H

#include <limits.h>
#include <stddef.h>

#include "pmc_error.h"

/* Generation numbers in file names (and files) stay below this. */
#define PMC_RUNDIR_MAX_GENERATION (1L << 24)

typedef enum {
    PMC_RUNDIR_GEN = 1,          /* gen-NNNN.h5 */
    PMC_RUNDIR_PARTIAL = 2,      /* partial-NNNN.h5 */
    PMC_RUNDIR_GEN_TMP = 4,      /* .gen-NNNN.h5.tmp */
    PMC_RUNDIR_PARTIAL_TMP = 8   /* .partial-NNNN.h5.tmp */
} pmc_rundir_kind;

/* "DIR/gen-0007.h5" and the like in buf. PMC_EINVAL (naming dir) if it
 * does not fit. */
int pmc_rundir_path(char *buf, size_t len, const char *dir, pmc_rundir_kind kind,
                    unsigned generation, pmc_err *err);

/* The generation number in name if name is a file of this kind, else -1. */
long pmc_rundir_number(const char *name, pmc_rundir_kind kind);

typedef struct {
    long generation;
    pmc_rundir_kind kind;
    char name[NAME_MAX + 1]; /* the entry's name in the directory */
} pmc_rundir_entry;

/* The files of dir of the kinds in the mask `kinds` (PMC_RUNDIR_GEN | ...),
 * ascending by generation, then name. *out is NULL when *count is 0; free
 * it with free(). Returns 0 or an errno value (opendir's, or ENOMEM). */
int pmc_rundir_list(const char *dir, unsigned kinds, pmc_rundir_entry **out, size_t *count);

/* Whether dir holds a name that looks like a generation file even loosely
 * ("gen-" followed by ".h5" anywhere, e.g. a gen-7.h5 or gen-0007.h5.bak
 * made by hand), which the exact rule of pmc_rundir_number would pass over:
 * a run refuses to start afresh over such a directory rather than guess. */
int pmc_rundir_has_generation_like(const char *dir);

/* Whether a file a user names (`pmcabc inspect FILE`) is read as a partial
 * file: its base name starts with "partial-" and ends in ".h5", looser than
 * pmc_rundir_number, so that a copy saved as partial-old.h5 still is. */
int pmc_rundir_names_partial(const char *path);

/* Creates dir and missing parents (mode 0777 & umask); PMC_EIO if a level
 * exists as a non-directory, cannot be created, or dir is not writable;
 * PMC_EINVAL for an empty or over-long path. */
int pmc_rundir_prepare(const char *dir, pmc_err *err);

/* fsync of the directory, so that a rename or removal in it survives a
 * power loss. Returns 0 or an errno value; EINVAL (the file system cannot
 * sync directories, as some network file systems) counts as success, since
 * nothing more could be done. */
int pmc_rundir_fsync(const char *dir);

/* Housekeeping after generation `newest` was committed (rank 0): removes
 * temporary files (left by a crashed writer: only one writer runs at a time
 * and it has just committed), partial files of generations <= newest, and,
 * if keep_last > 0, generation files older than the newest keep_last.
 * Never fails: a problem is a warning, the run is safely on disk. */
void pmc_rundir_cleanup(const char *dir, unsigned newest, unsigned keep_last);

#endif

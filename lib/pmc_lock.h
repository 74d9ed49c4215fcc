/* Run-directory lock: one pmcabc run per checkpoint directory at a time.
 *
 * The lock is an exclusive flock(2) on the file <checkpoint_dir>/.lock
 * (created with O_CREAT|O_EXCL), held for the run's lifetime; once it holds
 * the flock the run writes one line "HOST PID START" (START in seconds since
 * the epoch) into the file, for messages. A lock file that nobody holds the
 * flock of belongs to a run that is gone (kill -9 at any moment, node
 * failure), whatever the file holds: it is reported with a warning and
 * taken over. No MPI: rank 0 takes the lock and the ranks agree on the
 * status. Reference: docs/reliability.md. */
#ifndef PMC_LOCK_H
#define PMC_LOCK_H

#include <time.h>

#include "pmc_config.h"
#include "pmc_error.h"

#define PMC_LOCK_NAME ".lock"
#define PMC_LOCK_WAIT_ENV "PMCABC_LOCK_WAIT"

/* A held (or not held) lock. All zero = not held, so a zeroed struct needs
 * no init and pmc_lock_release on it does nothing. */
typedef struct {
    int held;
    int fd;
    char dir[PMC_PATH_MAX];
    char path[PMC_PATH_MAX + 8];
    /* The directory's mtime before and right after the lock file appeared:
     * a run that writes nothing else leaves the mtime as it found it. */
    struct timespec dir_mtime_before, dir_mtime_locked;
} pmc_lock;

/* Seconds to wait for a busy lock, from the environment variable
 * PMCABC_LOCK_WAIT (unset or empty: 0, fail at once). PMC_EINVAL for a value
 * that is not a finite number >= 0. */
int pmc_lock_wait_from_env(double *seconds, pmc_err *err);

/* Takes the lock of dir (which must exist), waiting up to wait_seconds for a
 * run that holds it (polling). A stale lock is taken over with a warning.
 * Errors: PMC_EINVAL if another run holds it (the message names its host, pid
 * and start time), PMC_EINTR if a stop signal arrives while waiting, PMC_EIO
 * for a file system error (message names the lock file). */
int pmc_lock_acquire(pmc_lock *lock, const char *dir, double wait_seconds, pmc_err *err);

/* Removes the lock file and releases the flock; nothing if not held. */
void pmc_lock_release(pmc_lock *lock);

/* --- query (inspect) ---------------------------------------------------- */

typedef enum {
    PMC_LOCK_NONE = 0, /* no lock file: no run holds the directory */
    PMC_LOCK_HELD,     /* a live process holds the flock: a run is using it */
    PMC_LOCK_STALE,    /* a lock file nobody holds: left by a run that is gone */
    PMC_LOCK_UNKNOWN   /* a lock file, but flock unsupported and the owner not here */
} pmc_lock_state;

/* What the lock of a directory says, for `pmcabc inspect`. */
typedef struct {
    pmc_lock_state state;
    int owner_valid; /* the owner line parsed (a new lock may not have it yet) */
    char host[256];
    long pid;
    long long start; /* seconds since the epoch */
} pmc_lock_status;

/* Whether <dir>/.lock is held by a running process, without writing
 * anything: opens the file read-only and probes the flock with a shared,
 * non-blocking flock released at once (it is held for microseconds; a run
 * acquiring the lock in that instant sees it busy and, with
 * PMCABC_LOCK_WAIT, tries again 0.1 s later). Without flock support the
 * owner's pid decides on its own host (as in pmc_lock_acquire). Returns
 * PMC_OK with *out filled, or PMC_EIO naming the lock file when it exists
 * but cannot be opened or probed. */
int pmc_lock_query(const char *dir, pmc_lock_status *out, pmc_err *err);

/* The status as one phrase, e.g. "held by a running pmcabc (host h, pid 12,
 * started 2024-05-01 10:00:00)" or "none". Always NUL-terminated. */
void pmc_lock_status_text(const pmc_lock_status *s, char *buf, size_t len);

#endif

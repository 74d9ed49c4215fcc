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

#endif

/* Run-directory lock (pmc_lock.h). Two mechanisms together:
 *
 * - an exclusive flock(2) on the file <dir>/.lock (created with
 *   O_CREAT|O_EXCL), held until the run ends, decides: the kernel drops it
 *   when the process dies, however it dies, so whoever gets the flock of
 *   the file under that name holds the lock, and a lock file whose flock is
 *   free is stale whatever it holds (empty, half written, a dead run's);
 * - the line "HOST PID START" written after the flock is taken says who
 *   holds the lock, for the messages only.
 *
 * So a run killed at any moment (between creating the file and taking its
 * flock, or before writing its owner line) leaves a file the next run takes
 * over at once. Two runs starting together: the one that creates the file
 * may lose its flock to the other, which found the new file unlocked; it
 * then reports the lock as busy (the other run holds it) instead of waiting.
 *
 * On a file system without flock (ENOLCK, EOPNOTSUPP) the pid decides: a
 * holder on this host whose pid is not running is stale; one on another
 * host is assumed alive. */
#include "pmc_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmc_log.h"
#include "pmc_signal.h"
#include "pmc_util.h"

#define LOCK_POLL_NS 100000000L /* 0.1 s between attempts while waiting */
#define LOCK_HOST_MAX 256

/* Who holds a lock, as its file says. */
typedef struct {
    char host[LOCK_HOST_MAX];
    long pid;
    long long start;
    int valid; /* the line parsed */
} lock_owner;

typedef enum { LOCK_TAKEN, LOCK_BUSY, LOCK_RETRY } lock_outcome;

/* Contract: see pmc_lock.h. */
int pmc_lock_wait_from_env(double *seconds, pmc_err *err)
{
    const char *v = getenv(PMC_LOCK_WAIT_ENV);
    *seconds = 0.0;
    if (!v || !*v)
        return PMC_OK;
    double s = 0.0;
    if (pmc_number_parse(v, strlen(v), &s) != PMC_NUMBER_OK || s < 0.0)
        return pmc_err_set(err, PMC_EINVAL, "%s=%s: expected a number of seconds >= 0",
                           PMC_LOCK_WAIT_ENV, v);
    *seconds = s;
    return PMC_OK;
}

static void this_host(char host[LOCK_HOST_MAX])
{
    if (gethostname(host, LOCK_HOST_MAX) != 0)
        snprintf(host, LOCK_HOST_MAX, "unknown");
    host[LOCK_HOST_MAX - 1] = '\0';
}

/* Reads "HOST PID START" from fd; owner->valid = 0 if the file holds
 * anything else (empty: its creator has not written it yet). */
static void read_owner(int fd, lock_owner *owner)
{
    char buf[LOCK_HOST_MAX + 64];
    memset(owner, 0, sizeof *owner);
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return;
    buf[n] = '\0';
    owner->valid = sscanf(buf, "%255s %ld %lld", owner->host, &owner->pid, &owner->start) == 3 &&
                   owner->pid > 0;
}

/* "host H, pid P, started YYYY-MM-DD HH:MM:SS" or "unknown owner". */
static const char *owner_text(const lock_owner *o, char *buf, size_t len)
{
    if (!o->valid) {
        snprintf(buf, len, "owner unknown: the lock file holds no 'HOST PID START' line");
        return buf;
    }
    char when[32] = "?";
    time_t t = (time_t)o->start;
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, len, "host %s, pid %ld, started %s", o->host, o->pid, when);
    return buf;
}

/* Whether o names a process on this host that no longer exists. */
static int owner_dead_here(const lock_owner *o)
{
    char host[LOCK_HOST_MAX];
    this_host(host);
    return o->valid && strcmp(o->host, host) == 0 && kill((pid_t)o->pid, 0) != 0 &&
           errno == ESRCH;
}

/* Whether fd is still the file named path (not removed or replaced by its
 * holder's release between our open and our flock). */
static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static int write_owner(pmc_lock *l, pmc_err *err)
{
    char host[LOCK_HOST_MAX], line[LOCK_HOST_MAX + 64];
    this_host(host);
    int len = snprintf(line, sizeof line, "%s %ld %lld\n", host, (long)getpid(),
                       (long long)time(NULL));
    if (ftruncate(l->fd, 0) != 0 || pwrite(l->fd, line, (size_t)len, 0) != len)
        return pmc_err_set(err, PMC_EIO, "%s: write lock owner: %s", l->path, strerror(errno));
    return PMC_OK;
}

static int dir_mtime(const char *dir, struct timespec *t)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    *t = st.st_mtim;
    return 0;
}

static int flock_unsupported(int e)
{
    return e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL;
}

/* Test-only (tests/e2e/test_lock.sh): PMC_TEST_LOCK_KILL=created or
 * =locked kills this process with SIGKILL right after it created the lock
 * file, before its flock, or right after the flock, before the owner line:
 * the two moments a kill -9 leaves a lock file without an owner line. */
static void lock_test_kill(const char *moment)
{
    const char *at = getenv("PMC_TEST_LOCK_KILL");
    if (at && strcmp(at, moment) == 0)
        raise(SIGKILL);
}

/* The lock file did not exist: we created it (fd) and hold it once it is
 * flocked and names us. Not blocking: a run that opened the new file before
 * our flock found it unlocked, took it over as stale and holds it now
 * (LOCK_BUSY, *owner filled if it wrote its line yet). */
static lock_outcome take_new(pmc_lock *l, int fd, lock_owner *owner, pmc_err *err, int *st)
{
    lock_test_kill("created");
    l->fd = fd;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            read_owner(fd, owner);
            close(fd);
            return LOCK_BUSY;
        }
        if (!flock_unsupported(e)) {
            *st = pmc_err_set(err, PMC_EIO, "%s: flock: %s", l->path, strerror(e));
            unlink(l->path);
            close(fd);
            return LOCK_BUSY;
        }
        pmc_log_warn("%s: the file system does not support flock (%s); a stale lock is "
                     "recognised by its pid on this host only", l->path, strerror(e));
    }
    lock_test_kill("locked");
    *st = write_owner(l, err);
    if (*st != PMC_OK) {
        unlink(l->path);
        close(fd);
        return LOCK_BUSY;
    }
    return LOCK_TAKEN;
}

/* The lock file exists. Returns LOCK_TAKEN if it was stale and is ours now,
 * LOCK_BUSY with *owner filled if its holder runs, LOCK_RETRY if it vanished
 * or changed under us. */
static lock_outcome take_existing(pmc_lock *l, lock_owner *owner, pmc_err *err, int *st)
{
    int fd = open(l->path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return LOCK_RETRY; /* released just now */
    if (fd < 0) {
        *st = pmc_err_set(err, PMC_EIO, "%s: open: %s", l->path, strerror(errno));
        return LOCK_BUSY;
    }
    read_owner(fd, owner);
    int locked = flock(fd, LOCK_EX | LOCK_NB) == 0, e = errno;
    int stale;
    if (locked) {
        if (!same_file(fd, l->path)) {
            close(fd);
            return LOCK_RETRY;
        }
        /* No live process holds it: stale, whatever the file holds (an
         * empty one is a run killed before its owner line). */
        read_owner(fd, owner);
        stale = 1;
    } else if (e == EWOULDBLOCK) {
        stale = 0;
    } else if (flock_unsupported(e)) {
        stale = owner_dead_here(owner);
    } else {
        *st = pmc_err_set(err, PMC_EIO, "%s: flock: %s", l->path, strerror(e));
        close(fd);
        return LOCK_BUSY;
    }
    if (!stale) {
        close(fd);
        return LOCK_BUSY;
    }
    char who[LOCK_HOST_MAX + 128];
    pmc_log_warn("taking over the stale lock %s (%s): %s", l->path,
                 owner_text(owner, who, sizeof who),
                 owner_dead_here(owner) ? "that process is not running"
                                        : "no running process holds it");
    l->fd = fd;
    *st = write_owner(l, err);
    if (*st != PMC_OK) {
        close(fd);
        return LOCK_BUSY;
    }
    return LOCK_TAKEN;
}

/* One attempt. *st is set only for a real error (then LOCK_BUSY). */
static lock_outcome try_lock(pmc_lock *l, lock_owner *owner, pmc_err *err, int *st)
{
    struct timespec before = {0, 0};
    dir_mtime(l->dir, &before);
    int fd = open(l->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    lock_outcome got;
    if (fd >= 0) {
        got = take_new(l, fd, owner, err, st);
    } else if (errno == EEXIST) {
        got = take_existing(l, owner, err, st);
    } else {
        *st = pmc_err_set(err, PMC_EIO, "%s: create lock file: %s", l->path, strerror(errno));
        return LOCK_BUSY;
    }
    if (got == LOCK_TAKEN) {
        l->dir_mtime_before = before;
        if (dir_mtime(l->dir, &l->dir_mtime_locked) != 0)
            l->dir_mtime_locked.tv_nsec = -1; /* never equal: no restore */
        l->held = 1;
    }
    return got;
}

static int busy_error(const pmc_lock *l, const lock_owner *owner, double waited, pmc_err *err)
{
    char who[LOCK_HOST_MAX + 128], after[64] = "";
    if (waited > 0.0)
        snprintf(after, sizeof after, " (still, after waiting %g s)", waited);
    return pmc_err_set(err, PMC_EINVAL,
                       "%s is in use by another pmcabc run%s: %s (lock file %s); wait for it "
                       "to finish, set %s=SECONDS to wait for it, or, if that run is gone, "
                       "remove the lock file", l->dir, after, owner_text(owner, who, sizeof who),
                       l->path, PMC_LOCK_WAIT_ENV);
}

/* Contract: see pmc_lock.h. */
int pmc_lock_acquire(pmc_lock *l, const char *dir, double wait_seconds, pmc_err *err)
{
    memset(l, 0, sizeof *l);
    if (snprintf(l->dir, sizeof l->dir, "%s", dir) >= (int)sizeof l->dir ||
        snprintf(l->path, sizeof l->path, "%s/%s", dir, PMC_LOCK_NAME) >= (int)sizeof l->path)
        return pmc_err_set(err, PMC_EINVAL, "%s: path too long for the lock file", dir);
    double start = pmc_now();
    int announced = 0;
    for (;;) {
        lock_owner owner;
        memset(&owner, 0, sizeof owner);
        int st = PMC_OK;
        lock_outcome got = try_lock(l, &owner, err, &st);
        if (got == LOCK_TAKEN)
            return PMC_OK;
        if (st != PMC_OK)
            return st;
        if (got == LOCK_RETRY)
            continue;
        double waited = pmc_now() - start;
        if (waited >= wait_seconds)
            return busy_error(l, &owner, wait_seconds, err);
        if (!announced) {
            char who[LOCK_HOST_MAX + 128];
            pmc_log_info("%s is in use by another run (%s); waiting up to %g s (%s)", l->dir,
                         owner_text(&owner, who, sizeof who), wait_seconds, PMC_LOCK_WAIT_ENV);
            announced = 1;
        }
        int sig = pmc_signal_pending();
        if (sig)
            return pmc_err_set(err, PMC_EINTR, "interrupted by %s while waiting for the lock %s",
                               pmc_signal_name(sig), l->path);
        struct timespec ts = {0, LOCK_POLL_NS};
        nanosleep(&ts, NULL);
    }
}

/* Contract: see pmc_lock.h. The file is removed while the flock is still
 * held, so a waiter never takes over a lock file that is being released. */
void pmc_lock_release(pmc_lock *l)
{
    if (!l->held)
        return;
    struct timespec now;
    int untouched = dir_mtime(l->dir, &now) == 0 &&
                    now.tv_sec == l->dir_mtime_locked.tv_sec &&
                    now.tv_nsec == l->dir_mtime_locked.tv_nsec;
    if (same_file(l->fd, l->path) && unlink(l->path) != 0)
        pmc_log_warn("%s: cannot remove the lock file: %s", l->path, strerror(errno));
    close(l->fd);
    /* Nothing but the lock file changed the directory: give it back its
     * mtime, so that a refused or finished run leaves no trace at all. */
    if (untouched) {
        const struct timespec times[2] = {{0, UTIME_OMIT}, l->dir_mtime_before};
        utimensat(AT_FDCWD, l->dir, times, 0);
    }
    l->held = 0;
    l->fd = -1;
}

/* Contract: see pmc_lock.h. Read-only: inspect must change nothing, so the
 * probe is a shared flock (it never blocks a holder's exclusive one) taken
 * and dropped at once, and a stale lock file stays where it is. */
int pmc_lock_query(const char *dir, pmc_lock_status *out, pmc_err *err)
{
    memset(out, 0, sizeof *out);
    char path[PMC_PATH_MAX + 8];
    if (snprintf(path, sizeof path, "%s/%s", dir, PMC_LOCK_NAME) >= (int)sizeof path)
        return pmc_err_set(err, PMC_EINVAL, "%s: path too long for the lock file", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return PMC_OK; /* PMC_LOCK_NONE */
    if (fd < 0)
        return pmc_err_set(err, PMC_EIO, "%s: open: %s", path, strerror(errno));
    lock_owner owner;
    read_owner(fd, &owner);
    int st = PMC_OK;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
        out->state = PMC_LOCK_STALE;
    } else if (errno == EWOULDBLOCK) {
        out->state = PMC_LOCK_HELD;
    } else if (flock_unsupported(errno)) {
        char host[LOCK_HOST_MAX];
        this_host(host);
        out->state = owner_dead_here(&owner) ? PMC_LOCK_STALE
                     : owner.valid && strcmp(owner.host, host) == 0 ? PMC_LOCK_HELD
                                                                   : PMC_LOCK_UNKNOWN;
    } else {
        st = pmc_err_set(err, PMC_EIO, "%s: flock: %s", path, strerror(errno));
    }
    close(fd);
    out->owner_valid = owner.valid;
    if (owner.valid) {
        snprintf(out->host, sizeof out->host, "%s", owner.host);
        out->pid = owner.pid;
        out->start = owner.start;
    }
    return st;
}

/* Contract: see pmc_lock.h. */
void pmc_lock_status_text(const pmc_lock_status *s, char *buf, size_t len)
{
    lock_owner o;
    memset(&o, 0, sizeof o);
    o.valid = s->owner_valid;
    snprintf(o.host, sizeof o.host, "%s", s->host);
    o.pid = s->pid;
    o.start = s->start;
    char who[LOCK_HOST_MAX + 128];
    owner_text(&o, who, sizeof who);
    switch (s->state) {
    case PMC_LOCK_NONE:
        snprintf(buf, len, "none");
        break;
    case PMC_LOCK_HELD:
        snprintf(buf, len, "held by a running pmcabc (%s)", who);
        break;
    case PMC_LOCK_STALE:
        snprintf(buf, len, "stale (%s): no running process holds it; the next run takes it over",
                 who);
        break;
    case PMC_LOCK_UNKNOWN:
        snprintf(buf, len, "unknown (%s): no flock on this file system and the owner is on "
                 "another host", who);
        break;
    }
}

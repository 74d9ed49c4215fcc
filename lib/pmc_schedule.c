/* Dynamic slot scheduling over MPI ranks.
 *
 * Rank 0 simulates like every other rank; a helper thread on rank 0 (the
 * "dispatcher") answers chunk requests from the other ranks while rank 0's
 * main thread takes its own chunks from the same counter under a mutex. MPI
 * is initialised with MPI_THREAD_MULTIPLE when the library has it (rank 0's
 * main thread then talks to its group, and the model makes its own MPI
 * calls, while the dispatcher serves); MPI_THREAD_SERIALIZED is enough with
 * groups of one rank, because rank 0's main thread then makes no MPI call
 * while the dispatcher runs.
 *
 * Groups (ranks_per_simulation = k): consecutive ranks r with the same r / k
 * form a group; its leader (r % k == 0) is the worker the dispatcher sees,
 * and for every simulation it sends the call to the other members, which
 * wait for calls instead of asking for work.
 *
 * Every wait polls a non-blocking request and sleeps between polls (backing
 * off to 1 ms), because MPICH's blocking calls spin a whole core, which on a
 * small node would steal the core of a rank that is simulating. */
#include "pmc_schedule.h"

#include <errno.h>
#include <stddef.h>
#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "pmc_ledger.h"
#include "pmc_log.h"
#include "pmc_signal.h"

enum { TAG_REQUEST = 101, TAG_REPLY = 102, TAG_GROUP_CALL = 103 };

/* Adaptive chunks aim at this much work per request, so that messaging is a
 * negligible fraction even for microsecond simulations... */
#define CHUNK_TARGET_SECONDS 0.02
/* ...or more with many workers, so that the single dispatcher on rank 0 is
 * asked at most 1 / DISPATCH_SECONDS_PER_REQUEST = 50,000 times a second in
 * all (a tenth or less of what it can serve: docs/scaling.md measures its
 * CPU per request). 4,096 workers then ask for 82 ms of work at a time. */
#define DISPATCH_SECONDS_PER_REQUEST 20e-6
/* Above this time per attempt a worker's early request for its next blocks
 * (sent before it computes the current ones, to hide the round trip) is
 * granted only while many slots are unstarted (pmc_ledger_plenty), so that
 * the last attempts of a generation of a slow model are not held by a rank
 * that has not started them. */
#define PREFETCH_MAX_SLOT_SECONDS 0.01
/* Polling sleeps back off from 10 us to 4 ms: a rank waiting for the end of
 * a generation then wakes 250 times a second, well under 1 % of a core,
 * while short waits still end quickly. The dispatcher backs off only to 1 ms,
 * because its latency is every other rank's idle time. */
#define POLL_SLEEP_MIN_NS 10000L
#define POLL_SLEEP_MAX_NS 4000000L
#define DISPATCH_SLEEP_MAX_NS 1000000L
/* A collective that ranks enter together (right after another one) ends
 * within a few polls, so its wait sleeps in short steps: a blocking call
 * would spin, and a long sleep would delay each step of a multi-step
 * collective. */
#define COLLECTIVE_SLEEP_MAX_NS 100000L
/* Polls of a collective that ranks may reach at different times (the end
 * of the work, where they arrive as their last blocks end; the status of a
 * file rank 0 writes alone; any agreement between phases): longer sleeps
 * than COLLECTIVE_SLEEP_MAX_NS, since dozens of ranks polling every 100 us
 * starve the ones still working of CPU on a small node, but not 4 ms: each
 * of the collective's few steps waits for a polling rank. One such
 * collective costs less than a sleeping barrier followed by a fast one. */
#define END_SLEEP_MAX_NS 1000000L
/* A group member whose simulation failed waits this long (or 4 times its
 * longest simulation, if more) for the rest of its group to report; longer
 * means they are stuck in a collective of the model that it left, and only
 * MPI_Abort can end the run. */
#define GROUP_GRACE_MIN_SECONDS 3.0
/* Within a group the other side usually answers within microseconds (all
 * ranks leave the model's last collective together), so group waits poll
 * without sleeping this long first: a sleep gives the core away, and
 * getting it back can cost a scheduler tick when the node is busy. */
#define GROUP_SPIN_SECONDS 100e-6
/* Time the output of a rank that aborts gets to reach the launcher. */
#define ABORT_FLUSH_NS 300000000L

struct pmc_schedule {
    MPI_Comm comm;      /* collectives */
    MPI_Comm work_comm; /* chunk requests and replies only */
    int rank, size;
    size_t chunk;       /* fixed chunk size, 0 = adaptive */
    pmc_run_control ctl;
    _Atomic uint64_t *work_counter; /* the caller's simulation counter, or NULL */
    const char *progress_label;     /* e.g. "gen 3" */
    int thread_level;               /* what MPI_Init_thread provided */

    /* Groups (pmc_schedule_set_groups); one rank each until then. */
    int group_size, group_rank, n_workers; /* n_workers = size / group_size */
    MPI_Comm group_rpc;   /* leader <-> members: calls and their outcome */
    MPI_Comm group_model; /* handed to the model; pmcabc never uses it */
    pmc_group_fn group_fn;
    void *group_ctx;
    unsigned char *group_buf; /* header + call payload */
    size_t group_cap;         /* payload bytes group_buf holds */
    _Atomic int group_stop;   /* leader: a member saw a stop (pmc_stop_kind); read by the dispatcher */
    double longest_call;      /* seconds, longest group call on this rank */

    pmc_fatal_fn on_fatal; /* app/'s way to end every rank (pmc_schedule_on_fatal) */
};

/* What a leader sends its members: a call with len payload bytes, or the
 * end of the current pmc_schedule_run_slots. */
enum { GROUP_CALL = 1, GROUP_DONE = 2 };
typedef struct {
    uint64_t cmd, len;
} group_header;

/* Blocks of attempts a reply carries at most. A worker reports the outcome
 * of every block it ran in its next request, so a request carries at most
 * the blocks of two replies (with prefetching, one reply is in flight). */
#define MAX_BLOCKS 64
#define MAX_OUTCOMES (2 * MAX_BLOCKS)

/* A work request from a worker: how many attempts it would like, whether it
 * failed, whether it must stop (signal or deadline seen locally), and the
 * outcomes of the blocks it ran since its last request (n_outcomes
 * pmc_block_outcome follow the header). A failed or stopping worker wants
 * nothing more. */
typedef struct {
    uint64_t want;
    int32_t failed;
    int32_t stop;        /* a pmc_stop_kind */
    uint64_t work;       /* its work counter (simulations), for progress */
    uint64_t n_outcomes;
    uint64_t early;      /* sent before computing its blocks, attempts are slow:
                            grant only plenty of fresh work (PREFETCH_MAX_SLOT_SECONDS) */
} work_request;

typedef struct {
    work_request h;
    pmc_block_outcome outcomes[MAX_OUTCOMES];
} request_msg;

/* REPLY_RETRY: nothing to hand out now while the worker still holds blocks:
 * it reports them in its next request, which rank 0 may then hold back until
 * there is work (a slot whose blocks all came back unaccepted) or none is
 * left. REPLY_DONE: no more work in this call. */
enum { REPLY_WORK = 1, REPLY_RETRY = 2, REPLY_DONE = 3 };

typedef struct {
    uint64_t kind, n;
    pmc_block blocks[MAX_BLOCKS];
} work_reply;

/* Blocks this rank ran: their outcomes and, per block, a record buffer
 * (record_size + first_size bytes) that holds the accepted attempt's record
 * and, for a block that ran attempt 0, the slot's first-attempt bytes. */
typedef struct {
    size_t n, cap, record_size;
    pmc_block_outcome *outcomes;
    unsigned char *records;
    uint64_t attempts; /* attempts run, accepted or not */
} local_results;

/* State shared by rank 0's main thread and its dispatcher thread: the
 * ledger of the attempts handed out and their outcomes. */
typedef struct {
    pthread_mutex_t lock;
    pmc_ledger *ledger;
    int stop;   /* pmc_stop_kind, or STOP_FAILED */
    pmc_err err; /* why the dispatcher failed (STOP_FAILED on rank 0 alone) */
    int failed_here;
    uint64_t requests;
    double dispatch_cpu; /* CPU seconds of the dispatcher thread */
    pmc_schedule *s;
    /* Progress, rank 0 only: per-rank work counters as last reported, and
     * when the progress line was last printed. */
    uint64_t *work_by_rank;
    double t0, last_print;
    size_t ntotal;      /* slots of the whole generation, done before included */
    size_t done_before; /* slots done before this call (from a partial file) */
    /* Requests held back until there is work (worker index -> want, 0 = none). */
    uint64_t *deferred;
    int ndeferred;
    int active;         /* other workers that have not been told REPLY_DONE */
} dispenser;

/* Stronger than any pmc_stop_kind: a rank failed, nothing is saved. */
#define STOP_FAILED 4

/* --- small helpers --- */

static int local_stop(const pmc_schedule *s);

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

static void sleep_ns(long ns)
{
    struct timespec ts = { 0, ns };
    nanosleep(&ts, NULL);
}

static long backoff(long ns, long max)
{
    ns *= 2;
    return ns > max ? max : ns;
}

/* Completes a request without spinning, sleeping at most max_ns between
 * polls; gives up (returns 0) after `seconds` if that is > 0. */
static int wait_polling(MPI_Request *req, double seconds, long max_ns)
{
    long ns = POLL_SLEEP_MIN_NS;
    double until = seconds > 0.0 ? pmc_now() + seconds : 0.0;
    for (;;) {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return 1;
        if (until > 0.0 && pmc_now() >= until)
            return 0;
        sleep_ns(ns);
        ns = backoff(ns, max_ns);
    }
}

static int wait_sleeping_for(MPI_Request *req, double seconds)
{
    return wait_polling(req, seconds, POLL_SLEEP_MAX_NS);
}

static void wait_sleeping(MPI_Request *req)
{
    wait_sleeping_for(req, 0.0);
}

static void wait_collective(MPI_Request *req)
{
    wait_polling(req, 0.0, COLLECTIVE_SLEEP_MAX_NS);
}

/* A group wait: spins up to GROUP_SPIN_SECONDS, then as wait_sleeping_for. */
static int wait_group(MPI_Request *req, double seconds)
{
    double until = pmc_now() + GROUP_SPIN_SECONDS;
    do {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return 1;
    } while (pmc_now() < until);
    return wait_sleeping_for(req, seconds);
}

void pmc_schedule_barrier(pmc_schedule *s)
{
    MPI_Request req;
    MPI_Ibarrier(s->comm, &req);
    wait_sleeping(&req);
}

/* --- set-up --- */

/* MPI_Comm_dup agrees on a context id with a blocking allreduce, which
 * spins while a rank that started late is still in MPI_Init. */
static void comm_dup(MPI_Comm comm, MPI_Comm *out)
{
    MPI_Request req;
    MPI_Comm_idup(comm, out, &req);
    wait_sleeping(&req);
}

int pmc_schedule_init(int *argc, char ***argv, pmc_schedule **out, pmc_err *err)
{
#ifdef __linux__
    /* Linux stretches every sleep by the timer slack (50 us by default),
     * which would put a floor of about 60 us under each poll of a waiting
     * rank; a group of ranks waits on each other once per simulation. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
        return pmc_err_set(err, PMC_ERUNTIME, "MPI_Init_thread failed");
    pmc_schedule *s = calloc(1, sizeof *s);
    if (!s)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory allocating the scheduler");
    comm_dup(MPI_COMM_WORLD, &s->comm);
    comm_dup(MPI_COMM_WORLD, &s->work_comm);
    MPI_Comm_rank(s->comm, &s->rank);
    MPI_Comm_size(s->comm, &s->size);
    s->thread_level = provided;
    s->group_size = 1;
    s->n_workers = s->size;
    s->group_rpc = s->group_model = MPI_COMM_NULL;
    *out = s;
    if (provided < MPI_THREAD_SERIALIZED && s->size > 1)
        return pmc_err_set(err, PMC_ERUNTIME,
                           "the MPI library provides thread level %d, pmcabc needs "
                           "MPI_THREAD_SERIALIZED (%d) to run on more than one rank",
                           provided, MPI_THREAD_SERIALIZED);
    return PMC_OK;
}

static void free_groups(pmc_schedule *s)
{
    if (s->group_rpc != MPI_COMM_NULL)
        MPI_Comm_free(&s->group_rpc);
    if (s->group_model != MPI_COMM_NULL)
        MPI_Comm_free(&s->group_model);
    free(s->group_buf);
    s->group_buf = NULL;
    s->group_cap = 0;
}

void pmc_schedule_finalize(pmc_schedule *s)
{
    if (s) {
        /* MPI_Finalize synchronises all ranks by spinning; rank 0 often
         * has work left (the posterior summary, inspect) when others get here. */
        pmc_schedule_barrier(s);
        free_groups(s);
        MPI_Comm_free(&s->work_comm);
        MPI_Comm_free(&s->comm);
        free(s);
    }
    MPI_Finalize();
}

void pmc_schedule_on_fatal(pmc_schedule *s, pmc_fatal_fn fn)
{
    s->on_fatal = fn;
}

void pmc_schedule_abort(pmc_schedule *s, int exit_code)
{
    /* The launcher forwards our stderr through a pipe and may drop what it
     * has not read yet once the abort reaches it (seen under Hydra). */
    fflush(stderr);
    sleep_ns(ABORT_FLUSH_NS);
    /* MPI_COMM_WORLD, not the run's duplicate: Hydra passes exit_code on
     * only for an abort of the world (a duplicate's ended with signal 9). */
    (void)s;
    MPI_Abort(MPI_COMM_WORLD, exit_code);
}

int pmc_schedule_rank(const pmc_schedule *s) { return s->rank; }
int pmc_schedule_size(const pmc_schedule *s) { return s->size; }
void pmc_schedule_set_chunk(pmc_schedule *s, size_t chunk) { s->chunk = chunk; }
void *pmc_schedule_comm_handle(pmc_schedule *s) { return &s->comm; }

int pmc_schedule_comm_agree(void *comm, int ok, int *first)
{
    MPI_Comm c = *(MPI_Comm *)comm;
    int rank, size;
    MPI_Comm_rank(c, &rank);
    MPI_Comm_size(c, &size);
    int mine = ok ? size : rank, least = size;
    *first = -1;
    MPI_Request req;
    if (MPI_Iallreduce(&mine, &least, 1, MPI_INT, MPI_MIN, c, &req) != MPI_SUCCESS)
        return PMC_EIO;
    /* Ranks may wait here for rank 0's fsync or its whole write of a small
     * file: polling every 100 us, dozens of them would starve it of CPU. */
    wait_polling(&req, 0.0, END_SLEEP_MAX_NS);
    *first = least == size ? -1 : least;
    return PMC_OK;
}

int pmc_schedule_comm_bcast(void *comm, void *buf, size_t len, int root)
{
    MPI_Request req;
    if (MPI_Ibcast(buf, (int)len, MPI_BYTE, root, *(MPI_Comm *)comm, &req) != MPI_SUCCESS)
        return PMC_EIO;
    wait_polling(&req, 0.0, END_SLEEP_MAX_NS); /* the root may still be busy */
    return PMC_OK;
}

/* --- groups --- */

int pmc_schedule_set_groups(pmc_schedule *s, int k, pmc_err *err)
{
    if (k < 1 || s->size % k != 0)
        return pmc_err_set(err, PMC_EINVAL,
                           "the number of MPI ranks (%d) is not a multiple of %d: run on a "
                           "multiple of ranks_per_simulation ranks", s->size, k);
    if (k > 1 && s->thread_level < MPI_THREAD_MULTIPLE)
        return pmc_err_set(err, PMC_ERUNTIME,
                           "the MPI library provides thread level %d, groups of ranks need "
                           "MPI_THREAD_MULTIPLE (%d)", s->thread_level, MPI_THREAD_MULTIPLE);
    free_groups(s);
    s->group_size = k;
    s->group_rank = s->rank % k;
    s->n_workers = s->size / k;
    s->group_stop = PMC_STOP_NONE;
    /* A group of one is this rank alone, which needs no (spinning) split
     * of s->comm; there is no non-blocking split, so the barrier at least
     * lets the ranks enter it together. */
    if (k == 1) {
        comm_dup(MPI_COMM_SELF, &s->group_rpc);
    } else {
        pmc_schedule_barrier(s);
        MPI_Comm_split(s->comm, s->rank / k, s->rank, &s->group_rpc);
    }
    comm_dup(s->group_rpc, &s->group_model);
    return PMC_OK;
}

int pmc_schedule_group_rank(const pmc_schedule *s) { return s->group_rank; }
int pmc_schedule_group_size(const pmc_schedule *s) { return s->group_size; }

const void *pmc_schedule_group_comm_handle(const pmc_schedule *s)
{
    return s->group_model == MPI_COMM_NULL ? NULL : &s->group_model;
}

int pmc_schedule_set_group_fn(pmc_schedule *s, pmc_group_fn fn, void *ctx, size_t max_len,
                              pmc_err *err)
{
    s->group_fn = fn;
    s->group_ctx = ctx;
    if (max_len <= s->group_cap)
        return PMC_OK;
    unsigned char *buf = realloc(s->group_buf, sizeof(group_header) + max_len);
    if (!buf)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for group calls");
    s->group_buf = buf;
    s->group_cap = max_len;
    return PMC_OK;
}

/* Leader: sends a header (and payload) to every other rank of the group. */
static void group_send(pmc_schedule *s, uint64_t cmd, const void *msg, size_t len)
{
    group_header h = { cmd, len };
    memcpy(s->group_buf, &h, sizeof h);
    if (len)
        memcpy(s->group_buf + sizeof h, msg, len);
    MPI_Request req[64];
    for (int m0 = 1; m0 < s->group_size; m0 += 64) {
        int n = 0;
        for (int m = m0; m < s->group_size && n < 64; m++)
            MPI_Isend(s->group_buf, (int)(sizeof h + len), MPI_BYTE, m, TAG_GROUP_CALL,
                      s->group_rpc, &req[n++]);
        for (int i = 0; i < n; i++)
            wait_group(&req[i], 0.0);
    }
}

/* The end of a failed call that the rest of the group never acknowledged:
 * they wait inside the model for this rank, and no message can reach them. */
static void group_give_up(pmc_schedule *s, const pmc_err *err, double grace)
{
    pmc_log_error("rank %d (rank %d of its group): %s", s->rank, s->group_rank, err->msg);
    pmc_log_error("rank %d: the other ranks of its group did not finish this simulation "
                  "within %.0f s of the failure (they presumably wait in a collective call "
                  "of the model): aborting the whole run with exit status 1",
                  s->rank, grace);
    /* No status can travel back: the caller's next collective would wait
     * for the stuck ranks forever. The process ends here, the way app/
     * chose (tests and tools that chose nothing get the plain abort). */
    if (s->on_fatal)
        s->on_fatal(s, PMC_ERUNTIME);
    pmc_schedule_abort(s, 1);
}

/* After every group call: all ranks of the group learn whether one failed
 * (the lowest failing one's message then reaches all) and whether one saw a
 * stop. Returns the group's status. */
static int group_settle(pmc_schedule *s, int rc, double took, pmc_err *err)
{
    if (took > s->longest_call)
        s->longest_call = took;
    int in[2] = { rc != PMC_OK ? s->group_rank : s->group_size, -local_stop(s) }, out[2];
    MPI_Request req;
    MPI_Iallreduce(in, out, 2, MPI_INT, MPI_MIN, s->group_rpc, &req);
    double grace = 4.0 * s->longest_call;
    if (grace < GROUP_GRACE_MIN_SECONDS)
        grace = GROUP_GRACE_MIN_SECONDS;
    if (!wait_group(&req, rc != PMC_OK ? grace : 0.0))
        group_give_up(s, err, grace);
    if (-out[1] > s->group_stop)
        s->group_stop = -out[1];
    if (out[0] == s->group_size)
        return PMC_OK;
    pmc_err e;
    pmc_err_clear(&e);
    if (s->group_rank == out[0]) {
        e = *err;
        e.code = rc;
        if (s->group_rank > 0)
            pmc_err_prefix(&e, "rank %d (rank %d of its group)", s->rank, s->group_rank);
    }
    MPI_Ibcast(&e, (int)sizeof e, MPI_BYTE, out[0], s->group_rpc, &req);
    wait_group(&req, 0.0);
    *err = e;
    return e.code;
}

int pmc_schedule_group_call(pmc_schedule *s, const void *msg, size_t len, pmc_err *err)
{
    if (s->group_size == 1)
        return s->group_fn(s->group_ctx, msg, len, err);
    if (len > s->group_cap)
        return pmc_err_set(err, PMC_ERUNTIME, "internal error: group call of %zu bytes, "
                           "at most %zu", len, s->group_cap);
    double t0 = pmc_now();
    group_send(s, GROUP_CALL, msg, len);
    int rc = s->group_fn(s->group_ctx, msg, len, err);
    return group_settle(s, rc, pmc_now() - t0, err);
}

void pmc_schedule_block(const pmc_schedule *s, size_t n, size_t *lo, size_t *hi)
{
    /* 128-bit-safe enough: n * rank fits in size_t for any n < 2^48 on < 2^16 ranks. */
    *lo = n * (size_t)s->rank / (size_t)s->size;
    *hi = n * (size_t)(s->rank + 1) / (size_t)s->size;
}

/* --- progress --- */

void pmc_schedule_set_progress(pmc_schedule *s, _Atomic uint64_t *work_counter, const char *label)
{
    s->work_counter = work_counter;
    s->progress_label = label;
}

static uint64_t work_now(const pmc_schedule *s)
{
    return s->work_counter ? atomic_load_explicit(s->work_counter, memory_order_relaxed) : 0;
}

/* Rank 0: prints slots done / N, simulations per second and an ETA when
 * the progress interval has passed (pmc_log_progress decides how). */
static void report_progress(dispenser *d, int final)
{
    pmc_schedule *s = d->s;
    double now = pmc_now();
    double every = pmc_log_progress_period(s->ctl.progress_interval);
    if (every <= 0.0 || (!final && now - d->last_print < every) || now - d->t0 < every)
        return;
    d->last_print = now;
    uint64_t done = d->done_before, work = 0;
    pthread_mutex_lock(&d->lock);
    d->work_by_rank[0] = work_now(s);
    done += pmc_ledger_finished(d->ledger);
    for (int r = 0; r < s->size; r++)
        work += d->work_by_rank[r];
    pthread_mutex_unlock(&d->lock);
    double el = now - d->t0;
    double rate = el > 0 ? (double)(done - d->done_before) / el : 0.0;
    char eta[32];
    pmc_log_duration(rate > 0 ? (double)(d->ntotal - done) / rate : -1.0, eta, sizeof eta);
    pmc_log_progress(final, "%s: %llu/%zu slots (%.0f%%), %.3g sims/s, ETA %s",
                     s->progress_label ? s->progress_label : "progress",
                     (unsigned long long)done, d->ntotal,
                     d->ntotal ? 100.0 * (double)done / (double)d->ntotal : 100.0,
                     el > 0 ? (double)work / el : 0.0, eta);
}

/* --- run control --- */

void pmc_schedule_set_control(pmc_schedule *s, const pmc_run_control *ctl)
{
    s->ctl = *ctl;
}

/* A stop this rank can see by itself: a signal, or the deadline passed
 * (or, for a group leader, a member saw one). */
static int local_stop(const pmc_schedule *s)
{
    if (s->group_stop != PMC_STOP_NONE)
        return s->group_stop;
    if (pmc_signal_pending())
        return PMC_STOP_EXIT;
    if (s->ctl.deadline > 0.0 && pmc_now() >= s->ctl.deadline)
        return PMC_STOP_EXIT;
    return PMC_STOP_NONE;
}

/* What rank 0 decides for everyone: a local stop, or a periodic save. */
static int dispatcher_stop(const pmc_schedule *s)
{
    int kind = local_stop(s);
    if (kind == PMC_STOP_NONE && s->ctl.save_interval > 0.0 &&
        pmc_now() - s->ctl.last_save >= s->ctl.save_interval)
        kind = PMC_STOP_SAVE;
    return kind;
}

int pmc_schedule_any(pmc_schedule *s, int flag)
{
    int any = 0;
    MPI_Request req;
    MPI_Iallreduce(&flag, &any, 1, MPI_INT, MPI_MAX, s->comm, &req);
    wait_polling(&req, 0.0, END_SLEEP_MAX_NS);
    return any;
}

/* --- local results --- */

/* Appends an entry for a block about to run; *record is its buffer. */
static int results_push(local_results *r, const pmc_block *b, unsigned char **record)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        pmc_block_outcome *o = realloc(r->outcomes, cap * sizeof *o);
        if (!o)
            return PMC_ENOMEM;
        r->outcomes = o;
        unsigned char *recs = realloc(r->records, cap * r->record_size);
        if (!recs)
            return PMC_ENOMEM;
        r->records = recs;
        r->cap = cap;
    }
    r->outcomes[r->n] = (pmc_block_outcome){ b->slot, b->first, 0, PMC_ATTEMPT_NONE };
    *record = r->records + r->n * r->record_size;
    memset(*record, 0, r->record_size); /* a block without attempt 0 leaves its tail unset */
    r->n++;
    return PMC_OK;
}

static void results_free(local_results *r)
{
    free(r->outcomes);
    free(r->records);
}

/* Runs the blocks in order, appending their outcomes to res and to
 * `unreported` (capacity MAX_OUTCOMES, *nrep used). Returns the first
 * failure, with the slot in the message, or PMC_EINTR when fn stopped
 * because the run must stop (its block's outcome is then partial). */
static int compute_chunk(const pmc_block *blocks, size_t nb, pmc_attempt_fn fn, void *ctx,
                         local_results *res, pmc_block_outcome *unreported, size_t *nrep,
                         double *busy, pmc_err *err)
{
    double t0 = pmc_now();
    double c0 = cpu_now();
    int rc = PMC_OK;
    for (size_t i = 0; i < nb && rc == PMC_OK; i++) {
        unsigned char *rec = NULL;
        rc = results_push(res, &blocks[i], &rec);
        if (rc != PMC_OK) {
            pmc_err_set(err, rc, "out of memory storing results");
            break;
        }
        pmc_block_outcome *o = &res->outcomes[res->n - 1];
        rc = fn(ctx, (size_t)blocks[i].slot, blocks[i].first, blocks[i].end, rec, &o->ran,
                &o->accepted, err);
        res->attempts += o->ran;
        if (rc != PMC_OK && rc != PMC_EINTR)
            pmc_err_prefix(err, "slot %llu", (unsigned long long)blocks[i].slot);
        if (rc == PMC_OK || rc == PMC_EINTR)
            unreported[(*nrep)++] = *o;
    }
    busy[0] += pmc_now() - t0;
    busy[1] += cpu_now() - c0;
    return rc;
}

/* Attempts a rank asks for: enough for CHUNK_TARGET_SECONDS of work at the
 * rate measured so far (1 before anything was measured). */
static uint64_t wanted_chunk(const pmc_schedule *s, double busy, uint64_t attempts)
{
    if (s->chunk)
        return s->chunk;
    if (attempts == 0 || busy <= 0.0)
        return 1;
    double target = (double)s->n_workers * DISPATCH_SECONDS_PER_REQUEST;
    if (target < CHUNK_TARGET_SECONDS)
        target = CHUNK_TARGET_SECONDS;
    double want = target / (busy / (double)attempts);
    if (want < 1.0)
        return 1;
    if (want > 1e6)
        return 1000000;
    return (uint64_t)want;
}

/* Raises the dispenser's stop level (never lowers it). A periodic save
 * lets the started slots finish first (pmc_ledger_drain). */
static void dispenser_stop(dispenser *d, int kind)
{
    pthread_mutex_lock(&d->lock);
    if (kind > d->stop)
        d->stop = kind;
    if (kind == PMC_STOP_SAVE)
        pmc_ledger_drain(d->ledger);
    pthread_mutex_unlock(&d->lock);
}

static int dispenser_stopped(dispenser *d)
{
    pthread_mutex_lock(&d->lock);
    int stop = d->stop;
    pthread_mutex_unlock(&d->lock);
    return stop;
}

/* Under d->lock: records the outcomes worker w reports; an inconsistent
 * one (a bug) stops the call as a failure of rank 0. */
static void dispenser_report(dispenser *d, int w, const pmc_block_outcome *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pmc_err e;
        if (pmc_ledger_report(d->ledger, w, &o[i], &e) != PMC_OK && !d->failed_here) {
            d->err = e;
            d->failed_here = 1;
            d->stop = STOP_FAILED;
        }
    }
    if (pmc_ledger_over_budget(d->ledger) && d->stop < PMC_STOP_BUDGET)
        d->stop = PMC_STOP_BUDGET;
}

/* Under d->lock: no more work for anyone in this call. */
static int dispenser_finished(const dispenser *d)
{
    if (d->stop == PMC_STOP_SAVE)
        return pmc_ledger_drained(d->ledger);
    return d->stop != PMC_STOP_NONE || pmc_ledger_done(d->ledger);
}

/* --- rank 0's dispatcher thread --- */

static void send_reply(pmc_schedule *s, int w, const work_reply *rep)
{
    size_t len = offsetof(work_reply, blocks) + (size_t)rep->n * sizeof(pmc_block);
    MPI_Send(rep, (int)len, MPI_BYTE, w * s->group_size, TAG_REPLY, s->work_comm);
}

/* Under d->lock: the reply to worker w's request for `want` attempts, or
 * 0 if the request is to be held back (nothing now, nothing in its hands). */
static int make_reply(dispenser *d, int w, uint64_t want, int early, work_reply *rep)
{
    rep->n = 0;
    if (dispenser_finished(d)) {
        rep->kind = REPLY_DONE;
        return 1;
    }
    if (!early || pmc_ledger_plenty(d->ledger))
        rep->n = pmc_ledger_take(d->ledger, w, want, rep->blocks, MAX_BLOCKS);
    if (rep->n > 0) {
        rep->kind = REPLY_WORK;
        return 1;
    }
    if (pmc_ledger_outstanding(d->ledger, w) > 0) {
        rep->kind = REPLY_RETRY;
        return 1;
    }
    return 0;
}

/* Answers the requests held back, now that the ledger may have changed. */
static void serve_deferred(dispenser *d)
{
    pmc_schedule *s = d->s;
    for (int w = 1; w < s->n_workers && d->ndeferred > 0; w++) {
        if (!d->deferred[w])
            continue;
        work_reply rep;
        pthread_mutex_lock(&d->lock);
        int ready = make_reply(d, w, d->deferred[w], 0, &rep);
        pthread_mutex_unlock(&d->lock);
        if (!ready)
            continue;
        d->deferred[w] = 0;
        d->ndeferred--;
        send_reply(s, w, &rep);
        if (rep.kind == REPLY_DONE)
            d->active--;
    }
}

/* Receives one request and answers or holds it back. */
static void serve_request(dispenser *d, const MPI_Status *st, request_msg *msg)
{
    pmc_schedule *s = d->s;
    MPI_Recv(msg, (int)sizeof *msg, MPI_BYTE, st->MPI_SOURCE, TAG_REQUEST, s->work_comm,
             MPI_STATUS_IGNORE);
    int w = st->MPI_SOURCE / s->group_size;
    size_t nout = msg->h.n_outcomes <= MAX_OUTCOMES ? (size_t)msg->h.n_outcomes : MAX_OUTCOMES;
    work_reply rep;
    pthread_mutex_lock(&d->lock);
    d->requests++;
    d->work_by_rank[st->MPI_SOURCE] = msg->h.work;
    dispenser_report(d, w, msg->outcomes, nout);
    if (msg->h.failed)
        d->stop = STOP_FAILED;
    if (msg->h.stop && msg->h.stop > d->stop)
        d->stop = msg->h.stop;
    /* A failed or stopping worker asks for nothing: it is told DONE. */
    uint64_t want = msg->h.failed || msg->h.stop ? 0 : (msg->h.want ? msg->h.want : 1);
    int ready = want ? make_reply(d, w, want, msg->h.early != 0, &rep)
                     : (rep.kind = REPLY_DONE, rep.n = 0, 1);
    pthread_mutex_unlock(&d->lock);
    if (!ready) {
        d->deferred[w] = want;
        d->ndeferred++;
        return;
    }
    send_reply(s, w, &rep);
    if (rep.kind == REPLY_DONE)
        d->active--;
}

static void *dispatcher_main(void *arg)
{
    dispenser *d = arg;
    pmc_schedule *s = d->s;
    double c0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID); /* its cost per request */
    request_msg msg;
    long ns = POLL_SLEEP_MIN_NS;
    while (d->active > 0) {
        int kind = dispatcher_stop(s);
        if (kind != PMC_STOP_NONE)
            dispenser_stop(d, kind);
        report_progress(d, 0);
        serve_deferred(d);
        int flag = 0;
        MPI_Status st;
        if (d->active > 0)
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, s->work_comm, &flag, &st);
        if (!flag) {
            sleep_ns(ns);
            ns = backoff(ns, DISPATCH_SLEEP_MAX_NS);
            continue;
        }
        ns = POLL_SLEEP_MIN_NS;
        serve_request(d, &st, &msg);
    }
    d->dispatch_cpu = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

/* Rank 0's own share of the work while the dispatcher serves the others.
 * It takes blocks from the ledger directly and reports each chunk as soon as
 * it is computed. *stop receives this rank's view of why work ended early. */
static int run_rank0(dispenser *d, pmc_attempt_fn fn, void *ctx, local_results *res,
                     double *busy, int *stop, pmc_err *err)
{
    pthread_t tid;
    pmc_schedule *s = d->s;
    int threaded = s->n_workers > 1;
    if (threaded && pthread_create(&tid, NULL, dispatcher_main, d) != 0)
        return pmc_err_set(err, PMC_ERUNTIME, "cannot start the dispatcher thread: %s",
                           strerror(errno));
    pmc_block blocks[MAX_BLOCKS];
    pmc_block_outcome out[MAX_OUTCOMES];
    long ns = POLL_SLEEP_MIN_NS;
    int rc = PMC_OK;
    for (;;) {
        int kind = threaded ? local_stop(s) : dispatcher_stop(s);
        if (kind != PMC_STOP_NONE)
            dispenser_stop(d, threaded ? PMC_STOP_EXIT : kind);
        if (!threaded)
            report_progress(d, 0);
        pthread_mutex_lock(&d->lock);
        int finished = dispenser_finished(d);
        size_t nb = finished ? 0
                             : pmc_ledger_take(d->ledger, 0, wanted_chunk(s, busy[0], res->attempts),
                                               blocks, MAX_BLOCKS);
        pthread_mutex_unlock(&d->lock);
        if (finished)
            break;
        if (nb == 0) {
            /* Others hold the blocks that decide what is left: wait for them. */
            sleep_ns(ns);
            ns = backoff(ns, DISPATCH_SLEEP_MAX_NS);
            continue;
        }
        ns = POLL_SLEEP_MIN_NS;
        size_t nout = 0;
        rc = compute_chunk(blocks, nb, fn, ctx, res, out, &nout, busy, err);
        pthread_mutex_lock(&d->lock);
        d->work_by_rank[0] = work_now(s);
        dispenser_report(d, 0, out, nout);
        pthread_mutex_unlock(&d->lock);
        if (rc == PMC_EINTR) {
            dispenser_stop(d, PMC_STOP_EXIT);
            rc = PMC_OK;
        } else if (rc != PMC_OK) {
            dispenser_stop(d, STOP_FAILED);
            break;
        }
    }
    if (threaded)
        pthread_join(tid, NULL);
    report_progress(d, 1);
    if (rc == PMC_OK && d->failed_here) {
        *err = d->err;
        rc = err->code;
    }
    *stop = dispenser_stopped(d);
    if (*stop == STOP_FAILED)
        *stop = PMC_STOP_NONE;
    return rc;
}

/* --- workers (ranks > 0) --- */

static void post_request(pmc_schedule *s, request_msg *req, work_reply *rep, MPI_Request r[2])
{
    size_t len = offsetof(request_msg, outcomes) + (size_t)req->h.n_outcomes *
                                                       sizeof(pmc_block_outcome);
    MPI_Irecv(rep, (int)sizeof *rep, MPI_BYTE, 0, TAG_REPLY, s->work_comm, &r[1]);
    MPI_Isend(req, (int)len, MPI_BYTE, 0, TAG_REQUEST, s->work_comm, &r[0]);
}

/* The reply usually comes within a millisecond (or when work turns up for
 * a held-back request): polling at most every 1 ms keeps that latency well
 * under a slow attempt's time. */
static void finish_request(MPI_Request r[2])
{
    wait_polling(&r[0], 0.0, END_SLEEP_MAX_NS);
    wait_polling(&r[1], 0.0, END_SLEEP_MAX_NS);
}

/* Fills the request header and moves the unreported outcomes into it. */
static void fill_request(pmc_schedule *s, request_msg *req, uint64_t want, int failed, int stop,
                         pmc_block_outcome *unreported, size_t *nrep)
{
    req->h.early = 0;
    req->h.want = want;
    req->h.failed = failed;
    req->h.stop = stop;
    req->h.work = work_now(s);
    req->h.n_outcomes = *nrep;
    memcpy(req->outcomes, unreported, *nrep * sizeof *unreported);
    *nrep = 0;
}

/* Asks for blocks until told there is no more work, reporting each block's
 * outcome in the next request. While computing one chunk it already has the
 * request for the next one in flight (unless attempts are slow), so the
 * round trip to rank 0 is hidden. After a failure or a local stop it
 * reports what it has and declines more; rank 0 then stops handing out work
 * to everyone. */
static int run_worker(pmc_schedule *s, pmc_attempt_fn fn, void *ctx, local_results *res,
                      double *busy, int *stop, pmc_err *err)
{
    request_msg reqbuf, *req = &reqbuf;
    work_reply repbuf, *rep = &repbuf;
    pmc_block cur[MAX_BLOCKS];
    pmc_block_outcome unreported[MAX_OUTCOMES];
    size_t nrep = 0, ncur = 0;
    MPI_Request r[2];
    *stop = PMC_STOP_NONE;
    int rc = PMC_OK;
    fill_request(s, req, 1, 0, 0, unreported, &nrep);
    post_request(s, req, rep, r);
    int pending = 1;
    for (;;) {
        if (ncur == 0) {
            if (!pending) {
                fill_request(s, req, wanted_chunk(s, busy[0], res->attempts), rc != PMC_OK,
                             *stop, unreported, &nrep);
                post_request(s, req, rep, r);
            }
            finish_request(r);
            pending = 0;
            if (rep->kind == REPLY_DONE)
                break;
            if (rep->kind == REPLY_WORK && rc == PMC_OK && *stop == PMC_STOP_NONE) {
                ncur = (size_t)rep->n;
                memcpy(cur, rep->blocks, ncur * sizeof *cur);
            }
            continue; /* RETRY, or work declined after a stop: ask (and report) again */
        }
        if (rc == PMC_OK && *stop == PMC_STOP_NONE)
            *stop = local_stop(s);
        if (*stop != PMC_STOP_NONE) {
            ncur = 0;
            continue;
        }
        /* Ask for the next blocks now; the reply arrives while these run. */
        double per_attempt = res->attempts ? busy[0] / (double)res->attempts : 1.0;
        fill_request(s, req, wanted_chunk(s, busy[0], res->attempts), 0, 0, unreported, &nrep);
        req->h.early = per_attempt >= PREFETCH_MAX_SLOT_SECONDS;
        post_request(s, req, rep, r);
        pending = 1;
        rc = compute_chunk(cur, ncur, fn, ctx, res, unreported, &nrep, busy, err);
        ncur = 0;
        if (rc == PMC_EINTR) {
            rc = PMC_OK;
            *stop = PMC_STOP_EXIT;
        }
    }
    return rc;
}

/* --- group members (group rank > 0) --- */

/* Serves the leader's calls until it says the work is done. A failure is
 * the leader's to report (group_settle hands it the message), so a member
 * has no status of its own. */
static void run_member(pmc_schedule *s, double *busy, int *stop)
{
    for (;;) {
        MPI_Request req;
        MPI_Irecv(s->group_buf, (int)(sizeof(group_header) + s->group_cap), MPI_BYTE, 0,
                  TAG_GROUP_CALL, s->group_rpc, &req);
        wait_group(&req, 0.0);
        group_header h;
        memcpy(&h, s->group_buf, sizeof h);
        if (h.cmd == GROUP_DONE)
            break;
        double t0 = pmc_now(), c0 = cpu_now();
        pmc_err e;
        pmc_err_clear(&e);
        int rc = s->group_fn(s->group_ctx, s->group_buf + sizeof h, (size_t)h.len, &e);
        busy[0] += pmc_now() - t0;
        busy[1] += cpu_now() - c0;
        group_settle(s, rc, pmc_now() - t0, &e);
    }
    *stop = local_stop(s);
}

/* --- gathering --- */

/* Position of slot in todo (ascending), or SIZE_MAX. */
static size_t todo_index(const size_t *todo, size_t ntodo, uint64_t slot)
{
    size_t lo = 0, hi = ntodo;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (todo[mid] < slot)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ntodo && todo[lo] == slot ? lo : SIZE_MAX;
}

/* What a rank contributes to the gather for one finished slot: its
 * accepted record (PART_MAIN) or its attempt-0 bytes (PART_FIRST). */
enum { PART_MAIN = 1, PART_FIRST = 2 };

/* Packs the local entries the finished slots need (acc[k]: accepted
 * attempt of todo[k], or PMC_ATTEMPT_NONE) as items of `item` bytes:
 * slot, part, then the block's record buffer. Returns the item count. */
static size_t pack_parts(const local_results *res, const size_t *todo, size_t ntodo,
                         const uint64_t *acc, const pmc_slot_spec *spec, unsigned char *out,
                         size_t item)
{
    size_t m = 0;
    for (size_t i = 0; i < res->n; i++) {
        const pmc_block_outcome *o = &res->outcomes[i];
        size_t k = todo_index(todo, ntodo, o->slot);
        if (k == SIZE_MAX || acc[k] == PMC_ATTEMPT_NONE)
            continue;
        uint64_t parts[2] = { o->slot, 0 };
        if (o->accepted == acc[k])
            parts[1] |= PART_MAIN;
        /* The block that starts the slot in this call carries its first bytes. */
        uint64_t start = spec->rejected ? spec->rejected[o->slot] : 0;
        if (spec->first_size && o->first == start && o->ran > 0)
            parts[1] |= PART_FIRST;
        if (!parts[1])
            continue;
        memcpy(out + m * item, parts, sizeof parts);
        memcpy(out + m * item + sizeof parts, res->records + i * res->record_size,
               res->record_size);
        m++;
    }
    return m;
}

/* Places gathered items by slot: the accepted record from the block that
 * accepted, the first-attempt bytes from the block that ran attempt 0. */
static int place_parts(const unsigned char *items, size_t m, size_t item, const size_t *todo,
                       size_t ntodo, const uint64_t *acc, size_t main_size, size_t first_size,
                       unsigned char *records, unsigned char *seen, pmc_err *err)
{
    size_t rs = main_size + first_size;
    for (size_t i = 0; i < m; i++) {
        uint64_t parts[2];
        memcpy(parts, items + i * item, sizeof parts);
        const unsigned char *rec = items + i * item + sizeof parts;
        size_t k = todo_index(todo, ntodo, parts[0]);
        if (k == SIZE_MAX || acc[k] == PMC_ATTEMPT_NONE || (seen[k] & parts[1]))
            return pmc_err_set(err, PMC_ERUNTIME, "internal error: duplicate or stray result "
                               "for slot %llu", (unsigned long long)parts[0]);
        unsigned char *dst = records + parts[0] * rs;
        if (parts[1] & PART_MAIN)
            memcpy(dst, rec, main_size);
        if (parts[1] & PART_FIRST)
            memcpy(dst + main_size, rec + main_size, first_size);
        seen[k] |= (unsigned char)parts[1];
    }
    return PMC_OK;
}

/* Buffers of the gather, allocated before the work ends so that running
 * out of memory is known in the reduction that ends it: at most one item
 * per local block is sent and two per slot (its accepted record and its
 * attempt-0 bytes) received. */
typedef struct {
    size_t item;
    unsigned char *send, *recv, *seen;
    int *counts, *displs;
} gather_bufs;

static int gather_alloc(const pmc_schedule *s, const local_results *res, size_t ntodo,
                        gather_bufs *g, pmc_err *err)
{
    g->item = 2 * sizeof(uint64_t) + res->record_size;
    g->send = malloc(res->n * g->item + 1);
    g->recv = malloc(2 * ntodo * g->item + 1);
    g->seen = calloc(ntodo ? ntodo : 1, 1);
    g->counts = calloc((size_t)s->size, sizeof *g->counts);
    g->displs = calloc((size_t)s->size, sizeof *g->displs);
    if (!g->send || !g->recv || !g->seen || !g->counts || !g->displs)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory gathering %zu results", ntodo);
    if (2 * ntodo * g->item > (size_t)2147483647)
        return pmc_err_set(err, PMC_ERUNTIME, "population too large to gather (%zu bytes)",
                           2 * ntodo * g->item);
    return PMC_OK;
}

static void gather_free(gather_bufs *g)
{
    free(g->send);
    free(g->recv);
    free(g->seen);
    free(g->counts);
    free(g->displs);
}

/* Every rank receives the records of the slots finished in this call
 * (acc: rank 0's ledger decided which, and which attempt each accepted),
 * places them by slot and marks the slots done. Every rank sees the same
 * gathered bytes, so all return the same status. Returns the number placed. */
static int gather_results(pmc_schedule *s, const local_results *res, const pmc_slot_spec *spec,
                          const size_t *todo, size_t ntodo, const uint64_t *acc, gather_bufs *g,
                          void *records, unsigned char *done, size_t *placed, pmc_err *err)
{
    *placed = 0;
    size_t m = pack_parts(res, todo, ntodo, acc, spec, g->send, g->item);
    int mine = (int)(m * g->item);
    MPI_Request req;
    MPI_Iallgather(&mine, 1, MPI_INT, g->counts, 1, MPI_INT, s->comm, &req);
    wait_collective(&req);
    long total = 0;
    for (int r = 0; r < s->size; r++) {
        g->displs[r] = (int)total;
        total += g->counts[r];
    }
    if ((size_t)total > 2 * ntodo * g->item)
        return pmc_err_set(err, PMC_ERUNTIME, "internal error: %ld bytes of results for %zu "
                           "slots", total, ntodo);
    MPI_Iallgatherv(g->send, mine, MPI_BYTE, g->recv, g->counts, g->displs, MPI_BYTE, s->comm,
                    &req);
    wait_collective(&req);
    int rc = place_parts(g->recv, (size_t)total / g->item, g->item, todo, ntodo, acc,
                         spec->record_size, spec->first_size, records, g->seen, err);
    unsigned char want = (unsigned char)(PART_MAIN | (spec->first_size ? PART_FIRST : 0));
    for (size_t k = 0; rc == PMC_OK && k < ntodo; k++) {
        if (acc[k] == PMC_ATTEMPT_NONE)
            continue;
        if (g->seen[k] != want)
            return pmc_err_set(err, PMC_ERUNTIME, "internal error: slot %zu finished but its "
                               "record did not arrive", todo[k]);
        done[todo[k]] = 1;
        (*placed)++;
    }
    return rc;
}

/* Every rank gets rank `first`'s status and message (first failed). */
static int share_error(pmc_schedule *s, int first, int status, pmc_err *err)
{
    pmc_err e;
    pmc_err_clear(&e);
    if (s->rank == first && err)
        e = *err;
    if (s->rank == first)
        e.code = status;
    pmc_schedule_comm_bcast(&s->comm, &e, sizeof e, first);
    if (err)
        *err = e;
    return e.code;
}

int pmc_schedule_agree(pmc_schedule *s, int status, pmc_err *err)
{
    int first = -1;
    pmc_schedule_comm_agree(&s->comm, status == PMC_OK, &first);
    return first < 0 ? PMC_OK : share_error(s, first, status, err);
}

/* Ends the work of a call in one round of collectives, without a barrier:
 * every rank learns whether one failed (and the lowest failing rank's
 * message), the strongest stop, the load-balance figures, and rank 0's
 * accepted and known rejected attempts (acc, 2 * ntodo values). busy[0]: wall seconds inside fn,
 * busy[1]: CPU seconds inside fn, busy[2]: CPU seconds of the whole call.
 * Returns the agreed status. */
static int finish_work(pmc_schedule *s, int rc, int stop, const double *busy, double wall,
                       const dispenser *d, uint64_t attempts, uint64_t *acc, size_t ntodo,
                       pmc_schedule_stats *stats, pmc_err *err)
{
    double frac = wall > 0 ? busy[0] / wall : 1.0;
    /* CPU used while not simulating, per second of waiting; only meaningful
     * for a rank that mostly waited (a working rank's few "waiting"
     * milliseconds are dominated by timer and scheduling noise). */
    double wait_wall = wall - busy[0];
    double wait_cpu = wait_wall > 0.2 && wait_wall > 0.5 * wall
                          ? (busy[2] - busy[1]) / wait_wall : 0.0;
    /* Maxima and sums in one reduction each. The lowest failing rank is the
     * maximum of -rank; what only rank 0 keeps (requests, speculative,
     * dispatcher CPU) sums to its value, counts exact in a double below
     * 2^53 as are the attempts. */
    double mx[6] = { rc != PMC_OK ? -(double)s->rank : -(double)s->size, (double)stop, -frac,
                     wait_cpu, wall, frac };
    double sum[5] = { frac, (double)d->requests, (double)attempts,
                      d->ledger ? (double)pmc_ledger_speculative(d->ledger) : 0.0,
                      d->dispatch_cpu };
    MPI_Request req[3];
    MPI_Iallreduce(MPI_IN_PLACE, mx, 6, MPI_DOUBLE, MPI_MAX, s->comm, &req[0]);
    MPI_Iallreduce(MPI_IN_PLACE, sum, 5, MPI_DOUBLE, MPI_SUM, s->comm, &req[1]);
    MPI_Ibcast(acc, (int)(2 * ntodo * sizeof *acc), MPI_BYTE, 0, s->comm, &req[2]);
    for (int i = 0; i < 3; i++)
        wait_polling(&req[i], 0.0, END_SLEEP_MAX_NS);
    stats->stop = (int)mx[1];
    stats->busy_min = -mx[2];
    stats->wait_cpu_max = mx[3];
    stats->wall = mx[4];
    stats->busy_max = mx[5];
    stats->busy_mean = sum[0] / s->size;
    stats->requests = (uint64_t)sum[1];
    stats->attempts = (uint64_t)sum[2];
    stats->speculative = (uint64_t)sum[3];
    stats->dispatch_cpu = sum[4];
    int first = (int)-mx[0];
    return first < s->size ? share_error(s, first, rc, err) : PMC_OK;
}

/* The slots not done yet, ascending. */
static size_t *make_todo(const unsigned char *done, size_t nslots, size_t *ntodo)
{
    size_t *todo = malloc((nslots ? nslots : 1) * sizeof *todo);
    *ntodo = 0;
    if (!todo)
        return NULL;
    for (size_t i = 0; i < nslots; i++)
        if (!done[i])
            todo[(*ntodo)++] = i;
    return todo;
}

/* Rank 0's share of the set-up: the ledger and the progress counters. */
static int dispenser_init(dispenser *d, pmc_schedule *s, const pmc_slot_spec *spec,
                          const size_t *todo, size_t ntodo, double t0, pmc_err *err)
{
    memset(d, 0, sizeof *d);
    d->s = s;
    d->t0 = d->last_print = t0;
    d->ntotal = spec->nslots;
    d->done_before = spec->nslots - ntodo;
    d->active = s->n_workers - 1;
    pthread_mutex_init(&d->lock, NULL);
    d->work_by_rank = calloc((size_t)s->size, sizeof *d->work_by_rank);
    d->deferred = calloc((size_t)s->n_workers, sizeof *d->deferred);
    if (!d->work_by_rank || !d->deferred)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory");
    if (s->rank != 0)
        return PMC_OK;
    return pmc_ledger_create(todo, ntodo, spec->nslots, s->n_workers, spec->max_attempts,
                             spec->attempts_hint, spec->rejected, &d->ledger, err);
}

static void dispenser_free(dispenser *d)
{
    pthread_mutex_destroy(&d->lock);
    pmc_ledger_free(d->ledger);
    free(d->work_by_rank);
    free(d->deferred);
}

/* Rank 0: the accepted attempt of every slot finished in this call
 * (acc[k]), and the known rejected attempts of every other (acc[ntodo + k]). */
static void accepted_attempts(const dispenser *d, size_t ntodo, uint64_t *acc)
{
    for (size_t k = 0; k < ntodo; k++) {
        acc[k] = d->ledger ? pmc_ledger_accepted(d->ledger, k) : PMC_ATTEMPT_NONE;
        acc[ntodo + k] = d->ledger ? pmc_ledger_rejected(d->ledger, k) : 0;
    }
}

/* Unfinished slots go on later from their known rejected attempts. */
static void keep_rejected(const pmc_slot_spec *spec, const size_t *todo, size_t ntodo,
                          const uint64_t *acc)
{
    if (!spec->rejected)
        return;
    for (size_t k = 0; k < ntodo; k++)
        spec->rejected[todo[k]] = acc[k] == PMC_ATTEMPT_NONE ? acc[ntodo + k] : 0;
}

int pmc_schedule_run_slots(pmc_schedule *s, const pmc_slot_spec *spec, pmc_attempt_fn fn,
                           void *ctx, void *records, unsigned char *done,
                           pmc_schedule_stats *stats, pmc_err *err)
{
    double t0 = pmc_now(), c0 = cpu_now();
    double busy[3] = { 0.0, 0.0, 0.0 };
    local_results res = { 0, 0, spec->record_size + spec->first_size, NULL, NULL, 0 };
    size_t ntodo = 0;
    size_t *todo = make_todo(done, spec->nslots, &ntodo);
    uint64_t *acc = malloc((ntodo ? 2 * ntodo : 1) * sizeof *acc);
    dispenser d;
    int rc = todo && acc ? dispenser_init(&d, s, spec, todo, ntodo, t0, err)
                         : pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu slots",
                                       spec->nslots);
    rc = pmc_schedule_agree(s, rc, err);
    if (rc != PMC_OK) {
        if (todo && acc)
            dispenser_free(&d);
        free(todo);
        free(acc);
        return rc;
    }
    int stop = PMC_STOP_NONE;
    if (s->group_rank > 0)
        run_member(s, busy, &stop);
    else if (s->rank == 0)
        rc = run_rank0(&d, fn, ctx, &res, busy, &stop, err);
    else
        rc = run_worker(s, fn, ctx, &res, busy, &stop, err);
    if (s->group_rank == 0 && s->group_size > 1)
        group_send(s, GROUP_DONE, NULL, 0);
    if (rc != PMC_OK)
        pmc_err_prefix(err, "rank %d", s->rank);
    gather_bufs g = { 0 };
    if (rc == PMC_OK)
        rc = gather_alloc(s, &res, ntodo, &g, err);
    double wall = pmc_now() - t0;
    busy[2] = cpu_now() - c0;
    accepted_attempts(&d, ntodo, acc);
    rc = finish_work(s, rc, stop, busy, wall, &d, res.attempts, acc, ntodo, stats, err);
    int agreed = rc == PMC_OK; /* acc is rank 0's on every rank */
    size_t placed = 0;
    if (rc == PMC_OK)
        rc = gather_results(s, &res, spec, todo, ntodo, acc, &g, records, done, &placed, err);
    if (agreed) /* after the gather, which finds the first bytes by the old values */
        keep_rejected(spec, todo, ntodo, acc);
    stats->computed = placed;
    if (rc == PMC_OK && stats->stop == PMC_STOP_BUDGET)
        rc = pmc_err_set(err, PMC_EBUDGET, "more than the %llu simulations left",
                         (unsigned long long)spec->max_attempts);
    else if (rc == PMC_OK && placed < ntodo)
        rc = stats->stop != PMC_STOP_NONE
                 ? PMC_EINTR
                 : pmc_err_set(err, PMC_ERUNTIME, "internal error: %zu of %zu slots computed",
                               placed, ntodo);
    gather_free(&g);
    results_free(&res);
    dispenser_free(&d);
    free(todo);
    free(acc);
    return rc;
}

int pmc_schedule_allgather_blocks(pmc_schedule *s, double *data, size_t n, size_t stride,
                                  pmc_err *err)
{
    int *counts = malloc((size_t)s->size * sizeof *counts);
    int *displs = malloc((size_t)s->size * sizeof *displs);
    if (!counts || !displs) {
        free(counts);
        free(displs);
        return pmc_err_set(err, PMC_ENOMEM, "out of memory");
    }
    if (n * stride > (size_t)2147483647) {
        free(counts);
        free(displs);
        return pmc_err_set(err, PMC_ERUNTIME, "array too large to gather (%zu values)",
                           n * stride);
    }
    for (int r = 0; r < s->size; r++) {
        size_t lo = n * (size_t)r / (size_t)s->size, hi = n * (size_t)(r + 1) / (size_t)s->size;
        counts[r] = (int)((hi - lo) * stride);
        displs[r] = (int)(lo * stride);
    }
    MPI_Request req;
    MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts, displs, MPI_DOUBLE, s->comm,
                    &req);
    wait_polling(&req, 0.0, END_SLEEP_MAX_NS);
    free(counts);
    free(displs);
    return PMC_OK;
}

void pmc_schedule_bcast(pmc_schedule *s, void *buf, size_t len)
{
    pmc_schedule_comm_bcast(&s->comm, buf, len, 0);
}

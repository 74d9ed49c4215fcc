/* The MPI module (pmc_checkpoint uses MPI only through the communicator it
 * gets from here, for parallel HDF5 or its single-writer status, and its
 * rank in it). It starts and stops MPI, hands blocks of proposal attempts of
 * particle slots to ranks dynamically (every rank, rank 0 included,
 * simulates; pmc_ledger keeps the books), gathers per-slot results by slot
 * index, and provides the few collectives the generation loop needs.
 * Waiting ranks never spin: they poll non-blocking requests with short
 * sleeps, because MPICH's blocking calls busy-poll a whole core. */
#ifndef PMC_SCHEDULE_H
#define PMC_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "pmc_error.h"
#include "pmc_ledger.h"

typedef struct pmc_schedule pmc_schedule;

/* Initialises MPI (thread level MULTIPLE if available, at least SERIALIZED:
 * rank 0 serves work requests from a helper thread while its main thread
 * simulates) and allocates the scheduler. */
int pmc_schedule_init(int *argc, char ***argv, pmc_schedule **out, pmc_err *err);

/* Finalises MPI. */
void pmc_schedule_finalize(pmc_schedule *s);

/* Aborts every rank with exit_code after flushing stderr: for app/, after a
 * failure that leaves no way to finish in order. */
void pmc_schedule_abort(pmc_schedule *s, int exit_code);

/* What app/ does when the library meets a failure it cannot return from
 * (the other ranks of a simulation group are stuck inside the model, so any
 * further collective would hang): fn gets the status and must not return;
 * it normally logs and calls pmc_schedule_abort. Without one the library
 * calls pmc_schedule_abort(s, 1) itself (unit tests and tools). */
typedef void (*pmc_fatal_fn)(pmc_schedule *s, int status);
void pmc_schedule_on_fatal(pmc_schedule *s, pmc_fatal_fn fn);

int pmc_schedule_rank(const pmc_schedule *s);
int pmc_schedule_size(const pmc_schedule *s);

/* Sets a fixed chunk size (proposal attempts per request); 0 = adaptive. */
void pmc_schedule_set_chunk(pmc_schedule *s, size_t chunk);

/* Pointer to the MPI_Comm the run uses (for parallel HDF5 only). */
void *pmc_schedule_comm_handle(pmc_schedule *s);

/* For the checkpoint writer, on a communicator from pmc_schedule_comm_handle,
 * waiting with sleeping polls (a rank waiting for rank 0's fsync would
 * otherwise spin a core in MPICH). Collective: each rank passes ok; *first
 * becomes -1 if every rank was ok, else the lowest rank that was not.
 * PMC_EIO if MPI refuses the call. */
int pmc_schedule_comm_agree(void *comm, int ok, int *first);
/* Collective: len bytes of buf from root to every rank; PMC_EIO as above. */
int pmc_schedule_comm_bcast(void *comm, void *buf, size_t len, int root);

/* Splits the ranks into groups of k consecutive ranks that run each
 * simulation together (issue: ranks_per_simulation). Group rank 0 (the
 * leader) takes slots from the scheduler like a one-rank worker; the other
 * ranks serve the leader's pmc_schedule_group_call requests during
 * pmc_schedule_run_slots. PMC_EINVAL if the rank count is not a multiple of
 * k; PMC_ERUNTIME if k > 1 and MPI lacks MPI_THREAD_MULTIPLE. k = 1 gives
 * every rank a group of its own. Collective. */
int pmc_schedule_set_groups(pmc_schedule *s, int k, pmc_err *err);

int pmc_schedule_group_rank(const pmc_schedule *s);
int pmc_schedule_group_size(const pmc_schedule *s);

/* Pointer to the group's own MPI_Comm, for the model only (NULL before
 * pmc_schedule_set_groups). */
const void *pmc_schedule_group_comm_handle(const pmc_schedule *s);

/* What every rank of a group runs for one call: msg is the same len bytes
 * on all of them. Returns PMC_OK or an error with err filled. */
typedef int (*pmc_group_fn)(void *ctx, const void *msg, size_t len, pmc_err *err);

/* Sets the function group calls run, and the largest message they carry.
 * Every rank sets the same before pmc_schedule_run_slots. */
int pmc_schedule_set_group_fn(pmc_schedule *s, pmc_group_fn fn, void *ctx, size_t max_len,
                              pmc_err *err);

/* Leader only, from inside a slot function: runs fn(ctx, msg, len) on every
 * rank of its group (itself included) and returns the group's status; a
 * failure on any rank returns that rank's message (the lowest failing
 * rank's). If a failing rank's group never completes the call (the others
 * hang in a collective of the model), that rank aborts the whole MPI job
 * with exit status 1 after a grace period: there is no other way out. With
 * groups of one rank this is a plain call of fn. */
int pmc_schedule_group_call(pmc_schedule *s, const void *msg, size_t len, pmc_err *err);

/* Contiguous block [lo, hi) of n items owned by this rank: rank r owns
 * [r n / P, (r+1) n / P). Used for weights and collective writes. */
void pmc_schedule_block(const pmc_schedule *s, size_t n, size_t *lo, size_t *hi);

/* Runs attempts first, first+1, ..., end-1 of a slot, each from its own
 * random stream, and stops after the first accepted one: *ran = attempts
 * evaluated, *accepted = the accepted attempt's index (PMC_ATTEMPT_NONE if
 * none). On acceptance it writes the record (record_size bytes of `record`);
 * when first is the slot's start (0, or its known rejected attempts,
 * pmc_slot_spec.rejected) it writes the slot's first-attempt bytes, those
 * of attempt 0 (first_size bytes at record + record_size). Returns PMC_OK, PMC_EINTR to
 * stop early (what ran so far is reported; a partly run block is redone
 * later), or an error (with err filled) that stops the whole generation on
 * all ranks. */
typedef int (*pmc_attempt_fn)(void *ctx, size_t slot, uint64_t first, uint64_t end,
                              void *record, uint64_t *ran, uint64_t *accepted, pmc_err *err);

/* The slots of one call of pmc_schedule_run_slots. A slot's first-attempt
 * bytes come from the block that starts it in the call: attempt 0, or its
 * first attempt not known rejected (spec->rejected); fn must write them for
 * such a block too. */
typedef struct {
    size_t nslots;
    size_t record_size;    /* of the accepted attempt's record */
    size_t first_size;     /* bytes kept from attempt 0 of each slot; 0 = none */
    uint64_t max_attempts; /* cap on the attempts the slots use up to their accepted
                              ones, summed over the slots of this call; 0 = none */
    double attempts_hint;  /* expected attempts per slot; <= 1 = unknown */
    /* nslots values or NULL. In: for each slot not done, how many of its
     * first attempts are known rejected (it goes on from there). Out: the
     * same for the slots still not done (0 for the ones done), identical
     * on every rank, so a partial file can keep them. */
    uint64_t *rejected;
} pmc_slot_spec;

/* Why work stopped before every slot was done. */
typedef enum {
    PMC_STOP_NONE = 0,
    PMC_STOP_SAVE = 1,  /* checkpoint_interval elapsed: save what is done, then go on */
    PMC_STOP_EXIT = 2,  /* signal or deadline: save what is done, then exit 75 */
    PMC_STOP_BUDGET = 3 /* the slots need more than max_attempts: save what is done */
} pmc_stop_kind;

/* When to stop early. Times are pmc_now() values (monotonic seconds). */
typedef struct {
    double deadline;      /* stop (EXIT) at this time; 0 = no deadline */
    double save_interval; /* SAVE every this many seconds; 0 = never */
    double last_save;     /* time of the last save (or of the start) */
    double progress_interval; /* seconds between progress lines when not on a
                                 terminal (a terminal line refreshes every 0.5 s);
                                 0 = no progress lines */
} pmc_run_control;

/* Progress reporting during pmc_schedule_run_slots: work_counter (may be
 * NULL) is this rank's running count of simulations, incremented by the slot
 * function; rank 0 prints "LABEL: done/N slots, sims/s, ETA". */
void pmc_schedule_set_progress(pmc_schedule *s, _Atomic uint64_t *work_counter,
                               const char *label);

void pmc_schedule_set_control(pmc_schedule *s, const pmc_run_control *ctl);

/* Collective OR (max) of a flag over all ranks, without spinning. */
int pmc_schedule_any(pmc_schedule *s, int flag);

/* Per-generation load-balance figures, identical on every rank after
 * pmc_schedule_run_slots returns. */
typedef struct {
    double busy_min, busy_mean, busy_max; /* fraction of wall time inside fn, over ranks */
    double wall;                          /* seconds for the whole call */
    uint64_t requests;                    /* chunk requests served */
    uint64_t attempts;   /* attempts run by all ranks, including speculative ones
                            past a slot's accepted attempt (which are discarded) */
    uint64_t speculative; /* attempts handed to a slot that had some in flight */
    double dispatch_cpu;  /* CPU seconds of rank 0's dispatcher thread (idle polls included) */
    double wait_cpu_max; /* max over ranks of CPU seconds per second spent waiting */
    int stop;            /* pmc_stop_kind that ended the call early */
    size_t computed;     /* slots computed by this call */
} pmc_schedule_stats;

/* Computes the slots i < spec->nslots with done[i] == 0 over all ranks
 * and gathers the results: on return every rank holds the new records in
 * `records` (nslots * (record_size + first_size) bytes), placed by slot
 * index whatever rank computed them, and done[i] = 1 for them. done must be
 * identical on all ranks. A slot's record is that of its lowest-index
 * accepted attempt, with the first-attempt bytes of its attempt 0, so the
 * records do not depend on the number of ranks or on which rank ran what.
 * When fewer slots are unfinished than ranks are idle, idle ranks run later
 * attempts of unfinished slots (speculation; stats->attempts counts them).
 *
 * Returns PMC_OK when every slot is done. Returns PMC_EINTR when the run
 * control or a signal stopped the work early (stats->stop says why; the
 * slots finished so far are gathered and marked, so the caller can save
 * them). Returns PMC_EBUDGET, on every rank and whatever their number, when
 * the slots need more than spec->max_attempts attempts. If fn fails on any
 * rank, all ranks stop taking work and return that error (the one of the
 * lowest failing rank, prefixed with the rank and slot). Collective. */
int pmc_schedule_run_slots(pmc_schedule *s, const pmc_slot_spec *spec, pmc_attempt_fn fn,
                           void *ctx, void *records, unsigned char *done,
                           pmc_schedule_stats *stats, pmc_err *err);

/* Every rank has filled rows [lo, hi) of data (n rows of `stride` doubles,
 * blocks as in pmc_schedule_block); on return all ranks hold all rows. Collective. */
int pmc_schedule_allgather_blocks(pmc_schedule *s, double *data, size_t n, size_t stride,
                                  pmc_err *err);

/* Agrees on an error: every rank passes its local status and err; all
 * return the same status, and err holds the message of the lowest failing
 * rank. Collective. */
int pmc_schedule_agree(pmc_schedule *s, int status, pmc_err *err);

/* Broadcasts len bytes from rank 0 to all ranks. Collective. */
void pmc_schedule_bcast(pmc_schedule *s, void *buf, size_t len);

/* A barrier that sleeps instead of spinning. Collective. */
void pmc_schedule_barrier(pmc_schedule *s);

#endif

/* The attempt ledger: which proposal attempts of which particle slots have
 * been handed out, which came back, and which slots are finished.
 *
 * A slot's particle is its lowest-index accepted attempt; attempt j of slot
 * i draws from its own random stream (pmc_rng), so any worker may run any
 * attempt at any time. The ledger hands out blocks of consecutive attempts
 * [first, end) of a slot, in increasing order per slot, to workers that ask
 * for work. When no slot is left unstarted it hands idle workers later
 * attempts of unfinished slots (speculation); attempts past the accepted one
 * are wasted but never change the result. A slot is finished once it has an
 * accepted attempt a and every block below a came back without acceptance.
 *
 * No MPI here: the scheduler (pmc_schedule) owns one ledger per call of
 * pmc_schedule_run_slots on rank 0 and feeds it the outcomes workers report.
 * Not thread-safe: the caller locks. */
#ifndef PMC_LEDGER_H
#define PMC_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "pmc_error.h"

/* No accepted attempt (yet). */
#define PMC_ATTEMPT_NONE UINT64_MAX

/* Attempts [first, end) of one slot. */
typedef struct {
    uint64_t slot, first, end;
} pmc_block;

/* What a worker found running a block: `ran` attempts evaluated from first
 * on (fewer than end - first only when it stopped early or accepted), and the
 * accepted attempt, if any (the block's last evaluated one). */
typedef struct {
    uint64_t slot, first, ran, accepted;
} pmc_block_outcome;

typedef struct pmc_ledger pmc_ledger;

/* A ledger for the slots todo[0 .. ntodo) (ascending, each < nslots), shared
 * by n_workers workers (0 .. n_workers-1). start (nslots values, indexed by
 * slot; NULL = all 0): attempts of each slot already known to be rejected
 * (by an earlier call, saved in a partial file); the slot goes on from there. max_attempts caps the attempts
 * the finished slots may use in total (0 = no cap): once the attempts the
 * slots need are known to exceed it, pmc_ledger_over_budget says so and no
 * more work is handed out. attempts_hint is the expected number of attempts
 * per slot (e.g. 1 / the previous generation's acceptance rate; <= 1 means
 * unknown): the length of the blocks that start a slot. PMC_ENOMEM. */
int pmc_ledger_create(const size_t *todo, size_t ntodo, size_t nslots, int n_workers,
                      uint64_t max_attempts, double attempts_hint, const uint64_t *start,
                      pmc_ledger **out, pmc_err *err);

void pmc_ledger_free(pmc_ledger *l);

/* Hands worker w up to max_blocks blocks totalling at most `want` attempts
 * (at least one attempt when there is any work). Slots whose last block came
 * back without acceptance are continued first, then unstarted slots are
 * started, then unfinished slots with the fewest blocks in flight get later
 * attempts. Returns the number of blocks written to out; 0 when there is
 * nothing to hand out now (see pmc_ledger_done and pmc_ledger_outstanding). */
size_t pmc_ledger_take(pmc_ledger *l, int w, uint64_t want, pmc_block *out, size_t max_blocks);

/* Records the outcome of a block worker w took. PMC_ERUNTIME (with err) if
 * no such block is in flight or the outcome does not fit the block. */
int pmc_ledger_report(pmc_ledger *l, int w, const pmc_block_outcome *o, pmc_err *err);

/* Blocks worker w holds that have not been reported. */
size_t pmc_ledger_outstanding(const pmc_ledger *l, int w);

/* From now on no slot is started; the started ones are still continued
 * (and speculated on) until they finish. For a periodic save: a slot's
 * attempts are not saved, only finished slots, so abandoning a started slot
 * would lose its work (and a slot longer than the save interval would never
 * finish). */
void pmc_ledger_drain(pmc_ledger *l);

/* More slots are unstarted than there are workers: a worker may be given
 * blocks it will start only after its current ones without delaying the
 * end of the call. */
int pmc_ledger_plenty(const pmc_ledger *l);

/* Every started slot is finished. */
int pmc_ledger_drained(const pmc_ledger *l);

/* Every slot is finished. */
int pmc_ledger_done(const pmc_ledger *l);

/* The slots need more than max_attempts attempts in total. */
int pmc_ledger_over_budget(const pmc_ledger *l);

size_t pmc_ledger_finished(const pmc_ledger *l);

/* Attempts handed out speculatively: to a slot that had attempts in flight. */
uint64_t pmc_ledger_speculative(const pmc_ledger *l);

/* Accepted attempt of todo[k] if that slot is finished, else PMC_ATTEMPT_NONE. */
uint64_t pmc_ledger_accepted(const pmc_ledger *l, size_t k);

/* For an unfinished todo[k]: how many of its first attempts are known to be
 * rejected (all evaluated, none accepted); 0 for a finished slot. What a
 * later call may start from (pmc_ledger_create's start). */
uint64_t pmc_ledger_rejected(const pmc_ledger *l, size_t k);

#endif

/* The attempt ledger (pmc_ledger.h). Slots are addressed by their position
 * k in todo; each keeps its in-flight blocks in a short list (one node per
 * worker that runs part of it), so reports and completion checks cost the
 * number of workers on that slot, not the number of slots. */
#include "pmc_ledger.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

typedef struct {
    uint64_t first, end;
    int worker;
    uint32_t next; /* next node of the same slot, or NIL */
} flight;

typedef struct {
    uint64_t next;     /* attempts [0, next) have been handed out */
    uint64_t accepted; /* lowest accepted attempt reported so far */
    uint64_t hole;     /* lowest attempt an interrupted block left unevaluated */
    uint64_t lb;       /* lower bound on the attempts this slot needs */
    uint32_t head;     /* in-flight blocks */
    uint32_t inflight;
    size_t open_at;    /* index in l->open, or SIZE_MAX */
    unsigned char finished, queued;
} slot_state;

struct pmc_ledger {
    size_t ntodo, nslots;
    size_t *todo;      /* slot numbers, ascending */
    size_t *pos;       /* slot number -> k, SIZE_MAX if not in todo */
    slot_state *s;
    flight *f;
    uint32_t nflight, fcap, free_head;
    size_t *queue;     /* ring of slots whose blocks all came back unaccepted */
    size_t qhead, qlen;
    size_t *open;      /* started, unaccepted, below the cap: may get more blocks */
    size_t nopen;
    size_t started;    /* todo[0 .. started) have been started */
    size_t finished;
    uint64_t used;     /* attempts the finished slots used */
    uint64_t max_attempts, total_lb;
    /* Attempts the slots would need if every attempt in flight were
     * rejected: for a finished slot accepted + 1, for any other `next`.
     * Kept at most max_attempts, so the attempts a result counts never
     * exceed the budget, whoever runs them. */
    uint64_t committed;
    double hint;
    uint64_t max_ahead;  /* speculation limit (max_ahead()), set by each take */
    uint64_t speculative; /* attempts handed out past ones still in flight */
    int draining;         /* start no more slots (pmc_ledger_drain) */
    int n_workers;
    size_t *outstanding; /* per worker */
};

int pmc_ledger_create(const size_t *todo, size_t ntodo, size_t nslots, int n_workers,
                      uint64_t max_attempts, double attempts_hint, const uint64_t *start,
                      pmc_ledger **out, pmc_err *err)
{
    pmc_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for the attempt ledger");
    size_t n1 = ntodo ? ntodo : 1;
    l->ntodo = ntodo;
    l->nslots = nslots;
    l->n_workers = n_workers > 0 ? n_workers : 1;
    l->max_attempts = max_attempts;
    l->hint = attempts_hint > 1.0 ? attempts_hint : 1.0;
    l->todo = malloc(n1 * sizeof *l->todo);
    l->pos = malloc((nslots ? nslots : 1) * sizeof *l->pos);
    l->s = calloc(n1, sizeof *l->s);
    l->queue = malloc(n1 * sizeof *l->queue);
    l->open = malloc(n1 * sizeof *l->open);
    l->outstanding = calloc((size_t)l->n_workers, sizeof *l->outstanding);
    l->fcap = 64;
    l->f = malloc(l->fcap * sizeof *l->f);
    if (!l->todo || !l->pos || !l->s || !l->queue || !l->open || !l->outstanding || !l->f) {
        pmc_ledger_free(l);
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for the attempt ledger of %zu slots",
                           ntodo);
    }
    l->free_head = NIL;
    for (size_t i = 0; i < nslots; i++)
        l->pos[i] = SIZE_MAX;
    for (size_t k = 0; k < ntodo; k++) {
        l->todo[k] = todo[k];
        l->pos[todo[k]] = k;
        slot_state *ss = &l->s[k];
        ss->accepted = ss->hole = PMC_ATTEMPT_NONE;
        ss->head = NIL;
        ss->open_at = SIZE_MAX;
        /* Attempts below start are known rejected; the slot needs at least
         * one more. */
        ss->next = start ? start[todo[k]] : 0;
        ss->lb = ss->next + 1;
        l->total_lb += ss->lb;
        l->committed += ss->next;
    }
    *out = l;
    return PMC_OK;
}

void pmc_ledger_free(pmc_ledger *l)
{
    if (!l)
        return;
    free(l->todo);
    free(l->pos);
    free(l->s);
    free(l->f);
    free(l->queue);
    free(l->open);
    free(l->outstanding);
    free(l);
}

size_t pmc_ledger_outstanding(const pmc_ledger *l, int w) { return l->outstanding[w]; }
int pmc_ledger_done(const pmc_ledger *l) { return l->finished == l->ntodo; }
size_t pmc_ledger_finished(const pmc_ledger *l) { return l->finished; }
uint64_t pmc_ledger_speculative(const pmc_ledger *l) { return l->speculative; }
void pmc_ledger_drain(pmc_ledger *l) { l->draining = 1; }

int pmc_ledger_plenty(const pmc_ledger *l)
{
    return !l->draining && l->ntodo - l->started > (size_t)l->n_workers;
}
int pmc_ledger_drained(const pmc_ledger *l) { return l->finished == l->started; }

int pmc_ledger_over_budget(const pmc_ledger *l)
{
    return l->max_attempts > 0 && l->total_lb > l->max_attempts;
}

uint64_t pmc_ledger_accepted(const pmc_ledger *l, size_t k)
{
    return l->s[k].finished ? l->s[k].accepted : PMC_ATTEMPT_NONE;
}

static uint64_t known_prefix(const pmc_ledger *l, const slot_state *ss);

uint64_t pmc_ledger_rejected(const pmc_ledger *l, size_t k)
{
    return l->s[k].finished ? 0 : known_prefix(l, &l->s[k]);
}

/* --- the open set (candidates for more blocks) --- */

static void open_add(pmc_ledger *l, size_t k)
{
    l->s[k].open_at = l->nopen;
    l->open[l->nopen++] = k;
}

static void open_remove(pmc_ledger *l, size_t k)
{
    size_t at = l->s[k].open_at;
    if (at == SIZE_MAX)
        return;
    size_t last = l->open[--l->nopen];
    l->open[at] = last;
    l->s[last].open_at = at;
    l->s[k].open_at = SIZE_MAX;
}

/* --- in-flight blocks --- */

static uint32_t flight_alloc(pmc_ledger *l)
{
    if (l->free_head != NIL) {
        uint32_t i = l->free_head;
        l->free_head = l->f[i].next;
        return i;
    }
    if (l->nflight == l->fcap) {
        if (l->fcap >= NIL / 2)
            return NIL;
        flight *f = realloc(l->f, 2 * (size_t)l->fcap * sizeof *f);
        if (!f)
            return NIL;
        l->f = f;
        l->fcap *= 2;
    }
    return l->nflight++;
}

/* Lowest attempt of slot k not known to be evaluated without acceptance:
 * attempts below it are all done and rejected (blocks go out in order). */
static uint64_t known_prefix(const pmc_ledger *l, const slot_state *ss)
{
    uint64_t p = ss->next;
    if (ss->accepted < p)
        p = ss->accepted;
    if (ss->hole < p)
        p = ss->hole;
    for (uint32_t i = ss->head; i != NIL; i = l->f[i].next)
        if (l->f[i].first < p)
            p = l->f[i].first;
    return p;
}

static void update_bound(pmc_ledger *l, slot_state *ss)
{
    uint64_t lb = ss->finished ? ss->accepted + 1 : known_prefix(l, ss) + 1;
    l->total_lb = l->total_lb - ss->lb + lb;
    ss->lb = lb;
}

/* --- handing out --- */

static uint64_t cap_of(const pmc_ledger *l)
{
    return l->max_attempts ? l->max_attempts : PMC_ATTEMPT_NONE;
}

/* Whether slot k may get another block now. */
static int can_extend(const pmc_ledger *l, size_t k)
{
    const slot_state *ss = &l->s[k];
    return !ss->finished && ss->accepted == PMC_ATTEMPT_NONE && ss->hole == PMC_ATTEMPT_NONE &&
           ss->next < cap_of(l);
}

/* Attempts of slot k handed out and not yet reported. */
static uint64_t in_flight_attempts(const pmc_ledger *l, const slot_state *ss)
{
    uint64_t n = 0;
    for (uint32_t i = ss->head; i != NIL; i = l->f[i].next)
        n += l->f[i].end - l->f[i].first;
    return n;
}

/* How many attempts of one slot may be in flight before a worker is given
 * a later one (speculation). A simulation cannot be interrupted, so a
 * speculative attempt that turns out useless (an earlier one accepted) can
 * delay the end of the call; it is started only while the attempts ahead of
 * it all reject with probability (1 - p)^ahead >= SPECULATION_MIN_USEFUL,
 * p estimated as 1 / (attempts per slot). p = 1 (generation 0, or nothing
 * known yet) allows none. The threshold comes from tools/sim-speculation
 * (docs/scaling.md): 0.1 gave the shortest generations over N = 64-1000,
 * P = N/8-N, p = 0.02-0.36, fixed and varying simulation times; 1 (no
 * speculation) was 1.2-4.9x slower, no limit up to 3 % slower with varying
 * times. */
#define SPECULATION_MIN_USEFUL 0.1

static uint64_t max_ahead(double attempts_per_slot)
{
    if (attempts_per_slot <= 1.0)
        return 0;
    double p = 1.0 / attempts_per_slot;
    double ahead = log(SPECULATION_MIN_USEFUL) / log1p(-p);
    return ahead > 1e12 ? (uint64_t)1e12 : (uint64_t)ahead;
}

/* Next slot to give a block: a returned unaccepted slot, an unstarted one,
 * or the open slot with the fewest blocks in flight; SIZE_MAX if none. */
static size_t pick_slot(pmc_ledger *l, int *speculative)
{
    *speculative = 0;
    while (l->qlen > 0) {
        size_t k = l->queue[l->qhead];
        l->qhead = (l->qhead + 1) % l->ntodo;
        l->qlen--;
        l->s[k].queued = 0;
        if (can_extend(l, k) && l->s[k].inflight == 0)
            return k;
    }
    if (l->started < l->ntodo && !l->draining) {
        size_t k = l->started++;
        open_add(l, k);
        return k;
    }
    size_t best = SIZE_MAX;
    uint64_t best_ahead = 0;
    for (size_t i = 0; i < l->nopen; i++) {
        size_t k = l->open[i];
        uint64_t ahead = in_flight_attempts(l, &l->s[k]);
        if (ahead <= l->max_ahead && (best == SIZE_MAX || ahead < best_ahead)) {
            best = k;
            best_ahead = ahead;
        }
    }
    *speculative = best != SIZE_MAX;
    return best;
}

/* Expected attempts per slot, from the hint and from the slots finished so
 * far (a mean biased low early on, hence the larger of the two). */
static double attempts_per_slot(const pmc_ledger *l)
{
    double est = l->hint;
    if (l->finished > 0 && (double)l->used / (double)l->finished > est)
        est = (double)l->used / (double)l->finished;
    return est;
}

/* Attempts per block: the expected attempts per slot. */
static uint64_t block_length(const pmc_ledger *l)
{
    double est = attempts_per_slot(l);
    return est > 1e12 ? (uint64_t)1e12 : (uint64_t)ceil(est);
}

size_t pmc_ledger_take(pmc_ledger *l, int w, uint64_t want, pmc_block *out, size_t max_blocks)
{
    if (pmc_ledger_over_budget(l) || want == 0)
        return 0;
    if (l->max_attempts && want > l->max_attempts - l->committed)
        want = l->max_attempts - l->committed;
    if (want == 0)
        return 0; /* the budget is committed: wait for outcomes */
    uint64_t len0 = block_length(l);
    l->max_ahead = max_ahead(attempts_per_slot(l));
    /* Guided self-scheduling: no worker takes more than its share of the
     * work thought to be left, so the end of a call is spread over all. */
    double left = (double)((l->draining ? 0 : l->ntodo - l->started) + l->nopen) * (double)len0;
    double share = left / (2.0 * l->n_workers);
    if (share < 1.0)
        share = 1.0;
    if ((double)want > share)
        want = (uint64_t)share;
    uint64_t total = 0;
    size_t nb = 0;
    while (nb < max_blocks && total < want) {
        int spec;
        size_t k = pick_slot(l, &spec);
        if (k == SIZE_MAX)
            break;
        slot_state *ss = &l->s[k];
        uint64_t len = want - total < len0 ? want - total : len0;
        if (len > cap_of(l) - ss->next)
            len = cap_of(l) - ss->next;
        uint32_t fi = flight_alloc(l);
        if (fi == NIL)
            break; /* out of memory: hand out what we have; the rest later */
        l->f[fi] = (flight){ ss->next, ss->next + len, w, ss->head };
        ss->head = fi;
        ss->inflight++;
        l->outstanding[w]++;
        out[nb++] = (pmc_block){ l->todo[k], ss->next, ss->next + len };
        ss->next += len;
        l->committed += len;
        total += len;
        if (spec)
            l->speculative += len;
        if (ss->next >= cap_of(l))
            open_remove(l, k);
    }
    return nb;
}

/* --- outcomes --- */

/* Finished: an accepted attempt, no block below it in flight, no hole below. */
static void check_finished(pmc_ledger *l, slot_state *ss)
{
    if (ss->finished || ss->accepted == PMC_ATTEMPT_NONE || ss->hole < ss->accepted)
        return;
    for (uint32_t i = ss->head; i != NIL; i = l->f[i].next)
        if (l->f[i].first < ss->accepted)
            return;
    ss->finished = 1;
    l->finished++;
    l->used += ss->accepted + 1;
    l->committed = l->committed - ss->next + ss->accepted + 1;
}

int pmc_ledger_report(pmc_ledger *l, int w, const pmc_block_outcome *o, pmc_err *err)
{
    size_t k = o->slot < l->nslots ? l->pos[o->slot] : SIZE_MAX;
    if (k == SIZE_MAX)
        return pmc_err_set(err, PMC_ERUNTIME, "internal error: outcome for slot %llu, which is "
                           "not being computed", (unsigned long long)o->slot);
    slot_state *ss = &l->s[k];
    uint32_t *link = &ss->head;
    while (*link != NIL && !(l->f[*link].first == o->first && l->f[*link].worker == w))
        link = &l->f[*link].next;
    if (*link == NIL)
        return pmc_err_set(err, PMC_ERUNTIME, "internal error: worker %d reported attempts from "
                           "%llu of slot %llu, which it does not hold", w,
                           (unsigned long long)o->first, (unsigned long long)o->slot);
    uint32_t fi = *link;
    uint64_t len = l->f[fi].end - l->f[fi].first;
    int accepted = o->accepted != PMC_ATTEMPT_NONE;
    if (o->ran > len || (accepted && (o->ran == 0 || o->accepted != o->first + o->ran - 1)))
        return pmc_err_set(err, PMC_ERUNTIME, "internal error: outcome of slot %llu attempts "
                           "[%llu, %llu): %llu run, accepted %llu", (unsigned long long)o->slot,
                           (unsigned long long)o->first, (unsigned long long)l->f[fi].end,
                           (unsigned long long)o->ran, (unsigned long long)o->accepted);
    *link = l->f[fi].next;
    l->f[fi].next = l->free_head;
    l->free_head = fi;
    ss->inflight--;
    l->outstanding[w]--;
    if (accepted && o->accepted < ss->accepted)
        ss->accepted = o->accepted;
    else if (!accepted && o->ran < len && o->first + o->ran < ss->hole)
        ss->hole = o->first + o->ran;
    if (!can_extend(l, k))
        open_remove(l, k);
    check_finished(l, ss);
    if (!ss->finished && ss->inflight == 0 && can_extend(l, k) && !ss->queued) {
        l->queue[(l->qhead + l->qlen) % l->ntodo] = k;
        l->qlen++;
        ss->queued = 1;
    }
    update_bound(l, ss);
    return PMC_OK;
}

#include <stdlib.h>

#include "pmc_ledger.h"
#include "pmc_test.h"

/* A made-up truth: slot i accepts first at attempt truth(i) (0 .. 12). */
static uint64_t truth(size_t slot) { return (slot * 7 + slot / 3) % 13; }

/* What a worker reports for a block under that truth, after running all
 * of it (or up to the accepted attempt). */
static pmc_block_outcome run_block(const pmc_block *b)
{
    uint64_t a = truth(b->slot);
    pmc_block_outcome o = { b->slot, b->first, b->end - b->first, PMC_ATTEMPT_NONE };
    if (a >= b->first && a < b->end) {
        o.ran = a - b->first + 1;
        o.accepted = a;
    }
    return o;
}

/* xorshift64: a fixed, platform-independent order of events. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define NW 6
#define MAXB 4

typedef struct {
    pmc_block held[NW][64];
    size_t nheld[NW];
    uint64_t handed, speculative;
} sim_state;

/* Each worker takes, and reports in a random order, until the ledger is
 * done; checks no attempt is handed out twice (every attempt index of a
 * slot below its frontier is given exactly once, since blocks go out in
 * order). Returns the number of steps. */
static size_t simulate_from(pmc_ledger *l, size_t nslots, size_t ntodo, uint64_t seed,
                            uint64_t want, const uint64_t *start, sim_state *st)
{
    size_t started = 0;
    uint64_t *frontier = calloc(nslots, sizeof *frontier);
    for (size_t i = 0; start && i < nslots; i++)
        frontier[i] = start[i];
    size_t steps = 0;
    memset(st, 0, sizeof *st);
    while (!pmc_ledger_done(l) && !pmc_ledger_over_budget(l) && steps < 100000) {
        steps++;
        int w = (int)(next_rand(&seed) % NW);
        if (st->nheld[w] > 0 && next_rand(&seed) % 2) {
            size_t i = (size_t)(next_rand(&seed) % st->nheld[w]);
            pmc_block_outcome o = run_block(&st->held[w][i]);
            pmc_err err;
            PMC_CHECK_INT(pmc_ledger_report(l, w, &o, &err), PMC_OK);
            st->held[w][i] = st->held[w][--st->nheld[w]];
            continue;
        }
        if (st->nheld[w] + MAXB > 64)
            continue;
        int all_started = started == ntodo;
        pmc_block b[MAXB];
        size_t nb = pmc_ledger_take(l, w, want, b, MAXB);
        for (size_t i = 0; i < nb; i++) {
            PMC_CHECK(b[i].first == frontier[b[i].slot]); /* contiguous, never twice */
            PMC_CHECK(b[i].end > b[i].first);
            started += b[i].first == (start ? start[b[i].slot] : 0);
            frontier[b[i].slot] = b[i].end;
            st->held[w][st->nheld[w]++] = b[i];
            st->handed += b[i].end - b[i].first;
            st->speculative += all_started;
        }
        PMC_CHECK_INT(pmc_ledger_outstanding(l, w), st->nheld[w]);
    }
    free(frontier);
    return steps;
}

static size_t simulate(pmc_ledger *l, size_t nslots, size_t ntodo, uint64_t seed, uint64_t want,
                       sim_state *st)
{
    return simulate_from(l, nslots, ntodo, seed, want, NULL, st);
}

PMC_TEST(ledger_finds_lowest_accepted_attempt)
{
    size_t todo[40], n = 0;
    for (size_t i = 0; i < 50; i++)
        if (i % 5 != 2) /* slots 2, 7, ... are done already */
            todo[n++] = i;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        pmc_ledger *l = NULL;
        pmc_err err;
        /* hint 4: attempts-per-slot ~ 4 allows speculation (p = 1/4). */
        PMC_CHECK_INT(pmc_ledger_create(todo, n, 50, NW, 0, 4.0, NULL, &l, &err), PMC_OK);
        sim_state st;
        simulate(l, 50, n, seed * 0x9e3779b97f4a7c15ULL, seed % 3 == 0 ? 1 : 3, &st);
        PMC_CHECK(pmc_ledger_done(l));
        PMC_CHECK_INT(pmc_ledger_finished(l), n);
        for (size_t k = 0; k < n; k++)
            PMC_CHECK_INT(pmc_ledger_accepted(l, k), truth(todo[k]));
        PMC_CHECK(st.speculative > 0);
        pmc_ledger_free(l);
    }
}

PMC_TEST(ledger_no_speculation_when_every_attempt_accepts)
{
    /* hint 1 (acceptance 1, e.g. generation 0 at epsilon inf): once every
     * slot is started, an idle worker gets nothing, since the attempts in
     * flight accept for sure. */
    size_t todo[3] = { 0, 1, 2 };
    pmc_ledger *l = NULL;
    pmc_err err;
    pmc_block b[4];
    PMC_CHECK_INT(pmc_ledger_create(todo, 3, 3, 4, 0, 1.0, NULL, &l, &err), PMC_OK);
    PMC_CHECK_INT(pmc_ledger_take(l, 0, 1, b, 4), 1);
    PMC_CHECK_INT(pmc_ledger_take(l, 1, 1, b, 4), 1);
    PMC_CHECK_INT(pmc_ledger_take(l, 2, 1, b, 4), 1);
    PMC_CHECK_INT(pmc_ledger_take(l, 3, 1, b, 4), 0);
    PMC_CHECK(!pmc_ledger_done(l));
    pmc_ledger_free(l);
}

PMC_TEST(ledger_speculates_on_slow_slots)
{
    /* One slot, acceptance about 1 %: four workers all get attempts of it. */
    size_t todo[1] = { 0 };
    pmc_ledger *l = NULL;
    pmc_err err;
    pmc_block b[1];
    PMC_CHECK_INT(pmc_ledger_create(todo, 1, 1, 4, 0, 100.0, NULL, &l, &err), PMC_OK);
    for (int w = 0; w < 4; w++) {
        PMC_CHECK_INT(pmc_ledger_take(l, w, 1, b, 1), 1);
        PMC_CHECK(b[0].slot == 0 && b[0].first == (uint64_t)w && b[0].end == (uint64_t)w + 1);
    }
    /* Attempt 2 accepts before 0 and 1 come back: not finished yet. */
    pmc_block_outcome o2 = { 0, 2, 1, 2 }, o0 = { 0, 0, 1, PMC_ATTEMPT_NONE };
    pmc_block_outcome o1 = { 0, 1, 1, PMC_ATTEMPT_NONE }, o3 = { 0, 3, 1, PMC_ATTEMPT_NONE };
    PMC_CHECK_INT(pmc_ledger_report(l, 2, &o2, &err), PMC_OK);
    PMC_CHECK(!pmc_ledger_done(l));
    PMC_CHECK_INT(pmc_ledger_take(l, 2, 1, b, 1), 0); /* nothing past an accepted attempt */
    PMC_CHECK_INT(pmc_ledger_report(l, 0, &o0, &err), PMC_OK);
    PMC_CHECK_INT(pmc_ledger_report(l, 1, &o1, &err), PMC_OK);
    PMC_CHECK(pmc_ledger_done(l)); /* attempt 3 is still out: wasted, not waited for */
    PMC_CHECK_INT(pmc_ledger_accepted(l, 0), 2);
    PMC_CHECK_INT(pmc_ledger_report(l, 3, &o3, &err), PMC_OK);
    PMC_CHECK_INT(pmc_ledger_accepted(l, 0), 2);
    pmc_ledger_free(l);
}

PMC_TEST(ledger_budget_exact_and_exceeded)
{
    size_t todo[30];
    uint64_t need = 0;
    for (size_t i = 0; i < 30; i++) {
        todo[i] = i;
        need += truth(i) + 1;
    }
    for (int over = 0; over <= 1; over++) {
        pmc_ledger *l = NULL;
        pmc_err err;
        PMC_CHECK_INT(pmc_ledger_create(todo, 30, 30, NW, need - (uint64_t)over, 3.0, NULL, &l, &err),
                      PMC_OK);
        sim_state st;
        simulate(l, 30, 30, 77 + (uint64_t)over, 2, &st);
        /* Over budget may only become known with the last outcome. */
        PMC_CHECK_INT(pmc_ledger_over_budget(l), over);
        if (!over)
            PMC_CHECK(pmc_ledger_done(l));
        pmc_block b[1];
        if (over) /* over budget: nothing more is handed out */
            PMC_CHECK_INT(pmc_ledger_take(l, 0, 1, b, 1), 0);
        pmc_ledger_free(l);
    }
}

/* Whatever the budget and order of events, the attempts a result would
 * count (accepted + 1 per finished slot, the known rejected ones per other
 * slot) never exceed the budget; the stop is over budget exactly when the
 * slots need more. A second ledger started from the first's rejected
 * attempts, with the budget raised, finishes every slot at its true
 * attempt (what a resume with a larger max_simulations does). */
PMC_TEST(ledger_budget_caps_counted_attempts)
{
    size_t todo[30];
    uint64_t need = 0;
    for (size_t i = 0; i < 30; i++) {
        todo[i] = i;
        need += truth(i) + 1;
    }
    for (uint64_t budget = 30; budget <= need + 5; budget += 17) {
        pmc_ledger *l = NULL;
        pmc_err err;
        PMC_CHECK_INT(pmc_ledger_create(todo, 30, 30, NW, budget, 3.0, NULL, &l, &err), PMC_OK);
        sim_state st;
        simulate(l, 30, 30, budget, 3, &st);
        PMC_CHECK_INT(pmc_ledger_over_budget(l), need > budget);
        uint64_t counted = 0, rejected[30] = { 0 };
        size_t left[30], nleft = 0;
        for (size_t k = 0; k < 30; k++) {
            uint64_t a = pmc_ledger_accepted(l, k);
            if (a != PMC_ATTEMPT_NONE) {
                PMC_CHECK_INT(a, truth(k));
                counted += a + 1;
            } else {
                rejected[k] = pmc_ledger_rejected(l, k);
                PMC_CHECK(rejected[k] <= truth(k));
                counted += rejected[k];
                left[nleft++] = k;
            }
        }
        PMC_CHECK(counted <= budget);
        pmc_ledger_free(l);
        if (nleft == 0)
            continue;
        PMC_CHECK_INT(pmc_ledger_create(left, nleft, 30, NW, 0, 3.0, rejected, &l, &err), PMC_OK);
        simulate_from(l, 30, nleft, budget + 1, 3, rejected, &st);
        PMC_CHECK(pmc_ledger_done(l));
        for (size_t k = 0; k < nleft; k++)
            PMC_CHECK_INT(pmc_ledger_accepted(l, k), truth(left[k]));
        pmc_ledger_free(l);
    }
}

PMC_TEST(ledger_interrupted_block_leaves_slot_unfinished)
{
    size_t todo[1] = { 5 };
    pmc_ledger *l = NULL;
    pmc_err err;
    pmc_block b[2];
    PMC_CHECK_INT(pmc_ledger_create(todo, 1, 6, 2, 0, 10.0, NULL, &l, &err), PMC_OK);
    PMC_CHECK_INT(pmc_ledger_take(l, 0, 4, b, 1), 1);
    PMC_CHECK_INT(pmc_ledger_take(l, 1, 4, b + 1, 1), 1);
    PMC_CHECK(b[0].first == 0 && b[0].end >= 2 && b[1].first == b[0].end);
    pmc_block_outcome cut = { 5, 0, 1, PMC_ATTEMPT_NONE }; /* stopped after attempt 0 */
    pmc_block_outcome acc = { 5, b[1].first, 1, b[1].first };
    PMC_CHECK_INT(pmc_ledger_report(l, 0, &cut, &err), PMC_OK);
    PMC_CHECK_INT(pmc_ledger_report(l, 1, &acc, &err), PMC_OK);
    /* Attempt 1 was never evaluated: b[1].first may not be the lowest. */
    PMC_CHECK(!pmc_ledger_done(l));
    PMC_CHECK_INT(pmc_ledger_accepted(l, 0), PMC_ATTEMPT_NONE);
    pmc_ledger_free(l);
}

PMC_TEST(ledger_rejects_inconsistent_reports)
{
    size_t todo[2] = { 0, 1 };
    pmc_ledger *l = NULL;
    pmc_err err;
    pmc_block b[1];
    PMC_CHECK_INT(pmc_ledger_create(todo, 2, 2, 2, 0, 2.0, NULL, &l, &err), PMC_OK);
    PMC_CHECK_INT(pmc_ledger_take(l, 0, 2, b, 1), 1); /* slot 0, [0, 2) */
    pmc_block_outcome not_held = { 0, 0, 1, PMC_ATTEMPT_NONE };
    PMC_CHECK_INT(pmc_ledger_report(l, 1, &not_held, &err), PMC_ERUNTIME);
    PMC_CHECK_CONTAINS(err.msg, "worker 1 reported attempts from 0 of slot 0, which it does not hold");
    pmc_block_outcome stray = { 9, 0, 1, PMC_ATTEMPT_NONE };
    PMC_CHECK_INT(pmc_ledger_report(l, 0, &stray, &err), PMC_ERUNTIME);
    PMC_CHECK_CONTAINS(err.msg, "outcome for slot 9");
    pmc_block_outcome bad = { 0, 0, 2, 0 }; /* accepted 0 but ran 2 */
    PMC_CHECK_INT(pmc_ledger_report(l, 0, &bad, &err), PMC_ERUNTIME);
    PMC_CHECK_CONTAINS(err.msg, "2 run, accepted 0");
    pmc_ledger_free(l);
}

const pmc_test_case pmc_tests_ledger[] = {
    PMC_TEST_ENTRY(ledger_finds_lowest_accepted_attempt),
    PMC_TEST_ENTRY(ledger_no_speculation_when_every_attempt_accepts),
    PMC_TEST_ENTRY(ledger_speculates_on_slow_slots),
    PMC_TEST_ENTRY(ledger_budget_exact_and_exceeded),
    PMC_TEST_ENTRY(ledger_budget_caps_counted_attempts),
    PMC_TEST_ENTRY(ledger_interrupted_block_leaves_slot_unfinished),
    PMC_TEST_ENTRY(ledger_rejects_inconsistent_reports),
    {NULL, NULL},
};

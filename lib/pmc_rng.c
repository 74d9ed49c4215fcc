#include "pmc_rng.h"

#include <Random123/philox.h>
#include <string.h>

/* Stream layout: key = {seed, slot}, counter = {block, generation, attempt, 0}.
 * (seed, slot) -> key and (generation, attempt) -> counter words 1-2 are
 * injective, so distinct (seed, generation, slot, attempt) never share a
 * Philox input block; word 0 counts blocks within the stream (2^64 of them).
 * Stream format 2 (checkpoint format_version 2): format 1 had no attempt
 * word and ran a slot's attempts one after the other on one stream.
 *
 * The state is plain data (no pointers), so gsl_rng_memcpy and gsl_rng_clone
 * copy a stream exactly, position included. */
typedef struct {
    uint64_t key[2];
    uint64_t ctr[4];
    uint64_t buf[4];
    unsigned next; /* index of the next unused word in buf; 4 = empty */
    unsigned has_low; /* get() returned a word's high half; its low half is next */
    uint32_t low;
} philox_state;

static void philox_position(philox_state *s, uint64_t seed, uint32_t generation,
                                 uint64_t slot, uint64_t attempt)
{
    memset(s, 0, sizeof *s);
    s->key[0] = seed;
    s->key[1] = slot;
    s->ctr[1] = generation;
    s->ctr[2] = attempt;
    s->next = 4;
}

static void philox_refill(philox_state *s)
{
    philox4x64_ctr_t ctr = {{s->ctr[0], s->ctr[1], s->ctr[2], s->ctr[3]}};
    philox4x64_key_t key = {{s->key[0], s->key[1]}};
    philox4x64_ctr_t out = philox4x64(ctr, key);
    memcpy(s->buf, out.v, sizeof s->buf);
    s->ctr[0]++;
    s->next = 0;
}

static uint64_t philox_next64(philox_state *s)
{
    if (s->next >= 4)
        philox_refill(s);
    return s->buf[s->next++];
}

static void philox_set(void *state, unsigned long seed)
{
    philox_position(state, (uint64_t)seed, 0, 0, 0);
}

/* 32 bits per call, a word's high half and then its low half: GSL's
 * integer samplers (gsl_rng_uniform_int) need a fixed [min, max] range, and
 * unsigned long may be only 32 bits wide. Using both halves halves the
 * Philox blocks the ziggurat normals need (a block costs ~50 ns, which was
 * the largest single cost of a simulation of the gaussian model). */
static unsigned long philox_get(void *state)
{
    philox_state *s = state;
    if (s->has_low) {
        s->has_low = 0;
        return s->low;
    }
    uint64_t w = philox_next64(s);
    s->low = (uint32_t)w;
    s->has_low = 1;
    return (unsigned long)(w >> 32);
}

/* 53 random bits scaled into [0, 1): every double k 2^-53 is equally
 * likely and 1.0 is never returned (GSL requires get_double < 1). */
static double philox_get_double(void *state)
{
    philox_state *s = state;
    s->has_low = 0; /* a double takes a whole word of its own */
    return (double)(philox_next64(s) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type philox_type = {
    "pmc_philox4x64_10",
    0xffffffffUL,
    0,
    sizeof(philox_state),
    philox_set,
    philox_get,
    philox_get_double,
};

const gsl_rng_type *pmc_rng_philox = &philox_type;

gsl_rng *pmc_rng_alloc(void)
{
    /* gsl_rng_alloc calls set() with gsl_rng_default_seed, which a
     * GSL_RNG_SEED environment variable could change; position explicitly. */
    gsl_rng *r = gsl_rng_alloc(pmc_rng_philox);
    if (r)
        pmc_rng_set_stream(r, 0, 0, 0, 0);
    return r;
}

void pmc_rng_set_stream(gsl_rng *r, uint64_t seed, uint32_t generation, uint64_t slot,
                        uint64_t attempt)
{
    philox_position(r->state, seed, generation, slot, attempt);
}

void pmc_rng_stream_position(const gsl_rng *r, uint32_t *generation, uint64_t *slot,
                             uint64_t *attempt)
{
    const philox_state *s = r->state;
    *generation = (uint32_t)s->ctr[1];
    *slot = s->key[1];
    *attempt = s->ctr[2];
}

/* Index of the first cumulative weight above u (binary search). */
size_t pmc_rng_draw_cumulative(const double *cumw, size_t n, gsl_rng *rng)
{
    double u = gsl_rng_uniform(rng) * cumw[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cumw[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

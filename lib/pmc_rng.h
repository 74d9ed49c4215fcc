/* Counter-based random streams (Random123 Philox4x64-10) exposed as a GSL
 * generator, so GSL's distributions can draw from them.
 *
 * A stream is keyed by (seed, generation, slot, attempt): the draws of
 * proposal attempt j of slot i in generation t are a function of these four
 * numbers alone, whichever rank computes the attempt and whenever. This is what makes results bit-identical for any number
 * of ranks and across kill/resume. Within a stream the counter advances by
 * one Philox block per four 64-bit outputs; a stream has 2^64 blocks. */
#ifndef PMC_RNG_H
#define PMC_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* The GSL generator type; gsl_rng_alloc(pmc_rng_philox) works, and
 * gsl_rng_set(r, s) selects stream (s, 0, 0, 0). */
extern const gsl_rng_type *pmc_rng_philox;

/* Allocates a Philox generator positioned at stream (0, 0, 0, 0). NULL on OOM. */
gsl_rng *pmc_rng_alloc(void);

/* Positions r at the start of stream (seed, generation, slot, attempt). r
 * must come from pmc_rng_alloc. */
void pmc_rng_set_stream(gsl_rng *r, uint64_t seed, uint32_t generation, uint64_t slot,
                        uint64_t attempt);

/* The stream r is positioned on: its (generation, slot, attempt), e.g. to
 * name a simulation in a message. */
void pmc_rng_stream_position(const gsl_rng *r, uint32_t *generation, uint64_t *slot,
                             uint64_t *attempt);

/* An index drawn with probability proportional to weight: cumw holds the n
 * cumulative weights (the last > 0); one uniform draw. */
size_t pmc_rng_draw_cumulative(const double *cumw, size_t n, gsl_rng *rng);

#endif

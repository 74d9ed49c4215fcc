/* Posterior against prior bounds: does a weighted population pile up at a
 * bound the prior spec states explicitly (the a and b of uniform(a, b) and
 * truncnormal(m, s, a, b))? Such a bound is a modelling choice that may cut
 * the posterior off; the run log, `pmcabc inspect` and tools/pmcabc-plot
 * (through tools/pmcabc_read.py, which repeats this criterion and must stay
 * in step with it) all warn through this one criterion. The ends of the
 * natural ranges of beta (0, 1) and of exponential, gamma, lognormal (0) are
 * not checked: no prior choice moves them. Criterion and its reasoning:
 * pmc_bounds.c; user guide: docs/postprocessing.md. */
#ifndef PMC_BOUNDS_H
#define PMC_BOUNDS_H

#include <stddef.h>

#include "pmc_prior.h"

/* The window next to a bound holds this much prior probability. */
#define PMC_BOUND_WINDOW 0.025
/* It warns from max(PMC_BOUND_MIN_MASS, WINDOW + PMC_BOUND_Z * sqrt(WINDOW (1 - WINDOW) / ESS)). */
#define PMC_BOUND_MIN_MASS 0.10
#define PMC_BOUND_Z 6.0

/* One explicit bound of one parameter's prior, with the posterior's weight next to it. */
typedef struct {
    size_t param;     /* index of the parameter (column of theta) */
    int upper;        /* 1: the upper bound b; 0: the lower bound a */
    double bound;     /* a or b */
    double edge;      /* inner end of the window: the prior's WINDOW- or (1 - WINDOW)-quantile */
    double mass;      /* posterior weight with x <= edge (lower) or x >= edge (upper), of 1 */
    double threshold; /* the mass from which it warns, given the population's ESS */
} pmc_bound_hit;

/* The window at the lower (upper = 0) or upper (upper = 1) bound of spec:
 * sets *bound and *edge and returns 1 if spec states that bound explicitly
 * (uniform, truncnormal), else returns 0 and leaves them untouched. */
int pmc_bounds_window(const pmc_prior_spec *spec, int upper, double *bound, double *edge);

/* The warning threshold for a population with effective sample size ess
 * (Kish: (sum w)^2 / sum w^2). */
double pmc_bounds_threshold(double ess);

/* Checks every explicit bound of priors[0..d-1] against the population
 * theta (n x d, row-major) with weights w (any positive scale; they are
 * normalised by their sum, summed in index order, over the particles whose
 * value is not NaN: model choice marks another model's parameters so). Writes the bounds at
 * which the posterior piles up (mass >= threshold) to out, which must hold
 * 2 d entries, in parameter order, lower before upper; returns how many. */
size_t pmc_bounds_check(const pmc_prior_spec *priors, const double *theta, const double *w,
                        size_t n, size_t d, pmc_bound_hit *out);

/* The warning as one line without a trailing newline, e.g. "sigma piles
 * against the upper bound 25 of its prior uniform(5, 25): 48.3 % of the
 * posterior weight is at or above 24.5, the prior's top 2.5 % (warning
 * from 10 %); the bound may cut the posterior off: widen the prior if
 * sigma can lie above 25". priors are the specs hit->param indexes.
 * Always NUL-terminated. */
void pmc_bounds_text(const pmc_bound_hit *hit, const pmc_prior_spec *priors, char *buf,
                     size_t len);

#endif

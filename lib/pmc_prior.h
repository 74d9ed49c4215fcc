/* Prior distributions: parsing of `uniform(a, b)`-style specs, sampling,
 * and log densities. Parameters are a priori independent; the joint density
 * is the product of the marginals. */
#ifndef PMC_PRIOR_H
#define PMC_PRIOR_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "pmc_error.h"

#define PMC_NAME_MAX 64
#define PMC_MAX_PARAMS 64
/* Numbers a spec holds: categorical(p1, ..., pk) has at most this many. */
#define PMC_PRIOR_MAX_ARGS 16

typedef enum {
    PMC_PRIOR_UNIFORM,     /* uniform(a, b), a < b */
    PMC_PRIOR_NORMAL,      /* normal(m, s), s > 0 */
    PMC_PRIOR_LOGNORMAL,   /* lognormal(m, s): log X ~ Normal(m, s), s > 0 */
    PMC_PRIOR_EXPONENTIAL, /* exponential(rate), rate > 0; mean 1/rate */
    PMC_PRIOR_GAMMA,       /* gamma(shape, scale), both > 0; mean shape*scale */
    PMC_PRIOR_BETA,        /* beta(a, b), both > 0 */
    PMC_PRIOR_TRUNCNORMAL, /* truncnormal(m, s, a, b): Normal(m, s) restricted to [a, b], s > 0, a < b */
    /* Discrete (values are whole numbers; docs/config.md [prior]): */
    PMC_PRIOR_UNIFORM_INT, /* uniform_int(a, b): each of a, a + 1, ..., b; whole a < b */
    PMC_PRIOR_POISSON,     /* poisson(lambda), lambda > 0: 0, 1, 2, ... */
    PMC_PRIOR_CATEGORICAL  /* categorical(p1, ..., pk), 2 <= k <= 16: category i - 1 with p_i / sum p */
} pmc_prior_kind;

/* The scale on which the proposal kernel perturbs a parameter: the word
 * after the spec, "uniform(5, 25) log" (docs/config.md [prior],
 * docs/algorithm.md "Parameter scales"). */
typedef enum {
    PMC_SCALE_LINEAR = 0, /* the parameter itself */
    PMC_SCALE_LOG,        /* z = log x, for a support within [0, inf) */
    PMC_SCALE_LOGIT       /* z = log((x - lo) / (hi - x)), for a support [lo, hi] */
} pmc_prior_scale;

typedef struct {
    char name[PMC_NAME_MAX]; /* parameter name, from the [prior] key */
    pmc_prior_kind kind;
    double p[PMC_PRIOR_MAX_ARGS]; /* distribution parameters, in the order of the spec */
    unsigned n_p;            /* how many of p the spec gave */
    double log_norm;         /* truncnormal: log of the mass of [a, b]; else 0 */
    pmc_prior_scale scale;   /* where the kernel perturbs it */
} pmc_prior_spec;

/* Parses a spec text such as "uniform(150, 200)" or "beta(2, 5) logit"
 * (whitespace allowed) into out (name is left untouched) and validates its
 * parameters and scale. On failure returns PMC_EINVAL with err->msg saying
 * what was expected, e.g. "lower bound must be below upper bound" (no
 * file/line: the caller adds them). */
int pmc_prior_parse(const char *text, pmc_prior_spec *out, pmc_err *err);

/* The support [*lo, *hi] of the marginal (infinite ends as +-INFINITY; the
 * open ends of lognormal, exponential, gamma and beta reported as closed). */
void pmc_prior_support(const pmc_prior_spec *spec, double *lo, double *hi);

/* 1 for the discrete kinds (uniform_int, poisson, categorical). */
int pmc_prior_is_discrete(const pmc_prior_spec *spec);

/* "linear", "log", "logit". */
const char *pmc_prior_scale_name(pmc_prior_scale scale);

/* x on the spec's scale and back (identity for PMC_SCALE_LINEAR). */
double pmc_prior_to_scale(const pmc_prior_spec *spec, double x);
double pmc_prior_from_scale(const pmc_prior_spec *spec, double z);

/* 1 if any of specs[0..n-1] has a scale other than linear. */
int pmc_prior_any_scaled(const pmc_prior_spec *specs, size_t n);

/* The joint log density of the parameters on their scales at theta (given
 * on the original scale): pmc_prior_logpdf_joint plus, for each scaled
 * parameter, log |dx/dz| (log x for log; log((x - lo)(hi - x) / (hi - lo))
 * for logit). -INFINITY outside the support or where a scaled parameter
 * sits on an end of its scale's range (x = 0 for log, lo or hi for logit),
 * which rounding in pmc_prior_from_scale can reach. Equal to
 * pmc_prior_logpdf_joint when every scale is linear. */
double pmc_prior_logpdf_scaled_joint(const pmc_prior_spec *specs, size_t n, const double *theta);

/* Draws one value from the marginal. */
double pmc_prior_sample(const pmc_prior_spec *spec, gsl_rng *rng);

/* Log density of the marginal at x; -INFINITY outside the support. */
double pmc_prior_logpdf(const pmc_prior_spec *spec, double x);

/* Joint log density of theta[0..n-1]; -INFINITY outside the support. */
double pmc_prior_logpdf_joint(const pmc_prior_spec *specs, size_t n, const double *theta);

/* Draws theta[0..n-1] from the joint prior. */
void pmc_prior_sample_joint(const pmc_prior_spec *specs, size_t n, gsl_rng *rng, double *theta);

/* Name of the distribution ("uniform", ...). */
const char *pmc_prior_kind_name(pmc_prior_kind kind);

/* The spec as text with its numbers in %g, e.g. "uniform(5, 25)"; the
 * parser reads it back (to %g's 6 significant digits). Always NUL-terminated. */
void pmc_prior_format(const pmc_prior_spec *spec, char *buf, size_t len);

#endif

#include "pmc_prior.h"

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_util.h"

/* log(sqrt(2 pi)), the normal density's constant. */
#define PMC__LOG_SQRT_2PI 0.91893853320467274178

/* One row per pmc_prior_kind, in enum order. */
typedef struct {
    const char *name;
    size_t nparams;
    const char *usage;
} prior_info;

static const prior_info priors[] = {
    [PMC_PRIOR_UNIFORM] = {"uniform", 2, "uniform(a, b)"},
    [PMC_PRIOR_NORMAL] = {"normal", 2, "normal(m, s)"},
    [PMC_PRIOR_LOGNORMAL] = {"lognormal", 2, "lognormal(m, s)"},
    [PMC_PRIOR_EXPONENTIAL] = {"exponential", 1, "exponential(rate)"},
    [PMC_PRIOR_GAMMA] = {"gamma", 2, "gamma(shape, scale)"},
    [PMC_PRIOR_BETA] = {"beta", 2, "beta(a, b)"},
    [PMC_PRIOR_TRUNCNORMAL] = {"truncnormal", 4, "truncnormal(m, s, a, b)"},
    [PMC_PRIOR_UNIFORM_INT] = {"uniform_int", 2, "uniform_int(a, b)"},
    [PMC_PRIOR_POISSON] = {"poisson", 1, "poisson(lambda)"},
    /* 0: from 2 to PMC_PRIOR_MAX_ARGS numbers */
    [PMC_PRIOR_CATEGORICAL] = {"categorical", 0, "categorical(p1, ..., pk)"},
};
#define PMC__NKINDS (sizeof priors / sizeof priors[0])

const char *pmc_prior_kind_name(pmc_prior_kind kind)
{
    if ((size_t)kind >= PMC__NKINDS)
        return "unknown";
    return priors[kind].name;
}

void pmc_prior_format(const pmc_prior_spec *spec, char *buf, size_t len)
{
    size_t k = spec->n_p;
    int used = snprintf(buf, len, "%s(", pmc_prior_kind_name(spec->kind));
    for (size_t i = 0; i < k && used >= 0 && (size_t)used < len; i++)
        used += snprintf(buf + used, len - (size_t)used, "%s%g", i ? ", " : "", spec->p[i]);
    if (used >= 0 && (size_t)used < len)
        snprintf(buf + used, len - (size_t)used, ")");
}

/* --- parsing --- */

static int unknown_name(const char *name, size_t len, pmc_err *err)
{
    char known[256] = "";
    for (size_t k = 0; k < PMC__NKINDS; k++) {
        if (k > 0)
            strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, priors[k].name, sizeof known - strlen(known) - 1);
    }
    return pmc_err_set(err, PMC_EINVAL, "unknown distribution '%.*s'; known: %s", (int)len, name,
                       known);
}

/* Reads "name" and looks it up; *end points past the name. */
static int parse_kind(const char *text, pmc_prior_kind *kind, const char **end, pmc_err *err)
{
    const char *p = pmc_skip_space(text);
    const char *name = p;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    size_t len = (size_t)(p - name);
    if (len == 0)
        return pmc_err_set(err, PMC_EINVAL,
                           "expected a distribution such as uniform(a, b), got '%s'", text);
    for (size_t k = 0; k < PMC__NKINDS; k++) {
        if (strlen(priors[k].name) == len && strncmp(priors[k].name, name, len) == 0) {
            *kind = (pmc_prior_kind)k;
            *end = p;
            return PMC_OK;
        }
    }
    return unknown_name(name, len, err);
}

/* Strict number: the whole token between separators must be one finite
 * strtod number (no nan, inf, overflow or trailing characters). */
static int parse_number(const char *p, double *out, const char **end, const char *usage,
                             pmc_err *err)
{
    p = pmc_skip_space(p);
    size_t toklen = strcspn(p, ",)");
    while (toklen > 0 && isspace((unsigned char)p[toklen - 1]))
        toklen--;
    double v = 0.0;
    if (pmc_number_parse(p, toklen, &v) != PMC_NUMBER_OK) {
        if (toklen == 0)
            return pmc_err_set(err, PMC_EINVAL, "%s: missing number", usage);
        return pmc_err_set(err, PMC_EINVAL, "%s: '%.*s' is not a finite number", usage,
                           (int)toklen, p);
    }
    *out = v;
    *end = pmc_skip_space(p + toklen);
    return PMC_OK;
}

/* Reads "(x, y, ...)" into out->p (at most PMC_PRIOR_MAX_ARGS kept) and
 * counts the numbers. */
static int parse_args(const char *p, const prior_info *info, pmc_prior_spec *out,
                           size_t *count, const char **end, pmc_err *err)
{
    p = pmc_skip_space(p);
    if (*p != '(')
        return pmc_err_set(err, PMC_EINVAL, "expected '(' after '%s', as in %s", info->name,
                           info->usage);
    p = pmc_skip_space(p + 1);
    *count = 0;
    if (*p == ')') {
        *end = p + 1;
        return PMC_OK;
    }
    for (;;) {
        double v = 0;
        int rc = parse_number(p, &v, &p, info->usage, err);
        if (rc != PMC_OK)
            return rc;
        if (*count < PMC_PRIOR_MAX_ARGS)
            out->p[*count] = v;
        (*count)++;
        if (*p == ')') {
            *end = p + 1;
            return PMC_OK;
        }
        if (*p != ',')
            return pmc_err_set(err, PMC_EINVAL, "%s: missing ')'", info->usage);
        p++;
    }
}

/* log(Phi(beta) - Phi(alpha)) for alpha < beta. If the interval lies in the
 * upper tail, Phi is close to 1 there and the difference cancels; by symmetry
 * Phi(beta) - Phi(alpha) = Phi(-alpha) - Phi(-beta), computed in the lower
 * tail where Phi is small and accurate. */
static double std_normal_log_mass(double alpha, double beta)
{
    if (alpha > 0)
        return log(gsl_cdf_ugaussian_P(-alpha) - gsl_cdf_ugaussian_P(-beta));
    return log(gsl_cdf_ugaussian_P(beta) - gsl_cdf_ugaussian_P(alpha));
}

static int check_positive(double v, const char *what, const char *usage, pmc_err *err)
{
    if (v > 0)
        return PMC_OK;
    return pmc_err_set(err, PMC_EINVAL, "%s: %s must be positive, got %g", usage, what, v);
}

static int check_bounds(double a, double b, pmc_err *err)
{
    if (a < b)
        return PMC_OK;
    return pmc_err_set(err, PMC_EINVAL, "lower bound must be below upper bound (got %g and %g)",
                       a, b);
}

static int validate_truncnormal(pmc_prior_spec *s, const char *usage, pmc_err *err)
{
    int rc = check_positive(s->p[1], "standard deviation s", usage, err);
    if (rc == PMC_OK)
        rc = check_bounds(s->p[2], s->p[3], err);
    if (rc != PMC_OK)
        return rc;
    s->log_norm = std_normal_log_mass((s->p[2] - s->p[0]) / s->p[1],
                                           (s->p[3] - s->p[0]) / s->p[1]);
    if (!isfinite(s->log_norm))
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [a, b] has no representable probability under normal(m, s)",
                           usage);
    return PMC_OK;
}

/* Whole numbers below 2^53 in magnitude, so that every value between them
 * is a double and b - a + 1 is exact. */
static int validate_uniform_int(const pmc_prior_spec *s, const char *usage, pmc_err *err)
{
    for (int k = 0; k < 2; k++)
        if (s->p[k] != floor(s->p[k]) || fabs(s->p[k]) > 0x1p53)
            return pmc_err_set(err, PMC_EINVAL, "%s: %s must be a whole number of magnitude at "
                               "most 2^53, got %g", usage, k ? "b" : "a", s->p[k]);
    return check_bounds(s->p[0], s->p[1], err);
}

/* Probabilities or relative weights: >= 0, at least one > 0; the density
 * divides by their sum (log_norm = log sum). */
static int validate_categorical(pmc_prior_spec *s, const char *usage, pmc_err *err)
{
    double sum = 0.0;
    for (unsigned i = 0; i < s->n_p; i++) {
        if (!(s->p[i] >= 0.0))
            return pmc_err_set(err, PMC_EINVAL, "%s: p%u must be >= 0, got %g", usage, i + 1,
                               s->p[i]);
        sum += s->p[i];
    }
    if (!(sum > 0.0) || !isfinite(sum))
        return pmc_err_set(err, PMC_EINVAL, "%s: the probabilities must have a positive, "
                           "finite sum", usage);
    s->log_norm = log(sum);
    return PMC_OK;
}

static int validate(pmc_prior_spec *s, pmc_err *err)
{
    const char *usage = priors[s->kind].usage;
    s->log_norm = 0;
    switch (s->kind) {
    case PMC_PRIOR_UNIFORM:
        return check_bounds(s->p[0], s->p[1], err);
    case PMC_PRIOR_NORMAL:
    case PMC_PRIOR_LOGNORMAL:
        return check_positive(s->p[1], "standard deviation s", usage, err);
    case PMC_PRIOR_EXPONENTIAL:
        return check_positive(s->p[0], "rate", usage, err);
    case PMC_PRIOR_GAMMA: {
        int rc = check_positive(s->p[0], "shape", usage, err);
        return rc != PMC_OK ? rc : check_positive(s->p[1], "scale", usage, err);
    }
    case PMC_PRIOR_BETA: {
        int rc = check_positive(s->p[0], "a", usage, err);
        return rc != PMC_OK ? rc : check_positive(s->p[1], "b", usage, err);
    }
    case PMC_PRIOR_TRUNCNORMAL:
        return validate_truncnormal(s, usage, err);
    case PMC_PRIOR_UNIFORM_INT:
        return validate_uniform_int(s, usage, err);
    case PMC_PRIOR_POISSON:
        return check_positive(s->p[0], "lambda", usage, err);
    case PMC_PRIOR_CATEGORICAL:
        return validate_categorical(s, usage, err);
    }
    return pmc_err_set(err, PMC_EINVAL, "unknown distribution kind %d", (int)s->kind);
}

/* In pmc_prior_scale order. */
static const char *const scale_names[] = {"linear", "log", "logit"};

/* Reads an optional scale word at *p ("log", "logit"); advances *p past it
 * and following space. PMC_EINVAL (nothing read) if *p starts another word. */
static int parse_scale(pmc_prior_spec *s, const char **p)
{
    const char *w = *p;
    size_t len = 0;
    while (isalnum((unsigned char)w[len]) || w[len] == '_')
        len++;
    s->scale = PMC_SCALE_LINEAR;
    if (len == 0)
        return PMC_OK;
    for (int k = PMC_SCALE_LOG; k <= PMC_SCALE_LOGIT; k++)
        if (strlen(scale_names[k]) == len && !strncmp(w, scale_names[k], len)) {
            s->scale = (pmc_prior_scale)k;
            *p = pmc_skip_space(w + len);
            return PMC_OK;
        }
    return PMC_EINVAL;
}

/* The log scale needs x >= 0 on the whole support, logit two finite ends. */
static int validate_scale(const pmc_prior_spec *s, pmc_err *err)
{
    double lo, hi;
    pmc_prior_support(s, &lo, &hi);
    char spec[128];
    pmc_prior_format(s, spec, sizeof spec);
    if (s->scale != PMC_SCALE_LINEAR && pmc_prior_is_discrete(s))
        return pmc_err_set(err, PMC_EINVAL, "a %s scale is for continuous parameters, and %s "
                           "is discrete (its kernel steps between whole numbers)",
                           pmc_prior_scale_name(s->scale), spec);
    if (s->scale == PMC_SCALE_LOG && !(lo >= 0.0))
        return pmc_err_set(err, PMC_EINVAL, "the log scale needs a prior on values >= 0, and "
                           "%s reaches below 0", spec);
    if (s->scale == PMC_SCALE_LOGIT && !(isfinite(lo) && isfinite(hi)))
        return pmc_err_set(err, PMC_EINVAL, "the logit scale needs a prior with two finite "
                           "bounds (uniform, beta, truncnormal), and %s has %s", spec,
                           isfinite(lo) || isfinite(hi) ? "one" : "none");
    return PMC_OK;
}

int pmc_prior_parse(const char *text, pmc_prior_spec *out, pmc_err *err)
{
    pmc_prior_spec s;
    const char *p = text;
    size_t count = 0;
    memset(&s, 0, sizeof s);
    int rc = parse_kind(text, &s.kind, &p, err);
    if (rc != PMC_OK)
        return rc;
    const prior_info *info = &priors[s.kind];
    rc = parse_args(p, info, &s, &count, &p, err);
    if (rc != PMC_OK)
        return rc;
    p = pmc_skip_space(p);
    rc = parse_scale(&s, &p);
    if (*p != '\0')
        return pmc_err_set(err, PMC_EINVAL, "%s: unexpected text '%s' after ')'%s", info->usage,
                           p, rc == PMC_OK ? "" : "; a scale after it is 'log' or 'logit'");
    if (info->nparams == 0 && (count < 2 || count > PMC_PRIOR_MAX_ARGS))
        return pmc_err_set(err, PMC_EINVAL, "expected %s with 2 to %d numbers, got %zu",
                           info->usage, PMC_PRIOR_MAX_ARGS, count);
    if (info->nparams != 0 && count != info->nparams)
        return pmc_err_set(err, PMC_EINVAL, "expected %s with %zu number%s, got %zu", info->usage,
                           info->nparams, info->nparams == 1 ? "" : "s", count);
    s.n_p = (unsigned)count;
    rc = validate(&s, err);
    if (rc == PMC_OK)
        rc = validate_scale(&s, err);
    if (rc != PMC_OK)
        return rc;
    /* out->name belongs to the caller and is left untouched. */
    out->kind = s.kind;
    memcpy(out->p, s.p, sizeof out->p);
    out->log_norm = s.log_norm;
    out->scale = s.scale;
    out->n_p = s.n_p;
    return PMC_OK;
}

/* --- scales --- */

int pmc_prior_is_discrete(const pmc_prior_spec *spec)
{
    return spec->kind == PMC_PRIOR_UNIFORM_INT || spec->kind == PMC_PRIOR_POISSON ||
           spec->kind == PMC_PRIOR_CATEGORICAL;
}

const char *pmc_prior_scale_name(pmc_prior_scale scale)
{
    return (unsigned)scale < 3 ? scale_names[scale] : "unknown";
}

void pmc_prior_support(const pmc_prior_spec *spec, double *lo, double *hi)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (spec->kind) {
    case PMC_PRIOR_UNIFORM:
        *lo = spec->p[0];
        *hi = spec->p[1];
        break;
    case PMC_PRIOR_TRUNCNORMAL:
        *lo = spec->p[2];
        *hi = spec->p[3];
        break;
    case PMC_PRIOR_UNIFORM_INT:
        *lo = spec->p[0];
        *hi = spec->p[1];
        break;
    case PMC_PRIOR_CATEGORICAL:
        *lo = 0.0;
        *hi = spec->n_p - 1.0;
        break;
    case PMC_PRIOR_POISSON:
        *lo = 0.0;
        break;
    case PMC_PRIOR_BETA:
        *lo = 0.0;
        *hi = 1.0;
        break;
    case PMC_PRIOR_LOGNORMAL:
    case PMC_PRIOR_EXPONENTIAL:
    case PMC_PRIOR_GAMMA:
        *lo = 0.0;
        break;
    case PMC_PRIOR_NORMAL:
        break;
    }
}

double pmc_prior_to_scale(const pmc_prior_spec *spec, double x)
{
    double lo, hi;
    switch (spec->scale) {
    case PMC_SCALE_LOG:
        return log(x);
    case PMC_SCALE_LOGIT:
        pmc_prior_support(spec, &lo, &hi);
        return log((x - lo) / (hi - x));
    case PMC_SCALE_LINEAR:
        break;
    }
    return x;
}

double pmc_prior_from_scale(const pmc_prior_spec *spec, double z)
{
    double lo, hi;
    switch (spec->scale) {
    case PMC_SCALE_LOG:
        return exp(z);
    case PMC_SCALE_LOGIT:
        pmc_prior_support(spec, &lo, &hi);
        return lo + (hi - lo) / (1.0 + exp(-z));
    case PMC_SCALE_LINEAR:
        break;
    }
    return z;
}

int pmc_prior_any_scaled(const pmc_prior_spec *specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (specs[i].scale != PMC_SCALE_LINEAR)
            return 1;
    return 0;
}

/* log |dx/dz| at x, the density's change of variables from x to z (e.g.
 * Casella & Berger, Statistical Inference, 2nd ed., theorem 2.1.5). */
static double log_jacobian(const pmc_prior_spec *spec, double x)
{
    double lo, hi;
    switch (spec->scale) {
    case PMC_SCALE_LOG: /* x = e^z: dx/dz = x */
        return x > 0 ? log(x) : -INFINITY;
    case PMC_SCALE_LOGIT: /* x = lo + (hi - lo) s(z): dx/dz = (x - lo)(hi - x) / (hi - lo) */
        pmc_prior_support(spec, &lo, &hi);
        if (!(x > lo && x < hi))
            return -INFINITY;
        return log(x - lo) + log(hi - x) - log(hi - lo);
    case PMC_SCALE_LINEAR:
        break;
    }
    return 0.0;
}

double pmc_prior_logpdf_scaled_joint(const pmc_prior_spec *specs, size_t n, const double *theta)
{
    double sum = pmc_prior_logpdf_joint(specs, n, theta);
    for (size_t i = 0; i < n && sum != -INFINITY; i++)
        if (specs[i].scale != PMC_SCALE_LINEAR)
            sum += log_jacobian(&specs[i], theta[i]);
    return sum;
}

/* --- sampling --- */

/* Standard normal restricted to [lo, hi], lo < hi, lo <= 0 (the caller
 * mirrors upper-tail intervals), by inversion: Phi^{-1}(U(Phi(lo), Phi(hi))).
 * The clamp absorbs rounding in Phi^{-1} at the interval ends. */
static double std_truncnormal_invert(double lo, double hi, gsl_rng *rng)
{
    double plo = gsl_cdf_ugaussian_P(lo), phi = gsl_cdf_ugaussian_P(hi);
    double u = gsl_rng_uniform_pos(rng);
    double x = gsl_cdf_ugaussian_Pinv(plo + u * (phi - plo));
    return x < lo ? lo : (x > hi ? hi : x);
}

static double sample_truncnormal(const pmc_prior_spec *s, gsl_rng *rng)
{
    double m = s->p[0], sd = s->p[1];
    double alpha = (s->p[2] - m) / sd, beta = (s->p[3] - m) / sd;
    /* Upper-tail interval: sample its mirror image [-beta, -alpha] in the
     * lower tail, where Phi keeps full relative precision, and reflect. */
    if (alpha > 0)
        return m - sd * std_truncnormal_invert(-beta, -alpha, rng);
    return m + sd * std_truncnormal_invert(alpha, beta, rng);
}

/* Inverse CDF: the first category whose cumulative weight exceeds u sum p
 * (a category of weight 0 is never chosen). */
static double sample_categorical(const pmc_prior_spec *spec, gsl_rng *rng)
{
    double u = gsl_rng_uniform(rng) * exp(spec->log_norm), acc = 0.0;
    unsigned last = 0;
    for (unsigned i = 0; i < spec->n_p; i++) {
        if (spec->p[i] <= 0.0)
            continue;
        acc += spec->p[i];
        last = i;
        if (u < acc)
            return i;
    }
    return last;
}

double pmc_prior_sample(const pmc_prior_spec *spec, gsl_rng *rng)
{
    const double *p = spec->p;
    switch (spec->kind) {
    case PMC_PRIOR_UNIFORM: return gsl_ran_flat(rng, p[0], p[1]);
    case PMC_PRIOR_NORMAL: return p[0] + gsl_ran_gaussian_ziggurat(rng, p[1]);
    case PMC_PRIOR_LOGNORMAL: return gsl_ran_lognormal(rng, p[0], p[1]);
    case PMC_PRIOR_EXPONENTIAL: return gsl_ran_exponential(rng, 1.0 / p[0]);
    case PMC_PRIOR_GAMMA: return gsl_ran_gamma(rng, p[0], p[1]);
    case PMC_PRIOR_BETA: return gsl_ran_beta(rng, p[0], p[1]);
    case PMC_PRIOR_TRUNCNORMAL: return sample_truncnormal(spec, rng);
    case PMC_PRIOR_UNIFORM_INT:
        /* u in [0, 1): floor(u (b - a + 1)) in 0..b - a (the min guards rounding up) */
        return fmin(p[0] + floor(gsl_rng_uniform(rng) * (p[1] - p[0] + 1.0)), p[1]);
    case PMC_PRIOR_POISSON: return (double)gsl_ran_poisson(rng, p[0]);
    case PMC_PRIOR_CATEGORICAL: return sample_categorical(spec, rng);
    }
    return NAN;
}

void pmc_prior_sample_joint(const pmc_prior_spec *specs, size_t n, gsl_rng *rng, double *theta)
{
    for (size_t i = 0; i < n; i++)
        theta[i] = pmc_prior_sample(&specs[i], rng);
}

/* --- log densities --- */

static double normal_logpdf(double x, double m, double s)
{
    double u = (x - m) / s;
    return -0.5 * u * u - log(s) - PMC__LOG_SQRT_2PI;
}

/* c log(x) with 0 log(0) = 0, the limit the gamma and beta densities need
 * at their support's ends when the exponent is zero. */
static double xlogy(double c, double x)
{
    return c == 0 ? 0 : c * log(x);
}

/* Gamma(k, theta): (k-1) log x - x/theta - lgamma(k) - k log theta.
 * At x = 0 the density is 1/theta (k = 1), 0 (k > 1) or unbounded (k < 1);
 * the unbounded end is a null set, treated as outside the support so that a
 * particle never gets an infinite weight. */
static double gamma_logpdf(double x, double k, double theta)
{
    if (x < 0 || (x == 0 && k < 1))
        return -INFINITY;
    return xlogy(k - 1, x) - x / theta - gsl_sf_lngamma(k) - k * log(theta);
}

/* Beta(a, b): (a-1) log x + (b-1) log(1-x) - log B(a, b); unbounded ends
 * (a < 1 at 0, b < 1 at 1) are excluded as for the gamma. */
static double beta_logpdf(double x, double a, double b)
{
    if (x < 0 || x > 1 || (x == 0 && a < 1) || (x == 1 && b < 1))
        return -INFINITY;
    return xlogy(a - 1, x) + xlogy(b - 1, 1 - x) - gsl_sf_lnbeta(a, b);
}

double pmc_prior_logpdf(const pmc_prior_spec *spec, double x)
{
    const double *p = spec->p;
    if (isnan(x))
        return -INFINITY;
    switch (spec->kind) {
    case PMC_PRIOR_UNIFORM:
        return (x >= p[0] && x <= p[1]) ? -log(p[1] - p[0]) : -INFINITY;
    case PMC_PRIOR_NORMAL:
        return normal_logpdf(x, p[0], p[1]);
    case PMC_PRIOR_LOGNORMAL:
        /* density of X = e^Y, Y ~ N(m, s): N(log x; m, s) / x */
        return x > 0 ? normal_logpdf(log(x), p[0], p[1]) - log(x) : -INFINITY;
    case PMC_PRIOR_EXPONENTIAL:
        return x >= 0 ? log(p[0]) - p[0] * x : -INFINITY;
    case PMC_PRIOR_GAMMA:
        return gamma_logpdf(x, p[0], p[1]);
    case PMC_PRIOR_BETA:
        return beta_logpdf(x, p[0], p[1]);
    case PMC_PRIOR_TRUNCNORMAL:
        if (x < p[2] || x > p[3])
            return -INFINITY;
        return normal_logpdf(x, p[0], p[1]) - spec->log_norm;
    case PMC_PRIOR_UNIFORM_INT:
        return x >= p[0] && x <= p[1] && x == floor(x) ? -log(p[1] - p[0] + 1.0) : -INFINITY;
    case PMC_PRIOR_POISSON:
        /* k log(lambda) - lambda - log(k!) */
        return x >= 0 && x == floor(x) ? x * log(p[0]) - p[0] - lgamma(x + 1.0) : -INFINITY;
    case PMC_PRIOR_CATEGORICAL:
        if (!(x >= 0 && x < spec->n_p && x == floor(x)) || !(p[(size_t)x] > 0))
            return -INFINITY;
        return log(p[(size_t)x]) - spec->log_norm;
    }
    return -INFINITY;
}

double pmc_prior_logpdf_joint(const pmc_prior_spec *specs, size_t n, const double *theta)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double lp = pmc_prior_logpdf(&specs[i], theta[i]);
        if (lp == -INFINITY)
            return -INFINITY;
        sum += lp;
    }
    return sum;
}

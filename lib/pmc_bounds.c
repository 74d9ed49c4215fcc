/* Posterior against prior bounds: contract in pmc_bounds.h.
 *
 * The criterion. Let f = PMC_BOUND_WINDOW = 0.025 and call the window of a
 * bound the stretch next to it that holds the fraction f of the prior's
 * probability: [a, a + f (b - a)] and [b - f (b - a), b] for uniform(a, b)
 * (2.5 % of the prior width), the prior's f- and (1 - f)-quantiles as inner
 * ends for truncnormal. Measuring the window in prior probability makes the
 * null case the same for every prior: a posterior that follows the prior
 * near the bound (the data say nothing there; for a uniform prior: flat
 * inside the support) puts weight f = 2.5 % into the window. It warns when
 * the posterior's weight m in the window reaches
 *
 *     t(ESS) = max(0.10, f + 6 sqrt(f (1 - f) / ESS)).
 *
 * Why 0.10: m >= 4 f means the posterior density next to the bound is on
 * average at least 4 times the prior's, so the likelihood rises towards the
 * bound and the posterior would go on beyond it if the prior allowed; a
 * posterior peaked well inside the support has m near 0. That is an effect
 * size, not a sampling accident: under the null the weighted fraction m is
 * an importance-sampling estimate of f whose standard error is about
 * sqrt(f (1 - f) / ESS) with Kish's ESS (Kong 1992; Liu 1996), which PMC's
 * run-to-run spread exceeds by about 1.5 times (measured in
 * tests/validation/test_normal_mean.py). 4 standard errors widened by that
 * factor give the second term, f + 6 se; it exceeds 0.10 only for ESS < 156
 * and keeps a small population's chance of a false warning under the null
 * small: for ESS independent draws (binomial, exact) it is below 2e-4 per
 * bound for every ESS >= 10, below 1e-5 from ESS 70, 2e-7 at ESS 200 and
 * 1e-30 at ESS 1000. The flagship example (jobs/gaussian.ini: sigma
 * uniform(5, 25), data sd 30.8) has m = 0.48 at ESS 911; generation 0, a
 * sample of the prior, has m near 0.025.
 *
 * What it does not flag: a posterior spread flat up to the bound over more
 * than a quarter of the prior's range (its density is then below 4 times the
 * prior's), and a posterior that piles at a bound no less than its prior does
 * (when the prior's own density is highest at the bound, the window is
 * narrow and the null share is still f). */
#include "pmc_bounds.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>

/* Quantile p of the standard normal restricted to [alpha, beta]. In the
 * upper tail (alpha > 0) Phi is close to 1 and loses the interval's
 * probability to cancellation: use the mirror image [-beta, -alpha], as
 * pmc_prior.c's sampler does. */
static double std_truncnormal_quantile(double alpha, double beta, double p)
{
    if (alpha > 0)
        return -std_truncnormal_quantile(-beta, -alpha, 1.0 - p);
    double plo = gsl_cdf_ugaussian_P(alpha), phi = gsl_cdf_ugaussian_P(beta);
    double z = gsl_cdf_ugaussian_Pinv(plo + p * (phi - plo));
    return z < alpha ? alpha : (z > beta ? beta : z);
}

/* Contract: see pmc_bounds.h. */
int pmc_bounds_window(const pmc_prior_spec *spec, int upper, double *bound, double *edge)
{
    const double *p = spec->p;
    double f = upper ? 1.0 - PMC_BOUND_WINDOW : PMC_BOUND_WINDOW;
    switch (spec->kind) {
    case PMC_PRIOR_UNIFORM:
        *bound = upper ? p[1] : p[0];
        *edge = upper ? p[1] - PMC_BOUND_WINDOW * (p[1] - p[0])
                      : p[0] + PMC_BOUND_WINDOW * (p[1] - p[0]);
        return 1;
    case PMC_PRIOR_TRUNCNORMAL:
        *bound = upper ? p[3] : p[2];
        *edge = p[0] + p[1] * std_truncnormal_quantile((p[2] - p[0]) / p[1],
                                                       (p[3] - p[0]) / p[1], f);
        return 1;
    default:
        return 0;
    }
}

/* Contract: see pmc_bounds.h. */
double pmc_bounds_threshold(double ess)
{
    const double f = PMC_BOUND_WINDOW;
    double t = f + PMC_BOUND_Z * sqrt(f * (1.0 - f) / ess);
    return t > PMC_BOUND_MIN_MASS ? t : PMC_BOUND_MIN_MASS;
}

/* Weight of the column k values at or beyond edge, summed in index order. */
static double window_weight(const double *theta, const double *w, size_t n, size_t d, size_t k,
                            int upper, double edge)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = theta[i * d + k];
        if (upper ? x >= edge : x <= edge)
            sum += w[i];
    }
    return sum;
}

/* Contract: see pmc_bounds.h. */
size_t pmc_bounds_check(const pmc_prior_spec *priors, const double *theta, const double *w,
                        size_t n, size_t d, pmc_bound_hit *out)
{
    size_t count = 0;
    for (size_t k = 0; k < d; k++) {
        /* Over the particles that have parameter k (NaN: another model's). */
        double total = 0.0, squares = 0.0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(theta[i * d + k]))
                continue;
            total += w[i];
            squares += w[i] * w[i];
        }
        if (!(total > 0))
            continue;
        double threshold = pmc_bounds_threshold(total * total / squares);
        for (int upper = 0; upper <= 1; upper++) {
            pmc_bound_hit h = {.param = k, .upper = upper, .threshold = threshold};
            if (!pmc_bounds_window(&priors[k], upper, &h.bound, &h.edge))
                continue;
            h.mass = window_weight(theta, w, n, d, k, upper, h.edge) / total;
            if (h.mass >= threshold)
                out[count++] = h;
        }
    }
    return count;
}

/* Contract: see pmc_bounds.h. */
void pmc_bounds_text(const pmc_bound_hit *hit, const pmc_prior_spec *priors, char *buf,
                     size_t len)
{
    const pmc_prior_spec *spec = &priors[hit->param];
    char prior[160];
    pmc_prior_format(spec, prior, sizeof prior);
    snprintf(buf, len,
             "%s piles against the %s bound %g of its prior %s: %.1f %% of the posterior weight "
             "is at or %s %g, the prior's %s %g %% (warning from %.3g %%); the bound may cut the "
             "posterior off: widen the prior if %s can lie %s %g",
             spec->name, hit->upper ? "upper" : "lower", hit->bound, prior, 100.0 * hit->mass,
             hit->upper ? "above" : "below", hit->edge, hit->upper ? "top" : "bottom",
             100.0 * PMC_BOUND_WINDOW, 100.0 * hit->threshold, spec->name,
             hit->upper ? "above" : "below", hit->bound);
}

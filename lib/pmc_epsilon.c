#include "pmc_epsilon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_config.h"
#include "pmc_error.h"

/* A failed quantile (NaN) is passed on rather than hidden behind the
 * minimum, which fmax would return. */
double pmc_epsilon_next(const double *distances, size_t n, double q, double minimum)
{
    double e = pmc_quantile(distances, n, q);
    if (isnan(e))
        return NAN;
    return e > minimum ? e : minimum;
}

static const char *const schedule_names[] = {"quantile", "weighted_quantile", "list",
                                                   "acceptance", "density_ratio"};
#define N_SCHEDULES (sizeof schedule_names / sizeof schedule_names[0])

const char *pmc_epsilon_schedule_name(pmc_epsilon_schedule s)
{
    return (unsigned)s < N_SCHEDULES ? schedule_names[s] : "unknown";
}

int pmc_epsilon_schedule_parse(const char *name, pmc_epsilon_schedule *s)
{
    for (size_t i = 0; i < N_SCHEDULES; i++)
        if (!strcmp(name, schedule_names[i])) {
            *s = (pmc_epsilon_schedule)i;
            return PMC_OK;
        }
    return PMC_EINVAL;
}

/* Simola et al. (2021), section 3: moving from the previous ABC posterior
 * to the current one by rejection would accept a fraction 1 / c of the
 * draws, c = sup p_cur / p_prev; so much the next tolerance keeps. The
 * bounds are those of the acceptance schedule. */
double pmc_epsilon_density_ratio_quantile(double c)
{
    if (!(c > 0) || isnan(c))
        return NAN;
    double q = 1.0 / c;
    return q < 0.05 ? 0.05 : q > 0.95 ? 0.95 : q;
}

/* A proportional controller on the quantile (docs/algorithm.md): the
 * bounds keep a generation from keeping fewer than 5 % of the previous
 * distances below the new tolerance, or from hardly shrinking it. */
double pmc_epsilon_acceptance_quantile(double q, double target, double acceptance)
{
    if (!(q > 0 && q < 1 && target > 0 && target < 1 && acceptance > 0 && acceptance <= 1))
        return NAN;
    double r = q * target / acceptance;
    return r < 0.05 ? 0.05 : r > 0.95 ? 0.95 : r;
}

pmc_epsilon_stop pmc_epsilon_should_stop(unsigned t, double eps_t, double eps_prev,
                                         double acceptance, double min_acceptance,
                                         double min_change, size_t n_values)
{
    if (min_acceptance > 0 && acceptance < min_acceptance)
        return PMC_EPS_STOP_ACCEPTANCE;
    /* 1 - eps_t / eps_{t-1}: the relative decrease; an infinite eps_{t-1}
     * (no tolerance in generation 0) counts as a full decrease. */
    if (min_change > 0 && t >= 1 && 1.0 - eps_t / eps_prev < min_change)
        return PMC_EPS_STOP_CHANGE;
    if (n_values > 0 && t >= n_values)
        return PMC_EPS_STOP_LIST_END;
    return PMC_EPS_GO_ON;
}

int pmc_epsilon_run_finished(const pmc_config *cfg, unsigned t, double eps_t, double eps_prev,
                             double acceptance)
{
    size_t n_values = cfg->eps_schedule == PMC_EPS_LIST ? cfg->n_eps_values : 0;
    return t + 1 >= cfg->generations || eps_t <= cfg->eps_minimum ||
           pmc_epsilon_should_stop(t, eps_t, eps_prev, acceptance, cfg->eps_min_acceptance,
                                   cfg->eps_min_change, n_values) != PMC_EPS_GO_ON;
}

/* The tolerance schedule: by default epsilon_t = max(minimum, q-quantile of
 * generation t-1's accepted distances); [epsilon] schedule chooses another
 * (docs/algorithm.md "Tolerance schedules"), and the stopping rules below
 * end a run early. */
#ifndef PMC_EPSILON_H
#define PMC_EPSILON_H

#include <stddef.h>

#include "pmc_config.h"
#include "pmc_summary.h"

/* Next tolerance: max(minimum, pmc_quantile(distances, n, q)). */
double pmc_epsilon_next(const double *distances, size_t n, double q, double minimum);

/* [epsilon] schedule. */
typedef enum {
    PMC_EPS_QUANTILE = 0,   /* q-quantile of the distances (Beaumont et al. 2009) */
    PMC_EPS_WEIGHTED_QUANTILE, /* q-quantile under the particle weights */
    PMC_EPS_LIST,           /* given values (Toni et al. 2009) */
    PMC_EPS_ACCEPTANCE,     /* quantile steered towards a target acceptance rate */
    PMC_EPS_DENSITY_RATIO   /* quantile 1 / sup p_t / p_{t-1} (Simola et al. 2021) */
} pmc_epsilon_schedule;

/* "quantile", "weighted_quantile", "list", "acceptance", "density_ratio". */
const char *pmc_epsilon_schedule_name(pmc_epsilon_schedule s);

/* Parses a name of pmc_epsilon_schedule_name; PMC_EINVAL if unknown. */
int pmc_epsilon_schedule_parse(const char *name, pmc_epsilon_schedule *s);


/* The quantile of schedule = acceptance for the next generation:
 * q_t = min(0.95, max(0.05, q x target / acceptance)), acceptance the rate
 * of the generation just done: above the target the tolerance shrinks
 * faster than with q, below it slower, and at the target by q. Returns NAN
 * unless 0 < q < 1, 0 < target < 1 and 0 < acceptance <= 1. */
double pmc_epsilon_acceptance_quantile(double q, double target, double acceptance);

/* The quantile of schedule = density_ratio for generation t + 1, from
 * c = the largest ratio of generation t's density estimate to generation
 * t - 1's (pmc_kernel_density_ratio_max): min(0.95, max(0.05, 1 / c)).
 * NAN unless c > 0. */
double pmc_epsilon_density_ratio_quantile(double c);

/* Why a run stops after generation t ([epsilon] min_acceptance and
 * min_change, schedule = list), PMC_EPS_GO_ON if it does not. */
typedef enum {
    PMC_EPS_GO_ON = 0,
    PMC_EPS_STOP_ACCEPTANCE, /* acceptance < min_acceptance */
    PMC_EPS_STOP_CHANGE,     /* t >= 1 and 1 - eps_t / eps_{t-1} < min_change */
    PMC_EPS_STOP_LIST_END    /* schedule = list and no value for generation t + 1 */
} pmc_epsilon_stop;

/* The stopping rules after generation t, tolerance eps_t (eps_prev the one
 * before, ignored for t = 0; inf gives a relative change of 1), acceptance
 * rate acceptance; a rule whose threshold is 0 is off. n_values: the length
 * of a list schedule, or 0 for no list. In the order of the enum. */
pmc_epsilon_stop pmc_epsilon_should_stop(unsigned t, double eps_t, double eps_prev,
                                         double acceptance, double min_acceptance,
                                         double min_change, size_t n_values);

/* Whether a run of config cfg ends after generation t (tolerance eps_t,
 * eps_prev the one before, acceptance rate acceptance): the last of [run]
 * generations, epsilon at its [epsilon] minimum, or a stopping rule
 * (pmc_epsilon_should_stop). The one rule for `run` and `inspect`, so a job
 * script reading inspect's state agrees with what run does. */
int pmc_epsilon_run_finished(const pmc_config *cfg, unsigned t, double eps_t,
                             double eps_prev, double acceptance);

#endif

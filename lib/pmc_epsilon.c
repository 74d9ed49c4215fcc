#include "pmc_epsilon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_config.h"
#include "pmc_error.h"

/* Ascending order with NaN last, so qsort sees a consistent total order
 * even if a distance is NaN. */
static int pmc__cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

/* Hyndman & Fan (1996) type 7 on the sorted copy s:
 * h = (n-1) q, s[floor h] + (h - floor h)(s[floor h + 1] - s[floor h]). */
static double pmc__quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    double lo = floor(h);
    size_t k = (size_t)lo;
    if (k + 1 >= n)
        return s[n - 1];
    return s[k] + (h - lo) * (s[k + 1] - s[k]);
}

double pmc_quantile(const double *x, size_t n, double q)
{
    if (n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NAN;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, pmc__cmp_double);
    double r = pmc__quantile_sorted(s, n, q);
    free(s);
    return r;
}

/* A failed quantile (NaN) is passed on rather than hidden behind the
 * minimum, which fmax would return. */
double pmc_epsilon_next(const double *distances, size_t n, double q, double minimum)
{
    double e = pmc_quantile(distances, n, q);
    if (isnan(e))
        return NAN;
    return e > minimum ? e : minimum;
}

static const char *const pmc__schedule_names[] = {"quantile", "weighted_quantile", "list",
                                                   "acceptance"};

const char *pmc_epsilon_schedule_name(pmc_epsilon_schedule s)
{
    return (unsigned)s < 4 ? pmc__schedule_names[s] : "unknown";
}

int pmc_epsilon_schedule_parse(const char *name, pmc_epsilon_schedule *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, pmc__schedule_names[i])) {
            *s = (pmc_epsilon_schedule)i;
            return PMC_OK;
        }
    return PMC_EINVAL;
}

typedef struct {
    double x, w;
    size_t idx;
} pmc__weighted_point;

/* Ascending x, NaN last, ties by index: a total order, so the sorted
 * sequence (and the cumulative sum) is the same on every rank. */
static int pmc__cmp_point(const void *pa, const void *pb)
{
    const pmc__weighted_point *a = pa, *b = pb;
    int c = pmc__cmp_double(&a->x, &b->x);
    if (c)
        return c;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

double pmc_weighted_quantile(const double *x, const double *w, size_t n, double q)
{
    if (n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    pmc__weighted_point *s = malloc(n * sizeof *s);
    if (!s)
        return NAN;
    for (size_t i = 0; i < n; i++)
        s[i] = (pmc__weighted_point){x[i], w[i], i};
    qsort(s, n, sizeof *s, pmc__cmp_point);
    double total = 0;
    for (size_t k = 0; k < n; k++)
        total += s[k].w;
    double r = NAN;
    if (total > 0 && isfinite(total)) {
        double target = q * total, cum = 0;
        r = s[n - 1].x; /* rounding may leave the last C_k a hair below q W */
        for (size_t k = 0; k < n; k++) {
            cum += s[k].w;
            if (cum >= target && s[k].w > 0) {
                r = s[k].x;
                break;
            }
        }
    }
    free(s);
    return r;
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

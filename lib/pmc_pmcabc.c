/* The PMC-ABC generation loop (Beaumont, Cornuet, Marin & Robert 2009,
 * "Adaptive approximate Bayesian computation", Biometrika 96(4), algorithm
 * of section 3).
 *
 * Every rank holds the whole previous population (it is small: N x d) and
 * computes whichever slots the scheduler gives it; a slot's result is a
 * function of (seed, generation, slot) and the previous population only, so
 * the population is the same for any number of ranks. */
#include "pmc_pmcabc.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pmc_checkpoint.h"
#include "pmc_distance.h"
#include "pmc_epsilon.h"
#include "pmc_kernel.h"
#include "pmc_log.h"
#include "pmc_model.h"
#include "pmc_prior.h"
#include "pmc_rng.h"
#include "pmc_weights.h"
#include <gsl/gsl_errno.h>

/* A perturbation that keeps landing outside the prior's support this often
 * means the kernel is useless for this prior; stop with a message. */
#define MAX_PRIOR_REDRAWS 1000000

/* One population: theta (n x d), normalised weights, distances. */
typedef struct {
    size_t n, d;
    double *theta, *weights, *distances;
} population;

/* What a slot needs to compute its particle, shared read-only by all slots. */
typedef struct {
    const pmc_config *cfg;
    const pmc_model *model;
    pmc_distance_kind distance;
    size_t d, n_stats;
    unsigned generation;
    double epsilon;
    uint64_t budget;          /* max simulations one slot may use; 0 = no cap */
    const population *prev;   /* NULL in generation 0 */
    const double *prev_cumw;  /* cumulative weights of prev, for ancestor draws */
    const pmc_kernel *kernel;
    gsl_rng *rng;             /* scratch, this rank's main thread only */
    double *stats;            /* scratch: n_stats */
} slot_ctx;

/* Record of one slot, as the scheduler moves it: theta[d], distance, sims. */
static size_t record_size(size_t d) { return (d + 1) * sizeof(double) + sizeof(uint64_t); }

/* --- one slot ------------------------------------------------------------- */

/* Index of the first cumulative weight above u (binary search). */
static size_t draw_ancestor(const double *cumw, size_t n, gsl_rng *rng)
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

/* Draws a proposal: from the prior in generation 0, else ancestor by weight
 * plus kernel noise. Both the ancestor and the noise are redrawn when the
 * proposal falls outside the prior's support, so the proposal density is the
 * mixture sum_j w_j K(. | theta_j) restricted to the support and normalised
 * by one constant - which is what the weight formula assumes. */
static int propose(const slot_ctx *c, double *theta, pmc_err *err)
{
    size_t d = c->d;
    if (!c->prev) {
        pmc_prior_sample_joint(c->cfg->prior, d, c->rng, theta);
        return PMC_OK;
    }
    for (long tries = 0; tries < MAX_PRIOR_REDRAWS; tries++) {
        size_t j = draw_ancestor(c->prev_cumw, c->prev->n, c->rng);
        pmc_kernel_perturb(c->kernel, c->prev->theta + j * d, c->rng, theta);
        if (isfinite(pmc_prior_logpdf_joint(c->cfg->prior, d, theta)))
            return PMC_OK;
    }
    return pmc_err_set(err, PMC_ERUNTIME,
                       "%d perturbations in a row fell outside the prior's support",
                       MAX_PRIOR_REDRAWS);
}

static void format_theta(const slot_ctx *c, const double *theta, char *buf, size_t len)
{
    size_t off = 0;
    for (size_t k = 0; k < c->d && off < len; k++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s = %.17g", k ? ", " : "",
                                c->cfg->prior[k].name, theta[k]);
}

static int compute_slot(void *arg, size_t slot, void *record, pmc_err *err)
{
    const slot_ctx *c = arg;
    double *theta = record;
    uint64_t sims = 0;
    double dist;
    pmc_rng_set_stream(c->rng, c->cfg->seed, c->generation, slot);
    for (;;) {
        int rc = propose(c, theta, err);
        if (rc == PMC_OK)
            rc = pmc_model_simulate(c->model, theta, c->rng, c->stats, err);
        if (rc != PMC_OK) {
            char buf[512];
            format_theta(c, theta, buf, sizeof buf);
            return pmc_err_prefix(err, "generation %u, parameters (%s)", c->generation, buf);
        }
        sims++;
        dist = pmc_distance(c->distance, c->stats, pmc_model_observed_stats(c->model),
                            c->n_stats);
        if (dist <= c->epsilon || isinf(c->epsilon))
            break;
        if (c->budget && sims >= c->budget)
            return pmc_err_set(err, PMC_EBUDGET, "slot needs more than %llu simulations",
                               (unsigned long long)c->budget);
    }
    memcpy(theta + c->d, &dist, sizeof dist);
    memcpy((unsigned char *)record + (c->d + 1) * sizeof(double), &sims, sizeof sims);
    return PMC_OK;
}

/* --- populations ---------------------------------------------------------- */

static int population_alloc(population *p, size_t n, size_t d, pmc_err *err)
{
    p->n = n;
    p->d = d;
    p->theta = malloc(n * d * sizeof(double));
    p->weights = malloc(n * sizeof(double));
    p->distances = malloc(n * sizeof(double));
    if (!p->theta || !p->weights || !p->distances)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu particles", n);
    return PMC_OK;
}

static void population_free(population *p)
{
    free(p->theta);
    free(p->weights);
    free(p->distances);
    memset(p, 0, sizeof *p);
}

/* Unpacks scheduler records into pop; returns the generation's simulations. */
static uint64_t unpack_records(const unsigned char *records, population *pop)
{
    size_t d = pop->d, rs = record_size(d);
    uint64_t total = 0;
    for (size_t i = 0; i < pop->n; i++) {
        const unsigned char *r = records + i * rs;
        uint64_t sims;
        memcpy(pop->theta + i * d, r, d * sizeof(double));
        memcpy(&pop->distances[i], r + d * sizeof(double), sizeof(double));
        memcpy(&sims, r + (d + 1) * sizeof(double), sizeof sims);
        total += sims;
    }
    return total;
}

/* --- the run ---------------------------------------------------------------- */

typedef struct {
    const pmc_config *cfg;
    pmc_schedule *sched;
    pmc_model *model;
    pmc_distance_kind distance;
    size_t n, d;
    population prev, cur;
    int have_prev;
    pmc_kernel kernel;
    double *cumw, *z, *z_prev, *logprior;
    double *epsilons;
    uint64_t total_sims;
    gsl_rng *rng;
    double *stats;
    unsigned char *records;
    const char *names[PMC_MAX_PARAMS];
} run_state;

/* Importance weights of the new population (Beaumont 2009, step 2.2); each
 * rank computes a block of i, then all ranks gather and normalise in index
 * order, so every rank holds bit-identical weights. */
static int compute_weights(run_state *st, pmc_err *err)
{
    size_t n = st->n, d = st->d, lo, hi;
    population *cur = &st->cur;
    if (!st->have_prev) {
        for (size_t i = 0; i < n; i++)
            cur->weights[i] = 1.0 / (double)n;
        return PMC_OK;
    }
    pmc_schedule_block(st->sched, n, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        st->logprior[i] = pmc_prior_logpdf_joint(st->cfg->prior, d, cur->theta + i * d);
    pmc_kernel_whiten(&st->kernel, cur->theta, n, st->z);
    int rc = pmc_weights_block(st->z, st->logprior, lo, hi, st->z_prev, st->prev.weights,
                               st->prev.n, d, cur->weights + lo, err);
    rc = pmc_schedule_agree(st->sched, rc, err);
    if (rc == PMC_OK)
        rc = pmc_schedule_allgather_blocks(st->sched, cur->weights, n, 1, err);
    if (rc == PMC_OK)
        rc = pmc_weights_normalise(cur->weights, n, err);
    return rc;
}

/* Fits the kernel and ancestor table to the population just accepted, for
 * the next generation. */
static int prepare_next(run_state *st, pmc_err *err)
{
    population *p = &st->cur;
    int rc = pmc_kernel_fit(&st->kernel, p->theta, p->weights, p->n, p->d, err);
    if (rc != PMC_OK)
        return rc;
    double acc = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        acc += p->weights[i];
        st->cumw[i] = acc;
    }
    pmc_kernel_whiten(&st->kernel, p->theta, p->n, st->z_prev);
    population tmp = st->prev;
    st->prev = st->cur;
    st->cur = tmp;
    st->have_prev = 1;
    return PMC_OK;
}

static int write_generation(run_state *st, const pmc_gen_meta *meta, pmc_err *err)
{
    pmc_population_view v = { 0 };
    v.n = st->n;
    v.d = st->d;
    pmc_schedule_block(st->sched, st->n, &v.lo, &v.hi);
    v.theta = st->cur.theta;
    v.weights = st->cur.weights;
    v.distances = st->cur.distances;
    v.epsilons = st->epsilons;
    v.param_names = st->names;
    v.config_text = st->cfg->text;
    return pmc_checkpoint_write_generation(pmc_schedule_comm_handle(st->sched),
                                           st->cfg->checkpoint_dir, meta, &v, err);
}

static void log_generation(const pmc_gen_meta *m, const pmc_schedule_stats *ss, double elapsed)
{
    pmc_log_info("gen %4u  eps %-11.5g accept %-9.4g ESS %-8.1f sims %-9llu total %-10llu "
                 "%9.3g sims/s  %7.2fs  busy %.2f/%.2f/%.2f  elapsed %.1fs",
                 m->generation, m->epsilon, m->acceptance_rate, m->ess,
                 (unsigned long long)m->gen_simulations, (unsigned long long)m->n_simulations,
                 m->wall_time > 0 ? (double)m->gen_simulations / m->wall_time : 0.0,
                 m->wall_time, ss->busy_min, ss->busy_mean, ss->busy_max, elapsed);
    pmc_log_debug("gen %u: %llu chunk requests; waiting ranks used at most %.3f%% of a core "
                  "while waiting", m->generation, (unsigned long long)ss->requests,
                  100.0 * ss->wait_cpu_max);
}

/* Runs one generation at tolerance eps; on PMC_OK, st->cur holds it. */
static int run_generation(run_state *st, unsigned gen, double eps, pmc_gen_meta *meta,
                          pmc_err *err)
{
    double t0 = pmc_now();
    slot_ctx c = { 0 };
    c.cfg = st->cfg;
    c.model = st->model;
    c.distance = st->distance;
    c.d = st->d;
    c.n_stats = pmc_model_n_stats(st->model);
    c.generation = gen;
    c.epsilon = eps;
    if (st->cfg->max_simulations)
        c.budget = st->cfg->max_simulations > st->total_sims
                       ? st->cfg->max_simulations - st->total_sims : 1;
    c.prev = st->have_prev ? &st->prev : NULL;
    c.prev_cumw = st->cumw;
    c.kernel = &st->kernel;
    c.rng = st->rng;
    c.stats = st->stats;
    pmc_schedule_stats ss;
    int rc = pmc_schedule_run_slots(st->sched, st->n, record_size(st->d), compute_slot, &c,
                                    st->records, &ss, err);
    if (rc != PMC_OK)
        return rc;
    uint64_t gen_sims = unpack_records(st->records, &st->cur);
    if (st->cfg->max_simulations && st->total_sims + gen_sims > st->cfg->max_simulations)
        return pmc_err_set(err, PMC_EBUDGET, "generation %u needs %llu simulations", gen,
                           (unsigned long long)gen_sims);
    rc = compute_weights(st, err);
    if (rc != PMC_OK)
        return rc;
    st->total_sims += gen_sims;
    st->epsilons[gen] = eps;
    meta->generation = gen;
    meta->epsilon = eps;
    meta->n_simulations = st->total_sims;
    meta->gen_simulations = gen_sims;
    meta->ess = pmc_weights_ess(st->cur.weights, st->n);
    meta->acceptance_rate = (double)st->n / (double)gen_sims;
    meta->seed = st->cfg->seed;
    meta->wall_time = pmc_now() - t0;
    log_generation(meta, &ss, pmc_log_elapsed());
    return PMC_OK;
}

/* --- posterior summary ------------------------------------------------------ */

typedef struct {
    double x, w;
} weighted_value;

static int cmp_weighted(const void *a, const void *b)
{
    double x = ((const weighted_value *)a)->x, y = ((const weighted_value *)b)->x;
    return (x > y) - (x < y);
}

/* Weighted quantile: the smallest sample value whose cumulative weight (in
 * ascending order of value) reaches q. Same definition as tools/pmcabc_read.py. */
static double weighted_quantile(const weighted_value *v, size_t n, double q)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) {
        acc += v[i].w;
        if (acc >= q)
            return v[i].x;
    }
    return v[n - 1].x;
}

static void log_posterior(const run_state *st, const population *p, const pmc_gen_meta *m)
{
    pmc_log_info("posterior: generation %u, N = %zu, ESS = %.1f, epsilon = %.6g, "
                 "simulations = %llu", m->generation, p->n, m->ess, m->epsilon,
                 (unsigned long long)m->n_simulations);
    pmc_log_info("  %-16s %14s %14s %14s %14s %14s", "parameter", "mean", "sd", "5%", "50%",
                 "95%");
    weighted_value *v = malloc(p->n * sizeof *v);
    if (!v)
        return;
    for (size_t k = 0; k < p->d; k++) {
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < p->n; i++)
            mean += p->weights[i] * p->theta[i * p->d + k];
        for (size_t i = 0; i < p->n; i++) {
            double dx = p->theta[i * p->d + k] - mean;
            var += p->weights[i] * dx * dx;
            v[i].x = p->theta[i * p->d + k];
            v[i].w = p->weights[i];
        }
        qsort(v, p->n, sizeof *v, cmp_weighted);
        pmc_log_info("  %-16s %14.6g %14.6g %14.6g %14.6g %14.6g", st->cfg->prior[k].name, mean,
                     sqrt(var), weighted_quantile(v, p->n, 0.05), weighted_quantile(v, p->n, 0.5),
                     weighted_quantile(v, p->n, 0.95));
    }
    free(v);
}

/* --- set-up ------------------------------------------------------------------ */

static int alloc_state(run_state *st, pmc_err *err)
{
    size_t n = st->n, d = st->d;
    int rc = population_alloc(&st->prev, n, d, err);
    if (rc == PMC_OK)
        rc = population_alloc(&st->cur, n, d, err);
    if (rc != PMC_OK)
        return rc;
    st->cumw = malloc(n * sizeof(double));
    st->z = malloc(n * d * sizeof(double));
    st->z_prev = malloc(n * d * sizeof(double));
    st->logprior = malloc(n * sizeof(double));
    st->epsilons = calloc(st->cfg->generations, sizeof(double));
    st->stats = malloc(pmc_model_n_stats(st->model) * sizeof(double));
    st->records = malloc(n * record_size(d));
    st->rng = pmc_rng_alloc();
    if (!st->cumw || !st->z || !st->z_prev || !st->logprior || !st->epsilons || !st->stats ||
        !st->records || !st->rng)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu particles", n);
    for (size_t k = 0; k < d; k++)
        st->names[k] = st->cfg->prior[k].name;
    return PMC_OK;
}

static void free_state(run_state *st)
{
    population_free(&st->prev);
    population_free(&st->cur);
    pmc_kernel_free(&st->kernel);
    free(st->cumw);
    free(st->z);
    free(st->z_prev);
    free(st->logprior);
    free(st->epsilons);
    free(st->stats);
    free(st->records);
    if (st->rng)
        gsl_rng_free(st->rng);
    pmc_model_free(st->model);
}

/* Until resume exists, an existing run is never overwritten. */
static int check_fresh_dir(const char *dir, pmc_err *err)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return PMC_OK;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(dp)))
        if (!strncmp(e->d_name, "gen-", 4) && strstr(e->d_name, ".h5"))
            found = 1;
    closedir(dp);
    if (found)
        return pmc_err_set(err, PMC_EINVAL,
                           "checkpoint_dir %s already holds generation files of a run; "
                           "choose another directory (--set run.checkpoint_dir=...) or move "
                           "them away",
                           dir);
    return PMC_OK;
}

static int setup(run_state *st, pmc_err *err)
{
    int rc = pmc_model_create(st->cfg, &st->model, err);
    if (rc == PMC_OK) {
        rc = pmc_distance_lookup(st->cfg->distance_name, &st->distance, err);
        if (rc != PMC_OK)
            pmc_err_prefix(err, "%s: [distance] name: %s", st->cfg->path, st->cfg->distance_name);
    }
    if (rc == PMC_OK)
        rc = alloc_state(st, err);
    rc = pmc_schedule_agree(st->sched, rc, err);
    if (rc != PMC_OK)
        return rc;
    if (pmc_schedule_rank(st->sched) == 0) {
        rc = check_fresh_dir(st->cfg->checkpoint_dir, err);
        if (rc == PMC_OK)
            rc = pmc_checkpoint_prepare_dir(st->cfg->checkpoint_dir, err);
    }
    return pmc_schedule_agree(st->sched, rc, err);
}

static void log_start(const run_state *st)
{
    const pmc_config *cfg = st->cfg;
    pmc_log_info("pmcabc %s: config %s, model %s, %zu parameters, N = %zu, seed %llu, "
                 "%d rank%s", PMC_VERSION, cfg->path, cfg->model_name, st->d, st->n,
                 (unsigned long long)cfg->seed, pmc_schedule_size(st->sched),
                 pmc_schedule_size(st->sched) > 1 ? "s" : "");
    pmc_log_info("checkpoints in %s; generations %u, epsilon initial %g, quantile %g, "
                 "minimum %g, max_simulations %llu", cfg->checkpoint_dir, cfg->generations,
                 cfg->eps_initial, cfg->eps_quantile, cfg->eps_minimum,
                 (unsigned long long)cfg->max_simulations);
}

int pmc_run(const pmc_config *cfg, pmc_schedule *s, pmc_err *err)
{
    /* GSL's default handler aborts the process; every GSL status is checked. */
    gsl_set_error_handler_off();
    run_state st;
    memset(&st, 0, sizeof st);
    st.cfg = cfg;
    st.sched = s;
    st.n = cfg->particles;
    st.d = cfg->n_params;
    int rc = setup(&st, err);
    if (rc == PMC_OK)
        log_start(&st);
    double eps = cfg->eps_initial;
    pmc_gen_meta meta, last = { 0 };
    unsigned done = 0;
    int last_in_cur = 0; /* where the last complete generation lives */
    for (unsigned gen = 0; rc == PMC_OK && gen < cfg->generations; gen++) {
        rc = run_generation(&st, gen, eps, &meta, err);
        if (rc == PMC_OK)
            rc = write_generation(&st, &meta, err);
        if (rc != PMC_OK)
            break;
        last = meta;
        done = gen + 1;
        last_in_cur = 1;
        if (eps <= cfg->eps_minimum) {
            pmc_log_info("stopping: epsilon reached its minimum %g", cfg->eps_minimum);
            break;
        }
        if (gen + 1 < cfg->generations) {
            eps = pmc_epsilon_next(st.cur.distances, st.n, cfg->eps_quantile, cfg->eps_minimum);
            rc = prepare_next(&st, err);
            last_in_cur = 0;
        }
    }
    if (rc == PMC_EBUDGET && done > 0) {
        pmc_log_info("stopping: the next generation would exceed max_simulations = %llu (%s); "
                     "the result is generation %u",
                     (unsigned long long)cfg->max_simulations, err->msg, done - 1);
        rc = PMC_OK;
    } else if (rc == PMC_EBUDGET) {
        pmc_err_prefix(err, "max_simulations = %llu is too small to complete generation 0",
                       (unsigned long long)cfg->max_simulations);
        rc = PMC_ERUNTIME;
    } else if (rc == PMC_OK && done == cfg->generations) {
        pmc_log_info("stopping: all %u generations done", cfg->generations);
    }
    if (rc == PMC_OK && done > 0)
        log_posterior(&st, last_in_cur ? &st.cur : &st.prev, &last);
    free_state(&st);
    return rc;
}

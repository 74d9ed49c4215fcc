/* The PMC-ABC generation loop (Beaumont, Cornuet, Marin & Robert 2009,
 * "Adaptive approximate Bayesian computation", Biometrika 96(4), algorithm
 * of section 3).
 *
 * Every rank holds the whole previous population (it is small: N x d) and
 * computes whichever proposal attempts the scheduler gives it; attempt j of
 * slot i is a function of (seed, generation, slot, attempt) and the previous
 * population only, and a slot's particle is its lowest-index accepted
 * attempt, so the population is the same for any number of ranks. */
#include "pmc_pmcabc.h"

#include <errno.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmc_bounds.h"
#include "pmc_checkpoint.h"
#include "pmc_choice.h"
#include "pmc_rundir.h"
#include "pmc_distance.h"
#include "pmc_epsilon.h"
#include "pmc_summary.h"
#include "pmc_kernel.h"
#include "pmc_lock.h"
#include "pmc_log.h"
#include "pmc_model.h"
#include "pmc_prior.h"
#include "pmc_rng.h"
#include "pmc_signal.h"
#include "pmc_version.h"
#include "pmc_util.h"
#include "pmc_weights.h"
#include <gsl/gsl_errno.h>

/* A perturbation that keeps landing outside the prior's support this often
 * means the kernel is useless for this prior; stop with a message. */
#define MAX_PRIOR_REDRAWS 1000000

/* One population: theta (n x d), normalised weights, distances, the
 * statistics of each particle's accepted simulation (n x ns), and with the
 * adaptive distance those of its slot's first simulation (n x nps). */
typedef struct {
    size_t n, d, ns, nps;
    double *theta, *weights, *distances;
    double *stats, *pstats;
} population;

/* The columns each kernel moves: the normal kernel the continuous ones, on
 * their scales ([prior] ... log, logit), the discrete kernel the others
 * (docs/algorithm.md "Parameter scales", "Discrete parameters"). */
typedef struct {
    size_t dc;                   /* continuous parameters */
    size_t cont[PMC_MAX_PARAMS]; /* their columns, in order */
    int separate;                /* the normal kernel works on a copy: a scale or a discrete column */
    pmc_discrete_kernel disc;    /* n = 0 without discrete parameters */
} kernel_layout;

/* What a slot needs to compute its particle, shared read-only by all slots. */
typedef struct {
    const pmc_config *cfg;
    const pmc_model *model;
    const pmc_metric *distance;
    size_t d, n_stats;
    size_t rec_ns;            /* accepted statistics kept per record: n_stats (or 0) */
    size_t rec_nps;           /* first-simulation statistics per record: n_stats (adaptive) or 0 */
    unsigned generation;
    double epsilon;
    const population *prev;   /* NULL in generation 0 */
    const double *prev_cumw;  /* cumulative weights of prev, for ancestor draws */
    const double *prev_u;     /* prev's continuous columns on their scales (prev->theta if the same) */
    const pmc_kernel *kernel;
    const kernel_layout *lay;
    const pmc_choice *choice; /* model choice, else NULL */
    pmc_model *const *models; /* model choice: model m's simulator */
    gsl_rng *rng;             /* scratch, this rank's main thread only */
    double *stats;            /* scratch: n_stats */
    double deadline;          /* abandon the slot after this time; 0 = never */
    _Atomic uint64_t sims;    /* simulations so far on this rank, for progress */
    pmc_schedule *sched;      /* for group calls */
    unsigned char *group_msg; /* scratch for a group call; NULL: simulate here alone */
    const uint64_t *start;    /* per slot: attempts known rejected when the call began */
} slot_ctx;

/* A stop this rank sees by itself: a signal, or the time limit's deadline. */
static int must_stop(double deadline)
{
    return pmc_signal_pending() || (deadline > 0.0 && pmc_now() >= deadline);
}

/* Record of one slot, as the scheduler moves it: theta[d], distance,
 * simulations (uint64), ns accepted statistics (the accepted attempt's
 * part), then nps first-simulation statistics (the part attempt 0 writes);
 * nps = 0 unless the distance is adaptive. Offsets in doubles. */
static size_t record_main_size(size_t d, size_t ns) { return (d + 2 + ns) * sizeof(double); }
static size_t record_size(size_t d, size_t ns, size_t nps)
{
    return (d + 2 + ns + nps) * sizeof(double);
}
#define REC_DIST(d) ((d) * sizeof(double))
#define REC_SIMS(d) (((d) + 1) * sizeof(double))
#define REC_STATS(d) (((d) + 2) * sizeof(double))
#define REC_PSTATS(d, ns) (((d) + 2 + (ns)) * sizeof(double))

/* --- one slot --- */

/* Draws a proposal: from the prior in generation 0, else ancestor by weight
 * plus kernel noise. Both the ancestor and the noise are redrawn when the
 * proposal falls outside the prior's support, so the proposal density is the
 * mixture sum_j w_j K(. | theta_j) restricted to the support and normalised
 * by one constant - which is what the weight formula assumes. */
static int propose(const slot_ctx *c, double *theta, pmc_err *err)
{
    size_t d = c->d;
    /* A model constraint (e.g. the MA(2) triangle) restricts the prior to a
     * region; being a constant restriction, it leaves the weights formula as is. */
    for (long tries = 0; tries < MAX_PRIOR_REDRAWS; tries++) {
        if (c->choice) {
            /* The model and its parameters are drawn again together, so
             * the restriction stays one constant over all models. */
            if (pmc_choice_propose(c->choice, c->prev ? c->prev->theta : NULL, c->prev_cumw,
                                   c->prev ? c->prev->n : 0, c->rng, theta)) {
                size_t m;
                const double *params = pmc_choice_params(c->choice, theta, &m);
                if (pmc_model_in_support(c->models[m], params))
                    return PMC_OK;
            }
            continue;
        }
        if (!c->prev) {
            pmc_prior_sample_joint(c->cfg->prior, d, c->rng, theta);
        } else {
            size_t j = pmc_rng_draw_cumulative(c->prev_cumw, c->prev->n, c->rng);
            const kernel_layout *lay = c->lay;
            double u[PMC_MAX_PARAMS];
            if (lay->dc)
                pmc_kernel_perturb_ancestor(c->kernel, j, c->prev_u + j * lay->dc, c->rng, u);
            for (size_t a = 0; a < lay->dc; a++)
                theta[lay->cont[a]] = pmc_prior_from_scale(&c->cfg->prior[lay->cont[a]], u[a]);
            pmc_discrete_kernel_perturb(&lay->disc, c->prev->theta + j * d, c->rng, theta);
            /* The scaled density: also -inf where rounding put a scaled
             * parameter on the end of its range, where its weight would be 0. */
            if (!isfinite(pmc_prior_logpdf_scaled_joint(c->cfg->prior, d, theta)))
                continue;
        }
        if (pmc_model_in_support(c->model, theta))
            return PMC_OK;
    }
    return pmc_err_set(err, PMC_ERUNTIME,
                       "%d proposals in a row fell outside the prior's support or the "
                       "model's constraint", MAX_PRIOR_REDRAWS);
}

static void format_theta(const slot_ctx *c, const double *theta, char *buf, size_t len)
{
    size_t off = 0;
    for (size_t k = 0; k < c->d && off < len; k++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s = %.17g", k ? ", " : "",
                                c->cfg->prior[k].name, theta[k]);
}

/* What every rank of a group needs for one simulation: theta, then the
 * generator's state, so that each rank's model sees the very stream a
 * single rank would have used (bit-identical results for any group size). */
static size_t group_msg_size(size_t d, const gsl_rng *rng)
{
    return d * sizeof(double) + gsl_rng_size(rng);
}

static int simulate(const slot_ctx *c, const double *theta, pmc_err *err)
{
    if (c->choice) { /* one rank per simulation (setup_groups) */
        size_t m;
        const double *params = pmc_choice_params(c->choice, theta, &m);
        return pmc_model_simulate(c->models[m], params, c->rng, c->stats, err);
    }
    if (!c->group_msg)
        return pmc_model_simulate(c->model, theta, c->rng, c->stats, err);
    memcpy(c->group_msg, theta, c->d * sizeof(double));
    memcpy(c->group_msg + c->d * sizeof(double), gsl_rng_state(c->rng), gsl_rng_size(c->rng));
    return pmc_schedule_group_call(c->sched, c->group_msg, group_msg_size(c->d, c->rng), err);
}

/* The scheduler's attempt function (pmc_attempt_fn): attempts [first, end)
 * of slot, stopping at the first accepted. */
static int compute_attempts(void *arg, size_t slot, uint64_t first, uint64_t end, void *record,
                            uint64_t *ran, uint64_t *accepted, pmc_err *err)
{
    slot_ctx *c = arg;
    double *theta = record;
    unsigned char *r = record;
    *ran = 0;
    *accepted = PMC_ATTEMPT_NONE;
    /* A slot going on from known rejected attempts (a partial file, an
     * earlier save) lost its attempt-0 statistics with them: the block that
     * starts it carries them (pmc_schedule.h), so redo attempt 0 for them.
     * Same stream, same bits; one simulation more, not counted. */
    if (c->rec_nps && first > 0 && first == c->start[slot] && first < end) {
        if (must_stop(c->deadline))
            return PMC_EINTR;
        pmc_rng_set_stream(c->rng, c->cfg->seed, c->generation, slot, 0);
        int rc = propose(c, theta, err);
        if (rc == PMC_OK)
            rc = simulate(c, theta, err);
        if (rc != PMC_OK)
            return pmc_err_prefix(err, "generation %u, attempt 0 again (its statistics)",
                                  c->generation);
        atomic_fetch_add_explicit(&c->sims, 1, memory_order_relaxed);
        memcpy(r + REC_PSTATS(c->d, c->rec_ns), c->stats, c->rec_nps * sizeof(double));
    }
    for (uint64_t a = first; a < end; a++) {
        /* Stopping between attempts is unbiased: an attempt's result depends
         * only on (seed, generation, slot, attempt), so redoing it later
         * gives the same bits. */
        if (must_stop(c->deadline))
            return PMC_EINTR;
        pmc_rng_set_stream(c->rng, c->cfg->seed, c->generation, slot, a);
        int rc = propose(c, theta, err);
        if (rc == PMC_OK)
            rc = simulate(c, theta, err);
        if (rc == PMC_EINTR) /* a stop signal inside a simulation (a command model's wait) */
            return rc;
        if (rc != PMC_OK) {
            char buf[512];
            format_theta(c, theta, buf, sizeof buf);
            return pmc_err_prefix(err, "generation %u, attempt %llu, parameters (%s)",
                                  c->generation, (unsigned long long)a, buf);
        }
        (*ran)++;
        atomic_fetch_add_explicit(&c->sims, 1, memory_order_relaxed);
        /* The first simulation of a slot is a draw from the proposal's
         * predictive: the sample the adaptive distance scales by (Prangle 2017). */
        if (c->rec_nps && a == 0) /* (first == 0: see above for first > 0) */
            memcpy(r + REC_PSTATS(c->d, c->rec_ns), c->stats, c->rec_nps * sizeof(double));
        double dist = pmc_distance_eval(c->distance, c->stats, pmc_model_observed_stats(c->model));
        if (dist <= c->epsilon || isinf(c->epsilon)) {
            uint64_t sims = a + 1; /* attempts 0 .. a: what the slot cost */
            memcpy(r + REC_DIST(c->d), &dist, sizeof dist);
            memcpy(r + REC_SIMS(c->d), &sims, sizeof sims);
            if (c->rec_ns)
                memcpy(r + REC_STATS(c->d), c->stats, c->rec_ns * sizeof(double));
            *accepted = a;
            return PMC_OK;
        }
    }
    return PMC_OK;
}

/* --- populations --- */

static int population_alloc(population *p, size_t n, size_t d, size_t ns, size_t nps,
                            pmc_err *err)
{
    p->n = n;
    p->d = d;
    p->ns = ns;
    p->nps = nps;
    p->theta = malloc(n * d * sizeof(double));
    p->weights = malloc(n * sizeof(double));
    p->distances = malloc(n * sizeof(double));
    p->stats = ns ? malloc(n * ns * sizeof(double)) : NULL;
    p->pstats = nps ? malloc(n * nps * sizeof(double)) : NULL;
    if (!p->theta || !p->weights || !p->distances || (ns && !p->stats) || (nps && !p->pstats))
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu particles", n);
    return PMC_OK;
}

static void population_free(population *p)
{
    free(p->theta);
    free(p->weights);
    free(p->distances);
    free(p->stats);
    free(p->pstats);
    memset(p, 0, sizeof *p);
}

/* Unpacks scheduler records into pop; returns the generation's simulations. */
static uint64_t unpack_records(const unsigned char *records, population *pop)
{
    size_t d = pop->d, ns = pop->ns, nps = pop->nps, rs = record_size(d, ns, nps);
    uint64_t total = 0;
    for (size_t i = 0; i < pop->n; i++) {
        const unsigned char *r = records + i * rs;
        uint64_t sims;
        memcpy(pop->theta + i * d, r, d * sizeof(double));
        memcpy(&pop->distances[i], r + REC_DIST(d), sizeof(double));
        memcpy(&sims, r + REC_SIMS(d), sizeof sims);
        if (ns)
            memcpy(pop->stats + i * ns, r + REC_STATS(d), ns * sizeof(double));
        if (nps)
            memcpy(pop->pstats + i * nps, r + REC_PSTATS(d, ns), nps * sizeof(double));
        total += sims;
    }
    return total;
}

/* --- the run --- */

/* The group call of one simulation, run by every rank of a group: rng is
 * the run's generator (on the leader its state is already the message's,
 * and it advances as if the model had been called directly). */
typedef struct {
    const pmc_model *model;
    gsl_rng *rng;
    double *stats;
    size_t d;
    pmcabc_group group;
} group_sim;

static int group_simulate(void *arg, const void *msg, size_t len, pmc_err *err)
{
    group_sim *g = arg;
    double theta[PMC_MAX_PARAMS];
    size_t tlen = g->d * sizeof(double);
    if (len != tlen + gsl_rng_size(g->rng))
        return pmc_err_set(err, PMC_ERUNTIME, "internal error: group call of %zu bytes", len);
    memcpy(theta, msg, tlen);
    memcpy(gsl_rng_state(g->rng), (const unsigned char *)msg + tlen, gsl_rng_size(g->rng));
    return pmc_model_simulate_group(g->model, theta, g->rng, g->stats, &g->group, err);
}

typedef struct {
    const pmc_config *cfg;
    pmc_schedule *sched;
    pmc_model *model;
    pmc_metric *distance;
    size_t n, d;
    population prev, cur;
    int have_prev;
    pmc_kernel kernel;
    /* Model choice (cfg->n_models > 0): model m's simulator (models[0] is
     * also st->model, which gives the statistics and the distance), and the
     * proposal and weights over models (pmc_choice.h). */
    pmc_model *models[PMC_MODELS_MAX];
    pmc_choice choice;
    int has_choice;
    double *cumw, *z, *z_prev, *logprior;
    /* The populations' continuous columns on their scales (n x lay.dc); NULL
     * unless lay.separate: the normal kernel then works on theta itself. */
    double *u, *u_prev;
    kernel_layout lay;
    double *epsilons;
    uint64_t total_sims;
    double attempts_hint;      /* simulations per slot of the last generation */
    double last_acceptance;    /* acceptance rate of the newest complete generation */
    gsl_rng *rng;
    double *stats;
    group_sim gsim;            /* what group calls simulate with */
    unsigned char *group_msg;  /* NULL unless simulations go through group calls */
    unsigned char *records;
    unsigned char *done;       /* per slot of the current generation */
    uint64_t *rejected;        /* per slot not done: its first attempts known rejected */
    /* Statistics kept per particle: ns of its accepted simulation (n_stats,
     * stored in every generation file for post-processing such as regression
     * adjustment; 0 if above PMC_CHECKPOINT_MAX_STATS), nps of its slot's
     * first simulation (n_stats with the adaptive distance, which rescales by
     * them, else 0). */
    size_t ns, nps;
    double *dist_tmp;          /* distances under the next generation's adaptive metric */
    const char *names[PMC_MAX_PARAMS];
    pmc_run_control ctl;
    uint64_t data_checksum;
    uint64_t model_digest;     /* pmc_model_digest */
    int budget_saved;          /* the budget stopped a generation and its work is saved */
    int rank;
    pmc_lock lock;             /* run-directory lock, held by rank 0 */
    int read_only;             /* checkpoint_dir not writable: only a finished run may go on */
    char created[PMC_PATH_MAX]; /* rank 0: top directory level this run created, or "" */
} run_state;

/* Below this many kernel terms (N^2 d) every rank computes all weights
 * itself (a few ms with the vectorised kernel, docs/performance.md): that
 * costs the same on any number of ranks, while sharing the work costs two
 * collectives, which grew with the rank count (issue 15). */
#define WEIGHTS_LOCAL_MAX_TERMS 1.6e7

/* The continuous columns of theta (st->n rows) on their scales, in u;
 * theta itself if the layout needs no copy (u is NULL then). */
static const double *on_kernel_scale(const run_state *st, const double *theta, double *u)
{
    if (!u)
        return theta;
    const kernel_layout *lay = &st->lay;
    for (size_t i = 0; i < st->n; i++)
        for (size_t a = 0; a < lay->dc; a++)
            u[i * lay->dc + a] = pmc_prior_to_scale(&st->cfg->prior[lay->cont[a]],
                                                    theta[i * st->d + lay->cont[a]]);
    return u;
}

static const double *prev_on_kernel_scale(const run_state *st)
{
    return st->u_prev ? st->u_prev : st->prev.theta;
}

/* Splits the parameters between the kernels. The local kernels fit one
 * covariance per ancestor from its neighbours in all coordinates, which a
 * discrete parameter has no metric for: refused with discrete parameters. */
static int setup_layout(run_state *st, pmc_err *err)
{
    kernel_layout *lay = &st->lay;
    const pmc_config *cfg = st->cfg;
    memset(lay, 0, sizeof *lay);
    for (size_t k = 0; k < st->d; k++) {
        const pmc_prior_spec *p = &cfg->prior[k];
        if (!pmc_prior_is_discrete(p)) {
            lay->cont[lay->dc++] = k;
            lay->separate |= p->scale != PMC_SCALE_LINEAR;
            continue;
        }
        size_t a = lay->disc.n++;
        lay->disc.col[a] = k;
        lay->disc.categories[a] = p->kind == PMC_PRIOR_CATEGORICAL ? p->n_p : 0;
        lay->disc.half_width[a] = 1.0;
        lay->separate = 1;
        if (cfg->kernel_kind == PMC_KERNEL_OLCM || cfg->kernel_kind == PMC_KERNEL_KNN)
            return pmc_err_set(err, PMC_EINVAL, "[kernel] name = %s: a local kernel needs "
                               "continuous parameters only, and [prior] %s = %s(...) is "
                               "discrete: use beaumont or componentwise",
                               pmc_kernel_kind_name((pmc_kernel_kind)cfg->kernel_kind),
                               p->name, pmc_prior_kind_name(p->kind));
    }
    return PMC_OK;
}

/* A new particle for sorting into groups that share their discrete values
 * (qsort has no context argument, so each element carries it). */
typedef struct {
    const double *row; /* its theta row */
    const pmc_discrete_kernel *disc;
    size_t idx;
} disc_item;

/* The discrete values of two rows, in column order: 0 if all equal. */
static int cmp_disc_values(const disc_item *a, const disc_item *b)
{
    for (size_t k = 0; k < a->disc->n; k++) {
        double x = a->row[a->disc->col[k]], y = b->row[a->disc->col[k]];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* Ascending discrete values, then index: a total order. */
static int cmp_disc_item(const void *pa, const void *pb)
{
    const disc_item *a = pa, *b = pb;
    int c = cmp_disc_values(a, b);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* Weights with discrete parameters: the denominator of particle i is
 * sum_j w_j K_c(u_i | u_j) K_d(k_i | k_j) (docs/algorithm.md "Discrete
 * parameters"). The particles that share their discrete values form a
 * group; for a group, w'_j = w_j K_d(k | k_j) is one vector, and the
 * continuous part is pmc_weights_block's sum with w' for the weights, so
 * each w_i keeps that function's bits for any [lo, hi) (and the plain sum
 * of w' in index order when every parameter is discrete). */
static int discrete_weights(run_state *st, size_t lo, size_t hi, pmc_err *err)
{
    size_t n_prev = st->prev.n, d = st->d, dc = st->lay.dc, m = hi - lo;
    const pmc_discrete_kernel *disc = &st->lay.disc;
    disc_item *item = malloc((m + 1) * sizeof *item);
    double *wp = malloc(n_prev * sizeof *wp);
    double *zg = malloc((m * dc + 1) * sizeof *zg), *lpg = malloc((m + 1) * sizeof *lpg);
    double *outg = malloc((m + 1) * sizeof *outg);
    int rc = item && wp && zg && lpg && outg ? PMC_OK
                                           : pmc_err_set(err, PMC_ENOMEM, "out of memory for the "
                                                         "weights of %zu particles", m);
    for (size_t i = lo; i < hi && rc == PMC_OK; i++)
        item[i - lo] = (disc_item){ st->cur.theta + i * d, disc, i };
    if (rc == PMC_OK && m > 0)
        qsort(item, m, sizeof *item, cmp_disc_item);
    for (size_t g0 = 0; g0 < m && rc == PMC_OK;) {
        size_t g1 = g0 + 1;
        while (g1 < m && cmp_disc_values(&item[g0], &item[g1]) == 0)
            g1++;
        const double *ki = item[g0].row;
        for (size_t j = 0; j < n_prev; j++)
            wp[j] = st->prev.weights[j] *
                    pmc_discrete_kernel_pmf(disc, st->prev.theta + j * d, ki);
        for (size_t a = g0; a < g1; a++) {
            memcpy(zg + (a - g0) * dc, st->z + item[a].idx * dc, dc * sizeof *zg);
            lpg[a - g0] = st->logprior[item[a].idx];
        }
        if (dc) {
            rc = pmc_weights_block(zg, lpg, 0, g1 - g0, st->z_prev, wp, n_prev, dc, outg, err);
        } else {
            double sum = 0.0;
            for (size_t j = 0; j < n_prev; j++)
                sum += wp[j];
            for (size_t a = 0; a < g1 - g0; a++)
                outg[a] = exp(lpg[a]) / sum;
        }
        for (size_t a = g0; a < g1 && rc == PMC_OK; a++)
            st->cur.weights[item[a].idx] = outg[a - g0];
        g0 = g1;
    }
    free(item);
    free(wp);
    free(zg);
    free(lpg);
    free(outg);
    return rc;
}

/* Unnormalised weights of particles [lo, hi) of st->cur, one model: the
 * prior (with the scales' Jacobian) over the kernel mixture of st->prev. */
static int block_weights(run_state *st, size_t lo, size_t hi, pmc_err *err)
{
    size_t n = st->n, d = st->d;
    population *cur = &st->cur;
    /* On the kernel's scales the prior density gains the Jacobian
     * (docs/algorithm.md "Parameter scales"). */
    for (size_t i = lo; i < hi; i++)
        st->logprior[i] = pmc_prior_logpdf_scaled_joint(st->cfg->prior, d, cur->theta + i * d);
    const double *u = on_kernel_scale(st, cur->theta, st->u);
    size_t dc = st->lay.dc;
    if (st->lay.disc.n) {
        if (dc)
            pmc_kernel_whiten(&st->kernel, u, n, st->z);
        return discrete_weights(st, lo, hi, err);
    }
    if (st->kernel.n_local)
        /* OLCM, KNN: a covariance per ancestor (pmc_weights_block_local). */
        return pmc_weights_block_local(u, st->logprior, lo, hi, prev_on_kernel_scale(st),
                                       st->kernel.local_inv, st->prev.weights, st->prev.n, dc,
                                       cur->weights + lo, err);
    pmc_kernel_whiten(&st->kernel, u, n, st->z);
    return pmc_weights_block(st->z, st->logprior, lo, hi, st->z_prev, st->prev.weights,
                             st->prev.n, dc, cur->weights + lo, err);
}

/* Importance weights of the new population (Beaumont 2009, step 2.2; with
 * several models Toni & Stumpf 2010, pmc_choice). Each weight depends on its
 * own particle only, so computing them in blocks on several ranks and
 * gathering gives the same bits as computing all on one; every rank then
 * normalises in index order and holds bit-identical weights. */
static int compute_weights(run_state *st, pmc_err *err)
{
    size_t n = st->n, d = st->d, lo = 0, hi = n;
    population *cur = &st->cur;
    if (!st->have_prev) {
        for (size_t i = 0; i < n; i++)
            cur->weights[i] = 1.0 / (double)n;
        return PMC_OK;
    }
    int shared = (double)n * (double)st->prev.n * (double)d > WEIGHTS_LOCAL_MAX_TERMS;
    if (shared)
        pmc_schedule_block(st->sched, n, &lo, &hi);
    int rc = st->has_choice
                 ? pmc_choice_weights(&st->choice, cur->theta, lo, hi, cur->weights + lo, err)
                 : block_weights(st, lo, hi, err);
    /* Unshared, every rank got the same status from the same inputs. */
    if (shared)
        rc = pmc_schedule_agree(st->sched, rc, err);
    if (rc == PMC_OK && shared)
        rc = pmc_schedule_allgather_blocks(st->sched, cur->weights, n, 1, err);
    if (rc == PMC_OK)
        rc = pmc_weights_normalise(cur->weights, n, err);
    return rc;
}

/* The ancestor table: cumulative weights of the population in st->cur. */
static void cumulate_weights(run_state *st)
{
    double acc = 0.0;
    for (size_t i = 0; i < st->cur.n; i++) {
        acc += st->cur.weights[i];
        st->cumw[i] = acc;
    }
}

/* st->cur becomes st->prev, the population the next generation draws from. */
static void swap_populations(run_state *st)
{
    population tmp = st->prev;
    st->prev = st->cur;
    st->cur = tmp;
    double *tmp_u = st->u_prev;
    st->u_prev = st->u;
    st->u = tmp_u;
    st->have_prev = 1;
}

/* Fits the kernel and ancestor table to the population just accepted, for
 * the next generation, whose tolerance is eps; dist are the population's
 * distances under the next generation's metric (for OLCM). */
static int prepare_next(run_state *st, double eps, const double *dist, pmc_err *err)
{
    population *p = &st->cur;
    if (st->has_choice) {
        int rc = pmc_choice_fit(&st->choice, st->cfg->kernel_kind, p->theta, p->weights, p->n,
                                err);
        if (rc == PMC_OK) {
            cumulate_weights(st);
            swap_populations(st);
        }
        return rc;
    }
    pmc_kernel_spec spec = { (pmc_kernel_kind)st->cfg->kernel_kind,
                             st->cfg->kernel_neighbours, dist, eps };
    const double *u = on_kernel_scale(st, p->theta, st->u);
    size_t dc = st->lay.dc;
    int rc = dc ? pmc_kernel_fit_kind(&st->kernel, &spec, u, p->weights, p->n, dc, err) : PMC_OK;
    if (rc != PMC_OK)
        return rc;
    pmc_discrete_kernel_fit(&st->lay.disc, p->theta, p->weights, p->n, p->d);
    cumulate_weights(st);
    if (dc)
        pmc_kernel_whiten(&st->kernel, u, p->n, st->z_prev);
    swap_populations(st);
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
    v.distance = pmc_distance_describe(st->distance);
    v.model = pmc_model_name(st->model);
    v.n_stats = st->ns;
    v.stats = st->cur.stats;
    v.proposal_stats = st->nps ? st->cur.pstats : NULL;
    v.observed_stats = st->ns ? pmc_model_observed_stats(st->model) : NULL;
    const char *labels[PMC_MODELS_MAX];
    double probs[PMC_MODELS_MAX];
    if (st->has_choice) {
        v.model = "choice"; /* the models: model_names */
        v.n_models = st->cfg->n_models;
        for (size_t m = 0; m < v.n_models; m++)
            labels[m] = st->cfg->model_labels[m];
        pmc_choice_probabilities(v.n_models, st->cur.theta, st->cur.weights, st->n, st->d, probs);
        v.model_names = labels;
        v.model_probabilities = probs;
    }
    return pmc_checkpoint_write_generation(pmc_schedule_comm_handle(st->sched),
                                           st->cfg->checkpoint_dir, meta, &v, err);
}

/* One line per generation (docs/usage.md, "The log"). `discarded`:
 * simulations run but not counted in `sims` (speculative attempts past a
 * slot's accepted one, and slots left unfinished at a periodic save). */
static void log_generation(const pmc_gen_meta *m, const pmc_schedule_stats *ss,
                           uint64_t sims_now, uint64_t discarded, double elapsed)
{
    /* sims/s: this invocation's simulations over its time; the slots a
     * partial file brought in were simulated by an earlier one. */
    pmc_log_info("gen %4u  eps %-11.5g accept %-9.4g ESS %-8.1f sims %-9llu total %-10llu "
                 "%9.3g sims/s  %7.2fs  busy %.2f/%.2f/%.2f  discarded %llu  elapsed %.1fs",
                 m->generation, m->epsilon, m->acceptance_rate, m->ess,
                 (unsigned long long)m->gen_simulations, (unsigned long long)m->n_simulations,
                 m->wall_time > 0 ? (double)sims_now / m->wall_time : 0.0,
                 m->wall_time, ss->busy_min, ss->busy_mean, ss->busy_max,
                 (unsigned long long)discarded, elapsed);
    pmc_log_debug("gen %u: %llu chunk requests (dispatcher CPU %.3g us per request); %llu "
                  "attempts run, %llu of them handed out speculatively; waiting ranks used at "
                  "most %.3f%% of a core while waiting", m->generation,
                  (unsigned long long)ss->requests,
                  ss->requests ? 1e6 * ss->dispatch_cpu / (double)ss->requests : 0.0,
                  (unsigned long long)ss->attempts, (unsigned long long)ss->speculative,
                  100.0 * ss->wait_cpu_max);
}

/* Model choice: "LABEL p, LABEL p, ..." of a population into buf. */
static const char *model_probabilities_text(const run_state *st, const population *p, char *buf,
                                            size_t len)
{
    double prob[PMC_MODELS_MAX];
    size_t K = st->cfg->n_models, off = 0;
    pmc_choice_probabilities(K, p->theta, p->weights, p->n, p->d, prob);
    buf[0] = '\0';
    for (size_t m = 0; m < K && off < len; m++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s %.4g", m ? ", " : "",
                                st->cfg->model_labels[m], prob[m]);
    return buf;
}

/* A new generation: no slot done, no attempt known. */
static void clear_slots(run_state *st)
{
    memset(st->done, 0, st->n);
    memset(st->rejected, 0, st->n * sizeof *st->rejected);
}

/* Packs the finished slots of the current generation for a partial file. */
/* The partial file of generation gen, for messages and the reader; the
 * config bounds checkpoint_dir to PMC_PATH_MAX, so len = PMC_PATH_MAX + 32
 * always holds it. */
static const char *partial_path(const run_state *st, unsigned gen, char *buf, size_t len)
{
    pmc_rundir_path(buf, len, st->cfg->checkpoint_dir, PMC_RUNDIR_PARTIAL, gen, NULL);
    return buf;
}

static int write_partial(run_state *st, unsigned gen, double eps, pmc_err *err)
{
    size_t n = st->n, d = st->d, ns = st->ns, nps = st->nps, k = 0;
    size_t rs = record_size(d, ns, nps);
    for (size_t i = 0; i < n; i++)
        k += st->done[i];
    uint64_t *slots = malloc((k + 1) * sizeof *slots);
    uint64_t *sims = malloc((k + 1) * sizeof *sims);
    double *theta = malloc((k * d + 1) * sizeof *theta);
    double *dist = malloc((k + 1) * sizeof *dist);
    double *stats = malloc((k * (ns + nps) + 1) * sizeof *stats);
    double *pstats = stats ? stats + k * ns : NULL;
    int rc = PMC_OK;
    if (!slots || !sims || !theta || !dist || !stats)
        rc = pmc_err_set(err, PMC_ENOMEM, "out of memory saving %zu slots", k);
    for (size_t i = 0, j = 0; rc == PMC_OK && i < n; i++) {
        if (!st->done[i])
            continue;
        const unsigned char *r = st->records + i * rs;
        slots[j] = i;
        memcpy(theta + j * d, r, d * sizeof(double));
        memcpy(&dist[j], r + REC_DIST(d), sizeof(double));
        memcpy(&sims[j], r + REC_SIMS(d), sizeof(uint64_t));
        memcpy(stats + j * ns, r + REC_STATS(d), ns * sizeof(double));
        if (nps)
            memcpy(pstats + j * nps, r + REC_PSTATS(d, ns), nps * sizeof(double));
        j++;
    }
    rc = pmc_schedule_agree(st->sched, rc, err);
    if (rc == PMC_OK) {
        pmc_partial_view v = { 0 };
        v.generation = gen;
        v.epsilon = eps;
        v.seed = st->cfg->seed;
        v.n = n;
        v.d = d;
        v.k = k;
        pmc_schedule_block(st->sched, k, &v.lo, &v.hi);
        v.slots = slots;
        v.theta = theta;
        v.distances = dist;
        v.n_sims = sims;
        v.rejected = st->rejected;
        v.model_digest = st->model_digest;
        v.config_text = st->cfg->text;
        v.n_stats = ns;
        v.stats = ns ? stats : NULL;
        v.proposal_stats = nps ? pstats : NULL;
        rc = pmc_checkpoint_write_partial(pmc_schedule_comm_handle(st->sched),
                                          st->cfg->checkpoint_dir, &v, err);
    }
    char path[PMC_PATH_MAX + 32];
    if (rc == PMC_OK)
        pmc_log_info("saved %zu of %zu slots of generation %u to %s", k, n, gen,
                     partial_path(st, gen, path, sizeof path));
    free(slots);
    free(sims);
    free(theta);
    free(dist);
    free(stats);
    return rc;
}

/* Why this rank stopped, for the message rank 0 prints. */
static const char *stop_reason(const run_state *st)
{
    if (pmc_signal_pending())
        return pmc_signal_name(pmc_signal_pending());
    if (st->ctl.deadline > 0.0 && pmc_now() >= st->ctl.deadline)
        return "the time limit";
    return "a signal to another rank";
}

/* Simulations the slots already done in the current generation used. */
static uint64_t done_simulations(const run_state *st)
{
    size_t rs = record_size(st->d, st->ns, st->nps);
    uint64_t total = 0;
    for (size_t i = 0; i < st->n; i++) {
        uint64_t sims;
        if (!st->done[i])
            continue;
        memcpy(&sims, st->records + i * rs + REC_SIMS(st->d), sizeof sims);
        total += sims;
    }
    return total;
}

/* Attempts of the slots not done yet that are known rejected (st->rejected:
 * from a partial file or an earlier call): counted simulations already. */
static uint64_t known_rejected(const run_state *st)
{
    uint64_t total = 0;
    for (size_t i = 0; i < st->n; i++)
        total += st->done[i] ? 0 : st->rejected[i];
    return total;
}

/* What is left of max_simulations for the slots not done yet (0 = no cap);
 * PMC_EBUDGET if the slots are already known to need more: each needs its
 * known rejected attempts and at least one more. The budget counts the
 * simulations the result needs (attempts up to each slot's accepted one),
 * which do not depend on the rank count; speculative attempts past them are
 * not counted (the log reports them). */
static int budget_left(const run_state *st, uint64_t *left)
{
    uint64_t max = st->cfg->max_simulations, used = st->total_sims + done_simulations(st);
    *left = 0;
    if (!max)
        return PMC_OK;
    uint64_t need = known_rejected(st);
    for (size_t i = 0; i < st->n; i++)
        need += !st->done[i];
    *left = max > used ? max - used : 0;
    if (*left < need)
        return PMC_EBUDGET; /* compute_slots words the message */
    return PMC_OK;
}

/* Computes the slots of generation gen not yet done (st->done), saving
 * partial files when the run control asks for it. PMC_EINTR after a stop
 * that ends the process (the partial file is then on disk). PMC_EBUDGET
 * once the slots are known to need more than max_simulations allows; what
 * this process simulated of the generation is then saved in a partial file
 * (st->budget_saved), so a later run with a larger budget goes on from it
 * and the same command again simulates nothing. ss->attempts sums the
 * attempts of every call. */
static int compute_slots(run_state *st, slot_ctx *c, pmc_schedule_stats *ss, pmc_err *err)
{
    uint64_t attempts = 0, speculative = 0, requests = 0;
    double dispatch_cpu = 0.0;
    for (;;) {
        pmc_slot_spec spec = { st->n, record_main_size(st->d, st->ns), st->nps * sizeof(double),
                               0, st->attempts_hint, st->rejected };
        int rc = budget_left(st, &spec.max_attempts);
        if (rc == PMC_OK)
            rc = pmc_schedule_run_slots(st->sched, &spec, compute_attempts, c, st->records,
                                        st->done, ss, err);
        /* Counts over every call of this generation (periodic saves split it). */
        attempts += ss->attempts;
        speculative += ss->speculative;
        requests += ss->requests;
        dispatch_cpu += ss->dispatch_cpu;
        ss->attempts = attempts;
        ss->speculative = speculative;
        ss->requests = requests;
        ss->dispatch_cpu = dispatch_cpu;
        if (rc == PMC_EBUDGET && attempts > 0) {
            /* Performed may pass counted by the speculative attempts only. */
            uint64_t counted = done_simulations(st) + known_rejected(st);
            pmc_log_info("generation %u: %llu simulations run now; %llu of the generation "
                         "so far count toward max_simulations (finished slots and the known "
                         "rejected attempts of the others; speculative ones do not count)",
                         c->generation,
                         (unsigned long long)attempts, (unsigned long long)counted);
            rc = write_partial(st, c->generation, c->epsilon, err);
            st->budget_saved = rc == PMC_OK;
            rc = rc == PMC_OK ? PMC_EBUDGET : rc;
        }
        if (rc == PMC_EBUDGET) { /* deterministic text: the same for any rank count */
            uint64_t max = st->cfg->max_simulations;
            pmc_err_set(err, PMC_EBUDGET, "generation %u needs more than the %llu simulations "
                        "left of it", c->generation,
                        (unsigned long long)(max > st->total_sims ? max - st->total_sims : 0));
        }
        if (rc != PMC_EINTR)
            return rc;
        rc = write_partial(st, c->generation, c->epsilon, err);
        if (rc != PMC_OK)
            return rc;
        char path[PMC_PATH_MAX + 32];
        if (ss->stop == PMC_STOP_EXIT)
            return pmc_err_set(err, PMC_EINTR,
                               "interrupted by %s during generation %u; finished slots are "
                               "saved in %s: run the same command again to resume",
                               stop_reason(st), c->generation,
                               partial_path(st, c->generation, path, sizeof path));
        st->ctl.last_save = pmc_now();
        pmc_schedule_set_control(st->sched, &st->ctl);
    }
}

/* Runs one generation at tolerance eps; on PMC_OK, st->cur holds it. Slots
 * marked in st->done (from a partial file) are not recomputed. */
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
    c.rec_ns = st->ns;
    c.rec_nps = st->nps;
    c.generation = gen;
    c.epsilon = eps;
    c.prev = st->have_prev ? &st->prev : NULL;
    c.prev_cumw = st->cumw;
    c.prev_u = st->have_prev ? prev_on_kernel_scale(st) : NULL;
    c.lay = &st->lay;
    c.kernel = &st->kernel;
    c.choice = st->has_choice ? &st->choice : NULL;
    c.models = st->models;
    c.rng = st->rng;
    c.stats = st->stats;
    c.sched = st->sched;
    c.group_msg = st->group_msg;
    c.deadline = st->ctl.deadline;
    c.start = st->rejected;
    atomic_init(&c.sims, 0);
    char label[32];
    snprintf(label, sizeof label, "gen %u", gen);
    pmc_schedule_set_progress(st->sched, &c.sims, label);
    pmc_schedule_stats ss;
    memset(&ss, 0, sizeof ss);
    uint64_t sims_before = done_simulations(st); /* slots from a partial file */
    int rc = compute_slots(st, &c, &ss, err);
    pmc_schedule_set_progress(st->sched, NULL, NULL);
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
    st->last_acceptance = meta->acceptance_rate;
    meta->seed = st->cfg->seed;
    meta->wall_time = pmc_now() - t0;
    meta->data_checksum = st->data_checksum;
    meta->model_digest = st->model_digest;
    st->attempts_hint = (double)gen_sims / (double)st->n;
    uint64_t used = gen_sims - sims_before;
    log_generation(meta, &ss, used, ss.attempts > used ? ss.attempts - used : 0,
                   pmc_log_elapsed());
    if (st->has_choice) {
        char probs[PMC_MODELS_MAX * (PMC_NAME_MAX + 16)];
        pmc_log_info("gen %4u  models: %s", gen,
                     model_probabilities_text(st, &st->cur, probs, sizeof probs));
    }
    return PMC_OK;
}

/* --- posterior summary --- */

static void log_posterior(const run_state *st, const population *p, const pmc_gen_meta *m)
{
    pmc_log_info("posterior: generation %u, N = %zu, ESS = %.1f, epsilon = %.6g, "
                 "simulations = %llu", m->generation, p->n, m->ess, m->epsilon,
                 (unsigned long long)m->n_simulations);
    pmc_marginal_summary sum[PMC_MAX_PARAMS];
    pmc_err err;
    if (pmc_posterior_summarize(p->theta, p->weights, p->n, p->d, sum, &err) != PMC_OK) {
        pmc_log_warn("no posterior summary: %s", err.msg);
        return;
    }
    /* Model choice: the model probabilities for the index column, and each
     * model's parameters given that model (NaN elsewhere: pmc_summary.h). */
    if (st->has_choice) {
        char probs[PMC_MODELS_MAX * (PMC_NAME_MAX + 16)];
        pmc_log_info("  posterior model probabilities: %s",
                     model_probabilities_text(st, p, probs, sizeof probs));
    }
    pmc_log_info("  %-16s %14s %14s %14s %14s %14s", "parameter", "mean", "sd", "5%", "50%",
                 "95%");
    for (size_t k = st->has_choice ? 1 : 0; k < p->d; k++)
        pmc_log_info("  %-16s %14.6g %14.6g %14.6g %14.6g %14.6g", st->cfg->prior[k].name,
                     sum[k].mean, sum[k].sd, sum[k].q05, sum[k].q50, sum[k].q95);
    pmc_bound_hit hits[2 * PMC_MAX_PARAMS]; /* lib/pmc_bounds.c: the criterion */
    size_t n_hits = pmc_schedule_rank(st->sched) == 0
                        ? pmc_bounds_check(st->cfg->prior, p->theta, p->weights, p->n, p->d, hits)
                        : 0;
    for (size_t i = 0; i < n_hits; i++) {
        char text[1024];
        pmc_bounds_text(&hits[i], st->cfg->prior, text, sizeof text);
        pmc_log_warn("%s", text);
    }
}

/* --- set-up --- */

/* Simulations go through group calls when the model can use a group (so
 * that it sees its communicator even with one rank per group) or the
 * groups have several ranks. */
static int setup_group_calls(run_state *st, pmc_err *err)
{
    pmc_schedule *s = st->sched;
    group_sim *g = &st->gsim;
    g->model = st->model;
    g->rng = st->rng;
    g->stats = st->stats;
    g->d = st->d;
    g->group.comm = pmc_schedule_group_comm_handle(s);
    g->group.rank = pmc_schedule_group_rank(s);
    g->group.size = pmc_schedule_group_size(s);
    if (st->has_choice || (!pmc_model_is_group_parallel(st->model) && g->group.size == 1))
        return PMC_OK;
    size_t len = group_msg_size(st->d, st->rng);
    st->group_msg = malloc(len);
    if (!st->group_msg)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for group calls");
    return pmc_schedule_set_group_fn(s, group_simulate, g, len, err);
}

static int alloc_state(run_state *st, unsigned max_gens, pmc_err *err)
{
    size_t n = st->n, d = st->d;
    int rc = population_alloc(&st->prev, n, d, st->ns, st->nps, err);
    if (rc == PMC_OK)
        rc = population_alloc(&st->cur, n, d, st->ns, st->nps, err);
    if (rc != PMC_OK)
        return rc;
    st->cumw = malloc(n * sizeof(double));
    st->z = malloc(n * d * sizeof(double));
    st->z_prev = malloc(n * d * sizeof(double));
    st->logprior = malloc(n * sizeof(double));
    /* Model choice: a kernel per model (pmc_choice), no layout. */
    int rc_lay = st->has_choice ? PMC_OK : setup_layout(st, err);
    if (rc_lay != PMC_OK)
        return rc_lay;
    if (st->lay.separate) {
        st->u = malloc(n * st->lay.dc * sizeof(double) + 1);
        st->u_prev = malloc(n * st->lay.dc * sizeof(double) + 1);
        if (!st->u || !st->u_prev)
            return pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu particles", n);
    }
    st->epsilons = calloc(max_gens, sizeof(double));
    st->stats = malloc(pmc_model_n_stats(st->model) * sizeof(double));
    st->records = malloc(n * record_size(d, st->ns, st->nps));
    st->dist_tmp = malloc(n * sizeof(double));
    st->done = calloc(n, 1);
    st->rejected = calloc(n, sizeof *st->rejected);
    st->rng = pmc_rng_alloc();
    if (!st->cumw || !st->z || !st->z_prev || !st->logprior || !st->epsilons || !st->stats ||
        !st->records || !st->done || !st->rejected || !st->rng || !st->dist_tmp)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for %zu particles", n);
    for (size_t k = 0; k < d; k++)
        st->names[k] = st->cfg->prior[k].name;
    return setup_group_calls(st, err);
}

static void free_state(run_state *st)
{
    population_free(&st->prev);
    population_free(&st->cur);
    pmc_kernel_free(&st->kernel);
    free(st->cumw);
    free(st->z);
    free(st->z_prev);
    free(st->u);
    free(st->u_prev);
    free(st->logprior);
    free(st->epsilons);
    free(st->stats);
    free(st->records);
    free(st->done);
    free(st->rejected);
    free(st->dist_tmp);
    free(st->group_msg);
    if (st->rng)
        gsl_rng_free(st->rng);
    pmc_distance_free(st->distance);
    if (st->has_choice) {
        for (size_t m = 0; m < PMC_MODELS_MAX; m++)
            pmc_model_free(st->models[m]);
        pmc_choice_free(&st->choice);
    } else {
        pmc_model_free(st->model);
    }
}

/* Rank 0 looks for the newest valid generation and tells the others its
 * path ("" when there is none); every rank then reads that file. */
static int find_checkpoint(run_state *st, pmc_generation *g, char *path, size_t len,
                           pmc_err *err)
{
    int rc = PMC_OK;
    const char *dir = st->cfg->checkpoint_dir;
    path[0] = '\0';
    if (st->rank == 0) {
        rc = pmc_checkpoint_find_latest(dir, g, path, len, err);
        if (rc == PMC_ENOTFOUND && pmc_rundir_has_generation_like(dir))
            rc = pmc_err_set(err, PMC_EINVAL,
                             "%s holds generation files but none is usable (see the warnings "
                             "above); refusing to overwrite them: move them away or choose "
                             "another checkpoint_dir", dir);
        else if (rc == PMC_ENOTFOUND)
            rc = PMC_OK;
        if (rc != PMC_OK)
            path[0] = '\0';
    }
    rc = pmc_schedule_agree(st->sched, rc, err);
    if (rc != PMC_OK)
        return rc;
    pmc_schedule_bcast(st->sched, path, len);
    if (st->rank != 0 && path[0])
        rc = pmc_checkpoint_read_generation(path, g, err);
    return pmc_schedule_agree(st->sched, rc, err);
}

/* A checkpoint can be continued only with a config that gives the same
 * results: docs/config.md lists the keys that may change. */
/* A run is continued only by a build that gives the same bits (its stream
 * version, pmc_version.h) with the same model code (a plugin's digest):
 * anything else would mix two samplers or two models in one run. Files of
 * format 1 and 2 hold no digest: a plugin is then not checked (rank 0
 * warns). */
static int check_build(const run_state *st, const char *path, const pmc_file_build *b,
                       uint64_t digest, pmc_err *err)
{
    if (b->stream_version != PMC_STREAM_VERSION)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s was written by %s (result streams %u, checkpoint format %u); this "
                           "is pmcabc %s (result streams %d): the same seed gives different "
                           "results, so continuing the run would mix two samplers; finish it with "
                           "a pmcabc of result streams %u (pmcabc --version says) or use another "
                           "checkpoint_dir", path, b->creator, b->stream_version,
                           b->format_version, PMC_VERSION, PMC_STREAM_VERSION,
                           b->stream_version);
    if (b->has_model_digest && digest != st->model_digest)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s was computed with another build of the model: %s changed since "
                           "the run started (digest %016llx, now %016llx), and continuing would "
                           "mix two models in one run; restore the simulator that started the "
                           "run or use another checkpoint_dir", path,
                           pmc_model_code_path(st->model), (unsigned long long)digest,
                           (unsigned long long)st->model_digest);
    if (!b->has_model_digest && st->model_digest && st->rank == 0)
        pmc_log_warn("%s was written by %s, which did not record the model's digest: a rebuilt "
                     "simulator cannot be detected for this run", path, b->creator);
    return PMC_OK;
}

static int check_compatible(const run_state *st, const pmc_generation *g, const char *path,
                            pmc_err *err)
{
    int rc = check_build(st, path, &g->build, g->meta.model_digest, err);
    if (rc != PMC_OK)
        return rc;
    char diff[PMC_ERR_MSG_MAX / 2];
    int ndiff = pmc_config_diff(g->config_text, st->cfg->text, diff, sizeof diff);
    if (ndiff > 0)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s was written with a different configuration (%d difference%s that "
                           "change the results):\n%s\nuse the original settings or another "
                           "checkpoint_dir", path, ndiff, ndiff > 1 ? "s" : "", diff);
    if (g->meta.data_checksum != st->data_checksum)
        return pmc_err_set(err, PMC_EINVAL,
                           "%s was computed from different observed data: the content of %s "
                           "changed (checksum %016llx, now %016llx)", path, st->cfg->model_data,
                           (unsigned long long)g->meta.data_checksum,
                           (unsigned long long)st->data_checksum);
    if (g->n != st->n || g->d != st->d)
        return pmc_err_set(err, PMC_EINVAL, "%s holds %zu particles x %zu parameters, the config "
                           "asks for %zu x %zu", path, g->n, g->d, st->n, st->d);
    /* Files without /stats (written before it was stored always) resume a
     * run whose distance does not need them; the adaptive one rescales by
     * the proposal statistics of the generation it goes on from. */
    if (g->n_stats && g->n_stats != pmc_model_n_stats(st->model))
        return pmc_err_set(err, PMC_EINVAL, "%s holds statistics of %zu columns, the model of "
                           "this run gives %zu", path, g->n_stats, pmc_model_n_stats(st->model));
    if (st->nps && (g->n_stats != st->nps || !g->proposal_stats))
        return pmc_err_set(err, PMC_EINVAL, "%s holds no /stats and /proposal_stats of %zu "
                           "columns, which the adaptive distance of this run needs", path,
                           st->nps);
    return PMC_OK;
}

/* The distances of st->cur under the next generation's metric: recomputed
 * by next_epsilon for the adaptive distance. */
static const double *next_distances(const run_state *st)
{
    return st->nps ? st->dist_tmp : st->cur.distances; /* nps: the adaptive distance */
}

/* Tolerance of generation gen from the population in st->cur (generation
 * gen - 1): [epsilon] schedule's value or quantile. With the
 * adaptive distance (Prangle 2017, algorithm 4) the metric is first rescaled
 * by 1 / MAD of the statistics of the generation's first simulations per
 * slot (draws from its proposal's predictive), and the accepted particles'
 * distances are recomputed under the new metric before the quantile is taken,
 * so that the tolerance and the distance agree. */
static int next_epsilon(run_state *st, unsigned gen, double *eps, pmc_err *err)
{
    const pmc_config *cfg = st->cfg;
    const double *dist = st->cur.distances;
    if (st->nps) {
        double *w = malloc(st->nps * sizeof *w);
        int rc = w ? pmc_distance_mad_weights(st->cur.pstats, st->n, st->nps, w, err)
                   : pmc_err_set(err, PMC_ENOMEM, "out of memory");
        if (rc == PMC_OK)
            rc = pmc_distance_set_weights(st->distance, w, err);
        free(w);
        if (rc != PMC_OK)
            return rc;
        const double *obs = pmc_model_observed_stats(st->model);
        for (size_t i = 0; i < st->n; i++)
            st->dist_tmp[i] = pmc_distance_eval(st->distance, st->cur.stats + i * st->nps, obs);
        dist = st->dist_tmp;
        pmc_log_info("adaptive distance for the next generation: %s",
                     pmc_distance_describe(st->distance));
    }
    switch ((pmc_epsilon_schedule)cfg->eps_schedule) {
    case PMC_EPS_LIST:
        /* gen >= 1, and the list-end stopping rule ends the run before a
         * generation without a value; the last value is a guard only. */
        *eps = cfg->eps_values[gen - 1 < cfg->n_eps_values ? gen - 1 : cfg->n_eps_values - 1];
        *eps = *eps > cfg->eps_minimum ? *eps : cfg->eps_minimum;
        break;
    case PMC_EPS_ACCEPTANCE: {
        double q = pmc_epsilon_acceptance_quantile(cfg->eps_quantile, cfg->eps_target_acceptance,
                                                   st->last_acceptance);
        *eps = pmc_epsilon_next(dist, st->n, q, cfg->eps_minimum);
        pmc_log_info("schedule acceptance: generation %u uses quantile %.6g (acceptance %.4g, "
                     "target %g)", gen, q, st->last_acceptance, cfg->eps_target_acceptance);
        break;
    }
    case PMC_EPS_DENSITY_RATIO: {
        /* Generation 1 has no two generations to compare: the quantile. */
        double q = cfg->eps_quantile, c = NAN;
        if (gen >= 2) {
            int rc = pmc_kernel_density_ratio_max(st->cur.theta, st->cur.weights, st->prev.theta,
                                                  st->prev.weights, st->n, st->d, &c, err);
            if (rc != PMC_OK)
                return pmc_err_prefix(err, "schedule density_ratio, generation %u", gen);
            q = pmc_epsilon_density_ratio_quantile(c);
            if (isnan(q))
                return pmc_err_set(err, PMC_ERUNTIME, "schedule density_ratio, generation %u: "
                                   "the density ratio is %g: expected a positive number", gen, c);
            pmc_log_info("schedule density_ratio: generation %u uses quantile %.6g (largest "
                         "density ratio of generation %u to %u: %.6g)", gen, q, gen - 1, gen - 2,
                         c);
        }
        *eps = pmc_epsilon_next(dist, st->n, q, cfg->eps_minimum);
        break;
    }
    case PMC_EPS_WEIGHTED_QUANTILE:
        *eps = pmc_weighted_quantile(dist, st->cur.weights, st->n, cfg->eps_quantile);
        if (*eps < cfg->eps_minimum)
            *eps = cfg->eps_minimum;
        break;
    default:
        *eps = pmc_epsilon_next(dist, st->n, cfg->eps_quantile, cfg->eps_minimum);
        break;
    }
    return PMC_OK;
}

/* Makes a loaded generation the current population, as if just computed. */
static void adopt_generation(run_state *st, const pmc_generation *g)
{
    memcpy(st->cur.theta, g->theta, st->n * st->d * sizeof(double));
    memcpy(st->cur.weights, g->weights, st->n * sizeof(double));
    memcpy(st->cur.distances, g->distances, st->n * sizeof(double));
    /* A file without /stats (check_compatible: only without the adaptive
     * distance) leaves them NaN; they are never written back, since this
     * generation is on disk already. */
    for (size_t i = 0; i < st->n * st->ns; i++)
        st->cur.stats[i] = g->stats && g->n_stats == st->ns ? g->stats[i] : NAN;
    if (st->nps)
        memcpy(st->cur.pstats, g->proposal_stats, st->n * st->nps * sizeof(double));
    for (size_t i = 0; i < g->n_epsilons && i <= g->meta.generation; i++)
        st->epsilons[i] = g->epsilons[i];
    st->total_sims = g->meta.n_simulations;
    st->attempts_hint = (double)g->meta.gen_simulations / (double)st->n;
    st->last_acceptance = g->meta.acceptance_rate;
}

/* schedule = density_ratio compares the last two generations: on resume
 * from generation gen its predecessor's particles and weights go to
 * st->prev, where a run that never stopped has them. All ranks read. */
static int load_previous(run_state *st, unsigned gen, pmc_err *err)
{
    if (st->cfg->eps_schedule != PMC_EPS_DENSITY_RATIO || gen == 0)
        return PMC_OK;
    char path[PMC_PATH_MAX + 32];
    pmc_generation g;
    memset(&g, 0, sizeof g);
    int rc = pmc_rundir_path(path, sizeof path, st->cfg->checkpoint_dir, PMC_RUNDIR_GEN, gen - 1,
                             err);
    if (rc == PMC_OK)
        rc = pmc_checkpoint_read_named(path, (long)gen - 1, &g, err);
    if (rc == PMC_OK && (g.n != st->n || g.d != st->d))
        rc = pmc_err_set(err, PMC_EINVAL, "%s: %zu particles of %zu parameters, expected %zu of "
                         "%zu", path, g.n, g.d, st->n, st->d);
    if (rc == PMC_OK) {
        memcpy(st->prev.theta, g.theta, st->n * st->d * sizeof(double));
        memcpy(st->prev.weights, g.weights, st->n * sizeof(double));
    } else {
        pmc_err_prefix(err, "schedule density_ratio: resuming after generation %u needs generation "
                       "%u's file", gen, gen - 1);
    }
    pmc_generation_free(&g);
    return rc;
}

/* Loads the finished slots of generation gen from its partial file, if one
 * exists and matches this run exactly; otherwise every slot is computed. All
 * ranks read the file and must all succeed, so they agree on st->done. */
static int load_partial(run_state *st, unsigned gen, double eps, pmc_err *err)
{
    char path[PMC_PATH_MAX + 32];
    partial_path(st, gen, path, sizeof path);
    pmc_partial p;
    pmc_err perr;
    int rc = pmc_checkpoint_read_partial(path, &p, &perr);
    int format_ok = rc != PMC_OK ||
                    check_build(st, path, &p.build, p.model_digest, err) == PMC_OK;
    if (pmc_schedule_any(st->sched, !format_ok)) {
        if (rc == PMC_OK)
            pmc_partial_free(&p);
        return pmc_schedule_agree(st->sched, format_ok ? PMC_OK : PMC_EINVAL, err);
    }
    /* A partial file without /stats (written before they were stored
     * always) is usable: its slots are run again from their accepted
     * attempt (below). */
    int usable = rc == PMC_OK && p.generation == gen && p.n == st->n && p.d == st->d &&
                 (p.n_stats == 0 ||
                  (p.n_stats == st->ns && (!st->nps || p.proposal_stats))) &&
                 p.seed == st->cfg->seed && memcmp(&p.epsilon, &eps, sizeof eps) == 0 &&
                 pmc_config_diff(p.config_text, st->cfg->text, NULL, 0) == 0;
    int all = !pmc_schedule_any(st->sched, !usable);
    if (rc == PMC_OK && !all && st->rank == 0)
        pmc_log_warn("ignoring %s: it does not match this run; generation %u starts afresh",
                     path, gen);
    else if (rc != PMC_OK && rc != PMC_ENOTFOUND && st->rank == 0)
        pmc_log_warn("ignoring a partial file: %s", perr.msg);
    clear_slots(st);
    if (all) {
        size_t d = st->d, ns = st->ns, nps = st->nps, rs = record_size(d, ns, nps);
        int redo = ns && p.n_stats == 0;
        memcpy(st->rejected, p.rejected, st->n * sizeof *st->rejected);
        for (size_t j = 0; j < p.k && !redo; j++) {
            unsigned char *r = st->records + p.slots[j] * rs;
            memcpy(r, p.theta + j * d, d * sizeof(double));
            memcpy(r + REC_DIST(d), &p.distances[j], sizeof(double));
            memcpy(r + REC_SIMS(d), &p.n_sims[j], sizeof(uint64_t));
            if (ns)
                memcpy(r + REC_STATS(d), p.stats + j * ns, ns * sizeof(double));
            if (nps)
                memcpy(r + REC_PSTATS(d, ns), p.proposal_stats + j * nps, nps * sizeof(double));
            st->done[p.slots[j]] = 1;
        }
        /* Without the slots' statistics: a slot's particle is its attempt
         * n_sims - 1, a function of (seed, generation, slot, attempt), and
         * the n_sims - 1 before it are known rejected; starting the slot
         * there gives the same particle, distance and count with its
         * statistics, at one simulation per slot. */
        for (size_t j = 0; j < p.k && redo; j++)
            st->rejected[p.slots[j]] = p.n_sims[j] ? p.n_sims[j] - 1 : 0;
        pmc_log_info("resuming generation %u from %s: %zu of %zu slots already done, %llu "
                     "attempts of the others known rejected", gen, path, redo ? 0 : p.k, st->n,
                     (unsigned long long)known_rejected(st));
        if (redo)
            pmc_log_info("%s holds no statistics (written by %s): its %zu slots are "
                         "simulated again from their accepted attempts, to store theirs", path,
                         p.build.creator, p.k);
    }
    if (rc == PMC_OK)
        pmc_partial_free(&p);
    return PMC_OK;
}

/* One run per checkpoint directory (pmc_lock.h; rank 0). With
 * --restart=require a missing directory is not created, so not locked:
 * there is nothing to resume and resume_or_start says so. */
static int lock_run_dir(run_state *st, const pmc_run_options *opt, pmc_err *err)
{
    struct stat sb;
    double wait = 0.0;
    if (opt->restart == PMC_RESTART_REQUIRE && stat(st->cfg->checkpoint_dir, &sb) != 0)
        return PMC_OK;
    int rc = pmc_lock_wait_from_env(&wait, err);
    return rc == PMC_OK ? pmc_lock_acquire(&st->lock, st->cfg->checkpoint_dir, wait, err) : rc;
}

/* The top level of dir that does not exist yet (the first one
 * pmc_rundir_prepare will create), in top; "" if dir exists. */
static void first_missing_level(const char *dir, char *top, size_t len)
{
    struct stat sb;
    top[0] = '\0';
    if (stat(dir, &sb) == 0 || snprintf(top, len, "%s", dir) >= (int)len) {
        top[0] = '\0';
        return;
    }
    for (char *p = top + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        if (stat(top, &sb) != 0)
            return;
        *p = '/';
    }
}

/* Removes dir and its parents up to top (what this run created), as far as
 * they are empty: a run that fails having written nothing leaves nothing,
 * as docs/config.md promises (e.g. out of memory for the population). */
static void remove_created_dirs(const char *dir, const char *top)
{
    char level[PMC_PATH_MAX];
    size_t n = strlen(top);
    if (!n || snprintf(level, sizeof level, "%s", dir) >= (int)sizeof level)
        return;
    for (;;) {
        size_t len = strlen(level);
        while (len > n && level[len - 1] == '/')
            level[--len] = '\0';
        if (len < n || rmdir(level) != 0 || len == n)
            return;
        char *slash = strrchr(level, '/');
        if (!slash)
            return;
        *slash = '\0';
    }
}

/* Whether dir exists and cannot be written to (a read-only mount, another
 * user's directory): then a finished run may still be reported (exit 0,
 * nothing to write, so no lock), anything else fails after the checkpoint
 * was read (read_only_error). */
static int dir_read_only(const char *dir)
{
    struct stat sb;
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && access(dir, W_OK | X_OK) != 0 &&
           (errno == EROFS || errno == EACCES);
}

static int read_only_error(const run_state *st, pmc_err *err)
{
    const char *dir = st->cfg->checkpoint_dir;
    int e = access(dir, W_OK | X_OK) != 0 ? errno : EROFS;
    return pmc_err_set(err, PMC_EIO, "%s: directory not writable: %s (only a finished run can "
                       "be started again there, to report it)", dir, strerror(e));
}

/* Splits the ranks into groups of [mpi] ranks_per_simulation; only a model
 * that can share a simulation may run in groups of more than one rank. */
static int setup_groups(run_state *st, pmc_err *err)
{
    const pmc_config *cfg = st->cfg;
    int k = cfg->mpi_ranks_per_simulation;
    char at[PMC_ORIGIN_TEXT_MAX];
    pmc_config_origin_text(&cfg->mpi_ranks_per_simulation_origin, at, sizeof at);
    int rc = pmc_schedule_set_groups(st->sched, k, err);
    if (rc != PMC_OK)
        return pmc_err_prefix(err, "%s: [mpi] ranks_per_simulation: %d", at, k);
    if (k > 1 && st->has_choice)
        return pmc_err_set(err, PMC_EINVAL, "%s: [mpi] ranks_per_simulation: %d: with several "
                           "models each simulation runs on one rank: set ranks_per_simulation = "
                           "1", at, k);
    if (k > 1 && !pmc_model_is_group_parallel(st->model))
        return pmc_err_set(err, PMC_EINVAL,
                           "%s: [mpi] ranks_per_simulation: %d: model %s runs each simulation "
                           "on one rank; only a plugin with simulate_group (<pmcabc/model.h>, "
                           "ABI version 2) can use several: set ranks_per_simulation = 1",
                           at, k, pmc_model_name(st->model));
    return PMC_OK;
}

/* Every rank read the data and computed the observed statistics itself (a
 * command model asks its own program): all must hold rank 0's, or the ranks
 * would run different inferences. The data checksum covers both. */
static int check_same_observed(run_state *st, pmc_err *err)
{
    uint64_t first = st->data_checksum;
    pmc_schedule_bcast(st->sched, &first, sizeof first);
    int rc = PMC_OK;
    if (first != st->data_checksum)
        rc = pmc_err_set(err, PMC_EINVAL,
                         "rank %d: the observed data or statistics differ from rank 0's "
                         "(checksum %016llx, rank 0: %016llx): a data file that differs between "
                         "nodes, or a command program whose reply to the observed request "
                         "depends on chance or on the rank", st->rank,
                         (unsigned long long)st->data_checksum, (unsigned long long)first);
    return pmc_schedule_agree(st->sched, rc, err);
}

/* Which statistics each particle keeps (run_state ns, nps). The files'
 * reader accepts at most PMC_CHECKPOINT_MAX_STATS columns: a model with
 * more (only a plugin or long count data can) stores none, which only the
 * adaptive distance cannot do without. */
static int setup_stats(run_state *st, pmc_err *err)
{
    size_t s = pmc_model_n_stats(st->model);
    int adaptive = pmc_distance_kind_of(st->distance) == PMC_DISTANCE_ADAPTIVE;
    if (s > PMC_CHECKPOINT_MAX_STATS && adaptive)
        return pmc_err_set(err, PMC_EINVAL, "%s: [distance] name = adaptive: model %s gives %zu "
                           "statistics, and the adaptive distance keeps them in the checkpoint "
                           "files, which hold at most %zu per particle", st->cfg->path,
                           pmc_model_name(st->model), s, PMC_CHECKPOINT_MAX_STATS);
    if (s > PMC_CHECKPOINT_MAX_STATS && st->rank == 0)
        pmc_log_warn("model %s gives %zu statistics, more than the %zu per particle a checkpoint "
                     "file holds: the generation files will not store them (/stats), so "
                     "tools/pmcabc-adjust cannot be used on this run", pmc_model_name(st->model),
                     s, PMC_CHECKPOINT_MAX_STATS);
    st->ns = s <= PMC_CHECKPOINT_MAX_STATS ? s : 0;
    st->nps = adaptive ? s : 0;
    return PMC_OK;
}

/* Model choice: every model's simulator. One distance compares them all,
 * so they must summarise the data alike: the same number of statistics and
 * the same observed values (else exit 2), the latter to 1e-9 relative, as
 * two implementations of one statistic (a program's numpy, pmcabc's C) may
 * round differently; the first model's are the ones the distance uses. The
 * data checksum and the plugin digest cover every model. */
static int setup_models(run_state *st, pmc_err *err)
{
    const pmc_config *cfg = st->cfg;
    uint64_t data = PMC_FNV1A_INIT, code = PMC_FNV1A_INIT;
    int plugins = 0;
    st->has_choice = 1; /* from here free_state frees st->models */
    for (size_t m = 0; m < cfg->n_models; m++) {
        const char *label = cfg->model_labels[m];
        int rc = pmc_model_create(cfg->models[m], &st->models[m], err);
        if (rc != PMC_OK)
            return pmc_err_prefix(err, "[model.%s]", label);
        const pmc_model *a = st->models[0], *b = st->models[m];
        size_t ns = pmc_model_n_stats(a);
        if (pmc_model_n_stats(b) != ns)
            return pmc_err_set(err, PMC_EINVAL, "%s: [model.%s] gives %zu summary statistics, "
                               "[model.%s] %zu: every model must give the same statistics of the "
                               "data, which one distance compares", cfg->path, label,
                               pmc_model_n_stats(b), cfg->model_labels[0], ns);
        for (size_t s = 0; s < ns; s++) {
            double x = pmc_model_observed_stats(a)[s], y = pmc_model_observed_stats(b)[s];
            if (!(fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y))))
                return pmc_err_set(err, PMC_EINVAL, "%s: [model.%s]'s observed statistic %zu is "
                                   "%.17g, [model.%s]'s %.17g: every model must summarise the "
                                   "same data the same way (to 1e-9 relative)", cfg->path, label,
                                   s + 1, y, cfg->model_labels[0], x);
        }
        uint64_t dm = pmc_model_data_checksum(b), cm = pmc_model_digest(b);
        data = pmc_checksum_fnv1a(data, &dm, sizeof dm);
        code = pmc_checksum_fnv1a(code, &cm, sizeof cm);
        plugins |= cm != 0;
    }
    st->model = st->models[0];
    st->data_checksum = data;
    st->model_digest = plugins ? code : 0; /* 0: built-in models only */
    return pmc_choice_init(&st->choice, cfg, st->n, err);
}

static int setup(run_state *st, const pmc_run_options *opt, pmc_err *err)
{
    const pmc_config *cfg = st->cfg;
    int rc = cfg->n_models ? setup_models(st, err) : pmc_model_create(cfg, &st->model, err);
    if (rc == PMC_OK) {
        if (!cfg->n_models) {
            st->data_checksum = pmc_model_data_checksum(st->model);
            st->model_digest = pmc_model_digest(st->model);
        }
        rc = pmc_distance_create(cfg, st->model, &st->distance, err);
    }
    if (rc == PMC_OK)
        rc = setup_stats(st, err);
    rc = pmc_schedule_agree(st->sched, rc, err);
    if (rc == PMC_OK)
        rc = check_same_observed(st, err);
    if (rc == PMC_OK)
        rc = setup_groups(st, err);
    if (rc != PMC_OK)
        return rc;
    st->read_only = pmc_schedule_any(st->sched, st->rank == 0 &&
                                                    dir_read_only(cfg->checkpoint_dir));
    if (st->read_only) {
        /* Nothing may be written, so nothing can run there: no lock either. */
        if (st->rank == 0)
            pmc_log_info("%s is not writable: reading it only", cfg->checkpoint_dir);
        return PMC_OK;
    }
    if (st->rank == 0 && opt->restart != PMC_RESTART_REQUIRE) {
        first_missing_level(cfg->checkpoint_dir, st->created, sizeof st->created);
        rc = pmc_rundir_prepare(cfg->checkpoint_dir, err);
    }
    if (st->rank == 0 && rc == PMC_OK)
        rc = lock_run_dir(st, opt, err);
    return pmc_schedule_agree(st->sched, rc, err);
}

static void log_start(const run_state *st)
{
    const pmc_config *cfg = st->cfg;
    int ranks = pmc_schedule_size(st->sched), k = pmc_schedule_group_size(st->sched);
    char groups[96] = "";
    if (k > 1)
        snprintf(groups, sizeof groups, " in %d group%s of %d (ranks_per_simulation)",
                 ranks / k, ranks / k > 1 ? "s" : "", k);
    /* The model's own name: a plugin's from its description, not "plugin";
     * with model choice the labels. */
    char models[PMC_MODELS_MAX * PMC_NAME_MAX + 32];
    snprintf(models, sizeof models, "model %s", pmc_model_name(st->model));
    for (size_t m = 0, off = 0; m < cfg->n_models && off < sizeof models; m++)
        off += (size_t)snprintf(models + off, sizeof models - off, "%s%s", m ? ", " : "models ",
                                cfg->model_labels[m]);
    pmc_log_info("pmcabc %s (result streams %d): config %s, %s, %zu parameter%s, "
                 "N = %zu, seed %llu, %d rank%s%s", PMC_VERSION, PMC_STREAM_VERSION, cfg->path,
                 models, st->d, st->d == 1 ? "" : "s", st->n,
                 (unsigned long long)cfg->seed, ranks, ranks > 1 ? "s" : "", groups);
    pmc_log_info("checkpoints in %s; generations %u, epsilon initial %g, quantile %g, "
                 "minimum %g, max_simulations %llu", cfg->checkpoint_dir, cfg->generations,
                 cfg->eps_initial, cfg->eps_quantile, cfg->eps_minimum,
                 (unsigned long long)cfg->max_simulations);
    /* Only the opt-in settings (issue 20): a default run logs as before. */
    if (cfg->eps_schedule != PMC_EPS_QUANTILE || cfg->kernel_kind != PMC_KERNEL_BEAUMONT)
        pmc_log_info("kernel %s, epsilon schedule %s",
                     pmc_kernel_kind_name((pmc_kernel_kind)cfg->kernel_kind),
                     pmc_epsilon_schedule_name((pmc_epsilon_schedule)cfg->eps_schedule));
}

/* Run control from the config and the command line. The deadline leaves a
 * margin before the time limit for saving: 5 % of the limit, at least 1 s
 * and at most 60 s (a partial save of 1e5 particles takes well under 1 s). */
static void init_control(run_state *st, const pmc_run_options *opt)
{
    double limit = opt->time_limit >= 0.0 ? opt->time_limit : st->cfg->time_limit;
    double now = pmc_now();
    memset(&st->ctl, 0, sizeof st->ctl);
    if (limit > 0.0) {
        double margin = 0.05 * limit;
        margin = margin < 1.0 ? 1.0 : margin > 60.0 ? 60.0 : margin;
        st->ctl.deadline = now + (limit > margin ? limit - margin : 0.0);
        pmc_log_info("time limit %g s: the run stops with a checkpoint %g s before it", limit,
                     margin);
    }
    pmc_model_set_stop_time(st->model, st->ctl.deadline);
    st->ctl.save_interval = st->cfg->checkpoint_interval;
    st->ctl.progress_interval = st->cfg->progress_interval;
    st->ctl.last_save = now;
    pmc_schedule_set_control(st->sched, &st->ctl);
}

/* Where the loop starts: generation 0, or after the newest checkpoint. */
typedef struct {
    unsigned next_gen;   /* generation to compute next */
    double eps;          /* its tolerance */
    int finished;        /* the checkpointed run is already complete */
    pmc_gen_meta last;   /* meta of the newest complete generation */
} start_point;

/* The stopping rules of [epsilon] after generation m (st->epsilons holds
 * the tolerances up to it). */
static pmc_epsilon_stop stop_rule(const run_state *st, const pmc_gen_meta *m)
{
    const pmc_config *cfg = st->cfg;
    unsigned t = m->generation;
    return pmc_epsilon_should_stop(t, m->epsilon, t ? st->epsilons[t - 1] : INFINITY,
                                   m->acceptance_rate, cfg->eps_min_acceptance,
                                   cfg->eps_min_change,
                                   cfg->eps_schedule == PMC_EPS_LIST ? cfg->n_eps_values : 0);
}

/* Logs why a stopping rule ended the run after generation m. */
static void log_stop_rule(const run_state *st, const pmc_gen_meta *m, pmc_epsilon_stop why)
{
    const pmc_config *cfg = st->cfg;
    if (why == PMC_EPS_STOP_ACCEPTANCE)
        pmc_log_info("stopping: acceptance rate %g of generation %u is below min_acceptance %g",
                     m->acceptance_rate, m->generation, cfg->eps_min_acceptance);
    else if (why == PMC_EPS_STOP_CHANGE)
        pmc_log_info("stopping: epsilon %g of generation %u is less than min_change %g below "
                     "the one before (%g)", m->epsilon, m->generation, cfg->eps_min_change,
                     st->epsilons[m->generation - 1]);
    else if (why == PMC_EPS_STOP_LIST_END)
        pmc_log_info("stopping: all %zu values of the epsilon list are done",
                     cfg->n_eps_values);
}

/* Whether the run that produced generation `m` is complete under cfg. */
static int is_finished(const run_state *st, const pmc_gen_meta *m)
{
    unsigned t = m->generation;
    return pmc_epsilon_run_finished(st->cfg, t, m->epsilon, t ? st->epsilons[t - 1] : INFINITY,
                                    m->acceptance_rate);
}

static int resume_or_start(run_state *st, const pmc_run_options *opt, start_point *sp,
                           pmc_err *err)
{
    const pmc_config *cfg = st->cfg;
    pmc_generation g;
    char path[PMC_PATH_MAX + 32];
    memset(&g, 0, sizeof g);
    memset(sp, 0, sizeof *sp);
    int rc = find_checkpoint(st, &g, path, sizeof path, err);
    if (rc != PMC_OK)
        return rc;
    unsigned max_gens = cfg->generations;
    if (path[0] && g.meta.generation + 2 > max_gens)
        max_gens = g.meta.generation + 2;
    if (!path[0] && opt->restart == PMC_RESTART_REQUIRE)
        rc = pmc_err_set(err, PMC_EINVAL, "--restart=require: nothing to resume in %s",
                         cfg->checkpoint_dir);
    else if (path[0] && opt->restart == PMC_RESTART_NEVER)
        rc = pmc_err_set(err, PMC_EINVAL, "--restart=never: %s already holds a run (newest: %s); "
                         "choose another checkpoint_dir or resume it", cfg->checkpoint_dir, path);
    else if (path[0])
        rc = check_compatible(st, &g, path, err);
    if (rc == PMC_OK)
        rc = alloc_state(st, max_gens, err);
    rc = pmc_schedule_agree(st->sched, rc, err);
    if (rc != PMC_OK || !path[0]) {
        sp->eps = cfg->eps_initial;
        if (rc == PMC_OK)
            rc = load_partial(st, 0, sp->eps, err);
        if (path[0])
            pmc_generation_free(&g);
        return rc;
    }
    adopt_generation(st, &g);
    sp->last = g.meta;
    sp->next_gen = g.meta.generation + 1;
    sp->finished = is_finished(st, &g.meta);
    pmc_log_info("resuming from generation %u (%s)", g.meta.generation, path);
    pmc_generation_free(&g);
    if (st->rank == 0)
        pmc_rundir_cleanup(cfg->checkpoint_dir, sp->last.generation, cfg->keep_last);
    if (sp->finished)
        return PMC_OK;
    rc = pmc_schedule_agree(st->sched, load_previous(st, sp->last.generation, err), err);
    if (rc == PMC_OK)
        rc = next_epsilon(st, sp->next_gen, &sp->eps, err);
    if (rc == PMC_OK)
        rc = prepare_next(st, sp->eps, next_distances(st), err);
    if (rc == PMC_OK)
        rc = load_partial(st, sp->next_gen, sp->eps, err);
    return rc;
}

/* After a committed generation: exit 75 now if a stop was requested while
 * it was being finished (the generation file is the checkpoint). */
static int stop_between_generations(run_state *st, unsigned gen, pmc_err *err)
{
    if (!pmc_schedule_any(st->sched, must_stop(st->ctl.deadline)))
        return PMC_OK;
    return pmc_err_set(err, PMC_EINTR, "interrupted by %s after generation %u: run the same "
                       "command again to resume", stop_reason(st), gen);
}

/* The generation loop from sp on. On return sp->last and *last_in_cur
 * describe the newest complete generation. */
static int run_loop(run_state *st, start_point *sp, int *last_in_cur, pmc_err *err)
{
    const pmc_config *cfg = st->cfg;
    double eps = sp->eps;
    int rc = PMC_OK;
    for (unsigned gen = sp->next_gen; gen < cfg->generations; gen++) {
        pmc_gen_meta meta;
        rc = run_generation(st, gen, eps, &meta, err);
        if (rc == PMC_OK)
            rc = write_generation(st, &meta, err);
        if (rc != PMC_OK)
            return rc;
        if (st->rank == 0)
            pmc_rundir_cleanup(cfg->checkpoint_dir, gen, cfg->keep_last);
        /* The generation file is a save: the next partial one is due a whole
         * checkpoint_interval later (not at once, with no slot done). */
        st->ctl.last_save = pmc_now();
        pmc_schedule_set_control(st->sched, &st->ctl);
        sp->last = meta;
        *last_in_cur = 1;
        if (eps <= cfg->eps_minimum) {
            pmc_log_info("stopping: epsilon reached its minimum %g", cfg->eps_minimum);
            return PMC_OK;
        }
        pmc_epsilon_stop why = stop_rule(st, &meta);
        if (why != PMC_EPS_GO_ON) {
            log_stop_rule(st, &meta, why);
            return PMC_OK;
        }
        if (gen + 1 >= cfg->generations)
            break;
        rc = next_epsilon(st, gen + 1, &eps, err);
        if (rc == PMC_OK)
            rc = prepare_next(st, eps, next_distances(st), err);
        *last_in_cur = 0;
        clear_slots(st);
        if (rc == PMC_OK)
            rc = stop_between_generations(st, gen, err);
        if (rc != PMC_OK)
            return rc;
    }
    if (cfg->generations == 1)
        pmc_log_info("stopping: the only generation is done (generations = 1)");
    else
        pmc_log_info("stopping: all %u generations done", cfg->generations);
    return PMC_OK;
}

/* The end of a run at max_simulations (docs/config.md, [run]
 * max_simulations): the last complete generation is the result (exit 0);
 * without one the budget is too small (exit 1). Either way what was
 * simulated of the unfinished generation is in its partial file. */
static int report_budget(const run_state *st, const start_point *sp, int have_result,
                         pmc_err *err)
{
    const pmc_config *cfg = st->cfg;
    unsigned gen = have_result ? sp->last.generation + 1 : 0;
    if (!have_result) {
        pmc_err_prefix(err, "max_simulations = %llu is too small to complete generation 0",
                       (unsigned long long)cfg->max_simulations);
    } else {
        /* The same text for any rank count (tests compare it). */
        pmc_log_info("stopping: max_simulations = %llu is reached (%s); the result is "
                     "generation %u", (unsigned long long)cfg->max_simulations, err->msg,
                     sp->last.generation);
    }
    char path[PMC_PATH_MAX + 32];
    if (st->budget_saved)
        pmc_log_info("what generation %u simulated is saved in %s: a run with a larger "
                     "max_simulations goes on from it", gen, partial_path(st, gen, path, sizeof path));
    else
        pmc_log_info("nothing was simulated: the run is finished unless max_simulations is "
                     "raised");
    return have_result ? PMC_OK : PMC_ERUNTIME;
}

int pmc_run(const pmc_config *cfg, const pmc_run_options *opt, pmc_schedule *s, pmc_err *err)
{
    /* GSL's default handler aborts the process; every GSL status is checked. */
    gsl_set_error_handler_off();
    pmc_signal_install();
    run_state st;
    memset(&st, 0, sizeof st);
    st.cfg = cfg;
    st.sched = s;
    st.n = cfg->particles;
    st.d = cfg->n_params;
    st.rank = pmc_schedule_rank(s);
    start_point sp;
    memset(&sp, 0, sizeof sp);
    int last_in_cur = 1;
    int rc = setup(&st, opt, err);
    if (rc == PMC_OK) {
        log_start(&st);
        init_control(&st, opt);
        rc = resume_or_start(&st, opt, &sp, err);
        if (rc == PMC_OK && st.read_only && !sp.finished)
            rc = read_only_error(&st, err);
        /* A resumed, unfinished run has moved its last generation to st.prev. */
        last_in_cur = !(sp.next_gen > 0 && !sp.finished);
    }
    int have_result = rc == PMC_OK && sp.next_gen > 0;
    if (rc == PMC_OK && sp.finished) {
        pmc_log_info("the run in %s is already finished (generation %u); nothing to do",
                     cfg->checkpoint_dir, sp.last.generation);
    } else if (rc == PMC_OK) {
        rc = run_loop(&st, &sp, &last_in_cur, err);
        have_result = have_result || sp.last.n_simulations > 0;
    }
    if (rc == PMC_EBUDGET)
        rc = report_budget(&st, &sp, have_result, err);
    if (rc == PMC_OK && have_result)
        log_posterior(&st, last_in_cur ? &st.cur : &st.prev, &sp.last);
    pmc_lock_release(&st.lock);
    if (rc != PMC_OK)
        remove_created_dirs(cfg->checkpoint_dir, st.created);
    free_state(&st);
    return rc;
}

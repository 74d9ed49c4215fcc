/* mpi_walk: an MPI-parallel pmcabc model plugin (ABI version 2), the example
 * of "MPI-parallel models" in docs/writing-a-model.md.
 *
 * One simulation runs R independent random walks of L steps,
 *     x_0 = 0,  x_{t+1} = x_t + mu + sigma * z_t,  z_t ~ Normal(0, 1),
 * and summarises their end points x_L by their mean and standard deviation
 * (the observed data are R_obs end points). x_L ~ Normal(L mu, sigma^2 L),
 * so the posterior is known in closed form; the cost, R * L normal draws,
 * is what the group of ranks shares: with [mpi] ranks_per_simulation = k,
 * group rank g walks the replicates r = g, g + k, g + 2k, ...
 *
 * Bit-identical results for any k, by construction:
 *   - every replicate has its own random stream, derived from one 64-bit
 *     draw of pmcabc's stream (identical on all ranks of the group) and the
 *     replicate's index, so it does not matter which rank walks it;
 *   - the end points are combined with MPI_Allreduce over an array with one
 *     entry per replicate, in which exactly one rank contributes a nonzero
 *     value (x + 0 is exact); the mean and sd are then summed in replicate
 *     order on every rank. A plain MPI_SUM of per-rank partial sums would
 *     round differently for different k.
 *
 * [model] keys: replicates (default: the number of data values), steps
 * (default 100); for tests, fail_rank, fail_above, fail_when (before_reduce
 * or after_reduce): the group rank fail_rank fails when mu > fail_above,
 * before or after the collective.
 *
 * Build: mpicc.mpich -shared -fPIC -O2 $(pkg-config --cflags pmcabc) mpi_walk.c \
 *            -o libmpi_walk.so -lm */
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pmcabc/model.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct {
    size_t replicates, steps;
    int fail_rank;          /* -1: never */
    double fail_above;
    int fail_after_reduce;
} walk_state;

/* --- a counter-based stream per replicate -------------------------------- */

/* SplitMix64 (Steele, Lea, Flood 2014): a good 64-bit mixer, used here as a
 * generator whose state is (seed, replicate, draw counter). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct {
    uint64_t state;
    double spare;
    int has_spare;
} walk_rng;

static walk_rng walk_rng_for(uint64_t seed, uint64_t replicate)
{
    walk_rng r = { mix64(seed ^ mix64(replicate + 1)), 0.0, 0 };
    return r;
}

/* Uniform on (0, 1): 53 random bits, never 0. */
static double walk_uniform(walk_rng *r)
{
    r->state += 0x9e3779b97f4a7c15ULL;
    return ((double)(mix64(r->state) >> 11) + 0.5) * 0x1.0p-53;
}

/* Box-Muller; both values of a pair are used. */
static double walk_normal(walk_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double rad = sqrt(-2.0 * log(walk_uniform(r)));
    double ang = 6.283185307179586 * walk_uniform(r);
    r->spare = rad * sin(ang);
    r->has_spare = 1;
    return rad * cos(ang);
}

/* --- set-up ----------------------------------------------------------------- */

static int parse_count(const char *key, const char *v, size_t *out, char *errbuf, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || errno || x < 1 || x > 100000000ULL || v[0] == '-') {
        snprintf(errbuf, errlen, "%s: expected a whole number from 1 to 1e8", key);
        return 1;
    }
    *out = (size_t)x;
    return 0;
}

static int parse_key(walk_state *s, const char *key, const char *v, char *errbuf, size_t errlen)
{
    if (!strcmp(key, "replicates"))
        return parse_count(key, v, &s->replicates, errbuf, errlen);
    if (!strcmp(key, "steps"))
        return parse_count(key, v, &s->steps, errbuf, errlen);
    if (!strcmp(key, "fail_rank")) {
        char *end;
        long x = strtol(v, &end, 10);
        s->fail_rank = (int)x;
        if (end != v && !*end && x >= 0 && x < 1000000)
            return 0;
    } else if (!strcmp(key, "fail_above")) {
        char *end;
        s->fail_above = strtod(v, &end);
        if (end != v && !*end)
            return 0;
    } else if (!strcmp(key, "fail_when")) {
        s->fail_after_reduce = !strcmp(v, "after_reduce");
        if (s->fail_after_reduce || !strcmp(v, "before_reduce"))
            return 0;
    } else {
        snprintf(errbuf, errlen, "%s: unknown key (mpi_walk takes replicates, steps, "
                 "fail_rank, fail_above, fail_when)", key);
        return 1;
    }
    snprintf(errbuf, errlen, "%s: bad value", key);
    return 1;
}

static int walk_init(const char *const *keys, const char *const *values, size_t n_keys,
                     const double *data, size_t n_data, void **state, char *errbuf, size_t errlen)
{
    (void)data;
    walk_state *s = malloc(sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return 1;
    }
    *s = (walk_state){ n_data, 100, -1, INFINITY, 0 };
    for (size_t i = 0; i < n_keys; i++)
        if (parse_key(s, keys[i], values[i], errbuf, errlen)) {
            free(s);
            return 1;
        }
    if (n_data < 2 || s->replicates < 2) {
        snprintf(errbuf, errlen, "needs observed data ([model] data, >= 2 values) and "
                 "replicates >= 2");
        free(s);
        return 1;
    }
    *state = s;
    return 0;
}

static void walk_finalize(void *state) { free(state); }

/* Mean and sample standard deviation of x[0..n), summed in index order. */
static void mean_sd(const double *x, size_t n, double *out)
{
    double sum = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    out[0] = mean;
    out[1] = sqrt(ss / (double)(n - 1));
}

static int walk_observed(const double *data, size_t n_data, double *out, void *state,
                         char *errbuf, size_t errlen)
{
    (void)state, (void)errbuf, (void)errlen;
    mean_sd(data, n_data, out);
    return 0;
}

/* --- the simulation ------------------------------------------------------------ */

static double walk_one(uint64_t seed, size_t replicate, size_t steps, double mu, double sigma)
{
    walk_rng r = walk_rng_for(seed, replicate);
    double x = 0.0;
    for (size_t t = 0; t < steps; t++)
        x += mu + sigma * walk_normal(&r);
    return x;
}

static int walk_simulate_group(const double *params, pmcabc_rng *rng, double *out, void *state,
                               const pmcabc_group *group, char *errbuf, size_t errlen)
{
    const walk_state *s = state;
    MPI_Comm comm = *(const MPI_Comm *)group->comm;
    int fails = group->rank == s->fail_rank && params[0] > s->fail_above;
    if (fails && !s->fail_after_reduce) {
        snprintf(errbuf, errlen, "injected failure before the reduction (mu = %g)", params[0]);
        return 1;
    }
    /* One draw from the shared stream: every rank of the group gets the same. */
    uint64_t seed = rng->bits(rng);
    double *end = calloc(s->replicates, sizeof *end);
    if (!end) {
        snprintf(errbuf, errlen, "out of memory for %zu replicates", s->replicates);
        return 1;
    }
    for (size_t r = (size_t)group->rank; r < s->replicates; r += (size_t)group->size)
        end[r] = walk_one(seed, r, s->steps, params[0], params[1]);
    int rc = MPI_Allreduce(MPI_IN_PLACE, end, (int)s->replicates, MPI_DOUBLE, MPI_SUM, comm);
    if (rc == MPI_SUCCESS)
        mean_sd(end, s->replicates, out);
    free(end);
    if (rc != MPI_SUCCESS) {
        snprintf(errbuf, errlen, "MPI_Allreduce failed (%d)", rc);
        return 1;
    }
    if (fails) {
        snprintf(errbuf, errlen, "injected failure after the reduction (mu = %g)", params[0]);
        return 1;
    }
    return 0;
}

static const char *const walk_param_names[] = {"mu", "sigma"};

static const pmcabc_model walk_plugin = {
    .abi_version = PMCABC_MODEL_ABI_VERSION,
    .name = "mpi_walk",
    .n_params = 2,
    .param_names = walk_param_names,
    .n_stats = 2,
    .init = walk_init,
    .finalize = walk_finalize,
    .observed_stats = walk_observed,
    .simulate_group = walk_simulate_group,
};

PLUGIN_EXPORT const pmcabc_model *pmcabc_model_plugin(void) { return &walk_plugin; }

/* Model choice (contract in pmc_choice.h; formulas and sources in
 * docs/algorithm.md "Model choice"). */
#include "pmc_choice.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_prior.h"
#include "pmc_rng.h"
#include "pmc_weights.h"

#define LOG_2PI 1.8378770664093454836 /* log(2 pi) */

/* Model m's configuration, its number of parameters and first column. */
static const pmc_config *model_cfg(const pmc_choice *c, size_t m) { return c->cfg->models[m]; }
static size_t dim(const pmc_choice *c, size_t m) { return model_cfg(c, m)->n_params; }
static size_t first(const pmc_choice *c, size_t m) { return c->cfg->model_first[m]; }

/* The probability that a proposal picks model m: sum over the models m' of
 * p(m') KM(m | m'), KM staying with probability s and else moving to each
 * of the other K - 1 alike (docs/algorithm.md). */
static double proposal_probability(const pmc_choice *c, size_t m)
{
    double s = c->cfg->model_stay, p = c->p[m];
    return p * s + (1.0 - p) * (1.0 - s) / (double)(c->K - 1);
}

/* log pi(m): the categorical "model" prior of the joint list. */
static double log_model_prior(const pmc_choice *c, size_t m)
{
    const pmc_prior_spec *spec = &c->cfg->prior[0];
    return log(spec->p[m]) - spec->log_norm;
}

int pmc_choice_init(pmc_choice *c, const pmc_config *cfg, size_t n, pmc_err *err)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->K = cfg->n_models;
    c->d = cfg->n_params;
    c->order = malloc((n + 1) * sizeof *c->order);
    c->cumw = malloc((n + 1) * sizeof *c->cumw);
    c->w_group = malloc((n + 1) * sizeof *c->w_group);
    c->z_prev = malloc((n * c->d + 1) * sizeof *c->z_prev);
    if (!c->order || !c->cumw || !c->w_group || !c->z_prev) {
        pmc_choice_free(c);
        return pmc_err_set(err, PMC_ENOMEM, "model choice: out of memory for %zu particles", n);
    }
    return PMC_OK;
}

void pmc_choice_free(pmc_choice *c)
{
    free(c->order);
    free(c->cumw);
    free(c->w_group);
    free(c->z_prev);
    for (size_t m = 0; m < PMC_MODELS_MAX; m++)
        pmc_kernel_free(&c->kernel[m]);
    memset(c, 0, sizeof *c);
}

size_t pmc_choice_model_of(const double *row) { return (size_t)row[0]; }

const double *pmc_choice_params(const pmc_choice *c, const double *row, size_t *m)
{
    *m = pmc_choice_model_of(row);
    return row + first(c, *m);
}

void pmc_choice_probabilities(size_t K, const double *theta, const double *w, size_t n,
                              size_t d, double *p)
{
    for (size_t m = 0; m < K; m++)
        p[m] = 0.0;
    for (size_t i = 0; i < n; i++)
        p[pmc_choice_model_of(theta + i * d)] += w[i];
}

/* Group g's block of z_prev: its rows of dim(g) columns, at the block of
 * its first particle in rows of d (room enough, as dim(g) < d). */
static double *z_block(const pmc_choice *c, size_t m) { return c->z_prev + c->start[m] * c->d; }

/* Model m's kernel from its particles (order[start[m] .. start[m+1])); 0 if
 * it cannot be fitted (fewer than two, all weight on one, or singular). */
static int fit_model(pmc_choice *c, size_t m, int kind, const double *theta, const double *w,
                     pmc_err *err)
{
    size_t cnt = c->start[m + 1] - c->start[m], dm = dim(c, m), d = c->d;
    c->fitted[m] = 0;
    if (cnt < 2)
        return PMC_OK;
    double *rows = malloc(cnt * dm * sizeof *rows), *wm = malloc(cnt * sizeof *wm);
    if (!rows || !wm) {
        free(rows);
        free(wm);
        return pmc_err_set(err, PMC_ENOMEM, "model choice: out of memory for %zu particles", cnt);
    }
    for (size_t k = 0; k < cnt; k++) {
        size_t j = c->order[c->start[m] + k];
        memcpy(rows + k * dm, theta + j * d + first(c, m), dm * sizeof *rows);
        wm[k] = w[j] / c->p[m];
    }
    pmc_kernel_spec spec = {(pmc_kernel_kind)kind, 0, NULL, 0.0};
    pmc_err local;
    pmc_err_clear(&local);
    int rc = pmc_kernel_fit_kind(&c->kernel[m], &spec, rows, wm, cnt, dm, &local);
    if (rc == PMC_OK) {
        c->fitted[m] = 1;
        /* K_m(x | y) = (2 pi)^(-d/2) |L|^-1 exp(-|z_x - z_y|^2 / 2) */
        c->log_norm[m] = 0.5 * (double)dm * LOG_2PI;
        for (size_t a = 0; a < dm; a++)
            c->log_norm[m] += log(c->kernel[m].chol[a * dm + a]);
        pmc_kernel_whiten(&c->kernel[m], rows, cnt, z_block(c, m));
    } else if (rc == PMC_ENOMEM) {
        *err = local;
    }
    free(rows);
    free(wm);
    return rc == PMC_ENOMEM ? rc : PMC_OK;
}

int pmc_choice_fit(pmc_choice *c, int kernel_kind, const double *theta, const double *w,
                   size_t n, pmc_err *err)
{
    size_t K = c->K, d = c->d, count[PMC_MODELS_MAX] = {0};
    for (size_t m = 0; m < K; m++)
        c->p[m] = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t m = pmc_choice_model_of(theta + i * d);
        count[m]++;
        c->p[m] += w[i];
    }
    c->start[0] = 0;
    for (size_t m = 0; m < K; m++)
        c->start[m + 1] = c->start[m] + count[m];
    size_t next[PMC_MODELS_MAX];
    memcpy(next, c->start, K * sizeof *next);
    for (size_t i = 0; i < n; i++)
        c->order[next[pmc_choice_model_of(theta + i * d)]++] = i;
    for (size_t m = 0; m < K; m++) {
        double acc = 0.0, scale = c->p[m] > 0 ? proposal_probability(c, m) / c->p[m] : 0.0;
        for (size_t k = c->start[m]; k < c->start[m + 1]; k++) {
            acc += w[c->order[k]];
            c->cumw[k] = acc;
            c->w_group[k] = w[c->order[k]] * scale;
        }
        int rc = fit_model(c, m, kernel_kind, theta, w, err);
        if (rc != PMC_OK)
            return rc;
    }
    return PMC_OK;
}

int pmc_choice_propose(const pmc_choice *c, const double *prev, const double *prev_cumw,
                       size_t n_prev, gsl_rng *rng, double *row)
{
    size_t K = c->K, d = c->d, m;
    for (size_t a = 0; a < d; a++)
        row[a] = NAN;
    if (!prev) {
        m = (size_t)pmc_prior_sample(&c->cfg->prior[0], rng);
        pmc_prior_sample_joint(model_cfg(c, m)->prior, dim(c, m), rng, row + first(c, m));
    } else {
        size_t j = pmc_rng_draw_cumulative(prev_cumw, n_prev, rng);
        size_t from = pmc_choice_model_of(prev + j * d);
        m = from;
        if (gsl_rng_uniform(rng) >= c->cfg->model_stay) {
            size_t k = (size_t)(gsl_rng_uniform(rng) * (double)(K - 1));
            k = k < K - 1 ? k : K - 2;
            m = k < from ? k : k + 1;
        }
        if (!c->fitted[m]) {
            pmc_prior_sample_joint(model_cfg(c, m)->prior, dim(c, m), rng, row + first(c, m));
        } else {
            size_t a = j;
            if (m != from) {
                size_t s = c->start[m], cnt = c->start[m + 1] - s;
                a = c->order[s + pmc_rng_draw_cumulative(c->cumw + s, cnt, rng)];
            }
            pmc_kernel_perturb(&c->kernel[m], prev + a * d + first(c, m), rng,
                               row + first(c, m));
        }
    }
    row[0] = (double)m;
    return isfinite(pmc_prior_logpdf_joint(model_cfg(c, m)->prior, dim(c, m), row + first(c, m)));
}

/* The weights of the rows of model m among [lo, hi) (idx, cnt of them). */
static int model_weights(const pmc_choice *c, size_t m, const double *theta, const size_t *idx,
                         size_t cnt, size_t lo, double *out, pmc_err *err)
{
    size_t dm = dim(c, m), d = c->d;
    double log_q = log(proposal_probability(c, m));
    if (!c->fitted[m]) {
        /* Parameters from the prior: pi_m(theta) cancels. */
        for (size_t k = 0; k < cnt; k++)
            out[idx[k] - lo] = exp(log_model_prior(c, m) - log_q);
        return PMC_OK;
    }
    double *z = malloc((cnt * dm + 1) * sizeof *z), *lp = malloc((cnt + 1) * sizeof *lp);
    double *res = malloc((cnt + 1) * sizeof *res);
    int rc = z && lp && res ? PMC_OK
                            : pmc_err_set(err, PMC_ENOMEM, "model choice: out of memory for the "
                                          "weights of %zu particles", cnt);
    for (size_t k = 0; k < cnt && rc == PMC_OK; k++) {
        const double *x = theta + idx[k] * d + first(c, m);
        pmc_kernel_whiten(&c->kernel[m], x, 1, z + k * dm);
        /* The kernel's constant goes into the numerator: pmc_weights_block
         * sums exp(-|z_i - z_j|^2 / 2) only. */
        lp[k] = log_model_prior(c, m) + pmc_prior_logpdf_joint(model_cfg(c, m)->prior, dm, x) +
                c->log_norm[m];
    }
    if (rc == PMC_OK && cnt > 0) {
        size_t s = c->start[m];
        rc = pmc_weights_block(z, lp, 0, cnt, z_block(c, m), c->w_group + s, c->start[m + 1] - s,
                               dm, res, err);
    }
    for (size_t k = 0; k < cnt && rc == PMC_OK; k++)
        out[idx[k] - lo] = res[k];
    free(z);
    free(lp);
    free(res);
    return rc;
}

int pmc_choice_weights(const pmc_choice *c, const double *theta, size_t lo, size_t hi,
                       double *out, pmc_err *err)
{
    size_t *idx = malloc((hi - lo + 1) * sizeof *idx);
    if (!idx)
        return pmc_err_set(err, PMC_ENOMEM, "model choice: out of memory for %zu weights",
                           hi - lo);
    int rc = PMC_OK;
    for (size_t m = 0; m < c->K && rc == PMC_OK; m++) {
        size_t cnt = 0;
        for (size_t i = lo; i < hi; i++)
            if (pmc_choice_model_of(theta + i * c->d) == m)
                idx[cnt++] = i;
        rc = model_weights(c, m, theta, idx, cnt, lo, out, err);
    }
    free(idx);
    return rc;
}

/* Post-processing for `pmcabc inspect`: contract in pmc_inspect.h. Reads
 * checkpoints only through pmc_checkpoint's read API, so HDF5 stays in
 * the checkpoint sources; every function here only reads. */
#include "pmc_inspect.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pmc_choice.h"
#include "pmc_config.h"
#include "pmc_epsilon.h"
#include "pmc_rundir.h"
#include "pmc_version.h"

/* Room for pmc_lock_status_text: a host name of up to 255 bytes and words. */
#define PMC_LOCK_TEXT_MAX 512

/* --- building the report --- */

static int out_of_memory(pmc_err *err, const char *what)
{
    return pmc_err_set(err, PMC_ENOMEM, "%s: out of memory", what);
}

/* A reader's failure as inspect reports it: a file that cannot be read as a
 * checkpoint is bad input (exit 2), whatever the reader's code; running out
 * of memory stays what it is. */
static int as_input_error(int st, pmc_err *err)
{
    if (st == PMC_ENOMEM)
        return st;
    err->code = PMC_EINVAL;
    return PMC_EINVAL;
}

static int add_skip(pmc_inspect_report *r, const char *file, const char *error, pmc_err *err)
{
    pmc_inspect_skip *grown = realloc(r->skipped, (r->n_skipped + 1) * sizeof *grown);
    if (!grown)
        return out_of_memory(err, file);
    r->skipped = grown;
    pmc_inspect_skip *s = &r->skipped[r->n_skipped];
    s->file = strdup(file);
    s->error = strdup(error);
    r->n_skipped++;
    return s->file && s->error ? PMC_OK : out_of_memory(err, file);
}

static int add_row(pmc_inspect_report *r, const char *file, const pmc_gen_meta *m, pmc_err *err)
{
    pmc_inspect_row *grown = realloc(r->rows, (r->n_rows + 1) * sizeof *grown);
    if (!grown)
        return out_of_memory(err, file);
    r->rows = grown;
    r->rows[r->n_rows].meta = *m;
    r->rows[r->n_rows].file = strdup(file);
    r->n_rows++;
    return r->rows[r->n_rows - 1].file ? PMC_OK : out_of_memory(err, file);
}

/* The prior specs of the stored config, one per parameter of the data;
 * none if the counts differ (a partial file's caller reports that). */
static int take_priors(pmc_inspect_report *r, const pmc_config *cfg, const char *file,
                       pmc_err *err)
{
    if (cfg->n_params != r->d)
        return PMC_OK;
    if (!(r->priors = malloc(r->d * sizeof *r->priors)))
        return out_of_memory(err, file);
    memcpy(r->priors, cfg->prior, r->d * sizeof *r->priors);
    return PMC_OK;
}

/* The prior bounds the newest population piles against (pmc_bounds.c). */
static int take_bound_hits(pmc_inspect_report *r, const pmc_generation *g, const char *file,
                           pmc_err *err)
{
    if (!r->priors)
        return PMC_OK;
    if (!(r->bound_hits = malloc(2 * g->d * sizeof *r->bound_hits)))
        return out_of_memory(err, file);
    r->n_bound_hits = pmc_bounds_check(r->priors, g->theta, g->weights, g->n, g->d,
                                       r->bound_hits);
    return PMC_OK;
}

/* The stored config text of file, parsed into a new *out (free with
 * pmc_config_free and free). Errors are input errors naming the file. */
static int parse_stored(const char *text, const char *file, pmc_config **out, pmc_err *err)
{
    pmc_config *cfg = malloc(sizeof *cfg);
    if (!cfg)
        return out_of_memory(err, file);
    char label[PMC_PATH_MAX + 32];
    snprintf(label, sizeof label, "%s: stored config", file);
    int st = pmc_config_parse(text, label, NULL, 0, cfg, err);
    if (st != PMC_OK) {
        free(cfg);
        return as_input_error(st, err);
    }
    *out = cfg;
    return PMC_OK;
}

/* Model, planned generations, epsilon minimum and budget from the stored
 * config cfg of file; names the parameters from its [prior] if names is
 * set (a partial file stores no names of its own). */
static int take_config(pmc_inspect_report *r, const pmc_config *cfg, const char *file,
                       int names, pmc_err *err)
{
    r->model = strdup(cfg->model_name);
    r->generations = cfg->generations;
    r->eps_minimum = cfg->eps_minimum;
    r->max_simulations = cfg->max_simulations;
    int st = r->model ? PMC_OK : out_of_memory(err, file);
    if (st == PMC_OK)
        st = take_priors(r, cfg, file, err);
    if (st == PMC_OK && names) {
        if (cfg->n_params != r->d)
            st = pmc_err_set(err, PMC_EINVAL, "%s: stored config has %zu parameters, the data %zu",
                             file, cfg->n_params, r->d);
        else if (!(r->param_names = calloc(r->d, sizeof *r->param_names)))
            st = out_of_memory(err, file);
        for (size_t k = 0; st == PMC_OK && k < r->d; k++)
            if (!(r->param_names[k] = strdup(cfg->prior[k].name)))
                st = out_of_memory(err, file);
    }
    return st;
}

static void free_stored(pmc_config *cfg)
{
    if (cfg)
        pmc_config_free(cfg);
    free(cfg);
}

/* take_config from a stored config text. */
static int take_stored_config(pmc_inspect_report *r, const char *text, const char *file,
                              int names, pmc_err *err)
{
    pmc_config *cfg = NULL;
    int st = parse_stored(text, file, &cfg, err);
    if (st == PMC_OK)
        st = take_config(r, cfg, file, names, err);
    free_stored(cfg);
    return st;
}

/* [run] max_simulations of a stored config text (0 = none). */
static int stored_budget(const char *text, const char *file, uint64_t *max, pmc_err *err)
{
    pmc_config *cfg = NULL;
    int st = parse_stored(text, file, &cfg, err);
    if (st != PMC_OK)
        return st;
    *max = cfg->max_simulations;
    free_stored(cfg);
    return PMC_OK;
}

/* Keeps the build identity of the newest file read. */
static void take_build(pmc_inspect_report *r, pmc_file_build *b)
{
    free(r->build.creator);
    r->build = *b;
    b->creator = NULL;
    r->build_compatible = r->build.stream_version == PMC_STREAM_VERSION;
}

/* A run whose next generation cannot finish within max_simulations is
 * finished: pmcabc run stops at once, simulating nothing (pmc_pmcabc.c,
 * budget_left: the same rule). max: the budget of the newest file's config;
 * need: simulations the next generation is known to need at least. */
static void check_budget(pmc_inspect_report *r, uint64_t max, uint64_t done, uint64_t need)
{
    if (!max || r->state == PMC_STATE_FINISHED)
        return;
    r->budget_max = max;
    r->budget_left = max > done ? max - done : 0;
    if (need > r->budget_left) {
        r->budget_reached = 1;
        r->state = PMC_STATE_FINISHED;
    }
}

/* Finished or resumable after the newest generation, by the rule `run`
 * applies (pmc_epsilon_run_finished): generations, epsilon minimum, or an
 * [epsilon] stopping rule (r->stop_rule says it was one of those). */
static void take_finished(pmc_inspect_report *r, const pmc_config *cfg)
{
    unsigned t = r->last.generation;
    double prev = t && t <= r->n_epsilons ? r->epsilons[t - 1] : INFINITY;
    int done = pmc_epsilon_run_finished(cfg, t, r->last.epsilon, prev, r->last.acceptance_rate);
    r->state = done ? PMC_STATE_FINISHED : PMC_STATE_RESUMABLE;
    r->stop_rule = done && t + 1 < r->generations && r->last.epsilon > r->eps_minimum;
}

/* take_generation with g's stored config parsed (once, for the report's
 * config fields and the finished rule). */
static int take_generation_with(pmc_inspect_report *r, pmc_generation *g,
                                const pmc_config *cfg, const char *file, pmc_err *err)
{
    r->seed = g->meta.seed;
    r->n = g->n;
    r->d = g->d;
    r->last = g->meta;
    r->param_names = g->param_names;
    g->param_names = NULL;
    r->n_epsilons = g->n_epsilons;
    r->epsilons = g->epsilons;
    g->epsilons = NULL;
    g->n_epsilons = 0;
    int st = take_config(r, cfg, file, 0, err);
    if (st != PMC_OK)
        return st;
    if (g->model && g->model[0]) { /* the model's own name: a plugin's, not "plugin" */
        free(r->model);
        r->model = g->model;
        g->model = NULL;
    }
    r->summary = malloc(r->d * sizeof *r->summary);
    if (!r->summary)
        return out_of_memory(err, file);
    st = pmc_posterior_summarize(g->theta, g->weights, g->n, g->d, r->summary, err);
    if (st != PMC_OK)
        return pmc_err_prefix(err, "%s", file);
    st = take_bound_hits(r, g, file, err);
    if (st != PMC_OK)
        return st;
    r->has_posterior = 1;
    take_finished(r, cfg);
    r->next_generation = r->last.generation + 1;
    take_build(r, &g->build);
    return PMC_OK;
}

/* Takes over the newest usable generation: identity, history, summary. */
static int take_generation(pmc_inspect_report *r, pmc_generation *g, const char *file,
                           pmc_err *err)
{
    pmc_config *cfg = NULL;
    int st = parse_stored(g->config_text, file, &cfg, err);
    if (st == PMC_OK)
        st = take_generation_with(r, g, cfg, file, err);
    free_stored(cfg);
    return st;
}

/* Model choice: the model labels (from the first file whose stored config
 * has [models]) and the row's posterior model probabilities. */
static int take_model_probabilities(pmc_inspect_report *r, const pmc_generation *g,
                                    const char *file, pmc_err *err)
{
    if (!g->config_text || !strstr(g->config_text, "\n[models]\n"))
        return PMC_OK;
    if (r->n_models == 0) {
        pmc_config *cfg = NULL;
        int st = parse_stored(g->config_text, file, &cfg, err);
        if (st != PMC_OK)
            return st;
        r->n_models = cfg->n_models;
        for (size_t m = 0; m < cfg->n_models; m++)
            memcpy(r->model_labels[m], cfg->model_labels[m], PMC_NAME_MAX);
        free_stored(cfg);
    }
    pmc_choice_probabilities(r->n_models, g->theta, g->weights, g->n, g->d,
                             r->rows[r->n_rows - 1].model_p);
    return PMC_OK;
}

static int read_one_generation(pmc_inspect_report *r, const char *path, pmc_err *err)
{
    pmc_generation g;
    int st = pmc_checkpoint_read_generation(path, &g, err);
    if (st != PMC_OK)
        return as_input_error(st, err);
    st = add_row(r, path, &g.meta, err);
    if (st == PMC_OK)
        st = take_model_probabilities(r, &g, path, err);
    if (st == PMC_OK)
        st = take_generation(r, &g, path, err);
    pmc_generation_free(&g);
    return st;
}

/* The state "partial generation G with K of N slots" from partial file p. */
static int take_partial(pmc_inspect_report *r, pmc_partial *p, const char *path,
                        pmc_err *err)
{
    take_build(r, &p->build);
    /* The partial file is newer than the generation file: its config holds
     * the budget of the latest run. */
    uint64_t max = 0;
    int st = stored_budget(p->config_text, path, &max, err);
    if (st != PMC_OK)
        return st;
    r->state = PMC_STATE_PARTIAL;
    r->next_generation = p->generation;
    r->slots_done = p->k;
    r->partial_epsilon = p->epsilon;
    r->partial_simulations = 0;
    for (size_t i = 0; i < p->k; i++)
        r->partial_simulations += p->n_sims[i];
    /* Each slot not done needs its known rejected attempts and one more. */
    uint64_t need = r->partial_simulations + (p->n - p->k);
    for (size_t i = 0; i < p->n; i++)
        need += p->rejected[i];
    if (r->kind == PMC_INSPECT_RUN) /* a lone partial file does not say what came before */
        check_budget(r, max, r->has_posterior ? r->last.n_simulations : 0, need);
    r->partial_file = strdup(path);
    return r->partial_file ? PMC_OK : out_of_memory(err, path);
}

static int read_one_partial(pmc_inspect_report *r, const char *path, pmc_err *err)
{
    pmc_partial p;
    int st = pmc_checkpoint_read_partial(path, &p, err);
    if (st != PMC_OK)
        return as_input_error(st, err);
    r->seed = p.seed;
    r->n = p.n;
    r->d = p.d;
    st = take_partial(r, &p, path, err);
    if (st == PMC_OK)
        st = take_stored_config(r, p.config_text, path, 1, err);
    pmc_partial_free(&p);
    return st;
}

typedef struct {
    long generation;
    char *path;
} gen_entry;

static void free_entries(gen_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].path);
    free(e);
}

/* The generation files of dir (pmc_rundir_list), ascending, with paths. */
static int list_generation_files(const char *dir, gen_entry **out, size_t *count, pmc_err *err)
{
    *out = NULL;
    *count = 0;
    pmc_rundir_entry *list = NULL;
    size_t n = 0;
    int rc = pmc_rundir_list(dir, PMC_RUNDIR_GEN, &list, &n);
    if (rc == ENOMEM)
        return out_of_memory(err, dir);
    if (rc != 0)
        return pmc_err_set(err, PMC_EINVAL, "%s: cannot list directory: %s", dir, strerror(rc));
    int st = PMC_OK;
    *out = n ? calloc(n, sizeof **out) : NULL;
    if (n && !*out)
        st = out_of_memory(err, dir);
    for (size_t i = 0; st == PMC_OK && i < n; i++) {
        size_t len = strlen(dir) + strlen(list[i].name) + 2;
        char *path = malloc(len);
        if (!path) {
            st = out_of_memory(err, dir);
            break;
        }
        snprintf(path, len, "%s/%s", dir, list[i].name);
        (*out)[*count].generation = list[i].generation;
        (*out)[(*count)++].path = path;
    }
    free(list);
    return st;
}

/* Reads one listed generation file: the row, or a skip entry if it is not
 * usable (damaged, foreign, or its generation differs from its name). *g
 * holds the file on PMC_OK with *usable set. */
static int try_generation(pmc_inspect_report *r, const gen_entry *e, pmc_generation *g,
                          int *usable, pmc_err *err)
{
    pmc_err why;
    pmc_err_clear(&why);
    *usable = 0;
    int st = pmc_checkpoint_read_named(e->path, e->generation, g, &why);
    if (st == PMC_ENOMEM)
        return pmc_err_set(err, st, "%s", why.msg);
    if (st != PMC_OK)
        return add_skip(r, e->path, why.msg, err);
    *usable = 1;
    st = add_row(r, e->path, &g->meta, err);
    return st == PMC_OK ? take_model_probabilities(r, g, e->path, err) : st;
}

/* Looks for partial-NNNN.h5 of the next generation of an unfinished run. A
 * damaged one, or one of another run, is listed in skipped. */
static int look_for_partial(pmc_inspect_report *r, const char *dir, pmc_err *err)
{
    size_t len = strlen(dir) + 32;
    char *path = malloc(len);
    if (!path)
        return out_of_memory(err, dir);
    pmc_rundir_path(path, len, dir, PMC_RUNDIR_PARTIAL, r->next_generation, NULL);
    pmc_partial p;
    pmc_err why;
    pmc_err_clear(&why);
    int st = pmc_checkpoint_read_partial(path, &p, &why);
    if (st == PMC_OK && (p.seed != r->seed || p.n != r->n || p.d != r->d ||
                         p.generation != r->next_generation)) {
        pmc_err_set(&why, PMC_EINVAL, "%s: generation %u, seed %llu, %zu x %zu values: expected "
                    "generation %u, seed %llu, %zu x %zu of this run", path, p.generation,
                    (unsigned long long)p.seed, p.n, p.d, r->next_generation,
                    (unsigned long long)r->seed, r->n, r->d);
        st = PMC_EINVAL;
    }
    if (st == PMC_OK) {
        st = take_partial(r, &p, path, err);
    } else if (st == PMC_ENOMEM) {
        st = pmc_err_set(err, st, "%s", why.msg);
    } else if (st != PMC_ENOTFOUND) {
        st = add_skip(r, path, why.msg, err);
    } else {
        st = PMC_OK;
    }
    pmc_partial_free(&p);
    free(path);
    return st;
}

/* A run interrupted during generation 0 has only partial-0000.h5. */
static int read_first_partial(pmc_inspect_report *r, const char *dir, pmc_err *err)
{
    size_t len = strlen(dir) + 32;
    char *path = malloc(len);
    if (!path)
        return out_of_memory(err, dir);
    pmc_rundir_path(path, len, dir, PMC_RUNDIR_PARTIAL, 0, NULL);
    struct stat sb;
    int st = stat(path, &sb) == 0
                 ? read_one_partial(r, path, err)
                 : pmc_err_set(err, PMC_EINVAL, "%s: no generation file (gen-NNNN.h5) and no "
                               "partial-0000.h5: not a pmcabc run directory", dir);
    free(path);
    return st;
}

static int read_run_dir(pmc_inspect_report *r, const char *dir, pmc_err *err)
{
    gen_entry *list;
    size_t count;
    int st = list_generation_files(dir, &list, &count, err);
    pmc_generation newest, g;
    memset(&newest, 0, sizeof newest);
    const char *newest_path = NULL;
    for (size_t i = 0; st == PMC_OK && i < count; i++) {
        int usable;
        st = try_generation(r, &list[i], &g, &usable, err);
        if (usable) {
            /* Ascending order: each usable file is the newest so far. */
            pmc_generation_free(&newest);
            newest = g;
            newest_path = list[i].path;
        }
    }
    if (st == PMC_OK && !newest_path && r->n_skipped > 0)
        st = pmc_err_set(err, PMC_EINVAL, "%s: no valid generation file (%zu not usable; the "
                         "newest: %s)", dir, r->n_skipped, r->skipped[r->n_skipped - 1].error);
    else if (st == PMC_OK && !newest_path)
        st = read_first_partial(r, dir, err);
    else if (st == PMC_OK)
        st = take_generation(r, &newest, newest_path, err);
    if (st == PMC_OK && r->state == PMC_STATE_RESUMABLE)
        st = look_for_partial(r, dir, err);
    if (st == PMC_OK && r->state == PMC_STATE_RESUMABLE) /* no partial file */
        check_budget(r, r->max_simulations, r->last.n_simulations, r->n); /* one per slot */
    pmc_generation_free(&newest);
    free_entries(list, count);
    return st;
}

/* The directory's lock, for the report only: a lock that cannot be probed
 * (an unreadable .lock) is reported as unknown rather than failing inspect. */
static void read_lock(pmc_inspect_report *r, const char *dir)
{
    pmc_err ignored;
    pmc_err_clear(&ignored);
    if (pmc_lock_query(dir, &r->lock, &ignored) != PMC_OK)
        r->lock.state = PMC_LOCK_UNKNOWN;
}

/* Contract: see pmc_inspect.h. */
int pmc_inspect_load(const char *path, pmc_inspect_report *out, pmc_err *err)
{
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return pmc_err_set(err, PMC_EINVAL, "%s: %s", path, strerror(errno));
    if (!(out->path = strdup(path)))
        return out_of_memory(err, path);
    int st;
    if (S_ISDIR(sb.st_mode)) {
        out->kind = PMC_INSPECT_RUN;
        read_lock(out, path);
        st = read_run_dir(out, path, err);
        if (st == PMC_EINVAL && out->lock.state == PMC_LOCK_HELD) {
            char lock[PMC_LOCK_TEXT_MAX];
            pmc_lock_status_text(&out->lock, lock, sizeof lock);
            pmc_err_prefix(err, "%s: lock %s, which has not saved a usable generation yet",
                           path, lock);
        }
    } else if (pmc_rundir_names_partial(path)) {
        out->kind = PMC_INSPECT_PARTIAL;
        st = read_one_partial(out, path, err);
    } else {
        out->kind = PMC_INSPECT_GENERATION;
        st = read_one_generation(out, path, err);
    }
    if (st != PMC_OK)
        pmc_inspect_free(out);
    return st;
}

void pmc_inspect_free(pmc_inspect_report *r)
{
    if (!r)
        return;
    if (r->param_names)
        for (size_t k = 0; k < r->d; k++)
            free(r->param_names[k]);
    free(r->param_names);
    for (size_t i = 0; i < r->n_rows; i++)
        free(r->rows[i].file);
    free(r->rows);
    for (size_t i = 0; i < r->n_skipped; i++) {
        free(r->skipped[i].file);
        free(r->skipped[i].error);
    }
    free(r->skipped);
    free(r->path);
    free(r->model);
    free(r->partial_file);
    free(r->build.creator);
    free(r->epsilons);
    free(r->summary);
    free(r->priors);
    free(r->bound_hits);
    memset(r, 0, sizeof *r);
}

/* --- text --- */

void pmc_inspect_state_text(const pmc_inspect_report *r, char *buf, size_t len)
{
    switch (r->state) {
    case PMC_STATE_FINISHED:
        snprintf(buf, len, "finished");
        break;
    case PMC_STATE_RESUMABLE:
        snprintf(buf, len, "resumable at generation %u", r->next_generation);
        break;
    case PMC_STATE_PARTIAL:
        snprintf(buf, len, "partial generation %u with %zu of %zu slots", r->next_generation,
                 r->slots_done, r->n);
        break;
    }
}

/* Why the state is what it is, in the terms of the config. */
static void state_reason(const pmc_inspect_report *r, char *buf, size_t len)
{
    if (r->budget_reached)
        snprintf(buf, len, "max_simulations = %llu reached: generation %u needs more than the "
                 "%llu simulations left%s", (unsigned long long)r->budget_max,
                 r->next_generation, (unsigned long long)r->budget_left,
                 r->partial_file ? "; its work so far is in the partial file" : "");
    else if (r->stop_rule)
        snprintf(buf, len, "a stopping rule of [epsilon] ended it after generation %u "
                 "(min_acceptance, min_change or the end of values)", r->last.generation);
    else if (r->state == PMC_STATE_FINISHED && r->last.epsilon <= r->eps_minimum)
        snprintf(buf, len, "epsilon %.6g reached minimum %.6g", r->last.epsilon, r->eps_minimum);
    else if (r->state == PMC_STATE_FINISHED)
        snprintf(buf, len, "generation %u is the last of generations = %u", r->last.generation,
                 r->generations);
    else if (r->state == PMC_STATE_PARTIAL)
        snprintf(buf, len, "epsilon %.6g, %llu simulations so far", r->partial_epsilon,
                 (unsigned long long)r->partial_simulations);
    else
        snprintf(buf, len, "%u of generations = %u done%s", r->last.generation + 1,
                 r->generations, r->max_simulations ? ", max_simulations may end it earlier" : "");
}

static const char *kind_name(pmc_inspect_kind k)
{
    return k == PMC_INSPECT_RUN ? "run directory"
           : k == PMC_INSPECT_GENERATION ? "generation file" : "partial file";
}

static const char *state_name(pmc_run_state s)
{
    return s == PMC_STATE_FINISHED ? "finished" : s == PMC_STATE_RESUMABLE ? "resumable" : "partial";
}

static void print_rows(const pmc_inspect_report *r, FILE *out)
{
    fprintf(out, "\n%10s %12s %10s %10s %12s %12s %10s  %s\n", "generation", "epsilon",
            "accept", "ESS", "sims", "total", "wall s", "file");
    for (size_t i = 0; i < r->n_rows; i++) {
        const pmc_gen_meta *m = &r->rows[i].meta;
        const char *base = strrchr(r->rows[i].file, '/');
        fprintf(out, "%10u %12.6g %10.6f %10.1f %12llu %12llu %10.3f  %s\n", m->generation,
                m->epsilon, m->acceptance_rate, m->ess, (unsigned long long)m->gen_simulations,
                (unsigned long long)m->n_simulations, m->wall_time,
                base ? base + 1 : r->rows[i].file);
    }
}

/* Model choice: the posterior model probabilities of each generation. */
static void print_model_rows(const pmc_inspect_report *r, FILE *out)
{
    fprintf(out, "\nposterior model probabilities\n%10s", "generation");
    for (size_t m = 0; m < r->n_models; m++)
        fprintf(out, " %12.12s", r->model_labels[m]);
    for (size_t i = 0; i < r->n_rows; i++) {
        fprintf(out, "\n%10u", r->rows[i].meta.generation);
        for (size_t m = 0; m < r->n_models; m++)
            fprintf(out, " %12.6f", r->rows[i].model_p[m]);
    }
    fputc('\n', out);
}

/* The run log's posterior block (pmc_pmcabc.c log_posterior), same columns. */
static void print_posterior(const pmc_inspect_report *r, FILE *out)
{
    const pmc_gen_meta *m = &r->last;
    fprintf(out, "\nposterior: generation %u, N = %zu, ESS = %.1f, epsilon = %.6g, "
            "simulations = %llu\n", m->generation, r->n, m->ess, m->epsilon,
            (unsigned long long)m->n_simulations);
    if (r->n_models && r->n_rows) {
        fputs("  posterior model probabilities:", out);
        for (size_t k = 0; k < r->n_models; k++)
            fprintf(out, "%s %s %.4g", k ? "," : "", r->model_labels[k],
                    r->rows[r->n_rows - 1].model_p[k]);
        fputc('\n', out);
    }
    fprintf(out, "  %-16s %14s %14s %14s %14s %14s\n", "parameter", "mean", "sd", "5%", "50%",
            "95%");
    for (size_t k = r->n_models ? 1 : 0; k < r->d; k++) {
        const pmc_marginal_summary *s = &r->summary[k];
        fprintf(out, "  %-16s %14.6g %14.6g %14.6g %14.6g %14.6g\n", r->param_names[k], s->mean,
                s->sd, s->q05, s->q50, s->q95);
    }
}

/* One "warning: ..." line per prior bound the posterior piles against, as the run log. */
static void print_bound_hits(const pmc_inspect_report *r, FILE *out)
{
    for (size_t i = 0; i < r->n_bound_hits; i++) {
        char text[1024];
        pmc_bounds_text(&r->bound_hits[i], r->priors, text, sizeof text);
        fprintf(out, "warning: %s\n", text);
    }
}

void pmc_inspect_print_text(const pmc_inspect_report *r, FILE *out)
{
    char state[128], reason[256];
    pmc_inspect_state_text(r, state, sizeof state);
    state_reason(r, reason, sizeof reason);
    fprintf(out, "%-12s %s (%s)\n", "path", r->path, kind_name(r->kind));
    fprintf(out, "%-12s %s\n", "model", r->model);
    fprintf(out, "%-12s", "parameters");
    for (size_t k = 0; k < r->d; k++)
        fprintf(out, "%s%s", k ? ", " : " ", r->param_names[k]);
    fprintf(out, "\n%-12s %llu\n", "seed", (unsigned long long)r->seed);
    fprintf(out, "%-12s %zu\n", "particles", r->n);
    fprintf(out, "%-12s %s (%s)\n", "state", state, reason);
    fprintf(out, "%-12s %s (result streams %u, checkpoint format %u)%s\n", "written by",
            r->build.creator, r->build.stream_version, r->build.format_version,
            r->build_compatible ? "" : "; a pmcabc of result streams "
                                       PMC_STRINGIFY(PMC_STREAM_VERSION) " cannot continue it");
    if (r->partial_file && r->kind == PMC_INSPECT_RUN)
        fprintf(out, "%-12s %s\n", "partial", r->partial_file);
    if (r->lock.state != PMC_LOCK_NONE) {
        char lock[PMC_LOCK_TEXT_MAX];
        pmc_lock_status_text(&r->lock, lock, sizeof lock);
        fprintf(out, "%-12s %s%s\n", "lock", lock, r->lock.state == PMC_LOCK_HELD
                ? ": the run is in progress and its state above may change" : "");
    }
    for (size_t i = 0; i < r->n_skipped; i++)
        fprintf(out, "%-12s %s\n", "not usable", r->skipped[i].error);
    if (r->n_rows > 0)
        print_rows(r, out);
    if (r->n_rows > 0 && r->n_models > 0)
        print_model_rows(r, out);
    if (r->has_posterior)
        print_posterior(r, out);
    print_bound_hits(r, out);
}

/* --- JSON --- */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_length(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || (len == 3 && s[0] > 0xef))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong 3- and 4-byte forms, surrogates, code points above U+10FFFF. */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return len;
}

/* RFC 8259 string: quotes, backslash and control characters escaped; a
 * byte that is not valid UTF-8 (a file name can hold any) becomes U+FFFD. */
static void json_string(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    fputc('"', out);
    while (*s) {
        size_t len = utf8_length(s);
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (*s == '\t')
            fputs("\\t", out);
        else if (*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else if (len == 0)
            fputs("\\ufffd", out);
        else
            fwrite(s, 1, len, out);
        s += len ? len : 1;
    }
    fputc('"', out);
}

/* JSON has no NaN or infinity: NaN is null, +-inf the strings "inf", "-inf". */
static void json_number(FILE *out, double x)
{
    if (isnan(x))
        fputs("null", out);
    else if (isinf(x))
        fputs(x > 0 ? "\"inf\"" : "\"-inf\"", out);
    else
        fprintf(out, "%.17g", x);
}

static void json_key(FILE *out, const char *key, int first)
{
    fputs(first ? "\n  " : ",\n  ", out);
    json_string(out, key);
    fputs(": ", out);
}

static void json_meta(FILE *out, const pmc_gen_meta *m)
{
    fprintf(out, "\"generation\": %u, \"epsilon\": ", m->generation);
    json_number(out, m->epsilon);
    fputs(", \"acceptance_rate\": ", out);
    json_number(out, m->acceptance_rate);
    fputs(", \"ess\": ", out);
    json_number(out, m->ess);
    fprintf(out, ", \"gen_simulations\": %llu, \"n_simulations\": %llu, \"wall_time\": ",
            (unsigned long long)m->gen_simulations, (unsigned long long)m->n_simulations);
    json_number(out, m->wall_time);
}

static void json_state(FILE *out, const pmc_inspect_report *r)
{
    char text[128];
    pmc_inspect_state_text(r, text, sizeof text);
    fputs("{\"status\": ", out);
    json_string(out, state_name(r->state));
    fputs(", \"text\": ", out);
    json_string(out, text);
    fputs(", \"stop_rule\": ", out);
    fputs(r->stop_rule ? "true" : "false", out);
    fputs(", \"budget_reached\": ", out);
    fputs(r->budget_reached ? "true" : "false", out);
    if (r->budget_reached) {
        fprintf(out, ", \"max_simulations\": %llu, \"budget_left\": %llu, \"partial_file\": ",
                (unsigned long long)r->budget_max, (unsigned long long)r->budget_left);
        if (r->partial_file)
            json_string(out, r->partial_file);
        else
            fputs("null", out);
    }
    if (r->state == PMC_STATE_FINISHED)
        fputs(", \"next_generation\": null", out);
    else
        fprintf(out, ", \"next_generation\": %u", r->next_generation);
    if (r->state == PMC_STATE_PARTIAL) {
        fprintf(out, ", \"slots_done\": %zu, \"slots_total\": %zu, \"partial_simulations\": %llu, "
                "\"partial_epsilon\": ", r->slots_done, r->n,
                (unsigned long long)r->partial_simulations);
        json_number(out, r->partial_epsilon);
        fputs(", \"partial_file\": ", out);
        json_string(out, r->partial_file);
    }
    fputc('}', out);
}

/* The elements of posterior.bound_warnings (docs/postprocessing.md). */
static void json_bound_hits(FILE *out, const pmc_inspect_report *r)
{
    for (size_t i = 0; i < r->n_bound_hits; i++) {
        const pmc_bound_hit *h = &r->bound_hits[i];
        char text[1024];
        pmc_bounds_text(h, r->priors, text, sizeof text);
        fputs(i ? ",\n      {\"parameter\": " : "\n      {\"parameter\": ", out);
        json_string(out, r->param_names[h->param]);
        fprintf(out, ", \"bound\": \"%s\", \"value\": ", h->upper ? "upper" : "lower");
        json_number(out, h->bound);
        fputs(", \"window_edge\": ", out);
        json_number(out, h->edge);
        fputs(", \"mass\": ", out);
        json_number(out, h->mass);
        fputs(", \"threshold\": ", out);
        json_number(out, h->threshold);
        fputs(", \"text\": ", out);
        json_string(out, text);
        fputc('}', out);
    }
}

/* {"status": "held"|"stale"|"unknown", "text": ..., "host", "pid", "start"},
 * the owner's fields null when the lock file holds no owner line. */
static void json_lock(FILE *out, const pmc_lock_status *l)
{
    char text[PMC_LOCK_TEXT_MAX];
    pmc_lock_status_text(l, text, sizeof text);
    fputs("{\"status\": ", out);
    json_string(out, l->state == PMC_LOCK_HELD ? "held"
                     : l->state == PMC_LOCK_STALE ? "stale" : "unknown");
    fputs(", \"text\": ", out);
    json_string(out, text);
    fputs(", \"host\": ", out);
    if (l->owner_valid) {
        json_string(out, l->host);
        fprintf(out, ", \"pid\": %ld, \"start\": %lld}", l->pid, l->start);
    } else {
        fputs("null, \"pid\": null, \"start\": null}", out);
    }
}

static void json_posterior(FILE *out, const pmc_inspect_report *r)
{
    if (!r->has_posterior) {
        fputs("null", out);
        return;
    }
    fputs("{", out);
    json_meta(out, &r->last);
    fputs(",\n    \"epsilons\": [", out);
    for (size_t i = 0; i < r->n_epsilons; i++) {
        fputs(i ? ", " : "", out);
        json_number(out, r->epsilons[i]);
    }
    fputs("],\n    \"parameters\": [", out);
    for (size_t k = 0; k < r->d; k++) {
        const pmc_marginal_summary *s = &r->summary[k];
        const double v[5] = {s->mean, s->sd, s->q05, s->q50, s->q95};
        const char *names[5] = {"mean", "sd", "q05", "q50", "q95"};
        fputs(k ? ",\n      {\"name\": " : "\n      {\"name\": ", out);
        json_string(out, r->param_names[k]);
        for (size_t j = 0; j < 5; j++) {
            fprintf(out, ", \"%s\": ", names[j]);
            json_number(out, v[j]);
        }
        fputc('}', out);
    }
    fputs("],\n    \"bound_warnings\": [", out);
    json_bound_hits(out, r);
    fputs("]}", out);
}

/* Model choice: {"names": [...], "probabilities": [[per model] per
 * generation, as "generations"]}; null for a run of one model. */
static void json_models(FILE *out, const pmc_inspect_report *r)
{
    if (!r->n_models) {
        fputs("null", out);
        return;
    }
    fputs("{\"names\": [", out);
    for (size_t m = 0; m < r->n_models; m++) {
        fputs(m ? ", " : "", out);
        json_string(out, r->model_labels[m]);
    }
    fputs("], \"probabilities\": [", out);
    for (size_t i = 0; i < r->n_rows; i++) {
        fputs(i ? ", [" : "[", out);
        for (size_t m = 0; m < r->n_models; m++) {
            fputs(m ? ", " : "", out);
            json_number(out, r->rows[i].model_p[m]);
        }
        fputc(']', out);
    }
    fputs("]}", out);
}

void pmc_inspect_print_json(const pmc_inspect_report *r, FILE *out)
{
    fputc('{', out);
    json_key(out, "path", 1);
    json_string(out, r->path);
    json_key(out, "kind", 0);
    json_string(out, r->kind == PMC_INSPECT_RUN ? "run"
                     : r->kind == PMC_INSPECT_GENERATION ? "generation" : "partial");
    json_key(out, "model", 0);
    json_string(out, r->model);
    json_key(out, "parameters", 0);
    fputc('[', out);
    for (size_t k = 0; k < r->d; k++) {
        fputs(k ? ", " : "", out);
        json_string(out, r->param_names[k]);
    }
    fputc(']', out);
    json_key(out, "seed", 0);
    fprintf(out, "%llu", (unsigned long long)r->seed);
    json_key(out, "particles", 0);
    fprintf(out, "%zu", r->n);
    json_key(out, "config", 0);
    fprintf(out, "{\"generations\": %u, \"epsilon_minimum\": ", r->generations);
    json_number(out, r->eps_minimum);
    fprintf(out, ", \"max_simulations\": %llu}", (unsigned long long)r->max_simulations);
    json_key(out, "build", 0);
    fputs("{\"creator\": ", out);
    json_string(out, r->build.creator);
    fprintf(out, ", \"stream_version\": %u, \"format_version\": %u, \"compatible\": %s}",
            r->build.stream_version, r->build.format_version,
            r->build_compatible ? "true" : "false");
    json_key(out, "state", 0);
    json_state(out, r);
    if (r->lock.state != PMC_LOCK_NONE) {
        json_key(out, "lock", 0);
        json_lock(out, &r->lock);
    }
    json_key(out, "generations", 0);
    fputc('[', out);
    for (size_t i = 0; i < r->n_rows; i++) {
        fputs(i ? ",\n    {" : "\n    {", out);
        json_meta(out, &r->rows[i].meta);
        fputs(", \"file\": ", out);
        json_string(out, r->rows[i].file);
        fputc('}', out);
    }
    fputc(']', out);
    json_key(out, "not_usable", 0);
    fputc('[', out);
    for (size_t i = 0; i < r->n_skipped; i++) {
        fputs(i ? ", {\"file\": " : "{\"file\": ", out);
        json_string(out, r->skipped[i].file);
        fputs(", \"error\": ", out);
        json_string(out, r->skipped[i].error);
        fputc('}', out);
    }
    fputc(']', out);
    json_key(out, "models", 0);
    json_models(out, r);
    json_key(out, "posterior", 0);
    json_posterior(out, r);
    fputs("\n}\n", out);
}

/* Contract: see pmc_inspect.h. */
void pmc_inspect_print_json_error(const char *path, const char *message, int exit_code,
                                  FILE *out)
{
    fputc('{', out);
    json_key(out, "path", 1);
    if (path)
        json_string(out, path);
    else
        fputs("null", out);
    json_key(out, "error", 0);
    json_string(out, message);
    json_key(out, "exit", 0);
    fprintf(out, "%d", exit_code);
    fputs("\n}\n", out);
}

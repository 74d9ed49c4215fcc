/* Config parsing: one test per bad input (status + message with FILE:LINE),
 * plus good configs, defaults, overrides, paths and the normalised text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmc_config.h"
#include "pmc_kernel.h"
#include "pmc_test.h"

#define PATH "jobs/g.ini"

/* Line numbers matter: the error tests below replace one of these lines. */
static const char *const good_lines[] = {
    "[run]",                   /* 1 */
    "seed = 42",               /* 2 */
    "particles = 100",         /* 3 */
    "generations = 5",         /* 4 */
    "",                        /* 5 */
    "[epsilon]",               /* 6 */
    "initial = 10",            /* 7 */
    "quantile = 0.5",          /* 8 */
    "",                        /* 9 */
    "[model]",                 /* 10 */
    "name = gaussian",         /* 11 */
    "data = data/heights.csv", /* 12 */
    "",                        /* 13 */
    "[prior]",                 /* 14 */
    "mu = uniform(150, 200)",  /* 15 */
    "sigma = uniform(5, 25)",  /* 16 */
};
#define N_GOOD_LINES (sizeof good_lines / sizeof good_lines[0])

static const char *const good_text_expected =
    "[run]\nseed = 42\nparticles = 100\ngenerations = 5\nmax_simulations = 0\n"
    "checkpoint_dir = checkpoints\ncheckpoint_interval = 600\ntime_limit = 0\nkeep_last = 0\n"
    "progress_interval = 30\n"
    "\n[epsilon]\ninitial = 10\nquantile = 0.5\nminimum = 0\n"
    "\n[model]\nname = gaussian\ndata = jobs/data/heights.csv\n"
    "\n[prior]\nmu = uniform(150, 200)\nsigma = uniform(5, 25)\n"
    "\n[distance]\nname = euclidean\n"
    "\n[mpi]\nchunk = 0\nranks_per_simulation = 1\n";

/* The good config with line `line` (1-based) replaced by `repl`, which may be
 * empty or hold several lines; line 0 replaces nothing. */
static void good_with(size_t line, const char *repl, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_GOOD_LINES; i++)
        len += (size_t)snprintf(out + len, size - len, "%s\n",
                                i + 1 == line ? repl : good_lines[i]);
}

/* pmc_config is large (fixed-size paths); keep it off the stack. */
static pmc_config *new_cfg(void)
{
    pmc_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return cfg;
}

static void expect_text_error(const char *text, const char *const *ov, size_t n_ov,
                              const char *fragment)
{
    pmc_config *cfg = new_cfg();
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_config_parse(text, PATH, ov, n_ov, cfg, &err), PMC_EINVAL);
    PMC_CHECK_INT(err.code, PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, fragment);
    PMC_CHECK(cfg->text == NULL);
    pmc_config_free(cfg);
    free(cfg);
}

/* The good config with one line replaced must fail with `fragment`. */
static void expect_line_error(size_t line, const char *repl, const char *fragment)
{
    char text[4096];
    good_with(line, repl, text, sizeof text);
    expect_text_error(text, NULL, 0, fragment);
}

static void expect_override_error(const char *override, const char *fragment)
{
    char text[4096];
    good_with(0, "", text, sizeof text);
    const char *ov[] = {override};
    expect_text_error(text, ov, 1, fragment);
}

/* Parses text, which must succeed. */
static pmc_config *parse_ok(const char *text, const char *path, const char *const *ov,
                            size_t n_ov)
{
    pmc_config *cfg = new_cfg();
    pmc_err err;
    pmc_err_clear(&err);
    int rc = pmc_config_parse(text, path, ov, n_ov, cfg, &err);
    PMC_CHECK_INT(rc, PMC_OK);
    if (rc != PMC_OK)
        fprintf(stderr, "unexpected error: %s\n", err.msg);
    return cfg;
}

/* Parses the good config (line replaced as in good_with), which must succeed. */
static pmc_config *parse_good(size_t line, const char *repl, const char *const *ov, size_t n_ov)
{
    char text[4096];
    good_with(line, repl, text, sizeof text);
    return parse_ok(text, PATH, ov, n_ov);
}

static void drop_cfg(pmc_config *cfg)
{
    pmc_config_free(cfg);
    free(cfg);
}

/* ---- good configs -------------------------------------------------------- */

PMC_TEST(config_good)
{
    pmc_config *cfg = parse_good(0, "", NULL, 0);
    PMC_CHECK_INT(cfg->seed, 42);
    PMC_CHECK_INT(cfg->particles, 100);
    PMC_CHECK_INT(cfg->generations, 5);
    PMC_CHECK(cfg->eps_initial == 10.0);
    PMC_CHECK(cfg->eps_quantile == 0.5);
    PMC_CHECK(strcmp(cfg->model_name, "gaussian") == 0);
    PMC_CHECK(strcmp(cfg->path, PATH) == 0);
    PMC_CHECK_INT(cfg->n_params, 2);
    PMC_CHECK(strcmp(cfg->prior[0].name, "mu") == 0);
    PMC_CHECK_INT(cfg->prior[0].kind, PMC_PRIOR_UNIFORM);
    PMC_CHECK(cfg->prior[0].p[0] == 150.0 && cfg->prior[0].p[1] == 200.0);
    PMC_CHECK(strcmp(cfg->prior[1].name, "sigma") == 0);
    PMC_CHECK(strcmp(cfg->prior_origin[1].file, PATH) == 0);
    PMC_CHECK_INT(cfg->prior_origin[1].line, 16);
    PMC_CHECK_INT(cfg->n_model_keys, 0);
    PMC_CHECK(cfg->text && strcmp(cfg->text, good_text_expected) == 0);
    drop_cfg(cfg);
}

PMC_TEST(config_defaults)
{
    pmc_config *cfg = parse_good(12, "", NULL, 0);
    PMC_CHECK_INT(cfg->max_simulations, 0);
    PMC_CHECK(strcmp(cfg->checkpoint_dir, "checkpoints") == 0);
    PMC_CHECK(cfg->eps_minimum == 0.0);
    PMC_CHECK(strcmp(cfg->distance_name, "euclidean") == 0);
    PMC_CHECK_INT(cfg->mpi_chunk, 0);
    PMC_CHECK(strcmp(cfg->model_data, "") == 0);
    PMC_CHECK(cfg->text && !strstr(cfg->text, "data ="));
    PMC_CHECK(cfg->checkpoint_interval == 600.0);
    PMC_CHECK(cfg->time_limit == 0.0);
    PMC_CHECK_INT(cfg->keep_last, 0);
    PMC_CHECK_CONTAINS(cfg->text, "\ncheckpoint_dir = checkpoints\ncheckpoint_interval = 600\n"
                                  "time_limit = 0\nkeep_last = 0\nprogress_interval = 30\n\n[epsilon]\n");
    drop_cfg(cfg);
}

/* progress_interval: seconds, finite, >= 0, default 30. */
PMC_TEST(config_progress_interval)
{
    const char *ok[] = {"run.progress_interval=0.5"};
    pmc_config *cfg = parse_good(0, "", ok, 1);
    PMC_CHECK(cfg->progress_interval == 0.5);
    pmc_config_free(cfg);
    free(cfg);
    expect_override_error("run.progress_interval=-1",
                          "--set: [run] progress_interval: -1: expected a number of seconds >= 0");
}

PMC_TEST(config_run_timing_keys)
{
    pmc_config *cfg = parse_good(4,
                                 "generations = 5\ncheckpoint_interval = 30.5\n"
                                 "time_limit = 86100\nkeep_last = 3",
                                 NULL, 0);
    PMC_CHECK(cfg->checkpoint_interval == 30.5);
    PMC_CHECK(cfg->time_limit == 86100.0);
    PMC_CHECK_INT(cfg->keep_last, 3);
    PMC_CHECK_CONTAINS(cfg->text, "\ncheckpoint_interval = 30.5\ntime_limit = 86100\n"
                                  "keep_last = 3\n");
    drop_cfg(cfg);
}

PMC_TEST(config_run_timing_keys_zero)
{
    /* 0 switches periodic saves off; -0 must not print as "-0". */
    pmc_config *cfg = parse_good(4, "generations = 5\ncheckpoint_interval = -0\ntime_limit = 0",
                                 NULL, 0);
    PMC_CHECK(cfg->checkpoint_interval == 0.0);
    PMC_CHECK_CONTAINS(cfg->text, "\ncheckpoint_interval = 0\ntime_limit = 0\n");
    drop_cfg(cfg);
}

PMC_TEST(config_run_timing_keys_override)
{
    const char *ov[] = {"run.time_limit=3600", "run.keep_last=1", "run.checkpoint_interval=0"};
    pmc_config *cfg = parse_good(0, "", ov, 3);
    PMC_CHECK(cfg->time_limit == 3600.0);
    PMC_CHECK_INT(cfg->keep_last, 1);
    PMC_CHECK(cfg->checkpoint_interval == 0.0);
    drop_cfg(cfg);
}

PMC_TEST(config_keep_last_max)
{
    pmc_config *cfg = parse_good(4, "generations = 5\nkeep_last = 4294967295", NULL, 0);
    PMC_CHECK(cfg->keep_last == 4294967295u);
    drop_cfg(cfg);
}

/* ---- origins of names checked later (model, distance) -------------------- */

static void check_origin(const pmc_config_origin *o, const char *file, int line)
{
    PMC_CHECK(strcmp(o->file, file) == 0);
    PMC_CHECK_INT(o->line, line);
}

PMC_TEST(config_origin_model_name)
{
    pmc_config *cfg = parse_good(0, "", NULL, 0);
    check_origin(&cfg->model_name_origin, PATH, 11);
    drop_cfg(cfg);
}

PMC_TEST(config_origin_model_name_override)
{
    const char *ov[] = {"model.name=sir"};
    pmc_config *cfg = parse_good(0, "", ov, 1);
    check_origin(&cfg->model_name_origin, "--set", 0);
    drop_cfg(cfg);
}

PMC_TEST(config_origin_distance_default)
{
    pmc_config *cfg = parse_good(0, "", NULL, 0);
    check_origin(&cfg->distance_origin, PATH, 0);
    drop_cfg(cfg);
}

PMC_TEST(config_origin_distance_file)
{
    pmc_config *cfg = parse_good(16, "sigma = uniform(5, 25)\n[distance]\nname = manhattan", NULL, 0);
    check_origin(&cfg->distance_origin, PATH, 18);
    drop_cfg(cfg);
}

PMC_TEST(config_origin_distance_override)
{
    const char *ov[] = {"distance.name=manhattan"};
    pmc_config *cfg = parse_good(0, "", ov, 1);
    check_origin(&cfg->distance_origin, "--set", 0);
    drop_cfg(cfg);
}

PMC_TEST(config_optional_keys)
{
    pmc_config *cfg = parse_good(
        4,
        "generations = 5\nmax_simulations = 18446744073709551615\ncheckpoint_dir = ck\n"
        "[epsilon]\nminimum = 0.25\n[distance]\nname = manhattan\n[mpi]\nchunk = 8",
        NULL, 0);
    PMC_CHECK(cfg->max_simulations == UINT64_MAX);
    PMC_CHECK(strcmp(cfg->checkpoint_dir, "ck") == 0);
    PMC_CHECK(cfg->eps_minimum == 0.25);
    PMC_CHECK(strcmp(cfg->distance_name, "manhattan") == 0);
    PMC_CHECK_INT(cfg->mpi_chunk, 8);
    drop_cfg(cfg);
}

PMC_TEST(config_comments_and_whitespace)
{
    const char *text = "# job\n; another comment\n\n  [ run ]  # the run\n"
                       "\tseed=42   # trailing comment\nparticles = 100\r\ngenerations = 5\n"
                       "[epsilon]\ninitial = 10\nquantile = 0.5\n[model]\nname = gaussian\n"
                       "data = data/heights.csv\ntag = a#b\n[prior]\nmu = uniform( 150 ,200 )\n"
                       "sigma = uniform(5, 25)";
    pmc_config *cfg = parse_ok(text, PATH, NULL, 0);
    PMC_CHECK_INT(cfg->seed, 42);
    PMC_CHECK_INT(cfg->particles, 100);
    const pmc_config_kv *tag = pmc_config_model_key(cfg, "tag");
    PMC_CHECK(tag && strcmp(tag->value, "a#b") == 0);
    drop_cfg(cfg);
}

PMC_TEST(config_model_keys)
{
    pmc_config *cfg = parse_good(12, "data = data/heights.csv\nnoise_sd = 2.5\nn_obs = 50", NULL, 0);
    PMC_CHECK_INT(cfg->n_model_keys, 2);
    const pmc_config_kv *kv = pmc_config_model_key(cfg, "noise_sd");
    PMC_CHECK(kv && strcmp(kv->value, "2.5") == 0);
    PMC_CHECK(kv && kv->origin.line == 13 && strcmp(kv->origin.file, PATH) == 0);
    PMC_CHECK(pmc_config_model_key(cfg, "absent") == NULL);
    PMC_CHECK_CONTAINS(cfg->text, "data = jobs/data/heights.csv\nnoise_sd = 2.5\nn_obs = 50\n");
    drop_cfg(cfg);
}

PMC_TEST(config_initial_inf)
{
    pmc_config *cfg = parse_good(7, "initial = inf", NULL, 0);
    PMC_CHECK(isinf(cfg->eps_initial) && cfg->eps_initial > 0);
    PMC_CHECK_CONTAINS(cfg->text, "\ninitial = inf\n");
    drop_cfg(cfg);
}

PMC_TEST(config_all_prior_kinds)
{
    pmc_config *cfg = parse_good(16,
                                 "a = normal(0, 1)\nb = lognormal(0, 0.5)\nc = exponential(2)\n"
                                 "d = gamma(2, 3)\ne = beta(2, 5)\nf = truncnormal(0, 1, -1, 2)",
                                 NULL, 0);
    PMC_CHECK_INT(cfg->n_params, 7);
    PMC_CHECK_INT(cfg->prior[6].kind, PMC_PRIOR_TRUNCNORMAL);
    PMC_CHECK(cfg->prior[6].p[3] == 2.0);
    PMC_CHECK_INT(cfg->prior_origin[6].line, 21);
    PMC_CHECK_CONTAINS(cfg->text, "\nmu = uniform(150, 200)\na = normal(0, 1)\n"
                                  "b = lognormal(0, 0.5)\nc = exponential(2)\nd = gamma(2, 3)\n"
                                  "e = beta(2, 5)\nf = truncnormal(0, 1, -1, 2)\n");
    drop_cfg(cfg);
}

/* ---- data path ----------------------------------------------------------- */

PMC_TEST(config_data_relative_to_config_dir)
{
    pmc_config *cfg = parse_good(0, "", NULL, 0);
    PMC_CHECK(strcmp(cfg->model_data, "jobs/data/heights.csv") == 0);
    check_origin(&cfg->model_data_origin, PATH, 12);
    drop_cfg(cfg);
}

PMC_TEST(config_data_absolute)
{
    pmc_config *cfg = parse_good(12, "data = /srv/heights.csv", NULL, 0);
    PMC_CHECK(strcmp(cfg->model_data, "/srv/heights.csv") == 0);
    drop_cfg(cfg);
}

PMC_TEST(config_data_config_in_cwd)
{
    char text[4096];
    good_with(0, "", text, sizeof text);
    pmc_config *cfg = parse_ok(text, "g.ini", NULL, 0);
    PMC_CHECK(strcmp(cfg->model_data, "data/heights.csv") == 0);
    drop_cfg(cfg);
}

PMC_TEST(config_data_override_relative_to_cwd)
{
    const char *ov[] = {"model.data=other.csv"};
    pmc_config *cfg = parse_good(0, "", ov, 1);
    PMC_CHECK(strcmp(cfg->model_data, "other.csv") == 0);
    check_origin(&cfg->model_data_origin, "--set", 0);
    drop_cfg(cfg);
}

/* ---- data columns --------------------------------------------------------- */

PMC_TEST(config_data_columns_normalised)
{
    /* Spelling does not make another run: the stored list is normalised,
     * with quotes only where a name needs them. */
    pmc_config *cfg = parse_good(12, "data = lv.csv\ndata_columns =prey,\"predator\" , \"a, b\"",
                                 NULL, 0);
    PMC_CHECK_STR(cfg->model_data_columns, "prey, predator, \"a, b\"");
    PMC_CHECK_INT(cfg->n_model_data_columns, 3);
    check_origin(&cfg->model_data_columns_origin, PATH, 13);
    PMC_CHECK_CONTAINS(cfg->text, "data = jobs/lv.csv\ndata_columns = prey, predator, \"a, b\"\n");
    PMC_CHECK_INT(cfg->n_model_keys, 0);
    drop_cfg(cfg);
}

PMC_TEST(config_data_columns_default_none)
{
    pmc_config *cfg = parse_good(0, "", NULL, 0);
    PMC_CHECK_STR(cfg->model_data_columns, "");
    PMC_CHECK(strstr(cfg->text, "data_columns") == NULL);
    drop_cfg(cfg);
}

PMC_TEST(config_data_columns_override_empty)
{
    /* An empty --set returns to a file of one number per line. */
    const char *ov[] = {"model.data_columns="};
    pmc_config *cfg = parse_good(12, "data = lv.csv\ndata_columns = prey", ov, 1);
    PMC_CHECK_STR(cfg->model_data_columns, "");
    PMC_CHECK(strstr(cfg->text, "data_columns") == NULL);
    drop_cfg(cfg);
}

PMC_TEST(config_data_columns_empty_name)
{
    expect_line_error(12, "data = lv.csv\ndata_columns = prey,,predator",
                      "jobs/g.ini:13: [model] data_columns: prey,,predator: name 2 is empty: "
                      "expected a comma-separated list of column names");
}

PMC_TEST(config_data_columns_twice)
{
    expect_line_error(12, "data = lv.csv\ndata_columns = prey, predator, prey",
                      "jobs/g.ini:13: [model] data_columns: prey, predator, prey: 'prey' is listed "
                      "twice: expected each column once");
}

PMC_TEST(config_data_columns_bad_quote)
{
    expect_line_error(12, "data = lv.csv\ndata_columns = \"prey",
                      "jobs/g.ini:13: [model] data_columns: \"prey: unterminated quote");
}

PMC_TEST(config_data_columns_without_data)
{
    expect_line_error(12, "data_columns = prey",
                      "jobs/g.ini:12: [model] data_columns: prey: expected [model] data too");
}

/* ---- overrides ----------------------------------------------------------- */

PMC_TEST(config_override_replaces_file_value)
{
    const char *ov[] = {"run.particles=500", " epsilon.quantile = 0.25 ", "run.particles=600"};
    pmc_config *cfg = parse_good(0, "", ov, 3);
    PMC_CHECK_INT(cfg->particles, 600); /* the last --set wins */
    PMC_CHECK(cfg->eps_quantile == 0.25);
    PMC_CHECK_CONTAINS(cfg->text, "\nparticles = 600\n");
    drop_cfg(cfg);
}

PMC_TEST(config_override_supplies_missing_key)
{
    const char *ov[] = {"run.seed=7"};
    pmc_config *cfg = parse_good(2, "", ov, 1);
    PMC_CHECK_INT(cfg->seed, 7);
    drop_cfg(cfg);
}

PMC_TEST(config_override_prior)
{
    const char *ov[] = {"prior.sigma=uniform(1, 2)", "prior.tau=exponential(3)",
                        "model.noise_sd=1"};
    pmc_config *cfg = parse_good(0, "", ov, 3);
    PMC_CHECK_INT(cfg->n_params, 3);
    PMC_CHECK(cfg->prior[1].p[0] == 1.0 && cfg->prior[1].p[1] == 2.0);
    PMC_CHECK(strcmp(cfg->prior_origin[1].file, "--set") == 0);
    PMC_CHECK(strcmp(cfg->prior[2].name, "tau") == 0);
    PMC_CHECK(pmc_config_model_key(cfg, "noise_sd") != NULL);
    drop_cfg(cfg);
}

/* ---- the normalised text ------------------------------------------------- */

PMC_TEST(config_text_deterministic)
{
    /* Same settings, different spelling, order and comments. */
    const char *text = "[prior]\nmu = uniform(1.5e2,200.0)\nsigma=uniform( 5 , 25 )\n"
                       "[model]\ndata = data/heights.csv # the data\nname = gaussian\n"
                       "[epsilon]\nquantile = .5\ninitial = 1e1\nminimum = 0.0\n"
                       "[distance]\nname = euclidean\n"
                       "[run]\ngenerations = 05\nseed = 42\nparticles = 100\n";
    pmc_config *cfg = parse_ok(text, PATH, NULL, 0);
    PMC_CHECK(cfg->text && strcmp(cfg->text, good_text_expected) == 0);
    drop_cfg(cfg);
}

PMC_TEST(config_text_round_trip)
{
    const char *ov[] = {"epsilon.quantile=0.1", "epsilon.initial=inf", "prior.x=normal(0.3, 1e-7)"};
    pmc_config *cfg = parse_good(12, "", ov, 3);
    PMC_CHECK_CONTAINS(cfg->text, "\nquantile = 0.1\n");
    PMC_CHECK_CONTAINS(cfg->text, "\nx = normal(0.3, 1e-07)\n");
    pmc_config *again = parse_ok(cfg->text, PATH, NULL, 0);
    PMC_CHECK(again->text && strcmp(again->text, cfg->text) == 0);
    PMC_CHECK(again->eps_quantile == cfg->eps_quantile);
    PMC_CHECK(again->prior[2].p[1] == cfg->prior[2].p[1]);
    drop_cfg(again);
    drop_cfg(cfg);
}

/* ---- loading from a file ------------------------------------------------- */

PMC_TEST(config_load_file)
{
    char dir[] = "/tmp/pmc_config_XXXXXX";
    PMC_CHECK(mkdtemp(dir) != NULL);
    char path[256], text[4096];
    snprintf(path, sizeof path, "%s/g.ini", dir);
    good_with(0, "", text, sizeof text);
    FILE *f = fopen(path, "w");
    PMC_CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
    pmc_config *cfg = new_cfg();
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_config_load(path, NULL, 0, cfg, &err), PMC_OK);
    char data[300];
    snprintf(data, sizeof data, "%s/data/heights.csv", dir);
    PMC_CHECK(strcmp(cfg->model_data, data) == 0);
    PMC_CHECK(strcmp(cfg->path, path) == 0);
    drop_cfg(cfg);
    remove(path);
    rmdir(dir);
}

PMC_TEST(config_load_missing_file)
{
    pmc_config *cfg = new_cfg();
    pmc_err err;
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_config_load("/nonexistent/g.ini", NULL, 0, cfg, &err), PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, "/nonexistent/g.ini: cannot open config");
    PMC_CHECK(cfg->text == NULL);
    drop_cfg(cfg);
}

/* ---- syntax errors ------------------------------------------------------- */

PMC_TEST(config_line_without_equals)
{
    expect_line_error(3, "particles 100", "jobs/g.ini:3: particles 100: expected 'key = value'");
}

PMC_TEST(config_unterminated_section)
{
    expect_line_error(6, "[epsilon", "jobs/g.ini:6: [epsilon: unterminated section header");
}

PMC_TEST(config_text_after_section)
{
    expect_line_error(6, "[epsilon] x", "jobs/g.ini:6: [epsilon]: unexpected text after ']'");
}

PMC_TEST(config_key_before_section)
{
    expect_line_error(1, "seed = 1", "jobs/g.ini:1: seed: key before any [section] header");
}

PMC_TEST(config_empty_key)
{
    expect_line_error(3, "= 100", "jobs/g.ini:3: 100: expected a key before '='");
}

PMC_TEST(config_unknown_section)
{
    expect_line_error(6, "[epsilonn]",
                      "jobs/g.ini:6: [epsilonn]: unknown section: expected one of [run], [epsilon]");
}

PMC_TEST(config_unknown_key)
{
    expect_line_error(4, "generation = 5",
                      "jobs/g.ini:4: [run] generation: 5: unknown key: expected one of seed, "
                      "particles, generations, max_simulations, checkpoint_dir, "
                      "checkpoint_interval, time_limit, keep_last");
}

PMC_TEST(config_duplicate_key)
{
    expect_line_error(4, "generations = 5\nseed = 7",
                      "jobs/g.ini:5: [run] seed: 7: duplicate key: already set on line 2");
}

PMC_TEST(config_duplicate_model_key)
{
    expect_line_error(12, "sd = 1\nsd = 2",
                      "jobs/g.ini:13: [model] sd: 2: duplicate key: already set on line 12");
}

PMC_TEST(config_duplicate_prior)
{
    expect_line_error(16, "mu = normal(0, 1)",
                      "jobs/g.ini:16: [prior] mu: normal(0, 1): duplicate parameter: already set "
                      "on line 15");
}

/* ---- missing keys -------------------------------------------------------- */

PMC_TEST(config_missing_seed)
{
    expect_line_error(2, "", "jobs/g.ini: [run] seed: missing: expected");
}

PMC_TEST(config_missing_quantile)
{
    expect_line_error(8, "", "jobs/g.ini: [epsilon] quantile: missing: expected a number strictly "
                             "between 0 and 1");
}

PMC_TEST(config_missing_model_name)
{
    expect_line_error(11, "", "jobs/g.ini: [model] name: missing: expected a model name");
}

PMC_TEST(config_missing_priors)
{
    expect_text_error("[run]\nseed = 1\nparticles = 10\ngenerations = 2\n[epsilon]\ninitial = inf\n"
                      "quantile = 0.5\n[model]\nname = gaussian\n[prior]\n",
                      NULL, 0, "jobs/g.ini: [prior]: missing: expected at least one parameter");
}

/* ---- bad numbers --------------------------------------------------------- */

PMC_TEST(config_number_trailing_garbage)
{
    expect_line_error(2, "seed = 42x",
                      "jobs/g.ini:2: [run] seed: 42x: expected a non-negative whole number");
}

PMC_TEST(config_number_empty)
{
    expect_line_error(3, "particles =",
                      "jobs/g.ini:3: [run] particles: (empty): expected a non-negative whole number");
}

PMC_TEST(config_number_nan)
{
    expect_line_error(8, "quantile = nan",
                      "jobs/g.ini:8: [epsilon] quantile: nan: expected a number, not nan");
}

PMC_TEST(config_number_overflow)
{
    expect_line_error(7, "initial = 1e999",
                      "jobs/g.ini:7: [epsilon] initial: 1e999: out of range: expected a finite number");
}

PMC_TEST(config_integer_overflow)
{
    expect_line_error(2, "seed = 18446744073709551616",
                      "jobs/g.ini:2: [run] seed: 18446744073709551616: out of range: expected at "
                      "most 18446744073709551615");
}

PMC_TEST(config_number_negative_unsigned)
{
    expect_line_error(2, "seed = -1",
                      "jobs/g.ini:2: [run] seed: -1: expected a non-negative whole number");
}

PMC_TEST(config_number_not_integer)
{
    expect_line_error(3, "particles = 2.5",
                      "jobs/g.ini:3: [run] particles: 2.5: expected a non-negative whole number");
}

PMC_TEST(config_number_garbage_real)
{
    expect_line_error(8, "quantile = 0.5.1",
                      "jobs/g.ini:8: [epsilon] quantile: 0.5.1: expected a number");
}

/* ---- impossible values --------------------------------------------------- */

PMC_TEST(config_particles_below_two)
{
    expect_line_error(3, "particles = 1",
                      "jobs/g.ini:3: [run] particles: 1: expected at least 2 particles");
}

PMC_TEST(config_generations_zero)
{
    expect_line_error(4, "generations = 0",
                      "jobs/g.ini:4: [run] generations: 0: expected at least 1 generation");
}

PMC_TEST(config_quantile_one)
{
    expect_line_error(8, "quantile = 1",
                      "jobs/g.ini:8: [epsilon] quantile: 1: expected a number strictly between 0 "
                      "and 1");
}

PMC_TEST(config_quantile_zero)
{
    expect_line_error(8, "quantile = 0",
                      "jobs/g.ini:8: [epsilon] quantile: 0: expected a number strictly between 0 "
                      "and 1");
}

PMC_TEST(config_initial_zero)
{
    expect_line_error(7, "initial = 0",
                      "jobs/g.ini:7: [epsilon] initial: 0: expected a positive number or inf");
}

PMC_TEST(config_initial_negative_inf)
{
    expect_line_error(7, "initial = -inf",
                      "jobs/g.ini:7: [epsilon] initial: -inf: expected a positive number or inf");
}

PMC_TEST(config_minimum_negative)
{
    expect_line_error(8, "quantile = 0.5\nminimum = -1",
                      "jobs/g.ini:9: [epsilon] minimum: -1: expected a number >= 0");
}

PMC_TEST(config_minimum_inf)
{
    expect_line_error(8, "quantile = 0.5\nminimum = inf",
                      "jobs/g.ini:9: [epsilon] minimum: inf: expected a finite number");
}

PMC_TEST(config_empty_model_name)
{
    expect_line_error(11, "name =", "jobs/g.ini:11: [model] name: (empty): expected a model name");
}

PMC_TEST(config_checkpoint_interval_negative)
{
    expect_line_error(4, "generations = 5\ncheckpoint_interval = -1",
                      "jobs/g.ini:5: [run] checkpoint_interval: -1: expected a number of seconds "
                      ">= 0");
}

PMC_TEST(config_checkpoint_interval_inf)
{
    expect_line_error(4, "generations = 5\ncheckpoint_interval = inf",
                      "jobs/g.ini:5: [run] checkpoint_interval: inf: expected a finite number");
}

PMC_TEST(config_checkpoint_interval_nan)
{
    expect_line_error(4, "generations = 5\ncheckpoint_interval = nan",
                      "jobs/g.ini:5: [run] checkpoint_interval: nan: expected a number, not nan");
}

PMC_TEST(config_checkpoint_interval_unit)
{
    expect_line_error(4, "generations = 5\ncheckpoint_interval = 10min",
                      "jobs/g.ini:5: [run] checkpoint_interval: 10min: expected a number");
}

PMC_TEST(config_checkpoint_interval_empty)
{
    expect_line_error(4, "generations = 5\ncheckpoint_interval =",
                      "jobs/g.ini:5: [run] checkpoint_interval: (empty): expected a number");
}

PMC_TEST(config_time_limit_negative)
{
    expect_line_error(4, "generations = 5\ntime_limit = -3600",
                      "jobs/g.ini:5: [run] time_limit: -3600: expected a number of seconds >= 0");
}

PMC_TEST(config_time_limit_inf)
{
    expect_line_error(4, "generations = 5\ntime_limit = inf",
                      "jobs/g.ini:5: [run] time_limit: inf: expected a finite number");
}

PMC_TEST(config_time_limit_overflow)
{
    expect_line_error(4, "generations = 5\ntime_limit = 1e999",
                      "jobs/g.ini:5: [run] time_limit: 1e999: out of range: expected a finite "
                      "number");
}

PMC_TEST(config_time_limit_hours)
{
    expect_line_error(4, "generations = 5\ntime_limit = 24h",
                      "jobs/g.ini:5: [run] time_limit: 24h: expected a number");
}

PMC_TEST(config_time_limit_duplicate)
{
    expect_line_error(4, "generations = 5\ntime_limit = 1\ntime_limit = 2",
                      "jobs/g.ini:6: [run] time_limit: 2: duplicate key: already set on line 5");
}

PMC_TEST(config_keep_last_negative)
{
    expect_line_error(4, "generations = 5\nkeep_last = -1",
                      "jobs/g.ini:5: [run] keep_last: -1: expected a non-negative whole number");
}

PMC_TEST(config_keep_last_fraction)
{
    expect_line_error(4, "generations = 5\nkeep_last = 2.5",
                      "jobs/g.ini:5: [run] keep_last: 2.5: expected a non-negative whole number");
}

PMC_TEST(config_keep_last_overflow)
{
    expect_line_error(4, "generations = 5\nkeep_last = 4294967296",
                      "jobs/g.ini:5: [run] keep_last: 4294967296: out of range: expected at most "
                      "4294967295");
}

PMC_TEST(config_keep_last_empty)
{
    expect_line_error(4, "generations = 5\nkeep_last =",
                      "jobs/g.ini:5: [run] keep_last: (empty): expected a non-negative whole "
                      "number");
}

/* ---- bad priors ---------------------------------------------------------- */

PMC_TEST(config_prior_bounds_reversed)
{
    expect_line_error(16, "sigma = uniform(25, 5)",
                      "jobs/g.ini:16: [prior] sigma: uniform(25, 5): lower bound must be below "
                      "upper bound");
}

PMC_TEST(config_prior_unknown_distribution)
{
    expect_line_error(16, "sigma = cauchy(0, 1)",
                      "jobs/g.ini:16: [prior] sigma: cauchy(0, 1): unknown distribution");
}

PMC_TEST(config_prior_name_not_identifier)
{
    expect_line_error(16, "2sigma = uniform(5, 25)",
                      "jobs/g.ini:16: [prior] 2sigma: uniform(5, 25): parameter name must be an "
                      "identifier");
}

PMC_TEST(config_prior_too_many)
{
    char text[8192];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "[run]\nseed = 1\nparticles = 10\ngenerations = 2\n"
                                  "[epsilon]\ninitial = inf\nquantile = 0.5\n"
                                  "[model]\nname = gaussian\n[prior]\n");
    for (int i = 0; i <= PMC_MAX_PARAMS; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "p%d = uniform(0, 1)\n", i);
    char fragment[128];
    snprintf(fragment, sizeof fragment, "jobs/g.ini:%d: [prior] p%d: uniform(0, 1): too many "
             "parameters: expected at most %d", 11 + PMC_MAX_PARAMS, PMC_MAX_PARAMS, PMC_MAX_PARAMS);
    expect_text_error(text, NULL, 0, fragment);
}

/* ---- bad overrides ------------------------------------------------------- */

PMC_TEST(config_override_without_dot)
{
    expect_override_error("seed=1", "--set: seed=1: malformed override: expected section.key=value");
}

PMC_TEST(config_override_without_equals)
{
    expect_override_error("run.seed",
                          "--set: run.seed: malformed override: expected section.key=value");
}

PMC_TEST(config_override_unknown_section)
{
    expect_override_error("runn.seed=1", "--set: [runn]: unknown section");
}

PMC_TEST(config_override_unknown_key)
{
    expect_override_error("run.seeds=1", "--set: [run] seeds: 1: unknown key");
}

PMC_TEST(config_override_bad_value)
{
    expect_override_error("run.particles=1",
                          "--set: [run] particles: 1: expected at least 2 particles");
}

PMC_TEST(config_override_bad_time_limit)
{
    expect_override_error("run.time_limit=-1",
                          "--set: [run] time_limit: -1: expected a number of seconds >= 0");
}

PMC_TEST(config_ranks_per_simulation)
{
    const char *ov[] = {"mpi.ranks_per_simulation=4"};
    pmc_config *cfg = parse_good(0, "", ov, 1);
    PMC_CHECK_INT(cfg->mpi_ranks_per_simulation, 4);
    check_origin(&cfg->mpi_ranks_per_simulation_origin, "--set", 0);
    drop_cfg(cfg);
    cfg = parse_good(0, "", NULL, 0);
    PMC_CHECK_INT(cfg->mpi_ranks_per_simulation, 1);
    drop_cfg(cfg);
}

PMC_TEST(config_ranks_per_simulation_zero)
{
    expect_override_error("mpi.ranks_per_simulation=0",
                          "--set: [mpi] ranks_per_simulation: 0: expected a whole number >= 1");
}

PMC_TEST(config_ranks_per_simulation_negative)
{
    expect_override_error("mpi.ranks_per_simulation=-2", "--set: [mpi] ranks_per_simulation: -2:");
}

PMC_TEST(config_ranks_per_simulation_not_a_number)
{
    expect_override_error("mpi.ranks_per_simulation=two",
                          "--set: [mpi] ranks_per_simulation: two:");
}

PMC_TEST(config_override_bad_prior)
{
    expect_override_error("prior.sigma=uniform(25, 5)",
                          "--set: [prior] sigma: uniform(25, 5): lower bound must be below upper "
                          "bound");
}

/* ---- comparing configs on resume ----------------------------------------- */

/* Effective text of the good config with `line` replaced and overrides ov;
 * owned by the caller. */
static char *text_of(size_t line, const char *repl, const char *const *ov, size_t n_ov)
{
    pmc_config *cfg = parse_good(line, repl, ov, n_ov);
    char *text = cfg->text;
    cfg->text = NULL;
    drop_cfg(cfg);
    return text;
}

/* Diff of the good config with overrides a (stored) against overrides b (now). */
static int diff_overrides(const char *a, const char *b, char *out, size_t out_len)
{
    const char *ova[] = {a}, *ovb[] = {b};
    char *stored = text_of(0, "", ova, a ? 1 : 0);
    char *now = text_of(0, "", ovb, b ? 1 : 0);
    int n = pmc_config_diff(stored, now, out, out_len);
    free(stored);
    free(now);
    return n;
}

static void expect_diff(const char *stored_ov, const char *now_ov, int count,
                        const char *expected_out)
{
    char out[1024];
    PMC_CHECK_INT(diff_overrides(stored_ov, now_ov, out, sizeof out), count);
    if (strcmp(out, expected_out) != 0) {
        fprintf(stderr, "diff output \"%s\", expected \"%s\"\n", out, expected_out);
        pmc_test_failures++;
    }
}

PMC_TEST(config_diff_identical)
{
    expect_diff(NULL, NULL, 0, "");
}

PMC_TEST(config_diff_seed)
{
    expect_diff("run.seed=1", "run.seed=2", 1, "  [run] seed: stored 1, now 2");
}

PMC_TEST(config_diff_particles)
{
    expect_diff(NULL, "run.particles=200", 1, "  [run] particles: stored 100, now 200");
}

PMC_TEST(config_diff_generations_safe)
{
    expect_diff(NULL, "run.generations=50", 0, "");
}

PMC_TEST(config_diff_max_simulations_safe)
{
    expect_diff(NULL, "run.max_simulations=1000", 0, "");
}

PMC_TEST(config_diff_checkpoint_dir_safe)
{
    expect_diff(NULL, "run.checkpoint_dir=/scratch/ck", 0, "");
}

PMC_TEST(config_diff_checkpoint_interval_safe)
{
    expect_diff(NULL, "run.checkpoint_interval=60", 0, "");
}

PMC_TEST(config_diff_time_limit_safe)
{
    expect_diff(NULL, "run.time_limit=3600", 0, "");
}

PMC_TEST(config_diff_keep_last_safe)
{
    expect_diff(NULL, "run.keep_last=2", 0, "");
}

/* A command model's timeout may change on resume (raising it is the fix
 * after a timeout); another model's key of that name may not. */
PMC_TEST(config_diff_command_timeout_safe)
{
    const char *a[] = {"model.name=command", "model.timeout=1"};
    const char *b[] = {"model.name=command", "model.timeout=60"};
    const char *c[] = {"model.name=command"};
    char *stored = text_of(0, "", a, 2), *now = text_of(0, "", b, 2), *none = text_of(0, "", c, 1);
    char out[1024];
    PMC_CHECK_INT(pmc_config_diff(stored, now, out, sizeof out), 0);
    PMC_CHECK_INT(pmc_config_diff(none, now, out, sizeof out), 0);
    PMC_CHECK_INT(pmc_config_diff(stored, none, out, sizeof out), 0);
    free(stored);
    free(now);
    free(none);
    expect_diff("model.timeout=1", "model.timeout=60", 1,
                "  [model] timeout: stored 1, now 60");
}

PMC_TEST(config_diff_mpi_chunk_safe)
{
    expect_diff(NULL, "mpi.chunk=16", 0, "");
}

PMC_TEST(config_diff_ranks_per_simulation_safe)
{
    expect_diff(NULL, "mpi.ranks_per_simulation=2", 0, "");
}

PMC_TEST(config_diff_model_data_safe)
{
    expect_diff(NULL, "model.data=/srv/heights.csv", 0, "");
}

PMC_TEST(config_diff_model_data_added_safe)
{
    char *stored = text_of(12, "", NULL, 0);
    char *now = text_of(0, "", NULL, 0);
    char out[256];
    PMC_CHECK_INT(pmc_config_diff(stored, now, out, sizeof out), 0);
    free(stored);
    free(now);
}

PMC_TEST(config_diff_data_columns)
{
    /* Which columns are read changes the data, so a resume refuses it. */
    expect_diff("model.data_columns=a", "model.data_columns=b", 1,
                "  [model] data_columns: stored a, now b");
}

PMC_TEST(config_diff_prior_changed)
{
    expect_diff(NULL, "prior.sigma=uniform(1, 2)", 1,
                "  [prior] sigma: stored uniform(5, 25), now uniform(1, 2)");
}

PMC_TEST(config_diff_prior_added)
{
    expect_diff(NULL, "prior.tau=normal(0, 1)", 1,
                "  [prior] tau: stored (absent), now normal(0, 1)");
}

PMC_TEST(config_diff_prior_removed)
{
    expect_diff("prior.tau=normal(0, 1)", NULL, 1,
                "  [prior] tau: stored normal(0, 1), now (absent)");
}

/* Only model.data is safe: a parameter that happens to be called "data" is not. */
PMC_TEST(config_diff_prior_named_data)
{
    expect_diff("prior.data=uniform(0, 1)", "prior.data=uniform(0, 2)", 1,
                "  [prior] data: stored uniform(0, 1), now uniform(0, 2)");
}

PMC_TEST(config_diff_prior_reordered)
{
    /* Dropping mu from the file and adding it back with --set puts it last. */
    const char *ov[] = {"prior.mu=uniform(150, 200)"};
    char *stored = text_of(0, "", NULL, 0);
    char *now = text_of(15, "", ov, 1);
    char out[256];
    PMC_CHECK_INT(pmc_config_diff(stored, now, out, sizeof out), 1);
    PMC_CHECK(strcmp(out, "  [prior] order: stored mu, sigma, now sigma, mu") == 0);
    free(stored);
    free(now);
}

PMC_TEST(config_diff_prior_reordered_and_added)
{
    const char *ov[] = {"prior.mu=uniform(150, 200)", "prior.tau=exponential(1)"};
    char *stored = text_of(0, "", NULL, 0);
    char *now = text_of(15, "", ov, 2);
    char out[256];
    PMC_CHECK_INT(pmc_config_diff(stored, now, out, sizeof out), 2);
    PMC_CHECK(strcmp(out, "  [prior] tau: stored (absent), now exponential(1)\n"
                          "  [prior] order: stored mu, sigma, now sigma, mu, tau") == 0);
    free(stored);
    free(now);
}

/* Removing a parameter shifts the others, but their relative order holds. */
PMC_TEST(config_diff_prior_removed_not_reordered)
{
    char *stored = text_of(0, "", NULL, 0);
    char *now = text_of(15, "", NULL, 0);
    char out[256];
    PMC_CHECK_INT(pmc_config_diff(stored, now, out, sizeof out), 1);
    PMC_CHECK(strcmp(out, "  [prior] mu: stored uniform(150, 200), now (absent)") == 0);
    free(stored);
    free(now);
}

PMC_TEST(config_diff_epsilon_quantile)
{
    expect_diff(NULL, "epsilon.quantile=0.25", 1, "  [epsilon] quantile: stored 0.5, now 0.25");
}

PMC_TEST(config_diff_epsilon_minimum)
{
    expect_diff(NULL, "epsilon.minimum=0.1", 1, "  [epsilon] minimum: stored 0, now 0.1");
}

PMC_TEST(config_diff_model_name)
{
    expect_diff(NULL, "model.name=sir", 1, "  [model] name: stored gaussian, now sir");
}

PMC_TEST(config_diff_model_key_added)
{
    expect_diff(NULL, "model.noise_sd=2.5", 1, "  [model] noise_sd: stored (absent), now 2.5");
}

PMC_TEST(config_diff_model_key_changed)
{
    expect_diff("model.noise_sd=2.5", "model.noise_sd=3", 1,
                "  [model] noise_sd: stored 2.5, now 3");
}

PMC_TEST(config_diff_distance)
{
    expect_diff(NULL, "distance.name=manhattan", 1,
                "  [distance] name: stored euclidean, now manhattan");
}

PMC_TEST(config_diff_several)
{
    const char *ova[] = {"run.seed=1", "run.generations=3"};
    const char *ovb[] = {"run.seed=2", "run.generations=9", "epsilon.quantile=0.25"};
    char *stored = text_of(0, "", ova, 2);
    char *now = text_of(0, "", ovb, 3);
    char out[256];
    PMC_CHECK_INT(pmc_config_diff(stored, now, out, sizeof out), 2);
    PMC_CHECK(strcmp(out, "  [run] seed: stored 1, now 2\n"
                          "  [epsilon] quantile: stored 0.5, now 0.25") == 0);
    free(stored);
    free(now);
}

/* Count of the keys of the good config that are not safe to change:
 * seed, particles, 3 epsilon, model name, 2 priors, distance name. */
#define GOOD_UNSAFE_KEYS 9

PMC_TEST(config_diff_garbage_stored)
{
    char *now = text_of(0, "", NULL, 0);
    char out[2048];
    PMC_CHECK_INT(pmc_config_diff("\x01\xff garbage without structure\n[run\n", now, out, sizeof out),
                  1 + GOOD_UNSAFE_KEYS);
    PMC_CHECK_CONTAINS(out, "  stored config: unreadable");
    PMC_CHECK_CONTAINS(out, "\n  [run] seed: stored (absent), now 42\n");
    PMC_CHECK_CONTAINS(out, "\n  [prior] sigma: stored (absent), now uniform(5, 25)");
    PMC_CHECK(!strstr(out, "generations"));
    free(now);
}

PMC_TEST(config_diff_key_before_section)
{
    char out[256];
    PMC_CHECK(pmc_config_diff("seed = 1\n", "[run]\nseed = 1\n", out, sizeof out) == 2);
    PMC_CHECK_CONTAINS(out, "stored config: unreadable");
}

PMC_TEST(config_diff_null_texts)
{
    char *now = text_of(0, "", NULL, 0);
    char out[2048];
    PMC_CHECK_INT(pmc_config_diff(NULL, now, out, sizeof out), 1 + GOOD_UNSAFE_KEYS);
    PMC_CHECK_INT(pmc_config_diff(now, NULL, out, sizeof out), 1 + GOOD_UNSAFE_KEYS);
    PMC_CHECK_CONTAINS(out, "  current config: unreadable");
    PMC_CHECK_CONTAINS(out, "  [run] seed: stored 42, now (absent)");
    /* Two unreadable texts are not "the same config". */
    PMC_CHECK_INT(pmc_config_diff(NULL, NULL, out, sizeof out), 2);
    PMC_CHECK_INT(pmc_config_diff("", "", out, sizeof out), 0);
    free(now);
}

PMC_TEST(config_diff_no_output_buffer)
{
    PMC_CHECK_INT(diff_overrides("run.seed=1", "run.seed=2", NULL, 0), 1);
    PMC_CHECK_INT(diff_overrides("run.seed=1", "run.seed=2", NULL, 100), 1);
}

/* Every size from 1 up: the report stays inside the buffer (ASan checks the
 * heap block is exactly out_len), is NUL-terminated, and ends in "...". */
PMC_TEST(config_diff_truncated)
{
    const char *full = "  [run] seed: stored 1, now 2\n  [epsilon] quantile: stored 0.5, now 0.25";
    const char *ova[] = {"run.seed=1"};
    const char *ovb[] = {"run.seed=2", "epsilon.quantile=0.25"};
    char *stored = text_of(0, "", ova, 1);
    char *now = text_of(0, "", ovb, 2);
    for (size_t len = 1; len <= strlen(full) + 1; len++) {
        char *out = malloc(len);
        PMC_CHECK(out != NULL);
        if (!out)
            break;
        PMC_CHECK_INT(pmc_config_diff(stored, now, out, len), 2);
        size_t n = strlen(out);
        PMC_CHECK_INT(n, len - 1);
        if (len <= strlen(full)) {
            size_t dots = n < 3 ? n : 3;
            PMC_CHECK(strspn(out + n - dots, ".") == dots);
            PMC_CHECK(strncmp(out, full, n - dots) == 0);
        } else {
            PMC_CHECK(strcmp(out, full) == 0);
        }
        free(out);
    }
    free(stored);
    free(now);
}

PMC_TEST(config_particles_upper_limit)
{
    expect_line_error(3, "particles = 1000000000000",
                      "jobs/g.ini:3: [run] particles: 1000000000000: expected at most 100000000 "
                      "particles");
    pmc_config *cfg = parse_good(3, "particles = 100000000", NULL, 0);
    PMC_CHECK_INT(cfg->particles, 100000000);
    drop_cfg(cfg);
}

PMC_TEST(config_leading_bom_skipped)
{
    char text[4096] = "\xEF\xBB\xBF";
    good_with(0, "", text + 3, sizeof text - 3);
    pmc_config *cfg = parse_ok(text, PATH, NULL, 0);
    PMC_CHECK(cfg->text && strcmp(cfg->text, good_text_expected) == 0);
    drop_cfg(cfg);
}

/* Bytes that would not show on a terminal are written as \xNN: a
 * byte-order mark or a no-break space inside a key, a control character
 * in a value. Plain UTF-8 is kept. */
PMC_TEST(config_invisible_bytes_shown_escaped)
{
    expect_line_error(2, "\xEF\xBB\xBFseed = 42",
                      "jobs/g.ini:2: [run] \\xEF\\xBB\\xBFseed: 42: unknown key");
    expect_line_error(3, "particles = 100\xC2\xA0",
                      "jobs/g.ini:3: [run] particles: 100\\xC2\\xA0: expected a non-negative");
    expect_line_error(3, "particles = 1\x01" "00", "[run] particles: 1\\x0100: expected");
    expect_line_error(3, "particles = 100\xFF", "[run] particles: 100\\xFF: expected");
    expect_line_error(3, "particles = 100µ", "[run] particles: 100µ: expected");
}

/* ---- [epsilon] schedules and stopping rules, [kernel] --------------------- */

PMC_TEST(config_schedule_list)
{
    pmc_config *cfg = parse_good(8, "schedule = list\nvalues = 8, 4, 4, 1", NULL, 0);
    PMC_CHECK_INT(cfg->eps_schedule, 2);
    PMC_CHECK_INT(cfg->n_eps_values, 4);
    PMC_CHECK(cfg->eps_values[0] == 8 && cfg->eps_values[3] == 1);
    PMC_CHECK_CONTAINS(cfg->text, "[epsilon]\ninitial = 10\nminimum = 0\nschedule = list\n"
                                  "values = 8, 4, 4, 1\n\n[model]");
    drop_cfg(cfg);
}

PMC_TEST(config_schedule_weighted_and_rules_text)
{
    const char *ov[] = {"epsilon.schedule=weighted_quantile", "epsilon.min_acceptance=0.01",
                        "epsilon.min_change=0.05", "kernel.name=knn", "kernel.neighbours=20"};
    pmc_config *cfg = parse_good(0, "", ov, 5);
    PMC_CHECK_CONTAINS(cfg->text, "quantile = 0.5\nminimum = 0\nschedule = weighted_quantile\n"
                                  "min_acceptance = 0.01\nmin_change = 0.05\n\n[kernel]\n"
                                  "name = knn\nneighbours = 20\n\n[model]");
    PMC_CHECK_INT(cfg->kernel_neighbours, 20);
    drop_cfg(cfg);
}

PMC_TEST(config_schedule_unknown)
{
    expect_line_error(8, "schedule = silk",
                      "jobs/g.ini:8: [epsilon] schedule: silk: expected quantile, "
                      "weighted_quantile, list, acceptance or density_ratio");
}

PMC_TEST(config_schedule_acceptance)
{
    pmc_config *cfg = parse_good(8, "quantile = 0.5\nschedule = acceptance\n"
                                 "target_acceptance = 0.2", NULL, 0);
    PMC_CHECK(cfg->eps_target_acceptance == 0.2);
    PMC_CHECK_CONTAINS(cfg->text, "quantile = 0.5\nminimum = 0\nschedule = acceptance\n"
                                  "target_acceptance = 0.2\n\n[model]");
    drop_cfg(cfg);
}

PMC_TEST(config_schedule_acceptance_needs_target)
{
    expect_line_error(8, "quantile = 0.5\nschedule = acceptance",
                      "jobs/g.ini: [epsilon] target_acceptance: missing: expected a number "
                      "strictly between 0 and 1 for schedule = acceptance");
}

PMC_TEST(config_target_acceptance_without_schedule)
{
    expect_line_error(8, "quantile = 0.5\ntarget_acceptance = 0.2",
                      "jobs/g.ini:9: [epsilon] target_acceptance: only used with schedule = "
                      "acceptance, not quantile");
}

PMC_TEST(config_target_acceptance_one)
{
    expect_line_error(8, "quantile = 0.5\nschedule = acceptance\ntarget_acceptance = 1",
                      "jobs/g.ini:10: [epsilon] target_acceptance: 1: expected a number strictly "
                      "between 0 and 1");
}

PMC_TEST(config_schedule_list_needs_values)
{
    expect_line_error(8, "schedule = list",
                      "jobs/g.ini: [epsilon] values: missing: expected the tolerances of "
                      "generations 1, 2, ... (comma-separated, non-increasing) for schedule = list");
}

PMC_TEST(config_schedule_list_refuses_quantile)
{
    expect_line_error(7, "initial = 10\nschedule = list\nvalues = 1",
                      "jobs/g.ini:10: [epsilon] quantile: 0.5: not used with schedule = list");
}

PMC_TEST(config_values_without_list)
{
    expect_line_error(7, "initial = 10\nvalues = 1",
                      "jobs/g.ini:8: [epsilon] values: only used with schedule = list, not "
                      "quantile");
}

PMC_TEST(config_values_increasing)
{
    expect_line_error(8, "schedule = list\nvalues = 4, 2, 3",
                      "jobs/g.ini:9: [epsilon] values: 4, 2, 3: value 3: 3 is above value 2 (2): "
                      "expected a non-increasing list");
}

PMC_TEST(config_values_not_positive)
{
    expect_line_error(8, "schedule = list\nvalues = 4, 0",
                      "jobs/g.ini:9: [epsilon] values: 4, 0: value 2: expected a comma-separated "
                      "list of finite numbers > 0");
}

PMC_TEST(config_min_acceptance_one)
{
    expect_line_error(8, "quantile = 0.5\nmin_acceptance = 1",
                      "jobs/g.ini:9: [epsilon] min_acceptance: 1: expected a number from 0 (off) "
                      "up to, not including, 1");
}

PMC_TEST(config_min_change_negative)
{
    expect_line_error(8, "quantile = 0.5\nmin_change = -0.1",
                      "jobs/g.ini:9: [epsilon] min_change: -0.1: expected a number from 0 (off) "
                      "up to, not including, 1");
}

PMC_TEST(config_kernel_unknown)
{
    expect_line_error(9, "[kernel]\nname = silverman",
                      "jobs/g.ini:10: [kernel] name: silverman: expected beaumont, componentwise, "
                      "olcm or knn");
}

PMC_TEST(config_kernel_knn_default_neighbours_recorded)
{
    /* 100 particles: ceil(100 / 8) = 13, written into the effective config so
     * that a run started under another default is refused on resume. */
    const char *ov[] = {"kernel.name=knn"};
    pmc_config *cfg = parse_good(0, "", ov, 1);
    PMC_CHECK_INT(cfg->kernel_neighbours, 13);
    PMC_CHECK_CONTAINS(cfg->text, "[kernel]\nname = knn\nneighbours = 13\n\n[model]");
    drop_cfg(cfg);
    PMC_CHECK_INT(pmc_kernel_default_neighbours(1000, 2), 125);
    PMC_CHECK_INT(pmc_kernel_default_neighbours(1001, 2), 126);
    PMC_CHECK_INT(pmc_kernel_default_neighbours(10, 4), 5);  /* at least d + 1 */
    PMC_CHECK_INT(pmc_kernel_default_neighbours(3, 4), 3);   /* at most n */
}

/* ---- model choice ([models], [model.LABEL], [prior.LABEL]) ---------------- */

#define CHOICE_HEAD "[run]\nseed = 1\nparticles = 100\ngenerations = 3\n\n[epsilon]\n" \
                    "initial = inf\nquantile = 0.5\n\n"
#define CHOICE_MODELS "[model.a]\nname = gaussian\n\n[prior.a]\nmu = uniform(0, 1)\n\n" \
                      "[model.b]\nname = ma2\nconstraint = none\n\n[prior.b]\n" \
                      "t1 = uniform(-2, 2)\nt2 = uniform(-1, 1)\n"

PMC_TEST(config_models_joint_list_and_text)
{
    const char *ov[] = {"models.stay=0.8", "model.b.constraint=triangle"};
    pmc_config *cfg = parse_ok(CHOICE_HEAD "[models]\nprior = 0.25, 0.75\n\n" CHOICE_MODELS,
                               PATH, ov, 2);
    PMC_CHECK_INT(cfg->n_models, 2);
    PMC_CHECK_STR(cfg->model_labels[1], "b");
    PMC_CHECK_STR(cfg->model_name, "choice");
    PMC_CHECK_INT(cfg->n_params, 4);
    PMC_CHECK_STR(cfg->prior[0].name, "model");
    PMC_CHECK_INT(cfg->prior[0].kind, PMC_PRIOR_CATEGORICAL);
    PMC_CHECK(cfg->prior[0].p[0] == 0.25 && cfg->prior[0].p[1] == 0.75);
    PMC_CHECK_STR(cfg->prior[1].name, "a.mu");
    PMC_CHECK_STR(cfg->prior[3].name, "b.t2");
    PMC_CHECK_INT(cfg->model_first[1], 2);
    PMC_CHECK_INT(cfg->model_first[2], 4);
    PMC_CHECK(cfg->model_stay == 0.8);
    /* Each model's config: its own model and priors, the run's settings. */
    const pmc_config *b = cfg->models[1];
    PMC_CHECK_STR(b->model_name, "ma2");
    PMC_CHECK_INT(b->n_params, 2);
    PMC_CHECK_STR(b->prior[0].name, "t1");
    PMC_CHECK_INT(b->particles, 100);
    PMC_CHECK_STR(b->model_keys[0].value, "triangle");
    PMC_CHECK_CONTAINS(cfg->text, "[models]\nprior = 0.25, 0.75\nstay = 0.8\n\n[model.a]\n"
                                  "name = gaussian\n\n[prior.a]\nmu = uniform(0, 1)\n\n"
                                  "[model.b]\nname = ma2\nconstraint = triangle\n\n[prior.b]\n"
                                  "t1 = uniform(-2, 2)\nt2 = uniform(-1, 1)\n\n[distance]");
    /* The text reads back as the same run. */
    pmc_config *again = parse_ok(cfg->text, PATH, NULL, 0);
    PMC_CHECK_STR(again->text, cfg->text);
    drop_cfg(again);
    drop_cfg(cfg);
}

PMC_TEST(config_models_default_prior_and_stay)
{
    pmc_config *cfg = parse_ok(CHOICE_HEAD CHOICE_MODELS, PATH, NULL, 0);
    PMC_CHECK(cfg->model_prior[0] == 0.5 && cfg->model_prior[1] == 0.5);
    PMC_CHECK(cfg->model_stay == 0.7);
    PMC_CHECK_CONTAINS(cfg->text, "[models]\nprior = 0.5, 0.5\nstay = 0.7\n");
    drop_cfg(cfg);
}

static void expect_choice_error(const char *text, const char *fragment)
{
    expect_text_error(text, NULL, 0, fragment);
}

PMC_TEST(config_models_errors)
{
    expect_choice_error(CHOICE_HEAD "[model.a]\nname = gaussian\n[prior.a]\nmu = uniform(0, 1)\n",
                        "jobs/g.ini: [model.a]: one model: model choice needs two or more "
                        "[model.LABEL] sections");
    expect_choice_error(CHOICE_HEAD CHOICE_MODELS "[prior]\nx = uniform(0, 1)\n",
                        "jobs/g.ini: [model.a]: a run has either one model");
    expect_choice_error(CHOICE_HEAD "[models]\nprior = 0.5, 0.6\n" CHOICE_MODELS,
                        "jobs/g.ini:11: [models] prior: 2 probabilities summing to 1.1000000000000001: "
                        "expected 2 (one per model, in the order of their sections) summing to 1");
    expect_choice_error(CHOICE_HEAD "[models]\nprior = 1\n" CHOICE_MODELS,
                        "[models] prior: 1 probabilities summing to 1: expected 2");
    expect_choice_error(CHOICE_HEAD "[models]\nstay = 1\n" CHOICE_MODELS,
                        "jobs/g.ini:11: [models] stay: 1: expected a number strictly between 0 "
                        "and 1");
    expect_choice_error(CHOICE_HEAD CHOICE_MODELS "[epsilon]\nschedule = density_ratio\n",
                        "[epsilon] schedule: density_ratio: with several models expected another "
                        "schedule");
    expect_choice_error(CHOICE_HEAD "[kernel]\nname = olcm\n\n" CHOICE_MODELS,
                        "[kernel] name: olcm: with several models expected beaumont or "
                        "componentwise");
    expect_choice_error(CHOICE_HEAD CHOICE_MODELS "[prior.a]\nk = poisson(3)\n",
                        "jobs/g.ini:24: [prior.a] k: with several models expected a continuous "
                        "prior on its own scale");
    expect_choice_error(CHOICE_HEAD CHOICE_MODELS "[model.c]\ndata = x.csv\n[prior.c]\n"
                        "x = uniform(0, 1)\n",
                        "jobs/g.ini: [model.c] name: missing: expected a model name");
    expect_choice_error(CHOICE_HEAD CHOICE_MODELS "[model.c]\nname = gaussian\n",
                        "jobs/g.ini: [prior.c]: missing: expected at least one parameter");
    expect_choice_error(CHOICE_HEAD CHOICE_MODELS "[model.a]\nname = ma2\n",
                        "jobs/g.ini:24: [model.a] name: ma2: duplicate key: already set on line 11");
    expect_choice_error(CHOICE_HEAD CHOICE_MODELS "[model.9x]\nname = ma2\n",
                        "jobs/g.ini:23: [model.9x]: expected a model label after the '.'");
    expect_choice_error(CHOICE_HEAD "[models]\nstay = 0.5\n[model]\nname = gaussian\n[prior]\n"
                        "mu = uniform(0, 1)\n",
                        "jobs/g.ini: [models] stay: only used with two or more models");
}

/* A knn run of a pmcabc whose default was ceil(N / 4) stored no neighbours
 * line; the resolved default now written differs, and the resume is refused
 * with the key named. */
PMC_TEST(config_kernel_knn_old_default_refused_on_resume)
{
    char out[1024];
    const char *ov[] = {"kernel.name=knn"};
    char *now = text_of(0, "", ov, 1);
    const char *old_default = "[kernel]\nname = knn\n\n[model]";
    char *stored = malloc(strlen(now) + 1);
    PMC_CHECK(stored != NULL && strstr(now, "[kernel]") != NULL);
    if (stored && strstr(now, "[kernel]")) {
        /* The same text with the neighbours line taken out. */
        const char *k = strstr(now, "[kernel]");
        const char *m = strstr(k, "[model]");
        size_t head = (size_t)(k - now);
        memcpy(stored, now, head);
        strcpy(stored + head, old_default);
        strcat(stored, m + strlen("[model]"));
        PMC_CHECK_INT(pmc_config_diff(stored, now, out, sizeof out), 1);
        PMC_CHECK_CONTAINS(out, "[kernel] neighbours: stored (absent), now 13");
    }
    free(stored);
    free(now);
}

PMC_TEST(config_schedule_density_ratio_keep_last_one)
{
    char text[4096];
    good_with(0, "", text, sizeof text);
    const char *ov[] = {"epsilon.schedule=density_ratio", "run.keep_last=1"};
    expect_text_error(text, ov, 2, "jobs/g.ini: [run] keep_last: 1: schedule = density_ratio "
                                 "compares the last two generations, and a resumed run reads both "
                                 "files; expected 0 (keep all) or at least 2");
    const char *ok[] = {"epsilon.schedule=density_ratio", "run.keep_last=2"};
    pmc_config *cfg = parse_good(0, "", ok, 2);
    PMC_CHECK_CONTAINS(cfg->text, "schedule = density_ratio\n");
    drop_cfg(cfg);
}

PMC_TEST(config_kernel_neighbours_without_knn)
{
    expect_line_error(9, "[kernel]\nname = olcm\nneighbours = 5",
                      "jobs/g.ini:11: [kernel] neighbours: only used with name = knn, not olcm");
}

PMC_TEST(config_kernel_neighbours_above_particles)
{
    expect_line_error(9, "[kernel]\nname = knn\nneighbours = 101",
                      "jobs/g.ini:11: [kernel] neighbours: 101: expected at most [run] particles "
                      "(100)");
}

PMC_TEST(config_kernel_neighbours_one)
{
    expect_line_error(9, "[kernel]\nname = knn\nneighbours = 1",
                      "jobs/g.ini:11: [kernel] neighbours: 1: expected a whole number >= 2");
}

PMC_TEST(config_kernel_neighbours_below_parameters)
{
    /* Two parameters: 2 neighbours span a line, a singular covariance. */
    expect_line_error(9, "[kernel]\nname = knn\nneighbours = 2",
                      "jobs/g.ini:11: [kernel] neighbours: 2: expected at least the number of "
                      "parameters + 1 (3): fewer points give a singular covariance");
}

PMC_TEST(config_kernel_beaumont_text_unchanged)
{
    /* Naming the default kernel gives the text of a config without it, so a
     * run started either way resumes the other. */
    const char *ov[] = {"kernel.name=beaumont", "epsilon.schedule=quantile",
                        "epsilon.min_change=0"};
    pmc_config *cfg = parse_good(0, "", ov, 3);
    PMC_CHECK(cfg->text && strcmp(cfg->text, good_text_expected) == 0);
    drop_cfg(cfg);
}

PMC_TEST(config_diff_stopping_rules_safe)
{
    expect_diff(NULL, "epsilon.min_acceptance=0.02", 0, "");
    expect_diff("epsilon.min_change=0.1", "epsilon.min_change=0.2", 0, "");
}

PMC_TEST(config_diff_kernel_and_schedule)
{
    expect_diff(NULL, "kernel.name=olcm", 1, "  [kernel] name: stored (absent), now olcm");
    expect_diff(NULL, "epsilon.schedule=weighted_quantile", 1,
                "  [epsilon] schedule: stored (absent), now weighted_quantile");
}

const pmc_test_case pmc_tests_config[] = {
    PMC_TEST_ENTRY(config_schedule_list),
    PMC_TEST_ENTRY(config_schedule_weighted_and_rules_text),
    PMC_TEST_ENTRY(config_schedule_unknown),
    PMC_TEST_ENTRY(config_schedule_acceptance),
    PMC_TEST_ENTRY(config_schedule_acceptance_needs_target),
    PMC_TEST_ENTRY(config_target_acceptance_without_schedule),
    PMC_TEST_ENTRY(config_target_acceptance_one),
    PMC_TEST_ENTRY(config_schedule_list_needs_values),
    PMC_TEST_ENTRY(config_schedule_list_refuses_quantile),
    PMC_TEST_ENTRY(config_values_without_list),
    PMC_TEST_ENTRY(config_values_increasing),
    PMC_TEST_ENTRY(config_values_not_positive),
    PMC_TEST_ENTRY(config_min_acceptance_one),
    PMC_TEST_ENTRY(config_min_change_negative),
    PMC_TEST_ENTRY(config_kernel_unknown),
    PMC_TEST_ENTRY(config_kernel_knn_default_neighbours_recorded),
    PMC_TEST_ENTRY(config_models_joint_list_and_text),
    PMC_TEST_ENTRY(config_models_default_prior_and_stay),
    PMC_TEST_ENTRY(config_models_errors),
    PMC_TEST_ENTRY(config_kernel_knn_old_default_refused_on_resume),
    PMC_TEST_ENTRY(config_schedule_density_ratio_keep_last_one),
    PMC_TEST_ENTRY(config_kernel_neighbours_without_knn),
    PMC_TEST_ENTRY(config_kernel_neighbours_above_particles),
    PMC_TEST_ENTRY(config_kernel_neighbours_one),
    PMC_TEST_ENTRY(config_kernel_neighbours_below_parameters),
    PMC_TEST_ENTRY(config_kernel_beaumont_text_unchanged),
    PMC_TEST_ENTRY(config_diff_stopping_rules_safe),
    PMC_TEST_ENTRY(config_diff_kernel_and_schedule),
    PMC_TEST_ENTRY(config_good),
    PMC_TEST_ENTRY(config_defaults),
    PMC_TEST_ENTRY(config_run_timing_keys),
    PMC_TEST_ENTRY(config_run_timing_keys_zero),
    PMC_TEST_ENTRY(config_run_timing_keys_override),
    PMC_TEST_ENTRY(config_keep_last_max),
    PMC_TEST_ENTRY(config_origin_model_name),
    PMC_TEST_ENTRY(config_origin_model_name_override),
    PMC_TEST_ENTRY(config_origin_distance_default),
    PMC_TEST_ENTRY(config_origin_distance_file),
    PMC_TEST_ENTRY(config_origin_distance_override),
    PMC_TEST_ENTRY(config_optional_keys),
    PMC_TEST_ENTRY(config_comments_and_whitespace),
    PMC_TEST_ENTRY(config_model_keys),
    PMC_TEST_ENTRY(config_initial_inf),
    PMC_TEST_ENTRY(config_all_prior_kinds),
    PMC_TEST_ENTRY(config_data_relative_to_config_dir),
    PMC_TEST_ENTRY(config_data_absolute),
    PMC_TEST_ENTRY(config_data_config_in_cwd),
    PMC_TEST_ENTRY(config_data_override_relative_to_cwd),
    PMC_TEST_ENTRY(config_data_columns_normalised),
    PMC_TEST_ENTRY(config_data_columns_default_none),
    PMC_TEST_ENTRY(config_data_columns_override_empty),
    PMC_TEST_ENTRY(config_data_columns_empty_name),
    PMC_TEST_ENTRY(config_data_columns_twice),
    PMC_TEST_ENTRY(config_data_columns_bad_quote),
    PMC_TEST_ENTRY(config_data_columns_without_data),
    PMC_TEST_ENTRY(config_diff_data_columns),
    PMC_TEST_ENTRY(config_override_replaces_file_value),
    PMC_TEST_ENTRY(config_override_supplies_missing_key),
    PMC_TEST_ENTRY(config_override_prior),
    PMC_TEST_ENTRY(config_text_deterministic),
    PMC_TEST_ENTRY(config_text_round_trip),
    PMC_TEST_ENTRY(config_load_file),
    PMC_TEST_ENTRY(config_load_missing_file),
    PMC_TEST_ENTRY(config_progress_interval),
    PMC_TEST_ENTRY(config_line_without_equals),
    PMC_TEST_ENTRY(config_unterminated_section),
    PMC_TEST_ENTRY(config_text_after_section),
    PMC_TEST_ENTRY(config_key_before_section),
    PMC_TEST_ENTRY(config_empty_key),
    PMC_TEST_ENTRY(config_unknown_section),
    PMC_TEST_ENTRY(config_unknown_key),
    PMC_TEST_ENTRY(config_duplicate_key),
    PMC_TEST_ENTRY(config_duplicate_model_key),
    PMC_TEST_ENTRY(config_duplicate_prior),
    PMC_TEST_ENTRY(config_missing_seed),
    PMC_TEST_ENTRY(config_missing_quantile),
    PMC_TEST_ENTRY(config_missing_model_name),
    PMC_TEST_ENTRY(config_missing_priors),
    PMC_TEST_ENTRY(config_number_trailing_garbage),
    PMC_TEST_ENTRY(config_number_empty),
    PMC_TEST_ENTRY(config_number_nan),
    PMC_TEST_ENTRY(config_number_overflow),
    PMC_TEST_ENTRY(config_integer_overflow),
    PMC_TEST_ENTRY(config_number_negative_unsigned),
    PMC_TEST_ENTRY(config_number_not_integer),
    PMC_TEST_ENTRY(config_number_garbage_real),
    PMC_TEST_ENTRY(config_particles_below_two),
    PMC_TEST_ENTRY(config_generations_zero),
    PMC_TEST_ENTRY(config_quantile_one),
    PMC_TEST_ENTRY(config_quantile_zero),
    PMC_TEST_ENTRY(config_initial_zero),
    PMC_TEST_ENTRY(config_initial_negative_inf),
    PMC_TEST_ENTRY(config_minimum_negative),
    PMC_TEST_ENTRY(config_minimum_inf),
    PMC_TEST_ENTRY(config_empty_model_name),
    PMC_TEST_ENTRY(config_checkpoint_interval_negative),
    PMC_TEST_ENTRY(config_checkpoint_interval_inf),
    PMC_TEST_ENTRY(config_checkpoint_interval_nan),
    PMC_TEST_ENTRY(config_checkpoint_interval_unit),
    PMC_TEST_ENTRY(config_checkpoint_interval_empty),
    PMC_TEST_ENTRY(config_time_limit_negative),
    PMC_TEST_ENTRY(config_time_limit_inf),
    PMC_TEST_ENTRY(config_time_limit_overflow),
    PMC_TEST_ENTRY(config_time_limit_hours),
    PMC_TEST_ENTRY(config_time_limit_duplicate),
    PMC_TEST_ENTRY(config_keep_last_negative),
    PMC_TEST_ENTRY(config_keep_last_fraction),
    PMC_TEST_ENTRY(config_keep_last_overflow),
    PMC_TEST_ENTRY(config_keep_last_empty),
    PMC_TEST_ENTRY(config_prior_bounds_reversed),
    PMC_TEST_ENTRY(config_prior_unknown_distribution),
    PMC_TEST_ENTRY(config_prior_name_not_identifier),
    PMC_TEST_ENTRY(config_prior_too_many),
    PMC_TEST_ENTRY(config_override_without_dot),
    PMC_TEST_ENTRY(config_override_without_equals),
    PMC_TEST_ENTRY(config_override_unknown_section),
    PMC_TEST_ENTRY(config_override_unknown_key),
    PMC_TEST_ENTRY(config_override_bad_value),
    PMC_TEST_ENTRY(config_override_bad_time_limit),
    PMC_TEST_ENTRY(config_override_bad_prior),
    PMC_TEST_ENTRY(config_diff_identical),
    PMC_TEST_ENTRY(config_diff_seed),
    PMC_TEST_ENTRY(config_diff_particles),
    PMC_TEST_ENTRY(config_diff_generations_safe),
    PMC_TEST_ENTRY(config_diff_max_simulations_safe),
    PMC_TEST_ENTRY(config_diff_checkpoint_dir_safe),
    PMC_TEST_ENTRY(config_diff_checkpoint_interval_safe),
    PMC_TEST_ENTRY(config_diff_time_limit_safe),
    PMC_TEST_ENTRY(config_diff_keep_last_safe),
    PMC_TEST_ENTRY(config_diff_command_timeout_safe),
    PMC_TEST_ENTRY(config_diff_mpi_chunk_safe),
    PMC_TEST_ENTRY(config_diff_ranks_per_simulation_safe),
    PMC_TEST_ENTRY(config_ranks_per_simulation),
    PMC_TEST_ENTRY(config_ranks_per_simulation_zero),
    PMC_TEST_ENTRY(config_ranks_per_simulation_negative),
    PMC_TEST_ENTRY(config_ranks_per_simulation_not_a_number),
    PMC_TEST_ENTRY(config_diff_model_data_safe),
    PMC_TEST_ENTRY(config_diff_model_data_added_safe),
    PMC_TEST_ENTRY(config_diff_prior_changed),
    PMC_TEST_ENTRY(config_diff_prior_added),
    PMC_TEST_ENTRY(config_diff_prior_removed),
    PMC_TEST_ENTRY(config_diff_prior_named_data),
    PMC_TEST_ENTRY(config_diff_prior_reordered),
    PMC_TEST_ENTRY(config_diff_prior_reordered_and_added),
    PMC_TEST_ENTRY(config_diff_prior_removed_not_reordered),
    PMC_TEST_ENTRY(config_diff_epsilon_quantile),
    PMC_TEST_ENTRY(config_diff_epsilon_minimum),
    PMC_TEST_ENTRY(config_diff_model_name),
    PMC_TEST_ENTRY(config_diff_model_key_added),
    PMC_TEST_ENTRY(config_diff_model_key_changed),
    PMC_TEST_ENTRY(config_diff_distance),
    PMC_TEST_ENTRY(config_diff_several),
    PMC_TEST_ENTRY(config_diff_garbage_stored),
    PMC_TEST_ENTRY(config_diff_key_before_section),
    PMC_TEST_ENTRY(config_diff_null_texts),
    PMC_TEST_ENTRY(config_diff_no_output_buffer),
    PMC_TEST_ENTRY(config_diff_truncated),
    PMC_TEST_ENTRY(config_particles_upper_limit),
    PMC_TEST_ENTRY(config_leading_bom_skipped),
    PMC_TEST_ENTRY(config_invisible_bytes_shown_escaped),
    {NULL, NULL},
};

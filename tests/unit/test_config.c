/* Config parsing: one test per bad input (status + message with FILE:LINE),
 * plus good configs, defaults, overrides, paths and the normalised text. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "pmc_config.h"
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
    "checkpoint_dir = checkpoints\n"
    "\n[epsilon]\ninitial = 10\nquantile = 0.5\nminimum = 0\n"
    "\n[model]\nname = gaussian\ndata = jobs/data/heights.csv\n"
    "\n[prior]\nmu = uniform(150, 200)\nsigma = uniform(5, 25)\n"
    "\n[distance]\nname = euclidean\n"
    "\n[mpi]\nchunk = 0\n";

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
    PMC_CHECK(strcmp(cfg->model_data_origin.file, PATH) == 0);
    PMC_CHECK_INT(cfg->model_data_origin.line, 12);
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
    PMC_CHECK(strcmp(cfg->model_data_origin.file, "--set") == 0);
    PMC_CHECK_INT(cfg->model_data_origin.line, 0);
    drop_cfg(cfg);
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
                      "particles, generations, max_simulations, checkpoint_dir");
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

PMC_TEST(config_override_bad_prior)
{
    expect_override_error("prior.sigma=uniform(25, 5)",
                          "--set: [prior] sigma: uniform(25, 5): lower bound must be below upper "
                          "bound");
}

const pmc_test_case pmc_tests_config[] = {
    PMC_TEST_ENTRY(config_good),
    PMC_TEST_ENTRY(config_defaults),
    PMC_TEST_ENTRY(config_optional_keys),
    PMC_TEST_ENTRY(config_comments_and_whitespace),
    PMC_TEST_ENTRY(config_model_keys),
    PMC_TEST_ENTRY(config_initial_inf),
    PMC_TEST_ENTRY(config_all_prior_kinds),
    PMC_TEST_ENTRY(config_data_relative_to_config_dir),
    PMC_TEST_ENTRY(config_data_absolute),
    PMC_TEST_ENTRY(config_data_config_in_cwd),
    PMC_TEST_ENTRY(config_data_override_relative_to_cwd),
    PMC_TEST_ENTRY(config_override_replaces_file_value),
    PMC_TEST_ENTRY(config_override_supplies_missing_key),
    PMC_TEST_ENTRY(config_override_prior),
    PMC_TEST_ENTRY(config_text_deterministic),
    PMC_TEST_ENTRY(config_text_round_trip),
    PMC_TEST_ENTRY(config_load_file),
    PMC_TEST_ENTRY(config_load_missing_file),
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
    PMC_TEST_ENTRY(config_prior_bounds_reversed),
    PMC_TEST_ENTRY(config_prior_unknown_distribution),
    PMC_TEST_ENTRY(config_prior_name_not_identifier),
    PMC_TEST_ENTRY(config_prior_too_many),
    PMC_TEST_ENTRY(config_override_without_dot),
    PMC_TEST_ENTRY(config_override_without_equals),
    PMC_TEST_ENTRY(config_override_unknown_section),
    PMC_TEST_ENTRY(config_override_unknown_key),
    PMC_TEST_ENTRY(config_override_bad_value),
    PMC_TEST_ENTRY(config_override_bad_prior),
    {NULL, NULL},
};

/* pmcabc: command-line entry point. Parses argv, then hands over to the
 * engine library; the only place that turns a status into an exit code. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_checkpoint.h"
#include "pmc_config.h"
#include "pmc_error.h"
#include "pmc_inspect.h"
#include "pmc_log.h"
#include "pmc_pmcabc.h"
#include "pmc_schedule.h"
#include "pmc_version.h"

#define MAX_OVERRIDES 256

static const char usage_text[] =
    "Usage:\n"
    "  pmcabc run CONFIG.ini [--set SECTION.KEY=VALUE ...] [--restart=auto|never|require]\n"
    "                        [--time-limit SECONDS] [--quiet | --verbose]\n"
    "  pmcabc inspect PATH [--json]\n"
    "  pmcabc inspect --config CONFIG.ini [--set SECTION.KEY=VALUE ...] [--json]\n"
    "  pmcabc --help\n"
    "  pmcabc --version\n"
    "\n"
    "Population Monte Carlo ABC (Beaumont et al. 2009) over MPI ranks with HDF5\n"
    "checkpoints. Start on several ranks with `mpiexec.mpich -n 4 pmcabc run CONFIG`;\n"
    "results are bit-identical for any number of ranks.\n"
    "\n"
    "Commands:\n"
    "  run CONFIG.ini      run the inference described by CONFIG.ini (docs/config.md);\n"
    "                      writes CHECKPOINT_DIR/gen-NNNN.h5 after each generation and\n"
    "                      resumes from the newest valid one if the directory holds a run\n"
    "  inspect PATH        describe a run directory, a gen-NNNN.h5 or a partial-NNNN.h5:\n"
    "                      model, state (finished, resumable, partial), one line per\n"
    "                      generation and the posterior summary (docs/postprocessing.md);\n"
    "                      reads only, on rank 0; exit 2 if PATH is missing or damaged;\n"
    "                      says whether a running pmcabc holds the directory's lock\n"
    "\n"
    "Options:\n"
    "  --set S.K=V         override key K of section S of the config (repeatable),\n"
    "                      e.g. --set run.particles=2000 --set epsilon.quantile=0.3\n"
    "  --restart=MODE      auto (default): resume an existing run, else start one;\n"
    "                      never: refuse to touch an existing run; require: fail if\n"
    "                      there is nothing to resume\n"
    "  --time-limit S      stop with a checkpoint before S seconds of wall time have\n"
    "                      passed (exit 75); overrides [run] time_limit\n"
    "  --quiet             log warnings and errors only\n"
    "  --verbose           log debug messages too\n"
    "  --config FILE       inspect: the run directory of config FILE (its\n"
    "                      checkpoint_dir after any --set), the one `run FILE` uses\n"
    "  --json              inspect: print the report as one JSON object; on failure\n"
    "                      {\"path\": ..., \"error\": ..., \"exit\": CODE}, same exit code\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Exit codes:\n"
    "  0   finished (generations done, epsilon minimum or simulation budget reached)\n"
    "  1   runtime error (model failure, I/O error, out of memory)\n"
    "  2   invalid usage, config, data or model definition (nothing was written)\n"
    "  75  interrupted (SIGTERM, SIGUSR1, SIGINT or time limit) with a resumable\n"
    "      checkpoint on disk: run the same command again to continue\n";

typedef struct {
    const char *config;
    const char *overrides[MAX_OVERRIDES];
    size_t n_overrides;
    pmc_log_level level;
    pmc_run_options run;
    int help, version;
    const char *inspect;        /* `inspect PATH` */
    const char *inspect_config; /* `inspect --config FILE` (overrides: --set) */
    int inspecting;             /* the command is inspect */
    int json;
} cli_args;

static int parse_restart(const char *v, pmc_restart_mode *mode, pmc_err *err)
{
    if (!strcmp(v, "auto"))
        *mode = PMC_RESTART_AUTO;
    else if (!strcmp(v, "never"))
        *mode = PMC_RESTART_NEVER;
    else if (!strcmp(v, "require"))
        *mode = PMC_RESTART_REQUIRE;
    else
        return pmc_err_set(err, PMC_EINVAL, "--restart=%s: expected auto, never or require", v);
    return PMC_OK;
}

static int parse_time_limit(const char *v, double *out, pmc_err *err)
{
    char *end = NULL;
    double t = v ? strtod(v, &end) : -1.0;
    if (!v || end == v || *end != '\0' || !(t > 0.0) || !isfinite(t))
        return pmc_err_set(err, PMC_EINVAL, "--time-limit %s: expected a positive number of "
                           "seconds", v ? v : "(missing)");
    *out = t;
    return PMC_OK;
}

/* The value of "--opt=V" or "--opt V"; NULL if missing. */
static const char *option_value(int argc, char **argv, int *i, size_t optlen)
{
    const char *arg = argv[*i];
    if (arg[optlen] == '=')
        return arg + optlen + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

/* Adds the value of `--set V` / `--set=V` at argv[*i] to a's overrides. */
static int take_override(int argc, char **argv, int *i, cli_args *a, pmc_err *err)
{
    const char *arg = argv[*i];
    const char *v = arg[5] == '=' ? arg + 6 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!v)
        return pmc_err_set(err, PMC_EINVAL, "--set needs SECTION.KEY=VALUE");
    if (a->n_overrides == MAX_OVERRIDES)
        return pmc_err_set(err, PMC_EINVAL, "too many --set options (at most %d)",
                           MAX_OVERRIDES);
    a->overrides[a->n_overrides++] = v;
    return PMC_OK;
}

/* `inspect PATH [--json]` or `inspect --config FILE [--set S.K=V ...]
 * [--json]`. --json is looked for first, so that a usage error is reported
 * as JSON too. Returns PMC_OK or PMC_EINVAL with the problem in err. */
static int parse_inspect_args(int argc, char **argv, cli_args *a, pmc_err *err)
{
    const char *path = NULL;
    for (int i = 2; i < argc; i++)
        a->json |= !strcmp(argv[i], "--json");
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        int rc = PMC_OK;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            a->help = 1;
        } else if (!strcmp(arg, "--json")) {
            continue;
        } else if (!strcmp(arg, "--config") || !strncmp(arg, "--config=", 9)) {
            a->inspect_config = option_value(argc, argv, &i, 8);
            if (!a->inspect_config)
                return pmc_err_set(err, PMC_EINVAL, "inspect: --config needs a CONFIG.ini");
        } else if (!strcmp(arg, "--set") || !strncmp(arg, "--set=", 6)) {
            rc = take_override(argc, argv, &i, a, err);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            rc = pmc_err_set(err, PMC_EINVAL, "inspect: unknown option '%s' (expected --json, "
                             "--config or --set)", arg);
        } else if (!path) {
            path = arg;
        } else {
            rc = pmc_err_set(err, PMC_EINVAL, "inspect: unexpected argument '%s': one run "
                             "directory or checkpoint file only", arg);
        }
        if (rc != PMC_OK)
            return rc;
    }
    if (path && a->inspect_config)
        return pmc_err_set(err, PMC_EINVAL, "inspect: both PATH '%s' and --config %s: give one",
                           path, a->inspect_config);
    if (a->n_overrides > 0 && !a->inspect_config)
        return pmc_err_set(err, PMC_EINVAL, "inspect: --set applies to --config CONFIG.ini only");
    if (!path && !a->inspect_config && !a->help)
        return pmc_err_set(err, PMC_EINVAL, "inspect: missing PATH (a run directory or a "
                           "gen-NNNN.h5 / partial-NNNN.h5 file) or --config CONFIG.ini");
    a->inspect = path;
    return PMC_OK;
}

/* Returns PMC_OK or PMC_EINVAL with the problem in err. */
static int parse_args(int argc, char **argv, cli_args *a, pmc_err *err)
{
    memset(a, 0, sizeof *a);
    a->level = PMC_LOG_INFO;
    a->run.restart = PMC_RESTART_AUTO;
    a->run.time_limit = -1.0;
    if (argc < 2)
        return pmc_err_set(err, PMC_EINVAL, "no command given (try `pmcabc --help`)");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        a->help = 1;
        return PMC_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        a->version = 1;
        return PMC_OK;
    }
    if (!strcmp(cmd, "inspect")) {
        a->inspecting = 1;
        return parse_inspect_args(argc, argv, a, err);
    }
    if (strcmp(cmd, "run") != 0)
        return pmc_err_set(err, PMC_EINVAL, "unknown command '%s' (expected `run`, `inspect`, "
                           "`--help` or `--version`)", cmd);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            a->help = 1;
        } else if (!strcmp(arg, "--set") || !strncmp(arg, "--set=", 6)) {
            int rc = take_override(argc, argv, &i, a, err);
            if (rc != PMC_OK)
                return rc;
        } else if (!strcmp(arg, "--restart") || !strncmp(arg, "--restart=", 10)) {
            const char *v = option_value(argc, argv, &i, 9);
            int rc = v ? parse_restart(v, &a->run.restart, err)
                       : pmc_err_set(err, PMC_EINVAL, "--restart needs auto, never or require");
            if (rc != PMC_OK)
                return rc;
        } else if (!strcmp(arg, "--time-limit") || !strncmp(arg, "--time-limit=", 13)) {
            int rc = parse_time_limit(option_value(argc, argv, &i, 12), &a->run.time_limit, err);
            if (rc != PMC_OK)
                return rc;
        } else if (!strcmp(arg, "--quiet")) {
            a->level = PMC_LOG_WARN;
        } else if (!strcmp(arg, "--verbose")) {
            a->level = PMC_LOG_DEBUG;
        } else if (arg[0] == '-') {
            return pmc_err_set(err, PMC_EINVAL, "unknown option '%s' (try `pmcabc --help`)", arg);
        } else if (!a->config) {
            a->config = arg;
        } else {
            return pmc_err_set(err, PMC_EINVAL, "unexpected argument '%s': one config file only",
                               arg);
        }
    }
    if (!a->config && !a->help)
        return pmc_err_set(err, PMC_EINVAL, "run: missing CONFIG.ini (try `pmcabc --help`)");
    return PMC_OK;
}

static int run_command(const cli_args *a, pmc_schedule *s, pmc_err *err)
{
    pmc_config cfg;
    int rc = pmc_config_load(a->config, a->overrides, a->n_overrides, &cfg, err);
    rc = pmc_schedule_agree(s, rc, err);
    if (rc != PMC_OK)
        return rc;
    pmc_schedule_set_chunk(s, cfg.mpi_chunk);
    rc = pmc_run(&cfg, &a->run, s, err);
    pmc_config_free(&cfg);
    return rc;
}

/* The path inspect reads: PATH, or the checkpoint_dir of --config FILE
 * (with the --set overrides, so that it is the directory `run` would use). */
static int inspect_path(const cli_args *a, char *path, size_t len, pmc_err *err)
{
    if (!a->inspect_config) {
        snprintf(path, len, "%s", a->inspect);
        return PMC_OK;
    }
    pmc_config cfg;
    int rc = pmc_config_load(a->inspect_config, a->overrides, a->n_overrides, &cfg, err);
    if (rc != PMC_OK)
        return rc;
    snprintf(path, len, "%s", cfg.checkpoint_dir);
    pmc_config_free(&cfg);
    return PMC_OK;
}

/* Only rank 0 reads and prints; the others wait for its status, so that
 * every rank exits with the same code. path receives what was inspected
 * ("" if not known), for the JSON error report. */
static int inspect_command(const cli_args *a, pmc_schedule *s, char *path, size_t len,
                           pmc_err *err)
{
    int rc = PMC_OK;
    if (pmc_schedule_rank(s) == 0) {
        pmc_inspect_report r;
        memset(&r, 0, sizeof r);
        rc = inspect_path(a, path, len, err);
        if (rc == PMC_OK)
            rc = pmc_inspect_load(path, &r, err);
        if (rc == PMC_OK && a->json)
            pmc_inspect_print_json(&r, stdout);
        else if (rc == PMC_OK)
            pmc_inspect_print_text(&r, stdout);
        if (rc == PMC_OK)
            fflush(stdout);
        pmc_inspect_free(&r);
    }
    return pmc_schedule_agree(s, rc, err);
}

/* Start-up defaults for the libraries under MPI_Init, set only where the
 * user has not set the variable (an empty value counts as set), and before
 * MPI_Init reads them (docs/performance.md, Start-up; measured on 2 vCPUs):
 * - HWLOC_COMPONENTS=-linuxio: MPICH's hwloc topology otherwise reads the
 *   PCI configuration space of every device (~8 ms, most of it in the
 *   hypervisor on a VM). pmcabc binds nothing to devices; CPU and NUMA
 *   discovery stay on.
 * - UCX_TLS=self,sm when the launcher reports every rank on this node
 *   (Hydra: MPI_LOCALNRANKS == PMI_SIZE): UCX otherwise opens and probes its
 *   network transports (TCP, InfiniBand), ~8 ms in MPI_Init and ~3 ms in
 *   MPI_Finalize, that a single-node job never uses. Other launchers (srun)
 *   do not set both variables, so multi-node jobs keep every transport.
 *   A job of one rank needs only UCX_TLS=self: the shared-memory transport
 *   would map and fault in segments nobody reads (measured: ~10 ms of
 *   system time of a 0.11 s run). */
static void set_mpi_startup_defaults(void)
{
    setenv("HWLOC_COMPONENTS", "-linuxio", 0);
    const char *local = getenv("MPI_LOCALNRANKS"), *size = getenv("PMI_SIZE");
    if (local && size && *local && !strcmp(local, size))
        setenv("UCX_TLS", strcmp(size, "1") ? "self,sm" : "self", 0);
}

/* Rank 0's one line about a failed run. An interruption (exit 75) is the
 * expected end of a job that is stopped and resumed, not an error: it gets
 * "pmcabc: interrupted by ...", so that logs can be searched for real errors. */
static void print_status(int rc, const pmc_err *err)
{
    /* Every failing call fills err; the code's generic text is a fallback
     * so that a missed message still leaves a line that says something. */
    const char *msg = err->msg[0] ? err->msg : pmc_strerror(rc);
    if (rc == PMC_EINTR)
        fprintf(stderr, "pmcabc: %s%s\n", strncmp(msg, "interrupted", 11) ? "interrupted: " : "",
                msg);
    else
        fprintf(stderr, "pmcabc: error: %s\n", msg);
}

/* The library's one failure it cannot return from (pmc_schedule_on_fatal;
 * it has logged why): the run ends on every rank with the status's
 * documented exit code. */
static void abort_run(pmc_schedule *s, int status)
{
    pmc_schedule_abort(s, pmc_exit_code(status));
}

int main(int argc, char **argv)
{
    pmc_schedule *s = NULL;
    pmc_err err;
    pmc_err_clear(&err);
    set_mpi_startup_defaults();
    int rc = pmc_schedule_init(&argc, &argv, &s, &err);
    if (rc != PMC_OK) {
        fprintf(stderr, "pmcabc: error: %s\n", err.msg);
        return PMC_EXIT_RUNTIME;
    }
    pmc_schedule_on_fatal(s, abort_run);
    int rank = pmc_schedule_rank(s);
    cli_args args;
    char inspected[PMC_PATH_MAX] = "";
    rc = parse_args(argc, argv, &args, &err);
    pmc_log_init(rank, args.level);
    if (rc == PMC_OK && args.help) {
        if (rank == 0)
            fputs(usage_text, stdout);
    } else if (rc == PMC_OK && args.version) {
        if (rank == 0)
            printf("pmcabc %s\nresult streams %d (a run is continued only by a pmcabc with the "
                   "same)\ncheckpoint format %d (reads formats 1 to %d)\n", PMC_VERSION,
                   PMC_STREAM_VERSION, PMC_CHECKPOINT_FORMAT_VERSION,
                   PMC_CHECKPOINT_FORMAT_VERSION);
    } else if (rc == PMC_OK && args.inspecting) {
        rc = inspect_command(&args, s, inspected, sizeof inspected, &err);
    } else if (rc == PMC_OK) {
        rc = run_command(&args, s, &err);
    }
    if (rc != PMC_OK && rank == 0)
        print_status(rc, &err);
    /* A script reading `inspect --json` gets one object on stdout whatever happened. */
    if (rc != PMC_OK && rank == 0 && args.inspecting && args.json) {
        const char *path = *inspected ? inspected : args.inspect;
        pmc_inspect_print_json_error(path, err.msg, pmc_exit_code(rc), stdout);
        fflush(stdout);
    }
    pmc_schedule_finalize(s);
    return pmc_exit_code(rc);
}

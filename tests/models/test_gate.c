/* test_gate: a test-only model plugin that lets a test decide when a run may
 * go on, so that no test verdict depends on how fast the machine is.
 *
 * The model is the Gaussian one (parameters mu, sigma; statistics: sample
 * mean and standard deviation of n draws, n = the number of data values),
 * drawing only from pmcabc's stream: results depend on (seed, generation,
 * slot, attempt) alone, as for any plugin (docs/writing-a-model.md).
 *
 * Two test aids, neither of which changes a result bit:
 *
 * [model] sleep_us = U  every simulation sleeps U microseconds first. Unlike
 *     burnt CPU, a sleep is a lower bound on wall time whatever the speed of
 *     the machine: a run of S simulations on R ranks lasts at least
 *     S * U / R microseconds, which is what a test of a time limit needs.
 *
 * Environment PMC_TEST_GATE=DIR  a gate in front of every simulation:
 *   - closed from the first simulation, or, if the file DIR/at holds
 *     "PATH [SKIP]", once PATH exists and this process has run SKIP more
 *     simulations (e.g. PATH = CKDIR/gen-0001.h5: mid-generation 2);
 *   - while closed, a simulation waits (polling every 10 ms) until DIR/open
 *     exists, or until this process has received SIGTERM, SIGUSR1 or SIGINT:
 *     pmcabc's own handlers (installed before a model's init) still run,
 *     this plugin only chains a flag in front of them (from init to
 *     finalize), so a signalled run stops and checkpoints exactly as it
 *     would with any model;
 *   - the first time a process waits, it creates DIR/waiting holding PATH
 *     (or "start"), atomically (written under another name, then renamed):
 *     the event a test waits for before it signals, requeues or locks.
 * DIR/at is read once, in init: a process started later (a resume, a
 * requeued job) reads the DIR/at of its time. Without PMC_TEST_GATE nothing
 * waits and no signal handler is touched: the reference runs of a test use
 * the same config without it. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pmcabc/model.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))
#define GATE_POLL_NS 10000000L

typedef struct {
    size_t n;           /* draws per simulation: the number of data values */
    double sleep_us;    /* per simulation */
    char gate_dir[4096];/* "" = no gate */
    char at_path[4096]; /* "" = closed from the first simulation */
    long skip;          /* simulations after at_path appeared, before closing */
    int at_seen;        /* at_path has been seen to exist */
    int announced;      /* DIR/waiting written by this process */
} gate_state;

/* Set by the chained handler; read by the waiting simulation. One per
 * process, like the handlers themselves. */
static volatile sig_atomic_t gate_signalled;
static const int gate_signals[3] = {SIGTERM, SIGUSR1, SIGINT};
static struct sigaction gate_prev[3];

/* Marks the signal, then does what pmcabc's handler (or the default) does. */
static void gate_on_signal(int sig)
{
    gate_signalled = 1;
    for (int i = 0; i < 3; i++) {
        if (gate_signals[i] != sig)
            continue;
        if (gate_prev[i].sa_handler == SIG_IGN)
            return;
        if (gate_prev[i].sa_handler == SIG_DFL || (gate_prev[i].sa_flags & SA_SIGINFO)) {
            signal(sig, SIG_DFL);
            raise(sig);
            return;
        }
        gate_prev[i].sa_handler(sig);
    }
}

/* Whether gate_prev holds handlers to put back in finalize: pmcabc unloads
 * the plugin after finalize, and a later signal (srun and Slurm send more
 * than one) must not jump into unmapped code. */
static int gate_chained;

static int chain_signals(char *errbuf, size_t errlen)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = gate_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 3; i++) {
        if (sigaction(gate_signals[i], &sa, &gate_prev[i]) != 0) {
            snprintf(errbuf, errlen, "PMC_TEST_GATE: sigaction: %s", strerror(errno));
            while (i-- > 0)
                sigaction(gate_signals[i], &gate_prev[i], NULL);
            return 1;
        }
    }
    gate_chained = 1;
    return 0;
}

static void unchain_signals(void)
{
    if (!gate_chained)
        return;
    for (int i = 0; i < 3; i++)
        sigaction(gate_signals[i], &gate_prev[i], NULL);
    gate_chained = 0;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Reads DIR/at ("PATH [SKIP]") if it exists. */
static int read_at(gate_state *s, char *errbuf, size_t errlen)
{
    char path[4200], line[4200];
    snprintf(path, sizeof path, "%s/at", s->gate_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : (snprintf(errbuf, errlen, "%s: %s", path, strerror(errno)), 1);
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    int got = ok ? sscanf(line, "%4095s %ld", s->at_path, &s->skip) : 0;
    if (got < 1 || s->skip < 0) {
        snprintf(errbuf, errlen, "%s: expected 'PATH [SKIP]' with SKIP >= 0", path);
        return 1;
    }
    return 0;
}

static int parse_us(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < 0)
        return 1;
    *out = x;
    return 0;
}

static int tg_init(const char *const *keys, const char *const *values, size_t n_keys,
                   const double *data, size_t n_data, void **state, char *errbuf, size_t errlen)
{
    (void)data;
    if (n_data < 2) {
        snprintf(errbuf, errlen, "data: %zu value%s: expected at least 2", n_data,
                 n_data == 1 ? "" : "s");
        return 1;
    }
    gate_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return 1;
    }
    s->n = n_data;
    for (size_t i = 0; i < n_keys; i++) {
        if (strcmp(keys[i], "sleep_us") != 0) {
            snprintf(errbuf, errlen, "%s: unknown key (test_gate takes only sleep_us)", keys[i]);
            free(s);
            return 1;
        }
        if (parse_us(values[i], &s->sleep_us)) {
            snprintf(errbuf, errlen, "sleep_us: expected a number of microseconds >= 0");
            free(s);
            return 1;
        }
    }
    const char *dir = getenv("PMC_TEST_GATE");
    if (dir && *dir) {
        snprintf(s->gate_dir, sizeof s->gate_dir, "%s", dir);
        if (read_at(s, errbuf, errlen) || chain_signals(errbuf, errlen)) {
            free(s);
            return 1;
        }
    }
    *state = s;
    return 0;
}

static void tg_finalize(void *state)
{
    unchain_signals();
    free(state);
}

/* Sample mean and sd (n - 1 denominator), in two passes. */
static void mean_sd(const double *x, size_t n, double out[2])
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

static int tg_observed_stats(const double *data, size_t n_data, double *out, void *state,
                             char *errbuf, size_t errlen)
{
    (void)state, (void)errbuf, (void)errlen;
    mean_sd(data, n_data, out);
    return 0;
}

/* Sleeps `ns` nanoseconds in full, signals or not. */
static void sleep_ns(long long ns)
{
    struct timespec t = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* DIR/waiting := what, via a temporary name, so a reader sees all or nothing. */
static void announce(gate_state *s)
{
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/.waiting.%ld", s->gate_dir, (long)getpid());
    snprintf(path, sizeof path, "%s/waiting", s->gate_dir);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%s\n", s->at_path[0] ? s->at_path : "start");
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
    s->announced = 1;
}

/* Whether the gate is closed for this simulation (counts SKIP down). */
static int gate_closed(gate_state *s)
{
    if (!s->gate_dir[0] || gate_signalled)
        return 0;
    if (s->at_path[0] && !s->at_seen) {
        if (!file_exists(s->at_path))
            return 0;
        s->at_seen = 1;
    }
    if (s->skip > 0) {
        s->skip--;
        return 0;
    }
    char open_path[4200];
    snprintf(open_path, sizeof open_path, "%s/open", s->gate_dir);
    return !file_exists(open_path);
}

static void gate_wait(gate_state *s)
{
    char open_path[4200];
    snprintf(open_path, sizeof open_path, "%s/open", s->gate_dir);
    if (!s->announced)
        announce(s);
    while (!gate_signalled && !file_exists(open_path))
        sleep_ns(GATE_POLL_NS);
}

static int tg_simulate(const double *params, pmcabc_rng *rng, double *out, void *state,
                       char *errbuf, size_t errlen)
{
    gate_state *s = state;
    (void)errbuf, (void)errlen;
    if (gate_closed(s))
        gate_wait(s);
    if (s->sleep_us > 0)
        sleep_ns((long long)(s->sleep_us * 1e3));
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        double z = rng->normal(rng);
        s1 += z;
        s2 += z * z;
    }
    double mean_z = s1 / (double)s->n, ss = s2 - s1 * mean_z;
    out[0] = params[0] + params[1] * mean_z;
    out[1] = params[1] * sqrt((ss > 0.0 ? ss : 0.0) / (double)(s->n - 1));
    return 0;
}

static const char *const tg_param_names[] = {"mu", "sigma"};

static const pmcabc_model tg_plugin = {
    .abi_version = PMCABC_MODEL_ABI_VERSION,
    .name = "test_gate",
    .n_params = 2,
    .param_names = tg_param_names,
    .n_stats = 2,
    .init = tg_init,
    .finalize = tg_finalize,
    .observed_stats = tg_observed_stats,
    .simulate = tg_simulate,
};

PLUGIN_EXPORT const pmcabc_model *pmcabc_model_plugin(void) { return &tg_plugin; }

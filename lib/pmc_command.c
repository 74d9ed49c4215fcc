/* The `command` model: process management and the line protocol. Contract
 * in pmc_command.h; the protocol as users see it in docs/writing-a-model.md
 * ("A simulator program"), the keys in docs/models.md ("command"). */
#define _GNU_SOURCE /* clone, pipe2, prctl, syscall(SYS_close_range), waitid's WNOWAIT */
#include "pmc_command.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pmc_util.h"
#include "pmc_log.h"
#include "pmc_rng.h"
#include "pmc_signal.h"

extern char **environ;

#define WORDS_MAX 256             /* argv words of `command` */
#define STATS_MAX 1000000         /* statistics a program may return */
#define REPLY_MAX (64u << 20)     /* bytes of one reply (a line of up to 1e6 numbers) */
#define TAIL_MAX 2048             /* stderr bytes kept for failure messages */
#define TAIL_LINES 5              /* stderr lines quoted in a failure message */
#define ELINE_MAX 4096            /* a forwarded stderr line is cut here */
#define SLICE_S 0.1               /* waits look at stop signals this often */
#define EXIT_GRACE_S 2.0          /* a program that closed stdout has this long to exit */
#define SPAWN_STACK (64 * 1024)   /* the child's stack between clone and exec */

typedef enum { MODE_PERSISTENT = 0, MODE_PER_SIMULATION = 1 } cmd_mode;

/* Outcomes of waiting on a child, besides PMC_OK (what was waited for). */
enum { WAIT_EOF = 1, WAIT_TIMEOUT = 2, WAIT_STOP = 3 };

/* One running child: the parent's ends of its stdin, stdout and stderr. */
typedef struct {
    pid_t pid;              /* 0: none */
    int in, out, errfd;     /* -1 once closed */
    char *obuf;             /* stdout bytes not consumed yet */
    size_t olen, ocap;
    char eline[ELINE_MAX];  /* stderr: the line being received */
    size_t elen;
} child;

struct pmc_command {
    const pmc_config *cfg;
    const pmc_config_kv *command_kv, *observed_kv;
    cmd_mode mode;
    double timeout;               /* seconds; 0 = none */
    double stop_time;             /* the run's time limit (pmc_now() time); 0 = none */
    char *words[WORDS_MAX + 1];   /* `command` split, unquoted; placeholders kept */
    size_t n_words;
    char program[PMC_PATH_MAX];   /* absolute path of words[0] */
    char label[128];              /* the program's base name (and its first argument's) */
    char cwd[PMC_PATH_MAX];       /* the child's working directory; "" = pmcabc's */
    char data[PMC_PATH_MAX];      /* absolute [model] data path, "" = none */
    char **envp;
    char *argv[WORDS_MAX + 1];    /* what execve gets */
    char *argbuf;                 /* per_simulation: the substituted words */
    size_t argcap;
    size_t n_stats;
    uint64_t code_digest;         /* the program's and its script files' bytes */
    char code_files[PMC_PATH_MAX + 64]; /* what code_digest covers, for messages */
    long close_max;               /* fallback bound for closing fds in the child */
    char *stack;                  /* SPAWN_STACK bytes for the child before exec */
    child ch;
    char *req;                    /* the request being sent */
    size_t req_len, req_off, req_cap;
    char where[96];               /* "generation G, slot S" of the simulation */
    char tail[TAIL_MAX];          /* the last stderr bytes, for failure messages */
    size_t tail_len;
};

/* --- small helpers --- */

/* A stop signal, or the run's time limit: a simulation in progress is
 * abandoned (and redone, with the same seed, by the resumed run). */
static int must_stop(const pmc_command *c)
{
    return pmc_signal_pending() || (c->stop_time > 0.0 && pmc_now() >= c->stop_time);
}

static int key_error(const pmc_config_kv *kv, const char *expected, pmc_err *err)
{
    return pmc_err_set(err, PMC_EINVAL, "%s: [model] %s: %s: %s", PMC_ORIGIN_TEXT(&kv->origin),
                       kv->key, kv->value, expected);
}

/* The directory relative paths of kv are taken from: the config file's for
 * a key from the file, "" (the working directory) for --set. */
static void base_dir(const pmc_config_kv *kv, char *buf, size_t len)
{
    const char *slash = strrchr(kv->origin.file, '/');
    if (kv->origin.line > 0 && slash)
        snprintf(buf, len, "%.*s", (int)(slash - kv->origin.file), kv->origin.file);
    else
        buf[0] = '\0';
}

/* path made absolute: from dir (relative to the working directory) if not
 * already. Returns 0, or -1 if it does not fit. */
static int absolute_path(const char *dir, const char *path, char *out, size_t len)
{
    char wd[PMC_PATH_MAX];
    int n;
    while (path[0] == '.' && path[1] == '/') /* "./prog": as readable as "prog" in messages */
        path += 2;
    if (path[0] == '/')
        n = snprintf(out, len, "%s", path);
    else if (dir[0] == '/')
        n = snprintf(out, len, "%s/%s", dir, path);
    else if (!getcwd(wd, sizeof wd))
        return -1;
    else if (dir[0])
        n = snprintf(out, len, "%s/%s/%s", wd, dir, path);
    else
        n = snprintf(out, len, "%s/%s", wd, path);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "ended with wait status %#x", (unsigned)status);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* --- argv: words, quoting and placeholders --- */

/* Splits a command line into words like a POSIX shell does, without any
 * expansion: blanks separate words; '...' keeps everything literally;
 * "..." keeps everything but \" and \\; a backslash outside quotes keeps the
 * next character. Returns NULL, or what is wrong. */
static const char *split_words(const char *s, char **words, size_t *n)
{
    char *buf = malloc(strlen(s) + 1);
    if (!buf)
        return "out of memory";
    *n = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (*n == WORDS_MAX) {
            free(buf);
            return "more than 256 words";
        }
        size_t k = 0;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    free(buf);
                    return "unterminated ' quote";
                }
                memcpy(buf + k, p + 1, (size_t)(end - p - 1));
                k += (size_t)(end - p - 1);
                p = end + 1;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    buf[k++] = *p;
                }
                if (!*p) {
                    free(buf);
                    return "unterminated \" quote";
                }
                p++;
            } else if (*p == '\\' && p[1]) {
                buf[k++] = p[1];
                p += 2;
            } else {
                buf[k++] = *p++;
            }
        }
        buf[k] = '\0';
        words[*n] = strdup(buf);
        if (!words[*n]) {
            free(buf);
            return "out of memory";
        }
        (*n)++;
    }
    free(buf);
    return *n ? NULL : "expected a program and its arguments";
}

/* The placeholder at s ("{NAME}"): its name's length, 0 if s is not one. */
static size_t placeholder_len(const char *s)
{
    if (s[0] != '{' || !(s[1] == '_' || (s[1] >= 'a' && s[1] <= 'z') ||
                         (s[1] >= 'A' && s[1] <= 'Z')))
        return 0;
    size_t k = 1;
    while (s[k] == '_' || (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
           (s[k] >= '0' && s[k] <= '9'))
        k++;
    return s[k] == '}' ? k - 1 : 0;
}

/* Index of parameter `name` (len bytes) in cfg's [prior], or -1. */
static int param_index(const pmc_config *cfg, const char *name, size_t len)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strlen(cfg->prior[i].name) == len && !memcmp(cfg->prior[i].name, name, len))
            return (int)i;
    return -1;
}

/* Every placeholder of the words is {seed}, {data} or {NAME} of a [prior]
 * parameter, and only {data} in persistent mode (the seed and parameters
 * go in each request there). */
static int check_placeholders(const pmc_command *c, pmc_err *err)
{
    for (size_t w = 0; w < c->n_words; w++)
        for (const char *p = c->words[w]; *p; p++) {
            size_t len = placeholder_len(p);
            if (!len)
                continue;
            const char *name = p + 1;
            char what[PMC_NAME_MAX + 256];
            int is_data = len == 4 && !memcmp(name, "data", 4);
            int per_sim = (len == 4 && !memcmp(name, "seed", 4)) ||
                          param_index(c->cfg, name, len) >= 0;
            if (is_data && !c->cfg->model_data[0])
                snprintf(what, sizeof what, "{data}: there is no [model] data to give");
            else if (per_sim && c->mode == MODE_PERSISTENT)
                snprintf(what, sizeof what, "{%.*s}: only in mode = per_simulation (in "
                         "persistent mode the seed and the parameters come in each request)",
                         (int)len, name);
            else if (!is_data && !per_sim)
                snprintf(what, sizeof what, "{%.*s}: unknown placeholder: expected {seed}, "
                         "{data} or {NAME} of a [prior] parameter", (int)len, name);
            else
                continue;
            return key_error(c->command_kv, what, err);
        }
    return PMC_OK;
}

/* Appends s (len bytes) to the per-simulation argument buffer. */
static int argbuf_put(pmc_command *c, size_t *used, const char *s, size_t len)
{
    if (*used + len + 1 > c->argcap) {
        size_t cap = 2 * (*used + len + 1) + 256;
        char *b = realloc(c->argbuf, cap);
        if (!b)
            return -1;
        c->argbuf = b;
        c->argcap = cap;
    }
    memcpy(c->argbuf + *used, s, len);
    *used += len;
    return 0;
}

/* c->argv for one simulation (seed, theta; both unused in persistent
 * mode, where only {data} occurs). Returns PMC_OK or PMC_ENOMEM. */
static int expand_argv(pmc_command *c, uint64_t seed, const double *theta, pmc_err *err)
{
    size_t used = 0, start[WORDS_MAX];
    for (size_t w = 0; w < c->n_words; w++) {
        start[w] = used;
        for (const char *p = c->words[w]; *p;) {
            size_t len = placeholder_len(p);
            char num[64];
            const char *v = p;
            size_t vlen = 1;
            if (len == 4 && !memcmp(p + 1, "data", 4)) {
                v = c->data;
                vlen = strlen(v);
            } else if (len == 4 && !memcmp(p + 1, "seed", 4)) {
                vlen = (size_t)snprintf(num, sizeof num, "%llu", (unsigned long long)seed);
                v = num;
            } else if (len) {
                vlen = (size_t)snprintf(num, sizeof num, "%.17g",
                                        theta[param_index(c->cfg, p + 1, len)]);
                v = num;
            }
            if (argbuf_put(c, &used, v, vlen) != 0)
                return pmc_err_set(err, PMC_ENOMEM, "out of memory for the command's arguments");
            p += len ? len + 2 : 1;
        }
        if (argbuf_put(c, &used, "", 1) != 0)
            return pmc_err_set(err, PMC_ENOMEM, "out of memory for the command's arguments");
    }
    for (size_t w = 0; w < c->n_words; w++)
        c->argv[w] = c->argbuf + start[w];
    c->argv[0] = c->program;
    c->argv[c->n_words] = NULL;
    return PMC_OK;
}

/* --- the program file --- */

/* A program name without '/' is looked up in PATH, like a shell does; with
 * one it is a path, relative to the config file's directory. */
static int resolve_program(pmc_command *c, const char *dir, pmc_err *err)
{
    const char *name = c->words[0];
    char what[PMC_PATH_MAX + 128];
    struct stat st;
    if (!strchr(name, '/')) {
        const char *path = getenv("PATH");
        if (!path || !*path)
            path = "/usr/local/bin:/usr/bin:/bin";
        for (const char *p = path; *p;) {
            const char *e = strchr(p, ':');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char cand[PMC_PATH_MAX];
            int n = snprintf(cand, sizeof cand, "%.*s/%s", (int)len, len ? p : ".", name);
            if (n > 0 && (size_t)n < sizeof cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
                access(cand, X_OK) == 0 && absolute_path("", cand, c->program,
                                                         sizeof c->program) == 0)
                return PMC_OK;
            p += len + (e ? 1 : 0);
        }
        snprintf(what, sizeof what, "program %s: not found in PATH (%s)", name, path);
        return key_error(c->command_kv, what, err);
    }
    if (absolute_path(dir, name, c->program, sizeof c->program) != 0)
        return key_error(c->command_kv, "program path too long", err);
    int e = stat(c->program, &st) != 0     ? errno
            : S_ISDIR(st.st_mode)          ? EISDIR
            : !S_ISREG(st.st_mode)         ? EACCES
            : access(c->program, X_OK) != 0 ? errno
                                           : 0;
    if (!e)
        return PMC_OK;
    snprintf(what, sizeof what, "cannot run program %s: %s%s", c->program, strerror(e),
             e == EACCES ? " (expected an executable file: chmod +x, or name its interpreter "
                           "first, e.g. /usr/bin/python3 script.py)" : "");
    return key_error(c->command_kv, what, err);
}

/* The environment of the children: pmcabc's, without the variables that
 * would make an MPI program started as a simulator join pmcabc's own MPI
 * job (PMI_*, PMIX_*), and with Python's stdout unbuffered, so that a
 * Python simulator's reply is sent when printed. */
static int make_env(pmc_command *c, pmc_err *err)
{
    size_t n = 0;
    while (environ[n])
        n++;
    c->envp = malloc((n + 2) * sizeof *c->envp);
    if (!c->envp)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for the command's environment");
    size_t k = 0;
    int python_set = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "PMI_", 4) || !strncmp(environ[i], "PMIX_", 5))
            continue;
        python_set |= !strncmp(environ[i], "PYTHONUNBUFFERED=", 17);
        c->envp[k++] = environ[i];
    }
    if (!python_set)
        c->envp[k++] = "PYTHONUNBUFFERED=1";
    c->envp[k] = NULL;
    return PMC_OK;
}

/* --- children --- */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* What the child needs between clone and exec, and where it leaves the
 * errno of a failed exec (the parent is suspended until then: CLONE_VFORK). */
typedef struct {
    const pmc_command *c;
    pid_t parent;
    int fds[3]; /* its stdin, stdout, stderr */
    int err;
} spawn_args;

/* The child, between clone and exec: it shares the parent's memory
 * (CLONE_VM), so it writes nothing but a.err and makes system calls only. */
static int child_exec(void *arg)
{
    spawn_args *a = arg;
    const pmc_command *c = a->c;
    /* The parent blocked every signal before clone; the handlers it has are
     * replaced by the defaults (this child has its own table) before
     * anything is unblocked, and pmcabc's ignored SIGPIPE is undone
     * (ignored signals would survive exec, handled ones not). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 65; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    /* Its own process group: pmcabc can stop it and whatever it starts
     * with one kill, and a Ctrl-C of the terminal reaches only pmcabc. */
    setpgid(0, 0);
    /* Dies with the thread that started it (a rank killed with -9); the
     * parent may already have died before this call, hence the check. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != a->parent)
        _exit(127);
    /* Copies above 2 first, so that no dup2 overwrites a pipe still needed. */
    int t[3];
    for (int i = 0; i < 3; i++)
        if ((t[i] = fcntl(a->fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
            goto fail;
    for (int i = 0; i < 3; i++)
        if (dup2(t[i], i) < 0)
            goto fail;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (c->cwd[0] && chdir(c->cwd) != 0)
        goto fail;
    /* No MPI sockets, shared memory or launcher pipes for the child: it
     * would keep them open (and mpiexec waiting) after the rank is gone. */
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
        for (long fd = 3; fd < c->close_max; fd++)
            close((int)fd);
    execve(c->program, c->argv, c->envp);
fail:
    a->err = errno ? errno : EINVAL;
    _exit(127);
}

/* Starts c->argv. with_stdin: a pipe the parent writes requests to; else
 * the child's stdin is at end of file. The child is made with
 * clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: a fork would copy the
 * page tables of pmcabc (its MPI and HDF5 state) for every simulation of
 * mode = per_simulation, only for exec to throw them away. */
static int child_start(pmc_command *c, int with_stdin, pmc_err *err)
{
    child *ch = &c->ch;
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    if (!c->stack && !(c->stack = malloc(SPAWN_STACK)))
        return pmc_err_set(err, PMC_ENOMEM, "out of memory starting program %s", c->program);
    if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 ||
        pipe2(perr, O_CLOEXEC) != 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            close_fd(&pin[i]);
            close_fd(&pout[i]);
            close_fd(&perr[i]);
        }
        return pmc_err_set(err, PMC_ERUNTIME, "cannot start program %s: pipe: %s", c->program,
                           strerror(e));
    }
    spawn_args a = {c, getpid(), {pin[0], pout[1], perr[1]}, 0};
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* The stack grows down on every architecture Linux runs MPI on. */
    pid_t pid = clone(child_exec, c->stack + SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close_fd(&pin[0]);
    close_fd(&pout[1]);
    close_fd(&perr[1]);
    if (pid < 0) {
        close_fd(&pin[1]);
        close_fd(&pout[0]);
        close_fd(&perr[0]);
        return pmc_err_set(err, PMC_ERUNTIME, "cannot start program %s: clone: %s", c->program,
                           strerror(clone_errno));
    }
    /* Both sides set the group, so it exists before either goes on. */
    setpgid(pid, pid);
    if (!with_stdin)
        close_fd(&pin[1]);
    ch->pid = pid;
    ch->in = pin[1];
    ch->out = pout[0];
    ch->errfd = perr[0];
    ch->olen = 0;
    ch->elen = 0;
    for (int fd = 0; fd < 3; fd++) {
        int f = fd == 0 ? ch->in : fd == 1 ? ch->out : ch->errfd;
        if (f >= 0)
            fcntl(f, F_SETFL, fcntl(f, F_GETFL) | O_NONBLOCK);
    }
    if (a.err) {
        int status;
        waitpid(pid, &status, 0);
        close_fd(&ch->in);
        close_fd(&ch->out);
        close_fd(&ch->errfd);
        ch->pid = 0;
        return pmc_err_set(err, PMC_ERUNTIME, "cannot start program %s: %s", c->program,
                           strerror(a.err));
    }
    return PMC_OK;
}

/* Keeps the last stderr bytes for a failure message. */
static void tail_add(pmc_command *c, const char *s, size_t n)
{
    if (n >= TAIL_MAX) {
        s += n - TAIL_MAX;
        n = TAIL_MAX;
    }
    if (c->tail_len + n > TAIL_MAX) {
        size_t drop = c->tail_len + n - TAIL_MAX;
        memmove(c->tail, c->tail + drop, c->tail_len - drop);
        c->tail_len -= drop;
    }
    memcpy(c->tail + c->tail_len, s, n);
    c->tail_len += n;
}

static void forward_line(const pmc_command *c, const char *s, size_t n)
{
    pmc_log_forward("%s (%s): %.*s", c->label, c->where, (int)n, s);
}

/* Forwards complete stderr lines to the log, keeping a partial one. */
static void stderr_bytes(pmc_command *c, const char *s, size_t n)
{
    child *ch = &c->ch;
    tail_add(c, s, n);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || ch->elen == ELINE_MAX) {
            forward_line(c, ch->eline, ch->elen);
            ch->elen = 0;
            if (s[i] == '\n')
                continue;
        }
        ch->eline[ch->elen++] = s[i];
    }
}

static void stderr_flush(pmc_command *c)
{
    if (c->ch.elen)
        forward_line(c, c->ch.eline, c->ch.elen);
    c->ch.elen = 0;
}

/* Reads what stderr has now; closes it at end of file. */
static void read_stderr(pmc_command *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(c->ch.errfd, buf, sizeof buf);
        if (n > 0) {
            stderr_bytes(c, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            stderr_flush(c);
            close_fd(&c->ch.errfd);
        }
        return;
    }
}

/* Reads what stdout has now into obuf; closes it at end of file. Returns
 * -1 if the output grew past REPLY_MAX. */
static int read_stdout(pmc_command *c)
{
    child *ch = &c->ch;
    for (;;) {
        if (ch->ocap - ch->olen < 4096) {
            if (ch->ocap >= REPLY_MAX)
                return -1;
            size_t cap = ch->ocap ? 2 * ch->ocap : 8192;
            char *b = realloc(ch->obuf, cap + 1);
            if (!b)
                return -1;
            ch->obuf = b;
            ch->ocap = cap;
        }
        ssize_t n = read(ch->out, ch->obuf + ch->olen, ch->ocap - ch->olen);
        if (n > 0) {
            ch->olen += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            close_fd(&ch->out);
        return 0;
    }
}

static int has_line(const child *ch)
{
    return ch->olen && memchr(ch->obuf, '\n', ch->olen) != NULL;
}

/* Moves bytes until the reply is complete: writes the rest of the request
 * to stdin, reads stdout into obuf, forwards stderr. until_eof: wait for
 * the end of stdout (per_simulation), else for a line. Returns PMC_OK,
 * WAIT_EOF (stdout ended without a line), WAIT_TIMEOUT past deadline (0 =
 * none) or WAIT_STOP on a stop signal; -1 for a reply past REPLY_MAX. */
static int pump(pmc_command *c, double deadline, int until_eof)
{
    child *ch = &c->ch;
    for (;;) {
        if (!until_eof && has_line(ch))
            return PMC_OK;
        if (ch->out < 0)
            return until_eof ? PMC_OK : WAIT_EOF;
        if (must_stop(c))
            return WAIT_STOP;
        double slice = SLICE_S;
        if (deadline > 0.0) {
            double left = deadline - pmc_now();
            if (left <= 0.0)
                return WAIT_TIMEOUT;
            if (left < slice)
                slice = left;
        }
        struct pollfd p[3];
        int np = 0, io = -1, ie = -1, ii = -1;
        p[np] = (struct pollfd){ch->out, POLLIN, 0};
        io = np++;
        if (ch->errfd >= 0) {
            p[np] = (struct pollfd){ch->errfd, POLLIN, 0};
            ie = np++;
        }
        if (ch->in >= 0 && c->req_off < c->req_len) {
            p[np] = (struct pollfd){ch->in, POLLOUT, 0};
            ii = np++;
        }
        int r = poll(p, (nfds_t)np, (int)ceil(slice * 1000.0));
        if (r < 0 && errno != EINTR)
            return WAIT_STOP;
        if (r <= 0)
            continue;
        if (ii >= 0 && p[ii].revents) {
            ssize_t w = write(ch->in, c->req + c->req_off, c->req_len - c->req_off);
            if (w > 0)
                c->req_off += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                close_fd(&ch->in); /* it closed its stdin: its exit tells why */
        }
        if (ie >= 0 && p[ie].revents)
            read_stderr(c);
        if (p[io].revents && read_stdout(c) != 0)
            return -1;
    }
}

/* Waits until the child has exited, at most until deadline (0 = no
 * bound), forwarding stderr meanwhile; the child stays a zombie (WNOWAIT),
 * so its process group id cannot be reused before it is killed. Returns 1
 * if it exited, 0 if not (deadline or a stop signal). */
static int wait_exited(pmc_command *c, double deadline)
{
    double nap = 0.001;
    for (;;) {
        siginfo_t si;
        si.si_pid = 0;
        if (waitid(P_PID, (id_t)c->ch.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
            return 1;
        if ((deadline > 0.0 && pmc_now() >= deadline) || must_stop(c))
            return 0;
        if (c->ch.errfd >= 0) {
            struct pollfd p = {c->ch.errfd, POLLIN, 0};
            if (poll(&p, 1, (int)ceil(nap * 1000.0)) > 0)
                read_stderr(c);
        } else {
            sleep_s(nap);
        }
        nap = nap < 0.05 ? 2.0 * nap : 0.05;
    }
}

/* Kills the child's process group, collects what stderr still holds and
 * reaps it. Returns its wait status. */
static int child_kill(pmc_command *c)
{
    child *ch = &c->ch;
    int status = 0;
    if (!ch->pid)
        return 0;
    kill(-ch->pid, SIGKILL);
    kill(ch->pid, SIGKILL); /* in case it left its group */
    close_fd(&ch->in);
    /* The group is dead: stderr ends at once unless something outside it
     * holds it; a short bound covers that. */
    double end = pmc_now() + 0.2;
    while (ch->errfd >= 0 && pmc_now() < end) {
        struct pollfd p = {ch->errfd, POLLIN, 0};
        if (poll(&p, 1, 20) > 0)
            read_stderr(c);
    }
    stderr_flush(c);
    close_fd(&ch->errfd);
    close_fd(&ch->out);
    while (waitpid(ch->pid, &status, 0) < 0 && errno == EINTR)
        ;
    ch->pid = 0;
    return status;
}

/* Ends a child politely: end of its input, EXIT_GRACE_S to exit, then
 * SIGKILL to its group (which also takes whatever it started). */
static void child_stop(pmc_command *c)
{
    if (!c->ch.pid)
        return;
    close_fd(&c->ch.in);
    if (!must_stop(c))
        wait_exited(c, pmc_now() + EXIT_GRACE_S);
    child_kill(c);
}

/* --- replies --- */

/* Parses whitespace-separated numbers of s (len bytes; NUL-terminated at
 * s[len]) into out (cap values); *n is how many there were. Returns NULL,
 * or what is wrong (in buf). */
static const char *parse_numbers(char *s, size_t len, double *out, size_t cap, size_t *n,
                                 char *buf, size_t buflen)
{
    char *p = s, *end = s + len;
    *n = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p == end)
            break;
        char *q = p;
        while (q < end && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
            q++;
        char save = *q;
        *q = '\0';
        char *stop = NULL;
        errno = 0;
        double v = strtod(p, &stop);
        int ok = stop == q && stop != p;
        *q = save;
        if (!ok) {
            snprintf(buf, buflen, "value %zu is not a number: '%.*s'", *n + 1,
                     (int)(q - p > 40 ? 40 : q - p), p);
            return buf;
        }
        if (!isfinite(v)) {
            snprintf(buf, buflen, "value %zu is not finite: '%.*s'", *n + 1,
                     (int)(q - p > 40 ? 40 : q - p), p);
            return buf;
        }
        if (*n < cap)
            out[*n] = v;
        (*n)++;
        p = q;
    }
    return NULL;
}

/* The last TAIL_LINES lines of stderr, joined with " | ". */
static void stderr_tail(const pmc_command *c, char *buf, size_t len)
{
    size_t n = c->tail_len;
    while (n && (c->tail[n - 1] == '\n' || c->tail[n - 1] == '\r'))
        n--;
    if (!n) {
        snprintf(buf, len, "; its stderr was empty");
        return;
    }
    size_t start = n;
    for (int lines = 0; start > 0; start--)
        if (c->tail[start - 1] == '\n' && ++lines == TAIL_LINES)
            break;
    size_t off = (size_t)snprintf(buf, len, "; its stderr ended with: ");
    for (size_t i = start; i < n && off + 4 < len; i++) {
        if (c->tail[i] == '\n') {
            off += (size_t)snprintf(buf + off, len - off, " | ");
        } else if (c->tail[i] != '\r') {
            buf[off++] = c->tail[i];
            buf[off] = '\0';
        }
    }
}

/* The one message of a failed simulation: what happened, then the tail of
 * the program's stderr. Kills the child first (if still there), so that
 * its stderr is complete. */
static int fail(pmc_command *c, const char *what, pmc_err *err)
{
    child_kill(c);
    char tail[TAIL_MAX / 2 + 64];
    stderr_tail(c, tail, sizeof tail);
    return pmc_err_set(err, PMC_ERUNTIME, "model command: program %s %s%s", c->label, what, tail);
}

/* A program killed by a stop signal was most likely signalled with
 * pmcabc (Slurm signals every process of a job step, in no set order):
 * gives pmcabc's own signal a second to arrive, so that the end is taken
 * for the interruption it is (exit 75), not for a failure. */
static void await_own_stop(const pmc_command *c, int status)
{
    if (!WIFSIGNALED(status))
        return;
    int sig = WTERMSIG(status);
    if (sig != SIGTERM && sig != SIGINT && sig != SIGUSR1 && sig != SIGHUP)
        return;
    for (double end = pmc_now() + 1.0; !must_stop(c) && pmc_now() < end;)
        sleep_s(0.01);
}

/* The child closed its stdout: waits (briefly) for its exit and describes
 * it in buf. Returns its wait status, or -1 if it did not exit (killed). */
static int ended_status(pmc_command *c, char *buf, size_t len)
{
    int exited = wait_exited(c, pmc_now() + EXIT_GRACE_S);
    int status = child_kill(c);
    if (!exited) {
        snprintf(buf, len, "closed its stdout but did not exit (killed)");
        return -1;
    }
    await_own_stop(c, status);
    describe_status(status, buf, len);
    return status;
}

/* A failure or a stop: a stop signal makes anything an interruption (Slurm
 * signals the whole job, simulators included: their death is then no error). */
static int stop_or_fail(pmc_command *c, const char *what, pmc_err *err)
{
    if (must_stop(c)) {
        child_kill(c);
        return pmc_err_set(err, PMC_EINTR, "interrupted by %s during a simulation",
                           pmc_signal_pending() ? pmc_signal_name(pmc_signal_pending())
                                                : "the time limit");
    }
    return fail(c, what, err);
}

/* Turns a wait outcome other than PMC_OK into the error. */
static int wait_failed(pmc_command *c, int w, const char *request, pmc_err *err)
{
    char what[512], st[160];
    if (w == WAIT_TIMEOUT)
        snprintf(what, sizeof what, "did not reply within timeout = %g s to: %s (killed)",
                 c->timeout, request);
    else if (w == -1)
        snprintf(what, sizeof what, "wrote more than %u MB in reply to: %s", REPLY_MAX >> 20,
                 request);
    else if (w == WAIT_EOF) {
        ended_status(c, st, sizeof st);
        snprintf(what, sizeof what, "%s without replying to: %s", st, request);
        return must_stop(c) ? stop_or_fail(c, what, err) : fail(c, what, err);
    } else
        snprintf(what, sizeof what, "could not be waited for (poll: %s)", strerror(errno));
    return stop_or_fail(c, what, err);
}

/* Parses reply line s (len bytes, its newline removed) into out: exactly
 * c->n_stats finite numbers (or, for the observed request, n_stats = 0: at
 * least one). Returns NULL or what is wrong. */
static const char *check_reply(pmc_command *c, char *s, size_t len, double *out, size_t *n,
                               char *buf, size_t buflen)
{
    size_t cap = c->n_stats ? c->n_stats : STATS_MAX;
    char why[128];
    const char *bad = parse_numbers(s, len, out, cap, n, why, sizeof why);
    if (!bad && c->n_stats && *n != c->n_stats) {
        snprintf(why, sizeof why, "%zu value%s, expected %zu (as many as the observed "
                 "statistics)", *n, *n == 1 ? "" : "s", c->n_stats);
        bad = why;
    } else if (!bad && !*n) {
        bad = "an empty line, expected the statistics";
    } else if (!bad && *n > STATS_MAX) {
        snprintf(why, sizeof why, "%zu values, more than %d", *n, STATS_MAX);
        bad = why;
    }
    if (!bad)
        return NULL;
    snprintf(buf, buflen, "replied '%.*s%s': %s", (int)(len > 120 ? 120 : len), s,
             len > 120 ? "..." : "", bad);
    return buf;
}

/* The request in c->req to the persistent program and its reply in out
 * (see pmc_command_simulate; n_stats = 0 for the observed request). A
 * program that exits with status 0 before replying is started again and
 * asked again once (it may serve a fixed number of requests, or one). */
static int persistent_ask(pmc_command *c, double *out, size_t *n, pmc_err *err)
{
    child *ch = &c->ch;
    const char *request = c->req;
    for (int fresh = 0;; fresh = 1) {
        if (ch->pid) {
            /* Between requests: has it ended, or written out of turn? */
            if ((ch->out >= 0 && read_stdout(c) != 0) || ch->olen) {
                char what[256];
                snprintf(what, sizeof what, "wrote to stdout between requests: '%.*s' (stdout "
                         "carries only replies, one line per request)",
                         (int)(ch->olen > 80 ? 80 : ch->olen), ch->obuf);
                return fail(c, what, err);
            }
            if (ch->out < 0) {
                char st[160];
                int status = ended_status(c, st, sizeof st);
                if (status != 0) {
                    char what[256];
                    snprintf(what, sizeof what, "%s after its last reply", st);
                    return stop_or_fail(c, what, err);
                }
            }
        }
        if (!ch->pid) {
            int rc = child_start(c, 1, err);
            if (rc != PMC_OK)
                return rc;
            fresh = 1;
        }
        c->req_len = strlen(request);
        c->req_off = 0;
        double deadline = c->timeout > 0.0 ? pmc_now() + c->timeout : 0.0;
        int w = pump(c, deadline, 0);
        if (w == WAIT_EOF && ch->olen == 0 && !fresh) {
            char st[160];
            if (ended_status(c, st, sizeof st) == 0)
                continue; /* ended between requests: start it again, ask again */
            char what[512];
            snprintf(what, sizeof what, "%s without replying to: %.*s", st,
                     (int)strcspn(request, "\n"), request);
            return stop_or_fail(c, what, err);
        }
        char shown[256];
        snprintf(shown, sizeof shown, "%.*s%s", (int)(strcspn(request, "\n") > 200 ? 200 :
                 strcspn(request, "\n")), request, strcspn(request, "\n") > 200 ? "..." : "");
        if (w == WAIT_EOF && ch->olen > 0)
            ch->obuf[ch->olen++] = '\n'; /* a last line without its newline */
        else if (w != PMC_OK)
            return wait_failed(c, w, shown, err);
        char *nl = memchr(ch->obuf, '\n', ch->olen);
        size_t len = (size_t)(nl - ch->obuf);
        ch->obuf[len] = '\0';
        char why[512];
        const char *bad = check_reply(c, ch->obuf, len, out, n, why, sizeof why);
        if (!bad && len + 1 < ch->olen)
            bad = "wrote more than one line in reply";
        if (bad) {
            char what[900];
            snprintf(what, sizeof what, "%s, to: %s", bad, shown);
            return fail(c, what, err);
        }
        ch->olen = 0;
        return PMC_OK;
    }
}

/* One simulation in its own process (per_simulation mode). */
static int per_simulation_run(pmc_command *c, uint64_t seed, const double *theta, double *out,
                              pmc_err *err)
{
    int rc = expand_argv(c, seed, theta, err);
    if (rc == PMC_OK)
        rc = child_start(c, 0, err);
    if (rc != PMC_OK)
        return rc;
    char shown[128];
    snprintf(shown, sizeof shown, "seed %llu", (unsigned long long)seed);
    c->req_len = c->req_off = 0;
    double deadline = c->timeout > 0.0 ? pmc_now() + c->timeout : 0.0;
    int w = pump(c, deadline, 1);
    if (w != PMC_OK)
        return wait_failed(c, w, shown, err);
    int exited = wait_exited(c, deadline);
    if (!exited)
        return wait_failed(c, must_stop(c) ? WAIT_STOP : WAIT_TIMEOUT, shown, err);
    int status = child_kill(c);
    char what[900], st[160];
    if (status != 0) {
        await_own_stop(c, status);
        describe_status(status, st, sizeof st);
        snprintf(what, sizeof what, "%s (%s)", st, shown);
        return stop_or_fail(c, what, err);
    }
    child *ch = &c->ch;
    size_t n = 0;
    ch->obuf[ch->olen] = '\0';
    char why[512];
    const char *bad = ch->olen ? check_reply(c, ch->obuf, ch->olen, out, &n, why, sizeof why)
                               : "wrote nothing to stdout, expected the statistics";
    ch->olen = 0;
    if (bad) {
        snprintf(what, sizeof what, "%s (%s)", bad, shown);
        char tail[TAIL_MAX / 2 + 64];
        stderr_tail(c, tail, sizeof tail);
        return pmc_err_set(err, PMC_ERUNTIME, "model command: program %s %s%s", c->label, what,
                           tail);
    }
    return PMC_OK;
}

/* --- the observed statistics --- */

/* The `observed` file: the statistics as numbers separated by blanks or
 * newlines; '#' starts a comment. */
static int read_observed_file(pmc_command *c, double **obs, size_t *n, pmc_err *err)
{
    const pmc_config_kv *kv = c->observed_kv;
    char dir[PMC_PATH_MAX], path[PMC_PATH_MAX];
    base_dir(kv, dir, sizeof dir);
    if (!kv->value[0] || absolute_path(dir, kv->value, path, sizeof path) != 0)
        return key_error(kv, "expected the path of a file of observed statistics", err);
    FILE *f = fopen(path, "r");
    if (!f) {
        char what[PMC_PATH_MAX + 64];
        snprintf(what, sizeof what, "cannot open %s: %s", path, strerror(errno));
        return key_error(kv, what, err);
    }
    size_t cap = 16;
    double *v = malloc(cap * sizeof *v);
    char *line = NULL;
    size_t lcap = 0, lineno = 0;
    ssize_t len;
    int rc = v ? PMC_OK : pmc_err_set(err, PMC_ENOMEM, "out of memory");
    *n = 0;
    while (rc == PMC_OK && (len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            len = hash - line;
        size_t got;
        char why[128];
        line[len] = '\0';
        /* Counted first, then stored once there is room. */
        const char *bad = parse_numbers(line, (size_t)len, NULL, 0, &got, why, sizeof why);
        if (bad) {
            char what[PMC_PATH_MAX + 256];
            snprintf(what, sizeof what, "%s:%zu: %s: expected finite numbers (the observed "
                     "statistics)", path, lineno, bad);
            rc = key_error(kv, what, err);
            break;
        }
        if (*n + got > cap) {
            while (*n + got > cap)
                cap *= 2;
            double *nv = cap <= STATS_MAX ? realloc(v, cap * sizeof *v) : NULL;
            if (!nv) {
                rc = pmc_err_set(err, PMC_ENOMEM, "%s: too many statistics", path);
                break;
            }
            v = nv;
        }
        parse_numbers(line, (size_t)len, v + *n, got, &got, why, sizeof why);
        *n += got;
    }
    free(line);
    fclose(f);
    if (rc == PMC_OK && *n == 0) {
        char what[PMC_PATH_MAX + 64];
        snprintf(what, sizeof what, "%s holds no numbers: expected the observed statistics",
                 path);
        rc = key_error(kv, what, err);
    }
    if (rc != PMC_OK) {
        free(v);
        return rc;
    }
    *obs = v;
    return PMC_OK;
}

/* The `observed` request to the persistent program. */
static int ask_observed(pmc_command *c, double **obs, size_t *n, pmc_err *err)
{
    double *v = malloc(STATS_MAX * sizeof *v);
    if (!v)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory for the observed statistics");
    snprintf(c->where, sizeof c->where, "observed");
    c->req_len = 0;
    int rc = expand_argv(c, 0, NULL, err);
    if (rc == PMC_OK) {
        if (c->req_cap < 16) {
            char *r = realloc(c->req, 64);
            if (!r)
                rc = pmc_err_set(err, PMC_ENOMEM, "out of memory");
            else
                c->req = r, c->req_cap = 64;
        }
    }
    if (rc == PMC_OK) {
        strcpy(c->req, "observed\n");
        rc = persistent_ask(c, v, n, err);
    }
    if (rc != PMC_OK) {
        free(v);
        if (rc != PMC_ERUNTIME)
            return rc;
        /* A program that cannot give the observed statistics is a bad
         * model definition (exit 2), reported at the command key. */
        char msg[PMC_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return pmc_err_set(err, PMC_EINVAL, "%s: [model] command: %s: the observed request "
                           "failed: %s", PMC_ORIGIN_TEXT(&c->command_kv->origin),
                           c->command_kv->value, msg);
    }
    double *fit = realloc(v, *n * sizeof *v);
    *obs = fit ? fit : v;
    return PMC_OK;
}

/* --- the interface --- */

int pmc_command_new(pmc_command **out, pmc_err *err)
{
    pmc_command *c = calloc(1, sizeof *c);
    if (!c)
        return pmc_err_set(err, PMC_ENOMEM, "out of memory creating the command model");
    c->ch.in = c->ch.out = c->ch.errfd = -1;
    *out = c;
    return PMC_OK;
}

int pmc_command_set_key(pmc_command *c, const pmc_config_kv *kv, pmc_err *err)
{
    if (!strcmp(kv->key, "command")) {
        c->command_kv = kv;
        return PMC_OK;
    }
    if (!strcmp(kv->key, "observed")) {
        c->observed_kv = kv;
        return PMC_OK;
    }
    if (!strcmp(kv->key, "mode")) {
        if (!strcmp(kv->value, "persistent"))
            c->mode = MODE_PERSISTENT;
        else if (!strcmp(kv->value, "per_simulation"))
            c->mode = MODE_PER_SIMULATION;
        else
            return key_error(kv, "expected 'persistent' or 'per_simulation'", err);
        return PMC_OK;
    }
    if (!strcmp(kv->key, "timeout")) {
        double v = 0.0;
        pmc_number_status st = pmc_number_parse(kv->value, strlen(kv->value), &v);
        if ((st != PMC_NUMBER_OK && st != PMC_NUMBER_UNDERFLOW) || v < 0.0)
            return key_error(kv, "expected a number of seconds >= 0 (0: no timeout)", err);
        c->timeout = v;
        return PMC_OK;
    }
    return PMC_ENOTFOUND;
}

/* The code a resume must find unchanged (issue 17: a rebuilt simulator
 * would mix two models in one run): the program file, and every argument
 * without a placeholder that names an existing regular file other than the
 * data (a script: "python3 sim.py", "java -jar sim.jar"), as the child
 * resolves it (from its working directory). Files the program opens by
 * itself are not known and not covered (docs/models.md). */
static int hash_code(pmc_command *c, pmc_err *err)
{
    uint64_t h = PMC_FNV1A_INIT;
    int e = pmc_checksum_fnv1a_file(c->program, &h);
    if (e)
        return pmc_err_set(err, e == EIO ? PMC_EIO : PMC_EINVAL, "%s: [model] command: "
                           "cannot read program %s: %s", PMC_ORIGIN_TEXT(&c->command_kv->origin),
                           c->program, strerror(e));
    snprintf(c->code_files, sizeof c->code_files, "%s", c->program);
    for (size_t i = 1; i < c->n_words; i++) {
        const char *w = c->words[i];
        char path[PMC_PATH_MAX];
        struct stat sb;
        if (!w[0] || strchr(w, '{')) /* a placeholder: not a file of the command */
            continue;
        int n = w[0] == '/' || !c->cwd[0] ? snprintf(path, sizeof path, "%s", w)
                                         : snprintf(path, sizeof path, "%s/%s", c->cwd, w);
        if (n < 0 || (size_t)n >= sizeof path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
            strcmp(path, c->data) == 0)
            continue;
        e = pmc_checksum_fnv1a_file(path, &h);
        if (e)
            return pmc_err_set(err, e == EIO ? PMC_EIO : PMC_EINVAL, "%s: [model] command: "
                               "cannot read %s: %s", PMC_ORIGIN_TEXT(&c->command_kv->origin),
                               path, strerror(e));
        size_t len = strlen(c->code_files);
        if (len + strlen(path) + 16 < sizeof c->code_files)
            snprintf(c->code_files + len, sizeof c->code_files - len, " or %s", path);
    }
    c->code_digest = h ? h : 1; /* 0 marks a built-in model in checkpoints */
    return PMC_OK;
}

uint64_t pmc_command_code_digest(const pmc_command *c) { return c->code_digest; }
const char *pmc_command_code_files(const pmc_command *c) { return c->code_files; }

int pmc_command_setup(pmc_command *c, const pmc_config *cfg, double **obs, size_t *n_stats,
                      uint64_t *checksum, pmc_err *err)
{
    c->cfg = cfg;
    if (!c->command_kv)
        return pmc_err_set(err, PMC_EINVAL, "%s: [model] command: missing: model command needs "
                           "the program to run (command = path/to/program arguments...)",
                           cfg->path);
    const char *bad = split_words(c->command_kv->value, c->words, &c->n_words);
    if (bad)
        return key_error(c->command_kv, bad, err);
    char dir[PMC_PATH_MAX];
    base_dir(c->command_kv, dir, sizeof dir);
    int rc = resolve_program(c, dir, err);
    if (rc == PMC_OK && dir[0] && absolute_path("", dir, c->cwd, sizeof c->cwd) != 0)
        rc = key_error(c->command_kv, "path too long", err);
    if (rc == PMC_OK && cfg->model_data[0] &&
        absolute_path("", cfg->model_data, c->data, sizeof c->data) != 0)
        rc = pmc_err_set(err, PMC_EINVAL, "%s: [model] data: %s: path too long",
                         PMC_ORIGIN_TEXT(&cfg->model_data_origin), cfg->model_data);
    if (rc == PMC_OK)
        rc = check_placeholders(c, err);
    if (rc == PMC_OK && c->mode == MODE_PER_SIMULATION && !c->observed_kv)
        rc = pmc_err_set(err, PMC_EINVAL, "%s: [model] observed: missing: mode = per_simulation "
                         "needs the observed statistics in a file (observed = FILE); only a "
                         "persistent program answers the observed request",
                         PMC_ORIGIN_TEXT(&c->command_kv->origin));
    if (rc == PMC_OK)
        rc = make_env(c, err);
    if (rc != PMC_OK)
        return rc;
    /* "sim", or "python3 sim.py": an interpreter's first argument names
     * the simulator better than the interpreter does. */
    const char *base = strrchr(c->program, '/'), *arg = c->n_words > 1 ? c->words[1] : "";
    const char *arg_base = strrchr(arg, '/');
    int named = arg[0] && arg[0] != '-' && !placeholder_len(arg);
    snprintf(c->label, sizeof c->label, "%.60s%s%.60s", base ? base + 1 : c->program,
             named ? " " : "", named ? (arg_base ? arg_base + 1 : arg) : "");
    long max = sysconf(_SC_OPEN_MAX);
    c->close_max = max > 0 && max < 65536 ? max : 65536;
    /* A child that exits while pmcabc writes its request must not kill
     * pmcabc with SIGPIPE: the write fails with EPIPE instead. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, NULL);
    /* An ignored SIGCHLD (inherited from whatever started pmcabc) would
     * reap the children by itself, and their exit status would be lost. */
    struct sigaction chld;
    if (sigaction(SIGCHLD, NULL, &chld) == 0 && chld.sa_handler == SIG_IGN) {
        chld.sa_handler = SIG_DFL;
        sigaction(SIGCHLD, &chld, NULL);
    }
    rc = hash_code(c, err);
    if (rc != PMC_OK)
        return rc;
    /* The fingerprint a resume checks: the data file's bytes (the program
     * reads them, pmcabc does not), then the observed statistics. Read
     * first, so that a missing data file is named as such. */
    uint64_t h = PMC_FNV1A_INIT;
    int e = c->data[0] ? pmc_checksum_fnv1a_file(c->data, &h) : 0;
    if (e)
        return pmc_err_set(err, e == EIO ? PMC_EIO : PMC_EINVAL, "%s: [model] data: %s: "
                           "cannot read %s: %s", PMC_ORIGIN_TEXT(&cfg->model_data_origin),
                           cfg->model_data, c->data, strerror(e));
    double *v = NULL;
    size_t n = 0;
    rc = c->observed_kv ? read_observed_file(c, &v, &n, err) : ask_observed(c, &v, &n, err);
    if (rc != PMC_OK)
        return rc;
    c->n_stats = n;
    *obs = v;
    *n_stats = n;
    *checksum = pmc_checksum_fnv1a(h, v, n * sizeof *v);
    return PMC_OK;
}

/* The request line: "simulate SEED name=value ...\n", values with 17
 * significant digits (they read back as the same double). */
static int build_request(pmc_command *c, uint64_t seed, const double *theta, pmc_err *err)
{
    const pmc_config *cfg = c->cfg;
    size_t need = 32 + cfg->n_params * (PMC_NAME_MAX + 32);
    if (c->req_cap < need) {
        char *r = realloc(c->req, need);
        if (!r)
            return pmc_err_set(err, PMC_ENOMEM, "out of memory for a request");
        c->req = r;
        c->req_cap = need;
    }
    size_t off = (size_t)snprintf(c->req, c->req_cap, "simulate %llu", (unsigned long long)seed);
    for (size_t i = 0; i < cfg->n_params; i++)
        off += (size_t)snprintf(c->req + off, c->req_cap - off, " %s=%.17g", cfg->prior[i].name,
                                theta[i]);
    snprintf(c->req + off, c->req_cap - off, "\n");
    return PMC_OK;
}

int pmc_command_simulate(pmc_command *c, const double *theta, gsl_rng *rng, double *stats,
                         pmc_err *err)
{
    /* The seed comes from the attempt's own stream, so a deterministic
     * program gives the same bits on any number of ranks. */
    uint64_t seed = (uint64_t)gsl_rng_get(rng) << 32;
    seed |= (uint64_t)gsl_rng_get(rng);
    uint32_t gen;
    uint64_t slot, attempt;
    pmc_rng_stream_position(rng, &gen, &slot, &attempt);
    snprintf(c->where, sizeof c->where, "generation %u, slot %llu", gen,
             (unsigned long long)slot);
    if (c->mode == MODE_PER_SIMULATION)
        return per_simulation_run(c, seed, theta, stats, err);
    if (!c->argv[0]) {
        int rc = expand_argv(c, 0, NULL, err);
        if (rc != PMC_OK)
            return rc;
    }
    int rc = build_request(c, seed, theta, err);
    size_t n = 0;
    return rc == PMC_OK ? persistent_ask(c, stats, &n, err) : rc;
}

void pmc_command_set_stop_time(pmc_command *c, double stop_time)
{
    c->stop_time = stop_time;
}

void pmc_command_free(pmc_command *c)
{
    if (!c)
        return;
    child_stop(c);
    for (size_t i = 0; i < c->n_words; i++)
        free(c->words[i]);
    free(c->envp);
    free(c->argbuf);
    free(c->req);
    free(c->ch.obuf);
    free(c->stack);
    free(c);
}

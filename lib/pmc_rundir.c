/* The run directory: contract in pmc_rundir.h. */
#include "pmc_rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmc_log.h"

/* --- names --- */

/* Prefix and suffix of each kind, in the order of the mask bits. */
static const struct {
    pmc_rundir_kind kind;
    const char *prefix, *suffix;
} names[] = {
    {PMC_RUNDIR_GEN, "gen-", ".h5"},
    {PMC_RUNDIR_PARTIAL, "partial-", ".h5"},
    /* Leading dot and .tmp suffix: never matches a finished file, so a scan
     * for those cannot pick up a half-written one. */
    {PMC_RUNDIR_GEN_TMP, ".gen-", ".h5.tmp"},
    {PMC_RUNDIR_PARTIAL_TMP, ".partial-", ".h5.tmp"},
};
#define N_KINDS (sizeof names / sizeof names[0])

static size_t kind_index(pmc_rundir_kind kind)
{
    size_t i = 0;
    while (i + 1 < N_KINDS && names[i].kind != kind)
        i++;
    return i;
}

int pmc_rundir_path(char *buf, size_t len, const char *dir, pmc_rundir_kind kind,
                    unsigned generation, pmc_err *err)
{
    size_t k = kind_index(kind);
    int n = snprintf(buf, len, "%s/%s%04u%s", dir, names[k].prefix, generation, names[k].suffix);
    if (n < 0 || (size_t)n >= len)
        return pmc_err_set(err, PMC_EINVAL, "%s: checkpoint directory path too long", dir);
    return PMC_OK;
}

/* 4 or more decimal digits between prefix and suffix, value below
 * PMC_RUNDIR_MAX_GENERATION: what the writer's %04u produces. */
long pmc_rundir_number(const char *name, pmc_rundir_kind kind)
{
    size_t k = kind_index(kind);
    const char *prefix = names[k].prefix, *suffix = names[k].suffix;
    size_t lp = strlen(prefix), ls = strlen(suffix), len = strlen(name);
    if (len < lp + 4 + ls || strncmp(name, prefix, lp) != 0 || strcmp(name + len - ls, suffix) != 0)
        return -1;
    long v = 0;
    for (size_t i = lp; i < len - ls; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
        if (v >= PMC_RUNDIR_MAX_GENERATION)
            return -1;
    }
    return v;
}

/* --- listing --- */

static int ascending(const void *a, const void *b)
{
    const pmc_rundir_entry *x = a, *y = b;
    if (x->generation != y->generation)
        return x->generation < y->generation ? -1 : 1;
    return strcmp(x->name, y->name);
}

int pmc_rundir_list(const char *dir, unsigned kinds, pmc_rundir_entry **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    DIR *dp = opendir(dir);
    if (!dp)
        return errno;
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dp))) {
        for (size_t k = 0; k < N_KINDS; k++) {
            long g = kinds & names[k].kind ? pmc_rundir_number(de->d_name, names[k].kind) : -1;
            if (g < 0)
                continue;
            if (*count == cap) {
                cap = cap ? 2 * cap : 16;
                pmc_rundir_entry *grown = realloc(*out, cap * sizeof **out);
                if (!grown) {
                    rc = ENOMEM;
                    break;
                }
                *out = grown;
            }
            pmc_rundir_entry *e = &(*out)[(*count)++];
            e->generation = g;
            e->kind = names[k].kind;
            snprintf(e->name, sizeof e->name, "%s", de->d_name);
            break;
        }
    }
    closedir(dp);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *count = 0;
    } else if (*count > 0) { /* qsort must not get NULL, even for 0 elements */
        qsort(*out, *count, sizeof **out, ascending);
    }
    return rc;
}

int pmc_rundir_has_generation_like(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(dp)))
        if (!strncmp(e->d_name, "gen-", 4) && strstr(e->d_name, ".h5"))
            found = 1;
    closedir(dp);
    return found;
}

int pmc_rundir_names_partial(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    return strncmp(base, "partial-", 8) == 0 && len > 11 && strcmp(base + len - 3, ".h5") == 0;
}

/* --- creating and syncing --- */

/* Creates one directory level; an existing directory is fine. */
static int mkdir_one(const char *dir, const char *level, pmc_err *err)
{
    if (mkdir(level, 0777) == 0)
        return PMC_OK;
    int e = errno;
    struct stat st;
    if (e == EEXIST && stat(level, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return PMC_OK;
        return pmc_err_set(err, PMC_EIO, "%s: %s exists but is not a directory", dir, level);
    }
    return pmc_err_set(err, PMC_EIO, "%s: mkdir %s: %s", dir, level, strerror(e));
}

int pmc_rundir_prepare(const char *dir, pmc_err *err)
{
    if (!dir || !*dir)
        return pmc_err_set(err, PMC_EINVAL, "checkpoint directory: empty path");
    char level[PATH_MAX];
    if (snprintf(level, sizeof level, "%s", dir) >= (int)sizeof level)
        return pmc_err_set(err, PMC_EINVAL, "%s: path too long", dir);
    /* Every '/' after a non-slash character ends a level: "a//b/" gives a, a//b. */
    for (char *p = level + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        int st = mkdir_one(dir, level, err);
        *p = '/';
        if (st != PMC_OK)
            return st;
    }
    int st = mkdir_one(dir, level, err);
    if (st != PMC_OK)
        return st;
    if (access(dir, W_OK | X_OK) != 0)
        return pmc_err_set(err, PMC_EIO, "%s: directory not writable: %s", dir, strerror(errno));
    return PMC_OK;
}

int pmc_rundir_fsync(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return errno;
    int rc = fsync(dfd) == 0 || errno == EINVAL ? 0 : errno;
    close(dfd);
    return rc;
}

/* --- retention --- */

/* Whether cleanup after generation `newest` removes entry e. */
static int superseded(const pmc_rundir_entry *e, unsigned newest, unsigned keep_last)
{
    switch (e->kind) {
    case PMC_RUNDIR_GEN_TMP:
    case PMC_RUNDIR_PARTIAL_TMP:
        return 1;
    case PMC_RUNDIR_PARTIAL: /* superseded once its generation is complete */
        return e->generation <= (long)newest;
    case PMC_RUNDIR_GEN:
        return keep_last > 0 && newest >= keep_last && e->generation <= (long)(newest - keep_last);
    }
    return 0;
}

void pmc_rundir_cleanup(const char *dir, unsigned newest, unsigned keep_last)
{
    pmc_rundir_entry *list = NULL;
    size_t count = 0, removed = 0;
    int rc = pmc_rundir_list(dir, PMC_RUNDIR_GEN | PMC_RUNDIR_PARTIAL | PMC_RUNDIR_GEN_TMP |
                                      PMC_RUNDIR_PARTIAL_TMP, &list, &count);
    if (rc != 0) {
        pmc_log_warn("checkpoint cleanup: cannot list %s: %s", dir, strerror(rc));
        return;
    }
    for (size_t i = 0; i < count; i++) {
        char file[PATH_MAX];
        if (!superseded(&list[i], newest, keep_last) ||
            snprintf(file, sizeof file, "%s/%s", dir, list[i].name) >= (int)sizeof file)
            continue; /* the second cannot happen: dir itself was opened */
        if (unlink(file) == 0)
            removed++;
        else if (errno != ENOENT)
            pmc_log_warn("checkpoint cleanup: cannot remove %s: %s", file, strerror(errno));
    }
    free(list);
    if (removed && (rc = pmc_rundir_fsync(dir)) != 0)
        pmc_log_warn("checkpoint cleanup: fsync directory %s: %s", dir, strerror(rc));
}

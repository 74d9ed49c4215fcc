/* Helpers shared by the file-reading fuzz targets: a private temporary
 * directory per process (removed at exit) and writing the input to a file. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_PATH_MAX 512

static char fuzz_dir[FUZZ_PATH_MAX];
static char fuzz_file[FUZZ_PATH_MAX];

static void fuzz_cleanup(void)
{
    if (fuzz_file[0])
        unlink(fuzz_file);
    if (fuzz_dir[0])
        rmdir(fuzz_dir);
}

/* out = <fresh temp dir>/name; aborts if the directory cannot be made. */
static void fuzz_temp_path(char out[FUZZ_PATH_MAX], const char *name)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/pmc-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("mkdtemp");
        abort();
    }
    snprintf(out, FUZZ_PATH_MAX, "%s/%s", fuzz_dir, name);
    snprintf(fuzz_file, sizeof fuzz_file, "%s", out);
    atexit(fuzz_cleanup);
}

static void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

#endif

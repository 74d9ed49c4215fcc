/* A compiled simulator program for pmcabc's `[model] name = command` (the
 * protocol: docs/writing-a-model.md, "A simulator program"). Copy it and
 * replace simulate() with your model; any language that reads stdin and
 * writes stdout line by line does the same (Fortran, C++, R, Java).
 *
 * The model: linear regression y_i = a + b x_i + e_i, e_i ~ Normal(0, s), at
 * the x_i of the data (a CSV file with a header row "x,y", '#' comments).
 * Statistics: the least-squares intercept and slope, and the residual
 * standard deviation.
 *
 *   command = ../../build/examples/command_c/command_c_sim {data}
 *
 * Requests, one per line on stdin:
 *   observed                        -> the statistics of the data
 *   simulate SEED a=... b=... s=...  -> the statistics of one simulated data set
 * Replies: one line of numbers on stdout, flushed. Messages go to stderr.
 *
 * All randomness comes from a generator seeded with SEED (splitmix64, then
 * Box-Muller), so the same seed and parameters give the same statistics and
 * the run is bit-identical on any number of ranks. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POINTS 100000

static double xs[MAX_POINTS], ys[MAX_POINTS], sim[MAX_POINTS];
static size_t n;

/* splitmix64 (Steele, Lea & Flood 2014): small, fast and good enough here. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform on (0, 1): never 0, so log() is safe. */
static double uniform(uint64_t *state)
{
    return ((double)(next_u64(state) >> 11) + 0.5) * 0x1.0p-53;
}

static double normal(uint64_t *state)
{
    const double two_pi = 6.283185307179586;
    double u1 = uniform(state); /* two statements: C leaves the order of operands open */
    double u2 = uniform(state);
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

/* Least-squares fit of y on x: intercept, slope, residual sd (n - 2). */
static void summary(const double *y, double out[3])
{
    double mx = 0, my = 0, sxx = 0, sxy = 0, ss = 0;
    for (size_t i = 0; i < n; i++) {
        mx += xs[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        sxx += (xs[i] - mx) * (xs[i] - mx);
        sxy += (xs[i] - mx) * (y[i] - my);
    }
    double b = sxy / sxx, a = my - b * mx;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] - a - b * xs[i];
        ss += r * r;
    }
    out[0] = a;
    out[1] = b;
    out[2] = sqrt(ss / (double)(n - 2));
}

static void simulate(uint64_t seed, double a, double b, double s, double out[3])
{
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++)
        sim[i] = a + b * xs[i] + s * normal(&state);
    summary(sim, out);
}

static int read_data(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        double x, y;
        if (line[0] == '#' || !strncmp(line, "x,y", 3))
            continue;
        if (sscanf(line, "%lf,%lf", &x, &y) != 2 || n == MAX_POINTS) {
            fprintf(stderr, "%s: bad line: %s", path, line);
            fclose(f);
            return 1;
        }
        xs[n] = x;
        ys[n++] = y;
    }
    fclose(f);
    if (n < 3) {
        fprintf(stderr, "%s: %zu points, need at least 3\n", path, n);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA.csv (requests on stdin)\n", argv[0]);
        return 2;
    }
    if (read_data(argv[1]) != 0)
        return 1;
    char line[4096];
    double out[3];
    while (fgets(line, sizeof line, stdin)) {
        unsigned long long seed;
        double a, b, s;
        if (!strncmp(line, "observed", 8)) {
            summary(ys, out);
        } else if (sscanf(line, "simulate %llu a=%lf b=%lf s=%lf", &seed, &a, &b, &s) == 4) {
            simulate((uint64_t)seed, a, b, s, out);
        } else {
            fprintf(stderr, "command_c_sim: unexpected request: %s", line);
            return 1;
        }
        printf("%.17g %.17g %.17g\n", out[0], out[1], out[2]);
        fflush(stdout); /* a pipe is block-buffered: without this the reply never arrives */
    }
    return 0;
}

/* Benchmark (not a test): throughput of the importance-weight kernel
 * (pmc_weights_block), in particle pairs (i, j) per second on one core.
 * Each case times particles [0, m) of a population of N against N previous
 * particles in d dimensions, with m chosen so that one repeat is about
 * PAIRS pairs (all N if N * N is smaller). Results go to docs/performance.md.
 *
 * Usage: pmc_bench_weights [--isa auto|baseline|avx2|avx512|plain] [--reps R]
 *                          [--pairs P] [--d LIST] [--n LIST] [--kernel global|local]
 *        pmc_bench_weights --accuracy
 *   --accuracy    measures the kernel's exp instead: the largest relative
 *                 error of 1 / weight against expl over 2e6 points of
 *                 [-708, 0], for every instruction set this CPU has.
 *   --isa plain   times a plain C loop with libm exp (the code before the
 *                 vectorised kernel), for before/after comparisons.
 *   --isa libmvec the same loop compiled with -ffast-math for AVX2 + FMA, so
 *                 that GCC vectorises it with glibc's vector exp: the
 *                 "plain loop with a vectorised exp" reference.
 *   --kernel local times pmc_weights_block_local instead (a covariance per
 *                 ancestor: [kernel] name = olcm or knn), with fixed factors
 *                 L_j^{-1} (diagonal 1, below it 0.1); default global.
 *   LIST is comma-separated, e.g. --d 2,5,10 --n 1000,10000,100000.
 * Prints one Markdown table row per (d, N): pairs/s of the fastest and the
 * median of R repeats by wall time, and the median by the thread's CPU time
 * (which leaves out time the process was descheduled on a busy machine).
 * Pin it to one core with taskset for stable numbers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_weights_plain.h"
#include "pmc_log.h"
#include "pmc_weights.h"

/* Standard normal draws from a fixed xorshift stream (Box-Muller): the
 * benchmark's inputs are the same on every run. */
static double bench_normal(uint64_t *s)
{
    double u[2];
    for (int k = 0; k < 2; k++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        u[k] = ((double)(*s >> 11) + 0.5) * 0x1p-53;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One previous particle at 0 with weight 1 and prior density 1 make the
 * weight 1 / exp(-z^2 / 2): the kernel's exp up to one division's rounding. */
static int accuracy(void)
{
    size_t n = 2000000;
    double *z = malloc(n * sizeof *z), *lp = calloc(n, sizeof *lp);
    double *out = malloc(n * sizeof *out);
    const double zp[1] = { 0 }, wp[1] = { 1 };
    uint64_t s = 12345;
    if (!z || !lp || !out)
        return 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(s >> 11) * 0x1p-53;
        /* half the points over [-708, 0], half over [-2, 0] where g is small */
        z[i] = sqrt(2 * u * (i < n / 2 ? 708.0 : 2.0));
    }
    printf("| kernel | points | max relative error of 1/weight vs expl, -1 <= x <= 0 | "
           "the same, -708 <= x < -1 | at x | max of error / ((1 + |x|) 2^-53) |\n"
           "|---|---|---|---|---|---|\n");
    for (int isa = PMC_WEIGHTS_ISA_BASELINE; isa <= (int)pmc_weights_isa_best(); isa++) {
        pmc_err err;
        if (pmc_weights_block_isa(isa, z, lp, 0, n, zp, wp, 1, 1, out, &err) != PMC_OK)
            return 1;
        long double small = 0, big = 0, scaled = 0;
        double wx = 0;
        for (size_t i = 0; i < n; i++) {
            double x = -0.5 * (z[i] * z[i]);
            long double rel = fabsl(1 / ((long double)out[i] * expl((long double)x)) - 1);
            long double sc = rel / ((1 - (long double)x) * 0x1p-53L);
            scaled = sc > scaled ? sc : scaled;
            if (x >= -1.0) {
                small = rel > small ? rel : small;
            } else if (rel > big) {
                big = rel;
                wx = x;
            }
        }
        printf("| %s | %zu | %.3Le | %.3Le | %.3f | %.2Lf |\n", pmc_weights_isa_name(isa), n, small,
               big, wx, scaled);
    }
    long double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double x = -0.5 * (z[i] * z[i]);
        long double rel = fabsl((long double)exp(x) / expl((long double)x) - 1);
        worst = rel > worst ? rel : worst;
    }
    printf("| libm exp (for comparison, no division) | %zu | %.3Le | |\n", n, worst);
    free(z);
    free(lp);
    free(out);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t parse_list(const char *s, size_t *out, size_t max)
{
    size_t k = 0;
    char *end;
    while (*s && k < max) {
        out[k++] = (size_t)strtod(s, &end);
        s = *end == ',' ? end + 1 : end;
        if (end == s && *s)
            break;
    }
    return k;
}

int main(int argc, char **argv)
{
    const char *isa_name = "auto";
    int local = 0;
    int reps = 5;
    double target = 2e8;
    size_t ds[16] = { 2, 5, 10 }, ns[16] = { 1000, 10000, 100000 }, nd = 3, nn = 3;
    if (argc == 2 && !strcmp(argv[1], "--accuracy"))
        return accuracy();
    for (int a = 1; a + 1 < argc; a += 2) {
        if (!strcmp(argv[a], "--isa"))
            isa_name = argv[a + 1];
        else if (!strcmp(argv[a], "--reps"))
            reps = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "--pairs"))
            target = atof(argv[a + 1]);
        else if (!strcmp(argv[a], "--d"))
            nd = parse_list(argv[a + 1], ds, 16);
        else if (!strcmp(argv[a], "--n"))
            nn = parse_list(argv[a + 1], ns, 16);
        else if (!strcmp(argv[a], "--kernel") &&
                 (!strcmp(argv[a + 1], "global") || !strcmp(argv[a + 1], "local")))
            local = !strcmp(argv[a + 1], "local");
        else {
            fprintf(stderr, "pmc_bench_weights: unknown option '%s'\n", argv[a]);
            return 2;
        }
    }
    if (reps < 1 || reps > 100) {
        fprintf(stderr, "pmc_bench_weights: --reps must be 1..100\n");
        return 2;
    }
    int plain = !strcmp(isa_name, "plain"), mvec = !strcmp(isa_name, "libmvec");
    pmc_weights_isa isa = PMC_WEIGHTS_ISA_AUTO;
    if (!plain && !mvec && pmc_weights_isa_parse(isa_name, &isa) != PMC_OK) {
        fprintf(stderr, "pmc_bench_weights: --isa '%s': expected auto, baseline, avx2, avx512, "
                        "plain or libmvec\n", isa_name);
        return 2;
    }
    if (local && (plain || mvec)) {
        fprintf(stderr, "pmc_bench_weights: --kernel local has no plain or libmvec loop\n");
        return 2;
    }
    if (mvec && plain_block_libmvec(NULL, NULL, 0, 0, NULL, NULL, 0, 1, NULL) != 0) {
        fprintf(stderr, "pmc_bench_weights: --isa libmvec needs x86-64 glibc and a CPU with "
                        "AVX2 and FMA\n");
        return 2;
    }
    const char *used = plain  ? "plain C loop + libm exp"
                       : mvec ? "plain C loop, -ffast-math, glibc vector exp (AVX2)"
                              : pmc_weights_isa_name(isa == PMC_WEIGHTS_ISA_AUTO
                                                         ? pmc_weights_isa_best() : isa);
    char used_local[64];
    if (local) {
        snprintf(used_local, sizeof used_local, "%s, local (per-ancestor) covariance", used);
        used = used_local;
    }
    printf("| kernel | d | N | pairs per repeat | best pairs/s | median pairs/s "
           "| median pairs/s (CPU time) |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (size_t a = 0; a < nd; a++) {
        for (size_t b = 0; b < nn; b++) {
            size_t d = ds[a], n = ns[b];
            size_t m = (size_t)(target / (double)n);
            m = m < 1 ? 1 : m > n ? n : m;
            double *z = malloc(n * d * sizeof *z), *zp = malloc(n * d * sizeof *zp);
            double *wp = malloc(n * sizeof *wp), *lp = malloc(n * sizeof *lp);
            double *out = malloc(m * sizeof *out), t[100], c[100];
            size_t tri = d * (d + 1) / 2;
            double *inv = local ? malloc(n * tri * sizeof *inv) : NULL;
            if (!z || !zp || !wp || !lp || !out || (local && !inv)) {
                fprintf(stderr, "pmc_bench_weights: out of memory at N = %zu, d = %zu\n", n, d);
                return 1;
            }
            uint64_t s = 0x9e3779b97f4a7c15u;
            for (size_t k = 0; k < n * d; k++) {
                z[k] = bench_normal(&s);
                zp[k] = bench_normal(&s);
            }
            for (size_t k = 0; k < n; k++) {
                wp[k] = 1.0 / (double)n;
                lp[k] = 0;
                for (size_t e = 0, r = 0; r < d; r++)
                    for (size_t q = 0; q <= r && local; q++, e++)
                        inv[k * tri + e] = q == r ? 1.0 : 0.1;
            }
            for (int r = 0; r < reps; r++) {
                pmc_err err;
                double t0 = pmc_now(), c0 = cpu_now();
                int rc = plain  ? plain_block(z, lp, 0, m, zp, wp, n, d, out)
                         : mvec ? plain_block_libmvec(z, lp, 0, m, zp, wp, n, d, out)
                         : local ? pmc_weights_block_local_isa(isa, z, lp, 0, m, zp, inv, wp, n,
                                                               d, out, &err)
                                : pmc_weights_block_isa(isa, z, lp, 0, m, zp, wp, n, d, out, &err);
                t[r] = pmc_now() - t0;
                c[r] = cpu_now() - c0;
                if (rc != 0) {
                    fprintf(stderr, "pmc_bench_weights: weights failed (%d)\n", rc);
                    return 1;
                }
            }
            qsort(t, (size_t)reps, sizeof *t, cmp_double);
            qsort(c, (size_t)reps, sizeof *c, cmp_double);
            double pairs = (double)m * (double)n;
            printf("| %s | %zu | %zu | %.3g | %.3g | %.3g | %.3g |\n", used, d, n, pairs,
                   pairs / t[0], pairs / t[reps / 2], pairs / c[reps / 2]);
            fflush(stdout);
            free(z);
            free(zp);
            free(wp);
            free(lp);
            free(out);
            free(inv);
        }
    }
    return 0;
}

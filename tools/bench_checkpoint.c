/* Benchmark (not a test): time to write and read one generation file for
 * N particles x d parameters, on however many ranks it is started with.
 * Usage: mpiexec.mpich -n P pmc_bench_checkpoint DIR N D [REPEATS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pmc_checkpoint.h"
#include "pmc_rundir.h"
#include "pmc_log.h"
#include "pmc_schedule.h"

static int fill_and_write(pmc_schedule *s, const char *dir, size_t n, size_t d, double *t_write)
{
    double *theta = malloc(n * d * sizeof *theta), *w = malloc(n * sizeof *w);
    double *dist = malloc(n * sizeof *dist), eps[1] = { 1.0 };
    const char *names[64];
    char buf[64][16];
    if (!theta || !w || !dist || d > 64)
        return 1;
    for (size_t i = 0; i < n * d; i++)
        theta[i] = (double)(i % 977) * 0.25;
    for (size_t i = 0; i < n; i++) {
        w[i] = 1.0 / (double)n;
        dist[i] = (double)i;
    }
    for (size_t k = 0; k < d; k++) {
        snprintf(buf[k], sizeof buf[k], "p%zu", k);
        names[k] = buf[k];
    }
    pmc_gen_meta m = { .generation = 0, .epsilon = 1.0, .n_simulations = n,
                       .gen_simulations = n, .ess = (double)n, .acceptance_rate = 1.0, .seed = 1 };
    pmc_population_view v = { .n = n, .d = d, .theta = theta, .weights = w, .distances = dist,
                              .epsilons = eps, .param_names = names, .config_text = "[run]\n" };
    pmc_schedule_block(s, n, &v.lo, &v.hi);
    pmc_err err;
    pmc_schedule_barrier(s);
    double t0 = pmc_now();
    int rc = pmc_checkpoint_write_generation(pmc_schedule_comm_handle(s), dir, &m, &v, &err);
    *t_write = pmc_now() - t0;
    if (rc != PMC_OK)
        fprintf(stderr, "write failed: %s\n", err.msg);
    free(theta);
    free(w);
    free(dist);
    return rc != PMC_OK;
}

int main(int argc, char **argv)
{
    pmc_schedule *s = NULL;
    pmc_err err;
    if (pmc_schedule_init(&argc, &argv, &s, &err) != PMC_OK || argc < 4) {
        fprintf(stderr, "usage: pmc_bench_checkpoint DIR N D [REPEATS]\n");
        return 2;
    }
    size_t n = strtoull(argv[2], NULL, 10), d = strtoull(argv[3], NULL, 10);
    int reps = argc > 4 ? atoi(argv[4]) : 3;
    double best_w = 1e30, best_r = 1e30;
    char path[4200];
    snprintf(path, sizeof path, "%s/gen-0000.h5", argv[1]);
    if (pmc_schedule_rank(s) == 0)
        pmc_rundir_prepare(argv[1], &err);
    for (int r = 0; r < reps; r++) {
        double tw;
        if (fill_and_write(s, argv[1], n, d, &tw))
            return 1;
        best_w = tw < best_w ? tw : best_w;
        if (pmc_schedule_rank(s) == 0) {
            pmc_generation g;
            double t0 = pmc_now();
            if (pmc_checkpoint_read_generation(path, &g, &err) != PMC_OK) {
                fprintf(stderr, "read failed: %s\n", err.msg);
                return 1;
            }
            double tr = pmc_now() - t0;
            best_r = tr < best_r ? tr : best_r;
            pmc_generation_free(&g);
        }
    }
    if (pmc_schedule_rank(s) == 0) {
        struct stat st;
        stat(path, &st);
        printf("| %zu | %zu | %d | %.4f | %.4f | %.2f |\n", n, d, pmc_schedule_size(s), best_w,
               best_r, (double)st.st_size / 1e6);
    }
    pmc_schedule_finalize(s);
    return 0;
}

/* Benchmark (not a test): the floor of any MPI + parallel HDF5 program's
 * start-up, to compare `pmcabc --version` and a tiny run against.
 * MPI_Init_thread (the level pmcabc asks for), H5open, H5close,
 * MPI_Finalize; with --phases, rank 0 prints CLOCK_MONOTONIC at main()
 * and after each call, so that a launcher that noted its own clock can
 * split the whole-process time into launch, MPI_Init, HDF5, MPI_Finalize
 * and exit. tools/bench compiles it on the fly, linked like pmcabc (the
 * libraries of the build's app link line), so it loads the same libraries.
 * Usage: mpiexec.mpich -n P pmc_bench_startup [--phases] */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int phases = argc > 1 && !strcmp(argv[1], "--phases");
    double t[5];
    int provided = 0, rank = 0;
    t[0] = now();
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
    t[1] = now();
    H5open();
    t[2] = now();
    H5close();
    t[3] = now();
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Finalize();
    t[4] = now();
    if (phases && rank == 0)
        printf("main %.6f MPI_Init %.6f H5open %.6f H5close %.6f MPI_Finalize %.6f\n", t[0], t[1],
               t[2], t[3], t[4]);
    return 0;
}

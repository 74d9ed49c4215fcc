/* The weight loop as it was before the vectorised kernel: one exp per pair,
 * summed in index order. Included by bench_weights.c (compiled like the
 * library: libm's scalar exp) and by bench_weights_libmvec.c (compiled with
 * -ffast-math for AVX2, so GCC calls glibc's vector exp, _ZGVdN4v_exp: the
 * "exp vectorised by the compiler" reference of the performance issue). */
#ifndef PMC_BENCH_WEIGHTS_PLAIN_H
#define PMC_BENCH_WEIGHTS_PLAIN_H

#include <math.h>
#include <stddef.h>

static inline __attribute__((always_inline)) int plain_block(const double *z, const double *logprior, size_t i0, size_t i1,
                              const double *z_prev, const double *w_prev, size_t n_prev,
                              size_t d, double *out)
{
    for (size_t i = i0; i < i1; i++) {
        const double *zi = z + i * d;
        double sum = 0;
        for (size_t j = 0; j < n_prev; j++) {
            const double *zj = z_prev + j * d;
            double d2 = 0;
            for (size_t a = 0; a < d; a++) {
                double diff = zi[a] - zj[a];
                d2 += diff * diff;
            }
            sum += w_prev[j] * exp(-0.5 * d2);
        }
        if (!(sum > 0))
            return 1;
        out[i - i0] = exp(logprior[i]) / sum;
    }
    return 0;
}

/* plain_block compiled with -ffast-math for AVX2 + FMA (bench_weights_libmvec.c);
 * returns -1 where that build is not available (not x86-64 glibc). */
int plain_block_libmvec(const double *z, const double *logprior, size_t i0, size_t i1,
                        const double *z_prev, const double *w_prev, size_t n_prev, size_t d,
                        double *out);

#endif

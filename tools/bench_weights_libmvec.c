/* plain_block (bench_weights_plain.h) compiled with -ffast-math (see
 * tools/CMakeLists.txt) for AVX2 + FMA, so that GCC vectorises the loop over
 * j with glibc's _ZGVdN4v_exp. A benchmark reference only: -ffast-math
 * reorders the sum, so its bits are not the library's. */
#include "bench_weights_plain.h"

#if defined(__x86_64__) && defined(__GLIBC__) && defined(__FAST_MATH__)
__attribute__((target("avx2,fma"))) static int block_avx2(const double *z,
                                                          const double *logprior, size_t i0,
                                                          size_t i1, const double *z_prev,
                                                          const double *w_prev, size_t n_prev,
                                                          size_t d, double *out)
{
    /* A constant d unrolls the coordinate loop, so the loop over j vectorises. */
    switch (d) {
    case 2: return plain_block(z, logprior, i0, i1, z_prev, w_prev, n_prev, 2, out);
    case 5: return plain_block(z, logprior, i0, i1, z_prev, w_prev, n_prev, 5, out);
    case 10: return plain_block(z, logprior, i0, i1, z_prev, w_prev, n_prev, 10, out);
    default: return plain_block(z, logprior, i0, i1, z_prev, w_prev, n_prev, d, out);
    }
}

int plain_block_libmvec(const double *z, const double *logprior, size_t i0, size_t i1,
                        const double *z_prev, const double *w_prev, size_t n_prev, size_t d,
                        double *out)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return -1;
    return block_avx2(z, logprior, i0, i1, z_prev, w_prev, n_prev, d, out);
}
#else
int plain_block_libmvec(const double *z, const double *logprior, size_t i0, size_t i1,
                        const double *z_prev, const double *w_prev, size_t n_prev, size_t d,
                        double *out)
{
    (void)z, (void)logprior, (void)i0, (void)i1, (void)z_prev, (void)w_prev, (void)n_prev;
    (void)d, (void)out;
    return -1;
}
#endif

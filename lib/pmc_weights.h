/* Importance weights of PMC-ABC (Beaumont et al. 2009, algorithm step 2.2):
 *   w_i  proportional to  pi(theta_i) / sum_j w_j^{prev} K(theta_i | theta_j^{prev}).
 * The kernel's normalising constant is common to all i and cancels. */
#ifndef PMC_WEIGHTS_H
#define PMC_WEIGHTS_H

#include <stddef.h>

#include "pmc_error.h"

/* Unnormalised weights for particles i in [i0, i1):
 *   out[i - i0] = exp(logprior[i]) / sum_j w_prev[j] exp(-|z[i] - z_prev[j]|^2 / 2)
 * z (rows of the new population) and z_prev (n_prev rows) are whitened with
 * the kernel (pmc_kernel_whiten), d columns, row-major.
 * Each w_i is computed by the same operations in the same order whatever
 * [i0, i1) is and whichever instruction set runs them, so it is bit-identical
 * on any rank, for any rank count, on any x86-64 CPU: the sum over j is kept
 * as 8 partial sums (partial k adds the terms j = k mod 8 in index order),
 * added pairwise at the end; exp(x) is a polynomial of relative error below
 * 3 (1 + |x|) 2^-53 built from +, -, x and fma (correctly rounded by definition), so
 * the AVX-512, AVX2 and baseline builds agree; a CPU without FMA hardware
 * gets the same bits from libm's software fma, about 10x slower than libm exp
 * (see pmc_weights.c and docs/performance.md).
 * Returns PMC_ERUNTIME if a denominator underflows to zero, PMC_ENOMEM if the
 * scratch copy of z_prev (about (d + 1) x n_prev doubles) cannot be allocated. */
int pmc_weights_block(const double *z, const double *logprior, size_t i0, size_t i1,
                      const double *z_prev, const double *w_prev, size_t n_prev, size_t d,
                      double *out, pmc_err *err);

/* The same weights for a kernel with one covariance per ancestor,
 * Sigma_j = L_j L_j^T (OLCM, KNN: pmc_kernel.h):
 *   out[i - i0] = exp(logprior[i]) / sum_j w_prev[j] |L_j^{-1}| exp(-|L_j^{-1}(theta_i - theta_j)|^2 / 2)
 * (the constant (2 pi)^{-d/2} cancels; |L_j^{-1}| does not). theta and
 * theta_prev are raw parameters (rows of d); inv_prev holds per ancestor the
 * packed lower triangle of L_j^{-1} (pmc_kernel's local_inv). Same
 * guarantees as pmc_weights_block: bit-identical for any [i0, i1) and
 * instruction set; O(d^2) per pair. Returns PMC_EINVAL for d = 0 or
 * d > 64, else as pmc_weights_block. */
int pmc_weights_block_local(const double *theta, const double *logprior, size_t i0, size_t i1,
                            const double *theta_prev, const double *inv_prev,
                            const double *w_prev, size_t n_prev, size_t d, double *out,
                            pmc_err *err);

/* Instruction sets the weight kernel is compiled for. All give the same bits;
 * they differ only in speed. AUTO picks the widest the CPU supports (AVX2 and
 * AVX512 also need FMA). */
typedef enum {
    PMC_WEIGHTS_ISA_AUTO = 0,
    PMC_WEIGHTS_ISA_BASELINE, /* any x86-64 (SSE2), or the compiler's default elsewhere */
    PMC_WEIGHTS_ISA_AVX2,
    PMC_WEIGHTS_ISA_AVX512
} pmc_weights_isa;

/* pmc_weights_block with a chosen instruction set, for tests and benchmarks.
 * Returns PMC_EINVAL if this CPU (or this build) does not support isa. */
int pmc_weights_block_isa(pmc_weights_isa isa, const double *z, const double *logprior,
                          size_t i0, size_t i1, const double *z_prev, const double *w_prev,
                          size_t n_prev, size_t d, double *out, pmc_err *err);

/* pmc_weights_block_local with a chosen instruction set. */
int pmc_weights_block_local_isa(pmc_weights_isa isa, const double *theta, const double *logprior,
                                size_t i0, size_t i1, const double *theta_prev,
                                const double *inv_prev, const double *w_prev, size_t n_prev,
                                size_t d, double *out, pmc_err *err);

/* The widest instruction set this CPU supports (never AUTO). */
pmc_weights_isa pmc_weights_isa_best(void);

/* "baseline", "avx2", "avx512" ("auto" for AUTO). */
const char *pmc_weights_isa_name(pmc_weights_isa isa);

/* Parses a name of pmc_weights_isa_name into *isa; PMC_EINVAL if unknown. */
int pmc_weights_isa_parse(const char *name, pmc_weights_isa *isa);

/* Divides w[0..n-1] by their sum, summed in index order. Returns PMC_ERUNTIME
 * if the sum is not positive and finite. */
int pmc_weights_normalise(double *w, size_t n, pmc_err *err);

/* Effective sample size 1 / sum w_i^2 of normalised weights. */
double pmc_weights_ess(const double *w, size_t n);

#endif

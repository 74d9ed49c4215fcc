#include "pmc_weights.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The weight denominator, sum_j w_j exp(-|z_i - z_j|^2 / 2) (Beaumont et al.
 * 2009, step 2.2, kernel constant dropped), is O(N^2) per generation and the
 * only quadratic step of the run. The kernel below is written so that
 *  - the compiler vectorises every inner loop over j (previous particles are
 *    copied to one column per coordinate, zero-padded to a multiple of
 *    PMC__LANES, so no loop has a tail);
 *  - exp is a polynomial (pmc__exp_scaled), no libm call per pair;
 *  - the result of every floating-point operation is fixed by this source,
 *    whatever the vector width: the file is compiled with -ffp-contract=off
 *    and without -ffast-math, so the compiler neither fuses nor reorders
 *    operations; the only fused multiply-adds are explicit fma() calls, which
 *    C defines as correctly rounded; the sum over j is kept as PMC__LANES
 *    partial sums in fixed lanes. IEEE +, -, x and fma round the same in
 *    SSE2, AVX2 and AVX-512, so every build of the kernel gives the same bits
 *    and a job may mix CPU types. The price: on a CPU without FMA (x86-64
 *    before 2013, some Atoms, VMs with a bare "qemu64" CPU model) the
 *    baseline build calls libm's exact software fma(), about 10x slower than
 *    the plain loop with libm exp that this kernel replaced.
 * Tiling: PMC__ITILE new particles share each cache block of PMC__JBLOCK
 * previous particles ((d + 1) x 2 KiB, in a 32 KiB L1 for d <= 14), so the
 * previous population streams from memory once per tile, not once per
 * particle. */
#define PMC__LANES 8
#define PMC__JBLOCK 256
#define PMC__ITILE 16

/* exp(x) x 2^54 for -746 <= x <= 0, relative error below 2.5e-16 (measured
 * by `pmc_bench_weights --accuracy`: at most 2.3e-16 including the rounding
 * of a division, over 2e6 points of [-708, 0]; libm's exp is within 1.1e-16).
 * The factor 2^54 keeps results that would be subnormal (x < -708.4) normal;
 * callers scale the final sum by 2^-54, which rounds once, as a subnormal
 * exp would have. Method (as in fdlibm and ARM's optimized-routines):
 * x = n ln2 + r, |r| <= ln2/2, with ln2 split in two (Cody-Waite) so that
 * n x the high part is exact for |n| < 2^11; exp(r) = 1 + r + r^2 q(r) with q
 * of degree 9 the Chebyshev fit of (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2]
 * (tools/exp_coeffs.py: 1.6e-17 relative approximation error), evaluated by
 * Horner's rule in fma; 2^(n + 54) is built in the exponent bits. x below
 * -746 must be clamped by the caller (exp(-746) underflows to 0); NaN gives
 * NaN. */
static inline __attribute__((always_inline)) double pmc__exp_scaled(double x)
{
    const double shift = 0x1.8p52; /* adding it rounds to an integer in the low bits */
    double kd = fma(x, 0x1.71547652b82fep0, shift); /* x / ln2 */
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= shift;
    double r = fma(-kd, 0x1.62e42fee00000p-1, x); /* ln2, high 32 bits: exact */
    r = fma(-kd, 0x1.a39ef35793c76p-33, r);      /* ln2 - the above */
    double q = 0x1.af389ecfc4bb6p-26;
    q = fma(q, r, 0x1.28917c89a43bcp-22);
    q = fma(q, r, 0x1.71de0db2f6b19p-19);
    q = fma(q, r, 0x1.a019b9149a41cp-16);
    q = fma(q, r, 0x1.a01a01a7c2efep-13);
    q = fma(q, r, 0x1.6c16c17889ef1p-10);
    q = fma(q, r, 0x1.11111111109b5p-7);
    q = fma(q, r, 0x1.5555555553d68p-5);
    q = fma(q, r, 0x1.5555555555556p-3);
    q = fma(q, r, 0x1.0000000000001p-1);
    double p = 1.0 + fma(r * r, q, r);
    /* The low 12 bits of ki hold n (two's complement); n + 1077 lies in
     * [1, 1077] for x in [-746, 0], a normal exponent field for 2^(n + 54). */
    uint64_t sbits = (ki + 1077) << 52;
    double s;
    memcpy(&s, &sbits, sizeof s);
    return p * s;
}

/* min(d2, 1492), NaN left alone: exp(-746) underflows to 0, and the clamp
 * keeps pmc__exp_scaled's exponent field in range. Written with bit masks:
 * with a plain d2 > 1492 ? 1492 : d2, GCC 12 specialises the constant branch
 * of the exp that follows and then vectorises the loop only with AVX-512. */
static inline __attribute__((always_inline)) double pmc__clamp_d2(double d2)
{
    const uint64_t big = 0x4097500000000000u; /* 1492.0 */
    uint64_t bits, m = -(uint64_t)(d2 > 1492.0);
    memcpy(&bits, &d2, sizeof bits);
    bits = (bits & ~m) | (big & m);
    memcpy(&d2, &bits, sizeof d2);
    return d2;
}

/* Previous population in structure-of-arrays form: column a of the
 * coordinates at zt + a * n_pad, weights at w; rows n_prev..n_pad-1 are zero
 * with weight 0 (they add +0 to a partial sum, which leaves it unchanged). */
typedef struct {
    size_t d, n_pad;
    double *zt, *w;
} pmc__prev_cols;

/* w_j exp(-|zi - z_j|^2 / 2) x 2^54 into buf[j] for the nb previous
 * particles of one cache block starting at column offset jb. The squared
 * distance is d2 = u_0^2, then d2 = fma(u_a, u_a, d2) for a = 1..d-1, in
 * coordinate order. dc is the dimension as a compile-time constant (1..6):
 * then one fused loop, unrolled over coordinates; dc = 0: d from p, one pass
 * per coordinate over buf. Both do the same operations in the same order. */
static inline __attribute__((always_inline)) void
pmc__block_terms(const double *zi, const pmc__prev_cols *p, size_t jb, size_t nb, size_t dc,
                 double *buf)
{
    size_t n_pad = p->n_pad;
    const double *col = p->zt + jb, *w = p->w + jb;
    if (dc) {
        for (size_t j = 0; j < nb; j++) {
            double u = zi[0] - col[j], d2 = u * u;
            for (size_t a = 1; a < dc; a++) {
                u = zi[a] - col[a * n_pad + j];
                d2 = fma(u, u, d2);
            }
            buf[j] = w[j] * pmc__exp_scaled(-0.5 * pmc__clamp_d2(d2));
        }
        return;
    }
    for (size_t j = 0; j < nb; j++) {
        double u = zi[0] - col[j];
        buf[j] = u * u;
    }
    for (size_t a = 1; a < p->d; a++) {
        col += n_pad;
        for (size_t j = 0; j < nb; j++) {
            double u = zi[a] - col[j];
            buf[j] = fma(u, u, buf[j]);
        }
    }
    for (size_t j = 0; j < nb; j++)
        buf[j] = w[j] * pmc__exp_scaled(-0.5 * pmc__clamp_d2(buf[j]));
}

/* Denominators (scaled by 2^54, see pmc__exp_scaled) of new particles
 * [i_begin, i_end), at most PMC__ITILE of them, into denom[0..]; dc as in
 * pmc__block_terms. */
static inline __attribute__((always_inline)) void
pmc__mixture_tile(const double *z, size_t i_begin, size_t i_end, const pmc__prev_cols *p,
                  size_t dc, double *denom)
{
    double acc[PMC__ITILE][PMC__LANES];
    double buf[PMC__JBLOCK] __attribute__((aligned(64)));
    memset(acc, 0, sizeof acc);
    for (size_t jb = 0; jb < p->n_pad; jb += PMC__JBLOCK) {
        size_t nb = p->n_pad - jb < PMC__JBLOCK ? p->n_pad - jb : PMC__JBLOCK;
        for (size_t i = i_begin; i < i_end; i++) {
            pmc__block_terms(z + i * p->d, p, jb, nb, dc, buf);
            double *ai = acc[i - i_begin];
            for (size_t j = 0; j < nb; j += PMC__LANES)
                for (size_t k = 0; k < PMC__LANES; k++)
                    ai[k] += buf[j + k];
        }
    }
    for (size_t i = i_begin; i < i_end; i++) {
        const double *a = acc[i - i_begin];
        denom[i - i_begin] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    }
}

static inline __attribute__((always_inline)) void
pmc__mixture_tiles(const double *z, size_t i0, size_t i1, const pmc__prev_cols *p, size_t dc,
                   double *denom)
{
    for (size_t t = i0; t < i1; t += PMC__ITILE) {
        size_t te = i1 - t < PMC__ITILE ? i1 : t + PMC__ITILE;
        pmc__mixture_tile(z, t, te, p, dc, denom + (t - i0));
    }
}

/* All tiles of [i0, i1): denom[i - i0], scaled by 2^54. Small dimensions get
 * their own fused, unrolled loop. */
static inline __attribute__((always_inline)) void
pmc__mixture_all(const double *z, size_t i0, size_t i1, const pmc__prev_cols *p, double *denom)
{
    switch (p->d) {
    case 1: pmc__mixture_tiles(z, i0, i1, p, 1, denom); break;
    case 2: pmc__mixture_tiles(z, i0, i1, p, 2, denom); break;
    case 3: pmc__mixture_tiles(z, i0, i1, p, 3, denom); break;
    case 4: pmc__mixture_tiles(z, i0, i1, p, 4, denom); break;
    case 5: pmc__mixture_tiles(z, i0, i1, p, 5, denom); break;
    case 6: pmc__mixture_tiles(z, i0, i1, p, 6, denom); break;
    default: pmc__mixture_tiles(z, i0, i1, p, 0, denom); break;
    }
}

/* One copy of the kernel per instruction set; the bodies are the same source,
 * inlined, so only the vector width differs. */
static void pmc__mixture_baseline(const double *z, size_t i0, size_t i1, const pmc__prev_cols *p,
                                  double *denom)
{
    pmc__mixture_all(z, i0, i1, p, denom);
}

#if defined(__GNUC__) && defined(__x86_64__)
#define PMC__HAVE_X86_VARIANTS 1
__attribute__((target("avx2,fma"))) static void
pmc__mixture_avx2(const double *z, size_t i0, size_t i1, const pmc__prev_cols *p, double *denom)
{
    pmc__mixture_all(z, i0, i1, p, denom);
}

__attribute__((target("avx512f,fma,prefer-vector-width=512"))) static void
pmc__mixture_avx512(const double *z, size_t i0, size_t i1, const pmc__prev_cols *p,
                    double *denom)
{
    pmc__mixture_all(z, i0, i1, p, denom);
}
#endif

static int pmc__isa_supported(pmc_weights_isa isa)
{
    switch (isa) {
    case PMC_WEIGHTS_ISA_BASELINE:
        return 1;
#ifdef PMC__HAVE_X86_VARIANTS
    case PMC_WEIGHTS_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case PMC_WEIGHTS_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

pmc_weights_isa pmc_weights_isa_best(void)
{
    if (pmc__isa_supported(PMC_WEIGHTS_ISA_AVX512))
        return PMC_WEIGHTS_ISA_AVX512;
    if (pmc__isa_supported(PMC_WEIGHTS_ISA_AVX2))
        return PMC_WEIGHTS_ISA_AVX2;
    return PMC_WEIGHTS_ISA_BASELINE;
}

static const char *const pmc__isa_names[] = { "auto", "baseline", "avx2", "avx512" };

const char *pmc_weights_isa_name(pmc_weights_isa isa)
{
    return (unsigned)isa < 4 ? pmc__isa_names[isa] : "unknown";
}

int pmc_weights_isa_parse(const char *name, pmc_weights_isa *isa)
{
    for (int k = 0; k < 4; k++)
        if (!strcmp(name, pmc__isa_names[k])) {
            *isa = (pmc_weights_isa)k;
            return PMC_OK;
        }
    return PMC_EINVAL;
}

/* Copies the previous population into columns (see pmc__prev_cols). */
static int pmc__prev_cols_make(pmc__prev_cols *p, const double *z_prev, const double *w_prev,
                               size_t n_prev, size_t d)
{
    p->d = d;
    p->n_pad = (n_prev + PMC__LANES - 1) / PMC__LANES * PMC__LANES;
    /* aligned_alloc wants a multiple of the alignment: n_pad doubles are 64 bytes x k. */
    p->zt = p->w = NULL;
    if (!p->n_pad)
        return PMC_OK; /* no previous particles: every denominator is 0 */
    p->zt = aligned_alloc(64, (d + 1) * p->n_pad * sizeof(double));
    if (!p->zt)
        return PMC_ENOMEM;
    p->w = p->zt + d * p->n_pad;
    for (size_t a = 0; a < d; a++) {
        double *col = p->zt + a * p->n_pad;
        for (size_t j = 0; j < n_prev; j++)
            col[j] = z_prev[j * d + a];
        for (size_t j = n_prev; j < p->n_pad; j++)
            col[j] = 0;
    }
    for (size_t j = 0; j < p->n_pad; j++)
        p->w[j] = j < n_prev ? w_prev[j] : 0;
    return PMC_OK;
}

int pmc_weights_block_isa(pmc_weights_isa isa, const double *z, const double *logprior,
                          size_t i0, size_t i1, const double *z_prev, const double *w_prev,
                          size_t n_prev, size_t d, double *out, pmc_err *err)
{
    if (isa == PMC_WEIGHTS_ISA_AUTO)
        isa = pmc_weights_isa_best();
    if (!pmc__isa_supported(isa))
        return pmc_err_set(err, PMC_EINVAL,
                           "weights: instruction set '%s' is not supported by this CPU or build; "
                           "expected one up to '%s'",
                           pmc_weights_isa_name(isa), pmc_weights_isa_name(pmc_weights_isa_best()));
    if (d == 0)
        return pmc_err_set(err, PMC_EINVAL, "weights: dimension 0; expected at least 1 parameter");
    if (i1 <= i0)
        return PMC_OK;
    pmc__prev_cols cols;
    if (pmc__prev_cols_make(&cols, z_prev, w_prev, n_prev, d) != PMC_OK)
        return pmc_err_set(err, PMC_ENOMEM,
                           "weights: out of memory copying %zu previous particles x %zu "
                           "parameters", n_prev, d);
    /* out[] holds the scaled denominators until the weights replace them. */
    switch (isa) {
#ifdef PMC__HAVE_X86_VARIANTS
    case PMC_WEIGHTS_ISA_AVX512:
        pmc__mixture_avx512(z, i0, i1, &cols, out);
        break;
    case PMC_WEIGHTS_ISA_AVX2:
        pmc__mixture_avx2(z, i0, i1, &cols, out);
        break;
#endif
    default:
        pmc__mixture_baseline(z, i0, i1, &cols, out);
        break;
    }
    free(cols.zt);
    for (size_t i = i0; i < i1; i++) {
        double prior = exp(logprior[i]);
        if (prior == 0) {
            /* Zero prior density: the weight is 0 whatever the denominator. */
            out[i - i0] = 0;
            continue;
        }
        double denom = out[i - i0] * 0x1p-54; /* undo pmc__exp_scaled's 2^54 */
        if (!(denom > 0))
            return pmc_err_set(err, PMC_ERUNTIME,
                               "weight of particle %zu: kernel mixture density underflowed to "
                               "zero (the particle lies more than about 38 kernel standard "
                               "deviations from every previous particle)", i);
        out[i - i0] = prior / denom;
    }
    return PMC_OK;
}

int pmc_weights_block(const double *z, const double *logprior, size_t i0, size_t i1,
                      const double *z_prev, const double *w_prev, size_t n_prev, size_t d,
                      double *out, pmc_err *err)
{
    return pmc_weights_block_isa(PMC_WEIGHTS_ISA_AUTO, z, logprior, i0, i1, z_prev, w_prev,
                                 n_prev, d, out, err);
}

int pmc_weights_normalise(double *w, size_t n, pmc_err *err)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    if (!(sum > 0) || !isfinite(sum))
        return pmc_err_set(err, PMC_ERUNTIME,
                           "weights of %zu particles sum to %g; expected a positive finite sum",
                           n, sum);
    for (size_t i = 0; i < n; i++)
        w[i] /= sum;
    return PMC_OK;
}

/* Kish's effective sample size, 1 / sum w_i^2 for weights summing to 1. */
double pmc_weights_ess(const double *w, size_t n)
{
    double s2 = 0;
    for (size_t i = 0; i < n; i++)
        s2 += w[i] * w[i];
    return 1.0 / s2;
}

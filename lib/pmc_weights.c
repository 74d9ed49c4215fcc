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
 *  - exp is a polynomial (exp_half_neg_scaled), no libm call per pair;
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

static int weights_from_denominators(const double *logprior, size_t i0, size_t i1,
                                          double *out, pmc_err *err);

/* exp(-d2 / 2) x 2^54 for d2 >= 0 (NaN gives NaN). Method: with t = d2
 * log2(e) / 2, exp(-d2/2) = 2^-t = 2^n 2^-g, n = -round(t) and g = t + n,
 * |g| <= 1/2; 2^-g = 1 + g Q(g), Q of degree 10 the Chebyshev fit of
 * (2^-g - 1)/g on [-1/2, 1/2] (tools/exp_coeffs.py: 2.0e-17 relative
 * approximation error), evaluated as E(g^2) + g O(g^2), E and O by Horner's
 * rule in fma (two chains of 5 and 4 fma: fewer operations than Estrin's
 * scheme and half the latency of one Horner chain); 2^(n + 54) is built in
 * the exponent bits; the factor 2^54 keeps results that would be
 * subnormal (t > 1022) normal, and callers scale the final sum by 2^-54, which
 * rounds once, as a subnormal exp would have. With clamp (a compile-time
 * constant), t is clamped to 1076 (2^-1076 underflows to 0 anyway), which
 * keeps the exponent field in range; without it the caller guarantees
 * t <= 1076, so both give the same bits (see block_is_near).
 * Accuracy: the polynomial and the final product round to within about 2u
 * (u = 2^-53); the one rounding of t (and of the constant log2(e)/2) adds a
 * relative error of at most 2|x|u for x = -d2/2: 2.2e-16 at x = -1, 1.6e-13
 * at x = -708 (measured: `pmc_bench_weights --accuracy`). That is the size of
 * the error d2 already carries from its own computation (d + 1 roundings of
 * a sum of squares, (d + 1)|x|u), so the kernel's value is as good as its
 * input. The previous version reduced in base e with a two-part ln2
 * (Cody-Waite, as fdlibm), exact for any x, and evaluated q by Horner's rule:
 * its dependency chain was about twice as long and the loop 10-30 % slower
 * (docs/performance.md). g = t + n is exact (Sterbenz), as are the rounding
 * of 1.5 x 2^52 + 1077 - t to an integer (its low 12 bits are then n + 1077,
 * the exponent field of 2^(n + 54)) and the subtraction that recovers n. */
static inline __attribute__((always_inline)) double exp_half_neg_scaled(double d2, int clamp)
{
    const double shift = 0x1.8p52; /* subtracting from it rounds to an integer */
    const uint64_t big = 0x4090d00000000000u; /* 1076.0 */
    double t = d2 * 0x1.71547652b82fep-1; /* log2(e) / 2 */
    /* min(t, 1076) with bit masks: GCC 12 vectorises a ternary on a
     * constant here only for AVX-512 */
    if (clamp) {
        uint64_t tb, m = -(uint64_t)(t > 1076.0);
        memcpy(&tb, &t, sizeof tb);
        tb = (tb & ~m) | (big & m);
        memcpy(&t, &tb, sizeof t);
    }
    double kd = (shift + 1077.0) - t;
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= shift + 1077.0; /* n = -round(t), an integer in [-1076, 0] */
    double g = t + kd;
    double y = g * g;
    double ev = fma(-0x1.e9d3fe395219ap-32, y, -0x1.b524fae627834p-24);
    ev = fma(ev, y, -0x1.ffcbfc670dcd4p-17);
    ev = fma(ev, y, -0x1.5d87fe78a5276p-10);
    ev = fma(ev, y, -0x1.c6b08d704a0c2p-5);
    ev = fma(ev, y, -0x1.62e42fefa39efp-1);
    double od = fma(0x1.e6063f7217bedp-28, y, 0x1.62bfd47773353p-20);
    od = fma(od, y, 0x1.430913096fd9fp-13);
    od = fma(od, y, 0x1.3b2ab6fba1ddap-7);
    od = fma(od, y, 0x1.ebfbdff82c598p-3);
    double q = fma(g, od, ev);
    /* The low 12 bits of ki hold n + 1077, in [1, 1077]: a normal exponent
     * field for 2^(n + 54). */
    uint64_t sbits = ki << 52;
    double s;
    memcpy(&s, &sbits, sizeof s);
    return fma(s, g * q, s);
}

/* Previous population in structure-of-arrays form: column a of the
 * coordinates at zt + a * n_pad, weights at w; rows n_prev..n_pad-1 are zero
 * with weight 0 (fma(0, term, sum) leaves a partial sum unchanged). */
typedef struct {
    size_t d, n_pad;
    double *zt, *w;
    double *box; /* per cache block b, per coordinate a: min at [2(b d + a)], max after it */
} prev_cols;

/* Whether every previous particle of cache block b lies within squared
 * distance 1400 of zi (t = d2 log2(e)/2 < 1010), from the block's bounding
 * box: then no term of the block needs the clamp of exp_half_neg_scaled,
 * which costs 10-15 % of the loop. The 6 % between 1400 and the clamp's 1492
 * dwarfs the rounding of this bound. NaN fails the test, so it takes the
 * clamped path. Blocks and the box are fixed by j alone, so the choice, which
 * does not change any bits anyway, is the same on every rank. */
static inline __attribute__((always_inline)) int block_is_near(const double *zi,
                                                                    const prev_cols *p,
                                                                    size_t b)
{
    const double *box = p->box + 2 * b * p->d;
    double far = 0;
    for (size_t a = 0; a < p->d; a++) {
        double lo = zi[a] - box[2 * a], hi = box[2 * a + 1] - zi[a];
        double m = lo > hi ? lo : hi;
        far += m * m;
    }
    return far < 1400.0;
}

/* exp(-|zi - z_j|^2 / 2) x 2^54 into buf[j] for the nb previous
 * particles of one cache block starting at column offset jb. The squared
 * distance is d2 = u_0^2, then d2 = fma(u_a, u_a, d2) for a = 1..d-1, in
 * coordinate order. clamp as in exp_half_neg_scaled. dc is the
 * dimension as a compile-time constant (1..6):
 * then one fused loop, unrolled over coordinates; dc = 0: d from p, one pass
 * per coordinate over buf. Both do the same operations in the same order. */
static inline __attribute__((always_inline)) void
block_terms(const double *zi, const prev_cols *p, size_t jb, size_t nb, size_t dc,
                 int clamp, double *buf)
{
    size_t n_pad = p->n_pad;
    const double *col = p->zt + jb;
    if (dc) {
        for (size_t j = 0; j < nb; j++) {
            double u = zi[0] - col[j], d2 = u * u;
            for (size_t a = 1; a < dc; a++) {
                u = zi[a] - col[a * n_pad + j];
                d2 = fma(u, u, d2);
            }
            buf[j] = exp_half_neg_scaled(d2, clamp);
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
        buf[j] = exp_half_neg_scaled(buf[j], clamp);
}

/* Denominators (scaled by 2^54, see exp_half_neg_scaled) of new particles
 * [i_begin, i_end), at most PMC__ITILE of them, into denom[0..]; dc as in
 * block_terms. Partial sum k of particle i takes fma(w_j, term_j, sum)
 * for j = k mod PMC__LANES in index order (padding rows: w_j = 0 adds +0). */
static inline __attribute__((always_inline)) void
mixture_tile(const double *z, size_t i_begin, size_t i_end, const prev_cols *p,
                  size_t dc, double *denom)
{
    double acc[PMC__ITILE][PMC__LANES];
    double buf[PMC__JBLOCK] __attribute__((aligned(64)));
    memset(acc, 0, sizeof acc);
    for (size_t jb = 0; jb < p->n_pad; jb += PMC__JBLOCK) {
        size_t nb = p->n_pad - jb < PMC__JBLOCK ? p->n_pad - jb : PMC__JBLOCK;
        for (size_t i = i_begin; i < i_end; i++) {
            const double *zi = z + i * p->d;
            if (block_is_near(zi, p, jb / PMC__JBLOCK))
                block_terms(zi, p, jb, nb, dc, 0, buf);
            else
                block_terms(zi, p, jb, nb, dc, 1, buf);
            double *ai = acc[i - i_begin];
            const double *w = p->w + jb;
            for (size_t j = 0; j < nb; j += PMC__LANES)
                for (size_t k = 0; k < PMC__LANES; k++)
                    ai[k] = fma(w[j + k], buf[j + k], ai[k]);
        }
    }
    for (size_t i = i_begin; i < i_end; i++) {
        const double *a = acc[i - i_begin];
        denom[i - i_begin] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    }
}

static inline __attribute__((always_inline)) void
mixture_tiles(const double *z, size_t i0, size_t i1, const prev_cols *p, size_t dc,
                   double *denom)
{
    for (size_t t = i0; t < i1; t += PMC__ITILE) {
        size_t te = i1 - t < PMC__ITILE ? i1 : t + PMC__ITILE;
        mixture_tile(z, t, te, p, dc, denom + (t - i0));
    }
}

/* All tiles of [i0, i1): denom[i - i0], scaled by 2^54. Small dimensions get
 * their own fused, unrolled loop. */
static inline __attribute__((always_inline)) void
mixture_all(const double *z, size_t i0, size_t i1, const prev_cols *p, double *denom)
{
    switch (p->d) {
    case 1: mixture_tiles(z, i0, i1, p, 1, denom); break;
    case 2: mixture_tiles(z, i0, i1, p, 2, denom); break;
    case 3: mixture_tiles(z, i0, i1, p, 3, denom); break;
    case 4: mixture_tiles(z, i0, i1, p, 4, denom); break;
    case 5: mixture_tiles(z, i0, i1, p, 5, denom); break;
    case 6: mixture_tiles(z, i0, i1, p, 6, denom); break;
    default: mixture_tiles(z, i0, i1, p, 0, denom); break;
    }
}

/* One copy of the kernel per instruction set; the bodies are the same source,
 * inlined, so only the vector width differs. */
static void mixture_baseline(const double *z, size_t i0, size_t i1, const prev_cols *p,
                                  double *denom)
{
    mixture_all(z, i0, i1, p, denom);
}

#if defined(__GNUC__) && defined(__x86_64__)
#define PMC__HAVE_X86_VARIANTS 1
__attribute__((target("avx2,fma"))) static void
mixture_avx2(const double *z, size_t i0, size_t i1, const prev_cols *p, double *denom)
{
    mixture_all(z, i0, i1, p, denom);
}

/* GCC vectorises for AVX-512 with 256-bit registers unless told otherwise;
 * clang 14 does not know prefer-vector-width in target() and would then drop
 * the whole attribute, compiling this copy as the baseline. With a generic
 * CPU clang prefers 512-bit vectors for avx512f already. */
#if defined(__clang__)
#define PMC__AVX512_TARGET "avx512f,fma"
#else
#define PMC__AVX512_TARGET "avx512f,fma,prefer-vector-width=512"
#endif
__attribute__((target(PMC__AVX512_TARGET))) static void
mixture_avx512(const double *z, size_t i0, size_t i1, const prev_cols *p,
                    double *denom)
{
    mixture_all(z, i0, i1, p, denom);
}
#endif

static int isa_supported(pmc_weights_isa isa)
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
    if (isa_supported(PMC_WEIGHTS_ISA_AVX512))
        return PMC_WEIGHTS_ISA_AVX512;
    if (isa_supported(PMC_WEIGHTS_ISA_AVX2))
        return PMC_WEIGHTS_ISA_AVX2;
    return PMC_WEIGHTS_ISA_BASELINE;
}

static const char *const isa_names[] = { "auto", "baseline", "avx2", "avx512" };

const char *pmc_weights_isa_name(pmc_weights_isa isa)
{
    return (unsigned)isa < 4 ? isa_names[isa] : "unknown";
}

int pmc_weights_isa_parse(const char *name, pmc_weights_isa *isa)
{
    for (int k = 0; k < 4; k++)
        if (!strcmp(name, isa_names[k])) {
            *isa = (pmc_weights_isa)k;
            return PMC_OK;
        }
    return PMC_EINVAL;
}

/* Bounding box of each cache block's real rows (NaN coordinates become the
 * box's bounds, so block_is_near fails for every particle). */
static void prev_cols_boxes(prev_cols *p, size_t n_prev)
{
    for (size_t jb = 0, b = 0; jb < n_prev; jb += PMC__JBLOCK, b++) {
        size_t je = n_prev - jb < PMC__JBLOCK ? n_prev : jb + PMC__JBLOCK;
        for (size_t a = 0; a < p->d; a++) {
            const double *col = p->zt + a * p->n_pad;
            double lo = col[jb], hi = col[jb];
            for (size_t j = jb + 1; j < je; j++) {
                lo = col[j] >= lo ? lo : col[j];
                hi = col[j] <= hi ? hi : col[j];
            }
            p->box[2 * (b * p->d + a)] = lo;
            p->box[2 * (b * p->d + a) + 1] = hi;
        }
    }
}

/* AUTO becomes the widest instruction set; PMC_EINVAL if *isa is not
 * supported here. */
static int resolve_isa(pmc_weights_isa *isa, pmc_err *err)
{
    if (*isa == PMC_WEIGHTS_ISA_AUTO)
        *isa = pmc_weights_isa_best();
    if (!isa_supported(*isa))
        return pmc_err_set(err, PMC_EINVAL,
                           "weights: instruction set '%s' is not supported by this CPU or build; "
                           "expected one up to '%s'",
                           pmc_weights_isa_name(*isa), pmc_weights_isa_name(pmc_weights_isa_best()));
    return PMC_OK;
}

/* Copies the previous population into columns (see prev_cols). */
static int prev_cols_make(prev_cols *p, const double *z_prev, const double *w_prev,
                               size_t n_prev, size_t d)
{
    p->d = d;
    p->n_pad = (n_prev + PMC__LANES - 1) / PMC__LANES * PMC__LANES;
    p->zt = p->w = p->box = NULL;
    if (!p->n_pad)
        return PMC_OK; /* no previous particles: every denominator is 0 */
    size_t n_blocks = (p->n_pad + PMC__JBLOCK - 1) / PMC__JBLOCK;
    /* aligned_alloc wants a multiple of the alignment (8 doubles): n_pad is
     * one, the boxes are rounded up to one. */
    size_t n_box = (2 * d * n_blocks + 7) / 8 * 8;
    p->zt = aligned_alloc(64, ((d + 1) * p->n_pad + n_box) * sizeof(double));
    if (!p->zt)
        return PMC_ENOMEM;
    p->w = p->zt + d * p->n_pad;
    p->box = p->w + p->n_pad;
    for (size_t a = 0; a < d; a++) {
        double *col = p->zt + a * p->n_pad;
        for (size_t j = 0; j < n_prev; j++)
            col[j] = z_prev[j * d + a];
        for (size_t j = n_prev; j < p->n_pad; j++)
            col[j] = 0;
    }
    for (size_t j = 0; j < p->n_pad; j++)
        p->w[j] = j < n_prev ? w_prev[j] : 0;
    prev_cols_boxes(p, n_prev);
    return PMC_OK;
}

int pmc_weights_block_isa(pmc_weights_isa isa, const double *z, const double *logprior,
                          size_t i0, size_t i1, const double *z_prev, const double *w_prev,
                          size_t n_prev, size_t d, double *out, pmc_err *err)
{
    int rc = resolve_isa(&isa, err);
    if (rc != PMC_OK)
        return rc;
    if (d == 0)
        return pmc_err_set(err, PMC_EINVAL, "weights: dimension 0; expected at least 1 parameter");
    if (i1 <= i0)
        return PMC_OK;
    prev_cols cols;
    if (prev_cols_make(&cols, z_prev, w_prev, n_prev, d) != PMC_OK)
        return pmc_err_set(err, PMC_ENOMEM,
                           "weights: out of memory copying %zu previous particles x %zu "
                           "parameters", n_prev, d);
    /* out[] holds the scaled denominators until the weights replace them. */
    switch (isa) {
#ifdef PMC__HAVE_X86_VARIANTS
    case PMC_WEIGHTS_ISA_AVX512:
        mixture_avx512(z, i0, i1, &cols, out);
        break;
    case PMC_WEIGHTS_ISA_AVX2:
        mixture_avx2(z, i0, i1, &cols, out);
        break;
#endif
    default:
        mixture_baseline(z, i0, i1, &cols, out);
        break;
    }
    free(cols.zt);
    return weights_from_denominators(logprior, i0, i1, out, err);
}

/* out[i - i0] holds particle i's denominator x 2^54; replaces it by
 * prior / denominator. */
static int weights_from_denominators(const double *logprior, size_t i0, size_t i1,
                                          double *out, pmc_err *err)
{
    for (size_t i = i0; i < i1; i++) {
        double prior = exp(logprior[i]);
        if (prior == 0) {
            /* Zero prior density: the weight is 0 whatever the denominator. */
            out[i - i0] = 0;
            continue;
        }
        double denom = out[i - i0] * 0x1p-54; /* undo exp_half_neg_scaled's 2^54 */
        if (!(denom > 0))
            return pmc_err_set(err, PMC_ERUNTIME,
                               "weight of particle %zu: kernel mixture density underflowed to "
                               "zero (the particle lies more than about 38 kernel standard "
                               "deviations from every previous particle)", i);
        out[i - i0] = prior / denom;
    }
    return PMC_OK;
}

/* Previous population for per-ancestor kernels (OLCM, KNN), in columns of
 * n_pad rows: d columns of theta_j, then d (d + 1) / 2 columns of the packed
 * L_j^{-1}, then coef_j = w_j |L_j^{-1}| (the kernel's normalising constant,
 * which now differs between ancestors). Padding rows are zero: their term
 * is coef 0 times exp(0). */
typedef struct {
    size_t d, n_pad;
    double *cols;
} local_cols;

/* The largest dimension accepted (the prior allows no more parameters). */
#define PMC__LOCAL_DMAX 64

/* exp(-|L_j^{-1} (x_i - theta_j)|^2 / 2) x 2^54 into buf for the nb
 * ancestors of a cache block from column offset jb. Row a of the whitened
 * difference is s = inv_a0 u_0, then s = fma(inv_ab, u_b, s) for b = 1..a,
 * u_b = x_b - theta_jb; d2 = s_0^2, then d2 = fma(s_a, s_a, d2): a fixed
 * order, as in block_terms, so every instruction set gives the same
 * bits. dc = 1 or 2 (a compile-time constant): one fused loop over j;
 * otherwise one pass over the block per (a, b), which GCC vectorises for any
 * d (u_b is recomputed in each pass: the same subtraction, the same bits),
 * with s in sbuf. */
static inline __attribute__((always_inline)) void
local_terms(const double *xi, const local_cols *p, size_t jb, size_t nb, size_t dc,
                 double *sbuf, double *buf)
{
    size_t n_pad = p->n_pad, d = p->d;
    const double *th = p->cols + jb, *inv = p->cols + d * n_pad + jb;
    if (dc == 1 || dc == 2) {
        for (size_t j = 0; j < nb; j++) {
            double u0 = xi[0] - th[j], s0 = inv[j] * u0, d2 = s0 * s0;
            if (dc == 2) {
                double u1 = xi[1] - th[n_pad + j];
                double s1 = inv[n_pad + j] * u0;
                s1 = fma(inv[2 * n_pad + j], u1, s1);
                d2 = fma(s1, s1, d2);
            }
            buf[j] = exp_half_neg_scaled(d2, 1);
        }
        return;
    }
    for (size_t a = 0; a < d; a++) {
        const double *row = inv + a * (a + 1) / 2 * n_pad;
        for (size_t j = 0; j < nb; j++)
            sbuf[j] = row[j] * (xi[0] - th[j]);
        for (size_t b = 1; b <= a; b++) {
            const double *rb = row + b * n_pad, *tb = th + b * n_pad;
            double xb = xi[b];
            for (size_t j = 0; j < nb; j++)
                sbuf[j] = fma(rb[j], xb - tb[j], sbuf[j]);
        }
        if (a == 0)
            for (size_t j = 0; j < nb; j++)
                buf[j] = sbuf[j] * sbuf[j];
        else
            for (size_t j = 0; j < nb; j++)
                buf[j] = fma(sbuf[j], sbuf[j], buf[j]);
    }
    for (size_t j = 0; j < nb; j++)
        buf[j] = exp_half_neg_scaled(buf[j], 1);
}

/* Scaled denominators sum_j coef_j exp(...) x 2^54 of x_i, i in [i0, i1),
 * into denom, in PMC__LANES partial sums as mixture_tile. */
static inline __attribute__((always_inline)) void
local_tiles(const double *x, size_t i0, size_t i1, const local_cols *p, size_t dc,
                 double *denom)
{
    size_t d = p->d, tri = d * (d + 1) / 2;
    double buf[PMC__JBLOCK] __attribute__((aligned(64)));
    double sbuf[PMC__JBLOCK] __attribute__((aligned(64)));
    for (size_t i = i0; i < i1; i++) {
        double acc[PMC__LANES] = {0};
        for (size_t jb = 0; jb < p->n_pad; jb += PMC__JBLOCK) {
            size_t nb = p->n_pad - jb < PMC__JBLOCK ? p->n_pad - jb : PMC__JBLOCK;
            /* cols is NULL without previous particles: no pointer is formed
             * from it outside this loop. */
            const double *coef = p->cols + (d + tri) * p->n_pad + jb;
            local_terms(x + i * d, p, jb, nb, dc, sbuf, buf);
            for (size_t j = 0; j < nb; j += PMC__LANES)
                for (size_t k = 0; k < PMC__LANES; k++)
                    acc[k] = fma(coef[j + k], buf[j + k], acc[k]);
        }
        denom[i - i0] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
                        ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
}

static inline __attribute__((always_inline)) void
local_all(const double *x, size_t i0, size_t i1, const local_cols *p, double *denom)
{
    switch (p->d) {
    case 1: local_tiles(x, i0, i1, p, 1, denom); break;
    case 2: local_tiles(x, i0, i1, p, 2, denom); break;
    default: local_tiles(x, i0, i1, p, 0, denom); break;
    }
}

static void local_baseline(const double *x, size_t i0, size_t i1, const local_cols *p,
                                double *denom)
{
    local_all(x, i0, i1, p, denom);
}

#ifdef PMC__HAVE_X86_VARIANTS
__attribute__((target("avx2,fma"))) static void
local_avx2(const double *x, size_t i0, size_t i1, const local_cols *p, double *denom)
{
    local_all(x, i0, i1, p, denom);
}

__attribute__((target(PMC__AVX512_TARGET))) static void
local_avx512(const double *x, size_t i0, size_t i1, const local_cols *p,
                  double *denom)
{
    local_all(x, i0, i1, p, denom);
}
#endif

/* Copies the previous population into columns (see local_cols);
 * coef_j = w_j prod_a (L_j^{-1})_aa, the product in coordinate order. */
static int local_cols_make(local_cols *p, const double *theta_prev,
                                const double *inv_prev, const double *w_prev, size_t n_prev,
                                size_t d)
{
    size_t tri = d * (d + 1) / 2;
    p->d = d;
    p->n_pad = (n_prev + PMC__LANES - 1) / PMC__LANES * PMC__LANES;
    p->cols = NULL;
    if (!p->n_pad)
        return PMC_OK;
    p->cols = aligned_alloc(64, (d + tri + 1) * p->n_pad * sizeof(double));
    if (!p->cols)
        return PMC_ENOMEM;
    memset(p->cols, 0, (d + tri + 1) * p->n_pad * sizeof(double));
    double *inv = p->cols + d * p->n_pad, *coef = inv + tri * p->n_pad;
    for (size_t j = 0; j < n_prev; j++) {
        double c = w_prev[j];
        for (size_t a = 0; a < d; a++) {
            p->cols[a * p->n_pad + j] = theta_prev[j * d + a];
            c *= inv_prev[j * tri + a * (a + 1) / 2 + a];
        }
        for (size_t t = 0; t < tri; t++)
            inv[t * p->n_pad + j] = inv_prev[j * tri + t];
        coef[j] = c;
    }
    return PMC_OK;
}

int pmc_weights_block_local_isa(pmc_weights_isa isa, const double *theta, const double *logprior,
                                size_t i0, size_t i1, const double *theta_prev,
                                const double *inv_prev, const double *w_prev, size_t n_prev,
                                size_t d, double *out, pmc_err *err)
{
    int rc = resolve_isa(&isa, err);
    if (rc != PMC_OK)
        return rc;
    if (d == 0 || d > PMC__LOCAL_DMAX)
        return pmc_err_set(err, PMC_EINVAL, "weights: dimension %zu; expected 1 to %d "
                           "parameters", d, PMC__LOCAL_DMAX);
    if (i1 <= i0)
        return PMC_OK;
    local_cols cols;
    if (local_cols_make(&cols, theta_prev, inv_prev, w_prev, n_prev, d) != PMC_OK)
        return pmc_err_set(err, PMC_ENOMEM,
                           "weights: out of memory copying %zu previous particles x %zu "
                           "parameters", n_prev, d);
    /* out[] holds the scaled denominators until the weights replace them
     * (no previous particle: every denominator is 0). */
    switch (isa) {
#ifdef PMC__HAVE_X86_VARIANTS
    case PMC_WEIGHTS_ISA_AVX512:
        local_avx512(theta, i0, i1, &cols, out);
        break;
    case PMC_WEIGHTS_ISA_AVX2:
        local_avx2(theta, i0, i1, &cols, out);
        break;
#endif
    default:
        local_baseline(theta, i0, i1, &cols, out);
        break;
    }
    free(cols.cols);
    return weights_from_denominators(logprior, i0, i1, out, err);
}

int pmc_weights_block_local(const double *theta, const double *logprior, size_t i0, size_t i1,
                            const double *theta_prev, const double *inv_prev,
                            const double *w_prev, size_t n_prev, size_t d, double *out,
                            pmc_err *err)
{
    return pmc_weights_block_local_isa(PMC_WEIGHTS_ISA_AUTO, theta, logprior, i0, i1, theta_prev,
                                       inv_prev, w_prev, n_prev, d, out, err);
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

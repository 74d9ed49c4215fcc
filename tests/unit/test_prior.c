#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "pmc_prior.h"
#include "pmc_rng.h"
#include "pmc_test.h"

/* ---- helpers ------------------------------------------------------------ */

static pmc_prior_spec parse_ok(const char *text)
{
    pmc_prior_spec s;
    pmc_err err;
    memset(&s, 0, sizeof s);
    pmc_err_clear(&err);
    int rc = pmc_prior_parse(text, &s, &err);
    if (rc != PMC_OK)
        fprintf(stderr, "parse '%s' failed: %s\n", text, err.msg);
    PMC_CHECK_INT(rc, PMC_OK);
    return s;
}

static void expect_parse_error(const char *text, const char *fragment)
{
    pmc_prior_spec s;
    pmc_err err;
    memset(&s, 0, sizeof s);
    pmc_err_clear(&err);
    PMC_CHECK_INT(pmc_prior_parse(text, &s, &err), PMC_EINVAL);
    PMC_CHECK_INT(err.code, PMC_EINVAL);
    PMC_CHECK_CONTAINS(err.msg, fragment);
}

/* Log densities are compared with GSL's densities or closed forms computed
 * another way. Both are a handful of correctly rounded operations, so they
 * agree to ~1e-15 relative; 1e-12 leaves room and still catches any wrong
 * constant or term. */
static double log_tol(double expected)
{
    return 1e-12 * fmax(1.0, fabs(expected));
}

#define CHECK_LOGPDF(spec, x, expected) \
    PMC_CHECK_NEAR(pmc_prior_logpdf(&(spec), (x)), (expected), log_tol(expected))

#define N_DRAWS 200000

/* Draws N_DRAWS values and checks every one lies in the support, then the
 * sample mean and variance against the closed forms within 5 standard
 * errors: SE(mean) = sqrt(var / n), SE(variance) = sqrt((mu4 - var^2) / n)
 * with mu4 the fourth central moment (or an upper bound of it). A correct
 * sampler fails with probability about 6e-7; streams are fixed, so the
 * outcome is reproducible. */
static void check_moments(const char *text, uint64_t slot, double mean, double var, double mu4)
{
    pmc_prior_spec s = parse_ok(text);
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 31337, 0, slot, 0);
    double sum = 0, sum2 = 0;
    size_t outside = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = pmc_prior_sample(&s, r);
        outside += !isfinite(pmc_prior_logpdf(&s, x));
        sum += x;
        sum2 += (x - mean) * (x - mean);
    }
    double n = N_DRAWS, m = sum / n;
    /* Variance about the known mean, corrected to about the sample mean. */
    double v = sum2 / n - (m - mean) * (m - mean);
    PMC_CHECK_INT(outside, 0);
    PMC_CHECK_NEAR(m, mean, 5 * sqrt(var / n));
    PMC_CHECK_NEAR(v, var, 5 * sqrt((mu4 - var * var) / n));
    gsl_rng_free(r);
}

static double std_phi(double x)
{
    return gsl_ran_ugaussian_pdf(x);
}

/* Mass of [alpha, beta] under N(0,1), computed where no digits cancel: with
 * upper-tail probabilities Q for an interval above 0 (a different route from
 * the library's mirrored Phi), with Phi otherwise. */
static double std_mass(double alpha, double beta)
{
    if (alpha > 0)
        return gsl_cdf_ugaussian_Q(alpha) - gsl_cdf_ugaussian_Q(beta);
    return gsl_cdf_ugaussian_P(beta) - gsl_cdf_ugaussian_P(alpha);
}

/* ---- parsing: accepted specs --------------------------------------------- */

PMC_TEST(prior_parse_uniform)
{
    pmc_prior_spec s;
    pmc_err err;
    memset(&s, 0, sizeof s);
    strcpy(s.name, "sigma");
    PMC_CHECK_INT(pmc_prior_parse("  uniform( 150 ,\t200 ) ", &s, &err), PMC_OK);
    PMC_CHECK_INT(s.kind, PMC_PRIOR_UNIFORM);
    PMC_CHECK(s.p[0] == 150 && s.p[1] == 200);
    PMC_CHECK(s.log_norm == 0);
    PMC_CHECK(strcmp(s.name, "sigma") == 0);
    PMC_CHECK(strcmp(pmc_prior_kind_name(s.kind), "uniform") == 0);
}

PMC_TEST(prior_format_round_trip)
{
    /* %g numbers, ", " between them; the parser reads the text back. */
    const char *texts[] = {"uniform(5, 25)", "truncnormal(0, 1.5, -1, 1e+06)", "exponential(0.5)",
                           "beta(2, 3)"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        pmc_prior_spec s = parse_ok(texts[i]);
        char buf[64];
        pmc_prior_format(&s, buf, sizeof buf);
        PMC_CHECK(strcmp(buf, texts[i]) == 0);
    }
    pmc_prior_spec s = parse_ok("uniform( 150 ,200.0 )");
    char small[8];
    pmc_prior_format(&s, small, sizeof small);
    PMC_CHECK(strcmp(small, "uniform") == 0); /* truncated, NUL-terminated */
}

PMC_TEST(prior_parse_all_kinds)
{
    static const struct {
        const char *text;
        pmc_prior_kind kind;
        const char *name;
    } cases[] = {
        {"normal(-1e3, 2.5e-1)", PMC_PRIOR_NORMAL, "normal"},
        {"lognormal(0, 1)", PMC_PRIOR_LOGNORMAL, "lognormal"},
        {"exponential(2)", PMC_PRIOR_EXPONENTIAL, "exponential"},
        {"gamma(2, 3)", PMC_PRIOR_GAMMA, "gamma"},
        {"beta(0.5, 0.5)", PMC_PRIOR_BETA, "beta"},
        {"truncnormal(0, 1, -1, 2)", PMC_PRIOR_TRUNCNORMAL, "truncnormal"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        pmc_prior_spec s = parse_ok(cases[c].text);
        PMC_CHECK_INT(s.kind, cases[c].kind);
        PMC_CHECK(strcmp(pmc_prior_kind_name(s.kind), cases[c].name) == 0);
    }
    pmc_prior_spec n = parse_ok("normal(-1e3, 2.5e-1)");
    PMC_CHECK(n.p[0] == -1000 && n.p[1] == 0.25);
    pmc_prior_spec t = parse_ok("truncnormal(0, 1, -1, 2)");
    PMC_CHECK(t.p[0] == 0 && t.p[1] == 1 && t.p[2] == -1 && t.p[3] == 2);
    PMC_CHECK_NEAR(t.log_norm, log(std_mass(-1, 2)), 1e-14);
}

/* ---- parsing: each bad input -------------------------------------------- */

PMC_TEST(prior_parse_uniform_reversed)
{
    expect_parse_error("uniform(25, 5)", "lower bound must be below upper bound");
}

PMC_TEST(prior_parse_uniform_equal_bounds)
{
    expect_parse_error("uniform(5, 5)", "lower bound must be below upper bound");
}

PMC_TEST(prior_parse_normal_negative_sd)
{
    expect_parse_error("normal(0, -1)", "standard deviation s must be positive");
}

PMC_TEST(prior_parse_lognormal_zero_sd)
{
    expect_parse_error("lognormal(0, 0)", "standard deviation s must be positive");
}

PMC_TEST(prior_parse_exponential_negative_rate)
{
    expect_parse_error("exponential(-2)", "rate must be positive");
}

PMC_TEST(prior_parse_gamma_zero_scale)
{
    expect_parse_error("gamma(2, 0)", "scale must be positive");
}

PMC_TEST(prior_parse_gamma_negative_shape)
{
    expect_parse_error("gamma(-1, 2)", "shape must be positive");
}

PMC_TEST(prior_parse_beta_zero_a)
{
    expect_parse_error("beta(0, 1)", "a must be positive");
}

PMC_TEST(prior_parse_truncnormal_reversed)
{
    expect_parse_error("truncnormal(0, 1, 2, 1)", "lower bound must be below upper bound");
}

PMC_TEST(prior_parse_truncnormal_negative_sd)
{
    expect_parse_error("truncnormal(0, -1, -1, 1)", "standard deviation s must be positive");
}

PMC_TEST(prior_parse_truncnormal_no_mass)
{
    /* Phi(-50) ~ 1e-545 underflows: the interval has no representable mass. */
    expect_parse_error("truncnormal(0, 1, 50, 60)", "no representable probability");
}

PMC_TEST(prior_parse_too_few_numbers)
{
    expect_parse_error("uniform(1)", "expected uniform(a, b) with 2 numbers, got 1");
}

PMC_TEST(prior_parse_too_many_numbers)
{
    expect_parse_error("exponential(1, 2)", "expected exponential(rate) with 1 number, got 2");
}

PMC_TEST(prior_parse_no_numbers)
{
    expect_parse_error("truncnormal()", "expected truncnormal(m, s, a, b) with 4 numbers, got 0");
}

PMC_TEST(prior_parse_unknown_name)
{
    expect_parse_error("cauchy(0, 1)",
                       "unknown distribution 'cauchy'; known: uniform, normal, lognormal, "
                       "exponential, gamma, beta, truncnormal");
}

PMC_TEST(prior_parse_empty)
{
    expect_parse_error("   ", "expected a distribution such as uniform(a, b)");
}

PMC_TEST(prior_parse_garbage_number)
{
    expect_parse_error("uniform(1, 2x)", "'2x' is not a finite number");
}

PMC_TEST(prior_parse_two_numbers_in_one)
{
    expect_parse_error("uniform(1 2, 3)", "'1 2' is not a finite number");
}

PMC_TEST(prior_parse_nan)
{
    expect_parse_error("uniform(nan, 1)", "'nan' is not a finite number");
}

PMC_TEST(prior_parse_inf)
{
    expect_parse_error("normal(0, inf)", "'inf' is not a finite number");
}

PMC_TEST(prior_parse_overflow)
{
    expect_parse_error("normal(1e999, 1)", "'1e999' is not a finite number");
}

PMC_TEST(prior_parse_empty_number)
{
    expect_parse_error("uniform(1, )", "uniform(a, b): missing number");
}

PMC_TEST(prior_parse_missing_close)
{
    expect_parse_error("uniform(1, 2", "missing ')'");
}

PMC_TEST(prior_parse_missing_open)
{
    expect_parse_error("uniform 1, 2", "expected '(' after 'uniform'");
}

PMC_TEST(prior_parse_trailing_text)
{
    expect_parse_error("uniform(1, 2) extra", "unexpected text 'extra' after ')'");
}

/* --- scales --- */

PMC_TEST(prior_parse_scales)
{
    PMC_CHECK_INT(parse_ok("uniform(5, 25)").scale, PMC_SCALE_LINEAR);
    PMC_CHECK_INT(parse_ok("uniform(5, 25) log").scale, PMC_SCALE_LOG);
    PMC_CHECK_INT(parse_ok(" beta(2, 5)   logit ").scale, PMC_SCALE_LOGIT);
    PMC_CHECK_INT(parse_ok("gamma(2, 1) log").scale, PMC_SCALE_LOG);
    PMC_CHECK_INT(parse_ok("truncnormal(0, 1, -1, 2) logit").scale, PMC_SCALE_LOGIT);
    PMC_CHECK_STR(pmc_prior_scale_name(PMC_SCALE_LOGIT), "logit");
}

PMC_TEST(prior_parse_scale_log_below_zero)
{
    expect_parse_error("normal(0, 1) log", "the log scale needs a prior on values >= 0, and "
                       "normal(0, 1) reaches below 0");
    expect_parse_error("uniform(-1, 2) log", "uniform(-1, 2) reaches below 0");
}

PMC_TEST(prior_parse_scale_logit_unbounded)
{
    expect_parse_error("gamma(2, 1) logit", "the logit scale needs a prior with two finite "
                       "bounds (uniform, beta, truncnormal), and gamma(2, 1) has one");
    expect_parse_error("normal(0, 1) logit", "and normal(0, 1) has none");
}

PMC_TEST(prior_parse_scale_unknown_word)
{
    expect_parse_error("uniform(1, 2) sqrt", "unexpected text 'sqrt' after ')'; a scale after "
                       "it is 'log' or 'logit'");
    expect_parse_error("uniform(1, 2) log log", "unexpected text 'log' after ')'");
}

PMC_TEST(prior_scale_round_trip)
{
    pmc_prior_spec lg = parse_ok("uniform(5, 25) log");
    pmc_prior_spec lt = parse_ok("uniform(150, 200) logit");
    PMC_CHECK_NEAR(pmc_prior_to_scale(&lg, 10.0), log(10.0), 1e-15);
    PMC_CHECK_NEAR(pmc_prior_from_scale(&lg, log(10.0)), 10.0, 1e-13);
    /* logit on [150, 200]: 160 -> log(10 / 40). */
    PMC_CHECK_NEAR(pmc_prior_to_scale(&lt, 160.0), log(0.25), 1e-15);
    PMC_CHECK_NEAR(pmc_prior_from_scale(&lt, log(0.25)), 160.0, 1e-12);
    pmc_prior_spec lin = parse_ok("normal(0, 1)");
    PMC_CHECK(pmc_prior_to_scale(&lin, 3.5) == 3.5 && pmc_prior_from_scale(&lin, 3.5) == 3.5);
}

/* The scaled density integrates to 1 over z: pi_z(z) = pi(x(z)) |dx/dz|.
 * Checked against a central difference of x(z), which does not use the
 * closed-form Jacobian. */
PMC_TEST(prior_scaled_density_jacobian)
{
    pmc_prior_spec sp[2] = { parse_ok("gamma(3, 2) log"), parse_ok("beta(2, 5) logit") };
    const double z[2] = { 1.3, -0.7 }, h = 1e-6;
    double x[2];
    for (int k = 0; k < 2; k++)
        x[k] = pmc_prior_from_scale(&sp[k], z[k]);
    double want = 0.0;
    for (int k = 0; k < 2; k++) {
        double dx = (pmc_prior_from_scale(&sp[k], z[k] + h) -
                     pmc_prior_from_scale(&sp[k], z[k] - h)) / (2 * h);
        want += pmc_prior_logpdf(&sp[k], x[k]) + log(dx);
    }
    PMC_CHECK_NEAR(pmc_prior_logpdf_scaled_joint(sp, 2, x), want, 1e-8);
    /* Linear scales: the plain joint density, bit for bit. */
    pmc_prior_spec lin[2] = { parse_ok("gamma(3, 2)"), parse_ok("beta(2, 5)") };
    PMC_CHECK(pmc_prior_logpdf_scaled_joint(lin, 2, x) == pmc_prior_logpdf_joint(lin, 2, x));
    PMC_CHECK(!pmc_prior_any_scaled(lin, 2) && pmc_prior_any_scaled(sp, 2));
    /* On an end of the scale's range (reached by rounding) the density is 0. */
    const double at_end[2] = { 2.0, 1.0 };
    PMC_CHECK(pmc_prior_logpdf_scaled_joint(sp, 2, at_end) == -INFINITY);
}

/* --- discrete priors --- */

PMC_TEST(prior_discrete_parse_and_logpdf)
{
    pmc_prior_spec u = parse_ok("uniform_int(-3, 8)");
    PMC_CHECK(pmc_prior_is_discrete(&u) && u.n_p == 2);
    CHECK_LOGPDF(u, 5, -log(12.0));
    PMC_CHECK(pmc_prior_logpdf(&u, 5.5) == -INFINITY);
    PMC_CHECK(pmc_prior_logpdf(&u, 9) == -INFINITY);
    pmc_prior_spec p = parse_ok("poisson(3)");
    CHECK_LOGPDF(p, 4, log(gsl_ran_poisson_pdf(4, 3.0)));
    PMC_CHECK(pmc_prior_logpdf(&p, -1) == -INFINITY);
    pmc_prior_spec c = parse_ok("categorical(1, 2, 3, 0, 4)");
    PMC_CHECK(c.n_p == 5);
    CHECK_LOGPDF(c, 2, log(0.3));
    PMC_CHECK(pmc_prior_logpdf(&c, 3) == -INFINITY); /* weight 0 */
    PMC_CHECK(pmc_prior_logpdf(&c, 5) == -INFINITY);
    PMC_CHECK(!pmc_prior_is_discrete(&(pmc_prior_spec){ .kind = PMC_PRIOR_UNIFORM }));
}

PMC_TEST(prior_discrete_parse_errors)
{
    expect_parse_error("uniform_int(1.5, 3)", "uniform_int(a, b): a must be a whole number");
    expect_parse_error("uniform_int(3, 3)", "lower bound must be below upper bound");
    expect_parse_error("poisson(0)", "poisson(lambda): lambda must be positive");
    expect_parse_error("categorical(1)", "expected categorical(p1, ..., pk) with 2 to 16 numbers, "
                       "got 1");
    expect_parse_error("categorical(1, -1)", "categorical(p1, ..., pk): p2 must be >= 0");
    expect_parse_error("categorical(0, 0)", "the probabilities must have a positive, finite sum");
    expect_parse_error("poisson(3) log", "a log scale is for continuous parameters, and "
                       "poisson(3) is discrete");
}

/* Frequencies of 200,000 draws against the pmf: each within 5 binomial sds
 * (a false alarm below 1e-5 per value; fixed stream, so deterministic). */
static void check_frequencies(const char *text, int lo, int hi)
{
    enum { M = 200000 };
    pmc_prior_spec s = parse_ok(text);
    gsl_rng *r = pmc_rng_alloc();
    pmc_rng_set_stream(r, 4242, 0, 0, 0);
    size_t count[64] = { 0 }, other = 0;
    for (int i = 0; i < M; i++) {
        double x = pmc_prior_sample(&s, r);
        if (x >= lo && x <= hi && x == floor(x))
            count[(int)x - lo]++;
        else
            other++;
    }
    gsl_rng_free(r);
    double rest = 1.0;
    for (int k = lo; k <= hi; k++) {
        double p = exp(pmc_prior_logpdf(&s, k));
        rest -= p;
        double sd = sqrt(M * p * (1 - p));
        PMC_CHECK(fabs((double)count[k - lo] - M * p) <= 5 * sd + 1e-9);
    }
    PMC_CHECK(fabs((double)other - M * rest) <= 5 * sqrt(M * fabs(rest)) + 1);
}

PMC_TEST(prior_discrete_sample_frequencies)
{
    check_frequencies("uniform_int(-3, 8)", -3, 8);
    check_frequencies("poisson(3)", 0, 15);
    check_frequencies("categorical(1, 2, 3, 0, 4)", 0, 4);
}

/* ---- log densities ------------------------------------------------------ */

PMC_TEST(prior_logpdf_uniform)
{
    pmc_prior_spec s = parse_ok("uniform(150, 200)");
    CHECK_LOGPDF(s, 175, -log(50.0));
    CHECK_LOGPDF(s, 150, -log(50.0)); /* the support is closed */
    CHECK_LOGPDF(s, 200, -log(50.0));
    PMC_CHECK(pmc_prior_logpdf(&s, 149.999) == -INFINITY);
    PMC_CHECK(pmc_prior_logpdf(&s, 200.001) == -INFINITY);
    PMC_CHECK(pmc_prior_logpdf(&s, NAN) == -INFINITY);
}

PMC_TEST(prior_logpdf_normal)
{
    pmc_prior_spec s = parse_ok("normal(3, 2)");
    const double xs[] = {-1, 3, 7.5};
    for (size_t i = 0; i < 3; i++)
        CHECK_LOGPDF(s, xs[i], log(gsl_ran_gaussian_pdf(xs[i] - 3, 2)));
}

PMC_TEST(prior_logpdf_lognormal)
{
    pmc_prior_spec s = parse_ok("lognormal(0.5, 0.25)");
    const double xs[] = {0.5, 1.7, 3};
    for (size_t i = 0; i < 3; i++)
        CHECK_LOGPDF(s, xs[i], log(gsl_ran_lognormal_pdf(xs[i], 0.5, 0.25)));
    PMC_CHECK(pmc_prior_logpdf(&s, 0) == -INFINITY);
    PMC_CHECK(pmc_prior_logpdf(&s, -1) == -INFINITY);
}

PMC_TEST(prior_logpdf_exponential)
{
    pmc_prior_spec s = parse_ok("exponential(2)");
    const double xs[] = {0, 0.3, 4};
    for (size_t i = 0; i < 3; i++)
        CHECK_LOGPDF(s, xs[i], log(gsl_ran_exponential_pdf(xs[i], 0.5)));
    PMC_CHECK(pmc_prior_logpdf(&s, -0.1) == -INFINITY);
}

PMC_TEST(prior_logpdf_gamma)
{
    pmc_prior_spec s = parse_ok("gamma(3, 2)");
    const double xs[] = {0.5, 6, 20};
    for (size_t i = 0; i < 3; i++)
        CHECK_LOGPDF(s, xs[i], log(gsl_ran_gamma_pdf(xs[i], 3, 2)));
    PMC_CHECK(pmc_prior_logpdf(&s, -1) == -INFINITY);
    PMC_CHECK(pmc_prior_logpdf(&s, 0) == -INFINITY); /* density 0 at 0 for shape > 1 */
    pmc_prior_spec e = parse_ok("gamma(1, 2)");     /* exponential with mean 2 */
    CHECK_LOGPDF(e, 0, -log(2.0));
    pmc_prior_spec u = parse_ok("gamma(0.5, 1)"); /* unbounded at 0: excluded */
    PMC_CHECK(pmc_prior_logpdf(&u, 0) == -INFINITY);
}

PMC_TEST(prior_logpdf_beta)
{
    pmc_prior_spec s = parse_ok("beta(2, 5)");
    const double xs[] = {0.1, 0.5, 0.9};
    for (size_t i = 0; i < 3; i++)
        CHECK_LOGPDF(s, xs[i], log(gsl_ran_beta_pdf(xs[i], 2, 5)));
    PMC_CHECK(pmc_prior_logpdf(&s, -0.1) == -INFINITY);
    PMC_CHECK(pmc_prior_logpdf(&s, 1.1) == -INFINITY);
    pmc_prior_spec b = parse_ok("beta(1, 3)"); /* density 3 (1 - x)^2 */
    CHECK_LOGPDF(b, 0, log(3.0));
    CHECK_LOGPDF(b, 0.5, log(0.75));
}

PMC_TEST(prior_logpdf_truncnormal)
{
    pmc_prior_spec s = parse_ok("truncnormal(0, 1, -1, 2)");
    CHECK_LOGPDF(s, 0.5, log(std_phi(0.5) / std_mass(-1, 2)));
    CHECK_LOGPDF(s, -1, log(std_phi(-1) / std_mass(-1, 2)));
    PMC_CHECK(pmc_prior_logpdf(&s, -1.001) == -INFINITY);
    PMC_CHECK(pmc_prior_logpdf(&s, 2.001) == -INFINITY);
    /* Upper tail: alpha = 5, beta = 6. */
    pmc_prior_spec t = parse_ok("truncnormal(10, 2, 20, 22)");
    CHECK_LOGPDF(t, 21, log(gsl_ran_gaussian_pdf(11, 2) / std_mass(5, 6)));
}

PMC_TEST(prior_logpdf_joint)
{
    pmc_prior_spec s[2] = {parse_ok("uniform(0, 4)"), parse_ok("normal(0, 1)")};
    double in[2] = {1, 0.5}, out[2] = {5, 0.5};
    double expected = -log(4.0) + log(std_phi(0.5));
    PMC_CHECK_NEAR(pmc_prior_logpdf_joint(s, 2, in), expected, log_tol(expected));
    PMC_CHECK(pmc_prior_logpdf_joint(s, 2, out) == -INFINITY);
}

/* ---- sampling ----------------------------------------------------------- */

PMC_TEST(prior_sample_uniform)
{
    /* U(a, b): variance (b-a)^2/12, mu4 (b-a)^4/80. */
    double w = 50;
    check_moments("uniform(150, 200)", 1, 175, w * w / 12, pow(w, 4) / 80);
}

PMC_TEST(prior_sample_normal)
{
    check_moments("normal(3, 2)", 2, 3, 4, 3 * 16);
}

PMC_TEST(prior_sample_lognormal)
{
    /* mean e^{m + s^2/2}, variance (e^{s^2} - 1) e^{2m + s^2}, kurtosis
     * e^{4s^2} + 2 e^{3s^2} + 3 e^{2s^2} - 3. */
    double m = 0.5, s2 = 0.25 * 0.25;
    double var = expm1(s2) * exp(2 * m + s2);
    double kurt = exp(4 * s2) + 2 * exp(3 * s2) + 3 * exp(2 * s2) - 3;
    check_moments("lognormal(0.5, 0.25)", 3, exp(m + s2 / 2), var, kurt * var * var);
}

PMC_TEST(prior_sample_exponential)
{
    /* rate 2: mean 1/2, variance 1/4, mu4 9/rate^4. */
    check_moments("exponential(2)", 4, 0.5, 0.25, 9.0 / 16);
}

PMC_TEST(prior_sample_gamma)
{
    /* shape k = 3, scale 2: mean 6, variance 12, kurtosis 3 + 6/k. */
    check_moments("gamma(3, 2)", 5, 6, 12, (3 + 6.0 / 3) * 144);
}

PMC_TEST(prior_sample_beta)
{
    /* a = 2, b = 5: mean a/(a+b), variance ab/((a+b)^2 (a+b+1)), excess
     * kurtosis 6[(a-b)^2 (a+b+1) - ab(a+b+2)] / [ab(a+b+2)(a+b+3)]. */
    double a = 2, b = 5, s = a + b;
    double var = a * b / (s * s * (s + 1));
    double exkurt = 6 * ((a - b) * (a - b) * (s + 1) - a * b * (s + 2)) / (a * b * (s + 2) * (s + 3));
    check_moments("beta(2, 5)", 6, a / s, var, (3 + exkurt) * var * var);
}

/* Truncated normal N(m, sd) on [a, b], alpha = (a-m)/sd, beta = (b-m)/sd,
 * Z = Phi(beta) - Phi(alpha): mean m + sd (phi(alpha) - phi(beta)) / Z,
 * variance sd^2 [1 + (alpha phi(alpha) - beta phi(beta)) / Z - ((phi(alpha) - phi(beta)) / Z)^2].
 * Samples lie in [a, b], so |x - mean| <= b - a and mu4 <= var (b - a)^2,
 * a safe bound for the variance's standard error. */
static void check_truncnormal(const char *text, uint64_t slot, double m, double sd, double a,
                              double b)
{
    double al = (a - m) / sd, be = (b - m) / sd, z = std_mass(al, be);
    double r = (std_phi(al) - std_phi(be)) / z;
    double var = sd * sd * (1 + (al * std_phi(al) - be * std_phi(be)) / z - r * r);
    check_moments(text, slot, m + sd * r, var, var * (b - a) * (b - a));
}

PMC_TEST(prior_sample_truncnormal)
{
    check_truncnormal("truncnormal(0, 1, -1, 2)", 7, 0, 1, -1, 2);
}

PMC_TEST(prior_sample_truncnormal_upper_tail)
{
    /* alpha = 5: inverting Phi directly would lose most digits near 1. */
    check_truncnormal("truncnormal(10, 2, 20, 22)", 8, 10, 2, 20, 22);
}

PMC_TEST(prior_sample_truncnormal_lower_tail)
{
    check_truncnormal("truncnormal(0, 1, -7, -6)", 9, 0, 1, -7, -6);
}

PMC_TEST(prior_sample_joint_order)
{
    /* The joint draw is the marginals' draws in parameter order. */
    pmc_prior_spec s[2] = {parse_ok("uniform(0, 1)"), parse_ok("normal(0, 1)")};
    gsl_rng *r = pmc_rng_alloc();
    double joint[2];
    pmc_rng_set_stream(r, 5, 6, 7, 0);
    pmc_prior_sample_joint(s, 2, r, joint);
    pmc_rng_set_stream(r, 5, 6, 7, 0);
    double x0 = pmc_prior_sample(&s[0], r);
    double x1 = pmc_prior_sample(&s[1], r);
    PMC_CHECK(joint[0] == x0 && joint[1] == x1);
    gsl_rng_free(r);
}

const pmc_test_case pmc_tests_prior[] = {
    PMC_TEST_ENTRY(prior_parse_uniform),
    PMC_TEST_ENTRY(prior_format_round_trip),
    PMC_TEST_ENTRY(prior_parse_all_kinds),
    PMC_TEST_ENTRY(prior_parse_uniform_reversed),
    PMC_TEST_ENTRY(prior_parse_uniform_equal_bounds),
    PMC_TEST_ENTRY(prior_parse_normal_negative_sd),
    PMC_TEST_ENTRY(prior_parse_lognormal_zero_sd),
    PMC_TEST_ENTRY(prior_parse_exponential_negative_rate),
    PMC_TEST_ENTRY(prior_parse_gamma_zero_scale),
    PMC_TEST_ENTRY(prior_parse_gamma_negative_shape),
    PMC_TEST_ENTRY(prior_parse_beta_zero_a),
    PMC_TEST_ENTRY(prior_parse_truncnormal_reversed),
    PMC_TEST_ENTRY(prior_parse_truncnormal_negative_sd),
    PMC_TEST_ENTRY(prior_parse_truncnormal_no_mass),
    PMC_TEST_ENTRY(prior_parse_too_few_numbers),
    PMC_TEST_ENTRY(prior_parse_too_many_numbers),
    PMC_TEST_ENTRY(prior_parse_no_numbers),
    PMC_TEST_ENTRY(prior_parse_unknown_name),
    PMC_TEST_ENTRY(prior_parse_empty),
    PMC_TEST_ENTRY(prior_parse_garbage_number),
    PMC_TEST_ENTRY(prior_parse_two_numbers_in_one),
    PMC_TEST_ENTRY(prior_parse_nan),
    PMC_TEST_ENTRY(prior_parse_inf),
    PMC_TEST_ENTRY(prior_parse_overflow),
    PMC_TEST_ENTRY(prior_parse_empty_number),
    PMC_TEST_ENTRY(prior_parse_missing_close),
    PMC_TEST_ENTRY(prior_parse_missing_open),
    PMC_TEST_ENTRY(prior_parse_trailing_text),
    PMC_TEST_ENTRY(prior_parse_scales),
    PMC_TEST_ENTRY(prior_parse_scale_log_below_zero),
    PMC_TEST_ENTRY(prior_parse_scale_logit_unbounded),
    PMC_TEST_ENTRY(prior_parse_scale_unknown_word),
    PMC_TEST_ENTRY(prior_scale_round_trip),
    PMC_TEST_ENTRY(prior_scaled_density_jacobian),
    PMC_TEST_ENTRY(prior_discrete_parse_and_logpdf),
    PMC_TEST_ENTRY(prior_discrete_parse_errors),
    PMC_TEST_ENTRY(prior_discrete_sample_frequencies),
    PMC_TEST_ENTRY(prior_logpdf_uniform),
    PMC_TEST_ENTRY(prior_logpdf_normal),
    PMC_TEST_ENTRY(prior_logpdf_lognormal),
    PMC_TEST_ENTRY(prior_logpdf_exponential),
    PMC_TEST_ENTRY(prior_logpdf_gamma),
    PMC_TEST_ENTRY(prior_logpdf_beta),
    PMC_TEST_ENTRY(prior_logpdf_truncnormal),
    PMC_TEST_ENTRY(prior_logpdf_joint),
    PMC_TEST_ENTRY(prior_sample_uniform),
    PMC_TEST_ENTRY(prior_sample_normal),
    PMC_TEST_ENTRY(prior_sample_lognormal),
    PMC_TEST_ENTRY(prior_sample_exponential),
    PMC_TEST_ENTRY(prior_sample_gamma),
    PMC_TEST_ENTRY(prior_sample_beta),
    PMC_TEST_ENTRY(prior_sample_truncnormal),
    PMC_TEST_ENTRY(prior_sample_truncnormal_upper_tail),
    PMC_TEST_ENTRY(prior_sample_truncnormal_lower_tail),
    PMC_TEST_ENTRY(prior_sample_joint_order),
    {NULL, NULL},
};

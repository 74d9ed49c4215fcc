#!/usr/bin/python3
"""Validation: the g-and-k model (4 parameters, octile statistics, bounded
priors that cut the posterior of g, k and B) against a rejection-ABC
reference computed here with numpy.

Target. pmcabc's last generation, at epsilon = `minimum` = EPS, is a
weighted sample of the ABC posterior
    p_EPS(theta)  proportional to  prior(theta) P(||S(y) - S(x_obs)|| <= EPS | theta):
in PMC-ABC (Beaumont et al. 2009) a slot keeps a proposal only when its
distance is <= EPS, and the weight prior / proposal density corrects for the
proposal. Rejection ABC with the same prior, data, statistics, Euclidean
distance and EPS samples the same density without weights. The gandk model
has no support restriction beyond the prior, so nothing else enters.

Data: the first 100 values of jobs/data/gandk.csv (true A = 3, B = 1, g = 2,
k = 0.5). Priors A ~ U(2.4, 3.6), B ~ U(0.4, 2), g ~ U(0, 4), k ~ U(0, 1).
Statistics (docs/models.md, lib/pmc_model.c): octiles E1..E7 by linear
interpolation (numpy's default), then E4, E6 - E2, (E6 + E2 - 2 E4) / (E6 - E2),
(E7 - E5 + E3 - E1) / (E6 - E2). EPS = 0.22 accepts about 0.5 % of prior draws.

Reference: M = 3e6 prior draws (numpy default_rng(20261204)), about 15000
accepted. They are independent, so its ESS is the accepted count n_acc:
se(mean) = s / sqrt(n_acc) and, by the delta method,
se(sd) = sqrt((m4 - s^4) / (4 s^2 n_acc)) (m4 the fourth central moment).

pmcabc: R = 20 runs (seeds 1..20, N = 1000, quantile 0.5, down to minimum
EPS); the estimate is the average of the R weighted means (sds). Its
standard error is the larger of
  - ESS-based: sqrt(sum_r v_r / ESS_r) / R with v_r = s_r^2 for a mean and
    (m4_r - s_r^4) / (4 s_r^2) for an sd, ESS_r = 1 / sum w^2 (Kish);
  - replicate-based: s_R / sqrt(R), the spread of the R estimates, which also
    catches what Kish's ESS misses (particles of one generation share their
    ancestors; docs/algorithm.md reports a spread ~1.5x the ESS prediction).
Tolerance per check: t_{R-1}(1 - ALPHA / 2) sqrt(se_pmc^2 + se_ref^2), with
ALPHA = 1e-3 / 8 (Bonferroni over the 8 checks: the test fails by chance
with probability below 1e-3 whatever the random streams). Student's t with
R - 1 degrees of freedom because se_pmc may come from R replicates; the
reference term has more, so this is conservative.
"""
import math
import os
import sys
import tempfile

import numpy as np

from common import SRC, check, run, t_quantile

EPS = 0.22
N_DATA = 100
REPS = 20
M = 3_000_000
CHUNK = 50_000
NAMES = ("A", "B", "g", "k")
LOWER = np.array([2.4, 0.4, 0.0, 0.0])
UPPER = np.array([3.6, 2.0, 4.0, 1.0])
ALPHA = 1e-3 / (2 * len(NAMES))
CONFIG = """
[run]
seed = 1
particles = 1000
generations = 60

[epsilon]
initial = inf
quantile = 0.5
minimum = %g

[model]
name = gandk
data = %s

[prior]
""" + "".join("%s = uniform(%g, %g)\n" % p for p in zip(NAMES, LOWER, UPPER))


def gandk_stats(x):
    """The model's 4 statistics of each row of x (rows are samples)."""
    n = x.shape[1]
    x = np.sort(x, axis=1)
    h = (n - 1) * np.arange(1, 8) / 8
    lo = np.floor(h).astype(int)
    e = x[:, lo] + (h - lo) * (x[:, lo + 1] - x[:, lo])
    spread = e[:, 5] - e[:, 1]
    return np.column_stack([e[:, 3], spread, (e[:, 5] + e[:, 1] - 2 * e[:, 3]) / spread,
                            (e[:, 6] - e[:, 4] + e[:, 2] - e[:, 0]) / spread])


def rejection_reference(x):
    """Prior draws whose simulated statistics are within EPS of the data's."""
    obs = gandk_stats(x[None, :])[0]
    rng = np.random.default_rng(20261204)
    acc = []
    for _ in range(M // CHUNK):
        theta = rng.uniform(LOWER, UPPER, (CHUNK, 4))
        z = rng.standard_normal((CHUNK, len(x)))
        a, b, g, k = (theta[:, j:j + 1] for j in range(4))
        # Q(z) = A + B (1 + 0.8 tanh(g z / 2)) (1 + z^2)^k z (docs/models.md)
        y = a + b * (1 + 0.8 * np.tanh(0.5 * g * z)) * np.exp(k * np.log1p(z * z)) * z
        d = np.sqrt(((gandk_stats(y) - obs) ** 2).sum(1))
        acc.append(theta[d <= EPS])
    return np.concatenate(acc)


def moments(theta, w):
    """Weighted mean, sd and fourth central moment of each column."""
    m = w @ theta
    c = theta - m
    return m, np.sqrt(w @ c ** 2), w @ c ** 4


def main():
    with open(os.path.join(SRC, "jobs", "data", "gandk.csv")) as f:
        lines = [s for s in f if s.strip() and not s.lstrip().startswith("#")][:N_DATA]
    x = np.array([float(s) for s in lines])
    ref = rejection_reference(x)
    n_acc = len(ref)
    r_mean, r_sd, r_m4 = moments(ref, np.full(n_acc, 1.0 / n_acc))
    print("rejection reference: %d of %d prior draws accepted at eps %g (ESS %d)"
          % (n_acc, M, EPS, n_acc))
    means, sds, var_mean, var_sd, ess = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "gandk100.csv")
        with open(data, "w") as f:
            f.writelines(lines)
        config = CONFIG % (EPS, data)
        for seed in range(1, REPS + 1):
            theta, w, eps = run(config, tmp, "gandk_%d" % seed, "run.seed=%d" % seed)
            if abs(eps - EPS) > 1e-12:
                print("FAIL: seed %d stopped at epsilon %g, not at the minimum %g" % (seed, eps, EPS))
                return 1
            m, sd, m4 = moments(theta, w)
            e = 1.0 / (w @ w)
            means.append(m)
            sds.append(sd)
            var_mean.append(sd ** 2 / e)
            var_sd.append((m4 - sd ** 4) / (4 * sd ** 2) / e)
            ess.append(e)
    print("pmcabc: %d runs, N = %d, ESS %.0f .. %.0f" % (REPS, len(w), min(ess), max(ess)))
    q = t_quantile(1 - ALPHA / 2, REPS - 1)
    print("tolerance = t_%d(1 - %.3g) = %.3f x sqrt(se_pmc^2 + se_ref^2)" % (REPS - 1, ALPHA / 2, q))
    ok = True
    for what, est, var, ref_value, ref_se in (
            ("mean", np.array(means), np.array(var_mean), r_mean, r_sd / math.sqrt(n_acc)),
            ("sd", np.array(sds), np.array(var_sd), r_sd,
             np.sqrt((r_m4 - r_sd ** 4) / (4 * r_sd ** 2 * n_acc)))):
        se_ess = np.sqrt(var.sum(0)) / REPS
        se_rep = est.std(0, ddof=1) / math.sqrt(REPS)
        for j, name in enumerate(NAMES):
            se_pmc = max(se_ess[j], se_rep[j])
            tol = q * math.hypot(se_pmc, ref_se[j])
            print("  %s %-4s se_pmc: ESS-based %.5f, replicates %.5f; se_ref %.5f"
                  % (name, what, se_ess[j], se_rep[j], ref_se[j]))
            ok &= check("gandk PMC eps=%g x%d %s %s" % (EPS, REPS, name, what),
                        est[:, j].mean(), ref_value[j], tol)
    print("all checks passed" if ok else "FAIL: posterior differs from the rejection reference")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

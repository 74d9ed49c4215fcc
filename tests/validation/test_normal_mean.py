#!/usr/bin/python3
"""Validation: the example plugin (examples/normal_mean, data ~ Normal(mu, 1),
statistic the sample mean, prior mu ~ Normal(0, 3)) against its exact ABC
posterior.

The sample mean is sufficient and xbar ~ Normal(mu, 1/n), so the ABC
posterior at tolerance eps is exactly
    p_eps(mu)  proportional to  N(mu; 0, 3^2) [Phi((xo + eps - mu) sqrt(n)) - Phi((xo - eps - mu) sqrt(n))],
computed here by quadrature on a fine grid (no epsilon bias to allow for); as
eps -> 0 it tends to the conjugate posterior Normal(xo n / (n + 1/9),
1 / (n + 1/9)), printed for information.

R = 8 PMC-ABC runs (seeds 1..8, N = 1000, down to epsilon minimum 0.02): the
Monte-Carlo error is estimated from the replicates, and the mean of the R
estimates must lie within t_{7, 0.9995} s_R / sqrt(R) of the reference
(two-sided 1e-3 per check), as in tests/e2e/test_posterior.py part B.
"""
import math
import os
import sys
import tempfile

import numpy as np

from common import SRC, T_09995, check, run, weighted_mean_sd

PLUGIN = os.environ["PMC_EXAMPLE_PLUGIN"]
DATA = os.path.join(SRC, "examples", "normal_mean", "data.csv")
EPS = 0.02
REPS = 8
CONFIG = """
[run]
seed = 1
particles = 1000
generations = 40

[epsilon]
initial = inf
quantile = 0.5
minimum = %g

[model]
name = plugin
plugin = %s
data = %s
sigma0 = 1

[prior]
mu = normal(0, 3)
""" % (EPS, PLUGIN, DATA)


def exact_abc_posterior(x, eps, lo=-math.inf, hi=math.inf):
    """Mean and sd of p_eps(mu) on [lo, hi] (the prior truncated there)."""
    n, xo = len(x), x.mean()
    mu = np.linspace(max(xo - 3, lo), min(xo + 3, hi), 60001)
    erf = np.vectorize(math.erf)
    cdf = lambda z: 0.5 * (1 + erf(z / math.sqrt(2)))
    p = np.exp(-mu ** 2 / 18) * (cdf((xo + eps - mu) * math.sqrt(n)) - cdf((xo - eps - mu) * math.sqrt(n)))
    p /= p.sum()
    m = (p * mu).sum()
    return m, math.sqrt((p * (mu - m) ** 2).sum())


def main():
    x = np.loadtxt(DATA, comments="#")
    n = len(x)
    prec = n + 1 / 9
    print("conjugate posterior (eps -> 0): mean %.5f, sd %.5f" % (x.sum() / prec, prec ** -0.5))
    ref = exact_abc_posterior(x, EPS)
    print("exact ABC posterior at eps %g:   mean %.5f, sd %.5f" % (EPS, ref[0], ref[1]))
    est = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, REPS + 1):
            theta, w, eps = run(CONFIG, tmp, "nm%d" % seed, "run.seed=%d" % seed)
            if abs(eps - EPS) > 1e-12:
                print("FAIL: seed %d stopped at epsilon %g, not at the minimum %g" % (seed, eps, EPS))
                return 1
            m, sd = weighted_mean_sd(theta[:, 0], w)
            est.append((m, sd))
    est = np.array(est)
    ok = True
    for j, what in ((0, "mean"), (1, "sd")):
        tol = T_09995[REPS - 1] * est[:, j].std(ddof=1) / math.sqrt(REPS)
        ok &= check("normal_mean PMC eps=%g x%d mu %s" % (EPS, REPS, what), est[:, j].mean(), ref[j], tol)
    print("all checks passed" if ok else "FAIL: posterior differs from the exact ABC posterior")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Validation of model choice ([models], docs/algorithm.md "Model choice")
against posterior model probabilities known exactly.

Two models of the example plugin's data (examples/normal_mean: n = 20 draws,
x_i ~ Normal(mu, 1), statistic the sample mean xbar): "box", mu ~
Uniform(1.9, 2.3), and "wide", mu ~ Normal(0, 3), with prior model
probabilities 0.1 and 0.9. Both have the same likelihood, so xbar is
sufficient for the choice between them too (the factor of the data that xbar
leaves out is common to both; Robert et al. 2011, PNAS 108:15112, show how a
statistic sufficient within each model can fail across models; here it
does not). As xbar ~ Normal(mu, 1/n), a simulation of model m is accepted at
tolerance eps with probability
    L_m = int pi_m(mu) [Phi((xo + eps - mu) sqrt(n)) - Phi((xo - eps - mu) sqrt(n))] dmu,
so the ABC posterior model probability is exactly P_eps(m) = pi(m) L_m /
sum_k pi(k) L_k, and within model m the ABC posterior of mu is the
integrand normalised (as in test_normal_mean); both by quadrature on a fine
grid. The two models' posteriors of mu differ in width by a factor of two,
so their kernels' normalising constants, which the weights must carry
(they do not cancel between models), differ too.

R = 32 runs (seeds 1..32, N = 1000, down to epsilon 0.02; a run takes about
half a second): the mean of the R estimates of P(box) and of each model's
posterior mean and sd of mu must lie within t_{31, p} s_R / sqrt(R) of the
exact values, s_R the spread of the replicates; the 5 checks share a
family-wise false-alarm rate of 1e-3 (p = 1 - 1e-3 / 10, Bonferroni).

Power, measured once by breaking the weights in lib/pmc_choice.c: leaving
the kernels' normalising constants out gave P(box) = 0.765 against 0.625 (tolerance
0.016); leaving out the model kernel's factor q(m) / p(m) gave 0.577
(tolerance 0.015): both a clear FAIL.
"""
import math
import sys
import tempfile

import numpy as np

from common import check, run, t_quantile, weighted_mean_sd
from test_normal_mean import CONFIG as NM_CONFIG, DATA, EPS, PLUGIN

REPS = 32
PRIOR = {"box": 0.1, "wide": 0.9}
# test_normal_mean's [run] and [epsilon] (N = 1000, down to EPS), then the
# two models, each the example plugin of that test with its own prior.
MODEL = """
[model.%s]
name = plugin
plugin = %s
data = %s
sigma0 = 1

[prior.%s]
mu = %s
"""
CONFIG = (NM_CONFIG.split("\n[model]")[0] + "\n[models]\nprior = 0.1, 0.9\n" +
          MODEL % ("box", PLUGIN, DATA, "box", "uniform(1.9, 2.3)") +
          MODEL % ("wide", PLUGIN, DATA, "wide", "normal(0, 3)"))


def exact_abc(x, eps):
    """{model: (L_m, mean, sd)}: acceptance probability and ABC posterior of
    mu within each model, by quadrature."""
    n, xo = len(x), x.mean()
    phi = np.vectorize(lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2))))
    out = {}
    for m, (lo, hi, density) in {
            "box": (1.9, 2.3, lambda mu: np.full(mu.shape, 1 / 0.4)),
            "wide": (xo - 3, xo + 3, lambda mu: np.exp(-mu ** 2 / 18) / math.sqrt(18 * math.pi))
    }.items():
        mu = np.linspace(lo, hi, 200001)
        f = density(mu) * (phi((xo + eps - mu) * math.sqrt(n)) - phi((xo - eps - mu) * math.sqrt(n)))
        p = f / f.sum()
        mean = p @ mu
        out[m] = (f.sum() * (mu[1] - mu[0]), mean, math.sqrt(p @ (mu - mean) ** 2))
    return out


def main():
    x = np.loadtxt(DATA, comments="#")
    ref = exact_abc(x, EPS)
    total = sum(PRIOR[m] * ref[m][0] for m in PRIOR)
    p_box = PRIOR["box"] * ref["box"][0] / total
    print("exact ABC posterior at eps %g: P(box) = %.5f" % (EPS, p_box))
    t = t_quantile(1 - 1e-3 / 10, REPS - 1)
    print("t_{%d, 1 - 1e-3 / 10} = %.3f" % (REPS - 1, t))
    est = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, REPS + 1):
            theta, w, eps = run(CONFIG, tmp, "choice_%d" % seed, "run.seed=%d" % seed)
            if abs(eps - EPS) > 1e-12:
                raise SystemExit("FAIL: seed %d stopped at epsilon %g, not at %g" % (seed, eps, EPS))
            row = [w[theta[:, 0] == 0].sum()]
            for index, column in ((0, 1), (1, 2)):  # box.mu, wide.mu
                sel = theta[:, 0] == index
                row += list(weighted_mean_sd(theta[sel, column], w[sel] / w[sel].sum()))
            est.append(row)
    est = np.array(est)
    refs = [("P(box)", p_box), ("box: mu mean", ref["box"][1]), ("box: mu sd", ref["box"][2]),
            ("wide: mu mean", ref["wide"][1]), ("wide: mu sd", ref["wide"][2])]
    ok = True
    for j, (label, value) in enumerate(refs):
        tol = t * est[:, j].std(ddof=1) / math.sqrt(REPS)
        ok &= check("model choice x%d %s" % (REPS, label), est[:, j].mean(), value, tol)
    print("all checks passed" if ok else "FAIL: differs from the exact ABC posterior")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

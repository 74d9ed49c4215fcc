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
accepted. pmcabc: R = 20 runs (seeds 1..20, N = 1000, quantile 0.5, down to
minimum EPS). Tolerances (common.compare_with_rejection): the Monte-Carlo
errors of both sides, ESS-based (the reference's ESS is its accepted count)
or, for pmcabc, from the spread of the R runs when that is larger, times a
Student-t quantile Bonferroni-corrected over the 8 checks (family error 1e-3).
"""
import os
import sys

import numpy as np

from common import SRC, check_against_rejection

EPS = 0.22
N_DATA = 100
REPS = 20
M = 3_000_000
CHUNK = 50_000
NAMES = ("A", "B", "g", "k")
LOWER = np.array([2.4, 0.4, 0.0, 0.0])
UPPER = np.array([3.6, 2.0, 4.0, 1.0])


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


def main():
    with open(os.path.join(SRC, "jobs", "data", "gandk.csv")) as f:
        lines = [s for s in f if s.strip() and not s.lstrip().startswith("#")][:N_DATA]
    x = np.array([float(s) for s in lines])
    ref = rejection_reference(x)
    print("rejection reference: %d of %d prior draws accepted at eps %g" % (len(ref), M, EPS))
    prior = [(p, "uniform(%g, %g)" % (lo, hi)) for p, lo, hi in zip(NAMES, LOWER, UPPER)]
    return check_against_rejection("gandk PMC eps=%g" % EPS, NAMES, ref, "".join(lines),
                                   [("name", "gandk")], prior, REPS, EPS)


if __name__ == "__main__":
    sys.exit(main())

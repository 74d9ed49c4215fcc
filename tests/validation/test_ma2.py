#!/usr/bin/python3
"""Validation: MA(2) (jobs/data/ma2.csv, 100 values) against a rejection-ABC
reference computed here with numpy at the same epsilon.

Priors t1 ~ U(-2, 2), t2 ~ U(-1, 1) with `constraint = none` (the box: the
same target for both methods whatever the engine does with the triangle).
Statistics: lag-1 and lag-2 autocovariances / n, Euclidean distance.

Reference: M = 2e6 prior draws, accepted when the distance is <= EPS = 0.15
(about 0.9 %). Its Monte-Carlo standard error is sd / sqrt(n_acc) for a
mean and about sd / sqrt(2 n_acc) for an sd (independent draws).
pmcabc: R = 6 PMC-ABC runs (N = 500) down to epsilon minimum EPS; their
error is estimated from the replicates, t_{5, 0.9995} s_R / sqrt(R).
Tolerance: the sum of the two (conservative), printed per check.
"""
import math
import os
import sys
import tempfile

import numpy as np

from common import SRC, T_09995, check, run, weighted_mean_sd

DATA = os.path.join(SRC, "jobs", "data", "ma2.csv")
EPS = 0.15
REPS = 6
M = 2_000_000
Z = 4.0
CONFIG = """
[run]
seed = 1
particles = 500
generations = 40

[epsilon]
initial = inf
quantile = 0.5
minimum = %g

[model]
name = ma2
data = %s
constraint = none

[prior]
t1 = uniform(-2, 2)
t2 = uniform(-1, 1)
""" % (EPS, DATA)


def autocov(y, n):
    return (y[:, 1:] * y[:, :-1]).sum(1) / n, (y[:, 2:] * y[:, :-2]).sum(1) / n


def rejection_reference(y):
    n = len(y)
    obs = autocov(y[None, :], n)
    rng = np.random.default_rng(12345)
    acc = []
    for _ in range(M // 200_000):
        t1 = rng.uniform(-2, 2, 200_000)
        t2 = rng.uniform(-1, 1, 200_000)
        e = rng.standard_normal((200_000, n + 2))
        s1, s2 = autocov(e[:, 2:] + t1[:, None] * e[:, 1:-1] + t2[:, None] * e[:, :-2], n)
        keep = np.hypot(s1 - obs[0], s2 - obs[1]) <= EPS
        acc.append(np.column_stack([t1[keep], t2[keep]]))
    return np.concatenate(acc)


def main():
    y = np.loadtxt(DATA, comments="#")
    ref = rejection_reference(y)
    n_acc = len(ref)
    print("rejection reference: %d of %d accepted at eps %g" % (n_acc, M, EPS))
    est = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, REPS + 1):
            theta, w, eps = run(CONFIG, tmp, "ma2_%d" % seed, "run.seed=%d" % seed)
            if abs(eps - EPS) > 1e-12:
                print("FAIL: seed %d stopped at epsilon %g, not at the minimum %g" % (seed, eps, EPS))
                return 1
            m, sd = weighted_mean_sd(theta, w)
            est.append(np.concatenate([m, sd]))
    est = np.array(est)
    ok = True
    for k, name in enumerate(("t1", "t2")):
        r_mean, r_sd = ref[:, k].mean(), ref[:, k].std()
        for j, what, r, r_se in ((k, "mean", r_mean, r_sd / math.sqrt(n_acc)),
                                 (2 + k, "sd", r_sd, r_sd / math.sqrt(2 * n_acc))):
            tol = T_09995[REPS - 1] * est[:, j].std(ddof=1) / math.sqrt(REPS) + Z * r_se
            ok &= check("ma2 PMC eps=%g x%d %s %s" % (EPS, REPS, name, what), est[:, j].mean(), r, tol)
    print("all checks passed" if ok else "FAIL: posterior differs from the rejection reference")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

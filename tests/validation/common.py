"""Shared helpers of the validation tests: run pmcabc, read the last
generation, compare with a reference under a printed tolerance."""
import math
import os
import subprocess

import h5py
import numpy as np

SRC = os.environ["PMC_SOURCE_DIR"]
PMCABC = os.environ["PMCABC"]
MPIEXEC = os.environ.get("PMC_MPIEXEC", "mpiexec.mpich")
NPFLAG = os.environ.get("PMC_NPFLAG", "-n")
# Two-sided 0.999 quantiles of Student's t with R - 1 degrees of freedom.
T_09995 = {5: 6.869, 7: 5.408}


def run(config_text, tmp, tag, *sets, ranks=2):
    """Runs pmcabc; returns (theta, weights, epsilon) of the last generation."""
    cfg = os.path.join(tmp, tag + ".ini")
    with open(cfg, "w") as f:
        f.write(config_text)
    ck = os.path.join(tmp, tag)
    cmd = [MPIEXEC, NPFLAG, str(ranks), PMCABC, "run", cfg, "--quiet",
           "--set", "run.checkpoint_dir=" + ck]
    for s in sets:
        cmd += ["--set", s]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        print(res.stdout[-3000:])
        raise SystemExit("FAIL: pmcabc exited with %d" % res.returncode)
    names = sorted(f for f in os.listdir(ck) if f.startswith("gen-") and f.endswith(".h5"))
    with h5py.File(os.path.join(ck, names[-1]), "r") as f:
        return f["theta"][...], f["weights"][...], float(f.attrs["epsilon"])


def weighted_mean_sd(theta, w):
    m = w @ theta
    return m, np.sqrt(w @ (theta - m) ** 2)


def check(label, est, ref, tol):
    ok = abs(est - ref) <= tol
    print("%-40s %10.5f vs reference %10.5f  |diff| %.5f <= tol %.5f  %s"
          % (label, est, ref, abs(est - ref), tol, "ok" if ok else "FAIL"))
    return ok


def t_quantile(p, df):
    """Quantile p (0.5 < p < 1) of Student's t with df degrees of freedom,
    without scipy: Simpson's rule on the density from 0 to x, bisection on x.
    Reproduces T_09995 to its 3 decimals."""
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def cdf(x):
        u = np.linspace(0.0, x, 20001)
        f = c * (1 + u * u / df) ** (-(df + 1) / 2)
        h = x / 20000
        return 0.5 + h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        hi *= 2
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return 0.5 * (lo + hi)

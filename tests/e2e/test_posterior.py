#!/usr/bin/python3
"""Statistical test: pmcabc's posterior for the Gaussian model against the
exact ABC posterior, computed by quadrature.

Data: 50 draws from Normal(170, 10) (tests/data/normal50.csv); priors
mu ~ U(150, 200), sigma ~ U(5, 25); statistics (sample mean, sample sd),
Euclidean distance. Because the statistics are sufficient and their sampling
distributions are known (xbar ~ N(mu, sigma^2/n); (n-1) s^2 / sigma^2 ~
chi^2_{n-1}, independent), the ABC posterior at tolerance eps is exactly
    p_eps(mu, sigma)  proportional to  P(|(xbar, s)_sim - (xbar, s)_obs| <= eps | mu, sigma)
on the prior box. We integrate that probability over the disc by Gauss-Legendre
(radius) x trapezoid (angle) quadrature on a (mu, sigma) grid, so the
reference has no epsilon bias to allow for.

Two checks, each with a tolerance derived from Monte-Carlo error:
  A. Rejection ABC (one generation, epsilon 0.5, N = 2000): particles are
     independent draws, so the standard error of a mean is sd / sqrt(N) and
     of an sd about sd / sqrt(2 N) (normal theory); we allow Z = 4 standard
     errors (two-sided probability 6e-5 per check).
  B. PMC-ABC down to epsilon 0.2, R = 8 runs with different seeds, N = 1000.
     Kish's ESS understates PMC's run-to-run variance (the population carries
     information through the generations; measured spread is ~1.5x the
     ESS-based figure), so the Monte-Carlo error is estimated from the
     replicates: the mean of the R estimates must lie within
     t_{R-1, 0.9995} * s_R / sqrt(R) of the exact value (s_R the replicates'
     standard deviation; t_{7, 0.9995} = 5.408, two-sided 1e-3).
"""
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

Z = 4.0
T_7_09995 = 5.408
SRC = os.environ["PMC_SOURCE_DIR"]
PMCABC = os.environ["PMCABC"]
MPIEXEC = os.environ.get("PMC_MPIEXEC", "mpiexec.mpich")
NPFLAG = os.environ.get("PMC_NPFLAG", "-n")
DATA = os.path.join(SRC, "tests", "data", "normal50.csv")

CONFIG = """
[run]
seed = 1
particles = 1000
generations = 40
checkpoint_dir = ck

[epsilon]
initial = inf
quantile = 0.5
minimum = 0.2

[model]
name = gaussian
data = {data}

[prior]
mu = uniform(150, 200)
sigma = uniform(5, 25)
"""


def exact_abc_posterior(x, eps):
    """Mean and sd of mu and sigma under the exact ABC posterior at eps.
    The grid covers mu in [158, 182], sigma in [5, 17]: more than 8 posterior
    sds each way of the bulk, so the mass left out is negligible."""
    n, k = len(x), len(x) - 1
    xbar, s = x.mean(), x.std(ddof=1)
    mu = np.linspace(158, 182, 241)[:, None, None]
    sig = np.linspace(5, 17, 241)[None, :, None]
    gx, gw = np.polynomial.legendre.leggauss(12)
    r = (gx + 1) / 2 * eps
    rw = gw / 2 * eps * r  # polar area element r dr
    nphi = 24
    phi = np.arange(nphi) * 2 * np.pi / nphi
    R, P = np.meshgrid(r, phi, indexing="ij")
    W = (rw[:, None] * np.full(nphi, 2 * np.pi / nphi)[None, :]).ravel()
    xb = (xbar + R * np.cos(P)).ravel()[None, None, :]
    ss = (s + R * np.sin(P)).ravel()[None, None, :]
    log_xbar = -0.5 * np.log(2 * np.pi * sig ** 2 / n) - (xb - mu) ** 2 / (2 * sig ** 2 / n)
    u = k * ss ** 2 / sig ** 2  # chi^2_k variable; s has density f_chi2(u) du/ds
    log_chi2 = (k / 2 - 1) * np.log(u) - u / 2 - (k / 2) * math.log(2) - math.lgamma(k / 2)
    log_s = log_chi2 + np.log(2 * k * ss / sig ** 2)
    p = (np.exp(log_xbar + log_s) * W).sum(axis=-1)
    p /= p.sum()
    M = np.broadcast_to(mu[:, :, 0], p.shape)
    S = np.broadcast_to(sig[:, :, 0], p.shape)
    out = {}
    for name, V in (("mu", M), ("sigma", S)):
        m = (p * V).sum()
        out[name] = (m, math.sqrt((p * (V - m) ** 2).sum()))
    return out


def run(tmp, tag, *sets):
    cfg = os.path.join(tmp, "posterior.ini")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(data=DATA))
    ck = os.path.join(tmp, tag)
    cmd = [MPIEXEC, NPFLAG, "2", PMCABC, "run", cfg, "--quiet", "--set", "run.checkpoint_dir=" + ck]
    for s in sets:
        cmd += ["--set", s]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        print(res.stdout[-3000:])
        raise SystemExit("FAIL: pmcabc exited with %d" % res.returncode)
    names = sorted(f for f in os.listdir(ck) if f.startswith("gen-") and f.endswith(".h5"))
    with h5py.File(os.path.join(ck, names[-1]), "r") as f:
        theta, w = f["theta"][...], f["weights"][...]
        eps = float(f.attrs["epsilon"])
    m = w @ theta
    sd = np.sqrt(w @ (theta - m) ** 2)
    return {"mu": (m[0], sd[0]), "sigma": (m[1], sd[1])}, eps


def check(label, est, ref, tol):
    ok = abs(est - ref) <= tol
    print("%-34s %10.5f vs exact %10.5f  |diff| %.5f <= tol %.5f  %s"
          % (label, est, ref, abs(est - ref), tol, "ok" if ok else "FAIL"))
    return ok


def rejection_check(tmp, x):
    n = 2000
    est, eps = run(tmp, "rej", "run.particles=%d" % n, "run.generations=1", "epsilon.initial=0.5")
    ref = exact_abc_posterior(x, eps)
    ok = True
    for name in ("mu", "sigma"):
        m_ref, sd_ref = ref[name]
        ok &= check("A rejection eps=0.5 %s mean" % name, est[name][0], m_ref, Z * sd_ref / math.sqrt(n))
        ok &= check("A rejection eps=0.5 %s sd" % name, est[name][1], sd_ref, Z * sd_ref / math.sqrt(2 * n))
    return ok


def pmc_check(tmp, x, reps=8):
    runs = []
    for seed in range(1, reps + 1):
        est, eps = run(tmp, "pmc%d" % seed, "run.seed=%d" % seed)
        if abs(eps - 0.2) > 1e-12:
            print("FAIL: seed %d stopped at epsilon %g, not at the minimum 0.2" % (seed, eps))
            return False
        runs.append(est)
    ref = exact_abc_posterior(x, 0.2)
    ok = True
    for name in ("mu", "sigma"):
        for j, what in ((0, "mean"), (1, "sd")):
            vals = np.array([r[name][j] for r in runs])
            tol = T_7_09995 * vals.std(ddof=1) / math.sqrt(reps)
            ok &= check("B PMC eps=0.2 x%d %s %s" % (reps, name, what), vals.mean(), ref[name][j], tol)
    return ok


def main():
    x = np.loadtxt(DATA, comments="#")
    with tempfile.TemporaryDirectory() as tmp:
        ok = rejection_check(tmp, x)
        ok &= pmc_check(tmp, x)
    print("all checks passed" if ok else "FAIL: posterior differs from the exact ABC posterior")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

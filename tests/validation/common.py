"""Shared helpers of the validation tests: run pmcabc, read the last
generation, compare with a reference under a printed tolerance."""
import math
import os
import subprocess
import tempfile

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


def moments(theta, w):
    """Weighted mean, sd and fourth central moment of each column of theta."""
    m = w @ theta
    c = theta - m
    return m, np.sqrt(w @ c ** 2), w @ c ** 4


def compare_with_rejection(label, names, ref, runs, family_alpha=1e-3):
    """Checks the posterior mean and sd of each parameter, averaged over the
    pmcabc runs [(theta, weights), ...], against the independent samples ref
    of a rejection-ABC reference of the same target. Prints every check;
    returns True when all pass.

    Reference: its draws are independent, so its ESS is their number n:
    se(mean) = s / sqrt(n) and, by the delta method,
    se(sd) = sqrt((m4 - s^4) / (4 s^2 n)) (m4 the fourth central moment).
    pmcabc: the estimate is the average of the R runs' weighted values; its
    standard error is the larger of
      - ESS-based: sqrt(sum_r v_r / ESS_r) / R, v_r = s_r^2 for a mean and
        (m4_r - s_r^4) / (4 s_r^2) for an sd, ESS_r = 1 / sum w^2 (Kish);
      - replicate-based: s_R / sqrt(R), the spread of the R estimates, which
        also catches what Kish's ESS misses (the particles of a generation
        share ancestors; docs/algorithm.md reports a spread ~1.5x the ESS
        prediction for the Gaussian model).
    Tolerance: t_{R-1}(1 - alpha / 2) sqrt(se_pmc^2 + se_ref^2), alpha =
    family_alpha / (number of checks) (Bonferroni: the whole comparison fails
    by chance with probability below family_alpha, whatever the random
    streams). Student's t with R - 1 degrees of freedom because se_pmc may
    come from R replicates; the reference term has more, so this is
    conservative."""
    n_ref = len(ref)
    r_mean, r_sd, r_m4 = moments(ref, np.full(n_ref, 1.0 / n_ref))
    mean, sd, m4 = (np.array(x) for x in zip(*(moments(theta, w) for theta, w in runs)))
    ess = np.array([[1.0 / (w @ w)] for _, w in runs])
    reps = len(runs)
    print("%s: reference %d independent draws; pmcabc %d runs, ESS %.0f .. %.0f"
          % (label, n_ref, reps, ess.min(), ess.max()))
    alpha = family_alpha / (2 * len(names))
    q = t_quantile(1 - alpha / 2, reps - 1)
    print("tolerance = t_%d(1 - %.3g) = %.3f x sqrt(se_pmc^2 + se_ref^2)" % (reps - 1, alpha / 2, q))
    ok = True
    for what, est, var, ref_value, ref_se in (
            ("mean", mean, sd ** 2 / ess, r_mean, r_sd / math.sqrt(n_ref)),
            ("sd", sd, (m4 - sd ** 4) / (4 * sd ** 2) / ess, r_sd,
             np.sqrt((r_m4 - r_sd ** 4) / (4 * r_sd ** 2 * n_ref)))):
        se_ess = np.sqrt(var.sum(0)) / reps
        se_rep = est.std(0, ddof=1) / math.sqrt(reps)
        for j, name in enumerate(names):
            se_pmc = max(se_ess[j], se_rep[j])
            print("  %s %-4s se_pmc: ESS-based %.5f, replicates %.5f; se_ref %.5f"
                  % (name, what, se_ess[j], se_rep[j], ref_se[j]))
            ok &= check("%s x%d %s %s" % (label, reps, name, what), est[:, j].mean(), ref_value[j],
                        q * math.hypot(se_pmc, ref_se[j]))
    return ok


def replicate_config(eps_min, model, prior):
    """Config text of the replicate runs: N = 1000, quantile 0.5, from
    epsilon inf down to eps_min; model and prior are [(key, value)]."""
    lines = ["[run]", "seed = 1", "particles = 1000", "generations = 60", "",
             "[epsilon]", "initial = inf", "quantile = 0.5", "minimum = %r" % eps_min, "", "[model]"]
    lines += ["%s = %s" % kv for kv in model] + ["", "[prior]"] + ["%s = %s" % kv for kv in prior]
    return "\n".join(lines) + "\n"


def run_replicates(config_text, tmp, tag, reps, eps_min, *sets):
    """Runs pmcabc with seeds 1..reps (and the --set arguments sets); returns
    [(theta, weights)] of their last generations, each of which must have
    stopped at epsilon eps_min."""
    runs = []
    for seed in range(1, reps + 1):
        theta, w, eps = run(config_text, tmp, "%s_%d" % (tag, seed), "run.seed=%d" % seed, *sets)
        if abs(eps - eps_min) > 1e-12:
            raise SystemExit("FAIL: seed %d stopped at epsilon %g, not at the minimum %g"
                             % (seed, eps, eps_min))
        runs.append((theta, w))
    return runs


def check_replicates(label, runs, ref, t):
    """The mean over the runs [(theta, weights)] of the weighted posterior
    mean (and sd) of parameter 0 against the exact ref = (mean, sd): each
    within t s_R / sqrt(R), s_R the spread of the R replicate estimates.
    Prints both checks; returns True when both pass."""
    est = np.array([weighted_mean_sd(theta[:, 0], w) for theta, w in runs])
    reps = len(runs)
    ok = True
    for j, what in ((0, "mean"), (1, "sd")):
        tol = t * est[:, j].std(ddof=1) / math.sqrt(reps)
        ok &= check("%s x%d mu %s" % (label, reps, what), est[:, j].mean(), ref[j], tol)
    return ok


def check_against_rejection(label, names, ref, data_text, model, prior, reps, eps_min):
    """Writes data_text as the observed data, runs pmcabc reps times down to
    eps_min (model: [(key, value)] of [model] without data, prior: of
    [prior]) and compares with the reference draws ref
    (compare_with_rejection). Returns the exit status of the test."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.csv")
        with open(data, "w") as f:
            f.write(data_text)
        config = replicate_config(eps_min, model[:1] + [("data", data)] + model[1:], prior)
        runs = run_replicates(config, tmp, label.split()[0], reps, eps_min)
    ok = compare_with_rejection(label, names, ref, runs)
    print("all checks passed" if ok else "FAIL: posterior differs from the rejection reference")
    return 0 if ok else 1

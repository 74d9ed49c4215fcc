#!/usr/bin/python3
"""Prior bounds in the run log, `pmcabc inspect` and tools/pmcabc-plot.

The flagship example (jobs/gaussian.ini: heights with sd 30.8, sigma ~
uniform(5, 25)) piles sigma against its upper bound 25. Checks:
  - the run log, `inspect` (text and --json) and tools/pmcabc_read.py (used
    by pmcabc-summary and pmcabc-plot) report exactly that bound, with the same
    numbers and text: the Python copy of lib/pmc_bounds.c's criterion is in step
    (also for a truncnormal prior, whose window needs the normal quantile);
  - with the prior widened (--set 'prior.sigma=uniform(5, 50)') none of them
    warns;
  - pmcabc-plot's marginal panels: every density curve stays inside the
    prior's support, the bounds are drawn (crimson where the posterior piles),
    the shaded 90 % interval is the weighted 5 % .. 95 % quantiles of the
    newest curve, and the warning is written in the sigma panel only;
  - the reflected kernel density keeps its mass inside the support and its
    full height at a bound (a uniform sample on [0, 1]).
All runs are on 1 rank with fixed seeds: the verdicts depend on values only.
"""
import importlib.machinery
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

SRC = os.environ["PMC_SOURCE_DIR"]
PMCABC = os.environ["PMCABC"]
sys.path.insert(0, os.path.join(SRC, "tools"))
import pmcabc_read as pr  # noqa: E402

REL = 1e-12
problems = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        problems.append(what)


def load_plot_tool():
    path = os.path.join(SRC, "tools", "pmcabc-plot")
    loader = importlib.machinery.SourceFileLoader("pmcabc_plot", path)
    spec = importlib.util.spec_from_loader("pmcabc_plot", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def pmcabc(*args):
    p = subprocess.run([PMCABC, *args], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def run_flagship(tmp, name, *sets):
    """Runs jobs/gaussian.ini (its values; checkpoint_dir in tmp); returns (dir, log)."""
    ck = os.path.join(tmp, name)
    rc, log = pmcabc("run", os.path.join(SRC, "jobs", "gaussian.ini"),
                     "--set", f"run.checkpoint_dir={ck}", *sum((["--set", s] for s in sets), []))
    check(rc == 0, f"{name}: run exits 0 (got {rc})")
    if rc != 0:
        print(log)
    return ck, log


def same_hits(name, c_hits, py_hits):
    """inspect --json's bound_warnings == pmcabc_read.bound_warnings: numbers to 1e-12, text equal."""
    ok = len(c_hits) == len(py_hits)
    for c, p in zip(c_hits, py_hits):
        ok = ok and sorted(c) == sorted(p) and all(
            abs(float(c[k]) - float(p[k])) <= REL * abs(float(c[k]))
            if isinstance(c[k], (int, float)) else c[k] == p[k] for k in c)
    check(ok, f"{name}: inspect --json bound_warnings == pmcabc_read's\n  C:  {c_hits}\n  py: {py_hits}")


def check_reports(name, ck, log, expect):
    """expect: [(parameter, "lower" | "upper", bound)] in the log, inspect and pmcabc_read."""
    logged = [ln.split("warning: ", 1)[1] for ln in log.splitlines() if "warning: " in ln]
    rc, text = pmcabc("inspect", ck)
    shown = [ln[len("warning: "):] for ln in text.splitlines() if ln.startswith("warning: ")]
    rc2, js = pmcabc("inspect", ck, "--json")
    c_hits = json.loads(js)["posterior"]["bound_warnings"] if rc2 == 0 else []
    py_hits = pr.bound_warnings(pr.load_run(ck).last)
    check(rc == 0 and rc2 == 0, f"{name}: inspect exits 0 (text {rc}, --json {rc2})")
    got = [(h["parameter"], h["bound"], h["value"]) for h in c_hits]
    check(got == expect, f"{name}: inspect --json warns at {got}, expected {expect}")
    same_hits(name, c_hits, py_hits)
    texts = [h["text"] for h in c_hits]
    check(logged == texts, f"{name}: run log warnings == inspect's\n  log: {logged}\n  inspect: {texts}")
    check(shown == texts, f"{name}: inspect text warnings == --json's\n  text: {shown}")
    return c_hits


def check_marginals(tool, ck, tmp):
    run = pr.load_run(ck)
    gens = [g.generation for g in run.generations]
    priors = tool.run_priors(run)
    names = run.last.parameter_names
    for k, name in enumerate(names):
        data = tool.marginal_data(run, gens, k, priors[name])
        a, b = data["support"]
        grid = data["grid"]
        check(a <= grid[0] and grid[-1] <= b,
              f"marginal_data {name}: grid [{grid[0]:g}, {grid[-1]:g}] inside the prior [{a:g}, {b:g}]")
        check(all(np.all(np.isfinite(d)) and np.all(d >= 0) for _, d in data["curves"]),
              f"marginal_data {name}: densities finite and >= 0")
        last = run.last
        q05, q95 = pr.weighted_quantile(last.theta[:, k], last.weights, [0.05, 0.95])
        check(data["interval"] == (last.generation, q05, q95),
              f"marginal_data {name}: interval {data['interval']} == gen {last.generation}'s "
              f"weighted 5 %, 95 % quantiles ({q05:g}, {q95:g})")
    # sigma's lower bound 5 lies in the drawn range because generation 0
    # samples the whole prior; both bounds of both parameters are drawn.
    data = tool.marginal_data(run, gens, 1, priors["sigma"])
    check(data["bounds"] == [5.0, 25.0], f"marginal_data sigma: bounds {data['bounds']} == [5, 25]")
    check([(h["bound"], h["value"]) for h in data["warnings"]] == [("upper", 25.0)],
          f"marginal_data sigma: warnings {data['warnings']}")
    # The density at the bound 25 is the newest curve's highest point, not
    # the half a cut kernel estimate would give.
    dens = data["curves"][-1][1]
    check(dens[-1] >= 0.9 * dens.max(), f"sigma: density at 25 {dens[-1]:.3f} >= 0.9 x max {dens.max():.3f}")

    fig = tool.plot_marginals(run, gens, {}, "t", os.path.join(tmp, "m.png"))
    for k, name in enumerate(names):
        ax = fig.axes[k]
        a, b = pr.prior_support(*priors[name])
        kde = [ln for ln in ax.lines if ln.get_gid() == "kde"]
        check(len(kde) == len(gens), f"{name} panel: {len(kde)} density curves, expected {len(gens)}")
        xs = np.concatenate([ln.get_xdata() for ln in kde])
        check(xs.min() >= a and xs.max() <= b,
              f"{name} panel: curves span [{xs.min():g}, {xs.max():g}] inside [{a:g}, {b:g}]")
        bounds = [ln for ln in ax.lines if ln.get_gid() == "prior-bound"]
        check(sorted(ln.get_xdata()[0] for ln in bounds) == [a, b],
              f"{name} panel: prior bound lines at {[ln.get_xdata()[0] for ln in bounds]}")
        red = [ln.get_xdata()[0] for ln in bounds if ln.get_color() == "crimson"]
        check(red == ([25.0] if name == "sigma" else []), f"{name} panel: crimson bounds {red}")
        span = [p for p in ax.patches if p.get_gid() == "interval-90"]
        q05, q95 = pr.weighted_quantile(run.last.column(name), run.last.weights, [0.05, 0.95])
        xy = span[0].get_xy() if len(span) == 1 else np.zeros((1, 2))
        check(len(span) == 1 and math.isclose(min(xy[:, 0]), q05) and math.isclose(max(xy[:, 0]), q95),
              f"{name} panel: one 90 % band from {q05:g} to {q95:g}")
        warn = [t for t in ax.texts if t.get_gid() == "bound-warning"]
        want = 1 if name == "sigma" else 0
        check(len(warn) == want, f"{name} panel: {len(warn)} warning texts, expected {want}")
        if warn:
            check("upper prior bound 25" in warn[0].get_text(),
                  f"sigma panel warning names the bound: {warn[0].get_text()!r}")
        lo, hi = ax.get_xlim()
        check(lo < a and hi > b, f"{name} panel: x axis [{lo:g}, {hi:g}] shows both bounds")
    tool.plt.close(fig)
    fig = tool.plot_pairs(run, {}, "t", os.path.join(tmp, "p.png"))
    diag = [fig.axes[i * 2 + i] for i in range(2)]
    check(all(any(p.get_gid() == "interval-90" for p in ax.patches) for ax in diag),
          "pair plot: a 90 % band on each histogram")
    check(any(ln.get_gid() == "prior-bound" and ln.get_xdata()[0] == 25.0 for ln in diag[1].lines),
          "pair plot: sigma's histogram marks the bound 25")
    tool.plt.close(fig)


def check_reflection(tool):
    """A uniform sample on [0, 1]: the reflected estimate integrates to 1
    (trapezoid on 2001 points, error ~1e-6) and stays near 1 at both ends;
    a plain Gaussian kernel estimate would hold 1 - 2 h phi(0) ~ 0.94 and
    be ~0.5 at the ends (h = 0.0725 here)."""
    x = (np.arange(1000) + 0.5) / 1000
    w = np.full(1000, 1e-3)
    grid = np.linspace(0, 1, 2001)
    dens = tool.weighted_kde(x, w, grid, (0.0, 1.0))
    mass = float(np.sum((dens[1:] + dens[:-1]) / 2) * (grid[1] - grid[0]))
    check(abs(mass - 1) < 0.005, f"reflected KDE of U(0, 1) integrates to {mass:.5f} (1 +- 0.005)")
    check(dens[0] > 0.9 and dens[-1] > 0.9, f"reflected KDE at 0, 1: {dens[0]:.3f}, {dens[-1]:.3f} (> 0.9)")
    plain = tool.weighted_kde(x, w, grid)
    check(plain[0] < 0.6, f"unreflected KDE at 0: {plain[0]:.3f} (< 0.6, the cut kernels)")


def main():
    tool = load_plot_tool()
    with tempfile.TemporaryDirectory() as tmp:
        ck, log = run_flagship(tmp, "flagship")
        check_reports("flagship", ck, log, [("sigma", "upper", 25.0)])
        hit = pr.bound_warnings(pr.load_run(ck).last)[0]
        check(0.4 < hit["mass"] < 0.6 and hit["threshold"] == 0.1,
              f"flagship: sigma's weight in [24.5, 25] {hit['mass']:.3f} (0.48 when written), "
              f"threshold {hit['threshold']}")
        check_marginals(tool, ck, tmp)

        ck, log = run_flagship(tmp, "wide", "prior.sigma=uniform(5, 50)")
        check_reports("widened prior", ck, log, [])

        # truncnormal: the window's inner end is the prior's 97.5 % quantile
        # (GSL in C, statistics.NormalDist in Python).
        ck, log = run_flagship(tmp, "truncnormal", "prior.sigma=truncnormal(15, 8, 5, 25)")
        hits = check_reports("truncnormal prior", ck, log, [("sigma", "upper", 25.0)])
        if hits:
            kind, args = pr.parse_prior("truncnormal(15, 8, 5, 25)")
            nd = __import__("statistics").NormalDist(15, 8)
            share = (nd.cdf(25) - nd.cdf(hits[0]["window_edge"])) / (nd.cdf(25) - nd.cdf(5))
            check(abs(share - 0.025) < 1e-12, f"truncnormal window holds {share!r} of the prior (0.025)")
    check_reflection(tool)
    print(f"{len(problems)} check(s) failed" if problems else "all checks passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

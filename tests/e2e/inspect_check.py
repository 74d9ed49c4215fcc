#!/usr/bin/python3
"""Checks for tests/e2e/test_inspect.sh. Each prints what differs and exits 1.

  inspect_check.py h5 REPORT.json RUN_DIR   inspect --json against the files (h5py)
  inspect_check.py same A.json B.json       two reports equal, numbers to 1e-12 relative
  inspect_check.py partial REPORT.json FILE state of the report against partial FILE
  inspect_check.py pngs N FILE...           N readable PNGs of reasonable size
"""
import json
import math
import os
import sys

import h5py
import numpy as np

REL = 1e-12
problems = []


def num(v):
    """A report number: "inf" / "-inf" strings and null are JSON stand-ins."""
    return float("nan") if v is None else float(v)


def close(what, got, want, rel=REL):
    got, want = num(got), float(want)
    if math.isinf(want) or math.isnan(want):
        ok = got == want or (math.isnan(got) and math.isnan(want))
    else:
        ok = abs(got - want) <= rel * max(abs(want), 1e-300)
    if not ok:
        problems.append(f"{what}: report {got!r}, expected {want!r}")


def equal(what, got, want):
    if got != want:
        problems.append(f"{what}: report {got!r}, expected {want!r}")


def check_h5(report_path, run_dir):
    with open(report_path) as f:
        r = json.load(f)
    names = sorted(n for n in os.listdir(run_dir) if n.startswith("gen-") and n.endswith(".h5"))
    equal("number of generations", len(r["generations"]), len(names))
    for row, name in zip(r["generations"], names):
        with h5py.File(os.path.join(run_dir, name), "r") as f:
            a = f.attrs
            g = int(a["generation"])
            equal(f"{name}: generation", row["generation"], g)
            close(f"gen {g}: epsilon", row["epsilon"], a["epsilon"], 0)
            equal(f"gen {g}: n_simulations", row["n_simulations"], int(a["n_simulations"]))
            equal(f"gen {g}: gen_simulations", row["gen_simulations"], int(a["gen_simulations"]))
            close(f"gen {g}: ess", row["ess"], a["ess"], 0)
            close(f"gen {g}: acceptance_rate", row["acceptance_rate"], a["acceptance_rate"], 0)
            close(f"gen {g}: wall_time", row["wall_time"], a["wall_time"], 0)
    with h5py.File(os.path.join(run_dir, names[-1]), "r") as f:
        a = f.attrs
        theta, w = f["theta"][()], f["weights"][()]
        equal("model", r["model"], [ln.split("=", 1)[1].strip() for ln in a["config"].splitlines()
                                    if ln.startswith("name = ")][0])
        equal("parameters", r["parameters"], list(a["parameter_names"]))
        equal("seed", r["seed"], int(a["seed"]))
        equal("particles", r["particles"], theta.shape[0])
        post = r["posterior"]
        equal("posterior generation", post["generation"], int(a["generation"]))
        eps = f["epsilons"][()]
        equal("posterior epsilons length", len(post["epsilons"]), len(eps))
        for i, e in enumerate(eps):
            close(f"epsilons[{i}]", post["epsilons"][i], e, 0)
        means = w @ theta  # numpy's summation order: agree to rounding only
        for k, p in enumerate(post["parameters"]):
            close(f"posterior mean of {p['name']}", p["mean"], means[k])
            sd = math.sqrt(float(w @ (theta[:, k] - means[k]) ** 2))
            close(f"posterior sd of {p['name']}", p["sd"], sd, 1e-10)
            for key in ("q05", "q50", "q95"):
                if p[key] not in theta[:, k]:
                    problems.append(f"{p['name']} {key} = {p[key]!r} is not a sampled value")
            if not p["q05"] <= p["q50"] <= p["q95"]:
                problems.append(f"{p['name']}: quantiles not ordered: {p}")


def same(a, b, where="report"):
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            problems.append(f"{where}: keys {sorted(a)} != {sorted(b)}")
        for k in a:
            if k in b:
                same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            problems.append(f"{where}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        if not abs(a - b) <= REL * max(abs(a), abs(b)):
            problems.append(f"{where}: {a!r} != {b!r}")
    elif a != b:
        problems.append(f"{where}: {a!r} != {b!r}")


def check_partial(report_path, partial_path):
    with open(report_path) as f:
        st = json.load(f)["state"]
    with h5py.File(partial_path, "r") as f:
        a = f.attrs
        equal("status", st["status"], "partial")
        equal("next_generation", st["next_generation"], int(a["generation"]))
        equal("slots_done", st["slots_done"], int(a["n_done"]))
        equal("slots_total", st["slots_total"], int(a["n_particles"]))
        equal("partial_simulations", st["partial_simulations"], int(f["n_sims"][()].sum()))
        equal("text", st["text"], f"partial generation {int(a['generation'])} with "
                                  f"{int(a['n_done'])} of {int(a['n_particles'])} slots")


def check_pngs(n, files):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    equal("number of PNG files", len(files), n)
    for path in files:
        if os.path.getsize(path) < 10000:
            problems.append(f"{path}: only {os.path.getsize(path)} bytes")
        img = mpimg.imread(path)
        h, w = img.shape[:2]
        if not (400 <= h <= 4000 and 400 <= w <= 4000):
            problems.append(f"{path}: {w} x {h} pixels, expected 400-4000 each way")
        if np.ptp(img[..., :3]) < 0.5:
            problems.append(f"{path}: nearly uniform image")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "h5":
        check_h5(*args)
    elif cmd == "same":
        with open(args[0]) as fa, open(args[1]) as fb:
            same(json.load(fa), json.load(fb))
    elif cmd == "partial":
        check_partial(*args)
    elif cmd == "pngs":
        check_pngs(int(args[0]), args[1:])
    else:
        sys.exit(f"unknown check {cmd}")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

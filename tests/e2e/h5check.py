#!/usr/bin/python3
"""Checks one pmcabc generation file against docs/checkpoint-format.md.

Usage: h5check.py GEN_FILE.h5
Prints one summary line and exits 0, or prints "GEN_FILE: what is wrong" to
stderr and exits 1. Needs only h5py and numpy (end-to-end tests run it with
/usr/bin/python3). Not named test_*, so CTest does not register it itself.
"""
import sys

import h5py
import numpy as np

FORMAT_VERSION = 1

# Root attributes: name -> numpy dtype kind ('u' unsigned int, 'f' float).
NUMERIC_ATTRS = {
    "format_version": "u",
    "generation": "u",
    "epsilon": "f",
    "n_simulations": "u",
    "gen_simulations": "u",
    "ess": "f",
    "acceptance_rate": "f",
    "seed": "u",
    "wall_time": "f",
    "n_particles": "u",
    "n_params": "u",
}
STRING_ATTRS = ("config", "creator")


class CheckError(Exception):
    pass


def require(cond, msg):
    if not cond:
        raise CheckError(msg)


def scalar_attr(f, name, kind):
    require(name in f.attrs, f"attribute {name}: missing")
    v = np.asarray(f.attrs[name])
    require(v.shape == (), f"attribute {name}: expected a scalar, found shape {v.shape}")
    require(v.dtype.kind == kind, f"attribute {name}: expected dtype kind '{kind}', found {v.dtype}")
    return v[()]


def string_attr(f, name):
    require(name in f.attrs, f"attribute {name}: missing")
    v = f.attrs[name]
    require(isinstance(v, str), f"attribute {name}: expected a str, found {type(v).__name__}")
    return v


def float_dataset(f, name, shape):
    require(name in f, f"dataset {name}: missing")
    ds = f[name]
    require(isinstance(ds, h5py.Dataset), f"{name}: expected a dataset")
    require(ds.dtype == np.float64, f"dataset {name}: expected float64, found {ds.dtype}")
    require(ds.shape == shape, f"dataset {name}: expected shape {shape}, found {ds.shape}")
    return ds[()]


def check(path):
    with h5py.File(path, "r") as f:
        a = {name: scalar_attr(f, name, kind) for name, kind in NUMERIC_ATTRS.items()}
        require(a["format_version"] == FORMAT_VERSION,
                f"format_version {a['format_version']}: expected {FORMAT_VERSION}")
        for name in STRING_ATTRS:
            string_attr(f, name)
        require(string_attr(f, "creator").startswith("pmcabc "), "attribute creator: expected 'pmcabc <version>'")
        n, d, gen = int(a["n_particles"]), int(a["n_params"]), int(a["generation"])
        require(n >= 1 and d >= 1, f"n_particles {n}, n_params {d}: expected both >= 1")
        names = f.attrs.get("parameter_names")
        require(names is not None, "attribute parameter_names: missing")
        require(getattr(names, "shape", None) == (d,),
                f"attribute parameter_names: expected {d} strings, found {names!r}")
        require(all(isinstance(s, str) for s in names),
                "attribute parameter_names: expected str elements")
        theta = float_dataset(f, "theta", (n, d))
        w = float_dataset(f, "weights", (n,))
        dist = float_dataset(f, "distances", (n,))
        eps = float_dataset(f, "epsilons", (gen + 1,))
        require(np.all(np.isfinite(theta)), "dataset theta: non-finite values")
        require(np.all(w >= 0), "dataset weights: negative weights")
        require(abs(w.sum() - 1.0) <= 1e-12, f"dataset weights: sum {w.sum():.17g}, expected 1 +- 1e-12")
        require(not np.any(np.isnan(dist)), "dataset distances: NaN values")
        require(eps[-1] == a["epsilon"], f"dataset epsilons: last {eps[-1]!r} != attribute epsilon {a['epsilon']!r}")
        require(a["gen_simulations"] <= a["n_simulations"], "gen_simulations exceeds n_simulations")
        require(0.0 <= a["acceptance_rate"] <= 1.0, f"acceptance_rate {a['acceptance_rate']}: expected 0..1")
        require(0.0 < a["ess"] <= n * (1 + 1e-9), f"ess {a['ess']}: expected 0 < ess <= {n}")
        means = ", ".join(f"{s}={m:.6g}" for s, m in zip(names, w @ theta))
        return (f"{path}: ok generation={gen} n={n} d={d} epsilon={a['epsilon']:.6g} "
                f"ess={a['ess']:.6g} n_simulations={a['n_simulations']} mean: {means}")


def main(argv):
    if len(argv) != 2:
        print("usage: h5check.py GEN_FILE.h5", file=sys.stderr)
        return 1
    try:
        print(check(argv[1]))
    except (CheckError, OSError, KeyError) as e:
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

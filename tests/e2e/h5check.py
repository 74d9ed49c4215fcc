#!/usr/bin/python3
"""Checks one pmcabc checkpoint file against docs/checkpoint-format.md.

Usage: h5check.py FILE.h5
FILE is a generation file (gen-NNNN.h5) or a partial file (partial-NNNN.h5,
recognised by its attribute kind = "partial"). The whole-file digest in the
512-byte user block and the checksum attribute are recomputed independently
of the C code, from the documented byte sequences.
Prints one summary line and exits 0, or prints "FILE: what is wrong" to
stderr and exits 1. Needs only h5py and numpy (end-to-end tests run it with
/usr/bin/python3). Not named test_*, so CTest does not register it itself.
"""
import struct
import sys

import h5py
import numpy as np

FORMAT_VERSION = 3

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
    "data_checksum": "u",
    "stream_version": "u",
    "model_digest": "u",
    "checksum": "u",
}
PARTIAL_NUMERIC_ATTRS = {
    "format_version": "u",
    "generation": "u",
    "epsilon": "f",
    "seed": "u",
    "n_particles": "u",
    "n_params": "u",
    "n_done": "u",
    "stream_version": "u",
    "model_digest": "u",
    "checksum": "u",
}
STRING_ATTRS = ("config", "creator")

FNV1A_INIT = 0xCBF29CE484222325
FNV1A_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1


def fnv1a(h, data):
    """FNV-1a 64 over the bytes of data, continuing from h."""
    for b in data:
        h = ((h ^ b) * FNV1A_PRIME) & MASK64
    return h


DIGEST_BLOCK = 512
DIGEST_MAGIC = b"pmcabc-digest 1\n"


def digest_header(body):
    """The 512-byte user block pmcabc writes before the HDF5 data `body`."""
    text = DIGEST_MAGIC + b"fnv1a64 %016x\nbytes %020d\n" % (fnv1a(FNV1A_INIT, body), len(body))
    return text.ljust(DIGEST_BLOCK, b"\0")


def seal(path):
    """Writes the digest header of a file that has a 512-byte user block (as
    pmc_checkpoint_seal does): tests give deliberately wrong files a valid
    digest, so that the checks behind it are reached."""
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(0)
        f.write(digest_header(data[DIGEST_BLOCK:]))


def le_bytes(array, dtype):
    """The array's values as contiguous little-endian bytes, row-major."""
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


def stats_tail(h, f, names):
    """The statistics come last: /stats, then each of `names` the file has
    (/proposal_stats: adaptive distance only; /observed_stats: generation
    files since it was stored)."""
    if "stats" in f:
        h = fnv1a(h, le_bytes(f["stats"][...], "<f8"))
        for name in names:
            if name in f:
                h = fnv1a(h, le_bytes(f[name][...], "<f8"))
    return h


def check_stats(f, rows, kind):
    """Shapes of the statistics datasets; returns s (0 without /stats)."""
    if "stats" not in f:
        for name in ("proposal_stats", "observed_stats"):
            require(name not in f, f"dataset {name}: present without /stats")
        return 0
    require(f["stats"].ndim == 2 and f["stats"].shape[0] == rows,
            f"dataset stats: expected {rows} rows, found shape {f['stats'].shape}")
    s = f["stats"].shape[1]
    float_dataset(f, "stats", (rows, s))
    if "proposal_stats" in f:
        float_dataset(f, "proposal_stats", (rows, s))
    if kind == "generation":
        obs = float_dataset(f, "observed_stats", (s,))
        require(np.all(np.isfinite(obs)), "dataset observed_stats: non-finite values")
    else:
        require("observed_stats" not in f, "dataset observed_stats: not expected in a partial file")
    return s


def gen_checksum(theta, w, dist, eps, a, f):
    """Checksum of a generation file, as docs/checkpoint-format.md defines it."""
    h = FNV1A_INIT
    for array in (theta, w, dist, eps):
        h = fnv1a(h, le_bytes(array, "<f8"))
    tail = struct.pack("<IdQQQI", int(a["generation"]), float(a["epsilon"]), int(a["n_simulations"]),
                       int(a["seed"]), int(a["n_particles"]), int(a["n_params"]))
    return stats_tail(fnv1a(h, tail), f, ("proposal_stats", "observed_stats"))


def partial_checksum(slots, theta, dist, n_sims, a, f):
    """Checksum of a partial file, as docs/checkpoint-format.md defines it."""
    h = FNV1A_INIT
    for array, dtype in ((slots, "<u8"), (theta, "<f8"), (dist, "<f8"), (n_sims, "<u8")):
        h = fnv1a(h, le_bytes(array, dtype))
    tail = struct.pack("<IdQQIQ", int(a["generation"]), float(a["epsilon"]), int(a["seed"]),
                       int(a["n_particles"]), int(a["n_params"]), int(a["n_done"]))
    h = stats_tail(fnv1a(h, tail), f, ("proposal_stats",))
    if "rejected" in f:  # format 3
        h = fnv1a(h, le_bytes(f["rejected"][()], "<u8"))
    return h


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


def typed_dataset(f, name, shape, dtype):
    require(name in f, f"dataset {name}: missing")
    ds = f[name]
    require(isinstance(ds, h5py.Dataset), f"{name}: expected a dataset")
    require(ds.dtype == dtype, f"dataset {name}: expected {np.dtype(dtype)}, found {ds.dtype}")
    require(ds.shape == shape, f"dataset {name}: expected shape {shape}, found {ds.shape}")
    return ds[()]


def float_dataset(f, name, shape):
    return typed_dataset(f, name, shape, np.float64)


def check_digest(path):
    with open(path, "rb") as f:
        data = f.read()
    require(data.startswith(DIGEST_MAGIC), "no digest header in bytes 0-511")
    want = digest_header(data[DIGEST_BLOCK:])
    require(data[:DIGEST_BLOCK] == want, f"digest header {data[:80]!r}: recomputed {want[:80]!r}")


def check(path):
    check_digest(path)
    with h5py.File(path, "r") as f:
        if f.attrs.get("kind") == "partial":
            return check_partial(path, f)
        return check_generation(path, f)


def common_attrs(f, numeric):
    """Attributes both file kinds share; returns them with n and d."""
    a = {name: scalar_attr(f, name, kind) for name, kind in numeric.items()}
    require(a["format_version"] == FORMAT_VERSION,
            f"format_version {a['format_version']}: expected {FORMAT_VERSION}")
    for name in STRING_ATTRS:
        string_attr(f, name)
    require(string_attr(f, "creator").startswith("pmcabc "), "attribute creator: expected 'pmcabc <version>'")
    n, d = int(a["n_particles"]), int(a["n_params"])
    require(n >= 1 and d >= 1, f"n_particles {n}, n_params {d}: expected both >= 1")
    return a, n, d


def check_generation(path, f):
    a, n, d = common_attrs(f, NUMERIC_ATTRS)
    gen = int(a["generation"])
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
    s = check_stats(f, n, "generation")
    want = gen_checksum(theta, w, dist, eps, a, f)
    require(int(a["checksum"]) == want,
            f"attribute checksum {int(a['checksum']):#018x}: recomputed {want:#018x}")
    means = ", ".join(f"{s}={m:.6g}" for s, m in zip(names, w @ theta))
    return (f"{path}: ok generation={gen} n={n} d={d} epsilon={a['epsilon']:.6g} "
            f"ess={a['ess']:.6g} n_simulations={a['n_simulations']} stats={s} mean: {means}")


def check_partial(path, f):
    a, n, d = common_attrs(f, PARTIAL_NUMERIC_ATTRS)
    k = int(a["n_done"])
    require(k <= n, f"n_done {k}: expected at most n_particles {n}")
    slots = typed_dataset(f, "slots", (k,), np.uint64)
    theta = float_dataset(f, "theta", (k, d))
    dist = float_dataset(f, "distances", (k,))
    n_sims = typed_dataset(f, "n_sims", (k,), np.uint64)
    require(np.all(slots < n), f"dataset slots: values must be below n_particles {n}")
    require(np.all(np.diff(slots.astype(np.int64)) > 0), "dataset slots: expected strictly ascending")
    rejected = typed_dataset(f, "rejected", (n,), np.uint64)
    require(not np.any(rejected[slots.astype(np.int64)]), "dataset rejected: nonzero for a done slot")
    s = check_stats(f, k, "partial")
    want = partial_checksum(slots, theta, dist, n_sims, a, f)
    require(int(a["checksum"]) == want,
            f"attribute checksum {int(a['checksum']):#018x}: recomputed {want:#018x}")
    return (f"{path}: ok partial generation={int(a['generation'])} n={n} d={d} done={k} "
            f"epsilon={a['epsilon']:.6g} simulations={int(n_sims.sum())} stats={s}")


def main(argv):
    if len(argv) != 2:
        print("usage: h5check.py FILE.h5", file=sys.stderr)
        return 1
    try:
        print(check(argv[1]))
    except (CheckError, OSError, KeyError) as e:
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

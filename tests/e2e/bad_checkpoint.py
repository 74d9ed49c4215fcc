#!/usr/bin/python3
"""Writes a damaged or foreign checkpoint file for tests/e2e/test_bad_checkpoints.sh.

    bad_checkpoint.py KIND SRC DST

SRC is a valid generation file (gen-0000.h5 of the test's run); DST is
written from it according to KIND (see KINDS below). Files edited with h5py
get a valid digest again (h5check.seal), as if pmcabc had written them wrong,
so that the check under test is reached behind the digest; the digest_* kinds
damage the raw bytes instead, and the legacy_* kinds drop the 512-byte user
block, as files of a pmcabc from before digests have none. Partial files are
built from SRC's population with a correct checksum and digest, so that only
the property under test is wrong.
"""
import os
import shutil
import struct
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5check import DIGEST_BLOCK, gen_checksum, partial_checksum, seal  # noqa: E402


def copy_and(src, dst, edit):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
    seal(dst)


def edit_bytes(src, dst, edit):
    """DST = SRC's bytes changed by edit(bytearray), digest left as it was."""
    data = bytearray(open(src, "rb").read())
    edit(data)
    open(dst, "wb").write(bytes(data))


def strip_user_block(data):
    """A file without digest, as a pmcabc from before digests wrote it: HDF5
    addresses are relative to the superblock, so the rest opens as is."""
    del data[:DIGEST_BLOCK]


def flip_theta_byte(src, data):
    with h5py.File(src, "r") as f:
        at = f["theta"].id.get_offset()  # absolute: the user block included
    data[at + 3] ^= 0x10


def truncate(src, dst, size):
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        f.write(data[:size if size >= 0 else len(data) // 2])


def random_bytes(dst, n):
    with open(dst, "wb") as f:
        f.write(np.random.default_rng(1).integers(0, 256, n, dtype=np.uint8).tobytes())


def foreign(dst):
    with h5py.File(dst, "w") as f:
        f["data"] = np.arange(10.0)
        f.attrs["title"] = "not a pmcabc file"


def set_attr(f, name, value):
    del f.attrs[name]
    f.attrs[name] = value


def replace_dataset(f, name, value):
    del f[name]
    f[name] = value


def flip_theta(f):
    t = f["theta"]
    t[0, 0] = t[0, 0] + 1.0


def gcol_zero_free_space(data):
    """Zeroes the size of the global heap's free-space object (HDF5 1.10 then
    loops forever in H5Aread unless pmcabc rejects the file first)."""
    at = data.find(b"GCOL")
    size = struct.unpack_from("<Q", data, at + 8)[0]
    p = at + 16
    while p < at + size:
        idx, length = struct.unpack_from("<H", data, p)[0], struct.unpack_from("<Q", data, p + 8)[0]
        if idx == 0:
            struct.pack_into("<Q", data, p + 8, 0)
            break
        p += 16 + (length + 7) // 8 * 8


def partial(src, dst, slots=None, n_done=None, seed_delta=0, version=2):
    """A partial file of generation 1 holding the slots given, from SRC's rows."""
    with h5py.File(src, "r") as g:
        n, d = int(g.attrs["n_particles"]), int(g.attrs["n_params"])
        seed, config = int(g.attrs["seed"]) + seed_delta, g.attrs["config"]
        theta_all, dist_all = g["theta"][()], g["distances"][()]
    slots = np.array(slots if slots is not None else [0, 1, 2], dtype="<u8")
    rows = np.minimum(slots, n - 1).astype(int)
    k = len(slots)
    theta, dist, n_sims = theta_all[rows], dist_all[rows], np.ones(k, dtype="<u8")
    with h5py.File(dst, "w", userblock_size=DIGEST_BLOCK) as f:
        f["slots"], f["theta"], f["distances"], f["n_sims"] = slots, theta, dist, n_sims
        a = f.attrs
        s = h5py.string_dtype("utf-8")
        a.create("format_version", np.uint32(version), dtype="<u4")
        a.create("kind", "partial", dtype=s)
        a.create("generation", np.uint32(1), dtype="<u4")
        a.create("epsilon", float(np.max(dist_all)), dtype="<f8")
        a.create("seed", np.uint64(seed), dtype="<u8")
        a.create("n_particles", np.uint64(n), dtype="<u8")
        a.create("n_params", np.uint32(d), dtype="<u4")
        a.create("n_done", np.uint64(k if n_done is None else n_done), dtype="<u8")
        a.create("config", config, dtype=s)
        a.create("creator", "bad_checkpoint.py", dtype=s)
        a.create("checksum", np.uint64(partial_checksum(slots, theta, dist, n_sims, a, f)), dtype="<u8")
    seal(dst)


KINDS = {
    "truncate100": lambda s, d: truncate(s, d, 100),
    "truncate_half": lambda s, d: truncate(s, d, -1),
    "empty": lambda s, d: truncate(s, d, 0),
    "random": lambda s, d: random_bytes(d, 4096),
    "foreign": lambda s, d: foreign(d),
    "format_version_4": lambda s, d: copy_and(s, d, lambda f: set_attr(f, "format_version", np.uint32(4))),
    "stream_version_3": lambda s, d: copy_and(s, d, lambda f: set_attr(f, "stream_version", np.uint32(3))),
    "format_version_1": lambda s, d: copy_and(s, d, lambda f: set_attr(f, "format_version", np.uint32(1))),
    "n_particles_2_62": lambda s, d: copy_and(s, d, lambda f: set_attr(f, "n_particles", np.uint64(1 << 62))),
    "generation_string": lambda s, d: copy_and(s, d, lambda f: set_attr(f, "generation", "zero")),
    "epsilon_nan": lambda s, d: copy_and(s, d, lambda f: set_attr(f, "epsilon", np.float64("nan"))),
    "ess_above_n": lambda s, d: copy_and(s, d, lambda f: set_attr(f, "ess", np.float64(1e9))),
    "theta_3_columns": lambda s, d: copy_and(s, d, lambda f: replace_dataset(
        f, "theta", np.zeros((f["theta"].shape[0], 3)))),
    "theta_integers": lambda s, d: copy_and(s, d, lambda f: replace_dataset(
        f, "theta", f["theta"][()].astype("<i8"))),
    "weights_missing": lambda s, d: copy_and(s, d, lambda f: f.__delitem__("weights")),
    "names_3": lambda s, d: copy_and(s, d, lambda f: set_attr(
        f, "parameter_names", np.array(["mu", "sigma", "tau"], dtype=h5py.string_dtype()))),
    "checksum_missing": lambda s, d: copy_and(s, d, lambda f: f.attrs.__delitem__("checksum")),
    "theta_flipped": lambda s, d: copy_and(s, d, flip_theta),
    "legacy_gcol_zero_free_space": lambda s, d: edit_bytes(
        s, d, lambda b: (strip_user_block(b), gcol_zero_free_space(b))),
    "digest_gcol_zero_free_space": lambda s, d: edit_bytes(s, d, gcol_zero_free_space),
    "legacy": lambda s, d: edit_bytes(s, d, strip_user_block),
    "digest_theta_byte": lambda s, d: edit_bytes(s, d, lambda b: flip_theta_byte(s, b)),
    "digest_header_byte": lambda s, d: edit_bytes(s, d, lambda b: b.__setitem__(30, ord("x"))),
    "digest_appended": lambda s, d: edit_bytes(s, d, lambda b: b.extend(b"\0" * 100)),
    "digest_header_zeroed": lambda s, d: edit_bytes(s, d, lambda b: b.__setitem__(
        slice(0, DIGEST_BLOCK), bytes(DIGEST_BLOCK))),
    "partial_slot_out_of_range": lambda s, d: partial(s, d, slots=[0, 500]),
    "partial_slots_descending": lambda s, d: partial(s, d, slots=[5, 3]),
    "partial_n_done_too_big": lambda s, d: partial(s, d, n_done=300),
    "partial_other_seed": lambda s, d: partial(s, d, seed_delta=1),
    "partial_format_version_1": lambda s, d: partial(s, d, version=1),
}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        sys.exit("usage: bad_checkpoint.py KIND SRC DST; KIND one of " + ", ".join(KINDS))
    KINDS[sys.argv[1]](sys.argv[2], sys.argv[3])

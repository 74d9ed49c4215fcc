#!/usr/bin/python3
"""Makes checkpoint files look like those of a pmcabc before statistics were
stored in every file: removes /stats and /observed_stats (and /proposal_stats
unless --keep-proposal) and recomputes the checksum attribute as
docs/checkpoint-format.md defines it, then the whole-file digest (h5check.py's
functions).

Usage: strip_stats.py FILE.h5 ...   (generation or partial files, edited in place)
Not named test_*, so CTest does not register it itself."""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from h5check import gen_checksum, partial_checksum, seal  # noqa: E402


def strip(path):
    with h5py.File(path, "r+") as f:
        for name in ("stats", "proposal_stats", "observed_stats"):
            if name in f:
                del f[name]
        a = f.attrs
        if a.get("kind") == "partial":
            h = partial_checksum(f["slots"][()], f["theta"][()], f["distances"][()],
                                 f["n_sims"][()], a, f)
        else:
            h = gen_checksum(f["theta"][()], f["weights"][()], f["distances"][()],
                             f["epsilons"][()], a, f)
        del a["checksum"]
        a.create("checksum", np.uint64(h), dtype="<u8")
    seal(path)  # a valid whole-file digest again, as pmcabc would write it


for p in sys.argv[1:]:
    strip(p)

#!/usr/bin/python3
"""Compares the generation files of two run directories.

Usage: compare_gens.py DIR_A DIR_B [--expect-different]

Identical means: the same set of gen-NNNN.h5 files, and in each the bytes of
/theta, /weights, /distances, /epsilons, of the statistics datasets (/stats,
/proposal_stats, /observed_stats: present in both or in neither) and the
attributes generation,
epsilon, n_simulations, gen_simulations, ess, acceptance_rate, seed are equal
(wall_time and the config text's checkpoint_dir may differ). Exit 0 when the
expectation holds, 1 otherwise."""
import glob
import os
import sys

import h5py

DATASETS = ("theta", "weights", "distances", "epsilons")
OPTIONAL = ("stats", "proposal_stats", "observed_stats")
ATTRS = ("generation", "epsilon", "n_simulations", "gen_simulations", "ess",
         "acceptance_rate", "seed")


def gen_names(d):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "gen-[0-9][0-9][0-9][0-9].h5")))


def differences(a, b):
    names_a, names_b = gen_names(a), gen_names(b)
    if not names_a:
        return ["%s holds no generation files" % a]
    if names_a != names_b:
        return ["file sets differ: %s vs %s" % (names_a, names_b)]
    diffs = []
    for name in names_a:
        with h5py.File(os.path.join(a, name), "r") as fa, h5py.File(os.path.join(b, name), "r") as fb:
            for ds in DATASETS:
                if fa[ds][...].tobytes() != fb[ds][...].tobytes():
                    diffs.append("%s: /%s differs" % (name, ds))
            for ds in OPTIONAL:
                if (ds in fa) != (ds in fb):
                    diffs.append("%s: /%s only in %s" % (name, ds, a if ds in fa else b))
                elif ds in fa and fa[ds][...].tobytes() != fb[ds][...].tobytes():
                    diffs.append("%s: /%s differs" % (name, ds))
            for at in ATTRS:
                if fa.attrs[at] != fb.attrs[at]:
                    diffs.append("%s: attribute %s: %r vs %r" % (name, at, fa.attrs[at], fb.attrs[at]))
    return diffs


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    expect_diff = len(sys.argv) == 4 and sys.argv[3] == "--expect-different"
    diffs = differences(sys.argv[1], sys.argv[2])
    if expect_diff:
        if not diffs:
            print("expected differences, but %s and %s are identical" % (sys.argv[1], sys.argv[2]))
            return 1
        print("different as expected (%d differences)" % len(diffs))
        return 0
    if diffs:
        print("\n".join(diffs[:20]))
        return 1
    print("identical: %d generation files" % len(gen_names(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

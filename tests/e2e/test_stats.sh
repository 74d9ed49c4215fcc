#!/bin/bash
# Statistics in every generation file (issue 22 item 4): /stats (each
# particle's accepted simulated statistics) and /observed_stats whatever the
# distance, /proposal_stats only with the adaptive distance; the stored
# statistics are the ones the distances were computed from; and runs whose
# files lack them (written before they were stored) resume to the same bits,
# the resumed generations storing them.
. "$(dirname "$0")/common.sh"
same() { "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$1" "$2" >/dev/null; }

make_config s
pmc 2 run "$WORK/s.ini"
expect_status "euclidean run" 0 "posterior: generation 3"

# The gaussian model's statistics are (mean, sd with n - 1) of the data
# (docs/models.md), the distance their Euclidean distance.
if "$PMC_PYTHON" - "$WORK/s.ck" "$WORK/heights.csv" <<'EOP'; then
import glob, sys
import h5py, numpy as np
x = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1) if open(sys.argv[2]).read(1).isalpha() \
    else np.loadtxt(sys.argv[2])
obs_want = np.array([x.mean(), x.std(ddof=1)])
for path in sorted(glob.glob(sys.argv[1] + "/gen-*.h5")):
    with h5py.File(path, "r") as f:
        n = f["theta"].shape[0]
        assert f["stats"].shape == (n, 2), (path, f["stats"].shape)
        assert "proposal_stats" not in f, path + ": /proposal_stats without the adaptive distance"
        obs = f["observed_stats"][()]
        assert np.allclose(obs, obs_want, rtol=1e-12), (path, obs, obs_want)
        d = np.sqrt(((f["stats"][()] - obs) ** 2).sum(1))
        assert np.allclose(d, f["distances"][()], rtol=1e-12, atol=1e-12), path + ": distances"
print("ok")
EOP
    pass "euclidean: /stats (n x 2) and /observed_stats in every file, distances agree, no /proposal_stats"
else
    fail "euclidean: statistics datasets wrong"
fi
for f in "$WORK"/s.ck/gen-*.h5; do "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$f" >/dev/null || fail "h5check $f"; done

# Files without statistics (an older pmcabc): a longer run resumes from them
# and ends with the bits of a run that never stopped; only the generations it
# computes hold statistics.
pmc 2 run "$WORK/s.ini" --set run.generations=6 --set run.checkpoint_dir="$WORK/ref6"
expect_status "reference run, 6 generations" 0 "posterior: generation 5"
cp -r "$WORK/s.ck" "$WORK/old"
"$PMC_PYTHON" "$E2E_DIR/strip_stats.py" "$WORK"/old/gen-*.h5
for f in "$WORK"/old/gen-*.h5; do "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$f" >/dev/null || fail "h5check stripped $f"; done
pmc 2 run "$WORK/s.ini" --set run.generations=6 --set run.checkpoint_dir="$WORK/old"
expect_status "resume from files without /stats" 0 "resuming from generation 3"
for g in 4 5; do
    cmp -s <("$PMC_PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1]); print(f["stats"][()].tobytes().hex(), f["observed_stats"][()].tobytes().hex())' "$WORK/old/gen-000$g.h5") \
           <("$PMC_PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1]); print(f["stats"][()].tobytes().hex(), f["observed_stats"][()].tobytes().hex())' "$WORK/ref6/gen-000$g.h5") &&
        pass "resumed generation $g stores the statistics of the uninterrupted run" ||
        fail "resumed generation $g: statistics differ from the uninterrupted run"
done
"$PMC_PYTHON" - "$WORK/old" "$WORK/ref6" <<'EOP' && pass "resume without /stats: same bits as uninterrupted" || fail "resume without /stats: results differ"
import sys, h5py
for g in range(6):
    a, b = (h5py.File("%s/gen-%04d.h5" % (d, g), "r") for d in sys.argv[1:])
    for name in ("theta", "weights", "distances", "epsilons"):
        assert a[name][()].tobytes() == b[name][()].tobytes(), (g, name)
EOP

# A partial file without statistics: the budget stops generation 2 on one
# rank (deterministic), the partial file loses its /stats, and a run with a
# larger budget simulates its slots again from their accepted attempts: the
# result and the stored statistics are those of the run that never stopped.
pmc 1 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/budget" --set run.max_simulations=900
expect_status "budget stop" 0 "max_simulations = 900 is reached"
part=$(ls "$WORK/budget" | grep -E '^partial-[0-9]{4}\.h5$' | head -1)
if [ -z "$part" ]; then
    fail "budget stop left no partial file: $(ls "$WORK/budget")"
else
    k=$("$PMC_PYTHON" -c 'import h5py,sys; print(int(h5py.File(sys.argv[1])["n_sims"].shape[0]))' "$WORK/budget/$part")
    [ "$k" -gt 0 ] && pass "$part holds $k done slots" || fail "$part holds no done slot"
    "$PMC_PYTHON" "$E2E_DIR/strip_stats.py" "$WORK/budget/$part"
    "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$WORK/budget/$part" >/dev/null || fail "h5check stripped $part"
    pmc 2 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/budget"
    expect_status "resume from a partial file without /stats" 0 "simulated again from their accepted attempts"
    same "$WORK/s.ck" "$WORK/budget" && pass "partial without /stats + resume == uninterrupted (statistics included)" ||
        fail "partial without /stats + resume differs: $("$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/s.ck" "$WORK/budget")"
fi

# A partial file with statistics keeps them for its slots.
pmc 1 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/budget2" --set run.max_simulations=900
"$PMC_PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1]); assert f["stats"].shape == (f["theta"].shape[0], 2) and "proposal_stats" not in f' \
    "$WORK/budget2/$part" && pass "partial file stores /stats of its done slots" || fail "partial file: /stats missing or wrong"
"$PMC_PYTHON" "$E2E_DIR/h5check.py" "$WORK/budget2/$part" >/dev/null || fail "h5check $part"
pmc 2 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/budget2"
expect_status "resume from a partial file with /stats" 0 "resuming generation"
same "$WORK/s.ck" "$WORK/budget2" && pass "partial with /stats + resume == uninterrupted" || fail "partial with /stats + resume differs"
finish

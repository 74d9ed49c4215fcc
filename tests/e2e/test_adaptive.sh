#!/bin/bash
# Adaptive distance (Prangle 2017): the weights of generation t+1 are 1/MAD of
# generation t's first-simulation statistics; results are byte-identical for
# any rank count and across an interruption mid-generation.
. "$(dirname "$0")/common.sh"

make_config a
# The test_gate model: the Gaussian model with a gate for the interruption.
AD=(--set distance.name=adaptive "${GATE_MODEL[@]}"
    --set run.particles=300 --set run.generations=5 --set run.checkpoint_interval=0.3)
same() { "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$1" "$2" >/dev/null; }

pmc 1 run "$WORK/a.ini" "${AD[@]}" --set run.checkpoint_dir="$WORK/one"
expect_status "adaptive, 1 rank" 0 "adaptive distance for the next generation: adaptive("
pmc 3 run "$WORK/a.ini" "${AD[@]}" --set run.checkpoint_dir="$WORK/three"
expect_status "adaptive, 3 ranks" 0 "all 5 generations done"
same "$WORK/one" "$WORK/three" && pass "np 1 == np 3" || fail "np 1 != np 3"

"$PMC_PYTHON" - "$WORK/one" <<'PY' && pass "weights = 1/MAD of the previous generation's first simulations" || fail "adaptive weights wrong"
import glob, sys, h5py, numpy as np
files = sorted(glob.glob(sys.argv[1] + "/gen-*.h5"))
for prev, cur in zip(files, files[1:]):
    with h5py.File(prev, "r") as a, h5py.File(cur, "r") as b:
        ps = a["proposal_stats"][...]
        med = np.median(ps, axis=0)
        mad = np.median(np.abs(ps - med), axis=0)
        desc = b.attrs["distance"]
        w = np.array([float(x) for x in desc[len("adaptive("):-1].split(",")])
        assert np.allclose(w, 1 / mad, rtol=1e-12), (desc, 1 / mad)
        # epsilon of cur = quantile of prev's accepted stats under cur's weights
        obs_dist = b["distances"][...]
        assert np.all(obs_dist <= b.attrs["epsilon"]), "accepted distance above epsilon"
with h5py.File(files[0], "r") as f:
    assert f.attrs["distance"] == "adaptive(1, 1)", f.attrs["distance"]
PY

# Interrupted by SIGTERM in generation 3, resumed on 2 ranks: the gate holds
# the run 20 simulations per rank into generation 3 until the signal.
dir="$WORK/term"
gate_new term "$dir/gen-0002.h5" 20
PMC_TEST_GATE="$WORK/term.gate" "$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/a.ini" "${AD[@]}" \
    --set run.checkpoint_dir="$dir" >"$WORK/out" 2>&1 &
pid=$!
wait_until "$pid" 300 gate_waiting term || fail "the run never reached the gate in generation 3"
signal_ranks TERM "run.checkpoint_dir=$dir"
wait "$pid"
RC=$?
expect_status "SIGTERM -> 75" 75 "interrupted by SIGTERM during generation 3"
pmc 2 run "$WORK/a.ini" "${AD[@]}" --set run.checkpoint_dir="$dir"
expect_status "resume" 0 "resuming"
same "$WORK/one" "$dir" && pass "interrupted + resumed == uninterrupted" || fail "resumed adaptive run differs"
for f in "$dir"/gen-*.h5; do "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$f" >/dev/null || fail "h5check $f"; done
finish

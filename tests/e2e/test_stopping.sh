#!/bin/bash
# The three stopping rules: generations, epsilon minimum, simulation budget.
. "$(dirname "$0")/common.sh"

make_config s
count_gens() { ls "$1" 2>/dev/null | grep -cE '^gen-[0-9]{4}\.h5$'; }

pmc 1 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/gens"
expect_status "generations = 4" 0 "all 4 generations done"
[ "$(count_gens "$WORK/gens")" -eq 4 ] || fail "expected 4 generation files"

pmc 2 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/min" --set run.generations=50 \
    --set epsilon.minimum=5
expect_status "epsilon minimum 5" 0 "epsilon reached its minimum 5"
last=$(ls "$WORK/min" | grep -E '^gen-[0-9]{4}\.h5$' | sort | tail -1)
"$PMC_PYTHON" - "$WORK/min/$last" <<'PY' || fail "last generation's epsilon is not the minimum"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["epsilon"] == 5.0, f.attrs["epsilon"]
    prev = f["epsilons"][...]
    assert all(e > 5.0 for e in prev[:-1]), prev
PY

# Budget: generations 0-3 take 200 + ~400 + ~700 + ... simulations; a cap of
# 1500 lets some complete and stops before the one that would exceed it.
pmc 2 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/budget" --set run.generations=50 \
    --set run.max_simulations=1500
expect_status "max_simulations = 1500" 0 "would exceed max_simulations = 1500"
n=$(count_gens "$WORK/budget")
last=$(printf 'gen-%04d.h5' $((n - 1)))
"$PMC_PYTHON" - "$WORK/budget/$last" <<'PY' || fail "budget: last file's n_simulations above the cap"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["n_simulations"] <= 1500, f.attrs["n_simulations"]
PY
grep -qF "the result is generation $((n - 1))" "$WORK/out" || fail "budget: log does not name generation $((n - 1)) as the result"
[ "$n" -ge 2 ] || fail "budget: expected at least 2 complete generations, got $n"

# Retention: keep_last = 2 keeps the two newest generation files only.
pmc 2 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/keep" --set run.keep_last=2
expect_status "keep_last = 2" 0 "all 4 generations done"
kept=$(ls "$WORK/keep" | tr '\n' ' ')
[ "$kept" = "gen-0002.h5 gen-0003.h5 " ] && pass "keep_last = 2 kept: $kept" || fail "keep_last = 2 kept: $kept"

pmc 1 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/tiny" --set run.max_simulations=100
expect_status "max_simulations below one generation" 1 "too small to complete generation 0"
finish

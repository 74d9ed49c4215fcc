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
# 1500 lets some complete and stops inside the one that would exceed it,
# keeping its work in a partial file (docs/config.md, max_simulations).
budget_run() {  # budget_run DIR CAP [ARGS...]
    local dir=$1 cap=$2; shift 2
    pmc 2 run "$WORK/s.ini" --set run.checkpoint_dir="$dir" --set run.generations=50 \
        --set run.max_simulations="$cap" "$@"
}
budget_run "$WORK/budget" 1500
expect_status "max_simulations = 1500" 0 "stopping: max_simulations = 1500 is reached (generation"
n=$(count_gens "$WORK/budget")
last=$(printf 'gen-%04d.h5' $((n - 1)))
grep -qF "the result is generation $((n - 1))" "$WORK/out" || fail "budget: log does not name generation $((n - 1)) as the result"
[ "$n" -ge 2 ] || fail "budget: expected at least 2 complete generations, got $n"
# The counted simulations (complete generations, the partial file's done
# slots and known rejected attempts) never pass the cap.
"$PMC_PYTHON" - "$WORK/budget/$last" "$WORK/budget/$(printf 'partial-%04d.h5' "$n")" <<'PY' &&
import sys, h5py
with h5py.File(sys.argv[1], "r") as g, h5py.File(sys.argv[2], "r") as p:
    done = int(g.attrs["n_simulations"])
    partial = int(p["n_sims"][()].sum()) + int(p["rejected"][()].sum())
    assert done <= 1500 and done + partial <= 1500, (done, partial)
    assert partial > 0, partial
    print(f"complete generations {done} + partial {partial} <= 1500")
PY
    pass "budget: counted simulations within the cap" || fail "budget: counted simulations above the cap"
# The same command again: finished, nothing simulated, nothing written.
digest() { (cd "$1" && find . -type f ! -name .lock | LC_ALL=C sort | xargs -r sha256sum); }
digest "$WORK/budget" >"$WORK/budget.before"
budget_run "$WORK/budget" 1500
expect_status "max_simulations = 1500 again" 0 "nothing was simulated: the run is finished unless max_simulations is raised"
digest "$WORK/budget" | cmp -s - "$WORK/budget.before" && pass "budget: the repeated command wrote nothing" ||
    fail "budget: the repeated command changed the directory"
# A larger budget goes on from the partial file and gives the bits of a run
# that had the larger budget from the start.
budget_run "$WORK/budget" 3000
expect_status "max_simulations raised to 3000" 0 "resuming generation $n from"
budget_run "$WORK/budget3000" 3000
expect_status "max_simulations = 3000 from the start" 0 "stopping: max_simulations = 3000 is reached"
"$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/budget" "$WORK/budget3000" &&
    pass "budget: 1500 then 3000 == 3000 at once" || fail "budget: 1500 then 3000 != 3000 at once"
# The same with the adaptive distance, whose slots also keep the statistics of
# their attempt 0 (redone when a slot goes on from rejected attempts).
ADAPT=(--set distance.name=adaptive)
budget_run "$WORK/abudget" 1500 "${ADAPT[@]}"
expect_status "adaptive, max_simulations = 1500" 0 "stopping: max_simulations = 1500 is reached"
budget_run "$WORK/abudget" 3000 "${ADAPT[@]}"
expect_status "adaptive, raised to 3000" 0 "attempts of the others known rejected"
budget_run "$WORK/abudget3000" 3000 "${ADAPT[@]}"
"$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/abudget" "$WORK/abudget3000" &&
    pass "adaptive budget: 1500 then 3000 == 3000 at once" ||
    fail "adaptive budget: 1500 then 3000 != 3000 at once"

# Retention: keep_last = 2 keeps the two newest generation files only.
pmc 2 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/keep" --set run.keep_last=2
expect_status "keep_last = 2" 0 "all 4 generations done"
kept=$(ls "$WORK/keep" | tr '\n' ' ')
[ "$kept" = "gen-0002.h5 gen-0003.h5 " ] && pass "keep_last = 2 kept: $kept" || fail "keep_last = 2 kept: $kept"

pmc 1 run "$WORK/s.ini" --set run.checkpoint_dir="$WORK/tiny" --set run.max_simulations=100
expect_status "max_simulations below one generation" 1 "max_simulations = 100 is too small to complete generation 0"
finish

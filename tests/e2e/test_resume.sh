#!/bin/bash
# Resume: SIGTERM mid-generation, time limit, damaged newest file, config
# changes, restart modes, finished runs. Every resumed run must end with the
# same bytes as an uninterrupted one.
. "$(dirname "$0")/common.sh"

make_config r
# ~3 s on 2 ranks: simulations of 1-3 ms, frequent mid-generation saves.
SLOW=(--set model.name=test_slow --set model.work_us=1000 --set model.work_spread=3
      --set run.particles=100 --set run.generations=5 --set run.checkpoint_interval=0.5)
same() { "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$1" "$2" >/dev/null; }
digest() { (cd "$1" && sha256sum -- * 2>/dev/null); }

pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref"
expect_status "reference run" 0 "all 5 generations done"

# SIGTERM to every rank mid-run -> exit 75 with a partial file; resume is identical.
dir="$WORK/term"
"$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/r.ini" "${SLOW[@]}" \
    --set run.checkpoint_dir="$dir" >"$WORK/out" 2>&1 &
pid=$!
# Signal as soon as a mid-generation save of generation >= 1 exists: that
# generation is then still running (its partial file goes when it commits).
for _ in $(seq 1 400); do
    ls "$dir" 2>/dev/null | grep -qE '^partial-000[1-9]\.h5$' && break
    sleep 0.02
done
signal_ranks TERM "run.checkpoint_dir=$dir"
wait "$pid"
RC=$?
expect_status "SIGTERM -> exit 75" 75 "interrupted by SIGTERM"
# A stop that lands while a generation is being committed (a busy machine can
# delay the signal that long) exits "after generation N" with no partial file:
# the generation file is the checkpoint. Otherwise the partial file must exist.
if grep -q "interrupted by SIGTERM after generation" "$WORK/out"; then
    ls "$dir" | grep -qE '^partial-[0-9]{4}\.h5$' && fail "SIGTERM between generations left a partial file"
    pass "SIGTERM landed between generations (no partial file, as documented)"
else
    ls "$dir" | grep -qE '^partial-[0-9]{4}\.h5$' || fail "SIGTERM: no partial file in $dir: $(ls "$dir")"
fi
pmc 3 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "resume after SIGTERM on 3 ranks" 0 "resuming"
same "$WORK/ref" "$dir" && pass "SIGTERM + resume == uninterrupted" || fail "SIGTERM + resume differs"

# Time limit -> exit 75 before the limit; resume is identical.
dir="$WORK/limit"
start=$(date +%s.%N)
pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir" --time-limit 2
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
expect_status "--time-limit 2 -> exit 75" 75 "interrupted by the time limit"
awk -v t="$took" 'BEGIN { exit !(t < 4) }' || fail "time limit 2 s: the run took $took s"
pmc 1 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "resume after time limit on 1 rank" 0 "resuming from generation"
same "$WORK/ref" "$dir" && pass "time limit + resume == uninterrupted" || fail "time limit + resume differs"

# A finished run started again: exit 0, nothing rewritten.
before=$(digest "$WORK/ref")
pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref"
expect_status "finished run again" 0 "already finished"
[ "$before" = "$(digest "$WORK/ref")" ] && pass "finished run: files untouched" || fail "finished run: files changed"

# Damaged newest file -> warning, fall back, same result.
for damage in truncate overwrite; do
    dir="$WORK/dmg-$damage"
    cp -r "$WORK/ref" "$dir"
    last=$(ls "$dir" | grep -E '^gen-[0-9]{4}\.h5$' | sort | tail -1)
    if [ $damage = truncate ]; then
        truncate -s 3000 "$dir/$last"
    else
        # Overwrite 64 bytes in the middle of the file (data or metadata).
        size=$(stat -c %s "$dir/$last")
        dd if=/dev/urandom of="$dir/$last" bs=1 count=64 seek=$((size / 2)) conv=notrunc 2>/dev/null
    fi
    pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
    expect_status "$damage newest file -> fallback" 0 "falling back to an older generation"
    same "$WORK/ref" "$dir" && pass "$damage: result identical" || fail "$damage: result differs"
done

# Config changes: results-changing keys are refused with the differences, files untouched.
before=$(digest "$WORK/ref")
pmc 1 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref" --set run.seed=99
expect_status "changed seed refused" 2 "[run] seed: stored 7, now 99"
pmc 1 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref" --set prior.mu="uniform(140, 200)"
expect_status "changed prior refused" 2 "[prior] mu"
[ "$before" = "$(digest "$WORK/ref")" ] && pass "refused runs: files untouched" || fail "refused runs changed files"

# Extending a finished run with more generations continues it, identically
# to a run that asked for them from the start.
pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref" --set run.generations=6
expect_status "generations 5 -> 6 continues" 0 "resuming from generation 4"
pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/six" --set run.generations=6
same "$WORK/six" "$WORK/ref" && pass "extended run == 6-generation run" || fail "extended run differs"

# Restart modes.
pmc 1 run "$WORK/r.ini" --set run.checkpoint_dir="$WORK/ref" --restart=never
expect_status "--restart=never on a run" 2 "--restart=never"
pmc 1 run "$WORK/r.ini" --set run.checkpoint_dir="$WORK/empty" --restart=require
expect_status "--restart=require on nothing" 2 "nothing to resume"
[ ! -e "$WORK/empty" ] || fail "--restart=require created $WORK/empty"

# Every file a run produced opens in h5py with the documented layout.
for f in "$WORK"/ref/gen-*.h5 "$WORK"/term/gen-*.h5; do
    "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$f" >/dev/null || fail "h5check $f"
done
finish

#!/bin/bash
# Resume: SIGTERM mid-generation, time limit, damaged newest file, config
# changes, restart modes, finished runs. Every resumed run must end with the
# same bytes as an uninterrupted one.
. "$(dirname "$0")/common.sh"

make_config r
# test_gate model, 2 ms of sleep per simulation: about 1850 simulations, so
# on 2 ranks at least 1.85 s on any machine; frequent mid-generation saves.
SLOW=("${GATE_MODEL[@]}" --set model.sleep_us=2000
      --set run.particles=100 --set run.generations=5 --set run.checkpoint_interval=0.5)
same() { "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$1" "$2" >/dev/null; }
digest() { (cd "$1" && sha256sum -- * 2>/dev/null); }

pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref"
expect_status "reference run" 0 "all 5 generations done"

# SIGTERM to every rank mid-generation -> exit 75 with a partial file; resume
# is identical. The gate holds the run 15 simulations per rank into
# generation 2 until the signal arrives: it cannot finish, or be between
# generations, when signalled.
dir="$WORK/term"
gate_new term "$dir/gen-0001.h5" 15
PMC_TEST_GATE="$WORK/term.gate" "$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/r.ini" "${SLOW[@]}" \
    --set run.checkpoint_dir="$dir" >"$WORK/out" 2>&1 &
pid=$!
wait_until "$pid" 300 gate_waiting term || fail "the run never reached the gate in generation 2"
signal_ranks TERM "run.checkpoint_dir=$dir"
wait "$pid"
RC=$?
expect_status "SIGTERM -> exit 75" 75 "interrupted by SIGTERM during generation 2"
# An interruption is the expected end of a stopped job, not an error line.
grep -qF "pmcabc: interrupted by SIGTERM during generation 2" "$WORK/out" &&
    ! grep -qF "pmcabc: error" "$WORK/out" && pass "exit 75 printed as 'pmcabc: interrupted by'" ||
    fail "exit 75: expected 'pmcabc: interrupted by SIGTERM', no 'pmcabc: error'"
ls "$dir" | grep -qE '^partial-0002\.h5$' || fail "SIGTERM: no partial-0002.h5 in $dir: $(ls "$dir")"
partial_sims=$("$PMC_PYTHON" -c 'import h5py, sys; print(int(h5py.File(sys.argv[1], "r")["n_sims"][:].sum()))' \
    "$dir/partial-0002.h5")
pmc 3 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "resume after SIGTERM on 3 ranks" 0 "resuming"
# sims/s of the resumed generation counts this invocation's simulations only
# (its sims minus the partial file's) over this invocation's wall time; the
# tolerance is the rounding of the printed rate (3 digits) and time (0.01 s).
if awk -v p="$partial_sims" '$3 == "gen" && $4 == 2 {
        for (i = 1; i < NF; i++) {
            if ($i == "sims") s = $(i + 1)
            if ($i == "sims/s") { r = $(i - 1); w = $(i + 1) }
        }
        sub(/s$/, "", w); now = s - p
        d = r * w - now; if (d < 0) d = -d
        ok = p > 0 && d <= 0.006 * now + 0.006 * r + 1
        printf "gen 2: sims %s, from the partial file %s, rate %s, wall %s s\n", s, p, r, w
        found = 1 } END { exit !(found && ok) }' "$WORK/out"; then
    pass "resumed generation: sims/s over this invocation's simulations"
else
    fail "resumed generation: sims/s x wall time != sims - partial sims ($partial_sims)"; grep -F "gen    2" "$WORK/out" >&2
fi
same "$WORK/ref" "$dir" && pass "SIGTERM + resume == uninterrupted" || fail "SIGTERM + resume differs"

# Time limit -> exit 75 before the run is done; resume is identical. The
# limit 1.5 s stops the run 0.5 s after it starts (pmcabc keeps a 1 s margin),
# long before the 1.85 s its simulations sleep at the least.
dir="$WORK/limit"
pmc 2 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir" --time-limit 1.5
expect_status "--time-limit 1.5 -> exit 75" 75 "interrupted by the time limit"
[ ! -e "$dir/gen-0004.h5" ] || fail "time limit: the run finished all 5 generations"
pmc 1 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "resume after time limit on 1 rank" 0 "resuming"
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

#!/bin/bash
# kill -9 every process of the run 12 times (twice inside a commit, then at
# random moments), resume each time with a rank count that cycles 1..3, and
# compare the final population with an uninterrupted run byte for byte.
# Frequent mid-generation saves (checkpoint_interval 0.3 s) and a test-only
# delay inside the commit protocol (PMC_TEST_COMMIT_DELAY_MS, between fsync
# and rename) make kills land during saves and commits too. No kill comes
# too late, however fast the machine: the killed runs wait at the test_gate
# plugin's gate at the start of the last generation until the 12th kill.
. "$(dirname "$0")/common.sh"

make_config k
SLOW=("${GATE_MODEL[@]}" --set model.sleep_us=3000
      --set run.particles=200 --set run.generations=6 --set run.checkpoint_interval=0.3)
pmc 2 run "$WORK/k.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref"
expect_status "reference run" 0 "all 6 generations done"

dir="$WORK/killed"
start_run() {  # start_run NP LOG: the run in its own session, pid in $pid
    setsid "$PMC_MPIEXEC" "$PMC_NPFLAG" "$1" "$PMCABC" run "$WORK/k.ini" "${SLOW[@]}" \
        --set run.checkpoint_dir="$dir" >"$2" 2>&1 &
    pid=$!
}
kill_run() {
    kill -9 -- "-$pid" 2>/dev/null
    pkill -9 -f -- "run.checkpoint_dir=$dir" 2>/dev/null
    wait "$pid" 2>/dev/null
    kills=$((kills + 1))
    echo "kill $kills ($1, np $np): $(ls -A "$dir" 2>/dev/null | tr '\n' ' ')"
}
temp_file() { ls -A "$dir" 2>/dev/null | grep -qE "$1"; }
kills=0
gate_new k "$dir/gen-0004.h5"
export PMC_TEST_GATE="$WORK/k.gate"

# Two deliberate kills inside the commit protocol (temporary file written,
# not yet renamed for 3 s): one of a generation file (generation 0's), one
# of a mid-generation save (the one SIGTERM asks for while the run waits at
# the gate 10 simulations per rank into generation 1).
np=2
PMC_TEST_COMMIT_DELAY_MS=3000 start_run $np "$WORK/out.commit"
wait_until "$pid" 300 temp_file '^\.gen-[0-9]{4}\.h5\.tmp$' || fail "no temporary generation file appeared"
kill_run "during commit of a generation file"
echo "$dir/gen-0000.h5 10" >"$WORK/k.gate/at"
PMC_TEST_COMMIT_DELAY_MS=3000 start_run $np "$WORK/out.commit"
wait_until "$pid" 300 gate_waiting k || fail "the run never reached the gate in generation 1"
signal_ranks TERM "run.checkpoint_dir=$dir"
wait_until "$pid" 300 temp_file '^\.partial-[0-9]{4}\.h5\.tmp$' || fail "no temporary partial file appeared"
kill_run "during commit of a partial file"

# Then 10 random moments: start-up, mid-generation, saves, commits; the runs
# wait at the gate in generation 5 (the last) until the 12th kill.
echo "$dir/gen-0004.h5" >"$WORK/k.gate/at"
export PMC_TEST_COMMIT_DELAY_MS=150
RANDOM=12345
finished=0
for attempt in $(seq 1 60); do
    np=$(( (attempt % 3) + 1 ))
    start_run $np "$WORK/out.$attempt"
    if [ $kills -lt 12 ]; then
        sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + 1.2 * r / 32767 }')"
        if kill -0 "$pid" 2>/dev/null; then
            kill_run "random"
            [ $kills -lt 12 ] || gate_open k
            continue
        fi
    fi
    wait "$pid"
    rc=$?
    if [ $rc -eq 0 ]; then
        finished=1
        break
    fi
    fail "attempt $attempt exited $rc"; cat "$WORK/out.$attempt" >&2
    break
done
unset PMC_TEST_COMMIT_DELAY_MS PMC_TEST_GATE
[ $finished -eq 1 ] || fail "the run never finished"
[ $kills -eq 12 ] && pass "$kills kill -9 cycles" || fail "$kills kills happened, expected 2 + 10"
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/ref" "$dir"; then
    pass "killed and resumed run == uninterrupted run"
else
    fail "killed and resumed run differs"
fi
leftovers=$(ls -a "$dir" | grep -E '\.tmp$|^partial-' || true)
[ -z "$leftovers" ] && pass "no temporary or partial files left" || fail "left over: $leftovers"
finish

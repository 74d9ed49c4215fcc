#!/bin/bash
# kill -9 every process of the run at random moments (at least 10 times),
# resume each time with a rank count that cycles 1..3, and compare the final
# population with an uninterrupted run byte for byte. Frequent mid-generation
# saves (checkpoint_interval 0.3 s) and a test-only delay inside the commit
# protocol (PMC_TEST_COMMIT_DELAY_MS, between fsync and rename) make kills
# land during saves and commits too.
. "$(dirname "$0")/common.sh"

make_config k
SLOW=(--set model.name=test_slow --set model.work_us=1000 --set model.work_spread=3
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
kills=0

# Two deliberate kills inside the commit protocol (temporary file written,
# not yet renamed): one of a generation file, one of a mid-generation save.
for pattern in '^\.gen-[0-9]{4}\.h5\.tmp$' '^\.partial-[0-9]{4}\.h5\.tmp$'; do
    np=2
    PMC_TEST_COMMIT_DELAY_MS=3000 start_run $np "$WORK/out.commit"
    hit=0
    for _ in $(seq 1 400); do
        if ls -A "$dir" 2>/dev/null | grep -qE "$pattern"; then hit=1; break; fi
        sleep 0.025
    done
    [ $hit -eq 1 ] || fail "no temporary file matching $pattern appeared"
    kill_run "during commit of $pattern"
done

# Then random moments: start-up, mid-generation, saves, commits.
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
unset PMC_TEST_COMMIT_DELAY_MS
[ $finished -eq 1 ] || fail "the run never finished"
[ $kills -ge 10 ] && pass "$kills kill -9 cycles" || fail "only $kills kills happened"
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/ref" "$dir"; then
    pass "killed and resumed run == uninterrupted run"
else
    fail "killed and resumed run differs"
fi
leftovers=$(ls -a "$dir" | grep -E '\.tmp$|^partial-' || true)
[ -z "$leftovers" ] && pass "no temporary or partial files left" || fail "left over: $leftovers"
finish

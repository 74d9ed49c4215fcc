#!/bin/bash
# Soak: stop one run PMC_SOAK_ROUNDS times in a row at random moments
# (seeded), resuming each time on a random number of ranks from 1 to 4, and
# compare the final generation files with an uninterrupted run byte for byte
# (compare_gens.py). Twice: with kill -9 to every process of the run, then
# with SIGTERM to the ranks (each stop must leave an interrupted, resumable
# run: "pmcabc: interrupted by SIGTERM" in the log and `pmcabc inspect
# --json` not "finished"; the launcher's code is 75, or 0 when Hydra's
# mpiexec reports its own status instead of the ranks' 75: counted, not
# failed). CI runs 5 rounds (the default); the long run is
# PMC_SOAK_ROUNDS=50 (docs/reliability.md records its figures).
#
# No stop can come too late, however fast the machine: the runs wait at the
# test_gate plugin's gate at the start of the last generation until the
# last round is done. The model sleeps 0.5 ms x ROUNDS per simulation, so a
# round's random 0.2-1.5 s moves the run on by a fraction of it and the
# stops spread over the whole run; how many land mid-generation is a
# figure, not a verdict. A run that finishes anyway ends the loop.
. "$(dirname "$0")/common.sh"

ROUNDS=${PMC_SOAK_ROUNDS:-5}
case $ROUNDS in '' | *[!0-9]* | 0) echo "PMC_SOAK_ROUNDS=$ROUNDS: expected a whole number >= 1" >&2; exit 1 ;; esac
make_config s
SLOW=("${GATE_MODEL[@]}" --set model.sleep_us=$((500 * ROUNDS))
      --set run.particles=200 --set run.generations=6 --set run.checkpoint_interval=0.3)
T0=$(date +%s)
pmc 4 run "$WORK/s.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref"
expect_status "reference run" 0 "all 6 generations done"

start_run() {  # start_run NP LOG: the run in its own session, pid in $pid
    setsid "$PMC_MPIEXEC" "$PMC_NPFLAG" "$1" "$PMCABC" run "$WORK/s.ini" "${SLOW[@]}" \
        --set run.checkpoint_dir="$dir" >"$2" 2>&1 &
    pid=$!
}
# state: what `pmcabc inspect --json` says of $dir ("none" before the first generation file).
state() {
    "$PMCABC" inspect --json "$dir" 2>/dev/null |
        "$PMC_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["state"]["status"])' 2>/dev/null ||
        echo none
}
random_delay() { awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + 1.3 * r / 32767 }'; }
has_temp() { ls -A "$dir" 2>/dev/null | grep -qE '^\.(gen|partial)-[0-9]{4}\.h5\.tmp$'; }

# soak MODE: ROUNDS stops (MODE kill or term), then the run to its end.
soak() {
    local mode=$1 round=0 rc st np where
    dir="$WORK/$mode"
    gate_new "$mode" "$dir/gen-0004.h5"
    export PMC_TEST_GATE="$WORK/$mode.gate"
    # Test-only: 100 ms between fsync and rename widen every commit, so that
    # some stops land inside one.
    export PMC_TEST_COMMIT_DELAY_MS=100
    mid=0 between=0 commit=0 startup=0 launcher0=0 early=0
    local t0=$(date +%s)
    while [ $round -lt "$ROUNDS" ]; do
        round=$((round + 1))
        np=$(( RANDOM % 4 + 1 ))
        start_run $np "$WORK/out.$mode.$round"
        if [ "$mode" = term ]; then
            # SIGTERM only once pmcabc's handlers are in place (they are
            # before this line); before, the default action would kill it.
            wait_until "$pid" 300 grep -q "checkpoints in" "$WORK/out.$mode.$round"
        fi
        sleep "$(random_delay)"
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            rc=$?
            if [ $rc -eq 0 ] && [ "$(state)" = finished ]; then
                early=1
                echo "$mode round $round: the run had finished: the loop ends"
                break
            fi
            fail "$mode round $round (np $np): the run ended by itself with exit $rc"
            sed 's/^/    /' "$WORK/out.$mode.$round" >&2
            break
        fi
        if [ "$mode" = kill ]; then
            kill -9 -- "-$pid" 2>/dev/null
            signal_ranks KILL "run.checkpoint_dir=$dir"
            wait "$pid" 2>/dev/null
            # Where it landed, from what the kill left behind and the
            # killed run's log (flushed line by line).
            if ls -A "$dir" 2>/dev/null | grep -qE '^\.gen-[0-9]{4}\.h5\.tmp$'; then
                commit=$((commit + 1)) where="between generations: committing a generation file"
            elif ! grep -q "checkpoints in" "$WORK/out.$mode.$round"; then
                startup=$((startup + 1)) where="between generations: start-up"
            elif has_temp; then
                mid=$((mid + 1)) where="mid-generation: writing a partial file"
            elif [ "$(state)" = partial ]; then
                mid=$((mid + 1)) where="mid-generation, slots saved"
            else
                mid=$((mid + 1)) where="mid-generation, before its first save"
            fi
        else
            signal_ranks TERM "run.checkpoint_dir=$dir"
            wait "$pid"
            rc=$?
            st=$(state)
            if ! grep -q "^pmcabc: interrupted by SIGTERM" "$WORK/out.$mode.$round" ||
                [ "$st" = finished ] || { [ $rc -ne 75 ] && [ $rc -ne 0 ]; } || has_temp; then
                fail "$mode round $round (np $np): exit $rc, state $st, expected an interrupted run (75)"
                sed 's/^/    /' "$WORK/out.$mode.$round" >&2
                break
            fi
            [ $rc -eq 0 ] && launcher0=$((launcher0 + 1))
            if grep -q "interrupted by SIGTERM during generation" "$WORK/out.$mode.$round"; then
                mid=$((mid + 1)) where="mid-generation"
            else
                between=$((between + 1)) where="between generations"
            fi
        fi
        echo "$mode round $round (np $np): $where; state $(state); $(ls "$dir" 2>/dev/null | tr '\n' ' ')"
    done
    local stops=$((round - early))
    gate_open "$mode"
    np=$(( RANDOM % 4 + 1 ))
    pmc $np run "$WORK/s.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
    unset PMC_TEST_GATE PMC_TEST_COMMIT_DELAY_MS
    [ $RC -eq 0 ] && pass "$mode: the last resume (np $np) finished" ||
        { fail "$mode: the last resume (np $np) exited $RC"; sed 's/^/    /' "$WORK/out" >&2; }
    "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/ref" "$dir" >/dev/null &&
        pass "$mode: $stops stops, resumed each time: == uninterrupted run" ||
        fail "$mode: after $stops stops the run differs from the uninterrupted one"
    local left
    left=$(ls -A "$dir" | grep -E '\.tmp$|^partial-|^\.lock$' || true)
    [ -z "$left" ] || fail "$mode: left over: $left"
    [ $stops -ge 1 ] || fail "$mode: no stop landed"
    if [ "$mode" = kill ]; then
        between="$((commit + startup)) (committing a generation file $commit, start-up $startup)"
    else
        between="$between, launcher exit 0 instead of 75: $launcher0"
    fi
    echo "SOAK $mode: rounds $ROUNDS, stops $stops, mid-generation $mid, between generations $between;" \
         "$(( $(date +%s) - t0 )) s"
}

RANDOM=4242
soak kill
soak term
echo "SOAK total: $(( $(date +%s) - T0 )) s"
finish

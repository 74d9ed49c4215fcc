#!/bin/bash
# Attempt-level scheduling (issue 15). Every proposal attempt has its own
# random stream and a slot's particle is its lowest accepted attempt, so:
# 1. np 1, 3, 8 and 32 (oversubscribed: the model sleeps 20 ms instead of
#    computing) write byte-identical populations, and with 12 slots on 8 or
#    32 ranks idle ranks run later attempts of unfinished slots
#    (speculation), which one rank never does;
# 2. kill -9 during a run on 8 ranks, resume on 3, kill -9 again, resume on
#    32: the same bytes;
# 3. max_simulations reached inside a generation: np 1 and np 16 stop at the
#    same generation with the same message and bytes.
. "$(dirname "$0")/common.sh"

make_config s
# quantile 0.3: acceptance falls from 1 to a few per cent over 6 generations.
# The model is the test_gate plugin's Gaussian with a 20 ms sleep (no gate).
SLEEP=("${GATE_MODEL[@]}" --set model.sleep_us=20000
       --set run.particles=12 --set run.generations=6 --set epsilon.quantile=0.3)
for np in 1 3 8 32; do
    pmc "$np" run "$WORK/s.ini" "${SLEEP[@]}" --verbose --set run.checkpoint_dir="$WORK/s$np"
    [ "$RC" -eq 0 ] || { fail "np=$np exit $RC"; sed 's/^/    /' "$WORK/out" >&2; }
    cp "$WORK/out" "$WORK/log$np"
done
for np in 3 8 32; do
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/s1" "$WORK/s$np"; then
        pass "np 1 == np $np"
    else
        fail "np 1 != np $np"
    fi
done
speculative() {  # total attempts handed out speculatively, from a --verbose log
    sed -n 's/.* \([0-9][0-9]*\) of them handed out speculatively.*/\1/p' "$1" |
        awk '{ s += $1 } END { print s + 0 }'
}
# One rank reports every block before it takes the next: a slot never has
# attempts in flight when it is given more.
[ "$(speculative "$WORK/log1")" -eq 0 ] && pass "np 1: no speculation" ||
    fail "np 1: $(speculative "$WORK/log1") speculative attempts"
# 12 slots, 32 ranks that ask for work from the start of each generation,
# and slots needing ~3-30 attempts of 20 ms each: idle ranks wait at rank 0
# while slots are unfinished, and are given their later attempts.
spec32=$(speculative "$WORK/log32")
[ "$spec32" -gt 0 ] && pass "np 32: $spec32 speculative attempts" ||
    fail "np 32: no speculative attempts"
grep -qE "busy [0-9.]+/[0-9.]+/[0-9.]+  discarded [0-9]+  elapsed" "$WORK/log32" &&
    pass "the generation line reports discarded simulations" ||
    fail "no 'discarded N' in the generation line"

# 2. kill -9 and resume across rank counts, with speculation. Mid-generation
# saves every 0.2 s; each kill waits for an event (a new partial file, or a
# new generation file) and the run cannot finish before it: 8 generations
# whose last ones take seconds each (acceptance ~1 %, 20 ms per attempt).
# The reference runs on 8 ranks (part 1 showed np 8 == np 1).
dir="$WORK/killed"
KILL=("${SLEEP[@]}" --set run.generations=8 --set run.checkpoint_interval=0.2)
pmc 8 run "$WORK/s.ini" "${KILL[@]}" --set run.checkpoint_dir="$WORK/kref"
[ "$RC" -eq 0 ] || fail "reference run: exit $RC"
files() { ls -A "$dir" 2>/dev/null | grep -E '^(gen|partial)-[0-9]{4}\.h5$' | LC_ALL=C sort | tr '\n' ' '; }
for np in 8 3; do
    before=$(files)
    setsid "$PMC_MPIEXEC" "$PMC_NPFLAG" "$np" "$PMCABC" run "$WORK/s.ini" "${KILL[@]}" \
        --set run.checkpoint_dir="$dir" >"$WORK/out.kill$np" 2>&1 &
    pid=$!
    # Wait (up to 300 s) for a partial file that was not there before.
    seen=0
    for _ in $(seq 1 3000); do
        now=$(files)
        if [ "$now" != "$before" ] && echo "$now" | grep -q partial; then seen=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ $seen -eq 1 ] || { fail "np $np: no new partial file before the run ended"; cat "$WORK/out.kill$np" >&2; }
    kill -9 -- "-$pid" 2>/dev/null
    pkill -9 -f -- "run.checkpoint_dir=$dir" 2>/dev/null
    wait "$pid" 2>/dev/null
    pass "np $np killed with $(files)"
done
pmc 32 run "$WORK/s.ini" "${KILL[@]}" --set run.checkpoint_dir="$dir"
[ "$RC" -eq 0 ] || { fail "resume on 32 ranks: exit $RC"; sed 's/^/    /' "$WORK/out" >&2; }
grep -q "resuming" "$WORK/out" && pass "np 32 resumed" || fail "np 32 did not resume"
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/kref" "$dir"; then
    pass "kill -9 on 8, on 3, resume on 32 == uninterrupted np 8"
else
    fail "killed and resumed run differs from the uninterrupted one"
fi

# 3. The budget runs out inside a generation.
BUDGET=(--set run.generations=12 --set run.max_simulations=20000)
for np in 1 16; do
    pmc "$np" run "$WORK/s.ini" "${BUDGET[@]}" --set run.checkpoint_dir="$WORK/b$np"
    [ "$RC" -eq 0 ] || { fail "budget np=$np exit $RC"; sed 's/^/    /' "$WORK/out" >&2; }
    grep "stopping: max_simulations = 20000 is reached" "$WORK/out" |
        sed 's/^\[[^]]*\] //' >"$WORK/stop$np"
done
[ -s "$WORK/stop1" ] && cmp -s "$WORK/stop1" "$WORK/stop16" &&
    pass "budget: the same stopping message at np 1 and 16: $(cat "$WORK/stop1")" ||
    fail "budget: stopping messages differ or are missing: '$(cat "$WORK/stop1")' vs '$(cat "$WORK/stop16")'"
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/b1" "$WORK/b16"; then
    pass "budget: np 1 == np 16"
else
    fail "budget: np 1 != np 16"
fi
finish

#!/bin/bash
# Live progress within a generation: plain lines at most every
# progress_interval seconds when the output is not a terminal; none with 0;
# a line refreshed in place (carriage returns) on a terminal.
. "$(dirname "$0")/common.sh"

make_config p
# test_gate model, 2 ms of sleep per simulation: generation 0 (500
# simulations) lasts at least 1 s on 1 rank, on any machine.
SLOW=("${GATE_MODEL[@]}" --set model.sleep_us=2000 --set run.particles=500
      --set run.generations=2)
# On 2 ranks rank 0's dispatcher thread prints while the simulations wait at
# the gate, 10 per rank into generation 1: the gate opens once 3 lines of
# generation 1 are out, so their number does not depend on the machine.
progress_lines() { grep -cE '\] gen [01]: [0-9]+/500 slots \([0-9]+%\), [0-9.e+]+ sims/s, ETA ' "$WORK/out"; }
three_gen1_lines() { [ "$(grep -cE '\] gen 1: [0-9]+/500 slots' "$WORK/out")" -ge 3 ]; }
gate_new a "$WORK/a/gen-0000.h5" 10
PMC_TEST_GATE="$WORK/a.gate" "$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/p.ini" "${SLOW[@]}" \
    --set run.checkpoint_dir="$WORK/a" --set run.progress_interval=0.3 >"$WORK/out" 2>&1 &
pid=$!
wait_until "$pid" 300 three_gen1_lines || fail "no 3 progress lines of generation 1 while it waited"
gate_open a
wait "$pid"
RC=$?
expect_status "progress every 0.3 s" 0 "all 2 generations done"
n=$(progress_lines)
[ "$n" -ge 3 ] && pass "$n progress lines" || fail "expected >= 3 progress lines, got $n"
# Lines at most every 0.3 s: consecutive timestamps of progress lines differ by >= 0.3 s.
grep -E '\] gen 1: [0-9]+/' "$WORK/out" | sed 's/^\[0 *\([0-9.]*\)s\].*/\1/' |
    awk 'NR > 1 && $1 - prev < 0.29 { bad = 1 } { prev = $1 } END { exit bad }' &&
    pass "progress lines are >= 0.3 s apart" || fail "progress lines closer than 0.3 s"

pmc 2 run "$WORK/p.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/b" --set run.progress_interval=0
expect_status "progress off" 0 "all 2 generations done"
grep -qE 'slots \(' "$WORK/out" && fail "progress_interval = 0 still printed progress" || pass "no progress lines with 0"

# On a terminal the period is 0.5 s, and a generation that lasted that long
# ends with a final line: generation 0 sleeps 1 s at least on 1 rank.
if command -v script >/dev/null; then
    script -qec "$PMCABC run $WORK/p.ini ${SLOW[*]} --set run.checkpoint_dir=$WORK/c" "$WORK/tty" >/dev/null 2>&1
    grep -q $'\r\\[0 ' "$WORK/tty" && pass "terminal: progress line refreshed in place" ||
        fail "terminal: no carriage-return progress line"
else
    echo "skip: 'script' not installed, terminal mode not checked"
fi
finish

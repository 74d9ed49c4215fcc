#!/bin/bash
# Run-directory lock (lib/pmc_lock.c, docs/reliability.md): one run per
# checkpoint directory. A second run is refused (exit 2) naming the holder's
# host and pid; PMCABC_LOCK_WAIT lets it wait; a stale lock (dead pid, or
# nobody holds its flock) is taken over with a warning; the lock file is
# gone after every exit (0, 1, 2, 75, and after the holder's kill -9 the next
# run takes over, also right after a kill at the lock step itself).
. "$(dirname "$0")/common.sh"

make_config l
# test_gate model, 20 ms of sleep per simulation, 4 generations of 20
# particles: about 230 simulations, at least 2.3 s on 2 ranks on any machine.
SLOW=("${GATE_MODEL[@]}" --set model.sleep_us=20000 --set run.particles=20
      --set run.generations=4)
host=$(hostname)
lock_gone() { [ ! -e "$1/.lock" ] && pass "$2: lock file removed" || fail "$2: $1/.lock left: $(cat "$1/.lock")"; }
# start_first DIR [ARGS]: the lock holder, in the background (pid in $first),
# held at its first simulation by a new gate $WORK/first.gate (so it holds
# the lock until the test opens the gate or kills it).
start_first() {
    local dir=$1; shift
    rm -rf "$WORK/first.gate"
    gate_new first
    PMC_TEST_GATE="$WORK/first.gate" "$PMCABC" run "$WORK/l.ini" "${SLOW[@]}" \
        --set run.checkpoint_dir="$dir" "$@" >"$WORK/first.out" 2>&1 &
    first=$!
    wait_until "$first" 300 gate_waiting first || fail "the first run did not reach its first simulation"
    [ -s "$dir/.lock" ] || fail "the first run made no lock file in $dir"
}
wait_first() { wait "$first"; RC=$?; cp "$WORK/first.out" "$WORK/out"; }

# Two concurrent runs: the second is refused with the holder's host and pid.
dir="$WORK/two"
start_first "$dir"
read -r lhost lpid lstart <"$dir/.lock"
[ "$lhost" = "$host" ] && [ "$lpid" = "$first" ] && [ "$lstart" -gt 0 ] &&
    pass "lock file names host, pid and start time" ||
    fail "lock file holds '$lhost $lpid $lstart', expected '$host $first <start>'"
for np in 1 2; do
    pmc "$np" run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
    expect_status "second run, np=$np, refused" 2 "is in use by another pmcabc run: host $host, pid $first"
    [ "$(grep -c 'pmcabc: error' "$WORK/out")" -eq 1 ] || fail "second run np=$np: expected one error line"
done
pmc 1 run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir" --restart=never
expect_status "second run with --restart=never refused by the lock" 2 "pid $first"
PMCABC_LOCK_WAIT=0.5 pmc 1 run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "PMCABC_LOCK_WAIT=0.5 gives up" 2 "still, after waiting 0.5 s"
PMCABC_LOCK_WAIT=abc pmc 1 run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "PMCABC_LOCK_WAIT=abc refused" 2 "PMCABC_LOCK_WAIT=abc: expected a number of seconds >= 0"
[ -e "$dir/.lock" ] && [ "$(cut -d' ' -f2 "$dir/.lock")" = "$first" ] &&
    pass "refused runs left the holder's lock alone" || fail "the holder's lock file changed"
gate_open first
wait_first
expect_status "first run finishes" 0 "all 4 generations done"
lock_gone "$dir" "after a finished run"

# PMCABC_LOCK_WAIT: the second run waits for the first, then continues its
# run (one more generation). The first goes on once the second says it waits.
dir="$WORK/wait"
start_first "$dir"
PMCABC_LOCK_WAIT=120 "$PMCABC" run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir" \
    --set run.generations=5 >"$WORK/second.out" 2>&1 &
second=$!
wait_until "$second" 300 grep -qF "waiting up to 120 s" "$WORK/second.out" ||
    fail "the second run did not say it waits"
gate_open first
wait "$second"
RC=$?
cp "$WORK/second.out" "$WORK/out"
expect_status "PMCABC_LOCK_WAIT=120: waits, then resumes" 0 "resuming from generation 3"
grep -qF "waiting up to 120 s" "$WORK/out" || fail "waiting run did not say it waits"
wait "$first" || fail "first run (waited for) exited $?"
[ -e "$dir/gen-0004.h5" ] && pass "waiting run computed generation 4" || fail "no gen-0004.h5"
lock_gone "$dir" "after the waiting run"

# Stale locks, written by hand: a dead pid on this host, and another host's
# lock whose flock nobody holds. Both are taken over with a warning.
dir="$WORK/stale"
mkdir -p "$dir"
sleep 0 & dead=$!; wait "$dead"
echo "$host $dead 1700000000" >"$dir/.lock"
pmc 1 run "$WORK/l.ini" --set run.checkpoint_dir="$dir"
expect_status "stale lock (dead pid) taken over" 0 "taking over the stale lock $dir/.lock (host $host, pid $dead"
grep -qF "that process is not running" "$WORK/out" || fail "stale lock: no reason given"
lock_gone "$dir" "after a stale-lock run"
dir="$WORK/stale2"
mkdir -p "$dir"
echo "node-elsewhere 4242 1700000000" >"$dir/.lock"
pmc 1 run "$WORK/l.ini" --set run.checkpoint_dir="$dir"
expect_status "stale lock (other host, flock free) taken over" 0 "no running process holds it"
lock_gone "$dir" "after taking over another host's stale lock"

# kill -9 of the holder: the next run takes the lock over and finishes.
dir="$WORK/killed"
start_first "$dir"
kill -9 "$first"; wait "$first" 2>/dev/null
[ -e "$dir/.lock" ] || fail "kill -9: the lock file should still be there"
pmc 1 run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "after kill -9: lock taken over, run finished" 0 "taking over the stale lock"
lock_gone "$dir" "after resuming a killed run"

# kill -9 at the lock step itself, then a restart at once (no wait): after
# the lock file was created but before its flock, and after the flock but
# before the owner line. Either way no process holds the flock: the restart
# takes the empty lock file over and finishes (it used to be refused for 5 s
# as "owner unknown").
for moment in created locked; do
    dir="$WORK/killed-$moment"
    PMC_TEST_LOCK_KILL=$moment pmc 1 run "$WORK/l.ini" --set run.checkpoint_dir="$dir"
    [ "$RC" -eq 137 ] && [ -e "$dir/.lock" ] && [ ! -s "$dir/.lock" ] &&
        pass "killed at the lock step ($moment): empty lock file left" ||
        fail "PMC_TEST_LOCK_KILL=$moment: exit $RC, lock file: $(ls -l "$dir/.lock" 2>&1)"
    pmc 1 run "$WORK/l.ini" --set run.checkpoint_dir="$dir"
    expect_status "restart right after a kill at the lock step ($moment)" 0 \
        "taking over the stale lock $dir/.lock (owner unknown: the lock file holds no 'HOST PID START' line): no running process holds it"
    grep -qF "all 4 generations done" "$WORK/out" || fail "restart after the kill ($moment) did not finish"
    lock_gone "$dir" "after the restart ($moment)"
done

# The lock is released on every other exit: 75 (time limit), 1 (I/O error), 2.
# The limit 1.5 s stops the run 0.5 s in, before its 2.3 s of sleep.
dir="$WORK/exits"
pmc 2 run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir" --time-limit 1.5
expect_status "time limit -> 75" 75 "interrupted"
lock_gone "$dir" "after exit 75"
PMC_TEST_FAIL_AT=rename pmc 2 run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir"
expect_status "injected rename failure -> 1" 1 "rename: Input/output error"
lock_gone "$dir" "after exit 1"
pmc 1 run "$WORK/l.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/two" --set run.seed=8
expect_status "changed seed -> 2" 2 "different configuration"
lock_gone "$WORK/two" "after exit 2"
finish

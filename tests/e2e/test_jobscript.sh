#!/bin/bash
# jobs/pmc.slurm without a Slurm cluster: fake srun, squeue and scontrol on
# PATH (srun runs the command on one rank and relays signals; with
# FAKE_HYDRA=1 it exits 0 after relaying one, as mpiexec.mpich 4.0.2 often
# does), the real pmcabc behind the test_gate model where a job must be
# signalled while it runs. Checks (docs/slurm.md): the state from `pmcabc
# inspect` overrules a launcher's 0; PMCABC_LOCK_WAIT for restarts; signals
# trapped before squeue; an unreadable end time; PMC_TIME_MARGIN units and
# errors; the $SLURM_SUBMIT_DIR and PATH fallbacks of PMCABC; no requeue
# without useful time or without progress.
. "$(dirname "$0")/common.sh"

JOB_SCRIPT="$PMC_SOURCE_DIR/jobs/pmc.slurm"
BIN="$WORK/bin"
mkdir -p "$BIN"
cat >"$BIN/srun" <<'EOF'
#!/bin/bash
# Fake srun: skips its options, runs the command, relays USR1 and TERM.
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done
echo "$*" >>"$FAKE_DIR/srun.calls"
"$@" &
child=$!
signalled=0
trap 'signalled=1; kill -USR1 $child' USR1
trap 'signalled=1; kill -TERM $child' TERM
while :; do
    signalled_before=$signalled
    wait "$child"
    rc=$?
    [ "$signalled" != "$signalled_before" ] || break
done
[ "${FAKE_HYDRA:-0}" = 1 ] && [ "$signalled" = 1 ] && exit 0
exit "$rc"
EOF
cat >"$BIN/squeue" <<'EOF'
#!/bin/bash
# Fake squeue: prints FAKE_SQUEUE_OUT; with FAKE_SQUEUE_BLOCK=1 first says
# it runs (FAKE_DIR/in-squeue) and waits for FAKE_DIR/squeue-go.
if [ "${FAKE_SQUEUE_BLOCK:-0}" = 1 ]; then
    touch "$FAKE_DIR/in-squeue"
    for _ in $(seq 1 6000); do [ -e "$FAKE_DIR/squeue-go" ] && break; sleep 0.01; done
fi
printf '%s\n' "${FAKE_SQUEUE_OUT-}"
EOF
cat >"$BIN/scontrol" <<'EOF'
#!/bin/bash
echo "$*" >>"$FAKE_DIR/scontrol.calls"
EOF
chmod +x "$BIN/srun" "$BIN/squeue" "$BIN/scontrol"
export PATH="$BIN:$PATH" FAKE_DIR="$WORK/fake"
iso() { date -d "@$(($(date +%s) + $1))" +%FT%T; }

make_config j
ck="$WORK/j.ck"
# job NAME [ARGS...]: runs the job script in $WORK as job 42 (in the
# background: pid in $jobpid; `job_wait` collects it). Environment from the
# caller (FAKE_*, PMC_*, SLURM_RESTART_COUNT...).
job() {
    local name=$1
    shift
    rm -rf "$FAKE_DIR"
    mkdir -p "$FAKE_DIR"
    LOG="$WORK/$name.log"
    (cd "$WORK" && SLURM_JOB_ID=42 SLURM_NTASKS=1 PMCABC="${PMCABC_JOB:-$PMCABC}" \
        exec bash "$JOB_SCRIPT" "$WORK/j.ini" "$@") >"$LOG" 2>&1 &
    jobpid=$!
}
job_wait() { wait "$jobpid"; RC=$?; }
run_job() { job "$@"; job_wait; }
# expect_job NAME CODE TEXT...: exit code and lines (fixed strings) of $LOG.
expect_job() {
    local name=$1 code=$2 t ok=1
    shift 2
    [ "$RC" = "$code" ] || { fail "$name: exit $RC, expected $code"; ok=0; }
    for t in "$@"; do
        grep -qF -- "$t" "$LOG" || { fail "$name: log lacks '$t'"; ok=0; }
    done
    [ "$ok" = 1 ] && pass "$name" || sed 's/^/    /' "$LOG" >&2
}
lacks() { ! grep -qF -- "$2" "$LOG" && pass "$1" || fail "$1: log has '$2'"; }
calls() { cat "$FAKE_DIR/$1.calls" 2>/dev/null; }
log_has() { grep -qF -- "$1" "$LOG"; }

# A finished run: later jobs on it start pmcabc, which exits 0 at once.
"$PMCABC" run "$WORK/j.ini" >"$WORK/out" 2>&1
RC=$?
expect_status "reference run" 0 "all 4 generations done"

# The time limit from squeue's end time; the state read before and after.
FAKE_SQUEUE_OUT=$(iso 3600) run_job plain
expect_job "plain job on a finished run" 0 "(margin 30 s)" "run state before: finished: finished" \
    "run state after: finished: finished" "pmc.slurm [" "] finished"
limit=$(sed -n 's/.*: --time-limit \([0-9]*\) (margin 30 s)$/\1/p' "$LOG")
[ "${limit:-0}" -ge 3560 ] && [ "$limit" -le 3570 ] && pass "--time-limit 3570 minus the start-up" ||
    fail "--time-limit '$limit', expected 3560..3570"
[ -z "$(calls scontrol)" ] && pass "plain job: no scontrol call" || fail "plain job called scontrol $(calls scontrol)"

# A run that stops at its max_simulations exits 0 and is finished for
# inspect (budget_reached): the job ends, nothing is requeued.
PMC_TIME_MARGIN=off run_job budget --set run.checkpoint_dir="$WORK/jb.ck" --set run.generations=50 \
    --set run.max_simulations=1500
expect_job "a run stopped by max_simulations: finished" 0 "stopping: max_simulations = 1500 is reached" \
    "run state after: finished: finished" "] finished"
lacks "max_simulations: no WARNING" "WARNING"
[ -z "$(calls scontrol)" ] && pass "max_simulations: no requeue" || fail "max_simulations: scontrol '$(calls scontrol)'"

# A simulator program as the model (issue 19): the script runs it unchanged.
PMC_TIME_MARGIN=off run_job command --set run.checkpoint_dir="$WORK/jc.ck" --set run.generations=2 \
    --set model.name=command \
    --set "model.command=$PMC_PYTHON $PMC_SOURCE_DIR/examples/command_python/simulator.py {data}"
expect_job "a command model under the job script" 0 "posterior: generation 1" \
    "run state after: finished: finished" "] finished"

# (d) PMC_TIME_MARGIN: seconds or s/m/h, decimal even with a leading zero;
# anything else is bad usage (exit 2) before anything runs.
for m in "30s:30" "2m:120" "1h:3600" "08:8"; do
    PMC_TIME_MARGIN=${m%%:*} FAKE_SQUEUE_OUT=$(iso 7200) run_job margin
    expect_job "PMC_TIME_MARGIN=${m%%:*}" 0 "(margin ${m##*:} s)"
done
for m in 30x abc -5 1.5 12345678; do
    PMC_TIME_MARGIN=$m FAKE_SQUEUE_OUT=$(iso 3600) run_job badmargin
    expect_job "PMC_TIME_MARGIN=$m refused" 2 \
        "ERROR: PMC_TIME_MARGIN=$m: expected seconds (30, 30s, 2m, 1h) or off (exit 2)"
    [ -z "$(calls srun)" ] && pass "PMC_TIME_MARGIN=$m: srun not started" || fail "PMC_TIME_MARGIN=$m: srun ran"
done

# (c) No end time: no --time-limit and a message saying so, not "less than
# the margin" (date -d "" is today's midnight).
for out in "" "Unknown" "N/A"; do
    FAKE_SQUEUE_OUT=$out run_job noend
    expect_job "squeue printed '$out'" 0 \
        "cannot read the job's end time (squeue -j 42 -o %e printed '$out'): no --time-limit, relying on the signal only"
    grep -qE -- '--time-limit [0-9]' "$LOG" && fail "squeue printed '$out': pmcabc got a --time-limit" ||
        pass "squeue printed '$out': no --time-limit passed"
done
SLURM_JOB_END_TIME=soon FAKE_SQUEUE_OUT=$(iso 600) run_job badenv
expect_job "SLURM_JOB_END_TIME=soon ignored, squeue used" 0 \
    "SLURM_JOB_END_TIME='soon' is not a time in seconds: ignored" "(margin 30 s)"

# (f) Less than the margin + 10 s left: exit 2 at once, no srun, no requeue.
FAKE_SQUEUE_OUT=$(iso 35) run_job short
expect_job "35 s left with a 30 s margin" 2 \
    "less than PMC_TIME_MARGIN=30 s + 10 s, no time for useful work; not started, not requeued"
[ -z "$(calls srun)$(calls scontrol)" ] && pass "short job: neither srun nor scontrol" ||
    fail "short job: srun '$(calls srun)', scontrol '$(calls scontrol)'"

# (e) PMCABC relative: the working directory, then $SLURM_SUBMIT_DIR; a bare
# name also in PATH.
mkdir -p "$WORK/submit/bin"
ln -s "$PMCABC" "$WORK/submit/bin/pmcabc"
PMCABC_JOB=bin/pmcabc SLURM_SUBMIT_DIR="$WORK/submit" PMC_TIME_MARGIN=off run_job submitdir
expect_job "relative PMCABC found in SLURM_SUBMIT_DIR" 0 "binary $WORK/submit/bin/pmcabc," \
    "starting: srun --mpi=pmi2 $WORK/submit/bin/pmcabc run"
ln -s "$PMCABC" "$BIN/pmcabc-test"
PMCABC_JOB=pmcabc-test PMC_TIME_MARGIN=off run_job pathname
expect_job "bare PMCABC name found in PATH" 0 "binary $BIN/pmcabc-test,"
PMCABC_JOB=bin/none SLURM_SUBMIT_DIR="$WORK/submit" run_job nobinary
expect_job "missing binary" 2 "pmcabc binary '$WORK/bin/none' not found or not executable"

# (b) A signal while squeue runs (before pmcabc started): logged, pmcabc not
# started; USR1 requeues, TERM leaves it to Slurm. Not bash's death (138).
for sig in USR1 TERM; do
    FAKE_SQUEUE_BLOCK=1 FAKE_SQUEUE_OUT=$(iso 3600) job early
    wait_until "$jobpid" 60 test -e "$FAKE_DIR/in-squeue" || fail "early $sig: the job never ran squeue"
    # Pending once kill returns; bash runs the trap when squeue has ended.
    kill -"$sig" "$jobpid"
    touch "$FAKE_DIR/squeue-go"
    job_wait
    grep -qF "received SIG$sig before pmcabc started: not starting it" "$LOG" &&
        pass "early $sig: logged" || fail "early $sig: no 'received SIG$sig before pmcabc started' line"
    if [ "$sig" = USR1 ]; then
        expect_job "SIGUSR1 during squeue: requeued" 75 "requeueing job 42 (restart 1 of at most 10)"
        [ "$(calls scontrol)" = "requeue 42" ] && pass "early USR1: scontrol requeue 42" ||
            fail "early USR1: scontrol calls '$(calls scontrol)'"
    else
        expect_job "SIGTERM during squeue: left to Slurm" 75 "checkpoint saved after SIGTERM; not requeueing"
        [ -z "$(calls scontrol)" ] && pass "early TERM: no scontrol" || fail "early TERM: scontrol '$(calls scontrol)'"
    fi
    [ -z "$(calls srun)" ] && pass "early $sig: srun not started" || fail "early $sig: srun ran '$(calls srun)'"
done

# A launcher that exits 0 after relaying USR1 although pmcabc exited 75: the
# state (partial) makes it an interruption, requeued. A new run, held at the
# gate from its first simulation, so the signal always comes mid-generation.
rm -rf "$ck"
gate_new g1
PMC_TEST_GATE="$WORK/g1.gate" FAKE_HYDRA=1 PMC_TIME_MARGIN=off job hydra "${GATE_MODEL[@]}"
wait_until "$jobpid" 300 gate_waiting g1 || fail "hydra job: pmcabc never reached the gate"
kill -USR1 "$jobpid"
job_wait
expect_job "launcher exit 0 after USR1, run partial: requeued" 75 "pmcabc exited with code 0" \
    "run state before: error: $ck: No such file or directory" \
    "WARNING: the launcher exited 0 but the run is not finished (partial: partial generation 0 with " \
    "slots): treating it as interrupted (exit 75)" \
    "requeueing job 42"
[ "$(calls scontrol)" = "requeue 42" ] && pass "hydra: scontrol requeue 42" || fail "hydra: scontrol '$(calls scontrol)'"

# (f) A restart that saves nothing (a pmcabc that stops at once, as with
# a slot longer than the job): not requeued again, exit 1. Restarts also get
# PMCABC_LOCK_WAIT=300.
cat >"$BIN/pmcabc-stuck" <<EOF
#!/bin/bash
[ "\$1" = run ] && { echo "stuck: exit 75 without saving a slot"; exit 75; }
exec "$PMCABC" "\$@"
EOF
chmod +x "$BIN/pmcabc-stuck"
PMCABC_JOB="$BIN/pmcabc-stuck" SLURM_RESTART_COUNT=1 PMC_TIME_MARGIN=off run_job noprogress "${GATE_MODEL[@]}"
expect_job "restart without progress: not requeued" 1 \
    "restart: PMCABC_LOCK_WAIT=300 (pmcabc waits up to 300 s for the previous run's lock)" \
    "pmcabc exited with code 75" \
    "ERROR: no progress in this job: the run is still 'partial: partial generation 0 with " \
    "slots'; not requeued (give the job a longer --time, then sbatch again to resume) (exit 1)"
[ -z "$(calls scontrol)" ] && pass "no progress: no scontrol" || fail "no progress: scontrol '$(calls scontrol)'"

# (a) A restart finds the lock still held (the previous run exiting, a lost
# node's NFS lock): pmcabc waits (PMCABC_LOCK_WAIT=300 by default) and goes
# on once it is free. A user's PMCABC_LOCK_WAIT is kept.
echo "$(hostname) 999999 1700000000" >"$ck/.lock"
hold_lock() { (exec 8>>"$ck/.lock" && flock -x 8 && exec sleep 300) >/dev/null 2>&1 & holder=$!; }
hold_lock
wait_until "$holder" 60 eval '! flock -n "$ck/.lock" true' || fail "flock did not take the lock"
PMCABC_LOCK_WAIT=0 SLURM_RESTART_COUNT=1 PMC_TIME_MARGIN=off run_job userwait "${GATE_MODEL[@]}"
expect_job "restart with PMCABC_LOCK_WAIT=0 (the user's): refused" 2 "is in use by another pmcabc run"
lacks "the user's PMCABC_LOCK_WAIT kept" "restart: PMCABC_LOCK_WAIT=300"
SLURM_RESTART_COUNT=2 PMC_TIME_MARGIN=off job lockwait "${GATE_MODEL[@]}"
wait_until "$jobpid" 300 log_has "waiting up to 300 s (PMCABC_LOCK_WAIT)" || fail "lockwait: pmcabc did not wait for the lock"
kill "$holder"
job_wait
expect_job "restart waits for the lock, then finishes" 0 "taking over the stale lock" "all 4 generations done" \
    "run state after: finished: finished" "] finished"

finish

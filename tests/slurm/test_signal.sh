#!/bin/bash
# 1. A job with --signal=B:USR1@90 checkpoints on the warning, requeues
#    itself and finishes with the results of an uninterrupted run.
# 2. scancel (no requeue) leaves a valid checkpoint; a later job resumes it to
#    the same results.
# Neither races the clock: the jobs' simulations wait at a gate (test_gate
# plugin) that only the signal or the test opens, so no job can finish
# before its signal, however fast the machine.
. "$(dirname "$0")/common.sh"
requires_resume

gate_config signal
gate_config cancel
start_cluster
direct_run signal || finish

# 1. Time-limit warning. PMC_TIME_MARGIN=off: no --time-limit, the signal alone.
# Slurm sends it at its first 30-s check within 30 s of the asked moment (90 s
# before the end, i.e. at 90 s), so at 60-90 s here; the brief allows a minute
# either way: 30-150 s, after pmcabc has started and 30 s before the 3-min limit.
# The gate closes 10 simulations per rank after gen-0000.h5 (mid-generation 1)
# and stays closed until USR1 reaches the ranks.
ck="$WORK/signal/job.ck"
gate_at signal "$ck/gen-0000.h5" 10
job=$(submit signal --ntasks=2 --time=3 --signal=B:USR1@90 \
    --export="$(gate_env signal PMC_TIME_MARGIN=off)" -- "$WORK/signal/signal.ini") ||
    { fail "sbatch failed"; finish; }
note "submitted job $job (3 min limit, USR1 90 s before)"
if wait_gate signal "$ck/gen-0000.h5" 120 "$job" && wait_log signal "received SIGUSR1" 240 "$job"; then
    note "job $job: USR1 arrived"
    # Open the gate for the requeued run only once this one has stopped.
    wait_log signal "pmcabc exited with code" 120 "$job" && gate_open signal
else
    gate_open signal
fi
wait_job "$job" 300
restarts=$(job_field "$job" Restarts)
if [ "$JOB_STATE" = COMPLETED ] && [ "${restarts:-0}" -ge 1 ]; then
    pass "job $job COMPLETED after $restarts self-requeue(s)"
else
    fail "job $job: state $JOB_STATE, restarts $restarts, expected COMPLETED after >= 1 restart"
    show_log signal
fi
grep -q "received SIGUSR1" "$WORK/signal/job.log" || fail "job log lacks the USR1 warning"
grep -q "pmcabc exited with code 75" "$WORK/signal/job.log" || fail "pmcabc did not exit 75 on USR1"
grep -q "checkpoint saved; requeueing job $job" "$WORK/signal/job.log" || fail "the job never requeued itself"
expect_resumed signal 1
same_gens "$ck" "$WORK/signal/direct.ck" "USR1 + self-requeue vs uninterrupted mpiexec"

# 2. scancel at the start of generation 2, then a new job on the same config.
ck="$WORK/cancel/job.ck"
gate_at cancel "$ck/gen-0001.h5"
j1=$(submit cancel --ntasks=2 --export="$(gate_env cancel)" -- "$WORK/cancel/cancel.ini") ||
    { fail "sbatch failed"; finish; }
if wait_gate cancel "$ck/gen-0001.h5" 120 "$j1"; then
    scancel "$j1"
    note "cancelled job $j1 with $(count_gens "$ck") generation files"
fi
wait_job "$j1" 60
if [ "$JOB_STATE" = CANCELLED ] && [ "$(job_field "$j1" Restarts)" = 0 ]; then
    pass "job $j1 CANCELLED, not requeued"
else
    fail "job $j1: state $JOB_STATE, restarts $(job_field "$j1" Restarts), expected CANCELLED, 0"
fi
grep -q "pmcabc exited with code 75" "$WORK/cancel/job.log" ||
    { fail "pmcabc did not exit 75 on scancel's SIGTERM"; show_log cancel; }
for f in "$ck"/gen-*.h5; do
    "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$f" >/dev/null || fail "$f is not a valid generation file"
done
gate_open cancel
j2=$(submit cancel --ntasks=2 --export="$(gate_env cancel)" -- "$WORK/cancel/cancel.ini") ||
    { fail "sbatch failed"; finish; }
note "resubmitted as job $j2"
wait_job "$j2" 240
[ "$JOB_STATE" = COMPLETED ] || { fail "resumed job $j2: state $JOB_STATE, expected COMPLETED"; show_log cancel; }
expect_resumed cancel 1
same_gens "$ck" "$WORK/signal/direct.ck" "scancel + resubmit vs uninterrupted mpiexec"
finish

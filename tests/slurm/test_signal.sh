#!/bin/bash
# 1. A job with a 1-minute limit and --signal=B:USR1@30 checkpoints on the
#    warning, requeues itself and finishes with the results of an
#    uninterrupted run (Slurm sends the warning up to 60 s early, so with a
#    30-45 s run every attempt is warned at least once).
# 2. scancel (no requeue) leaves a valid checkpoint; a later job resumes it to
#    the same results.
. "$(dirname "$0")/common.sh"
requires_resume

slow_config signal
slow_config cancel
start_cluster
direct_run signal || finish

# 1. Time-limit warning. PMC_TIME_MARGIN=off: no --time-limit, the signal alone.
job=$(submit signal --ntasks=2 --time=1 --signal=B:USR1@30 --export=ALL,PMC_TIME_MARGIN=off \
    -- "$WORK/signal/signal.ini") || { fail "sbatch failed"; finish; }
note "submitted job $job (1 min limit, USR1 30 s before)"
wait_job "$job" 300
restarts=$(job_field "$job" Restarts)
if [ "$JOB_STATE" = COMPLETED ] && [ "${restarts:-0}" -ge 1 ]; then
    pass "job $job COMPLETED after $restarts self-requeue(s)"
else
    fail "job $job: state $JOB_STATE, restarts $restarts, expected COMPLETED after >= 1 restart"
    show_log signal
fi
grep -q "received SIGUSR1" "$WORK/signal/job.log" || fail "job log lacks the USR1 warning"
grep -q "checkpoint saved; requeueing job $job" "$WORK/signal/job.log" || fail "the job never requeued itself"
expect_resumed signal 1
same_gens "$WORK/signal/job.ck" "$WORK/signal/direct.ck" "USR1 + self-requeue vs uninterrupted mpiexec"

# 2. scancel, then a new job on the same config.
ck="$WORK/cancel/job.ck"
j1=$(submit cancel --ntasks=2 -- "$WORK/cancel/cancel.ini") || { fail "sbatch failed"; finish; }
if wait_state "$j1" RUNNING 60 && wait_gens "$ck" 2 90 "$j1"; then
    sleep 1
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
j2=$(submit cancel --ntasks=2 -- "$WORK/cancel/cancel.ini") || { fail "sbatch failed"; finish; }
note "resubmitted as job $j2"
wait_job "$j2" 240
[ "$JOB_STATE" = COMPLETED ] || { fail "resumed job $j2: state $JOB_STATE, expected COMPLETED"; show_log cancel; }
expect_resumed cancel 1
same_gens "$ck" "$WORK/signal/direct.ck" "scancel + resubmit vs uninterrupted mpiexec"
finish

#!/bin/bash
# A job preempted three times with `scontrol requeue` (mid-generation, right
# after a generation file, mid-generation again) comes back each time, resumes
# from its checkpoint and ends COMPLETED with the generation files of an
# uninterrupted run.
. "$(dirname "$0")/common.sh"
requires_resume

slow_config requeue
start_cluster
direct_run requeue || finish

ck="$WORK/requeue/job.ck"
job=$(submit requeue --ntasks=2 -- "$WORK/requeue/requeue.ini") || { fail "sbatch failed"; finish; }
note "submitted job $job"
n=0
# "GENS DELAY": requeue DELAY seconds after the directory holds GENS files.
for spec in "1 1.0" "3 0" "5 2.5"; do
    set -- $spec
    wait_restarted "$job" "$n" 120 || break
    wait_gens "$ck" "$1" 120 "$job" || break
    sleep "$2"
    if scontrol requeue "$job"; then
        n=$((n + 1))
        note "requeue $n: $(count_gens "$ck") generation files"
    else
        fail "scontrol requeue $job failed (state $(job_field "$job" JobState))"
        break
    fi
done

wait_job "$job" 240
restarts=$(job_field "$job" Restarts)
if [ "$JOB_STATE" = COMPLETED ] && [ "$restarts" = 3 ]; then
    pass "job $job COMPLETED after 3 requeues"
else
    fail "job $job: state $JOB_STATE, restarts $restarts, expected COMPLETED, 3"
    show_log requeue
fi
for r in 0 1 2 3; do
    grep -q "restart $r " "$WORK/requeue/job.log" || fail "job log lacks the start of restart $r"
done
grep -q "pmcabc exited with code 75" "$WORK/requeue/job.log" ||
    { fail "pmcabc never exited 75 on a requeue's SIGTERM"; show_log requeue; }
expect_resumed requeue 3
same_gens "$ck" "$WORK/requeue/direct.ck" "3 requeues vs uninterrupted mpiexec"
finish

#!/bin/bash
# A job preempted three times with `scontrol requeue` (mid-generation 1, at
# the start of generation 3 right after gen-0002.h5, mid-generation 5) comes
# back each time, resumes from its checkpoint and ends COMPLETED with the
# generation files of an uninterrupted run. Each requeue hits a job whose
# simulations wait at the test_gate plugin's gate, which the requeue's
# SIGTERM opens: the job cannot finish or move past that point first,
# however fast or slow the machine.
. "$(dirname "$0")/common.sh"
requires_resume

gate_config requeue 100 8
start_cluster
direct_run requeue || finish

ck="$WORK/requeue/job.ck"
# "GENERATION SKIP": the gate closes once gen-GENERATION.h5 exists and each rank
# has run SKIP more simulations. Each restart reads the point set before its
# requeue.
points=("0000 10" "0002 0" "0004 25")
set -- ${points[0]}
gate_at requeue "$ck/gen-$1.h5" "$2"
job=$(submit requeue --ntasks=2 --export="$(gate_env requeue)" -- "$WORK/requeue/requeue.ini") ||
    { fail "sbatch failed"; finish; }
note "submitted job $job"
n=0
for k in 0 1 2; do
    set -- ${points[$k]}
    wait_gate requeue "$ck/gen-$1.h5" 180 "$job" || break
    # The next point, for the restart (the waiting processes read theirs).
    [ "$k" -lt 2 ] && gate_at requeue "$ck/gen-${points[$((k + 1))]% *}.h5" "${points[$((k + 1))]#* }"
    if scontrol requeue "$job"; then
        n=$((n + 1))
        note "requeue $n: $(count_gens "$ck") generation files"
    else
        fail "scontrol requeue $job failed (state $(job_field "$job" JobState))"
        break
    fi
done
gate_open requeue

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
n75=$(grep -c "pmcabc exited with code 75" "$WORK/requeue/job.log")
[ "$n75" -eq 3 ] || { fail "pmcabc exited 75 $n75 times, expected once per requeue (3)"; show_log requeue; }
expect_resumed requeue 3
same_gens "$ck" "$WORK/requeue/direct.ck" "3 requeues vs uninterrupted mpiexec"
finish

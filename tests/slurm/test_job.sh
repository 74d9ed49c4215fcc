#!/bin/bash
# A plain `sbatch jobs/pmc.slurm CONFIG` job on 2 tasks completes and writes
# the same generation files as `mpiexec -n 2` of the same config.
. "$(dirname "$0")/common.sh"

make_config job
start_cluster

job=$(submit job --ntasks=2 -- "$WORK/job/job.ini") || { fail "sbatch failed"; finish; }
note "submitted job $job"
wait_job "$job" 120
if [ "$JOB_STATE" = COMPLETED ] && [ "$(job_field "$job" Restarts)" = 0 ]; then
    pass "job $job COMPLETED without restarts"
else
    fail "job $job: state $JOB_STATE, restarts $(job_field "$job" Restarts), expected COMPLETED, 0"
    show_log job
fi
grep -q "restart 0" "$WORK/job/job.log" || fail "job log lacks the restart count line"
grep -q "stopping: all 4 generations done" "$WORK/job/job.log" || { fail "job log lacks pmcabc's end line"; show_log job; }
# Both ranks ran under srun (log lines of rank 1 exist only with --verbose, so
# check the batch script's own record of the task count).
grep -q ", 2 tasks" "$WORK/job/job.log" || fail "job did not run 2 tasks"

direct_run job && same_gens "$WORK/job/job.ck" "$WORK/job/direct.ck" "sbatch vs mpiexec"
finish

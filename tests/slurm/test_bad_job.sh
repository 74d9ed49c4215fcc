#!/bin/bash
# Bad input fails the job at once: state FAILED, no restart, the reason in the
# job log — never a requeue loop.
. "$(dirname "$0")/common.sh"

make_config bad
make_config nockdir
sed -i 's/^particles = 200/particles = -5/' "$WORK/bad/bad.ini"
mkdir -p "$WORK/missing"
start_cluster

# expect_failed NAME JOB CODES FRAGMENT: FAILED, 0 restarts, exit code one of
# CODES (alternatives, a|b), FRAGMENT in the log.
expect_failed() {
    local name=$1 job=$2 codes=$3 frag=$4 restarts code ok=1
    wait_job "$job" 60 || { show_log "$name"; return; }
    restarts=$(job_field "$job" Restarts)
    code=$(job_field "$job" ExitCode)
    [[ "$code" =~ ^($codes)$ ]] || ok=0
    if [ "$JOB_STATE" != FAILED ] || [ "$restarts" != 0 ] || [ "$ok" = 0 ]; then
        fail "$name: state $JOB_STATE, restarts $restarts, exit $code; expected FAILED, 0, $codes"
        show_log "$name"
    elif ! grep -qF -- "$frag" "$WORK/$name/job.log"; then
        fail "$name: job log lacks '$frag'"
        show_log "$name"
    else
        pass "$name: FAILED at once (exit $code), log says '$frag'"
    fi
}

j1=$(submit bad -- "$WORK/bad/bad.ini")
j2=$(submit missing -- "$WORK/missing/nothere.ini")
j3=$(submit nockdir -- "$WORK/nockdir/nockdir.ini" --set run.checkpoint_dir=/dev/null/ck)
note "submitted $j1 $j2 $j3"
expect_failed bad "$j1" 2:0 "pmcabc: error: $WORK/bad/bad.ini:3: [run] particles"
expect_failed missing "$j2" 2:0 "config file '$WORK/missing/nothere.ini' not found"
# pmcabc reports a checkpoint directory it cannot create as an I/O error (1).
expect_failed nockdir "$j3" "1:0|2:0" "pmcabc: error: /dev/null/ck"
for n in bad missing nockdir; do
    grep -q "requeueing" "$WORK/$n/job.log" && fail "$n: the job tried to requeue itself"
done
finish

# shellcheck shell=bash
# Shared helpers of the Slurm tests (sourced). CTest sets PMCABC, PMC_MPIEXEC,
# PMC_NPFLAG, PMC_SOURCE_DIR and PMC_PYTHON. Each test runs its own single-node
# cluster (tests/slurm/cluster.sh) in a temporary STATE_DIR, holding the lock
# /tmp/pmcabc-slurm.lock because Slurm's ports are fixed; the cluster is
# stopped on any exit. Exit 77 = skipped (CTest SKIP_RETURN_CODE).
set -u
: "${PMCABC:?set by CTest}" "${PMC_SOURCE_DIR:?}" "${PMC_MPIEXEC:=mpiexec.mpich}" "${PMC_NPFLAG:=-n}"
: "${PMC_PYTHON:=/usr/bin/python3}"
export PMCABC PATH="$PATH:/usr/sbin"
SLURM_TESTS="$PMC_SOURCE_DIR/tests/slurm"
E2E_DIR="$PMC_SOURCE_DIR/tests/e2e"
JOB_SCRIPT="$PMC_SOURCE_DIR/jobs/pmc.slurm"
FAILURES=0
T0=$(date +%s)

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
note() { echo "[$(($(date +%s) - T0))s] $*"; }

# requires_resume: skips until pmcabc can resume a checkpoint directory.
requires_resume() {
    "$PMCABC" --help 2>&1 | grep -q -- --restart || skip "resume not implemented yet (pmcabc --help lacks --restart)"
}

# The workspace is where jobs write (checkpoints, logs): slurmd's job steps run
# as root on this node, so /tmp serves as the "shared" file system here.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pmc-slurm.XXXXXX")
chmod 755 "$WORK"
STATE_DIR="$WORK/cluster"
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -f "$STATE_DIR/slurm.conf" ]; then
        "$SLURM_TESTS/cluster.sh" stop "$STATE_DIR" >/dev/null
    fi
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -z "${PMC_KEEP:-}" ]; then
        echo "(workspace removed; set PMC_KEEP=1 to keep $WORK)" >&2
    fi
    [ -n "${PMC_KEEP:-}" ] || rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start_cluster: takes the machine-wide lock and starts the test cluster;
# exits 77 when this machine cannot run Slurm.
start_cluster() {
    local rc
    exec 9>/tmp/pmcabc-slurm.lock
    flock -w 900 9 || skip "another Slurm test cluster held /tmp/pmcabc-slurm.lock for 15 min"
    "$SLURM_TESTS/cluster.sh" start "$STATE_DIR"
    rc=$?
    [ "$rc" -eq 77 ] && skip "cluster.sh could not start Slurm (reason above)"
    [ "$rc" -eq 0 ] || { echo "FAIL: cluster.sh start exited $rc" >&2; exit 1; }
    export SLURM_CONF="$STATE_DIR/slurm.conf"
    note "cluster up"
}

# make_config NAME [KEY=VALUE lines...]: a small config in $WORK/NAME/NAME.ini,
# data next to it (data paths are relative to the config's directory).
make_config() {
    local name=$1
    shift
    mkdir -p "$WORK/$name"
    cp "$PMC_SOURCE_DIR/jobs/data/heights.csv" "$WORK/$name/heights.csv"
    cat >"$WORK/$name/$name.ini" <<EOT
[run]
seed = 11
particles = 200
generations = 4
checkpoint_dir = $WORK/$name/job.ck

[epsilon]
initial = inf
quantile = 0.5

[model]
name = gaussian
data = heights.csv

[prior]
mu = uniform(150, 200)
sigma = uniform(5, 25)
EOT
}

# direct_run NAME ARGS...: the reference run, same config, mpiexec on 2 ranks,
# into $WORK/NAME/direct.ck.
direct_run() {
    local name=$1
    shift
    note "direct run of $name"
    if ! "$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/$name/$name.ini" "$@" \
        --set run.checkpoint_dir="$WORK/$name/direct.ck" >"$WORK/$name/direct.log" 2>&1; then
        fail "direct run of $name failed:"
        sed 's/^/    /' "$WORK/$name/direct.log" >&2
        return 1
    fi
    note "direct run of $name done"
}

# submit NAME [SBATCH OPTIONS...] -- [pmc.slurm ARGS...]: prints the job id.
# Log in $WORK/NAME/job.log; submitted from the source tree.
submit() {
    local name=$1
    shift
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    sbatch --parsable --chdir="$PMC_SOURCE_DIR" --output="$WORK/$name/job.log" \
        --job-name="pmc-$name" "${opts[@]}" "$JOB_SCRIPT" "$@"
}

# job_field JOB FIELD: one field of `scontrol show job` (sacct may be absent).
job_field() {
    scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# release_requeued JOB: Slurm holds a requeued batch job for 120 s (BeginTime);
# the tests do not want to wait for that. But not at once: slurmd revokes the
# previous run's credential with a 1-second timestamp, and a relaunch within
# the same seconds fails ("Job credential revoked", job FAILED with exit 1).
# SubmitTime is reset by a requeue: release 3 s after it.
release_requeued() {
    local submitted
    [ "$(job_field "$1" JobState)" = PENDING ] && [ "$(job_field "$1" Reason)" = BeginTime ] || return 0
    submitted=$(date -d "$(job_field "$1" SubmitTime)" +%s 2>/dev/null) || return 0
    [ $(($(date +%s) - submitted)) -ge 3 ] || return 0
    scontrol update JobId="$1" StartTime=now >/dev/null 2>&1 && note "job $1: released requeued job"
}

# wait_job JOB TIMEOUT: until the job reaches a final state (in $JOB_STATE),
# releasing requeues at once.
wait_job() {
    local job=$1 timeout=$2 end state
    end=$(($(date +%s) + timeout))
    while [ "$(date +%s)" -lt "$end" ]; do
        state=$(job_field "$job" JobState)
        case "$state" in
            COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
                JOB_STATE=$state
                note "job $job: $state (restarts $(job_field "$job" Restarts), exit $(job_field "$job" ExitCode))"
                return 0 ;;
            PENDING) release_requeued "$job" ;;
        esac
        sleep 1
    done
    JOB_STATE=${state:-unknown}
    fail "job $job still '$JOB_STATE' after ${timeout}s"
    return 1
}

# wait_restarted JOB N TIMEOUT: until the job runs again after its Nth restart.
wait_restarted() {
    local job=$1 n=$2 end state restarts
    end=$(($(date +%s) + $3))
    while [ "$(date +%s)" -lt "$end" ]; do
        state=$(job_field "$job" JobState)
        restarts=$(job_field "$job" Restarts)
        [ "$state" = RUNNING ] && [ "${restarts:-0}" -ge "$n" ] && return 0
        [ "$state" = PENDING ] && release_requeued "$job"
        sleep 0.5
    done
    fail "job $job: state '$state' restarts '$restarts', expected RUNNING after restart $n within $3 s"
    return 1
}

# gate_config NAME [PARTICLES GENERATIONS]: make_config with the test_gate
# plugin (tests/models/test_gate.c; PMC_GATE_PLUGIN, set by CTest): the
# Gaussian model, whose simulations wait at a gate in $WORK/NAME/gate when a
# job runs with PMC_TEST_GATE=$WORK/NAME/gate (gate_env NAME). A job at the
# gate cannot finish before the test opens it (gate_open) or the job is
# signalled, however fast the machine: no test races the clock.
gate_config() {
    : "${PMC_GATE_PLUGIN:?set by CTest: the test_gate plugin}"
    make_config "$1"
    sed -i -e "s/^particles = 200/particles = ${2:-200}/" -e "s/^generations = 4/generations = ${3:-4}/" \
        -e "s|^name = gaussian|name = plugin\nplugin = $PMC_GATE_PLUGIN|" "$WORK/$1/$1.ini"
    mkdir -p "$WORK/$1/gate"
}

# gate_env NAME: the sbatch --export value that puts NAME's jobs behind its gate.
gate_env() { echo "ALL,PMC_TEST_GATE=$WORK/$1/gate${2:+,$2}"; }

# gate_at NAME PATH [SKIP]: processes started from now on close the gate once
# PATH exists and they have run SKIP more simulations (test_gate.c).
gate_at() { echo "$2 ${3:-0}" >"$WORK/$1/gate/at"; }

# gate_open NAME: every waiting simulation goes on, and none waits again.
gate_open() { touch "$WORK/$1/gate/open"; note "$1: gate opened"; }

# wait_for_job JOB TIMEOUT WHAT COMMAND...: until COMMAND succeeds, releasing
# JOB's requeues; fails, saying the job is not WHAT, when JOB has ended first
# or after TIMEOUT s (a bound for a broken run only).
wait_for_job() {
    local job=$1 end=$(($(date +%s) + $2)) what=$3 state
    shift 3
    while [ "$(date +%s)" -lt "$end" ]; do
        "$@" && return 0
        state=$(job_field "$job" JobState)
        case "$state" in
            PENDING) release_requeued "$job" ;;
            RUNNING | CONFIGURING | COMPLETING | REQUEUED | REQUEUE_HOLD | REQUEUE_FED) ;;
            *) "$@" && return 0
               fail "job $job ended ($state), not $what"; return 1 ;;
        esac
        sleep 0.2
    done
    fail "job $job: not $what after $2 s"
    return 1
}

# wait_gate NAME PATH TIMEOUT JOB: until a process of NAME's job waits at the
# gate set by `gate_at NAME PATH` (its DIR/waiting names PATH).
gate_is() { [ "$(cat "$WORK/$1/gate/waiting" 2>/dev/null)" = "$2" ]; }
wait_gate() {
    wait_for_job "$4" "$3" "waiting at the gate at $2" gate_is "$1" "$2" &&
        note "$1: job $4 waits at the gate ($2)"
}

# wait_log NAME TEXT TIMEOUT JOB: until the job log of NAME holds TEXT.
log_has() { grep -qF -- "$2" "$WORK/$1/job.log" 2>/dev/null; }
wait_log() { wait_for_job "$4" "$3" "with '$2' in its log" log_has "$1" "$2"; }

# wait_state JOB STATE TIMEOUT: until JobState is STATE (releasing requeues).
wait_state() {
    local job=$1 want=$2 end state
    end=$(($(date +%s) + $3))
    while [ "$(date +%s)" -lt "$end" ]; do
        state=$(job_field "$job" JobState)
        [ "$state" = "$want" ] && return 0
        [ "$state" = PENDING ] && release_requeued "$job"
        sleep 0.5
    done
    fail "job $job: state '$state', expected $want within $3 s"
    return 1
}

# count_gens DIR: the number of generation files in DIR.
count_gens() {
    local n=0 f
    for f in "$1"/gen-[0-9][0-9][0-9][0-9].h5; do [ -e "$f" ] && n=$((n + 1)); done
    echo "$n"
}

# wait_gens DIR N TIMEOUT JOB: until DIR holds at least N generation files.
gens_at_least() { [ "$(count_gens "$1")" -ge "$2" ]; }
wait_gens() { wait_for_job "$4" "$3" "with $2 generation files in $1" gens_at_least "$1" "$2"; }

# same_gens DIR_A DIR_B LABEL: both checkpoint directories hold identical
# generation files (tests/e2e/compare_gens.py).
same_gens() {
    local out
    if out=$("$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$1" "$2" 2>&1); then
        pass "$3: $out"
    else
        fail "$3: results differ: $out"
    fi
}

# expect_resumed NAME N: pmcabc's log in the job log says it resumed at least N times.
expect_resumed() {
    local n
    n=$(grep -c "resuming from generation" "$WORK/$1/job.log")
    [ "$n" -ge "$2" ] && pass "$1: pmcabc resumed $n time(s)" ||
        fail "$1: pmcabc resumed $n time(s), expected at least $2"
}

# show_log NAME: the job log, indented, on stderr.
show_log() {
    echo "---- job log $WORK/$1/job.log:" >&2
    sed 's/^/    /' "$WORK/$1/job.log" >&2 2>/dev/null
}

finish() {
    note "done"
    if [ "$FAILURES" -ne 0 ]; then
        echo "$FAILURES check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
    exit 0
}

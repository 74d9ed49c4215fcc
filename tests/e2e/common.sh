# Shared helpers of the end-to-end tests (sourced). CTest sets PMCABC,
# PMC_MPIEXEC, PMC_NPFLAG, PMC_SOURCE_DIR and PMC_PYTHON.
set -u
: "${PMCABC:?set by CTest}" "${PMC_SOURCE_DIR:?}" "${PMC_MPIEXEC:=mpiexec.mpich}" "${PMC_NPFLAG:=-n}"
: "${PMC_PYTHON:=/usr/bin/python3}"
E2E_DIR="$PMC_SOURCE_DIR/tests/e2e"
PMC_VERSION=$("$PMCABC" --version | sed -n '1s/^pmcabc //p')
FAILURES=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pmc-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }

# pmc NP ARGS...: runs pmcabc on NP ranks; output in $WORK/out, status in $RC.
pmc() {
    local np=$1; shift
    if [ "$np" = 1 ]; then
        "$PMCABC" "$@" >"$WORK/out" 2>&1
    else
        "$PMC_MPIEXEC" "$PMC_NPFLAG" "$np" "$PMCABC" "$@" >"$WORK/out" 2>&1
    fi
    RC=$?
}

# expect_status NAME CODE FRAGMENT: checks $RC and that the output contains FRAGMENT.
expect_status() {
    local name=$1 code=$2 frag=$3
    if [ "$RC" -ne "$code" ]; then
        fail "$name: exit $RC, expected $code; output:"; sed 's/^/    /' "$WORK/out" >&2
    elif ! grep -qF -- "$frag" "$WORK/out"; then
        fail "$name: output lacks '$frag'; output:"; sed 's/^/    /' "$WORK/out" >&2
    else
        pass "$name"
    fi
}

# A small, fast config in $WORK/NAME.ini; extra lines appended verbatim
# (later keys in the same section override nothing: use --set for that).
make_config() {
    local name=$1
    cp "$PMC_SOURCE_DIR/jobs/data/heights.csv" "$WORK/heights.csv"
    cat >"$WORK/$name.ini" <<EOT
[run]
seed = 7
particles = 200
generations = 4
checkpoint_dir = $WORK/$name.ck

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

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$FAILURES check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
    exit 0
}

# signal_ranks SIG PATTERN: sends SIG to the pmcabc rank processes whose
# command line contains PATTERN, not to mpiexec, as Slurm's srun does (when
# mpiexec itself is signalled too, its own exit code may win over the ranks').
signal_ranks() {
    local sig=$1 pattern=$2 p
    for p in $(pgrep -f -- "$pattern"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pmcabc ] && kill "-$sig" "$p" 2>/dev/null
    done
    return 0
}

# The test_gate plugin (tests/models/test_gate.c; PMC_GATE_PLUGIN, set by
# CTest): the Gaussian model, with `--set model.sleep_us=U` a sleep per
# simulation (a lower bound on a run's wall time on any machine), and behind
# PMC_TEST_GATE=DIR a gate that holds every simulation until DIR/open exists
# or the process gets a stop signal. Tests that must hit a run while it
# runs wait for the gate (DIR/waiting) instead of sleeping and hoping.
GATE_MODEL=(--set model.name=plugin --set "model.plugin=${PMC_GATE_PLUGIN:?set by CTest}")

# gate_new NAME [PATH [SKIP]]: a new gate $WORK/NAME.gate, closed from the
# first simulation, or once PATH exists and each process ran SKIP more.
gate_new() {
    mkdir -p "$WORK/$1.gate"
    [ -z "${2:-}" ] || echo "$2 ${3:-0}" >"$WORK/$1.gate/at"
}
gate_open() { touch "$WORK/$1.gate/open"; }
gate_waiting() { [ -e "$WORK/$1.gate/waiting" ]; }

# wait_until PID TIMEOUT COMMAND...: polls COMMAND until it succeeds. Returns
# 1 when process PID ended first (and COMMAND still fails) or after TIMEOUT s:
# a bound for a broken run only, as the runs waited for cannot end first.
# (Its locals have odd names: COMMAND may set variables of the caller.)
wait_until() {
    local wu_pid=$1 wu_end=$(($(date +%s) + $2))
    shift 2
    until "$@"; do
        if ! kill -0 "$wu_pid" 2>/dev/null; then "$@"; return; fi
        [ "$(date +%s)" -lt "$wu_end" ] || return 1
        sleep 0.02
    done
}

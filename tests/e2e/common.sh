# Shared helpers of the end-to-end tests (sourced). CTest sets PMCABC,
# PMC_MPIEXEC, PMC_NPFLAG, PMC_SOURCE_DIR and PMC_PYTHON.
set -u
: "${PMCABC:?set by CTest}" "${PMC_SOURCE_DIR:?}" "${PMC_MPIEXEC:=mpiexec.mpich}" "${PMC_NPFLAG:=-n}"
: "${PMC_PYTHON:=/usr/bin/python3}"
E2E_DIR="$PMC_SOURCE_DIR/tests/e2e"
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

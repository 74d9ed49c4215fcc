#!/bin/bash
# `pmcabc inspect` as scripts use it (jobs/pmc.slurm): it says when a running
# pmcabc holds the run directory's lock (text and JSON; a stale lock file is
# told apart), `--config FILE [--set ...]` inspects the directory `run FILE`
# would use, and `--json` prints one JSON object on stdout even when it fails,
# with the same exit code as the text form.
. "$(dirname "$0")/common.sh"

host=$(hostname)
make_config c
dir="$WORK/c.ck"
# jq-free JSON checks: json_get FILE EXPR prints the Python expression EXPR
# of the object r loaded from FILE (fails if stdout is not one JSON object).
json_get() { "$PMC_PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# expect_json NAME EXPR VALUE: checks EXPR on the JSON of the last pmc call.
expect_json() {
    local got
    got=$(json_get "$WORK/stdout" "$2" 2>&1)
    [ "$got" = "$3" ] && pass "$1" || fail "$1: $2 is '$got', expected '$3'; stdout: $(cat "$WORK/stdout")"
}
# pmc_json ARGS...: pmcabc on 1 rank, stdout alone in $WORK/stdout, stderr in $WORK/stderr.
pmc_json() { "$PMCABC" "$@" >"$WORK/stdout" 2>"$WORK/stderr"; RC=$?; }

# A run held at the gate once generation 1 is saved: it holds the lock, and
# inspect says so while still describing what is on disk.
gate_new run "$dir/gen-0001.h5"
PMC_TEST_GATE="$WORK/run.gate" "$PMCABC" run "$WORK/c.ini" "${GATE_MODEL[@]}" >"$WORK/run.out" 2>&1 &
runner=$!
wait_until "$runner" 300 gate_waiting run || fail "the run did not reach the gate after generation 1"
pmc 1 inspect "$dir"
expect_status "inspect a running run: text" 0 \
    "lock         held by a running pmcabc (host $host, pid $runner, started "
grep -qF "the run is in progress and its state above may change" "$WORK/out" &&
    pass "inspect text: the state may change" || fail "inspect text: no 'in progress' note: $(cat "$WORK/out")"
grep -qF "state        resumable at generation 2" "$WORK/out" &&
    pass "inspect text: the state on disk" || fail "inspect text: state: $(grep state "$WORK/out")"
pmc_json inspect "$dir" --json
[ "$RC" -eq 0 ] && pass "inspect --json running run: exit 0" || fail "inspect --json running run: exit $RC"
expect_json "inspect --json: lock status" 'r["lock"]["status"]' held
expect_json "inspect --json: lock pid" 'r["lock"]["pid"]' "$runner"
expect_json "inspect --json: lock host" 'r["lock"]["host"]' "$host"
expect_json "inspect --json: state still read" 'r["state"]["status"]' resumable
# The lock file is probed, never changed.
read -r before <"$dir/.lock"
pmc 1 inspect "$dir"
[ "$(cat "$dir/.lock")" = "$before" ] && pass "inspect leaves the lock file alone" || fail "inspect changed $dir/.lock"
gate_open run
wait "$runner"
RC=$?
cp "$WORK/run.out" "$WORK/out"
expect_status "the gated run finishes" 0 "all 4 generations done"

# After the run: no lock, no "lock" line or key.
pmc 1 inspect "$dir"
expect_status "inspect a finished run" 0 "state        finished"
grep -q '^lock ' "$WORK/out" && fail "inspect of a finished run prints a lock line: $(cat "$WORK/out")" ||
    pass "inspect of a finished run: no lock line"
pmc_json inspect "$dir" --json
expect_json "inspect --json finished run: no lock key" '"lock" in r' False

# A lock file nobody holds (the holder was killed): stale, named as such.
echo "$host 999999 1700000000" >"$dir/.lock"
pmc 1 inspect "$dir"
expect_status "inspect with a stale lock file" 0 \
    "lock         stale (host $host, pid 999999, started "
pmc_json inspect "$dir" --json
expect_json "inspect --json: stale lock" 'r["lock"]["status"], r["lock"]["pid"]' "('stale', 999999)"
rm -f "$dir/.lock"

# A run that holds the lock but saved nothing yet: the error says so.
mkdir -p "$WORK/new.ck"
: >"$WORK/new.ck/.lock"
# One process holding the flock (no child that would outlive the kill).
(exec 8>>"$WORK/new.ck/.lock" && flock -x 8 && exec sleep 300) >/dev/null 2>&1 &
holder=$!
wait_until "$holder" 60 eval '! flock -n "$WORK/new.ck/.lock" true' || fail "flock did not take the lock"
pmc_json inspect "$WORK/new.ck" --json
[ "$RC" -eq 2 ] && pass "inspect of a locked empty directory: exit 2" || fail "locked empty directory: exit $RC"
expect_json "inspect --json: locked empty directory" 'r["error"]' \
    "$WORK/new.ck: lock held by a running pmcabc (owner unknown: the lock file holds no 'HOST PID START' line), which has not saved a usable generation yet: $WORK/new.ck: no generation file (gen-NNNN.h5) and no partial-0000.h5: not a pmcabc run directory"
kill "$holder"
wait "$holder" 2>/dev/null

# --config: the directory of the config, after --set.
pmc_json inspect --config "$WORK/c.ini" --json
expect_json "inspect --config: path" 'r["path"], r["state"]["status"]' "('$dir', 'finished')"
pmc_json inspect --config "$WORK/c.ini" --set run.checkpoint_dir="$WORK/other.ck" --json
expect_json "inspect --config --set: the overridden directory" 'r["path"], r["exit"]' "('$WORK/other.ck', 2)"
pmc 1 inspect --config "$WORK/c.ini" --set run.checkpoint_dir="$WORK/other.ck"
expect_status "inspect --config --set, text: missing directory" 2 \
    "pmcabc: error: $WORK/other.ck: No such file or directory"

# --json failures: one object on stdout, the exit code of the text form,
# the message also on stderr.
check_json_error() {
    local name=$1 code=$2 path=$3 msg=$4
    shift 4
    pmc_json "$@"
    [ "$RC" -eq "$code" ] && pass "$name: exit $code" || fail "$name: exit $RC, expected $code"
    expect_json "$name: JSON error object" '"|".join(map(str, (r["path"], r["error"], r["exit"], sorted(r))))' \
        "$path|$msg|$code|['error', 'exit', 'path']"
    [ "$(cat "$WORK/stderr")" = "pmcabc: error: $msg" ] && pass "$name: stderr" ||
        fail "$name: stderr is '$(cat "$WORK/stderr")'"
}
check_json_error "inspect --json missing path" 2 "$WORK/none" \
    "$WORK/none: No such file or directory" inspect "$WORK/none" --json
check_json_error "inspect --json not a run directory" 2 "$WORK" \
    "$WORK: no generation file (gen-NNNN.h5) and no partial-0000.h5: not a pmcabc run directory" \
    inspect "$WORK" --json
check_json_error "inspect --json unknown option (before --json)" 2 None \
    "inspect: unknown option '--bogus' (expected --json, --config or --set)" inspect --bogus "$dir" --json
check_json_error "inspect --json without PATH" 2 None \
    "inspect: missing PATH (a run directory or a gen-NNNN.h5 / partial-NNNN.h5 file) or --config CONFIG.ini" \
    inspect --json
check_json_error "inspect --json PATH and --config" 2 None \
    "inspect: both PATH '$dir' and --config $WORK/c.ini: give one" inspect "$dir" --config "$WORK/c.ini" --json
check_json_error "inspect --json --set without --config" 2 None \
    "inspect: --set applies to --config CONFIG.ini only" inspect "$dir" --set run.seed=1 --json
check_json_error "inspect --json bad --set" 2 None \
    "--set: [run] seeds: 1: unknown key: expected one of seed, particles, generations, max_simulations, checkpoint_dir, checkpoint_interval, time_limit, keep_last, progress_interval" \
    inspect --config "$WORK/c.ini" --set run.seeds=1 --json
echo "not an hdf5 file" >"$WORK/gen-0000.h5"
pmc_json inspect "$WORK/gen-0000.h5" --json
[ "$RC" -eq 2 ] && pass "inspect --json damaged file: exit 2" || fail "damaged file: exit $RC"
expect_json "inspect --json damaged file: path and exit" 'r["path"], r["exit"]' "('$WORK/gen-0000.h5', 2)"
# On 2 ranks: one object (rank 0's), same code.
"$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" inspect "$WORK/none" --json >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
[ "$RC" -eq 2 ] && pass "inspect --json np=2 failure: exit 2" || fail "inspect --json np=2: exit $RC"
expect_json "inspect --json np=2: one object" 'r["exit"]' 2

finish

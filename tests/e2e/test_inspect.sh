#!/bin/bash
# Post-processing: `pmcabc inspect` (text, JSON checked against the HDF5
# files), tools/pmcabc-summary (same numbers as the C code), tools/pmcabc-plot
# (readable PNGs), damaged and foreign files (exit 2 naming the file), a run
# interrupted mid-generation (partial state), and that inspect changes nothing.
. "$(dirname "$0")/common.sh"

TOOLS="$PMC_SOURCE_DIR/tools"
# tool SCRIPT ARGS...: runs tools/SCRIPT; output in $WORK/out, status in $RC (as pmc).
tool() { local script=$1; shift; "$TOOLS/$script" "$@" >"$WORK/out" 2>&1; RC=$?; }
check() { "$PMC_PYTHON" "$E2E_DIR/inspect_check.py" "$@"; }
# Every file's bytes and name, hidden ones included.
digest() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
# inspect_unchanged NAME DIR ARGS...: runs `pmcabc ARGS` on 1 rank and
# checks DIR is byte-identical afterwards.
inspect_unchanged() {
    local name=$1 dir=$2; shift 2
    local before; before=$(digest "$dir")
    pmc 1 "$@"
    [ "$before" = "$(digest "$dir")" ] && pass "$name: $dir unchanged" || fail "$name: $dir changed"
}

make_config r
run="$WORK/r.ck"
pmc 1 run "$WORK/r.ini"
expect_status "reference run" 0 "all 4 generations done"
cp "$WORK/out" "$WORK/run.log"

# Text report: identity, state, one row per generation, posterior.
inspect_unchanged "inspect text" "$run" inspect "$run"
expect_status "inspect text" 0 "state        finished (generation 3 is the last of generations = 4)"
cp "$WORK/out" "$WORK/inspect.txt"
for frag in "model        gaussian" "parameters   mu, sigma" "seed         7" \
        "particles    200" "posterior: generation 3, N = 200" "  mu   " "  sigma   "; do
    grep -qF -- "$frag" "$WORK/inspect.txt" || fail "inspect text lacks '$frag'"
done
rows=$(grep -cE '^ +[0-3] +[0-9.einf]+ +[01]\.[0-9]{6} +[0-9.]+ +[0-9]+ +[0-9]+ +[0-9.]+  gen-000[0-3]\.h5$' \
       "$WORK/inspect.txt")
[ "$rows" -eq 4 ] && pass "inspect text: 4 generation rows" || fail "inspect text: $rows generation rows, expected 4"
# The posterior lines are the run log's (same function, same format).
sed -nE 's/^\[0 +[0-9.]+s\] (  (mu|sigma) .*)$/\1/p' "$WORK/run.log" >"$WORK/log-post.txt"
grep -E '^  (mu|sigma) ' "$WORK/inspect.txt" >"$WORK/insp-post.txt"
[ -s "$WORK/log-post.txt" ] && cmp -s "$WORK/log-post.txt" "$WORK/insp-post.txt" \
    && pass "inspect posterior lines == run log's" \
    || fail "inspect posterior lines differ from the run log's: $(diff "$WORK/log-post.txt" "$WORK/insp-post.txt")"

# JSON report against the HDF5 contents.
inspect_unchanged "inspect --json" "$run" inspect "$run" --json
expect_status "inspect --json" 0 '"status": "finished"'
cp "$WORK/out" "$WORK/c.json"
out=$(check h5 "$WORK/c.json" "$run") && pass "inspect --json == HDF5 contents" \
    || fail "inspect --json vs HDF5: $out"

# The Python summary: same JSON (1e-12 relative), same text.
before=$(digest "$run")
"$TOOLS/pmcabc-summary" "$run" --json >"$WORK/py.json" 2>&1 || fail "pmcabc-summary --json: exit $?"
out=$(check same "$WORK/c.json" "$WORK/py.json") && pass "pmcabc-summary --json == inspect --json" \
    || fail "pmcabc-summary --json vs inspect --json: $out"
"$TOOLS/pmcabc-summary" "$run" >"$WORK/py.txt" 2>&1 || fail "pmcabc-summary: exit $?"
cmp -s "$WORK/inspect.txt" "$WORK/py.txt" && pass "pmcabc-summary text == inspect text" \
    || fail "pmcabc-summary text differs: $(diff "$WORK/inspect.txt" "$WORK/py.txt")"
[ "$before" = "$(digest "$run")" ] && pass "pmcabc-summary: $run unchanged" || fail "pmcabc-summary changed $run"

# The reader is importable from tools/ and agrees on the quantile definition:
# with weights 0.25 each on 1..4, q = 0.5 is reached at 2 exactly.
"$PMC_PYTHON" - "$TOOLS" <<'EOF' && pass "pmcabc_read importable, quantile definition" || fail "pmcabc_read quantile"
import sys
sys.path.insert(0, sys.argv[1])
import pmcabc_read as pr
w = [0.25] * 4
assert pr.weighted_quantile([4, 2, 3, 1], w, 0.5) == 2
assert pr.weighted_quantile([4, 2, 3, 1], w, [0.05, 0.95]) == [1, 4]
assert pr.weighted_quantile([5, 7], [0.5, 0.5], 0.75) == 7
EOF

# One generation file: its own state.
pmc 1 inspect "$run/gen-0002.h5"
expect_status "inspect one gen file" 0 "state        resumable at generation 3"
grep -qF "posterior: generation 2" "$WORK/out" || fail "inspect gen-0002.h5: no posterior of generation 2"

# Several ranks: rank 0 prints once, all exit alike.
pmc 2 inspect "$run"
expect_status "inspect on 2 ranks" 0 "state        finished"
n=$(grep -c '^posterior:' "$WORK/out")
[ "$n" -eq 1 ] && pass "inspect on 2 ranks prints once" || fail "inspect on 2 ranks: $n reports"

# Plots: 3 readable PNGs, paths printed; the run directory untouched.
before=$(digest "$run")
"$TOOLS/pmcabc-plot" "$run" --out "$WORK/plots" --truth mu=170,sigma=10 >"$WORK/plot.out" 2>&1 \
    || fail "pmcabc-plot: exit $?: $(cat "$WORK/plot.out")"
mapfile -t pngs <"$WORK/plot.out"
out=$(check pngs 3 "${pngs[@]}") && pass "pmcabc-plot: 3 PNGs" || fail "pmcabc-plot: $out"
n=$(find "$WORK/plots" -name '*.png' | wc -l)
[ "$n" -eq 3 ] || fail "pmcabc-plot: $n PNG files in $WORK/plots, expected 3"
[ "$before" = "$(digest "$run")" ] && pass "pmcabc-plot: $run unchanged" || fail "pmcabc-plot changed $run"
"$TOOLS/pmcabc-plot" "$run" --out "$WORK/plots2" --generations last --title "last only" \
    >"$WORK/plot.out" 2>&1 && pass "pmcabc-plot --generations last" || fail "pmcabc-plot --generations last"
tool pmcabc-plot "$run" --out "$WORK/plots3" --generations 0,9
expect_status "pmcabc-plot: unknown generation" 2 "generation 9 is not in the run directory"
tool pmcabc-plot "$run" --out "$WORK/plots3" --truth tau=1
expect_status "pmcabc-plot: unknown parameter" 2 "--truth tau=1"

# Damaged and foreign files: exit 2, the file named.
nope="$WORK/no/such/run"
pmc 1 inspect "$nope"
expect_status "nonexistent path" 2 "pmcabc: error: $nope: No such file or directory"
tool pmcabc-summary "$nope"
expect_status "pmcabc-summary: nonexistent path" 2 "$nope"

cp "$run/gen-0003.h5" "$WORK/trunc.h5"
truncate -s 3000 "$WORK/trunc.h5"
pmc 1 inspect "$WORK/trunc.h5"
expect_status "truncated gen file" 2 "$WORK/trunc.h5: file damaged (truncated or appended to): "

mkdir "$WORK/random"
head -c 4096 /dev/urandom >"$WORK/random/gen-0000.h5"
inspect_unchanged "random bytes dir" "$WORK/random" inspect "$WORK/random"
expect_status "random-bytes gen-0000.h5 in a dir" 2 "$WORK/random/gen-0000.h5: not an HDF5 file"
pmc 1 inspect "$WORK/random/gen-0000.h5"
expect_status "random-bytes gen-0000.h5" 2 "$WORK/random/gen-0000.h5: not an HDF5 file"
pmc 2 inspect "$WORK/random/gen-0000.h5"
expect_status "random-bytes gen file on 2 ranks" 2 "$WORK/random/gen-0000.h5"
n=$(grep -c 'pmcabc: error' "$WORK/out")
[ "$n" -eq 1 ] || fail "random-bytes gen file on 2 ranks: $n error lines, expected 1"
tool pmcabc-summary "$WORK/random"
expect_status "pmcabc-summary: random-bytes dir" 2 "$WORK/random/gen-0000.h5"

mkdir "$WORK/empty"
pmc 1 inspect "$WORK/empty"
expect_status "empty dir" 2 "$WORK/empty: no generation file (gen-NNNN.h5)"

# A damaged newest file in a run: listed, and the run is resumable from the one before.
cp -r "$run" "$WORK/dmg"
truncate -s 3000 "$WORK/dmg/gen-0003.h5"
inspect_unchanged "damaged newest" "$WORK/dmg" inspect "$WORK/dmg"
expect_status "damaged newest file" 0 "state        resumable at generation 3"
grep -qF "not usable   $WORK/dmg/gen-0003.h5: file damaged (truncated or appended to)" "$WORK/out" \
    && pass "damaged newest file named" || fail "damaged newest file not named"
pmc 1 inspect "$WORK/dmg" --json
cp "$WORK/out" "$WORK/dmg-c.json"
"$TOOLS/pmcabc-summary" "$WORK/dmg" --json >"$WORK/dmg-py.json" 2>&1
# h5py reports the truncated file differently (it has no digest check): compare
# all but not_usable's text.
"$PMC_PYTHON" - "$WORK/dmg-c.json" "$WORK/dmg-py.json" <<'EOF' && pass "damaged run: Python == C" || fail "damaged run: Python != C"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert [x["file"] for x in a.pop("not_usable")] == [x["file"] for x in b.pop("not_usable")]
assert a == b, (a, b)
EOF

# Interrupted mid-generation: the partial state, k of N slots as in the file.
# Two stops: --time-limit 1, whose deadline (1 s minus pmcabc's 1 s margin)
# is the start, so generation 0 stops at once; and SIGTERM while the run
# waits at a gate 30 simulations into generation 2 (test_gate model).
SLOW=(--set model.name=test_slow --set model.work_us=2000 --set run.particles=200)
for limit in 1 term; do
    dir="$WORK/slow$limit"
    if [ "$limit" = term ]; then
        gate_new term "$dir/gen-0001.h5" 30
        PMC_TEST_GATE="$WORK/term.gate" "$PMCABC" run "$WORK/r.ini" "${GATE_MODEL[@]}" \
            --set run.particles=200 --set run.checkpoint_dir="$dir" >"$WORK/out" 2>&1 &
        pid=$!
        wait_until "$pid" 300 gate_waiting term || fail "the run never reached the gate in generation 2"
        kill -TERM "$pid"
        wait "$pid"
        RC=$?
        expect_status "SIGTERM in generation 2 -> exit 75" 75 "interrupted by SIGTERM during generation 2"
    else
        pmc 1 run "$WORK/r.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir" --time-limit $limit
        expect_status "--time-limit $limit -> exit 75" 75 "interrupted by the time limit"
    fi
    partial=$(find "$dir" -name 'partial-*.h5' | sort | tail -1)
    if [ -z "$partial" ]; then
        fail "stop $limit: no partial file in $dir: $(ls "$dir")"
        continue
    fi
    inspect_unchanged "partial run ($limit)" "$dir" inspect "$dir"
    expect_status "inspect partial run ($limit)" 0 "of 200 slots"
    grep -qE "^state +partial generation [0-9]+ with [0-9]+ of 200 slots" "$WORK/out" \
        || fail "inspect partial run ($limit): no partial state line"
    pmc 1 inspect "$dir" --json
    cp "$WORK/out" "$WORK/p$limit.json"
    out=$(check partial "$WORK/p$limit.json" "$partial") && pass "partial state == $partial" \
        || fail "partial state vs $partial: $out"
    "$TOOLS/pmcabc-summary" "$dir" --json >"$WORK/pp$limit.json" 2>&1
    out=$(check same "$WORK/p$limit.json" "$WORK/pp$limit.json") \
        && pass "partial run: pmcabc-summary == inspect" || fail "partial run: $out"
    pmc 1 inspect "$partial"
    expect_status "inspect the partial file" 0 "of 200 slots"
done
finish

#!/bin/bash
# The simulator programs users copy: examples/command_python/ (numpy) and
# examples/command_c/ (built by CMake, in the tree and on its own), each run
# from its own config under MPI (2 ranks), the same bits as on 1 rank, and a
# posterior near the values the data were drawn with.
. "$(dirname "$0")/common.sh"
: "${PMC_BUILD_DIR:?set by CTest}"
EX="$PMC_SOURCE_DIR/examples"

# posterior_mean NAME: the posterior mean of parameter NAME in $WORK/out.
posterior_mean() { awk -v p="$1" '$3 == p && NF == 8 { v = $4 } END { print v }' "$WORK/out"; }
near() { # NAME VALUE LO HI
    if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; then
        pass "$1 = $2 (in [$3, $4])"
    else
        fail "$1 = '$2', expected within [$3, $4]"; sed 's/^/    /' "$WORK/out" >&2
    fi
}
same_bits() { # NAME DIR1 DIR2
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$2" "$3" >"$WORK/cmp" 2>&1; then
        pass "$1"
    else
        fail "$1"; sed 's/^/    /' "$WORK/cmp" >&2
    fi
}

# Python: the config as shipped, only the checkpoint directory moved.
pmc 2 run "$EX/command_python/model.ini" --set "run.checkpoint_dir=$WORK/py2.ck"
expect_status "command_python, np=2" 0 "posterior: generation 7"
near "command_python: mu (data: 50 draws, mu = 1.5)" "$(posterior_mean mu)" 1.2 1.9
near "command_python: sigma (sigma = 0.8)" "$(posterior_mean sigma)" 0.6 1.3
pmc 1 run "$EX/command_python/model.ini" --set "run.checkpoint_dir=$WORK/py1.ck"
expect_status "command_python, np=1" 0 "posterior: generation 7"
same_bits "command_python: np=1 and np=2 give the same bits" "$WORK/py1.ck" "$WORK/py2.ck"

# C: the program of this build tree, and the example's CMakeLists.txt on its own.
SIM="$PMC_BUILD_DIR/examples/command_c/command_c_sim"
[ -x "$SIM" ] && pass "command_c: built in the tree" || fail "command_c: $SIM not built"
if cmake -S "$EX/command_c" -B "$WORK/cbuild" >"$WORK/out" 2>&1 &&
        cmake --build "$WORK/cbuild" >>"$WORK/out" 2>&1 && [ -x "$WORK/cbuild/command_c_sim" ]; then
    pass "command_c: builds on its own with CMake"
else
    fail "command_c: standalone build"; sed 's/^/    /' "$WORK/out" >&2
fi
pmc 2 run "$EX/command_c/model.ini" --set "run.checkpoint_dir=$WORK/c2.ck" \
    --set "model.command=$SIM {data}"
expect_status "command_c, np=2" 0 "posterior: generation 9"
near "command_c: a (a = 2)" "$(posterior_mean a)" 1.0 3.0
near "command_c: b (b = 0.5)" "$(posterior_mean b)" 0.2 0.7
near "command_c: s (s = 1)" "$(posterior_mean s)" 0.6 1.5
pmc 1 run "$EX/command_c/model.ini" --set "run.checkpoint_dir=$WORK/c1.ck" \
    --set "model.command=$WORK/cbuild/command_c_sim {data}"
expect_status "command_c (standalone build), np=1" 0 "posterior: generation 9"
same_bits "command_c: np=1 and np=2 give the same bits" "$WORK/c1.ck" "$WORK/c2.ck"
finish

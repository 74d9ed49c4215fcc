#!/bin/bash
# Groups of ranks per simulation ([mpi] ranks_per_simulation) with the
# mpi_walk example plugin: the same bits on 4 ranks with k = 1, 2, 4 as on
# 1 rank; a rank count that is not a multiple of k is refused (exit 2), as
# is k > 1 for a model that cannot share a simulation; a failure on one
# rank of a group ends the run with exit 1 within seconds, whether or not
# the rest of the group waits in the model's collective; a run stopped at
# its time limit with k = 2 resumes with k = 1 and ends with the same bits.
. "$(dirname "$0")/common.sh"
: "${PMC_BUILD_DIR:?set by CTest}"
PLUGIN="$PMC_BUILD_DIR/examples/mpi_walk/libmpi_walk.so"
[ -f "$PLUGIN" ] || { fail "missing $PLUGIN: the examples are not built"; finish; }
cp "$PMC_SOURCE_DIR/examples/mpi_walk/data.csv" "$WORK/walk.csv"

# walk_config NAME STEPS PARTICLES GENERATIONS: $WORK/NAME.ini;
# ranks_per_simulation is on line 23.
walk_config() {
    cat >"$WORK/$1.ini" <<EOT
[run]
seed = 11
particles = $3
generations = $4
checkpoint_dir = $WORK/$1.ck

[epsilon]
initial = inf
quantile = 0.5

[model]
name = plugin
plugin = $PLUGIN
data = walk.csv
steps = $2

[prior]
mu = uniform(-0.5, 0.5)
sigma = uniform(0.1, 3)

[mpi]
chunk = 0
ranks_per_simulation = 1
EOT
}

same_bits() { # NAME DIR_A DIR_B
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$2" "$3" >"$WORK/cmp" 2>&1; then
        pass "$1: $(cat "$WORK/cmp")"
    else
        fail "$1"; sed 's/^/    /' "$WORK/cmp" >&2
    fi
}

# --- the same bits for any group size -----------------------------------------------
# 4 ranks on a 2-core machine, where k = 4 is slow: the model's blocking
# MPI_Allreduce spins and holds a core that another rank of the group needs.
walk_config small 20 80 3
pmc 1 run "$WORK/small.ini" --set "run.checkpoint_dir=$WORK/ref.ck"
expect_status "np 1, k 1" 0 "posterior: generation 2"
for k in 1 2 4; do
    pmc 4 run "$WORK/small.ini" --set "run.checkpoint_dir=$WORK/k$k.ck" \
        --set "mpi.ranks_per_simulation=$k"
    expect_status "np 4, k $k" 0 "posterior: generation 2"
    same_bits "np 4, k $k vs np 1" "$WORK/ref.ck" "$WORK/k$k.ck"
done
grep -qF "4 ranks in 1 group of 4 (ranks_per_simulation)" "$WORK/out" &&
    pass "the log names the groups" || fail "log line about groups missing"

# --- refused set-ups -------------------------------------------------------------
pmc 3 run "$WORK/small.ini" --set "run.checkpoint_dir=$WORK/bad3.ck" --set mpi.ranks_per_simulation=2
expect_status "np 3, k 2 refused" 2 \
    "--set: [mpi] ranks_per_simulation: 2: the number of MPI ranks (3) is not a multiple of 2"
[ ! -e "$WORK/bad3.ck" ] && pass "nothing written when refused" || fail "refused run wrote $WORK/bad3.ck"
sed 's/^ranks_per_simulation = 1$/ranks_per_simulation = 3/' "$WORK/small.ini" >"$WORK/k3.ini"
pmc 4 run "$WORK/k3.ini"
expect_status "np 4, k 3 refused (from the file)" 2 \
    "k3.ini:23: [mpi] ranks_per_simulation: 3: the number of MPI ranks (4) is not a multiple of 3"
sed 's/^ranks_per_simulation = 1$/ranks_per_simulation = 0/' "$WORK/small.ini" >"$WORK/k0.ini"
pmc 1 run "$WORK/k0.ini"
expect_status "k 0 refused" 2 "k0.ini:23: [mpi] ranks_per_simulation: 0: expected a whole number >= 1"
make_config gauss
pmc 2 run "$WORK/gauss.ini" --set mpi.ranks_per_simulation=2
expect_status "built-in model with k 2 refused" 2 \
    "--set: [mpi] ranks_per_simulation: 2: model gaussian runs each simulation on one rank"

# --- failures inside a group -------------------------------------------------------
# fail_above = -1: every proposal fails (the prior of mu is (-0.5, 0.5)).
fail_run() { # NAME FAIL_RANK FAIL_WHEN
    local t0 t1
    t0=$(date +%s.%N)
    pmc 4 run "$WORK/small.ini" --set "run.checkpoint_dir=$WORK/$1.ck" \
        --set mpi.ranks_per_simulation=2 --set model.fail_above=-1 \
        --set "model.fail_rank=$2" --set "model.fail_when=$3"
    t1=$(date +%s.%N)
    ELAPSED=$(echo "$t1 - $t0" | bc)
}
fail_run after 1 after_reduce
# Both groups fail; whichever leader's failure the others learn first is
# reported (rank 0's, or rank 2's when rank 0 had no slot yet).
expect_status "member fails after the collective: exit 1" 1 \
    "(rank 1 of its group): model mpi_walk: injected failure after the reduction"
grep -qE "pmcabc: error: rank [02]: slot [0-9]+: generation 0, attempt [0-9]+, parameters \(mu = " "$WORK/out" &&
    pass "the leader reports it with slot and parameters" ||
    { fail "leader's message"; sed 's/^/    /' "$WORK/out" >&2; }
[ "$(echo "$ELAPSED < 15" | bc)" = 1 ] && pass "ended in $ELAPSED s" || fail "took $ELAPSED s"
for who in 1 0; do
    fail_run "before$who" "$who" before_reduce
    expect_status "group rank $who fails while the others wait in the collective: exit 1" 1 \
        "(rank $who of its group): model mpi_walk: injected failure before the reduction"
    grep -qF "aborting the whole run with exit status 1" "$WORK/out" &&
        pass "the abort is explained" || fail "no explanation of the abort"
    [ "$(echo "$ELAPSED < 20" | bc)" = 1 ] && pass "ended in $ELAPSED s (grace 3 s)" ||
        fail "took $ELAPSED s"
done

# --- stop with k = 2, resume with k = 1 -----------------------------------------
walk_config slow 300 300 4
pmc 2 run "$WORK/slow.ini" --set "run.checkpoint_dir=$WORK/slow_ref.ck"
expect_status "reference of the resume, np 2, k 1" 0 "posterior: generation 3"
# The limit 1.2 s stops the run 0.2 s in (pmcabc keeps a 1 s margin): mid-
# generation 0 or 1 of a run that needs 6 s on a 2-core machine (2454 walks
# of 300 steps), and 1-2 s on 4 fast cores: a wide margin, though not a
# proof like a sleeping model's (mpi_walk is the only MPI-parallel model).
pmc 4 run "$WORK/slow.ini" --set mpi.ranks_per_simulation=2 --time-limit 1.2
expect_status "np 4, k 2 stops at its time limit" 75 "time limit"
ls "$WORK/slow.ck" | grep -q partial && pass "a partial generation was saved" ||
    echo "note: stopped between generations (no partial file): $(ls "$WORK/slow.ck" | tr '\n' ' ')"
pmc 2 run "$WORK/slow.ini"
expect_status "resumed on np 2, k 1" 0 "posterior: generation 3"
same_bits "stopped with k 2, resumed with k 1" "$WORK/slow_ref.ck" "$WORK/slow.ck"

# --- SIGTERM to one group member only: the whole run stops and resumes ------------
# Hydra gives every rank PMI_RANK; signal world rank 1 (group rank 1 of group 0).
rank_pid() { # RANK PATTERN
    local p
    for p in $(pgrep -f -- "$2"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pmcabc ] &&
            tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "PMI_RANK=$1" && echo "$p"
    done
    return 0
}
walk_config sig 300 300 4
"$PMC_MPIEXEC" "$PMC_NPFLAG" 4 "$PMCABC" run "$WORK/sig.ini" --set mpi.ranks_per_simulation=2 \
    >"$WORK/out" 2>&1 &
bg=$!
# Once generation 0 is saved: 3 generations (5 s here) remain.
rank1_after_gen0() { [ -e "$WORK/sig.ck/gen-0000.h5" ] && pid=$(rank_pid 1 "$WORK/sig.ini") && [ -n "$pid" ]; }
pid=""
wait_until "$bg" 300 rank1_after_gen0 || fail "no gen-0000.h5 and rank 1 before the run ended"
[ -n "$pid" ] && kill -TERM "$pid"
wait "$bg"
RC=$?
expect_status "SIGTERM to group rank 1 only stops the whole run" 75 "interrupted by"
pmc 2 run "$WORK/sig.ini" --set mpi.ranks_per_simulation=2
expect_status "resumed on np 2, k 2" 0 "posterior: generation 3"
same_bits "signalled member, resumed" "$WORK/slow_ref.ck" "$WORK/sig.ck"
finish

#!/bin/bash
# `[model] name = command`: a simulator program (tests/e2e/command/gauss_sim.py)
# run through the line protocol and per simulation. Same bits on 1 and 3
# ranks, after restarts of the program and in per_simulation mode; every
# failure (exit status, signal, wrong count, text, nan, timeout, missing or
# non-executable program) with its exit status and message; SIGTERM and the
# time limit during a simulation (exit 75, no child left, the resume gives the
# same bits) and kill -9 of a rank (no child left). No verdict depends on the machine's speed: the failing program
# sleeps 1000 s against a timeout of 1 s, and the signal tests wait for the
# program's own gate (it stops at its 5th simulation and says so).
. "$(dirname "$0")/common.sh"

# A name no other process has (pgrep finds the programs by it, PROGRAMS below).
SIM=pmcsim_$$_$RANDOM
cp "$E2E_DIR/command/gauss_sim.py" "$WORK/$SIM.py"
chmod +x "$WORK/$SIM.py"
cp "$PMC_SOURCE_DIR/jobs/data/heights.csv" "$WORK/heights.csv"
echo observed | "$WORK/$SIM.py" "$WORK/heights.csv" >"$WORK/observed.txt"

# command_config NAME [PARTICLES [GENERATIONS]]: $WORK/NAME.ini, the command
# key on line 13.
command_config() {
    cat >"$WORK/$1.ini" <<EOT
[run]
seed = 11
particles = ${2:-200}
generations = ${3:-4}
checkpoint_dir = $WORK/$1.ck

[epsilon]
initial = inf
quantile = 0.5

[model]
name = command
command = ./$SIM.py {data}
data = heights.csv

[prior]
mu = uniform(150, 200)
sigma = uniform(5, 25)
EOT
}
same_bits() { # NAME DIR1 DIR2
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$2" "$3" >"$WORK/cmp" 2>&1; then
        pass "$1"
    else
        fail "$1"; sed 's/^/    /' "$WORK/cmp" >&2
    fi
}
# The programs only: pmcabc's and mpiexec's own command lines name the
# script too (--set model.command=...), a program's starts with its interpreter.
PROGRAMS="^/usr/bin/python3 $WORK/$SIM\.py"
children() { pgrep -f -- "$PROGRAMS" >/dev/null; }
no_children() { ! children; }

command_config ref
pmc 1 run "$WORK/ref.ini"
expect_status "persistent, np=1" 0 "posterior: generation 3"
grep -qE "model command, 2 parameters" "$WORK/out" && pass "the log names model command" ||
    fail "the log does not name model command"
pmc 3 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/np3.ck"
expect_status "persistent, np=3" 0 "posterior: generation 3"
same_bits "np=1 and np=3 give the same bits" "$WORK/ref.ck" "$WORK/np3.ck"
no_children && pass "no program left after the runs" || fail "a program outlived pmcabc"

# A program that exits (status 0) every 40 requests is started again, and the
# request it did not answer is sent again: the same bits.
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/restart.ck" \
    --set "model.command=$WORK/$SIM.py {data} --exit-after=40"
expect_status "program exiting between requests" 0 "posterior: generation 3"
same_bits "restarted program: same bits" "$WORK/ref.ck" "$WORK/restart.ck"

# per_simulation: one process per simulation, seed and parameters in argv,
# statistics from a file. Fewer particles: each simulation starts Python.
command_config small 40 2
pmc 1 run "$WORK/small.ini"
expect_status "persistent, small run" 0 "posterior: generation 1"
pmc 2 run "$WORK/small.ini" --set "run.checkpoint_dir=$WORK/persim.ck" \
    --set model.mode=per_simulation --set "model.observed=$WORK/observed.txt" \
    --set "model.command=$WORK/$SIM.py {data} --once {seed} {mu} {sigma}"
expect_status "per_simulation, np=2" 0 "posterior: generation 1"
same_bits "per_simulation and persistent give the same bits" "$WORK/small.ck" "$WORK/persim.ck"

# Failures: exit 1 and one message with rank, slot, generation, parameters,
# the program's status or signal and its stderr.
check_fail() { # NAME KIND FRAGMENT [EXTRA --set ...]
    local name=$1 kind=$2 frag=$3
    shift 3
    pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/$name.ck" \
        --set "model.command=$WORK/$SIM.py {data} --fail=$kind" "$@"
    expect_status "$name" 1 "$frag"
    grep -qE "pmcabc: error: rank 0: slot [0-9]+: generation 0, attempt 0, parameters \(mu = [0-9.]+, sigma = [0-9.]+\): model command: program $SIM.py" "$WORK/out" &&
        pass "$name: rank, slot, generation, parameters" ||
        { fail "$name: message lacks rank, slot, generation or parameters"; sed 's/^/    /' "$WORK/out" >&2; }
    [ "$(grep -c 'pmcabc: error' "$WORK/out")" = 1 ] && pass "$name: one message" ||
        fail "$name: not exactly one error message"
    no_children && pass "$name: no program left" || fail "$name: a program outlived pmcabc"
}
check_fail exit_status exit "exited with status 3 without replying to: simulate "
grep -qF "its stderr ended with: gauss_sim: failing on purpose with status 3" "$WORK/out" &&
    pass "exit_status: the tail of its stderr" || fail "exit_status: no stderr tail"
grep -qE "^\[0 +[0-9.]+s\] $SIM.py \(generation 0, slot [0-9]+\): gauss_sim: failing on purpose" "$WORK/out" &&
    pass "stderr is forwarded with rank, generation and slot" ||
    { fail "stderr not forwarded"; sed 's/^/    /' "$WORK/out" >&2; }
# A SIGCHLD ignored by whatever started pmcabc must not hide the status.
(trap '' CHLD; pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/chld.ck" \
    --set "model.command=$WORK/$SIM.py {data} --fail=exit"; exit "$RC")
RC=$?
expect_status "exit status with SIGCHLD ignored" 1 "exited with status 3 without replying"
check_fail signal signal "was killed by signal 11 (Segmentation fault) without replying"
check_fail count count "replied '1 2 3': 3 values, expected 2"
check_fail text text "replied '1.5 abc': value 2 is not a number: 'abc'"
check_fail nan nan "replied 'nan 1': value 1 is not finite: 'nan'"
check_fail timeout hang "did not reply within timeout = 1 s to: simulate " --set model.timeout=1
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/ps_fail.ck" \
    --set model.mode=per_simulation --set "model.observed=$WORK/observed.txt" \
    --set "model.command=$WORK/$SIM.py {data} --once {seed} {mu} {sigma} --fail=exit"
expect_status "per_simulation: exit status" 1 "exited with status 3 (seed "

# Setup errors: exit 2 at FILE:LINE of the key, nothing written.
check_setup() { # NAME FRAGMENT [--set ...]
    local name=$1 frag=$2
    shift 2
    pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/$name.ck" "$@"
    expect_status "$name" 2 "$frag"
    [ ! -e "$WORK/$name.ck" ] && pass "$name: nothing written" || fail "$name: wrote $WORK/$name.ck"
}
command_config missing
sed -i "s|^command = .*|command = ./no_such_program {data}|" "$WORK/missing.ini"
pmc 1 run "$WORK/missing.ini"
expect_status "missing program" 2 "missing.ini:13: [model] command: ./no_such_program {data}: cannot run program $WORK/no_such_program: No such file or directory"
cp "$WORK/$SIM.py" "$WORK/noexec.py" && chmod -x "$WORK/noexec.py"
command_config noexec
sed -i "s|^command = .*|command = ./noexec.py {data}|" "$WORK/noexec.ini"
pmc 1 run "$WORK/noexec.ini"
expect_status "non-executable program" 2 "noexec.ini:13: [model] command: ./noexec.py {data}: cannot run program $WORK/noexec.py: Permission denied"
check_setup not_in_path "--set: [model] command: no_such_program_$$: program no_such_program_$$: not found in PATH" \
    --set "model.command=no_such_program_$$"
check_setup quote "[model] command: $WORK/$SIM.py \"{data}: unterminated \" quote" \
    --set "model.command=$WORK/$SIM.py \"{data}"
check_setup seed_persistent "{seed}: only in mode = per_simulation" \
    --set "model.command=$WORK/$SIM.py {data} {seed}"
check_setup placeholder "{nu}: unknown placeholder: expected {seed}, {data} or {NAME} of a [prior] parameter" \
    --set "model.command=$WORK/$SIM.py {nu}"
check_setup persim_observed "[model] observed: missing: mode = per_simulation needs the observed statistics in a file" \
    --set model.mode=per_simulation
check_setup observed_fails "--set: [model] command: false: the observed request failed: model command: program false exited with status 1 without replying to: observed" \
    --set model.command=false
pmc 2 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/obs_rank.ck" \
    --set "model.command=$WORK/$SIM.py {data} --observed-pid"
expect_status "observed statistics that differ between ranks" 2 \
    "rank 1: the observed data or statistics differ from rank 0's"
[ ! -e "$WORK/obs_rank.ck" ] && pass "observed differ: nothing written" || fail "observed differ: wrote"
check_setup no_data "--set: [model] data: $WORK/none.csv: cannot read $WORK/none.csv: No such file or directory" \
    --set "model.data=$WORK/none.csv"
check_setup data_columns "[model] data_columns: a, b: model command does not read the data itself" \
    --set "model.data_columns=a, b"
# Quoting (docs/models.md): words as a shell splits them, no expansion; the
# program (sh) prints the arguments it got, then fails the observed request.
check_setup quoting "exited with status 7 without replying to: observed; its stderr ended with: [arg two][single \$HOME][back slash][q\"uote][{x]" \
    --set "model.command=/bin/sh -c 'printf \"[%s]\" \"\$@\" >&2; exit 7' sh \"arg two\" 'single \$HOME' back\\ slash \"q\\\"uote\" {x"
check_setup mode "[model] mode: sometimes: expected 'persistent' or 'per_simulation'" \
    --set model.mode=sometimes
check_setup timeout_key "[model] timeout: -1: expected a number of seconds >= 0" --set model.timeout=-1

# A failure leaves the checkpoint resumable: fail in generation 2 (the
# program fails when GAUSS_SIM_FAIL is set), then finish with the same bits.
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/resume.ck" --set run.generations=2
expect_status "resumable: generations 0-1" 0 "posterior: generation 1"
GAUSS_SIM_FAIL=exit pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/resume.ck"
expect_status "resumable: generation 2 fails" 1 "generation 2, attempt 0"
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/resume.ck" --set model.timeout=600
expect_status "resumable: the same command (and a timeout) resumes" 0 "resuming from generation 1"
same_bits "resumable: same bits as an uninterrupted run" "$WORK/ref.ck" "$WORK/resume.ck"

# A changed simulator is refused on resume (issue 17): the program's bytes,
# and a script given as an argument, are part of the run's model digest.
cp "$WORK/$SIM.py" "$WORK/edited.py"
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/edit.ck" --set run.generations=2 \
    --set "model.command=$WORK/edited.py {data}"
expect_status "edited program: first run" 0 "posterior: generation 1"
echo "# edited" >>"$WORK/edited.py"
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/edit.ck" --set "model.command=$WORK/edited.py {data}"
expect_status "edited program: resume refused" 2 \
    "gen-0001.h5 was computed with another build of the model: $WORK/edited.py changed since the run started"
cp "$WORK/$SIM.py" "$WORK/edited.py"
cp "$WORK/$SIM.py" "$WORK/script.py"
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/edit2.ck" --set run.generations=2 \
    --set "model.command=$PMC_PYTHON $WORK/script.py {data}"
expect_status "interpreter and script: first run" 0 "posterior: generation 1"
echo "# edited" >>"$WORK/script.py"
pmc 1 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/edit2.ck" --set "model.command=$PMC_PYTHON $WORK/script.py {data}"
expect_status "edited script: resume refused" 2 "or $WORK/script.py changed since the run started"

# SIGTERM while the programs simulate: exit 75, no program left, and the
# resume ends with the uninterrupted run's bits.
mkdir -p "$WORK/gate"
gated() { ls "$WORK/gate" | grep -q '^waiting\.'; }
"$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/term.ck" \
    --set "model.command=$WORK/$SIM.py {data} --gate=$WORK/gate" >"$WORK/out" 2>&1 &
pid=$!
if wait_until "$pid" 120 gated; then
    children && pass "SIGTERM: programs running" || fail "SIGTERM: no program running at the gate"
    signal_ranks TERM "$WORK/term.ck"
    wait "$pid"
    RC=$?
    expect_status "SIGTERM: exit 75" 75 "pmcabc: interrupted by SIGTERM"
    no_children && pass "SIGTERM: no program left" || fail "SIGTERM: a program outlived pmcabc"
else
    fail "SIGTERM: the programs never reached their gate"; kill "$pid"; wait "$pid"
fi
touch "$WORK/gate/open"
pmc 2 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/term.ck" \
    --set "model.command=$WORK/$SIM.py {data} --gate=$WORK/gate"
expect_status "SIGTERM: the resume finishes" 0 "posterior: generation 3"
same_bits "SIGTERM: same bits as an uninterrupted run" "$WORK/ref.ck" "$WORK/term.ck"

# The time limit ends a simulation in progress (the program would sleep
# 1000 s): exit 75 with a checkpoint, no program left.
pmc 2 run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/limit.ck" \
    --set "model.command=$WORK/$SIM.py {data} --fail=hang" --time-limit 3
expect_status "time limit inside a simulation: exit 75" 75 "pmcabc: interrupted by the time limit during generation 0"
[ -e "$WORK/limit.ck/partial-0000.h5" ] && pass "time limit: partial checkpoint" ||
    fail "time limit: no partial-0000.h5"
no_children && pass "time limit: no program left" || fail "time limit: a program outlived pmcabc"

# Slurm signals every process of the step, the programs too, in no set
# order: programs killed by SIGTERM just before pmcabc gets its own are an
# interruption (exit 75), not a failure. One kill(1) sends them all, the
# programs first.
rm -rf "$WORK/gate" && mkdir -p "$WORK/gate"
"$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/step.ck" \
    --set "model.command=$WORK/$SIM.py {data} --gate=$WORK/gate" >"$WORK/out" 2>&1 &
pid=$!
if wait_until "$pid" 120 gated; then
    ranks=$(for p in $(pgrep -f -- "$WORK/step.ck"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pmcabc ] && echo "$p"; done)
    kill -TERM $(pgrep -f -- "$PROGRAMS") $ranks
    wait "$pid"
    RC=$?
    expect_status "SIGTERM to programs and ranks: exit 75" 75 "pmcabc: interrupted by SIGTERM"
    no_children && pass "SIGTERM to programs and ranks: no program left" ||
        fail "SIGTERM to programs and ranks: a program outlived pmcabc"
else
    fail "SIGTERM to programs and ranks: the programs never reached their gate"; kill "$pid"; wait "$pid"
fi

# kill -9 of one rank: its program dies with it (PR_SET_PDEATHSIG), and the
# launcher ends the other rank, whose program goes too.
kill_one_rank() { # PATTERN
    local p
    for p in $(pgrep -f -- "$1"); do
        if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pmcabc ]; then kill -KILL "$p"; return; fi
    done
}
rm -rf "$WORK/gate" && mkdir -p "$WORK/gate"
"$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/ref.ini" --set "run.checkpoint_dir=$WORK/kill9.ck" \
    --set "model.command=$WORK/$SIM.py {data} --gate=$WORK/gate" >"$WORK/out" 2>&1 &
pid=$!
if wait_until "$pid" 120 gated; then
    kill_one_rank "$WORK/kill9.ck"
    wait "$pid"
    if wait_until $$ 30 no_children; then
        pass "kill -9: no program left"
    else
        fail "kill -9: programs left:"; pgrep -fa -- "$PROGRAMS" >&2
        for p in $(pgrep -f -- "$PROGRAMS"); do kill -KILL "$p"; done
    fi
else
    fail "kill -9: the programs never reached their gate"; kill "$pid"; wait "$pid"
fi
finish

#!/bin/bash
# Fault injection in the checkpoint commit protocol (reserve -> write temp ->
# close -> fsync -> rename -> fsync dir; lib/pmc_ckpt_write.c, test-only
# PMC_TEST_FAIL_AT / PMC_TEST_FAIL_GEN). For each step from write on,
# failing on generation 2 (reserve: on generation 1, collectively): exit 1
# naming file, step and cause; the generations before it
# byte-identical and valid (h5check.py); no temporary file left; and a plain
# rerun resumes and ends byte-identical to an uninterrupted run. Then, as
# root, a real 200 KiB tmpfs that fills up (skipped if mount fails).
. "$(dirname "$0")/common.sh"

make_config f
same() { "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$1" "$2" >/dev/null; }
digest() { (cd "$1" && sha256sum -- gen-0000.h5 gen-0001.h5); }
no_temps() {
    local left
    left=$(ls -A "$1" | grep -E '\.tmp$' || true)
    [ -z "$left" ] && pass "$2: no temporary file left" || fail "$2: left over: $left"
}
valid_gens() {
    local f ok=1
    for f in "$1"/gen-*.h5; do
        "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$f" >/dev/null || { ok=0; fail "$2: h5check $f"; }
    done
    [ $ok -eq 1 ] && pass "$2: every generation file valid (h5check)"
}

pmc 2 run "$WORK/f.ini" --set run.checkpoint_dir="$WORK/ref"
expect_status "reference run" 0 "all 4 generations done"

# step | message after "DIR/gen-0002.h5: " | ranks of the failing run, of the resume
STEPS=(
"write     |write dataset /theta: No space left on device |2 |1"
"close     |close temporary file: Input/output error      |2 |3"
"fsync     |fsync: Input/output error                     |1 |2"
"rename    |rename: Input/output error                    |3 |1"
"fsync_dir |fsync directory: Input/output error           |2 |2"
)
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
faults=0
for c in "${STEPS[@]}"; do
    IFS='|' read -r step msg np_fail np_resume <<<"$c"
    step=$(trim "$step"); msg=$(trim "$msg"); np_fail=$(trim "$np_fail"); np_resume=$(trim "$np_resume")
    dir="$WORK/$step"
    pmc 2 run "$WORK/f.ini" --set run.checkpoint_dir="$dir" --set run.generations=2
    expect_status "$step: generations 0-1" 0 "all 2 generations done"
    digest "$dir" >"$WORK/before"
    PMC_TEST_FAIL_AT=$step PMC_TEST_FAIL_GEN=2 pmc "$np_fail" run "$WORK/f.ini" --set run.checkpoint_dir="$dir"
    expect_status "$step fails on np=$np_fail: exit 1" 1 "pmcabc: error: $dir/gen-0002.h5: $msg"
    faults=$((faults + 1))
    [ "$(grep -c 'pmcabc: error' "$WORK/out")" -eq 1 ] || fail "$step: expected one error line"
    digest "$dir" | cmp -s - "$WORK/before" && pass "$step: generations 0-1 byte-identical" ||
        fail "$step: generations 0-1 changed"
    no_temps "$dir" "$step"
    valid_gens "$dir" "$step"
    if [ "$step" = fsync_dir ]; then
        # The rename was done: generation 2 is complete, only its durability is unknown.
        [ -e "$dir/gen-0002.h5" ] || fail "fsync_dir: gen-0002.h5 should exist after the rename"
    else
        [ ! -e "$dir/gen-0002.h5" ] || fail "$step: gen-0002.h5 exists after a failed commit"
    fi
    # A temporary file as a crash would leave it: the resumed run removes it.
    [ "$step" = rename ] && head -c 5000 /dev/urandom >"$dir/.gen-0002.h5.tmp"
    pmc "$np_resume" run "$WORK/f.ini" --set run.checkpoint_dir="$dir"
    expect_status "$step: rerun without the fault (np=$np_resume) resumes" 0 "resuming from generation"
    same "$WORK/ref" "$dir" && pass "$step: resumed run == uninterrupted run" ||
        fail "$step: resumed run differs from the uninterrupted one"
    no_temps "$dir" "$step, after the resume"
done
# A failing mid-generation save (partial file) is an I/O error too. The save
# is due 0.2 s in; generation 0 sleeps 2 s at least (200 simulations of 20 ms
# on 2 ranks, test_gate model), on any machine, so it is partial-0000.h5.
dir="$WORK/partial"
PMC_TEST_FAIL_AT=rename PMC_TEST_FAIL_KIND=partial pmc 2 run "$WORK/f.ini" \
    --set run.checkpoint_dir="$dir" "${GATE_MODEL[@]}" --set model.sleep_us=20000 \
    --set run.checkpoint_interval=0.2
expect_status "partial save fails: exit 1" 1 "partial-0000.h5: rename: Input/output error"
faults=$((faults + 1))
no_temps "$dir" "partial save"
# The space reservation before a file is written (posix_fallocate; a real
# full disk is tests/e2e/test_full_disk.sh): ENOSPC there is one clean error
# naming the directory, before any data is written, here in a collective write.
dir="$WORK/reserve"
PMCABC_COLLECTIVE_IO_MIN_MB=0 PMC_TEST_FAIL_AT=reserve PMC_TEST_FAIL_GEN=1 pmc 3 run "$WORK/f.ini" \
    --set run.checkpoint_dir="$dir"
expect_status "reserve fails (collective, np=3): exit 1" 1 \
    "pmcabc: error: $dir/gen-0001.h5: reserve "
grep -qE "bytes for the temporary file in $dir: No space left on device$" "$WORK/out" &&
    pass "reserve: message names the directory and ENOSPC" || fail "reserve: message: $(grep error "$WORK/out")"
faults=$((faults + 1))
no_temps "$dir" "reserve"
valid_gens "$dir" "reserve"
[ ! -e "$dir/gen-0001.h5" ] || fail "reserve: gen-0001.h5 exists after a failed reservation"
pmc 2 run "$WORK/f.ini" --set run.checkpoint_dir="$dir"
expect_status "reserve: rerun without the fault resumes" 0 "resuming from generation 0"
same "$WORK/ref" "$dir" && pass "reserve: resumed run == uninterrupted run" ||
    fail "reserve: resumed run differs from the uninterrupted one"
echo "faults injected: $faults"

# A real full disk: a 200 KiB tmpfs holds about four generations of 1000
# particles. The run must stop with exit 1 and a disk-full message, leave
# the committed generations intact, and the directory copied to a big disk
# must resume there to the same result as an uninterrupted run.
tiny="$WORK/tiny"
mkdir -p "$tiny"
if mount -t tmpfs -o size=200k tmpfs "$tiny" 2>"$WORK/mount.err"; then
    trap 'umount "$tiny" 2>/dev/null; rm -rf "$WORK"' EXIT
    BIG=(--set run.particles=1000 --set run.generations=8)
    pmc 2 run "$WORK/f.ini" "${BIG[@]}" --set run.checkpoint_dir="$WORK/bigref"
    expect_status "tmpfs: reference run" 0 "all 8 generations done"
    # Bounded: a disk filling inside parallel HDF5's collective close used to
    # hang the ranks (pmc_ckpt_write.c checks the free space first now).
    timeout -s KILL 300 "$PMC_MPIEXEC" "$PMC_NPFLAG" 2 "$PMCABC" run "$WORK/f.ini" "${BIG[@]}" \
        --set run.checkpoint_dir="$tiny/ck" >"$WORK/out" 2>&1
    RC=$?
    [ $RC -ne 137 ] || fail "tmpfs full: the run hung (killed after 300 s)"
    expect_status "tmpfs full: exit 1" 1 "No space left on device"
    grep -qE "pmcabc: error: $tiny/ck/gen-[0-9]{4}\.h5: " "$WORK/out" ||
        fail "tmpfs full: the message does not name the generation file"
    n=$(ls "$tiny/ck" | grep -cE '^gen-[0-9]{4}\.h5$')
    [ "$n" -ge 1 ] && [ "$n" -lt 8 ] && pass "tmpfs full after $n generations" ||
        fail "tmpfs: $n generation files (expected 1..7)"
    valid_gens "$tiny/ck" "tmpfs full"
    no_temps "$tiny/ck" "tmpfs full"
    cp -a "$tiny/ck" "$WORK/moved"
    umount "$tiny"
    pmc 3 run "$WORK/f.ini" "${BIG[@]}" --set run.checkpoint_dir="$WORK/moved"
    expect_status "tmpfs: resumed on a big disk" 0 "resuming from generation $((n - 1))"
    same "$WORK/bigref" "$WORK/moved" && pass "tmpfs: moved and resumed == uninterrupted" ||
        fail "tmpfs: moved and resumed run differs"
else
    echo "SKIP (tmpfs part): mount -t tmpfs failed: $(cat "$WORK/mount.err")"
fi
finish

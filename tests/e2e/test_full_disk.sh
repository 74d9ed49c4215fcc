#!/bin/bash
# A full disk cannot hang or corrupt a run (lib/pmc_ckpt_write.c reserves
# every file's estimated size with posix_fallocate before writing it). As
# root, a 2 MiB tmpfs holds the checkpoint directory; 20 times, a run starts
# there and another process fills the disk at a random moment (seeded) and
# keeps it full while the run lasts. Every try must end within 30 s either
# finished (the filler came too late) or with exit 1 and one error naming a
# file in the directory and "No space left on device"; the generation files
# left must be valid (h5check.py), no temporary file may be left, and once
# the space is freed the same command must resume and end byte-identical to
# an uninterrupted run (compare_gens.py). Half the tries write collectively
# (PMCABC_COLLECTIVE_IO_MIN_MB=0), the path where a full disk used to hang.
# The verdict does not depend on the moment: any moment gives one of the
# two outcomes. Exit 77 (skipped) where tmpfs cannot be mounted.
. "$(dirname "$0")/common.sh"

disk="$WORK/disk"
mkdir -p "$disk"
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>"$WORK/mount.err"; then
    echo "SKIP: this test needs a 2 MiB tmpfs (run as root): mount -t tmpfs failed: $(cat "$WORK/mount.err")"
    exit 77
fi
trap 'umount "$disk" 2>/dev/null; rm -rf "$WORK"' EXIT

make_config d
# About 14000 simulations of 0.2 ms: 1-3 s of sleep on 1-3 ranks, during
# which the filler starts at a random moment; 1000 particles make files of
# about 40 KB; saves every 0.3 s put partial files in the way of the filler too.
SLOW=("${GATE_MODEL[@]}" --set model.sleep_us=200 --set run.particles=1000
      --set run.generations=6 --set run.checkpoint_interval=0.3)
TRIES=${PMC_FULL_DISK_TRIES:-20}
pmc 2 run "$WORK/d.ini" "${SLOW[@]}" --set run.checkpoint_dir="$WORK/ref"
expect_status "reference run" 0 "all 6 generations done"

dir="$disk/ck"
# filler PID: from now until process PID ends, fills the tmpfs and keeps it
# full (appends until ENOSPC, again and again: space the run frees is taken).
# After every fill it gives back 0, 40, 80 or 120 KiB in turn, so that the
# run's free-space check (about 100 KB needed) passes at times and the run
# races the filler for the space: the reservation must settle the race.
filler() {
    local i=0
    while kill -0 "$1" 2>/dev/null; do
        dd if=/dev/zero of="$disk/fill" bs=16k oflag=append conv=notrunc status=none 2>/dev/null
        truncate -s "-$(( (i % 4) * 40 ))k" "$disk/fill" 2>/dev/null
        i=$((i + 1))
        sleep 0.01
    done
}
RANDOM=2021
finished=0 full=0
declare -A steps
for try in $(seq 1 "$TRIES"); do
    np=$(( (try % 3) + 1 ))
    coll=$(( try % 2 == 0 ? 0 : 256 ))   # MB: 0 = collective writes, 256 = rank 0 alone
    delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 3.0 * r / 32767 }')
    rm -rf "$dir" "$disk/fill"
    PMCABC_COLLECTIVE_IO_MIN_MB=$coll timeout -s KILL 30 "$PMC_MPIEXEC" "$PMC_NPFLAG" "$np" \
        "$PMCABC" run "$WORK/d.ini" "${SLOW[@]}" --set run.checkpoint_dir="$dir" >"$WORK/out" 2>&1 &
    pid=$!
    (sleep "$delay"; filler "$pid") &
    fill_pid=$!
    wait "$pid"
    RC=$?
    wait "$fill_pid"
    what="try $try (np $np, $([ $coll = 0 ] && echo collective || echo rank 0 alone), filler at ${delay} s)"
    if [ $RC -eq 137 ]; then
        fail "$what: no end within 30 s (hang), killed"; sed 's/^/    /' "$WORK/out" >&2
        continue
    elif [ $RC -eq 0 ]; then
        finished=$((finished + 1))
        echo "$what: finished before the disk was full"
    elif [ $RC -eq 1 ] && grep -qE "^pmcabc: error: $dir/[^ ]*: .*No space left on device" "$WORK/out" &&
        [ "$(grep -c 'pmcabc: error' "$WORK/out")" -eq 1 ]; then
        full=$((full + 1))
        msg=$(grep '^pmcabc: error' "$WORK/out")
        echo "$what: exit 1, $msg"
        # Which step met the full disk (a figure for docs/reliability.md).
        case $msg in
            *"bytes needed"*) step=check ;;
            *": reserve "*) step=reserve ;;
            *"create temporary file"*) step=create ;;
            *"/.lock: "*) step=lock ;;
            *) step=other ;;
        esac
        steps[$step]=$(( ${steps[$step]:-0} + 1 ))
    else
        fail "$what: exit $RC, expected 0 or 1 with one error naming $dir and ENOSPC; output:"
        sed 's/^/    /' "$WORK/out" >&2
        continue
    fi
    rm -f "$disk/fill"
    n=0 bad=0
    for f in "$dir"/gen-*.h5; do
        [ -e "$f" ] || continue
        n=$((n + 1))
        "$PMC_PYTHON" "$E2E_DIR/h5check.py" "$f" >/dev/null || { bad=1; fail "$what: h5check $f"; }
    done
    left=$(ls -A "$dir" 2>/dev/null | grep -E '\.tmp$|^\.lock$' || true)
    [ -z "$left" ] || fail "$what: left over: $left"
    # Resume on another rank count, the space freed.
    np2=$(( (try % 4) + 1 ))
    timeout -s KILL 120 "$PMC_MPIEXEC" "$PMC_NPFLAG" "$np2" "$PMCABC" run "$WORK/d.ini" "${SLOW[@]}" \
        --set run.checkpoint_dir="$dir" >"$WORK/out.resume" 2>&1
    rc2=$?
    if [ $rc2 -ne 0 ]; then
        fail "$what: resume on $np2 ranks exited $rc2"; sed 's/^/    /' "$WORK/out.resume" >&2
    elif ! "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/ref" "$dir" >/dev/null; then
        fail "$what: resumed run differs from the uninterrupted one"
    elif [ $bad -eq 0 ] && [ -z "$left" ]; then
        pass "$what: $n valid generation files left, resumed on $np2 ranks == uninterrupted"
    fi
done
echo "tries: $TRIES; disk full (exit 1): $full (free-space check ${steps[check]:-0}," \
     "creating the file ${steps[create]:-0}, reservation ${steps[reserve]:-0}," \
     "lock file ${steps[lock]:-0}, a later step ${steps[other]:-0}); finished first: $finished"
[ $((full + finished)) -eq "$TRIES" ] || fail "$((TRIES - full - finished)) tries ended otherwise"
finish

#!/bin/bash
# A model failure or a NaN statistic on any rank reaches all ranks and ends
# the run within seconds with exit code 1 and one message naming the rank,
# slot and parameter values - never a hang.
. "$(dirname "$0")/common.sh"

make_config f
for np in 1 3; do
    start=$(date +%s)
    pmc "$np" run "$WORK/f.ini" --set model.name=test_fail --set model.fail_above=196 \
        --set run.checkpoint_dir="$WORK/f$np"
    end=$(date +%s)
    expect_status "model error, np=$np" 1 "fail_above = 196"
    for frag in "rank " "slot " "mu = " "sigma = " "generation 0"; do
        grep -qF -- "$frag" "$WORK/out" || fail "model error np=$np: message lacks '$frag'"
    done
    [ "$(grep -c 'pmcabc: error' "$WORK/out")" -eq 1 ] || fail "np=$np: expected exactly one error message"
    [ $((end - start)) -le 30 ] || fail "np=$np: took $((end - start)) s to fail"
done

pmc 2 run "$WORK/f.ini" --set model.name=test_fail --set model.fail_above=196 --set model.mode=nan \
    --set run.checkpoint_dir="$WORK/fnan"
expect_status "NaN statistic, np=2" 1 "non-finite summary statistic"

# The failure is specific: with a prior below fail_above the same model runs through.
pmc 2 run "$WORK/f.ini" --set model.name=test_fail --set model.fail_above=196 \
    --set prior.mu="uniform(150, 195)" --set run.checkpoint_dir="$WORK/flate"
expect_status "prior below fail_above: no failure" 0 "all 4 generations done"
finish

#!/bin/bash
# Same seed -> byte-identical populations, for any number of ranks (1-4,
# oversubscribed is fine) and with a model whose simulation time varies 100x
# between parameter values; a different seed -> different populations.
. "$(dirname "$0")/common.sh"

make_config g
for np in 1 2 3 4; do
    pmc "$np" run "$WORK/g.ini" --set run.checkpoint_dir="$WORK/g$np"
    [ "$RC" -eq 0 ] || { fail "gaussian np=$np exit $RC"; cat "$WORK/out" >&2; }
done
pmc 1 run "$WORK/g.ini" --set run.checkpoint_dir="$WORK/g1again"
for other in g1again g2 g3 g4; do
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/g1" "$WORK/$other"; then
        pass "gaussian: g1 == $other"
    else
        fail "gaussian: g1 != $other"
    fi
done
pmc 1 run "$WORK/g.ini" --set run.checkpoint_dir="$WORK/seed8" --set run.seed=8
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/g1" "$WORK/seed8" --expect-different; then
    pass "different seed gives different populations"
else
    fail "seed 8 gave the same populations as seed 7"
fi

# Simulation time 50 us .. 5 ms depending on mu: chunks finish out of order.
for np in 1 2 4; do
    pmc "$np" run "$WORK/g.ini" --set run.checkpoint_dir="$WORK/slow$np" --set model.name=test_slow \
        --set model.work_us=50 --set model.work_spread=100 --set run.particles=60 \
        --set run.generations=3
    [ "$RC" -eq 0 ] || { fail "test_slow np=$np exit $RC"; cat "$WORK/out" >&2; }
done
for np in 2 4; do
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/slow1" "$WORK/slow$np"; then
        pass "test_slow: np 1 == np $np"
    else
        fail "test_slow: np 1 != np $np"
    fi
done
# N = 3000, d = 2: N^2 d = 1.8e7 kernel terms, above the 1.6e7 below which
# every rank computes all weights itself: here ranks compute blocks of them
# and gather (pmc_pmcabc.c, compute_weights).
for np in 1 3; do
    pmc "$np" run "$WORK/g.ini" --set run.checkpoint_dir="$WORK/big$np" --set run.particles=3000 \
        --set run.generations=3
    [ "$RC" -eq 0 ] || { fail "N = 3000 np=$np exit $RC"; cat "$WORK/out" >&2; }
done
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/big1" "$WORK/big3"; then
    pass "N = 3000 (weights shared out): np 1 == np 3"
else
    fail "N = 3000 (weights shared out): np 1 != np 3"
fi
finish

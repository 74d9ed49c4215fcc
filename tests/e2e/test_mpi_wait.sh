#!/bin/bash
# A rank with nothing to do must not spin: 3 ranks, 2 slots of a model that
# takes 1.5 s, so one rank waits the whole generation. The scheduler
# measures each waiting rank's CPU time (process CPU clock) against its
# waiting wall time and logs the maximum with --verbose; it must stay < 20 %.
# Typical is 1-1.5 % (about 50 us per wake-up, 250 wake-ups a second); a
# spinning rank uses 100 %. The limit separates the two, not the machine's
# speed: a wake-up costs more under the sanitizers and on a loaded machine
# (an ASan tree on a busy 2-core CI machine measured 3.06 % against an older
# 3 % limit); docs/performance.md keeps the typical figure. The model sleeps (test_gate, sleep_us) rather
# than burns CPU: with test_slow, 3 ranks on a 2-core machine competed for
# the cores with the rank being measured (a busy CI machine once saw 2.19 %),
# and the wait lasted as long as the machine took to burn 1.5 s.
. "$(dirname "$0")/common.sh"

make_config w
pmc 3 run "$WORK/w.ini" --verbose "${GATE_MODEL[@]}" --set model.sleep_us=1500000 \
    --set run.particles=2 --set run.generations=1
expect_status "3 ranks, 2 slow slots" 0 "waiting ranks used at most"
pct=$(sed -n 's/.*waiting ranks used at most \([0-9.]*\)% of a core.*/\1/p' "$WORK/out" | head -1)
if [ -n "$pct" ] && awk -v p="$pct" 'BEGIN { exit !(p < 20.0) }'; then
    pass "waiting rank used $pct% of a core (< 20%: not spinning)"
else
    fail "waiting rank used '${pct:-?}'% of a core (limit 20%: a spinning rank uses 100%)"
fi
finish

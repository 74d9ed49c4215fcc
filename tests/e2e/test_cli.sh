#!/bin/bash
# The command line: help, version, and every usage error exits 2 with one
# message - also on several ranks, where only rank 0 may print it.
. "$(dirname "$0")/common.sh"

pmc 1 --help
expect_status "--help" 0 "Usage:"
for code in 0 1 2 75; do
    grep -qE "^  $code +[a-z]" "$WORK/out" || fail "--help: exit code $code not listed"
done
pmc 1 -h
expect_status "-h" 0 "Exit codes:"
pmc 1 run --help
expect_status "run --help" 0 "Usage:"

pmc 1 --version
expect_status "--version" 0 "pmcabc 0."
grep -qE '^pmcabc 0\.[0-9]+\.[0-9]+$' "$WORK/out" || fail "--version: expected 'pmcabc 0.X.Y'"
pmc 1 -V
expect_status "-V" 0 "pmcabc 0."

# Usage errors: exit 2, "pmcabc: error: " and what was wrong.
make_config good
pmc 1
expect_status "no arguments" 2 "pmcabc: error: no command given"
pmc 1 walk "$WORK/good.ini"
expect_status "unknown command" 2 "unknown command 'walk'"
pmc 1 run "$WORK/good.ini" --fast
expect_status "unknown option" 2 "unknown option '--fast'"
pmc 1 --fast
expect_status "unknown option as command" 2 "'--fast'"
pmc 1 run
expect_status "run without config" 2 "run: missing CONFIG.ini"
pmc 1 run "$WORK/good.ini" "$WORK/good.ini"
expect_status "two config files" 2 "one config file only"
pmc 1 run "$WORK/good.ini" --set
expect_status "--set without value" 2 "--set needs SECTION.KEY=VALUE"
[ ! -e "$WORK/good.ck" ] || fail "usage errors: checkpoint dir $WORK/good.ck was created"

# A config that does not exist is a usage error: exit 2, naming the path.
missing="$WORK/no/such/job.ini"
pmc 1 run "$missing"
expect_status "nonexistent config" 2 "$missing: cannot open config"

# The same on two ranks: same code, exactly one error line (rank 0's).
for args in "run $missing" "run" "walk" "run $WORK/good.ini --fast"; do
    # shellcheck disable=SC2086 # splitting args into words is intended
    pmc 2 $args
    expect_status "np=2: $args" 2 "pmcabc: error"
    n=$(grep -c 'pmcabc: error' "$WORK/out")
    [ "$n" -eq 1 ] || fail "np=2: $args: $n error lines, expected exactly one"
done
pmc 2 run "$missing"
expect_status "np=2: nonexistent config names it" 2 "$missing"
finish

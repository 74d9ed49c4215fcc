#!/bin/bash
# A corpus of broken configs and data files. Every one must be refused before
# anything is written: exit 2, a message saying what was wrong (with the
# config FILE:LINE where the input has one) and no checkpoint directory.
# Then: a checkpoint directory that already holds a run is refused (with
# --restart=never) or left alone (finished run) and its
# generation files are left byte-identical.
. "$(dirname "$0")/common.sh"

# make_config writes these lines (numbers matter below):
#  1 [run]  2 seed  3 particles  4 generations  5 checkpoint_dir  6 (blank)
#  7 [epsilon]  8 initial  9 quantile  10 (blank)
# 11 [model]  12 name  13 data  14 (blank)  15 [prior]  16 mu  17 sigma

# One case per line: NAME | EDIT | ARG | WHERE | FRAGMENT
#   EDIT line:N  replaces config line N by ARG (\n makes several lines)
#        add     appends ARG to the config
#        set     runs with --set ARG
#        data    writes ARG (printf %b) to NAME.csv and points [model] data at it
#   WHERE N      the message must hold "CONFIG:N: "
#         file   it must hold "CONFIG: " (the config names no line for this)
#         --set  it must hold "--set: "
#         -      no location to check
CASES=(
"syntax_error        |line:9 |quantile 0.5                  |9     |expected 'key = value' or '[section]'"
"unterminated_header |line:7 |[epsilon                      |7     |unterminated section header"
"unknown_section     |line:14|[modle]                       |14    |[modle]: unknown section: expected one of [run]"
"key_before_section  |line:1 |seed = 7                      |1     |key before any [section] header"
"unknown_key         |line:4 |generation = 4                |4     |[run] generation: 4: unknown key: expected one of seed"
"duplicate_key       |line:6 |seed = 8                      |6     |[run] seed: 8: duplicate key: already set on line 2"
"missing_seed        |line:2 |                              |file  |[run] seed: missing"
"particles_1         |line:3 |particles = 1                 |3     |[run] particles: 1: expected at least 2 particles"
"particles_abc       |line:3 |particles = abc               |3     |[run] particles: abc: expected a non-negative whole number"
"quantile_1_5        |line:9 |quantile = 1.5                |9     |[epsilon] quantile: 1.5: expected a number strictly between 0 and 1"
"quantile_0          |line:9 |quantile = 0                  |9     |[epsilon] quantile: 0: expected a number strictly between 0 and 1"
"initial_negative    |line:8 |initial = -1                  |8     |[epsilon] initial: -1: expected a positive number or inf"
"generations_0       |line:4 |generations = 0               |4     |[run] generations: 0: expected at least 1 generation"
"seed_negative       |line:2 |seed = -3                     |2     |[run] seed: -3: expected a non-negative whole number"
"initial_1e999       |line:8 |initial = 1e999               |8     |[epsilon] initial: 1e999: out of range"
"quantile_nan        |line:9 |quantile = nan                |9     |[epsilon] quantile: nan: expected a number, not nan"
"uniform_reversed    |line:17|sigma = uniform(25, 5)        |17    |lower bound must be below upper bound"
"normal_negative_sd  |line:16|mu = normal(0, -1)            |16    |[prior] mu: normal(0, -1):"
"unknown_distribution|line:16|mu = cauchy(170, 5)           |16    |unknown distribution 'cauchy'"
"sigma_prior_normal  |line:17|sigma = normal(10, 2)         |17    |needs a prior on positive values"
"missing_data_file   |line:13|data = no-such-file.csv       |13    |cannot open data file $WORK/no-such-file.csv: No such file"
"missing_data_key    |line:13|                              |file  |[model] data: missing"
"empty_data_file     |data   |                              |13    |no data"
"data_not_a_number   |data   |170.1\n# note\nabc\n171\n     |13    |data_not_a_number.csv:3: 'abc': not a number"
"data_nan            |data   |170.1\nNaN\n                  |13    |data_nan.csv:2: 'NaN': expected a finite number"
"data_two_columns    |data   |170.1\n171.2, 172.3\n         |13    |data_two_columns.csv:2: '171.2, 172.3': expected one column"
"unknown_model       |line:12|name = gausian                |12    |[model] name: gausian: unknown model"
"unknown_model_key   |line:14|noise_sd = 2                  |14    |[model] noise_sd: 2: unknown key for this model"
"bad_model_value     |line:12|name = test_slow\nwork_us = -1|13    |[model] work_us: -1: expected a finite number >= 0"
"prior_count         |line:17|sigma = uniform(5, 25)\ntau = uniform(0, 1)|file|[prior]: model gaussian has 2 parameters"
"unknown_distance    |add    |[distance]\nname = manhattan  |19    |manhattan: unknown distance"
"set_malformed       |set    |run.particles                 |--set |malformed override: expected section.key=value"
"set_bad_value       |set    |run.particles=1               |--set |[run] particles: 1: expected at least 2 particles"
"set_unknown_section |set    |runn.seed=3                   |--set |[runn]: unknown section"
"set_model_key       |set    |model.noise_sd=2              |--set |[model] noise_sd: 2: unknown key for this model"
"set_prior_positive  |set    |prior.sigma=normal(10, 2)     |--set |[prior] sigma: model gaussian needs a prior on positive values"
)

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# run_case NAME EDIT ARG WHERE FRAGMENT
run_case() {
    local name=$1 edit=$2 arg=$3 where=$4 frag=$5
    make_config "$name"
    local cfg="$WORK/$name.ini" ck="$WORK/$name.ck" set=()
    case $edit in
        line:*) awk -v n="${edit#line:}" -v t="$arg" 'NR == n { print t; next } 1' \
                    "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg" ;;
        add) printf '%b\n' "$arg" >>"$cfg" ;;
        set) set=(--set "$arg") ;;
        data) printf '%b' "$arg" >"$WORK/$name.csv"
              sed -i "13s|.*|data = $name.csv|" "$cfg" ;;
        *) fail "$name: unknown edit '$edit'"; return ;;
    esac
    pmc 1 run "$cfg" "${set[@]}"
    expect_status "$name" 2 "$frag"
    case $where in
        file) loc="$cfg: " ;;
        --set) loc="--set: " ;;
        -) loc="" ;;
        *) loc="$cfg:$where: " ;;
    esac
    [ -z "$loc" ] || grep -qF -- "$loc" "$WORK/out" || fail "$name: message lacks '$loc'"
    [ "$(grep -c 'pmcabc: error' "$WORK/out")" -eq 1 ] || fail "$name: expected one error line"
    [ ! -e "$ck" ] || fail "$name: checkpoint dir $ck was created"
}

for c in "${CASES[@]}"; do
    IFS='|' read -r name edit arg where frag <<<"$c"
    run_case "$(trim "$name")" "$(trim "$edit")" "$(trim "$arg")" "$(trim "$where")" "$frag"
done
[ "${#CASES[@]}" -ge 25 ] || fail "corpus has ${#CASES[@]} cases, expected at least 25"

# Two ranks refuse the same way, with one message.
make_config np2
pmc 2 run "$WORK/np2.ini" --set epsilon.quantile=1.5
expect_status "np=2: bad value" 2 "--set: [epsilon] quantile: 1.5: expected a number strictly"
[ "$(grep -c 'pmcabc: error' "$WORK/out")" -eq 1 ] || fail "np=2: expected one error line"
[ ! -e "$WORK/np2.ck" ] || fail "np=2: checkpoint dir was created"

# A checkpoint directory that already holds a run is refused with
# --restart=never, and a finished run started again does nothing; either way
# the directory is untouched: same listing (hidden files too), same directory
# mtime, same file bytes.
snapshot() {
    (cd "$WORK/again.ck" && stat -c '%n %y' . && ls -lA --time-style=full-iso &&
        sha256sum gen-*.h5)
}
make_config again
pmc 2 run "$WORK/again.ini"
expect_status "first run" 0 "all 4 generations done"
ls "$WORK/again.ck"/gen-*.h5 >/dev/null 2>&1 || fail "first run wrote no generation files"
snapshot >"$WORK/before"
for np in 1 2; do
    pmc "$np" run "$WORK/again.ini" --restart=never
    expect_status "rerun into a used dir, --restart=never, np=$np" 2 "already holds a run"
    grep -qF -- "$WORK/again.ck" "$WORK/out" || fail "rerun np=$np: message lacks the directory"
    pmc "$np" run "$WORK/again.ini"
    expect_status "rerun of a finished run, np=$np" 0 "already finished"
    snapshot >"$WORK/after"
    cmp -s "$WORK/before" "$WORK/after" || {
        fail "rerun np=$np: checkpoint dir changed:"; diff "$WORK/before" "$WORK/after" >&2; }
done
finish

#!/bin/bash
# A corpus of broken configs and data files. Every one must be refused before
# anything is written: exit 2, a message saying what was wrong (with the
# config FILE:LINE where the input has one) and no checkpoint directory.
# Then: a checkpoint directory that already holds a run is refused (with
# --restart=never) or left alone (finished run, also on a read-only mount)
# and its generation files are left byte-identical.
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
#        table:COLUMNS  the same, and sets [model] data_columns = COLUMNS (line 14)
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
"scale_log_negative  |line:16|mu = normal(170, 5) log       |16    |[prior] mu: normal(170, 5) log: the log scale needs a prior on values >= 0, and normal(170, 5) reaches below 0"
"scale_logit_open    |line:17|sigma = gamma(2, 5) logit     |17    |the logit scale needs a prior with two finite bounds"
"scale_unknown       |line:17|sigma = uniform(5, 25) sqrt   |17    |a scale after it is 'log' or 'logit'"
"uniform_int_real    |line:16|mu = uniform_int(150.5, 200)  |16    |[prior] mu: uniform_int(150.5, 200): uniform_int(a, b): a must be a whole number"
"categorical_one     |line:16|mu = categorical(1)           |16    |expected categorical(p1, ..., pk) with 2 to 16 numbers, got 1"
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
"particles_too_many  |line:3 |particles = 1000000000000     |3     |[run] particles: 1000000000000: expected at most 100000000 particles"
"data_directory      |line:13|data = .                      |13    |cannot open data file $WORK/.: Is a directory (expected a file of numbers)"
"data_one_value      |data   |170.1\n                       |13    |data_one_value.csv: 1 value: model gaussian needs at least 2"
"data_bom_inside     |data   |170.1\n\xEF\xBB\xBF171\n        |13    |data_bom_inside.csv:2: '\xEF\xBB\xBF171': not a number"
"config_nbsp_key     |add    |[run]\n\xC2\xA0keep_last = 1    |19    |[run] \xC2\xA0keep_last: 1: unknown key"
"config_control_char |add    |[prior]\ntau = uniform(0,\x011)|19    |[prior] tau: uniform(0,\x011):"
"plugin_empty        |line:12|name = plugin\nplugin =       |13    |[model] plugin: (empty): expected the path of a shared object"
"plugin_directory    |line:12|name = plugin\nplugin = .     |13    |[model] plugin: .: cannot open plugin $WORK/.: Is a directory"
"table_ragged        |table:x|h,x\n1,170\n2\n             |13    |table_ragged.csv:3: 1 cell, but the header (line 1) names 2 columns (h, x)"
"table_unknown_column|table:y|h,x\n1,170\n2,171\n        |14    |[model] data_columns: y: no column 'y' in the header of $WORK/table_unknown_column.csv:1 (its columns: h, x)"
"table_not_a_number  |table:x|h,x\n1,170\n# gap\n2,1 71\n |13    |table_not_a_number.csv:4: row 2, column 'x': '1 71': not a number"
"table_header_only   |table:x|# none yet\nh,x\n\n          |13    |table_header_only.csv:2: no data: the header row (h, x) is not followed by any row"
"table_duplicate     |table:x|x,h,x\n1,2,3\n             |13    |table_duplicate.csv:1: column 'x' appears twice in the header (columns 1 and 3)"
"table_no_header     |table:x|170.1\n171.2\n              |14    |[model] data_columns: x: $WORK/table_no_header.csv:1: '170.1': expected a header row naming the columns, found numbers"
"table_two_columns   |table:h, x|h,x\n1,170\n2,171\n     |14    |[model] data_columns: h, x: 2 columns: model gaussian reads one column (the sample)"
"table_quote         |table:x|h,x\n1,\"170\n            |13    |table_quote.csv:2: unterminated quote"
"data_columns_twice  |table:x, x|h,x\n1,170\n         |14    |[model] data_columns: x, x: 'x' is listed twice"
"data_columns_no_data|line:13|data_columns = x              |13    |[model] data_columns: x: expected [model] data too"
"data_header_no_columns|data |height\n170.1\n171.2\n      |13    |data_header_no_columns.csv:1: 'height': not a number; a table with a header row needs [model] data_columns"
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
        table:*) printf '%b' "$arg" >"$WORK/$name.csv"
              sed -i "13s|.*|data = $name.csv|; 14s|.*|data_columns = ${edit#table:}|" "$cfg" ;;
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

# A plugin's init message "data: ..." is reported at the data key's line
# (test_gate's init wants 2 values at least).
make_config plugin_data
printf '170.1\n' >"$WORK/plugin_data.csv"
sed -i "12s|.*|name = plugin\nplugin = $PMC_GATE_PLUGIN|; 13s|.*|data = plugin_data.csv|" "$WORK/plugin_data.ini"
pmc 1 run "$WORK/plugin_data.ini"
expect_status "plugin init message 'data: ...' at the data line" 2 \
    "plugin_data.ini:14: [model] data: $WORK/plugin_data.csv: model test_gate: 1 value: expected at least 2"
[ ! -e "$WORK/plugin_data.ck" ] || fail "plugin init failure: checkpoint dir was created"

# A UTF-8 byte-order mark at the start of the config and of the data file is
# skipped; the log names a plugin model by its own name, not "plugin".
make_config bom
{ printf '\xEF\xBB\xBF'; cat "$WORK/bom.ini"; } >"$WORK/bom.tmp" && mv "$WORK/bom.tmp" "$WORK/bom.ini"
{ printf '\xEF\xBB\xBF'; cat "$WORK/heights.csv"; } >"$WORK/bom.csv"
pmc 1 run "$WORK/bom.ini" --set "model.data=$WORK/bom.csv" "${GATE_MODEL[@]}" --set run.generations=1
expect_status "byte-order marks at the start of config and data skipped" 0 \
    "stopping: the only generation is done (generations = 1)"
grep -qF "model test_gate, 2 parameters," "$WORK/out" && pass "log names the plugin model test_gate" ||
    fail "log does not name the plugin model test_gate"

# Out of memory for the population (an address-space limit below what 9e7
# particles need): exit 1, and the directories the run created (3 levels)
# are gone again, as for a config error. AddressSanitizer reserves terabytes
# of shadow memory at start, which no ulimit -v allows: skipped there.
if ldd "$PMCABC" 2>/dev/null | grep -q libasan; then
    pass "out of memory: skipped under AddressSanitizer (it cannot start under ulimit -v)"
else
    (ulimit -v 3000000 && pmc 1 run "$WORK/bom.ini" --set run.particles=90000000 \
        --set "run.checkpoint_dir=$WORK/oom/a/b" && echo "RC=$RC" >"$WORK/oom.rc")
    RC=$(sed -n 's/^RC=//p' "$WORK/oom.rc" 2>/dev/null)
    RC=${RC:-99}
    expect_status "out of memory for the particles -> 1" 1 "out of memory for 90000000 particles"
    [ ! -e "$WORK/oom" ] && pass "out of memory: no directory left" || fail "out of memory: left $(find "$WORK/oom")"
fi

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

# The finished run on a read-only mount (a read-only bind mount of it; needs
# root): it is reported (exit 0, nothing written, no lock); anything that
# would have to write fails, naming the directory.
ro="$WORK/again-ro"
mkdir -p "$ro"
if mount --bind "$WORK/again.ck" "$ro" 2>/dev/null && mount -o remount,ro,bind "$ro" 2>/dev/null; then
    trap 'umount "$ro" 2>/dev/null; rm -rf "$WORK"' EXIT
    for np in 1 2; do
        pmc "$np" run "$WORK/again.ini" --set "run.checkpoint_dir=$ro"
        expect_status "finished run on a read-only mount, np=$np" 0 "already finished"
        grep -qF "$ro is not writable: reading it only" "$WORK/out" || fail "read-only np=$np: not said"
    done
    pmc 2 run "$WORK/again.ini" --set "run.checkpoint_dir=$ro" --set run.generations=5
    expect_status "unfinished run on a read-only mount -> 1" 1 \
        "pmcabc: error: $ro: directory not writable: Read-only file system"
    snapshot >"$WORK/after"
    cmp -s "$WORK/before" "$WORK/after" || fail "read-only runs: checkpoint dir changed"
    umount "$ro"
else
    umount "$ro" 2>/dev/null
    echo "skipped: read-only bind mount not allowed here (needs root)"
fi
finish

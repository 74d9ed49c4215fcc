#!/bin/bash
# Model plugins: build the example plugin outside the tree against an
# installed pmcabc (only the installed header, pkg-config file and CMake
# package), run it on 1 and 2 ranks (same bits), and check every loading and
# runtime error: exit status and the message naming FILE:LINE.
. "$(dirname "$0")/common.sh"
: "${PMC_BUILD_DIR:?set by CTest}"
CC=${CC:-cc}
PREFIX="$WORK/prefix"
EX="$PMC_SOURCE_DIR/examples/normal_mean"

if cmake --install "$PMC_BUILD_DIR" --prefix "$PREFIX" >"$WORK/out" 2>&1; then
    pass "cmake --install to a temporary prefix"
else
    fail "cmake --install"; sed 's/^/    /' "$WORK/out" >&2; finish
fi
for f in include/pmcabc/model.h lib/pkgconfig/pmcabc.pc lib/cmake/pmcabc/pmcabcConfig.cmake; do
    [ -f "$PREFIX/$f" ] && pass "installed $f" || fail "not installed: $f"
done

# Only the installed files: copy the source away from the tree first.
mkdir -p "$WORK/plugin" && cp "$EX/normal_mean.c" "$EX/data.csv" "$WORK/plugin/"
CFLAGS_PMC=$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags pmcabc)
if $CC -std=c11 -Wall -Wextra -Werror -shared -fPIC -O2 $CFLAGS_PMC "$WORK/plugin/normal_mean.c" \
        -o "$WORK/plugin/libnormal_mean.so" -lm >"$WORK/out" 2>&1; then
    pass "example plugin builds with pkg-config --cflags pmcabc ($CFLAGS_PMC)"
else
    fail "plugin build with pkg-config"; sed 's/^/    /' "$WORK/out" >&2
fi
if cmake -S "$EX" -B "$WORK/cmake-build" -DCMAKE_PREFIX_PATH="$PREFIX" >"$WORK/out" 2>&1 &&
        cmake --build "$WORK/cmake-build" >>"$WORK/out" 2>&1 &&
        [ -f "$WORK/cmake-build/libnormal_mean.so" ]; then
    pass "example plugin builds with find_package(pmcabc)"
else
    fail "plugin build with find_package"; sed 's/^/    /' "$WORK/out" >&2
fi

# plugin_config NAME [PLUGIN] [PRIORS]: $WORK/NAME.ini; the plugin key is on line 13.
plugin_config() {
    local name=$1 plugin=${2:-plugin/libnormal_mean.so} priors=${3:-mu = normal(0, 3)}
    cat >"$WORK/$name.ini" <<EOT
[run]
seed = 3
particles = 300
generations = 5
checkpoint_dir = $WORK/$name.ck

[epsilon]
initial = inf
quantile = 0.5

[model]
name = plugin
plugin = $plugin
data = plugin/data.csv

[prior]
$priors
EOT
}

plugin_config good
pmc 1 run "$WORK/good.ini"
expect_status "plugin run, np=1" 0 "posterior: generation 4"
pmc 2 run "$WORK/good.ini" --set "run.checkpoint_dir=$WORK/good2.ck"
expect_status "plugin run, np=2" 0 "posterior: generation 4"
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/good.ck" "$WORK/good2.ck" >"$WORK/out" 2>&1; then
    pass "plugin: np=1 and np=2 give the same bits"
    "$PMCABC" inspect "$WORK/good.ck" >"$WORK/out" 2>&1
    grep -qE '^model +normal_mean$' "$WORK/out" && pass "inspect names the plugin's own model" ||
        { fail "inspect does not name model normal_mean"; sed 's/^/    /' "$WORK/out" >&2; }
else
    fail "plugin: np=1 and np=2 differ"; sed 's/^/    /' "$WORK/out" >&2
fi

# Plugins built against the version 1 and 2 headers still load and give the
# same bits as the same source built against the current header; so they do
# with the data as a table ([model] data_columns): they get the selected
# column's numbers as before.
V1_INC="$E2E_DIR/model_v1"
{ echo "# the example's data as a table, with a column of text"
  echo 'id,"x",note'
  grep -v '^#' "$WORK/plugin/data.csv" | grep . | awk '{ print NR ", " $1 ", \"n, " NR "\"" }'
} >"$WORK/plugin/table.csv"
for v in 1 2; do
    if $CC -std=c11 -Wall -Wextra -Werror -shared -fPIC -O2 -I"$E2E_DIR/model_v$v" \
            "$WORK/plugin/normal_mean.c" -o "$WORK/plugin/libnormal_mean_v$v.so" -lm >"$WORK/out" 2>&1; then
        pass "example plugin builds against the version $v header"
    else
        fail "plugin build against the version $v header"; sed 's/^/    /' "$WORK/out" >&2
    fi
    pmc 1 run "$WORK/good.ini" --set "run.checkpoint_dir=$WORK/good_v$v.ck" \
        --set "model.plugin=$WORK/plugin/libnormal_mean_v$v.so"
    expect_status "version $v plugin run, np=1" 0 "posterior: generation 4"
    pmc 1 run "$WORK/good.ini" --set "run.checkpoint_dir=$WORK/good_v${v}_table.ck" \
        --set "model.plugin=$WORK/plugin/libnormal_mean_v$v.so" \
        --set "model.data=$WORK/plugin/table.csv" --set model.data_columns=x
    expect_status "version $v plugin run on a table, np=1" 0 "posterior: generation 4"
    for ck in good_v$v good_v${v}_table; do
        if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/good.ck" "$WORK/$ck.ck" >"$WORK/out" 2>&1; then
            pass "plugin: $ck and the current build give the same bits"
        else
            fail "plugin: $ck and the current build differ"; sed 's/^/    /' "$WORK/out" >&2
        fi
    done
done
pmc 2 run "$WORK/good.ini" --set "run.checkpoint_dir=$WORK/good_k2.ck" \
    --set "model.plugin=$WORK/plugin/libnormal_mean_v1.so" --set mpi.ranks_per_simulation=2
expect_status "version 1 plugin with ranks_per_simulation = 2" 2 \
    "--set: [mpi] ranks_per_simulation: 2: model normal_mean runs each simulation on one rank"

# bad_plugin NAME BODY: compiles a plugin whose description is BODY, as a
# version 1 plugin (the layout these positional initialisers were written
# for), or with INCLUDE_FLAGS as given.
bad_plugin() {
    cat >"$WORK/plugin/$1.c" <<EOT
#include <math.h>
#include <stdio.h>
#include <pmcabc/model.h>
static int obs(const double *d, size_t n, double *o, void *s, char *e, size_t el)
{ (void)d; (void)n; (void)s; (void)e; (void)el; o[0] = 0; return 0; }
static int sim_fail(const double *p, pmcabc_rng *r, double *o, void *s, char *e, size_t el)
{ (void)r; (void)o; (void)s; snprintf(e, el, "mu %g is too large", p[0]); return p[0] > -1e9; }
static int sim_nan(const double *p, pmcabc_rng *r, double *o, void *s, char *e, size_t el)
{ (void)p; (void)r; (void)s; (void)e; (void)el; o[0] = NAN; return 0; }
$2
EOT
    $CC -std=c11 -Wall -Wextra -Werror -shared -fPIC ${3:--I$V1_INC} "$WORK/plugin/$1.c" \
        -o "$WORK/plugin/lib$1.so" -lm || fail "compiling $1"
}
bad_plugin noentry 'int unrelated(void) { return (int)sizeof(obs) + (int)sizeof(sim_fail) + (int)sizeof(sim_nan); }'
bad_plugin abi99 'static const pmcabc_model m = {99, "x", 1, NULL, 1, NULL, NULL, obs, sim_nan, NULL};
const pmcabc_model *pmcabc_model_plugin(void) { (void)sim_fail; return &m; }'
bad_plugin fails 'static const pmcabc_model m = {1, "failing", 1, NULL, 1, NULL, NULL, obs, sim_fail, NULL};
const pmcabc_model *pmcabc_model_plugin(void) { (void)sim_nan; return &m; }'
bad_plugin nans 'static const pmcabc_model m = {1, "nans", 1, NULL, 1, NULL, NULL, obs, sim_nan, NULL};
const pmcabc_model *pmcabc_model_plugin(void) { (void)sim_fail; return &m; }'
bad_plugin nosim 'static const pmcabc_model m = {.abi_version = PMCABC_MODEL_ABI_VERSION,
    .name = "nosim", .n_params = 1, .n_stats = 1, .observed_stats = obs};
const pmcabc_model *pmcabc_model_plugin(void) { (void)sim_fail; (void)sim_nan; return &m; }' "$CFLAGS_PMC"
bad_plugin noobs 'static const pmcabc_model m = {.abi_version = PMCABC_MODEL_ABI_VERSION,
    .name = "noobs", .n_params = 1, .n_stats = 1, .simulate = sim_nan};
const pmcabc_model *pmcabc_model_plugin(void) { (void)sim_fail; (void)obs; return &m; }' "$CFLAGS_PMC"
echo "not a shared object" >"$WORK/plugin/libtext.so"

check_bad() { # NAME PLUGIN CODE FRAGMENT [PRIORS]
    plugin_config "$1" "$2" "${5:-mu = normal(0, 3)}"
    pmc 1 run "$WORK/$1.ini"
    expect_status "$1" "$3" "$4"
}
check_bad missing_file plugin/libnone.so 2 "missing_file.ini:13: [model] plugin: plugin/libnone.so: cannot open plugin $WORK/plugin/libnone.so: No such file or directory"
check_bad not_shared plugin/libtext.so 2 "not_shared.ini:13: [model] plugin: plugin/libtext.so: not a loadable shared object:"
check_bad no_entry plugin/libnoentry.so 2 "no_entry.ini:13: [model] plugin: plugin/libnoentry.so: no symbol pmcabc_model_plugin"
check_bad abi plugin/libabi99.so 2 "abi.ini:13: [model] plugin: plugin/libabi99.so: plugin ABI version 99, but this pmcabc supports versions 1 to 3"
check_bad nosim plugin/libnosim.so 2 "nosim.ini:13: [model] plugin: plugin/libnosim.so: the plugin description lacks simulate (or simulate_group)"
check_bad noobs plugin/libnoobs.so 2 "noobs.ini:13: [model] plugin: plugin/libnoobs.so: the plugin description lacks observed_stats (or observed_table)"
check_bad count plugin/libnormal_mean.so 2 "count.ini:13: [model] plugin: plugin/libnormal_mean.so: model normal_mean has 1 parameter, the [prior] section defines 2" $'mu = normal(0, 3)\nsd = uniform(1, 2)'
check_bad names plugin/libnormal_mean.so 2 "names.ini:17: [prior] theta: model normal_mean expects parameter 1 to be named mu" 'theta = normal(0, 3)'
check_bad sim_error plugin/libfails.so 1 "model failing: mu"
grep -qF "is too large" "$WORK/out" && grep -qF "parameters (mu = " "$WORK/out" &&
    pass "sim_error: message has the plugin text and the parameters" ||
    { fail "sim_error message"; sed 's/^/    /' "$WORK/out" >&2; }
check_bad sim_nan plugin/libnans.so 1 "model nans returned a non-finite summary statistic 0 (nan)"

# ABI version 3: test_table (tests/models/test_table.c), built against the
# installed header, checks the table it gets in init_table and
# observed_table: the selected columns in data_columns order, the rows, the
# file's path; a file of one number per line is one column without names.
if $CC -std=c11 -Wall -Wextra -Werror -shared -fPIC -O2 $CFLAGS_PMC \
        "$PMC_SOURCE_DIR/tests/models/test_table.c" -o "$WORK/plugin/libtest_table.so" >"$WORK/out" 2>&1; then
    pass "the version 3 plugin test_table builds against the installed header"
else
    fail "test_table build"; sed 's/^/    /' "$WORK/out" >&2
fi
rows=$(grep -vc '^#' "$WORK/plugin/data.csv")
table_run() { # NAME CODE FRAGMENT DATA --set ARGS...: DATA on line 14 of the config
    local name=$1 code=$2 frag=$3 data=$4
    shift 4
    plugin_config "$name" plugin/libtest_table.so
    sed -i "14s|.*|data = $data|" "$WORK/$name.ini"
    pmc 1 run "$WORK/$name.ini" --set run.generations=2 "$@"
    expect_status "$name" "$code" "$frag"
}
table_run table_columns 0 "posterior: generation 1" plugin/table.csv \
    --set "model.data_columns=x, id" --set "model.expect_columns=x, id" \
    --set "model.expect_rows=$rows" --set "model.expect_path=$WORK/plugin/table.csv"
table_run table_one_column 0 "posterior: generation 1" plugin/data.csv \
    --set model.expect_columns=none --set "model.expect_rows=$rows" \
    --set "model.expect_path=$WORK/plugin/data.csv"
table_run table_mismatch 2 \
    "table_mismatch.ini:14: [model] data: $WORK/plugin/table.csv: model test_table: columns is 'x', expected 'id, x'" \
    plugin/table.csv --set model.data_columns=x --set "model.expect_columns=id, x"

# A resume refuses a rebuilt plugin (its file digest is in every checkpoint):
# simulate changed to params[0] * 2, as a user editing the model would.
cp "$WORK/plugin/libnormal_mean.so" "$WORK/plugin/librebuilt.so"
plugin_config rebuilt plugin/librebuilt.so
pmc 1 run "$WORK/rebuilt.ini" --set run.generations=3
expect_status "rebuilt: first 3 generations" 0 "posterior: generation 2"
sed 's/sum += params\[0\] +/sum += 2.0 * params[0] +/' "$WORK/plugin/normal_mean.c" >"$WORK/plugin/changed.c"
grep -qF "2.0 * params[0]" "$WORK/plugin/changed.c" || fail "rebuilt: the source edit did not apply"
$CC -std=c11 -shared -fPIC -O2 $CFLAGS_PMC "$WORK/plugin/changed.c" -o "$WORK/plugin/librebuilt.so" -lm
ls -l "$WORK/rebuilt.ck" >"$WORK/rebuilt.before"
pmc 1 run "$WORK/rebuilt.ini"
expect_status "rebuilt: resume refused" 2 "gen-0002.h5 was computed with another build of the model: $WORK/plugin/librebuilt.so changed since the run started (digest"
ls -l "$WORK/rebuilt.ck" | cmp -s - "$WORK/rebuilt.before" && pass "rebuilt: nothing written" ||
    fail "rebuilt: the checkpoint directory changed"
cp "$WORK/plugin/libnormal_mean.so" "$WORK/plugin/librebuilt.so"
pmc 1 run "$WORK/rebuilt.ini"
expect_status "rebuilt: the original plugin back resumes" 0 "resuming from generation 2"
finish

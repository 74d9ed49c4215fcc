#!/bin/bash
# Model choice ([models], [model.LABEL], [prior.LABEL]; docs/config.md):
# MA(1) against MA(2) on jobs/data/ma2.csv, as in jobs/ma_choice.ini. The
# same bytes on 1 and 3 ranks, after a resume between generations and after
# a stop by max_simulations inside a generation; the files' model index,
# labels and probabilities; inspect and pmcabc-summary agree; a model whose
# particles all die; a built-in model against a simulator program; the bad
# inputs of docs/config.md, each exit 2.
. "$(dirname "$0")/common.sh"

DATA="$PMC_SOURCE_DIR/jobs/data/ma2.csv"
cat >"$WORK/c.ini" <<EOF
[run]
seed = 5
particles = 200
generations = 5
checkpoint_interval = 0

[epsilon]
initial = inf
quantile = 0.5

[models]
prior = 0.5, 0.5

[model.ma1]
name = ma2
data = $DATA

[prior.ma1]
t1 = uniform(-1, 1)
t2 = uniform(-0.000001, 0.000001)

[model.ma2]
name = ma2
data = $DATA

[prior.ma2]
t1 = uniform(-2, 2)
t2 = uniform(-1, 1)
EOF

same() { # same NAME DIR_A DIR_B
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$2" "$3" >/dev/null; then pass "$1"; else fail "$1"; fi
}

pmc 1 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/c1"
expect_status "two models, np=1" 0 "posterior model probabilities: ma1"
pmc 3 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/c3"
expect_status "two models, np=3" 0 "gen    4  models: ma1"
same "two models: np 1 == np 3" "$WORK/c1" "$WORK/c3"

pmc 2 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/cr" --set run.generations=2
pmc 2 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/cr"
expect_status "two models: resumed" 0 "resuming from generation 1"
same "two models: 2 generations resumed to 5 == 5" "$WORK/c1" "$WORK/cr"

# A budget that ends the run inside generation 3 (250 simulations left, more
# than its 200 slots need at least; the slots done so far are
# saved in its partial file); then the same run without the budget.
budget=$("$PMC_PYTHON" -c "import h5py; print(int(h5py.File('$WORK/c1/gen-0002.h5').attrs['n_simulations']) + 250)")
pmc 2 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/cb" --set run.max_simulations="$budget"
expect_status "two models: max_simulations inside generation 3" 0 "max_simulations"
[ -e "$WORK/cb/partial-0003.h5" ] && pass "two models: partial file of generation 3" ||
    fail "two models: no partial-0003.h5: $(ls "$WORK/cb")"
pmc 2 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/cb"
expect_status "two models: resumed from the partial file" 0 "all 5 generations done"
same "two models: budget stop resumed == straight run" "$WORK/c1" "$WORK/cb"

# The files: column 0 the model index, the other model's columns NaN, the
# labels and the probabilities (the weight on each model).
"$PMC_PYTHON" - "$WORK/c1/gen-0004.h5" <<'PY' && pass "two models: files hold index, labels, probabilities" || fail "two models: file contents"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["parameter_names"]]
assert names == ["model", "ma1.t1", "ma1.t2", "ma2.t1", "ma2.t2"], names
labels = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["model_names"]]
assert labels == ["ma1", "ma2"], labels
theta, w = f["theta"][...], f["weights"][...]
m = theta[:, 0]
assert set(np.unique(m)) <= {0.0, 1.0}
assert np.isnan(theta[m == 0][:, 3:]).all() and not np.isnan(theta[m == 0][:, 1:3]).any()
assert np.isnan(theta[m == 1][:, 1:3]).all() and not np.isnan(theta[m == 1][:, 3:]).any()
p = f.attrs["model_probabilities"]
assert abs(p.sum() - 1) < 1e-12 and abs(p[0] - w[m == 0].sum()) < 1e-12, (p, w[m == 0].sum())
assert f.attrs["model"] in ("choice", b"choice")
PY

pmc 1 inspect "$WORK/c1"
expect_status "inspect: model probabilities per generation" 0 "posterior model probabilities"
"$PMCABC" inspect --json "$WORK/c1" >"$WORK/c.json"
"$PMC_PYTHON" "$PMC_SOURCE_DIR/tools/pmcabc-summary" --json "$WORK/c1" >"$WORK/p.json"
"$PMC_PYTHON" - "$WORK/c.json" "$WORK/p.json" <<'PY' && pass "inspect --json models == pmcabc-summary's" || fail "inspect --json models differ from pmcabc-summary's"
import json, sys
c, p = (json.load(open(x)) for x in sys.argv[1:])
assert c["models"] == p["models"] and c["models"]["names"] == ["ma1", "ma2"], (c["models"], p["models"])
assert len(c["models"]["probabilities"]) == 5
assert [q["name"] for q in c["posterior"]["parameters"]] == [q["name"] for q in p["posterior"]["parameters"]]
for a, b in zip(c["posterior"]["parameters"], p["posterior"]["parameters"]):
    for k in ("mean", "sd", "q05", "q50", "q95"):
        assert abs(a[k] - b[k]) <= 1e-12 * max(1, abs(a[k])), (a, b)
PY
diff <("$PMCABC" inspect "$WORK/c1") <("$PMC_PYTHON" "$PMC_SOURCE_DIR/tools/pmcabc-summary" "$WORK/c1") >/dev/null &&
    pass "inspect text == pmcabc-summary text" || fail "inspect text differs from pmcabc-summary's"

# A model far from the data: accepted in generation 0 (epsilon inf), then
# its particles die; it is still proposed from its prior now and then, and
# its probability stays 0.
cat "$WORK/c.ini" - >"$WORK/far.ini" <<EOF

[model.far]
name = ma2
data = $DATA
constraint = none

[prior.far]
t1 = uniform(50, 60)
t2 = uniform(50, 60)
EOF
sed -i 's/^prior = 0.5, 0.5$/prior = 0.25, 0.25, 0.5/' "$WORK/far.ini"
pmc 2 run "$WORK/far.ini" --set run.checkpoint_dir="$WORK/far"
expect_status "a dead model: the run ends" 0 "posterior model probabilities: ma1"
grep -q "gen    4  models: .*far 0$" "$WORK/out" && pass "a dead model: probability 0" ||
    fail "a dead model: $(grep 'gen    4  models' "$WORK/out")"

# A built-in model against a simulator program (examples/command_python:
# the same statistics of the same data, computed in numpy, whose last bits
# may differ from the built-in's), on 1 and 2 ranks.
PY_DIR="$PMC_SOURCE_DIR/examples/command_python"
sed -n '1,/^\[models\]/p' "$WORK/c.ini" | sed '$d' >"$WORK/cmd.ini"
cat >>"$WORK/cmd.ini" <<EOF
[model.builtin]
name = gaussian
data = $PY_DIR/data.csv

[prior.builtin]
mu = normal(0, 3)
sigma = uniform(0.1, 5)

[model.program]
name = command
command = $PMC_PYTHON $PY_DIR/simulator.py {data}
data = $PY_DIR/data.csv

[prior.program]
mu = normal(0, 1)
sigma = uniform(0.1, 5)
EOF
pmc 1 run "$WORK/cmd.ini" --set run.checkpoint_dir="$WORK/cmd1" --set run.generations=3
expect_status "a built-in model and a program, np=1" 0 "posterior model probabilities: builtin"
pmc 2 run "$WORK/cmd.ini" --set run.checkpoint_dir="$WORK/cmd2" --set run.generations=3
expect_status "a built-in model and a program, np=2" 0 "posterior model probabilities: builtin"
same "a built-in model and a program: np 1 == np 2" "$WORK/cmd1" "$WORK/cmd2"

# Resuming with another model prior is refused, the key named.
pmc 1 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/c1" --set run.generations=6 \
    --set "models.prior=0.3, 0.7"
expect_status "resume with another model prior" 2 "[models] prior: stored 0.5, 0.5, now 0.3, 0.7"

# Bad inputs (docs/config.md, [models]): exit 2 before anything is written.
sed -n '1,/^\[models\]/p' "$WORK/c.ini" | sed '$d' >"$WORK/bad_stats.ini"
cat >>"$WORK/bad_stats.ini" <<EOF
[model.pair]
name = gaussian
data = $PMC_SOURCE_DIR/examples/normal_mean/data.csv

[prior.pair]
mu = normal(0, 3)
sigma = uniform(0.5, 2)

[model.mean]
name = plugin
plugin = $PMC_EXAMPLE_PLUGIN
data = $PMC_SOURCE_DIR/examples/normal_mean/data.csv
sigma0 = 1

[prior.mean]
mu = normal(0, 3)
EOF
pmc 1 run "$WORK/bad_stats.ini" --set run.checkpoint_dir="$WORK/bad1"
expect_status "bad: models with different numbers of statistics" 2 \
    "[model.mean] gives 1 summary statistics, [model.pair] 2"
pmc 1 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/bad2" \
    --set "model.ma2.data=$PMC_SOURCE_DIR/jobs/data/gandk.csv"
expect_status "bad: models that summarise different data" 2 "[model.ma2]'s observed statistic 1 is"
pmc 2 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/bad3" --set mpi.ranks_per_simulation=2
expect_status "bad: ranks_per_simulation 2" 2 "with several models each simulation runs on one rank"
pmc 1 run "$WORK/c.ini" --set run.checkpoint_dir="$WORK/bad4" --set kernel.name=knn
expect_status "bad: a local kernel" 2 "[kernel] name: knn: with several models expected beaumont"
for d in bad1 bad2 bad3 bad4; do
    [ -e "$WORK/$d" ] && fail "$d: $WORK/$d was created" || pass "$d: nothing written"
done

finish

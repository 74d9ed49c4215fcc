#!/bin/bash
# The opt-in kernels ([kernel] name) and tolerance schedules ([epsilon]
# schedule): each runs, gives the same bytes on 1 and 3 ranks, and a run of
# 2 generations resumed to 4 equals a straight run of 4. The stopping rules
# min_acceptance and min_change end a run where docs/config.md says, and a
# resume may change them. (The default kernel and schedule: e2e.golden,
# e2e.reproducible, e2e.resume.)
. "$(dirname "$0")/common.sh"

make_config k
# The list schedule takes no quantile: a config without one.
grep -v '^quantile' "$WORK/k.ini" >"$WORK/list.ini"
printf 'schedule = list\nvalues = 30, 20, 14\n' >"$WORK/list.tail"
sed -i "/^initial = inf/r $WORK/list.tail" "$WORK/list.ini"

# variant NAME INI ARGS...: np 1 vs np 3, and 2 + resume to 4 vs 4.
variant() {
    local name=$1 ini=$2; shift 2
    pmc 1 run "$ini" --set run.checkpoint_dir="$WORK/$name.1" "$@"
    [ "$RC" -eq 0 ] || { fail "$name np=1 exit $RC"; sed 's/^/    /' "$WORK/out" >&2; return; }
    pmc 3 run "$ini" --set run.checkpoint_dir="$WORK/$name.3" "$@"
    [ "$RC" -eq 0 ] || { fail "$name np=3 exit $RC"; sed 's/^/    /' "$WORK/out" >&2; return; }
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/$name.1" "$WORK/$name.3"; then
        pass "$name: np 1 == np 3"
    else
        fail "$name: np 1 != np 3"
    fi
    pmc 2 run "$ini" --set run.checkpoint_dir="$WORK/$name.r" --set run.generations=2 "$@"
    [ "$RC" -eq 0 ] || { fail "$name first 2 generations exit $RC"; return; }
    pmc 2 run "$ini" --set run.checkpoint_dir="$WORK/$name.r" "$@"
    expect_status "$name: resumed" 0 "resuming from generation 1"
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/$name.1" "$WORK/$name.r"; then
        pass "$name: 2 generations resumed to 4 == 4"
    else
        fail "$name: 2 generations resumed to 4 != 4"
    fi
}

variant componentwise "$WORK/k.ini" --set kernel.name=componentwise
variant olcm "$WORK/k.ini" --set kernel.name=olcm
variant knn "$WORK/k.ini" --set kernel.name=knn --set kernel.neighbours=30
variant knn_default "$WORK/k.ini" --set kernel.name=knn
variant weighted "$WORK/k.ini" --set epsilon.schedule=weighted_quantile
variant list "$WORK/list.ini"
variant acceptance "$WORK/k.ini" --set epsilon.schedule=acceptance --set epsilon.target_acceptance=0.3
variant density_ratio "$WORK/k.ini" --set epsilon.schedule=density_ratio
variant olcm_adaptive "$WORK/k.ini" --set kernel.name=olcm --set distance.name=adaptive
# Parameter scales (issue 20 item 3): the kernel on log / logit scales.
variant scales "$WORK/k.ini" --set "prior.mu=uniform(150, 200) logit" \
    --set "prior.sigma=uniform(5, 25) log"
variant scales_knn "$WORK/k.ini" --set "prior.mu=uniform(150, 200) logit" \
    --set "prior.sigma=uniform(5, 25) log" --set kernel.name=knn
# A discrete parameter beside a continuous one on a log scale.
variant discrete "$WORK/k.ini" --set "prior.mu=uniform_int(150, 200)" \
    --set "prior.sigma=uniform(5, 25) log"
variant discrete_cw "$WORK/k.ini" --set "prior.mu=uniform_int(150, 200)" \
    --set kernel.name=componentwise
for local in olcm knn; do
    pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/discrete_$local" \
        --set "prior.mu=uniform_int(150, 200)" --set kernel.name=$local
    expect_status "discrete with $local: refused" 2 "[kernel] name = $local: a local kernel needs \
continuous parameters only, and [prior] mu = uniform_int(...) is discrete: use beaumont or componentwise"
done

# The kernel is used: each gives other populations than the default's.
pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/default"
for name in componentwise olcm knn scales; do
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/default" "$WORK/$name.1" \
        --expect-different; then
        pass "$name differs from beaumont"
    else
        fail "$name gave beaumont's populations"
    fi
done

# The list's values are the tolerances of generations 1..3, and the run
# stops after the last even though generations = 10.
pmc 1 run "$WORK/list.ini" --set run.checkpoint_dir="$WORK/listlong" --set run.generations=10
expect_status "list: stops after its values" 0 "stopping: all 3 values of the epsilon list are done"
"$PMC_PYTHON" - "$WORK/listlong/gen-0003.h5" "$WORK/listlong/gen-0004.h5" <<'PY' ||
import os, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert list(f["epsilons"][1:]) == [30.0, 20.0, 14.0], f["epsilons"][...]
assert not os.path.exists(sys.argv[2])
PY
    fail "list: epsilons are not the values, or a generation past them ran"

# N = 3000, d = 2 (N^2 d above the threshold at which ranks share the
# weights, pmc_pmcabc.c): the local kernel's blocks gather to np 1's bytes.
for np in 1 3; do
    pmc "$np" run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/big$np" --set run.particles=3000 \
        --set run.generations=3 --set kernel.name=olcm
    [ "$RC" -eq 0 ] || { fail "olcm N = 3000 np=$np exit $RC"; cat "$WORK/out" >&2; }
done
if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/big1" "$WORK/big3"; then
    pass "olcm N = 3000 (weights shared out): np 1 == np 3"
else
    fail "olcm N = 3000 (weights shared out): np 1 != np 3"
fi

# acceptance: each generation's quantile is 0.5 x 0.3 / (the acceptance
# before), within [0.05, 0.95], and the log says which.
"$PMC_PYTHON" - "$WORK/acceptance.1" <<'PY' || fail "acceptance: a tolerance is not the quantile the rule gives"
import glob, sys, h5py, numpy as np
files = sorted(glob.glob(sys.argv[1] + "/gen-*.h5"))
for a, b in zip(files, files[1:]):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    q = min(0.95, max(0.05, 0.5 * 0.3 / fa.attrs["acceptance_rate"]))
    # numpy's default quantile is pmc_quantile's type 7
    expect = np.quantile(fa["distances"][...], q)
    assert abs(fb.attrs["epsilon"] - expect) <= 1e-12 * expect, (q, fb.attrs["epsilon"], expect)
PY
pass "acceptance: tolerances follow the quantile rule"

# density_ratio: generation 1 uses the quantile 0.5; generation t >= 2 the
# quantile 1 / c, c the largest ratio of generation t-1's kernel density
# estimate to generation t-2's at t-1's particles (Scott's bandwidth with
# the ESS), within [0.05, 0.95]: recomputed here in numpy.
"$PMC_PYTHON" - "$WORK/density_ratio.1" <<'PY' || fail "density_ratio: a tolerance is not the quantile the rule gives"
import glob, sys, h5py, numpy as np
def kde_log(points, w, x):
    n, d = points.shape
    mean = w @ points / w.sum()
    c = points - mean
    cov = (w[:, None] * c).T @ c / (w.sum() - (w @ w) / w.sum())
    L = np.linalg.cholesky(cov * (1.0 / (w @ w)) ** (-2.0 / (d + 4)))
    zp, zx = np.linalg.solve(L, points.T).T, np.linalg.solve(L, x.T).T
    s = -0.5 * ((zx[:, None, :] - zp[None, :, :]) ** 2).sum(axis=2)
    top = s.max(axis=1)
    return top + np.log((w[None, :] * np.exp(s - top[:, None])).sum(axis=1)) - np.log(np.diag(L)).sum()
gens = [h5py.File(p, "r") for p in sorted(glob.glob(sys.argv[1] + "/gen-*.h5"))]
for t in range(1, len(gens)):
    q = 0.5
    if t >= 2:
        a, b = gens[t - 1], gens[t - 2]
        x = a["theta"][...]
        c = np.exp(np.max(kde_log(x, a["weights"][...], x) - kde_log(b["theta"][...], b["weights"][...], x)))
        q = min(0.95, max(0.05, 1 / c))
    expect = np.quantile(gens[t - 1]["distances"][...], q)
    assert abs(gens[t].attrs["epsilon"] - expect) <= 1e-9 * expect, (t, q, gens[t].attrs["epsilon"], expect)
PY
pass "density_ratio: tolerances follow Simola et al.'s quantile rule"

# density_ratio resumes from the last two generation files: without the one
# before the newest, the resume stops with both named (exit 1, the reader's
# error; nothing written).
mkdir -p "$WORK/dr_gone"
cp "$WORK/density_ratio.1/gen-0002.h5" "$WORK/dr_gone/"
pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/dr_gone" --set epsilon.schedule=density_ratio
expect_status "density_ratio: resume without the previous file" 1 \
    "schedule density_ratio: resuming after generation 2 needs generation 1's file"
[ "$(ls "$WORK/dr_gone")" = "gen-0002.h5" ] && pass "density_ratio: nothing written" ||
    fail "density_ratio: files written: $(ls "$WORK/dr_gone")"

# min_acceptance: generation 0 at epsilon inf accepts everything, later
# ones less; 0.6 stops after the first generation below it.
count_gens() { ls "$1" 2>/dev/null | grep -cE '^gen-[0-9]{4}\.h5$'; }
pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/acc" --set run.generations=20 \
    --set epsilon.min_acceptance=0.6
expect_status "min_acceptance" 0 "is below min_acceptance 0.6"
"$PMC_PYTHON" - "$WORK/acc" <<'PY' || fail "min_acceptance: not the first generation below 0.6"
import glob, sys, h5py
files = sorted(glob.glob(sys.argv[1] + "/gen-*.h5"))
acc = [h5py.File(p, "r").attrs["acceptance_rate"] for p in files]
assert acc[-1] < 0.6 and all(a >= 0.6 for a in acc[:-1]), acc
PY
# Same result as a run told to stop there by generations (a stopping rule
# changes nothing else), and a resume with the rule off goes on.
n=$(count_gens "$WORK/acc")
pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/accgen" --set run.generations="$n"
"$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$WORK/acc" "$WORK/accgen" &&
    pass "min_acceptance: the generations are those of generations = $n" ||
    fail "min_acceptance: the generations differ from generations = $n"
pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/acc" --set run.generations=$((n + 1)) \
    --set epsilon.min_acceptance=0.6
expect_status "min_acceptance: unchanged, the run is finished" 0 "already"
[ "$(count_gens "$WORK/acc")" -eq "$n" ] || fail "min_acceptance: a finished run went on"
# inspect (and so jobs/pmc.slurm) calls it finished, by the same rule as run;
# pmcabc-summary agrees.
"$PMCABC" inspect --json "$WORK/acc" >"$WORK/acc.json" 2>&1
"$PMC_SOURCE_DIR/tools/pmcabc-summary" --json "$WORK/acc" >"$WORK/acc.py.json" 2>&1
"$PMC_PYTHON" - "$WORK/acc.json" "$WORK/acc.py.json" <<'PY' &&
import json, sys
c, p = (json.load(open(f))["state"] for f in sys.argv[1:])
assert c["status"] == "finished" and c["stop_rule"] is True, c
assert c == p, (c, p)
PY
    pass "min_acceptance: inspect and pmcabc-summary say finished (stop_rule)" ||
    { fail "min_acceptance: inspect does not call the run finished"; cat "$WORK/acc.json" >&2; }
"$PMCABC" inspect "$WORK/acc" | grep -qF "a stopping rule of [epsilon] ended it after generation" &&
    pass "min_acceptance: inspect's text names the stopping rule" ||
    fail "min_acceptance: inspect's text lacks the stopping rule"
pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/acc" --set run.generations=$((n + 1)) \
    --set epsilon.min_acceptance=0
expect_status "min_acceptance: turned off on resume" 0 "resuming from generation $((n - 1))"
[ "$(count_gens "$WORK/acc")" -eq $((n + 1)) ] || fail "min_acceptance off: expected $((n + 1)) generations"

# min_change: a quantile of 0.99 shrinks epsilon by about 1 % a generation.
pmc 1 run "$WORK/k.ini" --set run.checkpoint_dir="$WORK/chg" --set run.generations=20 \
    --set epsilon.quantile=0.99 --set epsilon.min_change=0.05
expect_status "min_change" 0 "is less than min_change 0.05 below the one before"
"$PMC_PYTHON" - "$WORK/chg" <<'PY' || fail "min_change: not the first generation with a change below 5 %"
import glob, sys, h5py
files = sorted(glob.glob(sys.argv[1] + "/gen-*.h5"))
eps = list(h5py.File(files[-1], "r")["epsilons"][...])
change = [1 - eps[t] / eps[t - 1] for t in range(1, len(eps))]
assert change[-1] < 0.05 and all(c >= 0.05 for c in change[:-1]), eps
PY
finish

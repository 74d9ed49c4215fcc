#!/bin/bash
# tools/pmcabc-adjust (issue 22 item 5): its outputs (the file's layout, the
# formula against an independent weighted least squares, the transform
# keeping values in the prior's support, the report) and its errors (missing
# run, no statistics, existing output, output in the run directory, singular
# designs), and that it never changes the run's files. The statistical
# validation is validation.regression_adjust.
. "$(dirname "$0")/common.sh"
ADJUST=("$PMC_PYTHON" "$PMC_SOURCE_DIR/tools/pmcabc-adjust")
digest() { (cd "$1" && sha256sum -- * 2>/dev/null); }
adj() { "${ADJUST[@]}" "$@" >"$WORK/out" 2>&1; RC=$?; }

make_config a
pmc 2 run "$WORK/a.ini"
expect_status "run" 0 "posterior: generation 3"
before=$(digest "$WORK/a.ck")

adj "$WORK/a.ck" --out "$WORK/adj.h5"
expect_status "adjust the newest generation" 0 "adjusted posterior: generation 3, N = 200"
grep -qF "bandwidth" "$WORK/out" && grep -qF "(the generation's epsilon)" "$WORK/out" &&
    grep -qF "mu: logit on [150, 200], sigma: logit on [5, 25]" "$WORK/out" &&
    pass "report names the kernel's bandwidth rule and the transforms" || fail "report lacks bandwidth or transforms"

# The file: layout, weights, values inside the prior's support, and the
# printed table equal to pmcabc_read's summary of the file.
"$PMC_PYTHON" - "$WORK/adj.h5" "$WORK/a.ck/gen-0003.h5" "$WORK/out" <<'EOP' && pass "output file: layout, weights, support, report numbers" || fail "output file wrong"
import sys
sys.path.insert(0, __import__("os").environ["PMC_SOURCE_DIR"] + "/tools")
import h5py, numpy as np, pmcabc_read as pr
out, src, text = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
with h5py.File(out) as f, h5py.File(src) as g:
    n, d, s = g["theta"].shape + (g["stats"].shape[1],)
    assert f["theta"].shape == (n, d) and f["weights"].shape == (n,)
    assert f["coefficients"].shape == (1 + s, d) and f["kernel"].shape == (n,)
    assert f["theta_unadjusted"][()].tobytes() == g["theta"][()].tobytes()
    assert f["weights_unadjusted"][()].tobytes() == g["weights"][()].tobytes()
    w = f["weights"][()]
    assert abs(w.sum() - 1) < 1e-12 and np.all(w >= 0)
    eps = float(g.attrs["epsilon"])
    k = 1 - (g["distances"][()] / eps) ** 2
    want = g["weights"][()] * np.where(k > 0, k, 0)
    assert np.allclose(w, want / want.sum(), rtol=1e-12, atol=0)
    assert f.attrs["bandwidth"] == eps and f.attrs["bandwidth_rule"] == "epsilon"
    assert list(f.attrs["parameter_names"]) == ["mu", "sigma"]
    t = f["theta"][()]
    assert np.all((t[:, 0] > 150) & (t[:, 0] < 200) & (t[:, 1] > 5) & (t[:, 1] < 25))
    assert int(f.attrs["source_checksum"]) == int(g.attrs["checksum"])
    sample = pr.Generation(out, t, w, g["distances"][()], g["epsilons"][()],
                           {"parameter_names": ["mu", "sigma"]})
for row in pr.summarize(sample):
    line = "  %-16s %14.6g %14.6g %14.6g %14.6g %14.6g" % (
        row["name"], row["mean"], row["sd"], row["q05"], row["q50"], row["q95"])
    assert line in text, line
EOP

# --transform none: theta - (s - s_obs) beta with beta from an independent
# weighted least squares (numpy lstsq on the unscaled design).
adj "$WORK/a.ck" --out "$WORK/none.h5" --transform none --json
expect_status "--transform none --json" 0 '"bandwidth_rule": "epsilon"'
"$PMC_PYTHON" - "$WORK/none.h5" "$WORK/a.ck/gen-0003.h5" "$WORK/out" <<'EOP' && pass "--transform none: the formula (independent least squares), JSON report" || fail "--transform none: values differ from the formula"
import json, sys
import h5py, numpy as np
with h5py.File(sys.argv[1]) as f, h5py.File(sys.argv[2]) as g:
    theta, x = g["theta"][()], g["stats"][()] - g["observed_stats"][()]
    w = f["weights"][()]
    got = f["theta"][()]
    assert list(f.attrs["transform"]) == ["none", "none"]
X = np.hstack([np.ones((len(x), 1)), x]) * np.sqrt(w)[:, None]
coef = np.linalg.lstsq(X, theta * np.sqrt(w)[:, None], rcond=None)[0]
want = theta - x @ coef[1:]
assert np.allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max()), np.abs(got - want).max()
r = json.load(open(sys.argv[3]))
assert r["transform"] == {"mu": "none", "sigma": "none"} and len(r["parameters"]) == 2
assert abs(r["parameters"][0]["mean"] - float(w @ got[:, 0])) < 1e-9 * abs(r["parameters"][0]["mean"])
EOP

# Generation 0 (epsilon inf): the bandwidth is the largest distance.
adj "$WORK/a.ck" --generation 0 --out "$WORK/g0.h5"
expect_status "generation 0: bandwidth = largest distance" 0 "(the largest distance: epsilon is infinite)"
adj "$WORK/a.ck/gen-0002.h5" --out "$WORK/g2.h5"
expect_status "one generation file" 0 "adjusted posterior: generation 2"

# Errors: exit 2, one line naming the file and the cause, nothing written.
adj "$WORK/nope" --out "$WORK/x.h5"
expect_status "missing run" 2 "pmcabc-adjust: error: $WORK/nope: No such file or directory"
adj "$WORK/a.ck" --generation 9 --out "$WORK/x.h5"
expect_status "missing generation" 2 "no generation 9 (the directory holds 0, 1, 2, 3)"
cp "$WORK/adj.h5" "$WORK/keep.h5"
adj "$WORK/a.ck" --out "$WORK/adj.h5" --transform none
expect_status "existing output" 2 "$WORK/adj.h5: exists: refusing to overwrite it (--force replaces it)"
cmp -s "$WORK/adj.h5" "$WORK/keep.h5" && pass "existing output untouched" || fail "existing output changed"
adj "$WORK/a.ck" --out "$WORK/adj.h5" --transform none --force
expect_status "--force replaces it" 0 "adjusted posterior"
cmp -s "$WORK/adj.h5" "$WORK/keep.h5" && fail "--force: file not replaced" || pass "--force: file replaced"
adj "$WORK/a.ck" --out "$WORK/a.ck/adjusted.h5"
expect_status "output inside the run directory" 2 "inside the run directory"
adj "$WORK/a.ck" --out "$WORK/a.ck/gen-0003.h5" --force
expect_status "output over the source" 2 "is the generation file being adjusted"
adj "$WORK/a.ck" --out "$WORK/nodir/x.h5"
expect_status "output directory missing" 2 "does not exist"

cp -r "$WORK/a.ck" "$WORK/old.ck"
"$PMC_PYTHON" "$E2E_DIR/strip_stats.py" "$WORK"/old.ck/gen-*.h5
adj "$WORK/old.ck" --out "$WORK/x.h5"
expect_status "run without statistics" 2 "this run's files hold no statistics (no /stats: written by pmcabc $PMC_VERSION"
grep -qF "rerun with pmcabc >= " "$WORK/out" && pass "no statistics: says to rerun" || fail "no statistics: no rerun hint"

# Singular designs: a constant statistic, collinear statistics.
cp -r "$WORK/a.ck" "$WORK/sing.ck"
"$PMC_PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r+"); s=f["stats"][()]; s[:,1]=7.0; f["stats"][...]=s' "$WORK/sing.ck/gen-0003.h5"
adj "$WORK/sing.ck" --out "$WORK/x.h5"
expect_status "constant statistic" 2 "statistic 1 (column 1 of /stats) is constant among the"
"$PMC_PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r+"); s=f["stats"][()]; s[:,1]=2*s[:,0]+1; f["stats"][...]=s' "$WORK/sing.ck/gen-0003.h5"
adj "$WORK/sing.ck" --out "$WORK/x.h5"
expect_status "collinear statistics" 2 "the statistics are collinear among the"
[ ! -e "$WORK/x.h5" ] && pass "failed runs wrote nothing" || fail "a failed adjustment wrote $WORK/x.h5"
ls -a "$WORK" | grep -q '^\.pmcabc-adjust-' && fail "temporary file left" || pass "no temporary file left"

[ "$before" = "$(digest "$WORK/a.ck")" ] && pass "run directory untouched" || fail "run directory changed"
# Discrete and scaled priors (issue 20 item 3): the tools read their specs
# (a scale word, uniform_int), and a discrete parameter is never adjusted.
pmc 1 run "$WORK/a.ini" --set run.checkpoint_dir="$WORK/disc.ck" \
    --set "prior.mu=uniform_int(150, 200)" --set "prior.sigma=uniform(5, 25) log"
expect_status "run with a discrete and a log-scaled prior" 0 "posterior: generation 3"
for mode in auto none; do
    adj "$WORK/disc.ck" --out "$WORK/disc-$mode.h5" --transform $mode
    expect_status "adjust with a discrete parameter (--transform $mode)" 0 \
        "mu: not adjusted (discrete)"
    "$PMC_PYTHON" - "$WORK/disc-$mode.h5" <<'EOP' && pass "discrete mu kept as sampled ($mode)" || fail "discrete mu adjusted ($mode)"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1]) as f:
    t, t0 = f["theta"][()], f["theta_unadjusted"][()]
    assert t[:, 0].tobytes() == t0[:, 0].tobytes(), "mu changed"
    assert np.all(t[:, 0] == np.round(t[:, 0])), "mu not whole"
    assert not np.array_equal(t[:, 1], t0[:, 1]), "sigma not adjusted"
EOP
done
"$PMC_PYTHON" "$PMC_SOURCE_DIR/tools/pmcabc-summary" "$WORK/disc.ck" >"$WORK/out" 2>&1
RC=$?
expect_status "pmcabc-summary reads uniform_int and a scale word" 0 "posterior"
"$PMC_PYTHON" - <<'EOP' && pass "parse_prior: scales and discrete kinds" || fail "parse_prior"
import os, sys
sys.path.insert(0, os.environ["PMC_SOURCE_DIR"] + "/tools")
import pmcabc_read as pr
assert pr.parse_prior("uniform(5, 25) log") == ("uniform", [5.0, 25.0])
assert pr.parse_prior("beta(2, 5) logit") == ("beta", [2.0, 5.0])
assert pr.parse_prior("categorical(1, 2, 3)") == ("categorical", [1.0, 2.0, 3.0])
assert pr.prior_support("categorical", [1, 2, 3]) == (0.0, 2.0)
assert pr.prior_support("poisson", [3]) == (0.0, float("inf"))
assert pr.prior_is_discrete("uniform_int") and not pr.prior_is_discrete("uniform")
for bad in ("categorical(1)", "poisson(1, 2)", "uniform(5, 25) sqrt"):
    try:
        pr.parse_prior(bad)
        raise SystemExit("accepted " + bad)
    except ValueError:
        pass
EOP
finish

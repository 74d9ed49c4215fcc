#!/bin/bash
# Pins the bits of fixed runs to the result stream version (lib/pmc_version.h).
# Every file records the stream version, and a resume across two versions is
# refused; that protection only works if a change that alters the bits also
# bumps PMC_STREAM_VERSION. This test catches one that forgot: it runs fixed
# small configs and hashes the last generation's result (FNV-1a 64 over
# /theta, /weights, /distances, /epsilons as little-endian float64, then
# n_simulations as uint64: every bit of the result), computed here from the
# datasets, not read from the file's checksum attribute: that attribute also
# covers stored extras (/stats, /observed_stats, docs/checkpoint-format.md)
# whose addition does not change the results. The value is compared with
# the one recorded for the stream version this pmcabc reports.
#
# When it fails after a deliberate change of the results: bump
# PMC_STREAM_VERSION (and the minor project version in CMakeLists.txt), then
# add the new values printed below under the new version.
. "$(dirname "$0")/common.sh"

stream=$("$PMCABC" --version | sed -n 's/^result streams \([0-9]*\).*/\1/p')
[ -n "$stream" ] || { fail "pmcabc --version names no result stream version"; finish; }

# NAME -> "STREAM:HASH ..." (one entry per stream version). The stream-2
# values were computed from the files of 73ebac6, whose checksum attributes
# this test pinned until then (0xcf969efeeafa7b6d, 0x65fcfe2537cb42b0).
declare -A GOLDEN=(
    [gaussian]="2:0xb714c00ef5604775"
    [adaptive_gandk]="2:0x7d886be4c2fed440"
)

make_config g
cp "$PMC_SOURCE_DIR/jobs/data/gandk.csv" "$WORK/gandk.csv"
cat >"$WORK/gk.ini" <<EOT
[run]
seed = 11
particles = 150
generations = 3

[epsilon]
initial = inf
quantile = 0.5

[model]
name = gandk
data = gandk.csv

[distance]
name = adaptive

[prior]
A = uniform(0, 10)
B = uniform(0, 10)
g = uniform(0, 10)
k = uniform(0, 10)
EOT

result_hash() {  # result_hash FILE: FNV-1a 64 of the result bits, as 0x%016x
    "$PMC_PYTHON" - "$1" <<'EOP'
import struct, sys
import h5py, numpy as np
h = 0xCBF29CE484222325
with h5py.File(sys.argv[1], "r") as f:
    parts = [np.ascontiguousarray(f[name][()], dtype="<f8").tobytes()
             for name in ("theta", "weights", "distances", "epsilons")]
    parts.append(struct.pack("<Q", int(f.attrs["n_simulations"])))
for b in b"".join(parts):
    h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
print("0x%016x" % h)
EOP
}

golden() {  # golden NAME DIR LASTGEN
    local name=$1 file="$2/gen-$(printf %04d "$3").h5" got want=""
    got=$(result_hash "$file") || { fail "$name: cannot read $file"; return; }
    for entry in ${GOLDEN[$name]}; do
        [ "${entry%%:*}" = "$stream" ] && want=${entry#*:}
    done
    if [ -z "$want" ]; then
        fail "$name: no golden value for result streams $stream: record $stream:$got in tests/e2e/test_golden.sh"
    elif [ "$got" = "$want" ]; then
        pass "$name: result streams $stream give result hash $got"
    else
        fail "$name: result hash $got, but result streams $stream gave $want: the results changed; if that is intended, bump PMC_STREAM_VERSION in lib/pmc_version.h and record $((stream + 1)):$got here"
    fi
}

pmc 2 run "$WORK/g.ini" --set run.checkpoint_dir="$WORK/g.ck"
expect_status "gaussian run" 0 "posterior: generation 3"
golden gaussian "$WORK/g.ck" 3

pmc 2 run "$WORK/gk.ini" --set run.checkpoint_dir="$WORK/gk.ck"
expect_status "adaptive g-and-k run" 0 "posterior: generation 2"
golden adaptive_gandk "$WORK/gk.ck" 2
finish

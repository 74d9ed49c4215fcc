#!/bin/bash
# Node bootstrap for a cloud Slurm cluster (AWS ParallelCluster
# CustomActions/OnNodeConfigured, or any "run this as root on every node" hook):
# installs pmcabc's Debian/Ubuntu dependencies on every node and builds pmcabc
# once, into a directory every node sees. The counterpart of ABCpy's EMR
# bootstrap recipe. See docs/clusters.md.
#
#   tools/cluster-bootstrap.sh [--src DIR] [--repo URL] [--ref REF] [--no-build]
#
#   --src DIR    source tree on the shared file system (default /shared/pmcabc);
#                cloned from --repo if it does not exist yet
#   --repo URL   git repository to clone (required only when DIR is missing)
#   --ref REF    branch, tag or commit to check out after cloning
#   --no-build   only install packages (compute nodes of a cluster whose head
#                node builds)
#
# Run it from a copy of the repository or via the S3/HTTPS URL that the
# cluster config names; arguments come from the config's Args list. The build
# goes to DIR/build (binary DIR/build/app/pmcabc); nodes that start together
# take turns with a lock file, and a node that finds the binary built from the
# current sources does not rebuild. Exit 0 on success, 1 with a message on
# failure (ParallelCluster then marks the node as failed).
set -euo pipefail

src=/shared/pmcabc
repo=""
ref=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --src) src=$2; shift 2 ;;
        --repo) repo=$2; shift 2 ;;
        --ref) ref=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "cluster-bootstrap: unknown argument '$1' (see --help)" >&2; exit 1 ;;
    esac
done

log() { echo "cluster-bootstrap [$(hostname -s)]: $*"; }
die() { echo "cluster-bootstrap [$(hostname -s)]: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (bootstrap hooks do)"
command -v apt-get >/dev/null || die "needs a Debian or Ubuntu image (apt-get); on other images load MPICH, parallel HDF5, GSL, inih and Random123 as environment modules and build with tools/build"

# Packages. The cluster's own Slurm stays: no slurm-wlm/munge here.
. /etc/os-release
if [ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ] && [ -x "$src/tools/setup-deps" ]; then
    "$src/tools/setup-deps"
else
    # The build subset of tools/setup-deps (no clang/sanitizer runtime, whose
    # package names differ between releases).
    log "installing build dependencies with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends build-essential cmake pkg-config git \
        mpich libmpich-dev libhdf5-mpich-dev hdf5-tools libgsl-dev libinih-dev librandom123-dev \
        python3 python3-h5py python3-numpy >/dev/null
fi

[ "$build" = 1 ] || { log "packages installed (--no-build)"; exit 0; }

# One node builds at a time; the others find the result.
mkdir -p "$(dirname "$src")"
exec 8>"$(dirname "$src")/.pmcabc-bootstrap.lock"
flock -w 1800 8 || die "waited 30 min for another node's build (lock $(dirname "$src")/.pmcabc-bootstrap.lock)"

if [ ! -d "$src/.git" ] && [ ! -f "$src/CMakeLists.txt" ]; then
    [ -n "$repo" ] || die "$src holds no pmcabc sources and no --repo was given"
    log "cloning $repo into $src"
    git clone --quiet "$repo" "$src"
    [ -z "$ref" ] || git -C "$src" checkout --quiet "$ref"
fi

stamp="$src/build/.bootstrap-sources"
current=$(git -C "$src" rev-parse HEAD 2>/dev/null || date -r "$src/CMakeLists.txt" +%s)
if [ -x "$src/build/app/pmcabc" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$current" ]; then
    log "pmcabc already built from $current: $src/build/app/pmcabc"
    exit 0
fi
log "building pmcabc in $src/build"
(cd "$src" && tools/build build -DCMAKE_BUILD_TYPE=RelWithDebInfo)
echo "$current" >"$stamp"
"$src/build/app/pmcabc" --version
log "done: $src/build/app/pmcabc; submit with: cd $src && sbatch jobs/pmc.slurm CONFIG.ini"

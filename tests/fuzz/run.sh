#!/bin/bash
# Builds the libFuzzer targets (clang, -DPMC_FUZZ=ON: ASan + UBSan + coverage)
# and runs each for SECONDS (default 20) on a copy of its seed corpus
# (tests/fuzz/corpus/<target>; the copy, not the seeds, receives new inputs).
#   tests/fuzz/run.sh [SECONDS] [TARGET...]      targets: config data checkpoint
# Environment: PMC_FUZZ_BUILD (build directory, default build-fuzz in the
# repository), PMC_FUZZ_JOBS (parallel build jobs), PMC_FUZZ_LEGACY=1 (the
# checkpoint target also reads inputs without a digest header, the path of an
# older pmcabc's files, which reaches libhdf5 unverified: fuzz_checkpoint.c).
# A crash, leak or sanitizer
# report fails the run and leaves the input in $PMC_FUZZ_BUILD/artifacts/.
# Exit 77 (skipped): no clang, or no libFuzzer runtime (libclang-rt-14-dev).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config data checkpoint)
build=${PMC_FUZZ_BUILD:-$src/build-fuzz}

cc=$(command -v clang || command -v clang-14 || true)
if [ -z "$cc" ]; then
    echo "SKIP: clang not found (apt-get install clang-14 libclang-rt-14-dev)"
    exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
    >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
    echo "SKIP: $cc cannot link libFuzzer programs (install libclang-rt-14-dev):"
    sed 's/^/    /' "$probe/err"
    exit 77
fi

mkdir -p "$build"
if ! cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DPMC_FUZZ=ON -DPMC_WERROR=OFF \
        -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/cmake.log" 2>&1; then
    cat "$build/cmake.log" >&2
    echo "FAIL: configure of the fuzz build failed" >&2
    exit 1
fi
bins=()
for t in "${targets[@]}"; do bins+=("fuzz_$t"); done
if ! cmake --build "$build" -j"${PMC_FUZZ_JOBS:-$(nproc)}" --target "${bins[@]}" \
        >"$build/build.log" 2>&1; then
    tail -40 "$build/build.log" >&2
    echo "FAIL: build of the fuzz targets failed (log: $build/build.log)" >&2
    exit 1
fi

# Leaks are checked, except those of MPI's transport and libhdf5 (lsan.supp).
# allocator_may_return_null: a damaged file can make libhdf5 ask for petabytes;
# malloc then returns NULL and HDF5 fails cleanly, as it does in production.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
# hwloc's PCI plugin leaks in MPI_Init and is unloaded before the leak check,
# so no suppression can name it (tools/test-all says more): not loaded.
export HWLOC_PLUGINS_BLACKLIST=hwloc_pci HWLOC_PLUGINS_BLOCKLIST=hwloc_pci
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
mkdir -p "$build/artifacts"
for t in "${targets[@]}"; do
    work="$build/corpus/$t"
    mkdir -p "$work"
    log="$build/fuzz_$t.log"
    echo "fuzz_$t: ${seconds}s (seeds: tests/fuzz/corpus/$t, log: $log)"
    "$build/tests/fuzz/fuzz_$t" "$work" "$src/tests/fuzz/corpus/$t" \
        -max_total_time="$seconds" -seed="${PMC_FUZZ_SEED:-0}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 | sed 's/^/    /'
    grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$log" | sed 's/^/    /'
    if [ $rc -ne 0 ]; then
        echo "FAIL: fuzz_$t exited $rc; the input is in $build/artifacts/:" >&2
        grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" | head -10 | sed 's/^/    /' >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "all fuzz targets ran ${seconds}s without a finding"
exit $status

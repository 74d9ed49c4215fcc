#!/bin/bash
# A corpus of damaged, foreign and nonsensical checkpoint files (written by
# bad_checkpoint.py with h5py), and command-line cases test_cli.sh and
# test_bad_inputs.sh do not cover. Every case states its exit code and a
# message fragment; the runner checks both, that the run did not hang, and
# that the checkpoint directory is unchanged: byte-identical files (sha256,
# hidden files included) -- except for partial-file cases, where a run that
# resumes replaces the bad partial file by design and only the generation
# files must stay byte-identical.
. "$(dirname "$0")/common.sh"

make_config b
pmc 2 run "$WORK/b.ini" --set run.checkpoint_dir="$WORK/base" --set run.generations=1
expect_status "base run" 0 "the only generation is done"
GOOD="$WORK/base/gen-0000.h5"

# NAME | LAYOUT | KIND | CODE | FRAGMENT
#   LAYOUT only      gen-0000.h5 is the bad file, nothing else: exit 2
#          newest    gen-0000.h5 valid, gen-0001.h5 bad: warning, fall back
#                    (run with generations = 1: finished, nothing written)
#          partial   gen-0000.h5 valid, partial-0001.h5 bad: warning, the
#                    generation is computed afresh (generations = 2)
#          named:F   the bad file is called F, alone in the directory
#          beside:F  gen-0000.h5 valid, the bad file is called F
#   KIND   a bad_checkpoint.py kind, "copy" (the valid file as is), or what
#          is untrusted in a directory rather than in a file: "symlink" (to
#          the valid file), "directory", "fifo", "other_owner" (the valid
#          file, owned by nobody), "unreadable" (the valid file, mode 000;
#          as root the run is then made as nobody, for whom mode 000 counts)
CASES=(
"truncated_to_100_bytes |only    |truncate100          |2 |gen-0000.h5 is not usable (file damaged: its digest header (bytes 0-511) is cut short)"
"truncated_to_half      |only    |truncate_half        |2 |gen-0000.h5 is not usable (file damaged (truncated or appended to): "
"empty_file             |only    |empty                |2 |not usable (not an HDF5 file (no HDF5 signature))"
"random_bytes           |only    |random               |2 |not usable (not an HDF5 file (no HDF5 signature))"
"other_programs_hdf5    |only    |foreign              |2 |attribute format_version: missing (not a pmcabc generation file)"
"format_version_4       |only    |format_version_4     |2 |format_version 4: this pmcabc reads versions 1 to 3"
"format_version_1       |only    |format_version_1     |2 |gen-0000.h5 was written by pmcabc $PMC_VERSION (result streams 1, checkpoint format 1); this is pmcabc $PMC_VERSION (result streams 2)"
"stream_version_3       |only    |stream_version_3     |2 |gen-0000.h5 was written by pmcabc $PMC_VERSION (result streams 3, checkpoint format 3)"
"partial_format_version_1|partial|partial_format_version_1|2|partial-0001.h5 was written by bad_checkpoint.py (result streams 1, checkpoint format 1)"
"n_particles_2_62       |only    |n_particles_2_62     |2 |attribute n_particles = 4611686018427387904: expected 1..1099511627775"
"generation_is_a_string |only    |generation_string    |2 |attribute generation: expected a scalar integer"
"epsilon_nan            |only    |epsilon_nan          |2 |attribute epsilon = nan: expected 0..inf"
"ess_above_n            |only    |ess_above_n          |2 |attribute ess = 1e+09: expected 0..200"
"theta_3_columns        |only    |theta_3_columns      |2 |dataset /theta: expected float array 200 x 2, found float array 200 x 3"
"theta_integers         |only    |theta_integers       |2 |dataset /theta: expected float array 200 x 2, found non-float array 200 x 2"
"weights_missing        |only    |weights_missing      |2 |dataset /weights: missing (expected float array 200)"
"three_parameter_names  |only    |names_3              |2 |attribute parameter_names: expected a 1-D string array of 2"
"checksum_missing       |only    |checksum_missing     |2 |attribute checksum: missing"
"flipped_value          |only    |theta_flipped        |2 |checksum mismatch (file damaged?)"
"global_heap_damaged    |only    |legacy_gcol_zero_free_space|2|has an impossible size (file damaged?)"
"global_heap_damaged_digest|only |digest_gcol_zero_free_space|2|gen-0000.h5 is not usable (file damaged: digest mismatch (bytes 512.."
"flipped_byte_digest    |only    |digest_theta_byte    |2 |gen-0000.h5 is not usable (file damaged: digest mismatch"
"digest_header_garbled  |only    |digest_header_byte   |2 |gen-0000.h5 is not usable (file damaged: its digest header (bytes 0-511) is garbled)"
"appended_bytes         |only    |digest_appended      |2 |gen-0000.h5 is not usable (file damaged (truncated or appended to): "
"digest_header_zeroed   |only    |digest_header_zeroed |2 |gen-0000.h5 is not usable (file damaged or not written by pmcabc: HDF5 data after a 512-byte user block without a pmcabc digest header)"
"no_digest_older_pmcabc |only    |legacy               |0 |checkpoint $WORK/no_digest_older_pmcabc/gen-0000.h5 has no digest header (written by a pmcabc from before digests, or by another program): it is read without verifying its bytes"
"renamed_generation     |named:gen-0005.h5|copy      |2 |holds generation 0, its name says 5"
"partial_named_as_gen   |named:gen-0001.h5|partial_slots_descending|2|attribute n_simulations: missing"
"newest_truncated       |newest  |truncate_half        |0 |gen-0001.h5 is not usable (file damaged (truncated or appended to): "
"newest_flipped_byte_digest|newest|digest_theta_byte   |0 |gen-0001.h5 is not usable (file damaged: digest mismatch"
"newest_random_bytes    |newest  |random               |0 |gen-0001.h5 is not usable (not an HDF5 file (no HDF5 signature)); falling back"
"newest_flipped_value   |newest  |theta_flipped        |0 |gen-0001.h5 is not usable (checksum mismatch (file damaged?)); falling back"
"partial_slot_500_of_200|partial |partial_slot_out_of_range|0|partial-0001.h5: slots[1] = 500: expected below n_particles 200"
"partial_slots_5_then_3 |partial |partial_slots_descending|0|slots[1] = 3 after 5: expected strictly ascending slots"
"partial_n_done_300     |partial |partial_n_done_too_big|0 |n_done 300 exceeds n_particles 200"
"partial_other_seed     |partial |partial_other_seed   |0 |partial-0001.h5: it does not match this run; generation 1 starts afresh"
"partial_random_bytes   |partial |random               |0 |partial-0001.h5: not an HDF5 file (no HDF5 signature)"
"partial_flipped_byte_digest|partial|digest_theta_byte |0 |partial-0001.h5: file damaged: digest mismatch"
"symlink_only           |only    |symlink              |2 |gen-0000.h5 is not usable (a symbolic link (to $WORK/base/gen-0000.h5), not a file pmcabc wrote: not followed)"
"symlink_newest         |newest  |symlink              |0 |gen-0001.h5 is not usable (a symbolic link (to $WORK/base/gen-0000.h5), not a file pmcabc wrote: not followed); falling back"
"directory_newest       |newest  |directory            |0 |gen-0001.h5 is not usable (a directory, not a regular file); falling back"
"fifo_newest            |newest  |fifo                 |0 |gen-0001.h5 is not usable (a FIFO, not a regular file); falling back"
"unreadable_newest      |newest  |unreadable           |0 |gen-0001.h5 is not usable (open: Permission denied); falling back"
"other_owner            |only    |other_owner          |0 |checkpoint $WORK/other_owner/gen-0000.h5 belongs to another user (uid 65534; this run is uid"
"gen_9999_copy          |beside:gen-9999.h5|copy       |0 |gen-9999.h5 is not usable (holds generation 0, its name says 9999); falling back"
"gen_9999_random_bytes  |beside:gen-9999.h5|random     |0 |gen-9999.h5 is not usable (not an HDF5 file (no HDF5 signature)); falling back"
"partial_symlink        |partial |symlink              |0 |partial-0001.h5: a symbolic link (to $WORK/base/gen-0000.h5), not a file pmcabc wrote: not followed"
"partial_directory      |partial |directory            |0 |partial-0001.h5: a directory, not a regular file"
)

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
digest() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs -r sha256sum); }
make_bad() {  # make_bad KIND DST
    case $1 in
        copy) cp "$GOOD" "$2" ;;
        symlink) ln -s "$GOOD" "$2" ;;
        directory) mkdir "$2" ;;
        fifo) mkfifo "$2" ;;
        other_owner) cp "$GOOD" "$2" && chown 65534:65534 "$2" ;;
        unreadable) cp "$GOOD" "$2" && chmod 000 "$2" ;;
        *) "$PMC_PYTHON" "$E2E_DIR/bad_checkpoint.py" "$1" "$GOOD" "$2" ;;
    esac
}

run_case() {
    local name=$1 layout=$2 kind=$3 code=$4 frag=$5 dir="$WORK/$1" gens=1 as=()
    if [ "$kind" = other_owner ] && [ "$(id -u)" -ne 0 ]; then
        echo "skip: $name: giving a file to another user needs root"; return
    fi
    if [ "$kind" = unreadable ] && [ "$(id -u)" -eq 0 ]; then
        # Mode 000 does not stop root: run as nobody, in a directory of nobody's.
        command -v setpriv >/dev/null || { echo "skip: $name: as root, needs setpriv"; return; }
        as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        chmod o+x "$WORK" && chmod o+r "$WORK/b.ini" "$WORK/heights.csv"
    fi
    mkdir -p "$dir"
    case $layout in
        only) make_bad "$kind" "$dir/gen-0000.h5" ;;
        newest) cp "$GOOD" "$dir/gen-0000.h5"; make_bad "$kind" "$dir/gen-0001.h5" ;;
        partial) cp "$GOOD" "$dir/gen-0000.h5"; make_bad "$kind" "$dir/partial-0001.h5"; gens=2 ;;
        named:*) make_bad "$kind" "$dir/${layout#named:}" ;;
        beside:*) cp "$GOOD" "$dir/gen-0000.h5"; make_bad "$kind" "$dir/${layout#beside:}" ;;
        *) fail "$name: unknown layout '$layout'"; return ;;
    esac
    [ ${#as[@]} -eq 0 ] || chown -R 65534:65534 "$dir"
    digest "$dir" >"$WORK/before"
    timeout -s KILL 120 "${as[@]}" "$PMCABC" run "$WORK/b.ini" --set run.checkpoint_dir="$dir" \
        --set run.generations=$gens >"$WORK/out" 2>&1
    RC=$?
    [ $RC -ne 137 ] || fail "$name: the run hung (killed after 120 s)"
    expect_status "$name" "$code" "$frag"
    [ "$code" -ne 2 ] || grep -qF "holds generation files but none is usable" "$WORK/out" ||
        grep -qF "holds generation 0, its name says" "$WORK/out" ||
        grep -qF "so continuing the run would mix two samplers" "$WORK/out" ||
        fail "$name: no refusal message"
    if [ "$layout" = partial ]; then
        digest "$dir" | grep ' ./gen-0000.h5$' | cmp -s - <(grep ' ./gen-0000.h5$' "$WORK/before") ||
            fail "$name: gen-0000.h5 changed"
    else
        digest "$dir" | cmp -s - "$WORK/before" || { fail "$name: the directory changed:";
            diff "$WORK/before" <(digest "$dir") >&2; }
    fi
}

for c in "${CASES[@]}"; do
    IFS='|' read -r name layout kind code frag <<<"$c"
    run_case "$(trim "$name")" "$(trim "$layout")" "$(trim "$kind")" "$(trim "$code")" "$frag"
done

# Command-line and environment cases not in test_cli.sh / test_bad_inputs.sh.
# NAME | CODE | FRAGMENT | ARGS after "run b.ini" (word-split)
touch "$WORK/a_file"
: >"$WORK/empty.ini"
CLI=(
"restart_bogus        |2 |--restart=sometimes: expected auto, never or require |--restart=sometimes"
"restart_no_value     |2 |--restart needs auto, never or require               |--restart"
"time_limit_negative  |2 |--time-limit -5: expected a positive number of seconds|--time-limit -5"
"time_limit_text      |2 |--time-limit soon: expected a positive number         |--time-limit soon"
"time_limit_no_value  |2 |--time-limit (missing): expected a positive number    |--time-limit"
"keep_last_negative   |2 |--set: [run] keep_last: -1: expected a non-negative   |--set run.keep_last=-1"
"chunk_not_a_number   |2 |--set: [mpi] chunk: x: expected a non-negative        |--set mpi.chunk=x"
"set_value_is_comment |2 |--set: [run] checkpoint_dir                           |--set run.checkpoint_dir=#ck"
"checkpoint_dir_file  |1 |a_file exists but is not a directory                 |--set run.checkpoint_dir=$WORK/a_file"
"checkpoint_dir_below_file|1|a_file exists but is not a directory              |--set run.checkpoint_dir=$WORK/a_file/sub"
)
for c in "${CLI[@]}"; do
    IFS='|' read -r name code frag args <<<"$c"
    # shellcheck disable=SC2086  # ARGS are meant to be split into words
    pmc 1 run "$WORK/b.ini" $(trim "$args")
    expect_status "cli: $(trim "$name")" "$(trim "$code")" "$(trim "$frag")"
done
pmc 1 run "$WORK"
expect_status "cli: config_is_a_directory" 2 "$WORK: cannot read config: Is a directory"
pmc 1 run "$WORK/empty.ini"
expect_status "cli: empty_config" 2 "empty.ini: [run] seed: missing"
total=$(( ${#CASES[@]} + ${#CLI[@]} + 2 ))
echo "corpus: ${#CASES[@]} checkpoint cases, $(( ${#CLI[@]} + 2 )) command-line cases"
[ "$total" -ge 30 ] || fail "corpus has $total cases, expected at least 30"
finish

#!/bin/bash
# Observed data as tables ([model] data_columns, docs/models.md#observed-data):
# the same numbers give the same bits whether they come from a file of one
# number per line or from the selected columns of a table, for gaussian, sir
# and lotka_volterra (two columns read row by row = the interleaved file),
# on 1 and 2 ranks; count models name a bad count by row and column.
. "$(dirname "$0")/common.sh"

same_bits() { # NAME DIR_A DIR_B
    if "$PMC_PYTHON" "$E2E_DIR/compare_gens.py" "$2" "$3" >"$WORK/cmp" 2>&1; then
        pass "$1: same bits"
    else
        fail "$1: the bits differ"; sed 's/^/    /' "$WORK/cmp" >&2
    fi
}

# gaussian: heights.csv as a semicolon table from a spreadsheet, with quoted
# names, an id and a text column, comments and the height column in the middle.
make_config g
{ echo "# heights, exported with a semicolon separator"
  echo '"id";"height (cm)";"note"'
  grep -v '^#' "$WORK/heights.csv" | grep . | awk '{ print NR "; " $1 " ;\"a; b\" # row " NR }'
} >"$WORK/heights_table.csv"
pmc 1 run "$WORK/g.ini"
expect_status "gaussian, one number per line" 0 "posterior: generation 3"
pmc 2 run "$WORK/g.ini" --set "run.checkpoint_dir=$WORK/g_table.ck" \
    --set "model.data=$WORK/heights_table.csv" --set 'model.data_columns="height (cm)"'
expect_status "gaussian, a table, np=2" 0 "posterior: generation 3"
same_bits "gaussian: one column and a table's column" "$WORK/g.ck" "$WORK/g_table.ck"

# The jobs' tables against files of the same numbers, one per line: sir's
# new_infections column, lotka_volterra's prey and predator interleaved.
DATA="$PMC_SOURCE_DIR/jobs/data"
"$PMC_PYTHON" - "$DATA" "$WORK" <<'EOF'
import csv, sys
data, work = sys.argv[1:]
def rows(name):
    with open("%s/%s.csv" % (data, name)) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))
with open(work + "/sir_column.csv", "w") as f:
    f.writelines(r["new_infections"] + "\n" for r in rows("sir"))
with open(work + "/lv_column.csv", "w") as f:
    f.writelines(r["prey"] + "\n" + r["predator"] + "\n" for r in rows("lotka_volterra"))
EOF
SMALL=(--set run.particles=100 --set run.generations=3)
for job in sir lotka_volterra; do
    short=${job%%_*}
    [ "$short" = lotka ] && short=lv
    pmc 2 run "$PMC_SOURCE_DIR/jobs/$job.ini" "${SMALL[@]}" --set "run.checkpoint_dir=$WORK/$short.ck"
    expect_status "$job: the job's table, np=2" 0 "posterior: generation 2"
    pmc 1 run "$PMC_SOURCE_DIR/jobs/$job.ini" "${SMALL[@]}" \
        --set "run.checkpoint_dir=$WORK/${short}_column.ck" \
        --set "model.data=$WORK/${short}_column.csv" --set model.data_columns=
    expect_status "$job: the same numbers one per line, np=1" 0 "posterior: generation 2"
    same_bits "$job: table and one number per line" "$WORK/$short.ck" "$WORK/${short}_column.ck"
done

# A count that is not a whole number is named by row and column.
sed 's/^6,7,/6,7.5,/' "$DATA/sir.csv" >"$WORK/sir_bad.csv"
pmc 1 run "$PMC_SOURCE_DIR/jobs/sir.ini" --set "model.data=$WORK/sir_bad.csv"
expect_status "sir: a bad count in a table" 2 \
    "--set: [model] data: $WORK/sir_bad.csv: row 3, column 'new_infections' (7.5): model sir needs whole numbers >= 0 (counts)"
pmc 1 run "$PMC_SOURCE_DIR/jobs/lotka_volterra.ini" --set 'model.data_columns=time, prey, predator'
expect_status "lotka_volterra: three columns" 2 \
    "--set: [model] data_columns: time, prey, predator: 3 columns: model lotka_volterra reads one column (prey and predators interleaved) or two (prey, predators)"
finish

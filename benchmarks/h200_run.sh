#!/usr/bin/env bash
# Issue 17 on a CUDA GPU machine (an H200, no network), from the project root, in one device call:
#
#     benchmarks/h200_run.sh [STEP ...]
#
# Steps, run in the order given (default: install check grade report regrade pytest table):
#   install  numpy < 2.5 from .whl/ into /tmp/site (numba-cuda cannot compile with the image's numpy 2.5;
#            ../shared/gpu/README.md), then PYTHONPATH=/tmp/site:$PWD for every later step and grading worker
#   check    the single-pass scan on this GPU: tests/test_scan_look_back.py (real warp intrinsics, thousands
#            of tiles in flight) and `h200_report --check-scan` (2^28, three calls). If either fails, the
#            later steps grade with SCAN_CUDA_ALGORITHM=reduce-then-scan (the previous kernel), so a broken
#            single pass costs no CUDA points; steps.txt says which ran
#   grade    python3 -m grader A --solutions --variant cuda, one results file per assignment, each under its own
#            timeout (a timeout costs one assignment, not all): grade-1-A.json. GRADE_ONLY="A B" narrows it
#   sweeps   python3 -m benchmarks.scan_sweep and benchmarks.dnn_sweep: the candidate kernel configurations
#            against cupy.cumsum and torch, a table each (sweeps.log); SWEEPS="dnn" runs one of them, SWEEP_BUDGET_S their --budget
#   ladder   python3 -m benchmarks.layernorm_ladder: layernorm from a copy up, one cost at a time (ladder.log)
#   probe    python3 -m benchmarks.gpu_timing_probe: kernel-only calls by CUDA events, by the host's clock and
#            through a grader worker, side by side (probe.log)
#   regrade  every assignment graded twice more (grade-2-*.json, grade-3-*.json): three gradings in all of the
#            reference against itself, whose time ratios must lie within 1.00 +/- 0.05; REGRADE_ROUNDS="3"
#            runs only the third; REGRADE_EXAMPLES (default 5) hypothesis cases a correctness task, REGRADE_CAP_S
#            (default 90) seconds a grading
#   pytest   python3 -m pytest -m gpu -q -x
#   report   python3 -m benchmarks.h200_report (--quick when under 200 s are left; at most 150 s of
#            measurements when regrade or pytest come after it, 220 s otherwise), rows saved as it goes
#   table    the report's table with every grading's rows, printed LAST
#
# Steps that no longer fit are skipped; a second call for them, e.g.:
#     benchmarks/h200_run.sh install check regrade pytest table
# (then, on any machine: python3 -m benchmarks.h200_report --rows A/report-rows.json --gradings A/grade-*.json
# B/grade-*.json merges the two calls' files into one table).
#
# Logs: $OUT/<step>.log, $OUT/steps.txt (one line a step: status, seconds). Every command runs under `timeout`,
# inside one deadline for the whole call (H200_RUN_DEADLINE_S, default 530 s, under the device's 10 minutes):
# a step that no longer fits is logged as not run, keeping the time the later steps need (report 130 s, table
# 15 s).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
: "${OUT:?set OUT to the folder for the logs (the device tool sets it)}"
mkdir -p "$OUT"
DEADLINE_S="${H200_RUN_DEADLINE_S:-530}"
STEPS=("$@")
if [ ${#STEPS[@]} -eq 0 ]; then
    STEPS=(install check grade report regrade pytest table)
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
# Every assignment the registry knows, in its order; GRADE_ONLY="saxpy scan" narrows the grade/regrade steps.
mapfile -t GRADED_ASSIGNMENTS < <(python3 -c 'from grader import registry; print(*registry.names(), sep="\n")')
if [ -n "${GRADE_ONLY:-}" ]; then
    read -r -a GRADED_ASSIGNMENTS <<<"$GRADE_ONLY"
fi

note() {
    printf '%s\n' "$*" | tee -a "$OUT/steps.txt" >&2
}

# Seconds the steps after position $1 of STEPS need kept free.
reserve_after() {
    local total=0 i
    for ((i = $1 + 1; i < ${#STEPS[@]}; i++)); do
        case "${STEPS[$i]}" in
            report) total=$((total + 130)) ;;
            table) total=$((total + 15)) ;;
        esac
    done
    echo "$total"
}

# run LOG CAP_S RESERVE_S COMMAND...: COMMAND under timeout, its output appended to $OUT/LOG.log; returns its
# status, or 124 without running it when fewer than 20 s are left.
run() {
    local log=$1 cap=$2 reserve=$3
    shift 3
    local left=$((DEADLINE_S - SECONDS - reserve))
    if [ "$left" -lt 20 ]; then
        note "  not run (out of time: ${left} s left): $*"
        return 124
    fi
    local limit=$((cap < left ? cap : left))
    local began=$SECONDS status
    echo "\$ $* (timeout ${limit} s)" >>"$OUT/$log.log"
    timeout --kill-after=10 "$limit" "$@" >>"$OUT/$log.log" 2>&1
    status=$?
    note "  status $status in $((SECONDS - began)) s (limit ${limit} s): $*"
    return "$status"
}

step_install() {
    local reserve=$1
    if compgen -G ".whl/*.whl" >/dev/null; then
        run install 90 "$reserve" python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
        export PYTHONPATH="/tmp/site:$PYTHONPATH"
    else
        note "  no .whl/ here: the image's own numpy is used"
    fi
    run install 30 "$reserve" python3 -c "import numpy, numba, numba.cuda; print('numpy', numpy.__version__, \
'numba', numba.__version__); print(numba.cuda.get_current_device().name)"
}

step_check() {
    local reserve=$1 failed=0
    run check 150 "$reserve" python3 -m pytest -q -x -p no:cacheprovider tests/test_scan_look_back.py || failed=1
    run check 150 "$reserve" python3 -m benchmarks.h200_report --check-scan || failed=1
    if [ "$failed" -ne 0 ]; then
        export SCAN_CUDA_ALGORITHM=reduce-then-scan
        note "  the single-pass scan FAILED its check (check.log): grading with SCAN_CUDA_ALGORITHM=reduce-then-scan"
    else
        note "  the single-pass scan passed its check: grading it (the default)"
    fi
}

step_grade() {
    local reserve=$1 assignment
    for assignment in "${GRADED_ASSIGNMENTS[@]}"; do
        run grade 240 "$reserve" python3 -m grader "$assignment" --solutions --variant cuda \
            --json "$OUT/grade-1-$assignment.json"
    done
}

step_regrade() {
    local reserve=$1 round assignment
    for round in ${REGRADE_ROUNDS:-2 3}; do
        for assignment in "${GRADED_ASSIGNMENTS[@]}"; do
            run regrade "${REGRADE_CAP_S:-90}" "$reserve" python3 -m grader "$assignment" --solutions --variant cuda \
                --examples "${REGRADE_EXAMPLES:-5}" \
                --json "$OUT/grade-$round-$assignment.json"
        done
    done
}

step_sweeps() {
    local sweep
    for sweep in ${SWEEPS:-scan dnn}; do
        run sweeps 180 "$1" python3 -m "benchmarks.${sweep}_sweep" ${SWEEP_BUDGET_S:+--budget "$SWEEP_BUDGET_S"}
    done
}

step_ladder() {
    run ladder 120 "$1" python3 -m benchmarks.layernorm_ladder
}

step_probe() {
    run probe 150 "$1" python3 -m benchmarks.gpu_timing_probe
}

step_pytest() {
    run pytest 240 "$1" python3 -m pytest -m gpu -q -x -p no:cacheprovider
}

step_report() {
    local reserve=$1 most=220 later
    for later in "${STEPS[@]:$((position + 1))}"; do
        if [ "$later" = regrade ] || [ "$later" = pytest ]; then
            most=150
        fi
    done
    local left=$((DEADLINE_S - SECONDS - reserve))
    local budget=$((left - 40 < most ? left - 40 : most))
    local quick=()
    if [ "$left" -lt 200 ]; then
        quick=(--quick)
    fi
    run report $((budget + 40)) "$reserve" python3 -m benchmarks.h200_report "${quick[@]}" --budget "$budget" \
        --save "$OUT/report-rows.json"
}

step_table() {
    local gradings=()
    mapfile -t gradings < <(compgen -G "$OUT/grade-*.json" | sort)
    echo
    echo "== steps ($SECONDS s so far)"
    cat "$OUT/steps.txt"
    echo
    echo "== table"
    timeout 30 python3 -m benchmarks.h200_report --rows "$OUT/report-rows.json" --gradings "${gradings[@]}" \
        2>&1 | tee "$OUT/table.log"
}

note "h200_run.sh: steps ${STEPS[*]}; deadline ${DEADLINE_S} s; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((position = 0; position < ${#STEPS[@]}; position++)); do
    step=${STEPS[$position]}
    if ! declare -F "step_$step" >/dev/null; then
        note "unknown step $step (choose from install check sweeps ladder probe grade regrade pytest report table)"
        exit 2
    fi
    note "[$step] at $SECONDS s"
    "step_$step" "$(reserve_after "$position")"
done

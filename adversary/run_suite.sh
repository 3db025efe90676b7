#!/usr/bin/env bash
# The adversary suite: build every scenario with fixed seeds, run the release binary's
# `analyze` and `evaluate` on it, and print one table row per run.
#
#   adversary/run_suite.sh                       # all scenarios, benign-only with 5 seeds
#   SCENARIOS="low-and-slow:12" adversary/run_suite.sh
#
# Environment: DISTILL_DETECT (binary; default .build/release/distill-detect of this
# checkout), SCALE (accounts multiplier, default 1), THREADS (analyze --threads; default:
# the tool's own default), WORK (where runs go; default a new /tmp/adversary-suite.*),
# BUILD_ARGS (extra build.py options for every scenario, e.g. "--offices 2 --verbose office:3"),
# KEEP=1 keeps the generated logs (otherwise only outputs and labels stay), WAIT_MINUTES
# (how long to wait for a missing binary, default 10).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${DISTILL_DETECT:-$HERE/../.build/release/distill-detect}
SCALE=${SCALE:-1}
THREADS=${THREADS:-}
WORK=${WORK:-$(mktemp -d /tmp/adversary-suite.XXXXXX)}
WAIT_MINUTES=${WAIT_MINUTES:-10}
SCENARIOS=${SCENARIOS:-"proxy-paraphrase:11 low-and-slow:12 teacher-templates:13 multi-campaign:14 no-content-burst:15 no-content-careful:16 benign-only:1 benign-only:2 benign-only:3 benign-only:4 benign-only:5"}

# The binary is built by others: wait for it rather than build it here.
waited=0
until [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; do
    if [ "$waited" -ge $((WAIT_MINUTES * 60)) ]; then
        echo "no working binary at $BIN after $WAIT_MINUTES min" >&2
        exit 1
    fi
    echo "waiting for $BIN ..." >&2
    sleep 30
    waited=$((waited + 30))
done

mkdir -p "$WORK"
ROWS=$WORK/rows.jsonl
: > "$ROWS"
echo "binary: $BIN ($("$BIN" --version 2>&1)), built $(date -u -r "$BIN" +%FT%TZ); runs in $WORK" >&2

now() { date +%s.%N; }
for item in $SCENARIOS; do
    name=${item%%:*}
    seed=${item##*:}
    run=$WORK/$name-$seed
    rm -rf "$run"
    mkdir -p "$run"
    t0=$(now)
    if ! python3 "$HERE/build.py" --scenario "$name" --seed "$seed" --scale "$SCALE" ${BUILD_ARGS:-} --out "$run/logs" 2> "$run/build.txt"; then
        echo "build failed: $name $seed (see $run/build.txt)" >&2
        continue
    fi
    t1=$(now)
    "$BIN" analyze --quiet ${THREADS:+--threads "$THREADS"} --out "$run/out" "$run/logs" > "$run/analyze.txt" 2>&1
    rc=$?
    t2=$(now)
    "$BIN" evaluate --labels "$run/logs/labels.csv" --accounts "$run/out/accounts.csv" > "$run/eval.txt" 2>&1
    "$BIN" evaluate --labels "$run/logs/labels.csv" --accounts "$run/out/accounts.csv" --json > "$run/eval.json" 2>/dev/null || rm -f "$run/eval.json"
    # diagnostic: the same run with every scored cluster reported (--threshold 0)
    "$BIN" analyze --quiet ${THREADS:+--threads "$THREADS"} --threshold 0 --out "$run/out0" "$run/logs" > /dev/null 2>&1
    "$BIN" evaluate --labels "$run/logs/labels.csv" --accounts "$run/out0/accounts.csv" --json > "$run/eval0.json" 2>/dev/null || rm -f "$run/eval0.json"
    python3 "$HERE/summarize.py" row "$name" "$seed" "$run" \
        "$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")" "$rc" >> "$ROWS"
    echo "$name seed $seed: $(head -1 "$run/eval.txt")" >&2
    if [ "${KEEP:-0}" != 1 ]; then
        cp "$run/logs/labels.csv" "$run/labels.csv"
        rm -rf "$run/logs"
        mkdir -p "$run/logs" && mv "$run/labels.csv" "$run/logs/labels.csv"
    fi
done
python3 "$HERE/summarize.py" table "$ROWS"

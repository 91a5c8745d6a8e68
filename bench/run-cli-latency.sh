#!/usr/bin/env bash
# CLI command latency, measured in one run on one data directory: a bare JVM start (the floor), the
# command opening the data directory itself (a JVM start, Kiln started, the journal recovered), and
# the same command through a running `kiln serve` (the quick path: a JVM start and one request).
# Prints one result line: medians of each and their ratios. Not a test: a figure.
#
#   bench/run-cli-latency.sh            CLI_RUNS (default 10) runs of each command
#
# Every kiln process runs as bin/kiln runs it (the same JVM options for the same command);
# KILN_JAVA_OPTS, when set, replaces them, as it does in bin/kiln.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${CLI_RUNS:-10}"

echo "building the command line …" >&2
mvn -q -B -DskipTests package -pl cli -am >&2
kiln() { "$root/bin/kiln" "$@"; }

data="$(mktemp -d /tmp/kiln-cli-latency.XXXXXX)"
server=""
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; rm -rf "$data"' EXIT
kiln put notes '{"_id": "a", "title": "hello"}' --data-dir "$data" >/dev/null

# milliseconds of each of $runs runs of a command, one a line
timed() {
  for _ in $(seq 1 "$runs"); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
  done
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
load_before="$(cut -d' ' -f1 /proc/loadavg)"

echo "== $runs x 'java -version' (a bare JVM start, with the options bin/kiln gives a quick command)" >&2
# shellcheck disable=SC2046 # the options are words
bare=$(timed java $(KILN_PRINT_JAVA_OPTS=1 "$root/bin/kiln" get) -version | median)
echo "== $runs x 'kiln get' opening the directory" >&2
alone_get=$(timed kiln get notes a --data-dir "$data" | median)
echo "== $runs x 'kiln put' opening the directory" >&2
alone_put=$(timed kiln put notes '{"_id": "b"}' --data-dir "$data" | median)

fifo="$data/serve.out"
mkfifo "$fifo"
# java itself in the background (not a function, whose subshell would take the SIGTERM), so the trap stops it
java ${KILN_JAVA_OPTS:-} -jar "$root/cli/target/kiln-cli.jar" serve --port 0 --data-dir "$data" >"$fifo" 2>"$data/serve.err" &
server=$!
read -r line <"$fifo"
echo "$line" >&2
kiln get notes a --data-dir "$data" >/dev/null # the server's first request warms it
echo "== $runs x 'kiln get' through the server" >&2
served_get=$(timed kiln get notes a --data-dir "$data" | median)
echo "== $runs x 'kiln put' through the server" >&2
served_put=$(timed kiln put notes '{"_id": "b"}' --data-dir "$data" | median)

awk -v r="$runs" -v b="$bare" -v ag="$alone_get" -v ap="$alone_put" -v sg="$served_get" -v sp="$served_put" \
  -v cores="$(nproc)" -v l0="$load_before" -v l1="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  printf "cli-latency runs=%d cores=%s load=%s..%s | bare JVM: p50=%dms | opening the directory: get_p50=%dms put_p50=%dms | through kiln serve: get_p50=%dms put_p50=%dms | served/alone: get=%.2fx put=%.2fx | served/bare JVM: get=%.2fx put=%.2fx\n",
    r, cores, l0, l1, b, ag, ap, sg, sp, sg / ag, sp / ap, sg / b, sp / b }'

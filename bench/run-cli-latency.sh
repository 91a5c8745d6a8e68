#!/usr/bin/env bash
# CLI command latency through a running `kiln serve` against the same command opening the data
# directory itself (a JVM start, Kiln started, the journal recovered), measured in one run on one
# data directory. Prints one result line: medians of each and their ratio. Not a test: a figure.
#
#   bench/run-cli-latency.sh            CLI_RUNS (default 10) runs of each command
#
# Environment: CLI_RUNS, KILN_JAVA_OPTS (passed to every kiln process, as bin/kiln does).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${CLI_RUNS:-10}"

echo "building the command line …" >&2
mvn -q -B -DskipTests package -pl cli -am >&2
kiln() { java ${KILN_JAVA_OPTS:-} -jar "$root/cli/target/kiln-cli.jar" "$@"; }

data="$(mktemp -d /tmp/kiln-cli-latency.XXXXXX)"
server=""
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; rm -rf "$data"' EXIT
kiln put notes '{"_id": "a", "title": "hello"}' --data-dir "$data" >/dev/null

# milliseconds of each of $runs runs of `kiln "$@"`, one a line
timed() {
  for _ in $(seq 1 "$runs"); do
    t0=$(date +%s%N)
    kiln "$@" --data-dir "$data" >/dev/null
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
  done
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "== $runs x 'kiln get' opening the directory" >&2
alone_get=$(timed get notes a | median)
echo "== $runs x 'kiln put' opening the directory" >&2
alone_put=$(timed put notes '{"_id": "b"}' | median)

fifo="$data/serve.out"
mkfifo "$fifo"
# java itself in the background (not the function, whose subshell would take the SIGTERM), so the trap stops it
java ${KILN_JAVA_OPTS:-} -jar "$root/cli/target/kiln-cli.jar" serve --port 0 --data-dir "$data" >"$fifo" 2>"$data/serve.err" &
server=$!
read -r line <"$fifo"
echo "$line" >&2
echo "== $runs x 'kiln get' through the server" >&2
served_get=$(timed get notes a | median)
echo "== $runs x 'kiln put' through the server" >&2
served_put=$(timed put notes '{"_id": "b"}' | median)

awk -v r="$runs" -v ag="$alone_get" -v ap="$alone_put" -v sg="$served_get" -v sp="$served_put" -v cores="$(nproc)" \
  -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
  printf "cli-latency runs=%d cores=%s load=%s | opening the directory: get_p50=%dms put_p50=%dms | through kiln serve: get_p50=%dms put_p50=%dms | ratio: get served/alone=%.2fx put served/alone=%.2fx\n",
    r, cores, load, ag, ap, sg, sp, sg / ag, sp / ap }'

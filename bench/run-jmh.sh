#!/usr/bin/env bash
# Runs Kiln's JMH benchmarks from bench/target/benchmarks.jar, building it first if it is missing.
#
#   bench/run-jmh.sh                            every benchmark, modest defaults
#   bench/run-jmh.sh CarWriteBenchmark          benchmarks whose name matches a regex
#   bench/run-jmh.sh TreeBenchmark -p nodeCache=true -prof gc
#   bench/run-jmh.sh -l                         list them
#
# Any JMH option can be given; the defaults below (one fork, 3 x 2 s warm-up, 5 x 2 s measurement,
# sized for a small shared machine) apply only to options not given. Results also go to
# bench/target/jmh-result.json unless -rf/-rff say otherwise.
#
# Environment:
#   KILN_BENCH_DIR      directory the disk benchmarks write under (default: java.io.tmpdir); it
#                       decides which disk is measured
#   KILN_BENCH_REBUILD  1 to rebuild the jar even if it exists
#   JAVA                java executable (default: java on PATH)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/benchmarks.jar"

if [[ ! -f "$jar" || "${KILN_BENCH_REBUILD:-0}" == 1 ]]; then
  echo "Building $jar ..." >&2
  (cd "$root" && mvn -B -q -pl bench -am package -DskipTests)
fi

# JMH refuses an option given twice, so a default goes in only when the caller did not give it.
given() {
  local opt="$1" a
  for a in "${args[@]}"; do
    [[ "$a" == "$opt" ]] && return 0
  done
  return 1
}
args=("$@")
defaults=()
add_default() {
  given "$1" || defaults+=("$1" "$2")
}
add_default -f 1
add_default -wi 3
add_default -w 2s
add_default -i 5
add_default -r 2s
if ! given -l && ! given -lp && ! given -h; then
  add_default -rf json
  add_default -rff "$here/target/jmh-result.json"
fi

jvm=()
if [[ -n "${KILN_BENCH_DIR:-}" ]]; then
  # Forked benchmark JVMs inherit the host JVM's arguments.
  jvm+=("-Dkiln.bench.dir=$KILN_BENCH_DIR")
fi

exec "${JAVA:-java}" "${jvm[@]}" -jar "$jar" "${defaults[@]}" "${args[@]}"

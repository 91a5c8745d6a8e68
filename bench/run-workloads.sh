#!/usr/bin/env bash
# Runs Kiln's whole-process workloads (dev.kiln.bench.workload.Workloads), each in a JVM of its own,
# within a time budget, and prints their result lines at the end. Progress goes to stderr.
#
#   bench/run-workloads.sh [workload …]       default: all of them, in the order below
#
# Environment:
#   WORKLOAD_BUDGET  seconds for all runs together, build excluded (default 540); a workload still
#                    running when it is spent is stopped and reported as such
#   WORKLOAD_SCALE   multiplies every count (default 1; 0.1 for a quick try)
#   WORKLOAD_TMP     where the temp data dirs go (default: a fresh dir under /tmp, removed at the end,
#                    so a workload stopped by the budget leaves nothing behind)
#   JAVA_OPTS        extra JVM options, e.g. -XX:StartFlightRecording=filename=w.jfr
#   SCALE_SIZES      database sizes for the scale workload (default 10000,100000); scale is not run
#                    unless named: bench/run-workloads.sh scale
#
# How it runs Java: `mvn -pl bench -am package dependency:build-classpath` builds the modules and
# writes bench/target/cp.txt in the same reactor, so the classpath names this worktree's jars (never
# a copy of kiln-engine that may sit in ~/.m2), then `java -cp bench/target/classes:<cp.txt>`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

budget="${WORKLOAD_BUDGET:-540}"
scale="${WORKLOAD_SCALE:-1}"
all=(sequential concurrent bulk get alldocs query compaction latency heap http-load)
if [ "$#" -gt 0 ]; then names=("$@"); else names=("${all[@]}"); fi

echo "building bench …" >&2
mvn -B -q -pl bench -am package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/cp.txt >&2
cp="bench/target/classes:$(cat bench/target/cp.txt)"
results="$(mktemp)"
own_tmp=""
if [ -n "${WORKLOAD_TMP:-}" ]; then data_tmp="$WORKLOAD_TMP"; else own_tmp="$(mktemp -d /tmp/kiln-workloads.XXXXXX)"; data_tmp="$own_tmp"; fi
trap 'rm -f "$results"; if [ -n "$own_tmp" ]; then rm -rf "$own_tmp"; fi' EXIT
deadline=$((SECONDS + budget))
for name in "${names[@]}"; do
  left=$((deadline - SECONDS))
  if [ "$left" -le 0 ]; then
    printf '%-11s NOT RUN: the budget of %ss was spent\n' "$name" "$budget" | tee -a "$results"
    continue
  fi
  echo "== $name (budget left ${left}s)" >&2
  set +e
  # shellcheck disable=SC2086
  timeout --kill-after=10 "$left" java ${JAVA_OPTS:-} -cp "$cp" dev.kiln.bench.workload.Workloads \
    --scale "$scale" --tmp "$data_tmp" --sizes "${SCALE_SIZES:-10000,100000}" "$name" | tee -a "$results"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    printf '%-11s STOPPED: still running when the budget of %ss was spent\n' "$name" "$budget" | tee -a "$results"
  fi
done

echo
echo "== results (scale $scale, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$results"

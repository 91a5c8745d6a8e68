#!/usr/bin/env bash
# Kiln's cluster figures, in one run on this machine: the `cluster` workload (HTTP puts through 1 node
# against 3 node processes, and the time until every database answers again after one node's SIGKILL)
# and the `postgres` workload (a write's p50/p99 on PostgreSQL against the embedded default).
#
#   bench/run-cluster.sh
#
# Environment:
#   WORKLOAD_SCALE     multiplies the put counts (default 1)
#   STABLE_AFTER       the Split Brain Resolver's stable-after for the nodes (default: conf/cluster.conf's)
#   HEARTBEAT_PAUSE    the failure detector's acceptable-heartbeat-pause (default: Pekko's, 3s)
# Needs PostgreSQL on 127.0.0.1 with the databases kiln_cluster_bench and kiln_store_test
# (`KILN_PG_DATABASES="kiln_store_test kiln_cluster_bench" .ci/postgres.sh` makes them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scale="${WORKLOAD_SCALE:-1}"

echo "building cli and bench …" >&2
mvn -B -q -pl cli,bench -am package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/cp.txt >&2
cp="bench/target/classes:$(cat bench/target/cp.txt)"
tmp="$(mktemp -d /tmp/kiln-cluster-bench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
opts=(-Dkiln.bench.node-cp="$root/cli/target/kiln-cli.jar:$root/cli/target/lib/*" -Dkiln.bench.cluster-conf="$root/conf/cluster.conf")
[ -n "${STABLE_AFTER:-}" ] && opts+=(-Dkiln.bench.stable-after="$STABLE_AFTER")
[ -n "${HEARTBEAT_PAUSE:-}" ] && opts+=(-Dkiln.bench.heartbeat-pause="$HEARTBEAT_PAUSE")
java "${opts[@]}" -cp "$cp" dev.kiln.bench.workload.Workloads --scale "$scale" --tmp "$tmp" cluster postgres

#!/usr/bin/env bash
# The CPU floor of a sharded session entity in Akka.NET, with no RTMFP in it (docs/benchmarks.md, "The floor of a
# sharded, persistent entity"): per life cycle (opened through the shard region, one request and answer, a close,
# passivated through its shard) for a plain entity and for one on the in-memory journal as the node configures it
# (recovery, one event written on open, deleted on close). One process per run, pinned to CPU 0 as
# bench/session-setup.sh pins the node, with the node's runtime settings (deploy/Dockerfile, src/Node's
# runtimeconfig). Compare the figures with that bench's node and tcserver CPU per session.
#
#   bench/entity-floor.sh                   N=20000 measured life cycles after 20000 warm-up ones, ROUNDS=2
#   N=50000 WARMUP=20000 CONCURRENT=8 ROUNDS=3 NO_BUILD=1 bench/entity-floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/server-process.sh
N=${N:-20000}; WARMUP=${WARMUP:-20000}; CONCURRENT=${CONCURRENT:-8}; ROUNDS=${ROUNDS:-2}; IDLE=${IDLE:-3}
if [ "${NO_BUILD:-0}" != 1 ]; then
  dotnet build -c Release -nologo -v q bench/Rtmfp.Bench >/dev/null
fi
dll=$(pwd)/bench/Rtmfp.Bench/bin/Release/net10.0/Rtmfp.Bench.dll
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| entity | round | CPU per life cycle ms | net of idle ms | user / system ms | thread-pool work items per cycle | wall s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  for kind in plain persistent; do
    flag=(); [ "$kind" = persistent ] && flag=(--persistent)
    # The spin limit is the node's runtimeconfig setting (src/Node/Rtmfp.Node.csproj), which this process lacks.
    out=$(env "${bench_node_runtime[@]}" DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 \
          taskset -c 0 dotnet "$dll" entity-floor "${flag[@]}" -n "$N" --warmup "$WARMUP" -c "$CONCURRENT" --idle "$IDLE" 2>&1) \
      || { echo "| $kind | $round | failed: $(echo "$out" | tail -1) | | | | |"; continue; }
    kv() { echo "$out" | sed -n "s/.*$1=\([-0-9.]*\).*/\1/p"; }
    echo "| $kind | $round | $(kv per-cycle-ms) | $(kv net-of-idle-ms) | $(kv user-ms) / $(kv system-ms) | $(kv work-items-per-cycle) | $(kv wall-s) |"
  done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

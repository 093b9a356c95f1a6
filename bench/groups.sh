#!/usr/bin/env bash
# NetGroup orchestration end to end (issue 10; docs/benchmarks.md, "NetGroup end to end"): one node on 127.0.0.1 and
# `rtmfp group load` (src/ClientCli): S client sessions (connected NetConnections) join G groups of M members through
# GC flows (docs/groups.md §2): gateway -> session's GC flow -> group shard region -> group entity -> introductions back.
# Per configuration GxM a fresh node; a small warm-up run first (JIT, pools, shard regions), then 25 s for its closed
# sessions to go (RFC 7016 §3.5.5.2 keeps them 19 s), then the measured run:
#   join:  all G·M members join at once; a join is done when its introductions came (all others in a group of up to 8,
#          else the 6 ring neighbours). Joins per second, and the node's CPU time (/proc utime+stime) per join.
#   heap:  the node's live heap (dotnet-gcdump: a full blocking collection first) with the sessions connected, then with
#          every member joined: bytes per member, the session's side (GC flow, membership) and the group entity's.
#   churn: CHURN seconds in which every member leaves (the node answers by ending its flow) and joins again (answered
#          by an introduction), as fast as the node answers: events (leaves + joins) per second, CPU per event.
#
#   bench/groups.sh                         configurations 1000x3 100x30 10x300
#   bench/groups.sh 1000x3 100x30           GxM pairs
#   PORT=29617 CHURN=10 NO_BUILD=1 bench/groups.sh
#
# Needs dotnet-gcdump (dotnet tool install -g dotnet-gcdump) for the heap column; without it the column says n/a.
# Environment: PORT (29617), CHURN seconds (10), WARMUP members of the warm-up run (150), NO_BUILD=1 to skip the builds.
# Client and node share the machine: the rates are what both together reach; CPU per event is the node's alone and
# less sensitive to other load than the rates. The load average is printed with every row.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-29617}; CHURN=${CHURN:-10}; WARMUP=${WARMUP:-150}
configs=("$@"); [ ${#configs[@]} -gt 0 ] || configs=(1000x3 100x30 10x300)
gcdump=$(command -v dotnet-gcdump || echo "$HOME/.dotnet/tools/dotnet-gcdump")
[ -x "$gcdump" ] || { echo "no dotnet-gcdump: heap not measured (dotnet tool install -g dotnet-gcdump)" >&2; gcdump=""; }

if [ "${NO_BUILD:-0}" != 1 ]; then
  dotnet build -c Release -nologo -v q src/Node >/dev/null
  dotnet build -c Release -nologo -v q src/ClientCli >/dev/null
fi
node_dll=$(pwd)/src/Node/bin/Release/net10.0/rtmfp-node.dll
cli_dll=$(pwd)/src/ClientCli/bin/Release/net10.0/rtmfp.dll
log=$(mktemp -d)
. bench/server-process.sh

# Every session comes from 127.0.0.1: the per-address and per-prefix limits are lifted for the run.
export "${bench_source_limits[@]}" \
  RTMFP_Gateway__Endpoints=127.0.0.1:$PORT RTMFP_Ops__Endpoint=off RTMFP_Health__Endpoint=off RTMFP_Rtmp__Enabled=false

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| groups x members | sessions | joins/s | node CPU per join µs | live heap per member B | churn events/s | node CPU per event µs | leave+join cycle p50 / p99 ms | load average |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
for config in "${configs[@]}"; do
  g=${config%x*}; m=${config#*x}
  dotnet "$node_dll" >"$log/node-$config.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do grep -q "RTMFP listening on udp" "$log/node-$config.log" 2>/dev/null && break; sleep 0.2; done
  uri=rtmfp://127.0.0.1:$PORT/live
  dotnet "$cli_dll" group load "$uri" -G $(( (WARMUP + m - 1) / m )) -m "$m" --churn 2 >"$log/warmup-$config.log" 2>&1 || { echo "warm-up failed:" >&2; cat "$log/warmup-$config.log" >&2; }
  sleep 25
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  dotnet "$cli_dll" group load "$uri" -G "$g" -m "$m" --churn "$CHURN" --server-pid "$server_pid" ${gcdump:+--gcdump "$gcdump"} \
    >"$log/run-$config.log" 2>&1 || echo "run $config: exit $? (see below)" >&2
  load="$load → $(cut -d' ' -f1-3 /proc/loadavg)"
  stop_server
  result=$(grep '^result:' "$log/run-$config.log" || true)
  if [ -z "$result" ]; then cat "$log/run-$config.log" >&2; continue; fi
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
  cycle=$(sed -n 's/.*cycle ms p50 \([0-9.]*\) p90 [0-9.]* p99 \([0-9.]*\).*/\1 \/ \2/p' "$log/run-$config.log")
  echo "| $g x $m | $(field sessions) | $(field join-per-s) | $(field join-cpu-us) | $(field heap-per-member) | $(field churn-events-per-s) | $(field churn-cpu-us) | ${cycle:-n/a} | $load |"
  [ "$(field late)" = 0 ] && [ "$(field unanswered)" = 0 ] || echo "  ($config: $(field late) joins late, $(field unanswered) events unanswered)"
done
echo
echo "logs: $log"

#!/usr/bin/env bash
# Relay fan-out benchmark (docs/benchmarks.md, "Relay fan-out"): one 1 Mbit/s publisher and N players
# (`rtmfp relay`) against a freshly started server per N, on 127.0.0.1. Prints one Markdown row per run and,
# at the end, the server's CPU per player: (CPU(N) - CPU(first N)) / (N - first N), and players per core.
#
#   bench/fanout.sh [N ...]                  our node (default N: 1 100 200 300 400)
#   SERVER_CMD='/path/to/server -B 127.0.0.1:19411' bench/fanout.sh 1 100 200
#                                            another RTMFP server listening on $PORT, e.g. a reference server
#                                            built outside this repository
# Environment: PORT (19411), BITRATE kbit/s (1000), DURATION s (10), THRESHOLD ms (100),
#              PIN=1 to run the server on CPU 0 and the client on CPU 1 (taskset),
#              INGEST=rtmp to publish the same frames over RTMP to our node's TCP port RTMP_PORT (19421) (docs/rtmp.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-19411}; BITRATE=${BITRATE:-1000}; DURATION=${DURATION:-10}; THRESHOLD=${THRESHOLD:-100}
[ $# -gt 0 ] || set -- 1 100 200 300 400

dotnet build -c Release -nologo -v q src/Node >/dev/null
dotnet build -c Release -nologo -v q src/ClientCli >/dev/null
node_dll=$(pwd)/src/Node/bin/Release/net10.0/rtmfp-node.dll
cli_dll=$(pwd)/src/ClientCli/bin/Release/net10.0/rtmfp.dll
name=${SERVER_CMD:+$(basename "${SERVER_CMD%% *}")}; name=${name:-node}
RTMP_PORT=${RTMP_PORT:-19421}; ingest=()
if [ "${INGEST:-rtmfp}" = rtmp ]; then ingest=(--rtmp-ingest "127.0.0.1:$RTMP_PORT"); name="$name (RTMP ingest)"; fi
server_cpu=(); client_cpu=()
if [ "${PIN:-0}" = 1 ]; then
  server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); name="$name (pinned)"
fi
log=$(mktemp -d)

. bench/server-process.sh

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

echo "| server | N | added delay p50 / p99 / max (ms) | players ≥ ${THRESHOLD} ms | lost | server CPU (% of a core) | client CPU |"
echo "|---|---:|---|---:|---:|---:|---:|"
declare -a ns cpus
for n in "$@"; do
  if [ -n "${SERVER_CMD:-}" ]; then
    "${server_cpu[@]}" $SERVER_CMD >"$log/server.log" 2>&1 &
  else
    RTMFP_Gateway__Endpoints=127.0.0.1:$PORT RTMFP_Rtmp__Address=127.0.0.1 RTMFP_Rtmp__Port=$RTMP_PORT RTMFP_Ops__Endpoint=off \
      "${server_cpu[@]}" dotnet "$node_dll" >"$log/server.log" 2>&1 &
  fi
  server_pid=$!
  sleep 4
  t0=$(date +%s.%N); c0=$(cpu_ticks "$server_pid")
  out=$( { /usr/bin/time -f 'client %P' "${client_cpu[@]}" dotnet "$cli_dll" relay "rtmfp://127.0.0.1:$PORT/live" --players "$n" \
            --bitrate "$BITRATE" --duration "$DURATION" --threshold "$THRESHOLD" "${ingest[@]}"; } 2>&1 || true)
  c1=$(cpu_ticks "$server_pid"); t1=$(date +%s.%N)
  stop_server
  cpu=$(python3 -c "print(f'{100*($c1-$c0)/$hz/($t1-$t0):.1f}')")
  delay=$(echo "$out" | sed -n 's/.*all frames: *p50 \([0-9.]*\) *p99 \([0-9.]*\) *max \([0-9.]*\).*/\1 \/ \2 \/ \3/p')
  over=$(echo "$out" | sed -n 's/.*or over [0-9]* ms: \([0-9]*\); lost frames: \([0-9]*\).*/\1/p')
  lost=$(echo "$out" | sed -n 's/.*lost frames: \([0-9]*\).*/\1/p')
  client=$(echo "$out" | sed -n 's/^client \(.*\)/\1/p')
  echo "| $name | $n | ${delay:-?} | ${over:-?} | ${lost:-?} | $cpu % | ${client:-?} |"
  ns+=("$n"); cpus+=("$cpu")
done
if [ ${#ns[@]} -ge 2 ]; then
  python3 - "${ns[@]}" -- "${cpus[@]}" <<'PY'
import sys
a = sys.argv[1:]; i = a.index('--'); ns = [int(x) for x in a[:i]]; cpus = [float(x) for x in a[i+1:]]
base_n, base_cpu = ns[0], cpus[0]
for n, c in zip(ns[1:], cpus[1:]):
    per = (c - base_cpu) / (n - base_n)
    print(f"N={n}: {per:.3f} % of a core per player above N={base_n}" + (f" -> {100/per:.0f} players per core" if per > 0 else ""))
PY
fi

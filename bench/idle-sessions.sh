#!/usr/bin/env bash
# Live heap per idle session on a real node (issue 9: at most 4 KiB; docs/benchmarks.md, "Idle sessions"): start one
# node on 127.0.0.1, take a heap dump (dotnet-gcdump: a full blocking GC first, so the figure is live objects only),
# open N idle sessions with `rtmfp load -r 0` (handshake, then nothing but keepalives), dump again while they are open,
# and divide the difference by the sessions the client reports open. RSS per session from /proc as well.
#
#   bench/idle-sessions.sh [N]            default N = 10000
#
# Needs dotnet-gcdump (dotnet tool install -g dotnet-gcdump). Environment: PORT (29511), HOLD seconds the sessions
# stay open (90; the dump is taken once all are open), DUMPS (a directory to keep the .gcdump files, else removed).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; PORT=${PORT:-29511}; HOLD=${HOLD:-90}
gcdump=$(command -v dotnet-gcdump || echo "$HOME/.dotnet/tools/dotnet-gcdump")
[ -x "$gcdump" ] || { echo "dotnet-gcdump is required: dotnet tool install -g dotnet-gcdump" >&2; exit 2; }

dotnet build -c Release -nologo -v q src/Node >/dev/null
dotnet build -c Release -nologo -v q src/ClientCli >/dev/null
node_dll=$(pwd)/src/Node/bin/Release/net10.0/rtmfp-node.dll
cli_dll=$(pwd)/src/ClientCli/bin/Release/net10.0/rtmfp.dll
work=$(mktemp -d); dumps=${DUMPS:-$work}; mkdir -p "$dumps"

# Every session comes from 127.0.0.1: the per-address and per-prefix limits are lifted for the run.
export RTMFP_Gateway__Endpoints=127.0.0.1:$PORT RTMFP_Ops__Endpoint=off RTMFP_Health__Endpoint=off RTMFP_Rtmp__Enabled=false \
  RTMFP_Gateway__SessionsPerAddress=1000000 RTMFP_Gateway__SessionsPerPrefix=1000000 \
  RTMFP_Gateway__HandshakesPerAddress=1000000 RTMFP_Gateway__HandshakesPerPrefix=1000000 \
  RTMFP_Gateway__HellosPerAddress=1000000 RTMFP_Gateway__HellosPerPrefix=1000000 \
  RTMFP_Gateway__UnverifiedBytesPerAddress=100000000 RTMFP_Gateway__UnverifiedBytesPerPrefix=100000000
dotnet "$node_dll" >"$work/node.log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null; wait $node 2>/dev/null; [ -n "${DUMPS:-}" ] || rm -rf "$work"' EXIT
for _ in $(seq 300); do grep -q "RTMFP listening on udp" "$work/node.log" && break; sleep 0.2; done
sleep 5 # cluster formed, shards allocated on the first sessions below

heap() { "$gcdump" collect -p "$node" -o "$1" >/dev/null 2>&1; "$gcdump" report "$1" 2>/dev/null | awk '/GC Heap bytes/ {gsub(",","",$1); print $1; exit}'; }
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$node/status"; }

# A few sessions first, so that shard regions, pools and JIT are in the baseline, not in the per-session figure.
dotnet "$cli_dll" load "rtmfp://127.0.0.1:$PORT/app" -c 50 -d 5 -r 0 --live false >/dev/null 2>&1 || true
sleep 2
before=$(heap "$dumps/before.gcdump"); rss_before=$(rss)

dotnet "$cli_dll" load "rtmfp://127.0.0.1:$PORT/app" -c "$n" -d "$HOLD" -r 0 --live false >"$work/load.log" 2>&1 &
load=$!
for _ in $(seq "$HOLD"); do
  sleep 1
  open=$(grep -o 'open [0-9]*' "$work/load.log" | tail -1 | awk '{print $2}' || true)
  [ "${open:-0}" -ge "$n" ] && break
done
sleep 3
after=$(heap "$dumps/after.gcdump"); rss_after=$(rss)
open=$(grep -o 'open [0-9]*' "$work/load.log" | tail -1 | awk '{print $2}' || true)
wait $load || true

echo "idle sessions open: $open of $n (load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "live heap: $before -> $after bytes: $(( (after - before) / open )) B per idle session"
echo "RSS: $rss_before -> $rss_after bytes: $(( (rss_after - rss_before) / open )) B per idle session"

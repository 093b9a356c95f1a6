#!/usr/bin/env bash
# Session-setup CPU benchmark (docs/benchmarks.md, "Session setup"): server CPU per whole session (handshake, one
# Ping round trip, orderly close) for our node and a reference server (rtmfp-cpp's tcserver, built outside this
# repository) in the same run, per Diffie-Hellman group, and their ratio.
#
#   bench/session-setup.sh                          groups 2 and 14, N=2000 measured sessions after 10000 warm-up ones
#   TCSERVER=/path/to/tcserver DH_GROUPS="2 14" N=2000 WARMUP=20000 ROUNDS=2 bench/session-setup.sh
#
# Each (server, group) gets a freshly started server pinned to CPU 0 (taskset); the initiator (`rtmfp setup`, our
# .NET client: a fresh identity and DH key pair per session, --dh selects the group both servers answer with) runs
# on CPU 1. The initiator reads the server's utime+stime from /proc/<pid>/stat after the warm-up, watches it idle for
# IDLE seconds, then around the measured sessions plus 21 s: a closed session lingers 19 s (RFC 7016 §3.5.5.2) before
# either server lets it go, and that teardown is part of its cost; "net" subtracts the idle rate over that window.
# The node is started with its per-source limits raised (every session comes from 127.0.0.1; sessions the node closes
# count until their linger ends) and its RTMP listener on 127.0.0.1:PORT+1.
# Environment: PORT (19431), N, WARMUP, CONCURRENT (8 sessions in flight), IDLE (5 s), ROUNDS (1), DH_GROUPS,
#              TCSERVER (/tmp/peers/rtmfp-cpp/test/tcserver; missing: node only), TCSERVER_ARGS (more options for it:
#              -x gives it static Diffie-Hellman keys, one exponentiation per session as the node does, where by default
#              it makes a fresh key per handshake; docs/benchmarks.md, session 25), NO_BUILD=1 to skip the builds,
#              NODE_DLL (another build of rtmfp-node.dll, e.g. an older commit's, for a before/after pair).
# The node runs as deploy/Dockerfile runs it: DOTNET_TC_CallCountingDelayMs=0 (set it empty, or to 100, for the
# runtime's default) and DOTNET_GCgen0size=0x4000000 (empty: the runtime's default gen0 budget). The warm-up is long on purpose: until the runtime's tiered JIT has settled (about 10,000
# sessions on the shared 2-core VM), a node session costs up to 2-3 times more; the JIT's CPU is the node's.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-19431}; N=${N:-2000}; WARMUP=${WARMUP:-10000}; CONCURRENT=${CONCURRENT:-8}; IDLE=${IDLE:-5}; ROUNDS=${ROUNDS:-1}
DH_GROUPS=${DH_GROUPS:-"2 14"}
TCSERVER=${TCSERVER:-/tmp/peers/rtmfp-cpp/test/tcserver}

if [ "${NO_BUILD:-0}" != 1 ]; then
  dotnet build -c Release -nologo -v q src/Node >/dev/null
  dotnet build -c Release -nologo -v q src/ClientCli >/dev/null
fi
node_dll=${NODE_DLL:-$(pwd)/src/Node/bin/Release/net10.0/rtmfp-node.dll}
cli_dll=$(pwd)/src/ClientCli/bin/Release/net10.0/rtmfp.dll
servers=(node); [ -x "$TCSERVER" ] && servers+=(tcserver) || echo "no tcserver at $TCSERVER: node only" >&2
log=$(mktemp -d)

. bench/server-process.sh

start_server() {
  if [ "$1" = node ]; then
    env "${bench_source_limits[@]}" RTMFP_Gateway__Endpoints=127.0.0.1:$PORT RTMFP_Ops__Endpoint=off RTMFP_Health__Endpoint=off \
    RTMFP_Rtmp__Address=127.0.0.1 RTMFP_Rtmp__Port=$((PORT + 1)) \
    "${bench_node_runtime[@]}" \
      taskset -c 0 dotnet "$node_dll" >"$log/node.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 150); do grep -q "RTMFP listening on udp" "$log/node.log" 2>/dev/null && break; sleep 0.2; done
  else
    taskset -c 0 "$TCSERVER" -B "127.0.0.1:$PORT" ${TCSERVER_ARGS:-} >"$log/tcserver.log" 2>&1 &
    server_pid=$!
  fi
  sleep 1
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| server | DH group | round | sessions ok | wall s | CPU per session ms | user / system ms | net of idle ms | idle % of a core |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
declare -A gross net
for round in $(seq 1 "$ROUNDS"); do
  for group in $DH_GROUPS; do
    for server in "${servers[@]}"; do
      start_server "$server"
      out=$(taskset -c 1 dotnet "$cli_dll" --dh "$group" --timeout 10 setup "rtmfp://127.0.0.1:$PORT/live" -n "$N" --warmup "$WARMUP" \
              -c "$CONCURRENT" --server-pid "$server_pid" --idle "$IDLE" 2>&1 || true)
      stop_server
      echo "$out" >"$log/$server-$group-$round.out"
      kv() { echo "$out" | sed -n "s/.*$1=\([-0-9.]*\).*/\1/p"; }
      ok=$(echo "$out" | sed -n 's/^sessions: \([0-9]*\) ok.*/\1/p'); wall=$(echo "$out" | sed -n 's/^sessions: .* in \([0-9.]*\) s.*/\1/p')
      per=$(kv per-session-ms); n_=$(kv net-of-idle-ms)
      echo "| $server | $group | $round | ${ok:-?} | ${wall:-?} | ${per:-?} | $(kv user-ms) / $(kv system-ms) | ${n_:-?} | $(kv idle-pct) |"
      [ -z "$per" ] && { echo "  (no figures; initiator output in $log/$server-$group-$round.out)"; continue; }
      gross[$server,$group]="${gross[$server,$group]:-} $per"; net[$server,$group]="${net[$server,$group]:-} $n_"
    done
  done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ${#servers[@]} -eq 2 ]; then
  for group in $DH_GROUPS; do
    python3 - "$group" "${gross[node,$group]:-}" "${gross[tcserver,$group]:-}" "${net[node,$group]:-}" "${net[tcserver,$group]:-}" <<'PY'
import sys
g = sys.argv[1]
mean = lambda s: (lambda v: sum(v) / len(v) if v else float('nan'))([float(x) for x in s.split()])
ng, tg, nn, tn = (mean(a) for a in sys.argv[2:6])
print(f"group {g}: node {ng:.3f} ms, tcserver {tg:.3f} ms per session: ratio {ng / tg:.2f} "
      f"(net of idle: {nn:.3f} / {tn:.3f} = {nn / tn:.2f}); goal <= 1.0")
PY
  done
fi

# Sourced by the bench scripts: the server they start in the background ($server_pid) is stopped on exit,
# politely first (the node closes its sessions in an orderly way before it exits), then with SIGKILL after 20 s.
server_pid=""

# Every bench client comes from one address: the node's per-address and per-prefix limits (docs/load-balancer.md: by
# default 256 open sessions and 10 handshakes a second per address) are lifted, as a bench, not a deployment, needs.
bench_source_limits=(
  RTMFP_Gateway__HellosPerAddress=1000000 RTMFP_Gateway__HellosPerPrefix=1000000
  RTMFP_Gateway__HandshakesPerAddress=1000000 RTMFP_Gateway__HandshakesPerPrefix=1000000
  RTMFP_Gateway__SessionsPerAddress=1000000 RTMFP_Gateway__SessionsPerPrefix=1000000
  RTMFP_Gateway__UnverifiedBytesPerAddress=100000000 RTMFP_Gateway__UnverifiedBytesPerPrefix=100000000
)

# The runtime settings deploy/Dockerfile gives the node (tier-1 code without the call-counting delay, a 64 MiB gen0
# budget), each overridable from the caller's environment (empty: the runtime's default).
bench_node_runtime=(
  DOTNET_TC_CallCountingDelayMs=${DOTNET_TC_CallCountingDelayMs-0} DOTNET_GCgen0size=${DOTNET_GCgen0size-0x4000000}
)

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

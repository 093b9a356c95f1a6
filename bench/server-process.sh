# Sourced by the bench scripts: the server they start in the background ($server_pid) is stopped on exit,
# politely first (the node closes its sessions in an orderly way before it exits), then with SIGKILL after 20 s.
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

#!/usr/bin/env bash
# Runs every test in Cluster.sln. Installs and starts what the tests need (redis-server on a free
# loopback port), then prints one closing line: "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v dotnet >/dev/null 2>&1; then
  echo "dotnet SDK 10 is required (https://dot.net)" >&2
  exit 2
fi

# Redis for persistence tests: installed from Debian's packages when missing.
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 \
      || echo "warning: could not install redis-server; Redis tests will fail" >&2
  else
    echo "warning: redis-server missing and not root; run: sudo apt-get install redis-server" >&2
  fi
fi
redis_pid=""
if command -v redis-server >/dev/null 2>&1; then
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 16379)
  redis_dir=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$redis_dir" --daemonize no >"$redis_dir/log" 2>&1 &
  redis_pid=$!
  export RTMFP_TEST_REDIS="127.0.0.1:$port"
fi
cleanup() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; }
trap cleanup EXIT

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet build Cluster.sln -c Release -nologo -v q 2>&1 | grep -E 'error|warn' ; build=${PIPESTATUS[0]}
if [ "$build" != 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
dotnet test Cluster.sln -c Release --no-build --logger "trx" --results-directory "$results" -- "$@"
rc=$?

passed=0; failed=0; skipped=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line"); passed=$((passed + ${p:-0}))
  fl=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line"); failed=$((failed + ${fl:-0}))
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$line"); t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$line")
  skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$rc" = 0 ] && [ "$failed" = 0 ]

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

# What the tests need from Debian's packages, installed when missing, with one package-list update and one install:
# redis-server (persistence tests), kubectl (the kustomize rendering test of deploy/k8s,
# tests/Integration.Tests/KubernetesManifestTests.cs), ffmpeg and ffprobe (the independent RTMP client of
# tests/Integration.Tests/Rtmp, issue 13), and, as root, iproute2, iptables and conntrack: the UDP load balancer tests
# (tests/Integration.Tests/Cluster/LoadBalancerTests.cs, docs/load-balancer.md) build network namespaces and balance as
# kube-proxy does; they need root (and skip without it, saying so).
missing_packages=()
command -v redis-server >/dev/null 2>&1 || missing_packages+=(redis-server)
command -v kubectl >/dev/null 2>&1 || missing_packages+=(kubernetes-client)
{ command -v ffmpeg && command -v ffprobe; } >/dev/null 2>&1 || missing_packages+=(ffmpeg)
if [ "$(id -u)" = 0 ] && ! { command -v ip && command -v iptables && command -v conntrack; } >/dev/null 2>&1; then
  missing_packages+=(iproute2 iptables conntrack)
fi
if [ "${#missing_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null 2>&1
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_packages[@]}" >/dev/null 2>&1; then
      # One package that cannot be installed must not keep the others out: each on its own, saying which failed.
      for package in "${missing_packages[@]}"; do
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1 \
          || echo "warning: could not install $package; the tests that need it will fail" >&2
      done
    fi
  else
    echo "warning: ${missing_packages[*]} missing and not root; run: sudo apt-get install ${missing_packages[*]}" >&2
  fi
fi
redis_pid=""
if command -v redis-server >/dev/null 2>&1; then
  redis_dir=$(mktemp -d)
  # redis-server cannot listen on port 0 and report its port: the port is found free and released first, so another
  # process may take it before redis-server binds it. redis-server then exits at once, and another port is tried.
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo $((16379 + attempt)))
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$redis_dir" --daemonize no >"$redis_dir/log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
      grep -q "Ready to accept connections" "$redis_dir/log" && break 2
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$redis_pid" 2>/dev/null; redis_pid=""
  done
  if [ -n "$redis_pid" ]; then
    export RTMFP_TEST_REDIS="127.0.0.1:$port"
  else
    echo "warning: redis-server did not start (see $redis_dir/log); Redis tests will fail" >&2
  fi
fi
cleanup() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; }
trap cleanup EXIT

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
build_log="$root/artifacts/build.log"
# The compiler server (UseSharedCompilation) compiles every project in one warm process instead of starting and
# JIT-compiling the compiler once per project: a clean build of Cluster.sln on the 2-core machine took 57-69 s with it
# against 101-107 s without (docs/testing.md). Some environments turn it off (UseSharedCompilation=false); it is asked
# for here and shut down after the build, so that no compiler process outlives the run.
dotnet build Cluster.sln -c Release -nologo -v q -p:UseSharedCompilation=true >"$build_log" 2>&1; build=$?
dotnet build-server shutdown >/dev/null 2>&1
grep -E 'error|warn' "$build_log" | sort -u
if [ "$build" != 0 ]; then
  # No test ran: say so, with the build's own errors above, rather than a made-up test count.
  echo "build failed (exit $build): no test ran; see $build_log"
  exit 1
fi

# Every test project under tests/ must be in the solution and must run tests: a project dropped from
# Cluster.sln, or one that finds no tests, fails the run instead of passing unnoticed.
expected=$(find tests -name '*.csproj' -not -path '*/bin/*' -not -path '*/obj/*' | sort)
missing=""
for proj in $expected; do
  grep -qF "$(basename "$proj")" Cluster.sln || missing="$missing $proj"
done

# A test that hangs is reported with a dump after 5 minutes instead of holding CI until its limit.
dotnet test Cluster.sln -c Release --no-build --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 5m --blame-hang-dump-type none -- "$@"
rc=$?

passed=0; failed=0; skipped=0; total=0; empty=""
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line"); passed=$((passed + ${p:-0}))
  fl=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line"); failed=$((failed + ${fl:-0}))
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$line"); t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$line")
  skipped=$((skipped + ${t:-0} - ${e:-0})); total=$((total + ${t:-0}))
  [ "${t:-0}" -gt 0 ] || empty="$empty $(basename "$f")"
done
# A fixture that fails while cleaning up (e.g. a node that logged an Error during the class) fails no single test: it
# is counted here, so it cannot pass unnoticed.
cleanup=$(grep -ho 'Test [A-Za-z]* Cleanup Failure ([^)]*)' "$results"/*.trx 2>/dev/null | sort -u)
if [ -n "$cleanup" ]; then
  echo "$cleanup"; failed=$((failed + $(wc -l <<<"$cleanup")))
  # The trx files carry no message for these; the in-process node fixtures write theirs here (deliberate ones too).
  [ -f "$results/fixture-failures.log" ] && { echo "node fixture failures (artifacts/test-results/fixture-failures.log):"; tail -n 60 "$results/fixture-failures.log"; }
fi
runs=$(find "$results" -maxdepth 1 -name '*.trx' | wc -l)
nexpected=$(wc -w <<<"$expected")
if [ -n "$missing" ]; then echo "test projects not in Cluster.sln:$missing"; failed=$((failed + 1)); fi
if [ -n "$empty" ]; then echo "test runs with no test:$empty"; failed=$((failed + 1)); fi
if [ "$runs" -lt "$nexpected" ]; then echo "only $runs test runs for $nexpected test projects"; failed=$((failed + 1)); fi
# A total that drops (tests deleted, a class no longer discovered, a project's tests lost) fails a whole run: the floor
# is checked in (tests/minimum-test-count); raise it when tests are added. A filtered run (arguments) is not checked.
floor_file="$root/tests/minimum-test-count"
if [ "$#" = 0 ] && [ -f "$floor_file" ]; then
  floor=$(tr -dc '0-9' <"$floor_file")
  if [ "$total" -lt "${floor:-0}" ]; then
    echo "$total tests ran, fewer than the floor of $floor in tests/minimum-test-count: tests were lost"
    failed=$((failed + 1))
  fi
fi
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$rc" = 0 ] && [ "$failed" = 0 ]

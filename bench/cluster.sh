#!/usr/bin/env bash
# Cluster benchmark (issue 9; docs/benchmarks.md, "Cluster (issue 9)"): 1, 2 and 3 node processes on 127.0.0.1 with
# Redis persistence (its own redis-server on a free port, --save ''), each node with its own gateway, remoting port and
# ops endpoint, all the same seeds and cookie secret (README, "Three nodes on one machine"). For each cluster size,
# after a warm-up (100 echo sessions per gateway) and SETTLE s:
#   no session  20 s: remoting bytes and segments, node CPU (the idle rate the "net" columns subtract), Redis writes;
#   handshakes  `rtmfp load -r 0`, one process per gateway at once (the sessions spread evenly): sessions/s, failures,
#               node CPU per session (utime+stime from /proc, summed over the node processes: handshake, open until
#               HS_SECONDS after the start, close), Redis writes per session (open, close, purge);
#   echo        `rtmfp load` at a fixed rate through every gateway: round trips/s, node CPU per round trip, and what
#               crosses between nodes per round trip: bytes and data segments on the remoting TCP connections (`ss -ti`,
#               both directions), Redis writes per session per minute under load;
#   relay       `rtmfp relay`: one publisher through the first gateway, players through the others in turn (all local
#               with 1 node): frames/s and Mbit/s delivered, lost frames, remoting bytes and segments per frame
#               published, node CPU, Redis writes per session per minute.
# With the largest cluster size, also:
#   at rest     IDLE sessions open with no traffic but keepalives for 60 s: Redis writes and remoting bytes per session
#               per minute, the nodes' RSS and GC heap (ops `node info`: heap after the last collection, not a forced
#               one, so an upper bound that includes garbage; bench/idle-sessions.sh measures the live heap) per session;
#   recovery    RECOVER echo sessions (5 round trips/s each) through the gateways of every node but the last, the last
#               node SIGKILLed after 20 s: for each session whose longest silence (`rtmfp load --silence-log`) spans the
#               kill, the time from the kill to its first answer again; sessions resumed per second.
#
#   bench/cluster.sh                       sizes 1 2 3
#   SIZES="3" HANDSHAKES=600 bench/cluster.sh
# Environment: SIZES ("1 2 3"), HANDSHAKES sessions per size (1000) within HS_SECONDS (10; a handshake still pending
#   then is cancelled: "sessions ok" below HANDSHAKES), ECHO_SESSIONS (200) at ECHO_RATE round trips/s
#   each (10) for ECHO_SECONDS (30), PLAYERS (30) at BITRATE kbit/s (1000) for RELAY_SECONDS (20), IDLE sessions (1000),
#   RECOVER sessions (300), SETTLE s after each phase for its closed sessions to be purged (25: a closed session
#   lingers 19 s), BASE_PORT (first UDP gateway port, 31900; remoting BASE_PORT+100+i, ops BASE_PORT+200+i),
#   CLIENTS (3: client processes for each phase, over the gateways in turn), NO_BUILD=1 to skip the builds, KEEP=1 to keep the logs (their directory is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1 2 3"}; HANDSHAKES=${HANDSHAKES:-1000}; ECHO_SESSIONS=${ECHO_SESSIONS:-200}; ECHO_RATE=${ECHO_RATE:-10}
ECHO_SECONDS=${ECHO_SECONDS:-30}; PLAYERS=${PLAYERS:-30}; BITRATE=${BITRATE:-1000}; RELAY_SECONDS=${RELAY_SECONDS:-20}
IDLE=${IDLE:-1000}; RECOVER=${RECOVER:-300}; BASE_PORT=${BASE_PORT:-31900}; SETTLE=${SETTLE:-25}; HS_SECONDS=${HS_SECONDS:-10}; CLIENTS=${CLIENTS:-3}

[ "${NO_BUILD:-0}" = 1 ] || for project in src/Node src/ClientCli; do dotnet build -c Release -nologo -v q "$project" >/dev/null; done
node_dll=$(pwd)/src/Node/bin/Release/net10.0/rtmfp-node.dll
cli_dll=$(pwd)/src/ClientCli/bin/Release/net10.0/rtmfp.dll
log=$(mktemp -d)
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --pidfile "$log/redis.pid" \
  --logfile "$log/redis.log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$log/redis.pid" ] && kill "$(cat "$log/redis.pid")" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "logs: $log" >&2; else rm -rf "$log"; fi
}
trap cleanup EXIT
trap "exit 143" INT TERM

# The measurements: snap writes the nodes' CPU ticks, the remoting connections' bytes and data segments (every socket
# with a remoting port at either end: each connection counted from both ends, so both directions), Redis's command
# counts and the time; diff prints the differences as shell assignments.
cat >"$log/measure.py" <<'PY'
import json, re, socket, subprocess, sys, time
def snap(node_pids, remoting_ports, redis_port):
    cpu = 0
    for pid in node_pids:
        try:
            cpu += sum(int(x) for x in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
        except OSError:
            pass
    flt = " or ".join(f"sport = :{p} or dport = :{p}" for p in remoting_ports)
    ss = subprocess.run(["ss", "-tinH", "state", "established", f"( {flt} )"], capture_output=True, text=True).stdout
    sent = sum(int(x) for x in re.findall(r"bytes_sent:(\d+)", ss))
    segs = sum(int(x) for x in re.findall(r"data_segs_out:(\d+)", ss))
    info = subprocess.run(["redis-cli", "-p", str(redis_port), "INFO", "commandstats"], capture_output=True, text=True).stdout
    cmds = {m.group(1): int(m.group(2)) for m in re.finditer(r"cmdstat_([a-z|]+):calls=(\d+)", info)}
    return {"t": time.time(), "cpu": cpu, "bytes": sent, "segs": segs, "cmds": cmds}
# Commands that change data (the plugin's journal and snapshot writes, its deletes), counted where Redis runs them:
# inside MULTI/EXEC and inside the purge script too. EXEC and EVAL/EVALSHA (one request each) are listed apart.
WRITES = {"set", "zadd", "zrem", "zremrangebyscore", "del", "unlink", "hset", "xadd", "expire", "incr", "incrby"}
def diff(a, b, hz):
    cmds = {k: b["cmds"].get(k, 0) - a["cmds"].get(k, 0) for k in b["cmds"]}
    writes = sum(v for k, v in cmds.items() if k in WRITES)
    detail = " ".join(f"{k}:{v}" for k, v in sorted(cmds.items()) if v and k in WRITES | {"exec", "eval", "evalsha"})
    # Journal and snapshot writes of live sessions (ZADD with its SET) apart from the purges of closed ones (DEL).
    print(f"d_t={b['t'] - a['t']:.3f} d_cpu={(b['cpu'] - a['cpu']) / hz:.3f} d_bytes={b['bytes'] - a['bytes']} "
          f"d_segs={b['segs'] - a['segs']} d_writes={writes} d_journal={cmds.get('zadd', 0) + cmds.get('set', 0)} "
          f"d_purges={cmds.get('del', 0)} d_detail='{detail}'")
def ops(port, command, args=None):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        req = {"command": command} | ({"args": args} if args else {})
        s.sendall((json.dumps(req) + "\n").encode())
        f = s.makefile()
        return json.loads(f.readline())
cmd = sys.argv[1]
if cmd == "snap":
    print(json.dumps(snap([int(p) for p in sys.argv[2].split(",")], sys.argv[3].split(","), sys.argv[4])))
elif cmd == "diff":
    diff(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), int(sys.argv[4]))
elif cmd == "regions":  # members hosting the session region, as node 0's coordinator sees them
    r = ops(int(sys.argv[2]), "sharding region-stats", {"region": sys.argv[3]}).get("result") or {}
    print(len(r.get("members", [])) if isinstance(r, dict) else 0)
elif cmd == "heap":  # GC heap after the last collection, summed over the nodes' ops endpoints
    print(sum(ops(int(p), "node info")["result"]["gc"]["heapSizeBytes"] for p in sys.argv[2].split(",")))
PY
hz=$(getconf CLK_TCK)
measure() { python3 "$log/measure.py" "$@"; }
snap() { measure snap "$(IFS=,; echo "${pids[*]}")" "$(IFS=,; echo "${remoting[*]}")" "$redis_port" >"$log/$1.json"; }
delta() { eval "$(measure diff "$log/$1.json" "$log/$2.json" "$hz")"; }
calc() { python3 -c "print($1)"; }
rss_total() { local t=0; for p in "${pids[@]}"; do t=$((t + $(awk '/VmRSS/ {print $2 * 1024}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo $t; }

start_cluster() { # size
  local n=$1 seeds secret i
  secret=$(openssl rand -hex 32)
  seeds="akka.tcp://rtmfp@127.0.0.1:$((BASE_PORT + 100))"
  [ "$n" -gt 1 ] && seeds="$seeds,akka.tcp://rtmfp@127.0.0.1:$((BASE_PORT + 101))"
  pids=(); gateways=(); remoting=(); opsports=()
  for i in $(seq 0 $((n - 1))); do
    gateways+=("127.0.0.1:$((BASE_PORT + i))"); remoting+=("$((BASE_PORT + 100 + i))"); opsports+=("$((BASE_PORT + 200 + i))")
    RTMFP_Cluster__SeedNodes=$seeds RTMFP_Cluster__Port=$((BASE_PORT + 100 + i)) RTMFP_Gateway__CookieSecret=$secret \
    RTMFP_Gateway__Endpoints=127.0.0.1:$((BASE_PORT + i)) RTMFP_Ops__Endpoint=127.0.0.1:$((BASE_PORT + 200 + i)) \
    RTMFP_Health__Endpoint=off RTMFP_Rtmp__Enabled=false \
    RTMFP_Persistence__Provider=Redis RTMFP_Persistence__Redis=127.0.0.1:$redis_port RTMFP_Persistence__KeyPrefix="bench-$n-$$:" \
    RTMFP_Gateway__HellosPerAddress=1000000 RTMFP_Gateway__HellosPerPrefix=1000000 \
    RTMFP_Gateway__HandshakesPerAddress=1000000 RTMFP_Gateway__HandshakesPerPrefix=1000000 \
    RTMFP_Gateway__SessionsPerAddress=1000000 RTMFP_Gateway__SessionsPerPrefix=1000000 \
    RTMFP_Gateway__LookupsPerAddress=1000000 RTMFP_Gateway__LookupsPerPrefix=1000000 \
    RTMFP_Gateway__UnverifiedBytesPerAddress=100000000 RTMFP_Gateway__UnverifiedBytesPerPrefix=100000000 \
      dotnet "$node_dll" >"$log/node-$n-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in $(seq 0 $((n - 1))); do
    for _ in $(seq 600); do grep -q "RTMFP listening on udp" "$log/node-$n-$i.log" && break; sleep 0.2; done
  done
  for region in session stream; do
    for _ in $(seq 300); do [ "$(measure regions "${opsports[0]}" "$region" 2>/dev/null || echo 0)" -ge "$n" ] && break; sleep 0.2; done
  done
  # A few sessions through every gateway first: JIT, pools and the first shards are not part of the figures.
  for g in "${gateways[@]}"; do dotnet "$cli_dll" load "rtmfp://$g/app" -c 100 -d 2 -r 5 --live false >/dev/null 2>&1 & done
  wait_clients
  sleep "$SETTLE"
}
stop_cluster() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
wait_clients() { for c in $(jobs -p); do case " ${pids[*]} " in *" $c "*) ;; *) wait "$c" 2>/dev/null || true ;; esac; done; }

# `rtmfp load` through every gateway at once, COUNT sessions spread evenly over CLIENTS processes (at least one per
# gateway, the gateways in turn: the same client CPU whatever the cluster size); outputs in $log/$tag-<index>.out.
load_all() { # tag count duration rate [extra args]
  local tag=$1 count=$2 d=$3 r=$4; shift 4
  local procs=$(( CLIENTS > ${#gateways[@]} ? CLIENTS : ${#gateways[@]} )) i g
  local per=$(( (count + procs - 1) / procs ))
  for ((i = 0; i < procs; i++)); do
    g=${gateways[$((i % ${#gateways[@]}))]}
    dotnet "$cli_dll" load "rtmfp://$g/app" -c "$per" -d "$d" -r "$r" --live false --concurrent-handshakes 32 \
      --silence-log "$log/$tag-$i.csv" "$@" >"$log/$tag-$i.out" 2>&1 &
  done
}
sum_field() { cat "$log/$1"-*.out | sed -n "$2" | awk '{s += $1} END {print s + 0}'; }
max_field() { cat "$log/$1"-*.out | sed -n "$2" | sort -g | tail -1; }

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') on 127.0.0.1:$redis_port (--save '', no AOF)"
rows_hs=(); rows_echo=(); rows_relay=(); rows_base=()
largest=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)
for n in $SIZES; do
  start_cluster "$n"

  # The cluster with no session (the warm-up's sessions purged): membership gossip, heartbeats, sharding, the nodes' timers.
  snap b0; sleep 20; snap b1; delta b0 b1
  idle_cpu=$(calc "$d_cpu / $d_t") # seconds of CPU per second, subtracted below as "net"
  rows_base+=("| $n | $(calc "round($d_bytes / $d_t)") | $(calc "round($d_segs / $d_t, 1)") | $(calc "round(100 * $idle_cpu, 1)") % | $d_writes |")

  # Handshakes.
  # Node CPU from the first handshake to the clients' exit (their sessions closed); Redis writes until SETTLE s later,
  # when the closed sessions' records are purged (a closed session lingers 19 s, RFC 7016 §3.5.5.2).
  snap hs0; load_all hs "$HANDSHAKES" "$HS_SECONDS" 0; wait_clients; snap hs1; delta hs0 hs1; sleep "$SETTLE"; snap hs2
  ok=$(sum_field hs 's/.*handshakes ok \([0-9]*\),.*/\1/p'); failed=$(sum_field hs 's/.*, failed \([0-9]*\),.*/\1/p')
  ramp=$(max_field hs 's/.* over \([0-9.]*\) s, handshake ms.*/\1/p')
  row="| $n | $ok | $failed | ${ramp:-?} | $(calc "round($ok / ${ramp:-1})") | $(calc "round(1000 * $d_cpu / max($ok, 1), 2)") | $(calc "round(1000 * ($d_cpu - $idle_cpu * $d_t) / max($ok, 1), 2)") | $(calc "round(100 * $d_cpu / $d_t)") %"
  delta hs0 hs2
  rows_hs+=("$row | $(calc "round($d_writes / max($ok, 1), 2)") ($d_detail) |")

  # Echo at a fixed rate.
  load_all echo "$ECHO_SESSIONS" $((ECHO_SECONDS + 8)) "$ECHO_RATE"; sleep 6; snap e0; sleep "$ECHO_SECONDS"; snap e1; delta e0 e1; wait_clients
  sleep "$SETTLE"
  rt=$(sum_field echo 's/^round trips: \([0-9]*\) of.*/\1/p'); lost=$(sum_field echo 's/.*sessions lost: \([0-9]*\).*/\1/p')
  sent=$(sum_field echo 's/^round trips: [0-9]* of \([0-9]*\) sent.*/\1/p')
  win=$(calc "$ECHO_SESSIONS * $ECHO_RATE * $d_t") # round trips offered in the window
  rows_echo+=("| $n | $ECHO_SESSIONS × $ECHO_RATE/s | $rt / $sent | $lost | $(calc "round(1e6 * $d_cpu / $win, 1)") / $(calc "round(1e6 * ($d_cpu - $idle_cpu * $d_t) / $win, 1)") | $(calc "round(100 * $d_cpu / $d_t)") % | $(calc "round($d_bytes / $win, 1)") | $(calc "round($d_segs / $win, 3)") | $(calc "round($d_journal / $ECHO_SESSIONS / $d_t * 60, 2)") | $d_purges |")

  # Relay: publisher through the first gateway, players through the others (all through it with one node).
  first=${gateways[0]}; players_uri=$first; via=()
  if [ "$n" -gt 1 ]; then players_uri=${gateways[1]}; for g in "${gateways[@]:2}"; do via+=(--via "$g"); done; fi
  # The window: from 2 s after the publisher started to 2 s before it stops (players and publisher set up).
  dotnet "$cli_dll" relay "rtmfp://$players_uri/live" --players "$PLAYERS" --bitrate "$BITRATE" --duration "$RELAY_SECONDS" \
    --threshold 1000 --publish-via "$first" "${via[@]}" >"$log/relay-$n.out" 2>&1 &
  for _ in $(seq 600); do grep -q "sent [0-9]* video" "$log/relay-$n.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1; snap r0; sleep $((RELAY_SECONDS - 4)); snap r1; delta r0 r1
  wait_clients
  out=$(cat "$log/relay-$n.out")
  video=$(echo "$out" | sed -n 's/^published \([0-9]*\) video + .*/\1/p'); audio=$(echo "$out" | sed -n 's/^published [0-9]* video + \([0-9]*\) audio.*/\1/p')
  frames=$(( ${video:-0} + ${audio:-0} )); playing=$(echo "$out" | sed -n 's/^\([0-9]*\)\/[0-9]* players playing.*/\1/p')
  rlost=$(echo "$out" | sed -n 's/.*lost frames: \([0-9]*\).*/\1/p'); p99=$(echo "$out" | sed -n 's/.*all frames: *p50 [0-9.]* *p99 \([0-9.]*\).*/\1/p')
  delivered=$(( frames * ${playing:-0} - ${rlost:-0} ))
  wframes=$(calc "75 * $d_t") # frames published in the window: 25 video + 50 audio per second
  rows_relay+=("| $n | ${playing:-?}/$PLAYERS | $(calc "round($delivered / $RELAY_SECONDS)") | $(calc "round($BITRATE / 1000 * $delivered / max($frames, 1), 1)") | ${rlost:-?} | ${p99:-?} | $(calc "round(100 * $d_cpu / $d_t)") % | $(calc "round(1e3 * $d_cpu / ($wframes * max(${playing:-1}, 1)), 3)") / $(calc "round(1e3 * ($d_cpu - $idle_cpu * $d_t) / ($wframes * max(${playing:-1}, 1)), 3)") | $(calc "round($d_bytes / $wframes)") | $(calc "round($d_segs / $wframes, 2)") | $(calc "round($d_journal / ($PLAYERS + 1) / $d_t * 60, 2)") | $d_purges |")
  sleep "$SETTLE"

  if [ "$n" = "$largest" ]; then
    # At rest: idle sessions, keepalives only.
    heap0=$(measure heap "$(IFS=,; echo "${opsports[*]}")" || echo 0); rss0=$(rss_total)
    load_all idle "$IDLE" 110 0
    open=0
    for _ in $(seq 120); do
      open=$(for f in "$log"/idle-*.out; do grep -o 'open [0-9]*' "$f" | tail -1 | awk '{print $2}' || true; done | awk '{s += $1} END {print s + 0}')
      [ "$open" -ge "$IDLE" ] && break; sleep 1
    done
    sleep 5; snap i0; sleep 60; snap i1; delta i0 i1
    heap1=$(measure heap "$(IFS=,; echo "${opsports[*]}")" || echo 0); rss1=$(rss_total)
    rest="| $n | $open | $(calc "round($d_journal / max($open, 1) / $d_t * 60, 3)") ($d_writes write commands in $(calc "round($d_t)") s${d_detail:+: $d_detail}) | $(calc "round($d_bytes / $d_t)") B/s, $(calc "round($d_bytes / max($open, 1) / $d_t * 60, 1)") B per session per min | $(calc "round(100 * $d_cpu / $d_t, 1)") % | $(calc "round(($rss1 - $rss0) / max($open, 1))") B | $(calc "round(($heap1 - $heap0) / max($open, 1))") B |"
    wait_clients

    # Recovery: echo sessions through every gateway but the last node's (a client of the dead gateway has no path
    # without a load balancer; tests/Integration.Tests/Cluster/CrashRecoveryTests.cs covers that), SIGKILL of the last.
    if [ "$n" -gt 1 ]; then
      gw_all=("${gateways[@]}"); gateways=("${gw_all[@]:0:$((n - 1))}")
      load_all rec "$RECOVER" 60 5 --timeout 60
      sleep 20
      kill -9 "${pids[$((n - 1))]}"; killed=$(date +%s%3N)
      wait_clients
      gateways=("${gw_all[@]}")
      recovery=$(python3 - "$killed" "$log"/rec-*.csv <<'RPY'
import csv, sys
killed = float(sys.argv[1]); rows = [r for f in sys.argv[2:] for r in csv.DictReader(open(f))]
hit = [r for r in rows if float(r["silence_ms"]) > 1000 and float(r["start_unix_ms"]) <= killed + 500 <= float(r["end_unix_ms"]) + 500]
back = sorted((float(r["end_unix_ms"]) - killed) / 1000 for r in hit if r["answered"] == "1")
never = len(hit) - len(back)
pct = lambda p: back[min(len(back) - 1, int(p * len(back)))] if back else float("nan")
print(f"| {len(rows)} | {len(hit)} | {pct(0):.2f} / {pct(0.5):.2f} / {pct(0.9):.2f} / {back[-1] if back else float('nan'):.2f} s | "
      f"{1000 * (back[-1] - back[0]) if back else float('nan'):.0f} ms | {len(back) / back[-1] if back else float('nan'):.1f} | {never} |")
RPY
)
      lost_rec=$(sum_field rec 's/.*sessions lost: \([0-9]*\).*/\1/p')
    fi
  fi
  stop_cluster
done

echo
echo "### Handshakes (\`rtmfp load -r 0\`, $HANDSHAKES sessions over all gateways at once, open until $HS_SECONDS s after the start, then closed)"
echo
echo "| nodes | sessions ok | failed | longest ramp s | sessions/s | node CPU per session ms | net of idle ms | node CPU % of a core | Redis writes per session (open, close, purge) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows_hs[@]}"
echo
echo "### Echo ($ECHO_SESSIONS sessions × $ECHO_RATE round trips/s, 64 B, through every gateway; ${ECHO_SECONDS} s window)"
echo
echo "| nodes | load | answered / sent (whole run) | sessions lost | node CPU per round trip µs (gross / net of idle) | node CPU % of a core | remoting bytes per round trip | remoting segments per round trip | Redis journal writes per session per min | purges of earlier sessions in the window |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows_echo[@]}"
echo
echo "### Relay (1 publisher at $BITRATE kbit/s through the first gateway, $PLAYERS players through the others, ${RELAY_SECONDS} s)"
echo
echo "| nodes | players | frames/s delivered | Mbit/s delivered | lost frames | delay p99 ms | node CPU % of a core | node CPU per frame delivered ms (gross / net of idle) | remoting bytes per frame published | remoting segments per frame | Redis journal writes per session per min | purges of earlier sessions in the window |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows_relay[@]}"
echo
echo "### No session (20 s after the warm-up's sessions were purged)"
echo
echo "| nodes | remoting bytes/s (all pairs, both directions) | remoting segments/s | node CPU % of a core (summed) | Redis writes in 20 s |"
echo "|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows_base[@]}"
if [ -n "${rest:-}" ]; then
  echo
  echo "### At rest ($largest nodes, $IDLE sessions open, keepalives only, 60 s)"
  echo
  echo "| nodes | idle sessions | Redis journal writes per session per min | remoting traffic | node CPU % of a core | RSS per session | GC heap (after last GC, not forced) per session |"
  echo "|---:|---:|---:|---|---:|---:|---:|"
  echo "$rest"
fi
if [ -n "${recovery:-}" ]; then
  echo
  echo "### Recovery ($largest nodes, last node SIGKILLed, $RECOVER echo sessions at 5/s through the other gateways)"
  echo
  echo "| sessions | silent across the kill | answering again after the kill: first / p50 / p90 / last | first → last | resumed per s (kill → last) | never answered again |"
  echo "|---:|---:|---|---:|---:|---:|"
  echo "$recovery"
  echo
  echo "sessions the clients saw closed: ${lost_rec:-?}"
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Relay fan-out benchmark (docs/benchmarks.md, "Relay fan-out"): one 1 Mbit/s publisher and N players
# (`rtmfp relay`) against a freshly started server per N and per server. Prints one Markdown row per run and, at the
# end, per server: CPU per player (user and system) as the slope (CPU(N) - CPU(first N)) / (N - first N), players per
# core, the largest N where no player saw a frame at or over THRESHOLD ms (up to its socket, and as read), and the ratio of players per core to the
# reference server's. A run where the server was saturated (95 % of a core or more, or frames lost) gets no per-player
# figure: its CPU is capped, not what N players cost.
#
#   bench/fanout.sh [N ...]                  our node (default N: 1 100 200 300 400)
#   TCSERVER=/tmp/peers/rtmfp-cpp/test/tcserver bench/fanout.sh 1 200 400
#                                            our node and rtmfp-cpp's tcserver (built outside this repository) in the
#                                            same run, one after the other for each N (tcserver with -H -S: no HMAC,
#                                            no session sequence numbers required, the same crypto work as the node)
#   BASELINE_DLL=/path/to/other/rtmfp-node.dll   also run another build of the node for each N (before/after)
#   SERVER_CMD='/path/to/server -B 127.0.0.1:19411' bench/fanout.sh 1 100 200
#                                            only another RTMFP server listening on $PORT
# Environment: PORT (19411), BITRATE kbit/s (1000), DURATION s (10), THRESHOLD ms (100),
#              DOTNET_TC_CallCountingDelayMs (0, as deploy/Dockerfile runs the node; empty: the runtime's default; the
#                players' process runs with it too, or its 16 s run spends a quarter of its CPU in unoptimised code),
#              DOTNET_GCgen0size (0x4000000, as deploy/Dockerfile; empty: the runtime's default),
#              WARMUP s (5): the players publish and play this long before the measured window; its frames are not
#                counted, and the server's CPU is read by the player tool (--server-pid) over the measured window only,
#                so neither the node's JIT nor the players' handshakes are in the figures,
#              PIN=1 to run the server on CPU 0 and the client on CPU 1 (taskset),
#              NETNS=1 (root) to put the players in a network namespace behind a veth pair, with receive packet
#                steering of the players' side to CPU 1 and of the server's side to CPU 0, so the players' receive path
#                is not charged to the server's core as it is over loopback (docs/benchmarks.md, "Method"),
#              NAPI=1 (with NETNS=1; needs ethtool) to use threaded NAPI on the veth pair instead of receive steering: no
#                inter-processor interrupt per send, which on a VM is a trapped MSR write charged to the sender
#                (docs/benchmarks.md, "Without the interrupt"),
#              VETH_FEATURES (with NAPI=1: more `ethtool -K` features for both veths, e.g. "rx-udp-gro-forwarding on",
#                without which a veth does not take a socket's UDP through NAPI at all) and VETH_QDISC (e.g. "pfifo
#                limit 100000": queue instead of dropping when the veth's 256-packet NAPI ring is full): experiments
#                only, docs/benchmarks.md "The players' receive path on the server's core",
#              SYSCALLS=1 (root, perf with syscall tracepoints) to count the server's send system calls (sendmsg,
#                sendmmsg, sendto) over the run with `perf stat` and print them per player per second,
#              INGEST=rtmp to publish the same frames over RTMP to our node's TCP port RTMP_PORT (19421) (docs/rtmp.md),
#              GROUP='G:…' (a group specifier) for the seeded fan-out (issue 10, docs/groups.md §7): the node seeds the
#                published stream into that group and the N players are NetGroup members playing it (`rtmfp relay
#                --group`), each with its own socket; run it with --dh 2 members (CLI_ARGS="--dh 2"), as Flash meets them.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-19411}; BITRATE=${BITRATE:-1000}; DURATION=${DURATION:-10}; THRESHOLD=${THRESHOLD:-100}; WARMUP=${WARMUP:-5}
[ $# -gt 0 ] || set -- 1 100 200 300 400

dotnet build -c Release -nologo -v q src/Node >/dev/null
dotnet build -c Release -nologo -v q src/ClientCli >/dev/null
node_dll=$(pwd)/src/Node/bin/Release/net10.0/rtmfp-node.dll
cli_dll=$(pwd)/src/ClientCli/bin/Release/net10.0/rtmfp.dll
RTMP_PORT=${RTMP_PORT:-19421}; ingest=(); suffix=""
if [ "${INGEST:-rtmfp}" = rtmp ]; then ingest=(--rtmp-ingest "127.0.0.1:$RTMP_PORT"); suffix=" (RTMP ingest)"; fi
group=(); seed_env=(); cli_args=(${CLI_ARGS:-})
if [ -n "${GROUP:-}" ]; then
  group=(--group "$GROUP" --stream seedbench); seed_env=(RTMFP_Groups__Seeds__0__Group="$GROUP" RTMFP_Groups__Seeds__0__Stream=live/seedbench)
  suffix="$suffix (seeded group)"
fi
server_cpu=(); client_cpu=()
if [ "${PIN:-0}" = 1 ]; then
  server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); suffix="$suffix (pinned)"
fi

host=127.0.0.1; client_host=127.0.0.1; in_ns=()
if [ "${NETNS:-0}" = 1 ]; then
  ns=rtmfp-fanout-$$; host=10.77.$(( $$ % 200 )).1; client_host=10.77.$(( $$ % 200 )).2; vs=rfo$$; vc=rfi$$
  ip netns add "$ns"
  ip link add "$vs" type veth peer name "$vc"
  ip link set "$vc" netns "$ns"
  ip addr add "$host/30" dev "$vs"; ip link set "$vs" up
  ip netns exec "$ns" ip addr add "$client_host/30" dev "$vc"
  ip netns exec "$ns" ip link set "$vc" up; ip netns exec "$ns" ip link set lo up
  # Receive packet steering: the players' side is processed on CPU 1 (theirs), the server's side on CPU 0.
  ip netns exec "$ns" sh -c "echo 2 > /sys/class/net/$vc/queues/rx-0/rps_cpus"
  echo 1 > "/sys/class/net/$vs/queues/rx-0/rps_cpus"
  in_ns=(ip netns exec "$ns"); suffix="$suffix (netns)"
  if [ "${NAPI:-0}" = 1 ]; then
    # Threaded NAPI instead of receive packet steering (docs/benchmarks.md, "The harness's interrupt per send"): with
    # GRO on, a veth receives through NAPI; threaded, its poll runs in a kernel thread pinned to the receiving side's
    # CPU, which a sender wakes only when it sleeps, instead of an inter-processor interrupt after every send.
    command -v ethtool >/dev/null || { echo "NAPI=1 needs ethtool (apt-get install ethtool)" >&2; exit 2; }
    ip netns exec "$ns" ethtool -K "$vc" gro on ${VETH_FEATURES:-} >/dev/null; ethtool -K "$vs" gro on ${VETH_FEATURES:-} >/dev/null
    ip netns exec "$ns" sh -c "echo 0 > /sys/class/net/$vc/queues/rx-0/rps_cpus; echo 1 > /sys/class/net/$vc/threaded"
    echo 0 > "/sys/class/net/$vs/queues/rx-0/rps_cpus"; echo 1 > "/sys/class/net/$vs/threaded"
    if [ -n "${VETH_QDISC:-}" ]; then
      tc qdisc replace dev "$vs" root $VETH_QDISC; ip netns exec "$ns" tc qdisc replace dev "$vc" root $VETH_QDISC
    fi
    sleep 0.2
    for pid in $(pgrep "^napi/$vc-"); do taskset -pc 1 "$pid" >/dev/null; done
    for pid in $(pgrep "^napi/$vs-"); do taskset -pc 0 "$pid" >/dev/null; done
    suffix="$suffix (threaded NAPI)"
  fi
fi
log=$(mktemp -d)

. bench/server-process.sh

cleanup() {
  stop_server
  if [ -n "${ns:-}" ]; then ip link del "$vs" 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap "exit 143" INT TERM

hz=$(getconf CLK_TCK)
# With NETNS=1: datagrams the players' namespace received (after segmentation) and packets the server's veth sent
# (a UDP_SEGMENT burst crosses a veth whole, so these are the server's send calls, give or take the publisher's acks).
counters() {
  if [ "${NETNS:-0}" = 1 ]; then
    echo "$(ip netns exec "$ns" awk '/^Udp:/ { if (n++) print $2 }' /proc/net/snmp) $(cat "/sys/class/net/$vs/statistics/tx_packets")"
  else
    echo "0 0"
  fi
}

# With NETNS=1: packets the veth pair dropped (its NAPI ring is 256 packets) and datagrams the players' sockets and the
# server's (this namespace: anything else running here counts too) refused for a full receive buffer; a harness that
# drops is measuring itself, a server that cannot read its socket in time is overloaded (docs/benchmarks.md).
drops() {
  if [ "${NETNS:-0}" = 1 ]; then
    echo "$(cat "/sys/class/net/$vs/statistics/tx_dropped") $(cat "/sys/class/net/$vs/statistics/rx_dropped")" \
      "$(ip netns exec "$ns" cat "/sys/class/net/$vc/statistics/tx_dropped") $(ip netns exec "$ns" cat "/sys/class/net/$vc/statistics/rx_dropped")" \
      "$(ip netns exec "$ns" awk '/^Udp:/ { if (n++) print $6 }' /proc/net/snmp)" "$(awk '/^Udp:/ { if (n++) print $6 }' /proc/net/snmp)"
  else
    echo "0 0 0 0 0 0"
  fi
}

# With PIN=1: softirq ticks on the server's CPU 0. Over a veth, a datagram the server sends is received (IP, UDP, the
# players' socket) in softirq on the sending CPU's backlog unless the veth receives through NAPI, which it does for a
# socket's UDP only with rx-udp-gro-forwarding on, and then its 256-packet ring drops or queues bursts (docs/benchmarks.md,
# "The players' receive path on the server's core"). The kernel (tick accounting, no IRQ time accounting) charges that
# softirq to the server's system time; it is the players' work, so the figures are also shown without it.
softirq() {
  if [ "${PIN:-0}" = 1 ]; then awk '$1 == "cpu0" { print $8 }' /proc/stat; else echo 0; fi
}

start_server() { # name
  case "$1" in
    node|baseline)
      local dll=$node_dll; [ "$1" = baseline ] && dll=$BASELINE_DLL
      env "${seed_env[@]}" "${bench_source_limits[@]}" RTMFP_Gateway__Endpoints=$host:$PORT \
        RTMFP_Rtmp__Address=127.0.0.1 RTMFP_Rtmp__Port=$RTMP_PORT RTMFP_Ops__Endpoint=off \
        "${bench_node_runtime[@]}" \
        "${server_cpu[@]}" dotnet "$dll" >"$log/server.log" 2>&1 &
      ;;
    tcserver) "${server_cpu[@]}" "$TCSERVER" -H -S -B "$host:$PORT" >"$log/server.log" 2>&1 & ;;
    other) "${server_cpu[@]}" $SERVER_CMD >"$log/server.log" 2>&1 & ;;
  esac
  server_pid=$!
}

servers=(node)
[ -n "${BASELINE_DLL:-}" ] && servers+=(baseline)
[ -n "${TCSERVER:-}" ] && servers+=(tcserver)
[ -n "${SERVER_CMD:-}" ] && servers=(other)

calls_header=""; calls_rule=""
if [ "${SYSCALLS:-0}" = 1 ]; then calls_header=" send system calls per player per s |"; calls_rule="---:|"; fi
echo "| server | N | added delay at the socket p50 / p99 / max (ms) | players ≥ ${THRESHOLD} ms at the socket | as read: p50 / p99 / max | players ≥ ${THRESHOLD} ms as read | lost | server CPU user + sys (% of a core) | of it, softirq on the server's CPU (the players' receive path) | datagrams / sends per player per s | client CPU |$calls_header"
echo "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|$calls_rule"
results=$log/results
for n in "$@"; do
  for server in "${servers[@]}"; do
    start_server "$server"
    sleep 4
    perf_pid=""
    if [ "${SYSCALLS:-0}" = 1 ]; then
      perf stat -x, -e syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_sendto -p "$server_pid" \
        -o "$log/syscalls" &
      perf_pid=$!
    fi
    t0=$(date +%s.%N); read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$server_pid/stat"); read -r d0 x0 < <(counters); read -r -a k0 < <(drops); q0=$(softirq)
    out=$( { /usr/bin/time -f 'client %P' "${in_ns[@]}" "${client_cpu[@]}" env DOTNET_TC_CallCountingDelayMs=${DOTNET_TC_CallCountingDelayMs-0} dotnet "$cli_dll" "${cli_args[@]}" relay "rtmfp://$host:$PORT/live" --players "$n" \
              --bitrate "$BITRATE" --duration "$DURATION" --threshold "$THRESHOLD" --bind "$client_host" "${ingest[@]}" "${group[@]}" \
              --warmup "$WARMUP" --server-pid "$server_pid"; } 2>&1 || true)
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$server_pid/stat"); read -r d1 x1 < <(counters); read -r -a k1 < <(drops); q1=$(softirq); t1=$(date +%s.%N)
    calls=""
    if [ -n "$perf_pid" ]; then
      kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true
      calls=$(python3 -c "
n = sum(int(l.split(',')[0]) for l in open('$log/syscalls') if l.count(',') > 2 and l.split(',')[0].isdigit())
print(f' {n / ($t1 - $t0) / $n:.1f} |')")
    fi
    stop_server
    read -r user sys total dgrams share < <(python3 -c "
w=$t1-$t0; u=100*($u1-$u0)/$hz/w; s=100*($s1-$s0)/$hz/w; q=100*($q1-$q0)/$hz/w
print(f'{u:.1f} {s:.1f} {u+s:.1f} {($d1-$d0)/($DURATION+$WARMUP)/$n:.0f}/{($x1-$x0)/($DURATION+$WARMUP)/$n:.0f} {min(1.0, q/(u+s)) if u+s > 0 else 0:.4f}')")
    [ "${NETNS:-0}" = 1 ] || dgrams="(loopback: n/a)"
    # The player tool's reading over the measured window, when it has one (the wrapper's window includes start-up).
    window=$(echo "$out" | sed -n 's/^server CPU over the measured window: user \([0-9.]*\) % + system \([0-9.]*\) %.*/\1 \2/p')
    if [ -n "$window" ]; then
      read -r user sys <<<"$window"; total=$(python3 -c "print(f'{$user+$sys:.1f}')")
    fi
    # The softirq's share of the server's CPU over the whole run, applied to the window's figure.
    soft=$(python3 -c "print(f'{($user+$sys)*$share:.1f}')")
    delay=$(echo "$out" | sed -n 's/^added delay ms, all frames: *p50 \([0-9.]*\) *p99 \([0-9.]*\) *max \([0-9.]*\).*/\1 \/ \2 \/ \3/p')
    over=$(echo "$out" | sed -n 's/.*or over [0-9]* ms: \([0-9]*\); lost frames: \([0-9]*\).*/\1/p')
    # Up to the players' sockets (kernel receive times): the server's and the network's delay without the players'
    # process's own queueing, which a keyframe's burst to N players on one CPU adds (docs/benchmarks.md).
    sdelay=$(echo "$out" | sed -n "s/^up to the players' sockets, all frames: *p50 \([0-9.]*\) *p99 \([0-9.]*\) *max \([0-9.]*\);.*/\1 \/ \2 \/ \3/p")
    sover=$(echo "$out" | sed -n "s/^up to the players' sockets.*there: \([0-9]*\)$/\1/p")
    lost=$(echo "$out" | sed -n 's/.*lost frames: \([0-9]*\).*/\1/p')
    client=$(echo "$out" | sed -n 's/^client \(.*\)/\1/p')
    if [ -z "$delay" ]; then # no result: keep the player tool's and the server's output and show their last lines
      echo "$out" >"$log/$server-$n.client.out"; cp "$log/server.log" "$log/$server-$n.server.log"
      { echo "no figures for $server N=$n (client output $log/$server-$n.client.out):"; echo "$out" | tail -5
        tail -5 "$log/server.log"; } >&2
    fi
    echo "| $server$suffix | $n | ${sdelay:-?} | ${sover:-?} | ${delay:-?} | ${over:-?} | ${lost:-?} | $user + $sys = $total % | $soft % | $dgrams | ${client:-?} |$calls"
    echo "$server $n $user $sys ${sover:-999999} ${over:-999999} ${lost:-999999} $soft" >>"$results"
    grep -o 'stream fan-out: .*' "$log/server.log" | sed "s/^/  $server N=$n: /" >>"$log/profile" || true
    if [ "${NETNS:-0}" = 1 ]; then
      echo "  $server N=$n: dropped by the harness: server's veth tx $((k1[0] - k0[0])) rx $((k1[1] - k0[1])), players' veth" \
        "tx $((k1[2] - k0[2])) rx $((k1[3] - k0[3])), players' sockets (receive buffer full) $((k1[4] - k0[4])), server's" \
        "sockets (receive buffer full) $((k1[5] - k0[5]))" >>"$log/profile"
    fi
  done
done
[ -f "$log/profile" ] && cat "$log/profile"
python3 - "$results" "$THRESHOLD" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    s, n, u, y, over, read, lost, soft = line.split()
    rows.setdefault(s, []).append((int(n), float(u), float(y), int(over), int(read), int(lost), float(soft)))
SATURATED = 95.0  # % of a core
per_core = {}
per_core_net = {}
for s, rs in rows.items():
    # A run counts when every player stayed under the threshold at its socket in it; with N repeated, every run of N.
    ok = [n for n, *_ in rs if all(r[3] == 0 for r in rs if r[0] == n)]
    ok_read = [n for n, *_ in rs if all(r[4] == 0 for r in rs if r[0] == n)]
    print(f"{s}: largest N with every player under {sys.argv[2]} ms at its socket: {max(ok) if ok else 'none'} "
          f"(as the players' process read them: {max(ok_read) if ok_read else 'none'})")
    if len(rs) < 2:
        continue
    n0, u0, y0 = rs[0][:3]
    q0 = rs[0][6]
    for n, u, y, _, _, lost, q in rs[1:]:
        if n == n0:
            continue
        # A saturated server (no CPU left, or frames lost) did less work per player than N players ask for: the
        # slope would credit it with players it did not serve (N = 2,000 on the 2-core VM read "2,127 per core").
        if u + y >= SATURATED or lost > 0:
            print(f"  N={n}: saturated ({u + y:.1f} % of a core, {lost} frames lost): no per-player figure")
            continue
        pu, py = (u - u0) / (n - n0), (y - y0) / (n - n0)
        per = pu + py
        line = f"  N={n}: per player above N={n0}: user {pu:.4f} + sys {py:.4f} = {per:.4f} % of a core"
        if per > 0:
            line += f" -> {100/per:.0f} players per core"
            per_core[(s, n)] = 100 / per
        net = per - (q - q0) / (n - n0)
        if q > 0 and net > 0:
            line += f"; without the softirq on its CPU {net:.4f} % -> {100/net:.0f} per core"
            per_core_net[(s, n)] = 100 / net
        print(line)
ref = "tcserver"
for (s, n), v in sorted(per_core.items()):
    if s != ref and (ref, n) in per_core:
        line = f"{s} / {ref} players per core at N={n}: {v / per_core[(ref, n)]:.2f}"
        if (s, n) in per_core_net and (ref, n) in per_core_net:
            line += f" (without the softirq on the server's CPU: {per_core_net[(s, n)] / per_core_net[(ref, n)]:.2f})"
        print(line)
PY

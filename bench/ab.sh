#!/usr/bin/env bash
# bench/ab.sh: an interleaved A/B of hubbub binaries on one of compare.sh's pinned scenarios.
# Each round starts every binary in turn FRESH (a new data file in a temporary directory) on
# CPU 0 (taskset -c 0: one CPU; hubbub serve on SQLite runs two Go processors there, its spare P
# for blocking calls, as compare.sh says) with compare.sh's raised limits, drives it with the first
# binary's `hubbub bench` on CPU 1, prints one line, and stops it. Interleaving A B A B … is
# what lets a shared or drifting machine compare two builds: report every round, not a mean.
#
# Usage: bench/ab.sh SCENARIO ROUNDS PORT BIN_A BIN_B [BIN…]
#   SCENARIO  rooms02 | rooms05  1,000 rooms × 10 at 0.2 / 0.5 msg/s each
#             storm              compare.sh's reconnect storm: 100 rooms × 100 at 200 msgs/s, the
#                                server SIGTERMed 3 s in and started again on the same data once it
#                                is gone or a zombie (as compare.sh's storm); each
#                                run first waits (up to 90 s) for the last run's loopback sockets
#                                to leave TIME_WAIT, as ~20,000 of them linger 60 s and a run
#                                started among them measured 10-15 % differently
#             stormheld          the same storm, the server run by bench/sockethold, a socket-
#                                activation launcher (as systemd's hubbub.socket, docs/operations.md
#                                §9.1): the port listens through the restart, so the clients'
#                                reconnects wait in the kernel's queue instead of being refused; "all
#                                back" is then from the new process's start
#             fan100             one room of 1,010 at 100 msgs/s
#             ingress            1,000 rooms × 10 senders, as fast as acks allow (SQLite)
#             idle               compare.sh's connect + join: 19,000 hubbub.v1 clients into one
#                                room (a 2 s hold, not compare.sh's 20 s: the connects are measured)
#   ROUNDS    1–20; PORT a free port on 127.0.0.1
# A line: round, binary, load average, then [delivered ratio, p50 ms, p99 ms, server CPU s per
# M deliveries, server write calls per delivery] or, for ingress, [acked/s, ack p99 ms, lost,
# duplicated, server CPU µs per ack] or, for idle, [connects/s, server CPU µs per connection
# (connect, join, the settle and the hold), connects failed] or, for storm, [all back s from
# listening again, the clients' backoff floor s, all caught up s, lost, duplicated, shed, signal
# to listening again s], then
# the run's directory (server log, the JSON report).
set -u
usage() { echo "usage: bench/ab.sh rooms02|rooms05|fan100|ingress|idle|storm|stormheld ROUNDS PORT BIN_A BIN_B [BIN…]" >&2; exit 2; }
[ $# -ge 5 ] || usage
sc=$1 rounds=$2 port=$3
shift 3
case $rounds in '' | *[!0-9]*) usage ;; esac
[ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || usage
for b in "$@"; do [ -x "$b" ] || { echo "bench/ab.sh: $b is not an executable" >&2; exit 2; }; done
command -v jq >/dev/null || { echo "bench/ab.sh: needs jq" >&2; exit 2; }
if [ "$sc" = idle ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 19500 ]; then
	echo "bench/ab.sh: idle needs 19,500 descriptors; ulimit -n is $(ulimit -n)" >&2
	exit 2
fi
gen=$1
if [ "$sc" = stormheld ]; then # the launcher, built from this checkout
	hold=$(mktemp -d /tmp/hubbub-ab-hold.XXXX)/sockethold
	(cd "$(dirname "$0")/.." && go build -o "$hold" ./bench/sockethold) || exit 2
fi
# HUBBUB_* variables set serve's flags: the servers run with the flags written here only
# (compare.sh says why).
for v in $(compgen -e); do case $v in HUBBUB_*) export -n "$v" ;; esac; done
# RUNNING, for a restart command (sh -c, $p the server's pid): the process has not ended. Ended
# is gone or a zombie, as compare.sh's running() has it: the server is an orphan (its start
# script has ended), which the machine's init reaps 0.5-2.5 s after it exits, and kill -0
# succeeds on a zombie; counted, that wait kept the port closed longer, left every client at
# its longest backoff and so the storm's backoff floor at 0.8-1.6 s after listening, where
# compare.sh's has it at 0.3-0.4 s (docs/benchmarks/reconnect-storm.md, session 36).
RUNNING='{ s=$(sed "s/.*) //" /proc/$p/stat 2>/dev/null) && [ "${s%% *}" != Z ]; }'
LIMITS="--max-conns 20000 --max-conns-per-ip 20000 --connect-rate 100000 --connect-burst 100000 --new-room-rate 100000 --new-room-burst 100000 --new-guest-rate 100000 --new-guest-burst 100000 --send-rate 1000000 --send-burst 1000000 --max-members 20000"
step='[.steps[0].delivery_ratio, .steps[0].latency.p50_ms, .steps[0].latency.p99_ms, .steps[0].server_cpu_s_per_m, .steps[0].server_write_calls_per_delivery]'
case $sc in
rooms02) ARGS="--scenario rooms --rooms 1000 --members 10 --duration 10s --drain 3s --sources 4 --member-rate 0.2" Q=$step ;;
rooms05) ARGS="--scenario rooms --rooms 1000 --members 10 --duration 10s --drain 3s --sources 4 --member-rate 0.5" Q=$step ;;
fan100) ARGS="--scenario fanout --listeners 1000 --senders 10 --rate 100 --steps 1 --step-duration 10s --sources 4" Q=$step ;;
ingress)
	ARGS="--scenario ingress --rooms 1000 --senders 10 --duration 10s --drain 5s --sources 4"
	Q='[.ingress.acked_per_s, .ingress.ack_latency.p99_ms, .ingress.lost, .ingress.duplicated, (.steps[0].server_cpu_s / .ingress.acked * 1e6 | floor)]' ;;
idle)
	ARGS="--scenario idle --conns 19000 --duration 2s --settle 1s --sources 4"
	Q='[(.connect.per_sec | floor), (.idle.server_cpu_s / .connect.ok * 1e6 | floor), .connect.failed]' ;;
storm | stormheld)
	ARGS="--scenario storm --rooms 100 --members 100 --rate 200 --duration 15s --storm-after 3s --drain 5s --sources 4 --ready-timeout 60s"
	Q='[.storm.back_s, .storm.backoff_floor_s, .storm.caught_up_s, .storm.lost, .storm.duplicated, .storm.shed, .storm.restart_s]' ;;
*) usage ;;
esac
pid=""
# (stormheld: $pid is the launcher's, which SIGKILL would leave its server running: that too)
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; [ "$sc" = stormheld ] && [ -n "${d:-}" ] && [ -s "$d/pid" ] && kill -KILL "$(cat "$d/pid")" 2>/dev/null' EXIT
for r in $(seq "$rounds"); do
	for b in "$@"; do
		d=$(mktemp -d /tmp/hubbub-ab.XXXX)
		# The server starts from a script that records its pid, so that the storm's restart can
		# run it again on the same data (compare.sh's start-hubbub.sh).
		printf '#!/bin/bash\ntaskset -c 0 %q serve --host 127.0.0.1 --port %s --data %q --log-level warn %s >>%q 2>&1 &\necho $! >%q\n' \
			"$b" "$port" "$d/h.db" "$LIMITS" "$d/server.log" "$d/pid" >"$d/start.sh"
		if [ "$sc" = stormheld ]; then
			# the launcher holds the port and runs the server again whenever it ends; $d/pid is
			# the server's, rewritten by the launcher, $d/holder the launcher's
			printf '#!/bin/bash\ntaskset -c 0 %q --listen 127.0.0.1:%s --pid-file %q -- %q serve --data %q --log-level warn %s >>%q 2>&1 &\necho $! >%q\nfor _ in $(seq 100); do [ -s %q ] && break; sleep 0.05; done\n' \
				"$hold" "$port" "$d/pid" "$b" "$d/h.db" "$LIMITS" "$d/server.log" "$d/holder" "$d/pid" >"$d/start.sh"
		fi
		chmod +x "$d/start.sh"
		extra=()
		if [ "$sc" = stormheld ]; then
			for _ in $(seq 180); do [ "$(ss -Htan state time-wait "( sport = :$port or dport = :$port )" | wc -l)" -lt 200 ] && break; sleep 0.5; done
			# SIGTERM, up to 15 s for the process to end, then up to 15 s for the launcher to
			# have started the next (a new pid in the file)
			extra=(--storm-restart "p=\$(cat '$d/pid'); kill -TERM \$p; i=0; while $RUNNING && [ \$i -lt 300 ]; do sleep 0.05; i=\$((i+1)); done; i=0; while [ \"\$(cat '$d/pid')\" = \"\$p\" ] && [ \$i -lt 1500 ]; do sleep 0.01; i=\$((i+1)); done")
		elif [ "$sc" = storm ]; then
			for _ in $(seq 180); do [ "$(ss -Htan state time-wait "( sport = :$port or dport = :$port )" | wc -l)" -lt 200 ] && break; sleep 0.5; done
			# SIGTERM, up to 15 s for the process to end (RUNNING), then the start script again
			extra=(--storm-restart "p=\$(cat '$d/pid'); kill -TERM \$p; i=0; while $RUNNING && [ \$i -lt 300 ]; do sleep 0.05; i=\$((i+1)); done; '$d/start.sh'")
		fi
		"$d/start.sh"
		pid=$(cat "$d/pid")
		[ "$sc" = stormheld ] && pid=$(cat "$d/holder") # stopping the launcher stops the server
		if [ "$sc" = stormheld ]; then # the launcher's socket takes connections at once: ask the server
			for _ in $(seq 100); do curl -sf --max-time 5 "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
		else
			for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
		fi
		case $sc in storm | stormheld) ;; *) extra=(--pid "$pid") ;; esac
		# shellcheck disable=SC2086
		taskset -c 1 "$gen" bench --target hubbub --url "ws://127.0.0.1:$port/ws" --json --quiet --deadline 3m \
			"${extra[@]}" $ARGS >"$d/report.json" 2>"$d/bench.err"
		pid=$(cat "$d/pid") # a storm's restart left a new one
		[ "$sc" = stormheld ] && pid=$(cat "$d/holder")
		echo "r$r $(basename "$b") load=$(cut -d' ' -f1 /proc/loadavg) $(jq -c "$Q" "$d/report.json" 2>/dev/null || echo failed) $d"
		# not this shell's child (the start script's): wait for it by its pid
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		pid=""
		sleep 0.5
	done
done

#!/usr/bin/env bash
# bench/compare.sh: the instrument of issue 19. It builds hubbub (this checkout), the original
# chat room (a copy of ../shared/baseline/seedchat built outside the tree) and Centrifugo v6
# (go install into a cache outside the tree), then for every scenario and every server starts
# the server FRESH pinned to CPU 0 (taskset -c 0: one CPU, so Go's GOMAXPROCS is 1; hubbub
# serve on SQLite adds a second P for its blocking calls) while the load generator, `hubbub
# bench`, runs pinned to CPU 1 with identical flags for each server;
# it stops the server after each run and writes the raw JSON of every run plus ONE Markdown
# table of ratios (hubbub / original, hubbub / Centrifugo) to the output directory.
#
# Usage: bench/compare.sh [--quick] [--out DIR] [--idle-conns N] [--baseline DIR]
#                         [--cache DIR] [--centrifugo BIN] [--only LIST]
#   --quick         every scenario at a tiny size (well under a minute of load): tests the
#                   script; its figures mean nothing
#   --out DIR       output directory (default /tmp/hubbub-compare-<UTC date and time>)
#   --idle-conns N  idle and connect+join connections (default 19000, lowered to what the
#                   file-descriptor limit allows)
#   --baseline DIR  where seedchat/ and centrifugo-config.json are (default ../shared/baseline
#                   from the repository root)
#   --cache DIR     where Centrifugo is installed (default ~/.cache/hubbub-compare)
#   --centrifugo B  use this Centrifugo v6 binary instead of installing one; "none" leaves
#                   Centrifugo out (its columns then show –)
#   --only LIST     comma-separated scenarios to run (idle,fanout100,fanoutmax,rooms02,
#                   rooms05,storm,ingress,cluster,rolling,floor; default all; floor is both
#                   write floors: BenchmarkLoopbackWrite's and the fan-out row's, bench/fanfloor)
#   --cluster-rooms N  rooms of 10 members in the cluster and rolling runs (default 1000, at
#                   0.2 msg/s per member; not with --quick; a busy machine may need fewer)
# Environment: HUBBUB_EXTRA_FLAGS, more flags for every hubbub serve (e.g. "--max-connecting
# 20000" measures the storm without admission control). HUBBUB_POSTGRES, a PostgreSQL URL:
# ingress is also run on PostgreSQL. The
# cluster and rolling runs need PostgreSQL: HUBBUB_POSTGRES, else the one .ci/postgres.sh
# prepares; each run gets a fresh schema of its own (dropped after it), NATS is a nats-server
# built from the module in go.mod (no download beyond the module proxy).
#
# Everything is on loopback, every wait is bounded, every run has a --deadline.
set -euo pipefail

die() { echo "compare.sh: $*" >&2; exit 2; }
say() { echo "compare.sh: $*" >&2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
OUT=""
IDLE_CONNS=19000
BASELINE="$ROOT/../shared/baseline"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hubbub-compare"
CF_BIN=""
ONLY="idle,fanout100,fanoutmax,rooms02,rooms05,storm,ingress,cluster,rolling,floor"
CLUSTER_ROOMS=1000
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--idle-conns) IDLE_CONNS=${2:?--idle-conns needs a number}; shift ;;
	--baseline) BASELINE=${2:?--baseline needs a directory}; shift ;;
	--cache) CACHE=${2:?--cache needs a directory}; shift ;;
	--centrifugo) CF_BIN=${2:?--centrifugo needs a binary}; shift ;;
	--only) ONLY=${2:?--only needs a list}; shift ;;
	--cluster-rooms) CLUSTER_ROOMS=${2:?--cluster-rooms needs a number}; shift ;;
	-h | --help) sed -n '2,31p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
# Every HUBBUB_* variable of the environment sets a flag of `hubbub serve` (each flag's
# variable), so a server would run with more than the flags written here: with HUBBUB_POSTGRES,
# this script's own input, exported, every hubbub row of a run ran on PostgreSQL instead of a
# fresh SQLite file (the sixth to ninth full runs; docs/benchmarks.md, "The tenth full run").
# The script keeps them as its own variables and exports none to the processes it starts.
for v in $(compgen -e); do case $v in HUBBUB_*) export -n "$v" ;; esac; done
case "$IDLE_CONNS" in '' | *[!0-9]*) die "--idle-conns wants a number, got $IDLE_CONNS" ;; esac
case "$CLUSTER_ROOMS" in '' | *[!0-9]* | 0) die "--cluster-rooms wants a positive number, got $CLUSTER_ROOMS" ;; esac
[ -d "$BASELINE/seedchat" ] || die "no $BASELINE/seedchat: pass --baseline DIR"
# Absolute, because each server starts in its own run directory: Centrifugo given a relative
# -c that no longer resolves starts on its defaults (port 8000) instead of failing.
BASELINE=$(CDPATH='' cd -- "$BASELINE" >/dev/null && pwd)
# The same for the cache (go install wants an absolute GOBIN; the start scripts run elsewhere)
# and a Centrifugo binary given as a relative path.
mkdir -p "$CACHE" && CACHE=$(CDPATH='' cd -- "$CACHE" >/dev/null && pwd)
case "$CF_BIN" in '' | none | /*) ;; *) CF_BIN="$(pwd)/$CF_BIN" ;; esac
[ -f "$BASELINE/centrifugo-config.json" ] || die "no $BASELINE/centrifugo-config.json: pass --baseline DIR"
command -v taskset >/dev/null || die "taskset is needed (util-linux)"
command -v jq >/dev/null || die "jq is needed to write the table"
[ "$(nproc --all)" -ge 2 ] || die "two CPUs are needed: the server on CPU 0, the generator on CPU 1"
want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-/tmp/hubbub-compare-$STAMP}
mkdir -p "$OUT/raw" "$OUT/bin" "$OUT/run" "$CACHE/bin"
OUT=$(cd "$OUT" && pwd)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)
say "output in $OUT (commit $COMMIT${DIRTY:+, with uncommitted changes})"

# --- build ---------------------------------------------------------------------------------
HUBBUB="$OUT/bin/hubbub"
say "building hubbub from $ROOT"
(cd "$ROOT" && go build -o "$HUBBUB" ./cmd/hubbub)
# the machine's speed on each CPU before each idle run (bench/calib): a slow run or a slow machine
CALIB="$OUT/bin/calib"
(cd "$ROOT" && go build -o "$CALIB" ./bench/calib)
# the write floor as the fan-out row writes (bench/fanfloor)
FANFLOOR="$OUT/bin/fanfloor"
(cd "$ROOT" && go build -o "$FANFLOOR" ./bench/fanfloor)
SEED="$OUT/bin/seedchat-src"
say "building the original from a copy of $BASELINE/seedchat"
rm -rf "$SEED" && cp -r "$BASELINE/seedchat" "$SEED" && chmod -R u+w "$SEED"
(cd "$SEED" && go build -o seedchat .)
if [ "$CF_BIN" = none ]; then
	say "Centrifugo left out (--centrifugo none)"
elif [ -z "$CF_BIN" ]; then
	CF_BIN="$CACHE/bin/centrifugo"
	if [ ! -x "$CF_BIN" ]; then
		say "installing Centrifugo v6.9.1 into $CACHE/bin (takes minutes)"
		GOBIN="$CACHE/bin" go install github.com/centrifugal/centrifugo/v6@v6.9.1
	fi
fi
[ "$CF_BIN" = none ] || [ -x "$CF_BIN" ] || die "no Centrifugo binary at $CF_BIN"
CF_SECRET=$(jq -r .client.token.hmac_secret_key "$BASELINE/centrifugo-config.json")
# The cluster runs: a nats-server from the module go.mod names, and a PostgreSQL.
NATS_BIN="" PG=""
if want cluster || want rolling; then
	NATS_VERSION=$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)
	NATS_BIN="$CACHE/bin/nats-server-$NATS_VERSION"
	if [ ! -x "$NATS_BIN" ]; then
		say "building nats-server $NATS_VERSION into $CACHE/bin"
		(cd "$ROOT" && go build -o "$NATS_BIN" github.com/nats-io/nats-server/v2)
	fi
	PG=${HUBBUB_POSTGRES:-}
	if [ -z "$PG" ] && [ -x "$ROOT/.ci/postgres.sh" ]; then
		PG=$(eval "$("$ROOT/.ci/postgres.sh" 2>/dev/null)" && echo "${HUBBUB_TEST_POSTGRES:-}") || PG=""
	fi
	command -v psql >/dev/null || PG=""
	[ -n "$PG" ] || say "cluster and rolling: no PostgreSQL (set HUBBUB_POSTGRES, or have psql and .ci/postgres.sh): skipped"
fi
# Centrifugo with history and recovery on (for a storm measured the same way as hubbub's).
jq '.channel.namespaces[0] += {"history_size": 1000, "history_ttl": "300s", "force_recovery": true}' \
	"$BASELINE/centrifugo-config.json" >"$OUT/run/centrifugo-history.json"

# --- limits --------------------------------------------------------------------------------
FDS=$(ulimit -n)
if [ "$FDS" != unlimited ] && [ $((IDLE_CONNS + 500)) -gt "$FDS" ]; then
	IDLE_CONNS=$((FDS - 500))
	say "the file-descriptor limit is $FDS: idle and connect+join use $IDLE_CONNS connections"
fi
HUBBUB_LIMITS="--max-conns $((IDLE_CONNS + 1000)) --max-conns-per-ip $((IDLE_CONNS + 1000)) --connect-rate 100000 --connect-burst 100000 --new-room-rate 100000 --new-room-burst 100000 --new-guest-rate 100000 --new-guest-burst 100000 --send-rate 1000000 --send-burst 1000000 --max-members $((IDLE_CONNS + 1000))${HUBBUB_EXTRA_FLAGS:+ $HUBBUB_EXTRA_FLAGS}"
say "PINNING: each server runs under taskset -c 0 (one CPU: Go's GOMAXPROCS is then 1, and hubbub serve on SQLite runs a second P for the blocking calls left — spareProcessor) and the generator under taskset -c 1, except the fan-out maximum, which runs unpinned as before"
say "LIMITS RAISED for these runs: hubbub serve $HUBBUB_LIMITS (its per-address and per-connection limits would refuse one generator's thousands of sockets); the original has none; Centrifugo runs with the baseline config"

# --- servers -------------------------------------------------------------------------------
SRV_PID=""

# running PID: the process has not exited. kill -0 is not enough: it succeeds on a zombie,
# and a server started in the background by a script that has ended is an orphan, which the
# machine's PID 1 reaps when it gets to it (0.5-2.5 s on the sandboxes of this project, measured
# 2026-12-03): the "~2 s sleep after stopped" of the first storm runs was that wait, counted
# into SIGTERM → exit and into the storm's signal → listening. RUNNING is the same test for the
# generated sh scripts (one line, for sh -c).
running() { local s; s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1; [ -n "$s" ] && [ "${s%% *}" != Z ]; }
RUNNING='{ s=$(sed "s/.*) //" /proc/$p/stat 2>/dev/null) && [ "${s%% *}" != Z ]; }'
PIDFILE="$OUT/run/server.pid"

# wait_port PORT: up to 30 s for something to listen on 127.0.0.1:PORT.
wait_port() {
	for _ in $(seq 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

# need_free_port PORT: stops the run if another program listens on PORT already: the server
# started next would fail to bind while the generator measured that other program.
need_free_port() {
	if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
		die "port $1 is taken by another program (ss -ltnp 'sport = :$1' names it): stop it first"
	fi
}

# start_server NAME PIN [DB]: starts NAME (hubbub, hubbub-pg, original, centrifugo,
# centrifugo-history) fresh, pinned to CPU 0 if PIN is 1; sets SRV_PID, SRV_URL, SRV_TARGET.
start_server() {
	local name=$1 pin=$2 ts=""
	[ "$pin" = 1 ] && ts="taskset -c 0"
	local dir="$OUT/run/$name-$RANDOM"
	mkdir -p "$dir"
	case "$name" in
	hubbub | hubbub-pg) need_free_port 3434 ;;
	original) need_free_port 3601 ;;
	centrifugo | centrifugo-history) need_free_port 3602 ;;
	esac
	case "$name" in
	hubbub | hubbub-pg)
		local store="--data $dir/hubbub.db"
		if [ "$name" = hubbub-pg ]; then store="--postgres $HUBBUB_POSTGRES"; fi
		# shellcheck disable=SC2086
		cat >"$OUT/run/start-hubbub.sh" <<EOF
#!/bin/sh
$ts "$HUBBUB" serve --host 127.0.0.1 --port 3434 $store --log-level warn $HUBBUB_LIMITS >>"$dir/server.log" 2>&1 &
echo \$! >"$PIDFILE"
EOF
		chmod +x "$OUT/run/start-hubbub.sh"
		"$OUT/run/start-hubbub.sh"
		SRV_URL=ws://127.0.0.1:3434/ws SRV_TARGET=hubbub PORT=3434 ;;
	original)
		(cd "$SEED" && exec $ts ./seedchat --host 127.0.0.1 --port 3601 >>"$dir/server.log" 2>&1) &
		echo $! >"$PIDFILE"
		SRV_URL=ws://127.0.0.1:3601/ws SRV_TARGET=text PORT=3601 ;;
	centrifugo | centrifugo-history)
		local conf="$BASELINE/centrifugo-config.json"
		[ "$name" = centrifugo-history ] && conf="$OUT/run/centrifugo-history.json"
		# a script, like hubbub's, so that the storm's restart can run it again
		cat >"$OUT/run/start-centrifugo.sh" <<EOF
#!/bin/sh
cd "$dir" || exit 1
$ts "$CF_BIN" -c "$conf" >>"$dir/server.log" 2>&1 &
echo \$! >"$PIDFILE"
EOF
		chmod +x "$OUT/run/start-centrifugo.sh"
		"$OUT/run/start-centrifugo.sh"
		SRV_URL=ws://127.0.0.1:3602/connection/websocket SRV_TARGET=centrifugo PORT=3602 ;;
	esac
	SRV_PID=$(cat "$PIDFILE")
	wait_port "$PORT" || { tail -5 "$dir/server.log" >&2; die "$name did not listen on $PORT within 30 s"; }
}

# stop_server: SIGTERM, up to 15 s, then SIGKILL; the server is the one in the pid file (a
# storm restarts it under a new pid).
stop_server() {
	local pid
	pid=$(cat "$PIDFILE" 2>/dev/null || true)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 150); do running "$pid" || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PIDFILE"
	sleep 0.5 # let the port go
}

# --- clusters: N hubbub nodes on one nats-server and one PostgreSQL schema ------------------
NATS_PORT=4299
NODE_PORT0=3440 # node i listens on 3440+i
CLUSTER_PIDS=() CLUSTER_URLS="" SCHEMA=""

# pg_schema: a fresh schema for one run; sets SCHEMA and PG_RUN, the URL that uses it.
pg_schema() {
	SCHEMA="hubbub_compare_$(date +%s)_$RANDOM"
	psql "$PG" -v ON_ERROR_STOP=1 -qc "CREATE SCHEMA $SCHEMA" >/dev/null || return 1
	case "$PG" in *\?*) PG_RUN="$PG&search_path=$SCHEMA" ;; *) PG_RUN="$PG?search_path=$SCHEMA" ;; esac
}

# start_node I URL NATS: node I (from 1) on the PostgreSQL URL, with NATS unless NATS is "",
# pinned to CPU 0; its start script is run/start-node-I.sh (a rolling restart runs it again),
# its pid is in run/node-I.pid.
start_node() {
	local i=$1 db=$2 nats=$3 dir="$OUT/run/node$1-$RANDOM"
	need_free_port $((NODE_PORT0 + i))
	mkdir -p "$dir"
	local broker=""
	[ -n "$nats" ] && broker="--nats $nats"
	cat >"$OUT/run/start-node-$i.sh" <<END_OF_SCRIPT
#!/bin/sh
cd "$dir" || exit 1
taskset -c 0 "$HUBBUB" serve --host 127.0.0.1 --port $((NODE_PORT0 + i)) --postgres '$db' $broker --node node$i --log-level warn $HUBBUB_LIMITS >>"$dir/server.log" 2>&1 &
echo \$! >"$OUT/run/node-$i.pid"
END_OF_SCRIPT
	chmod +x "$OUT/run/start-node-$i.sh"
	"$OUT/run/start-node-$i.sh"
	wait_port $((NODE_PORT0 + i)) || { tail -5 "$dir/server.log" >&2; return 1; }
}

# start_cluster N: nats-server and N nodes on a fresh schema (N = 1: one node, no NATS); sets
# CLUSTER_URLS and CLUSTER_PIDS (the nodes', then nats-server's).
start_cluster() {
	local n=$1 nats=""
	pg_schema || { say "could not create a schema on PostgreSQL"; return 1; }
	CLUSTER_PIDS=()
	if [ "$n" -gt 1 ]; then
		need_free_port $NATS_PORT
		(exec taskset -c 0 "$NATS_BIN" -a 127.0.0.1 -p $NATS_PORT >"$OUT/run/nats-$RANDOM.log" 2>&1) &
		echo $! >"$OUT/run/nats.pid"
		wait_port $NATS_PORT || { say "nats-server did not listen on $NATS_PORT"; return 1; }
		nats=nats://127.0.0.1:$NATS_PORT
	fi
	CLUSTER_URLS=""
	for i in $(seq "$n"); do
		start_node "$i" "$PG_RUN" "$nats" || { say "node $i did not listen"; return 1; }
		CLUSTER_PIDS+=("$(cat "$OUT/run/node-$i.pid")")
		CLUSTER_URLS="$CLUSTER_URLS${CLUSTER_URLS:+,}ws://127.0.0.1:$((NODE_PORT0 + i))/ws"
	done
	if [ "$n" -gt 1 ]; then CLUSTER_PIDS+=("$(cat "$OUT/run/nats.pid")"); fi
}

# stop_pidfile FILE: SIGTERM the process in FILE, up to 15 s, then SIGKILL.
stop_pidfile() {
	local pid
	pid=$(cat "$1" 2>/dev/null || true)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 150); do running "$pid" || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$1"
}

# stop_cluster: every node, then nats-server, then the run's schema.
stop_cluster() {
	local f
	for f in "$OUT"/run/node-*.pid; do if [ -e "$f" ]; then stop_pidfile "$f"; fi; done
	stop_pidfile "$OUT/run/nats.pid"
	if [ -n "$SCHEMA" ] && [ -n "$PG" ]; then
		psql "$PG" -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1 || say "could not drop schema $SCHEMA"
		SCHEMA=""
	fi
	sleep 0.5 # let the ports go
}
trap 'stop_server; stop_cluster' EXIT

# cluster_bench N ID FLAGS...: one run against a fresh cluster of N nodes (1: the anchor, one
# node on the same PostgreSQL and no NATS), raw JSON to raw/ID.json; --pid sums the nodes and
# nats-server, and each step also reports each one's CPU.
cluster_bench() {
	local n=$1 id=$2
	shift 2
	if ! start_cluster "$n"; then
		say "$id: the cluster did not start"
		stop_cluster
		return 0
	fi
	local pids
	pids=$(IFS=,; echo "${CLUSTER_PIDS[*]}")
	say "$id ($n node(s) and nats-server pinned to CPU 0): hubbub bench --url $CLUSTER_URLS $*"
	taskset -c 1 "$HUBBUB" bench --target hubbub --url "$CLUSTER_URLS" --json --quiet --deadline "$DEADLINE" \
		"$@" --pid "$pids" >"$OUT/raw/$id.json" 2>"$OUT/raw/$id.err" ||
		say "$id failed: $(tail -1 "$OUT/raw/$id.err")"
	stop_cluster
}

# rolling_bench FLAGS...: two nodes under load; node 1 gets SIGTERM and starts again, and its
# clients move to node 2.
rolling_bench() {
	if ! start_cluster 2; then
		say "rolling: the cluster did not start"
		stop_cluster
		return 0
	fi
	cat >"$OUT/run/stop-node-1.sh" <<END_OF_SCRIPT
#!/bin/sh
p=\$(cat '$OUT/run/node-1.pid'); kill -TERM \$p; i=0
while $RUNNING && [ \$i -lt 300 ]; do sleep 0.05; i=\$((i+1)); done
kill -KILL \$p 2>/dev/null || true # past 15 s: its port must be free for the new process
END_OF_SCRIPT
	chmod +x "$OUT/run/stop-node-1.sh"
	local restart="'$OUT/run/stop-node-1.sh'; '$OUT/run/start-node-1.sh'"
	say "rolling (2 nodes and nats-server pinned to CPU 0; node 1 restarted): hubbub bench --scenario rolling --url $CLUSTER_URLS $*"
	taskset -c 1 "$HUBBUB" bench --target hubbub --scenario rolling --url "$CLUSTER_URLS" --json --quiet \
		--deadline "$DEADLINE" --storm-restart "$restart" "$@" >"$OUT/raw/rolling.json" 2>"$OUT/raw/rolling.err" ||
		say "rolling failed: $(tail -1 "$OUT/raw/rolling.err")"
	stop_cluster
}

# bench NAME SCENARIO-ID PIN FLAGS...: one run against a fresh NAME, raw JSON to raw/.
bench() {
	local name=$1 id=$2 pin=$3
	shift 3
	case "$name" in centrifugo*) [ "$CF_BIN" = none ] && return 0 ;; esac
	local ts=""
	[ "$pin" = 1 ] && ts="taskset -c 1"
	# the CPUs' speed just before the run, for the rows that print it (calib_row: idle only)
	if [ "$id" = idle ]; then
		echo "cpu0: $(taskset -c 0 "$CALIB" 2>&1) cpu1: $(taskset -c 1 "$CALIB" 2>&1)" >"$OUT/raw/$id-$name.calib"
	fi
	start_server "$name" "$pin"
	local extra=(--pid "$SRV_PID")
	case "$id" in storm*) extra=() ;; esac # the restart gives the server a new pid
	[ "$SRV_TARGET" = centrifugo ] && extra+=(--token-secret "$CF_SECRET")
	local how="pinned"
	[ "$pin" = 1 ] || how="unpinned"
	say "$id on $name ($how): hubbub bench $*"
	$ts "$HUBBUB" bench --target "$SRV_TARGET" --url "$SRV_URL" --json --quiet \
		--deadline "$DEADLINE" "${extra[@]}" "$@" >"$OUT/raw/$id-$name.json" 2>"$OUT/raw/$id-$name.err" ||
		say "$id on $name failed: $(tail -1 "$OUT/raw/$id-$name.err")"
	stop_server
}

# --- scenarios -----------------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
	DEADLINE=60s
	IDLE="--scenario idle --conns 200 --duration 2s --settle 1s"
	FAN100="--scenario fanout --listeners 50 --senders 2 --rate 20 --steps 1 --step-duration 2s --drain 2s"
	FANMAX="--scenario fanout --listeners 50 --senders 2 --rate 50 --step-factor 2 --steps 2 --step-duration 1s --drain 2s"
	ROOMS="--scenario rooms --rooms 10 --members 3 --duration 2s --drain 2s"
	STORM="--scenario storm --rooms 3 --members 5 --rate 20 --duration 3s --storm-after 1s --drain 3s"
	INGRESS="--scenario ingress --rooms 5 --senders 2 --duration 2s --drain 2s"
	CLUSTER="--scenario rooms --rooms 10 --members 3 --duration 2s --drain 2s --member-rate 0.5"
	ROLLING="--rooms 5 --members 4 --rate 20 --duration 4s --storm-after 1s --drain 3s"
	FLOOR_TIME=2000x
	FANFLOOR_TIME=200ms
else
	DEADLINE=10m
	IDLE="--scenario idle --conns $IDLE_CONNS --duration 20s --settle 3s --sources 4"
	FAN100="--scenario fanout --listeners 1000 --senders 10 --rate 100 --steps 1 --step-duration 10s --sources 4"
	FANMAX="--scenario fanout --listeners 1000 --senders 10 --rate 100 --step-factor 1.5 --steps 12 --step-duration 3s --drain 2s --sources 4"
	ROOMS="--scenario rooms --rooms 1000 --members 10 --duration 10s --drain 3s --sources 4"
	STORM="--scenario storm --rooms 100 --members 100 --rate 200 --duration 15s --storm-after 3s --drain 5s --sources 4 --ready-timeout 60s"
	INGRESS="--scenario ingress --rooms 1000 --senders 10 --duration 10s --drain 5s --sources 4"
	CLUSTER="--scenario rooms --rooms $CLUSTER_ROOMS --members 10 --duration 10s --drain 5s --sources 4 --member-rate 0.2"
	ROLLING="--rooms $CLUSTER_ROOMS --members 10 --rate $((CLUSTER_ROOMS * 2)) --duration 15s --storm-after 5s --drain 5s --sources 4 --ready-timeout 60s"
	FLOOR_TIME=200000x
	FANFLOOR_TIME=10s
fi
# restart_cmd NAME: the storm's restart of NAME (hubbub or centrifugo): SIGTERM, up to 15 s
# for the process to end, then its start script again.
restart_cmd() {
	echo "p=\$(cat '$PIDFILE'); kill -TERM \$p; i=0; while $RUNNING && [ \$i -lt 300 ]; do sleep 0.05; i=\$((i+1)); done; '$OUT/run/start-$1.sh'"
}

# shellcheck disable=SC2086
{
	if want idle; then for s in hubbub original centrifugo; do bench $s idle 1 $IDLE; done; fi
	if want fanout100; then for s in hubbub original centrifugo; do bench $s fanout100 1 $FAN100; done; fi
	if want fanoutmax; then for s in hubbub original centrifugo; do bench $s fanoutmax 0 $FANMAX; done; fi
	if want rooms02; then for s in hubbub centrifugo; do bench $s rooms02 1 $ROOMS --member-rate 0.2; done; fi
	if want rooms05; then for s in hubbub centrifugo; do bench $s rooms05 1 $ROOMS --member-rate 0.5; done; fi
	if want storm; then
		bench hubbub storm 1 $STORM --storm-restart "$(restart_cmd hubbub)"
		# Centrifugo with history and recovery on: every client resubscribes with recover,
		# its offset and its epoch. The memory engine's history dies with the process, so the
		# new epoch answers "not recovered" and what clients missed counts as lost; a
		# persistent engine (Redis) would be needed for Centrifugo to recover across a restart.
		bench centrifugo-history storm 1 $STORM --storm-restart "$(restart_cmd centrifugo)"
	fi
	if want ingress; then
		bench hubbub ingress 1 $INGRESS
		if [ -n "${HUBBUB_POSTGRES:-}" ]; then bench hubbub-pg ingress 1 $INGRESS; else say "ingress on PostgreSQL: skipped (set HUBBUB_POSTGRES)"; fi
	fi
	if want cluster && [ -n "$PG" ]; then
		cluster_bench 1 cluster-1node $CLUSTER
		cluster_bench 3 cluster-3nodes $CLUSTER
	fi
	if want rolling && [ -n "$PG" ]; then rolling_bench $ROLLING; fi
}
if want floor; then
	say "write floor: go test -run XXX -bench LoopbackWrite -benchtime $FLOOR_TIME ./internal/server/ (pinned to CPU 0)"
	(cd "$ROOT" && taskset -c 0 go test -run XXX -bench LoopbackWrite -benchtime "$FLOOR_TIME" ./internal/server/) >"$OUT/raw/floor.txt" 2>&1 ||
		say "the write floor failed: $(tail -1 "$OUT/raw/floor.txt")"
	say "the fan-out row's write floor: GOMAXPROCS=1 taskset -c 0 fanfloor -duration $FANFLOOR_TIME (1,010 sockets, 640 B, each every 20 ms, the reader on CPU 1)"
	GOMAXPROCS=1 taskset -c 0 "$FANFLOOR" -duration "$FANFLOOR_TIME" >"$OUT/raw/fanfloor.txt" 2>&1 ||
		say "the fan-out row's write floor failed: $(tail -1 "$OUT/raw/fanfloor.txt")"
fi

# --- the table -----------------------------------------------------------------------------
# get FILE JQ: a number from a raw report, or empty.
get() { [ -s "$OUT/raw/$1.json" ] && jq -r "($2) // empty" "$OUT/raw/$1.json" 2>/dev/null || true; }
# ratio A B: A / B to two decimals, or – when either is missing or B is 0.
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "–"; else printf "%.2f×", a / b }'; else echo "–"; fi; }
fmt() { if [ -n "$1" ]; then awk -v a="$1" 'BEGIN { printf "%.4g", a }'; else echo "–"; fi; }
# row LABEL ID JQ: one measure on the three servers, with the ratios.
row() {
	local h o c
	h=$(get "$2-hubbub" "$3") o=$(get "$2-original" "$3") c=$(get "$2-centrifugo" "$3")
	echo "| $1 | $(fmt "$h") | $(fmt "$o") | $(fmt "$c") | $(ratio "$h" "$o") | $(ratio "$h" "$c") |"
}
# calib_row LABEL ID: the CPUs' speed before each server's run of ID, and the ratio of CPU 0's.
calib_row() {
	local h o c
	h=$(calib_of "$2-hubbub") o=$(calib_of "$2-original") c=$(calib_of "$2-centrifugo")
	echo "| $1 | ${h:-–} | ${o:-–} | ${c:-–} | $(ratio "${h%% *}" "${o%% *}") | $(ratio "${h%% *}" "${c%% *}") |"
}
# calib_of RUN: "CPU0 / CPU1" sha256 figures from raw/RUN.calib, or empty.
calib_of() { sed -n 's#^cpu0: sha256 \([0-9.]*\) .*cpu1: sha256 \([0-9.]*\) .*#\1 / \2#p' "$OUT/raw/$1.calib" 2>/dev/null || true; }
# (the result line only: the reader's errors also start "fanfloor"; a failed run leaves it empty)
FANFLOOR_US=$(awk '/^fanfloor µs\/write / && $3 ~ /^[0-9.]+$/ { print $3; exit }' "$OUT/raw/fanfloor.txt" 2>/dev/null || true)
FLOOR_NS=$(awk '/BenchmarkLoopbackWrite/ { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") { print $i; exit } }' "$OUT/raw/floor.txt" 2>/dev/null || true)
{
	echo "# hubbub compared, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT${DIRTY:+ (uncommitted changes)}"
	echo
	[ "$QUICK" = 1 ] && echo "**--quick run: tiny sizes that test the script; these figures mean nothing.**" && echo
	echo "Servers pinned with \`taskset -c 0\` (one CPU: GOMAXPROCS 1, hubbub on SQLite 2 — its spare P for blocking calls), generator \`taskset -c 1\`, except the"
	echo "fan-out maximum (unpinned). Each server started fresh for each run, hubbub on a new SQLite file (PostgreSQL only where a row says so). hubbub's limits raised:"
	echo "\`$HUBBUB_LIMITS\`. Raw reports: \`raw/\`. Machine: $(nproc --all) CPUs, $(uname -sr)."
	echo
	echo "| measure | hubbub | original | Centrifugo | hubbub / original | hubbub / Centrifugo |"
	echo "|---|---:|---:|---:|---:|---:|"
	row "idle: server RSS per connection (KiB)" idle '.idle.server_rss_per_conn_kib'
	row "connect + join: connections/s (the idle run)" idle '.connect.per_sec'
	calib_row "the same: CPU 0 (server) / CPU 1 (generator) just before, sha256 µs per 16 KiB (bench/calib; lower is faster)" idle
	row "fan-out 1 room × $(get fanout100-hubbub '.params.listeners + .params.senders') at $(get fanout100-hubbub '.params.rate') msgs/s, pinned: server CPU s per M deliveries" fanout100 '.steps[0].server_cpu_s_per_m'
	row "the same: p99 ms" fanout100 '.steps[0].latency.p99_ms'
	row "fan-out maximum, unpinned: deliveries/s (best step)" fanoutmax '.best.deliveries_per_s'
	row "the same: server CPU s per M deliveries" fanoutmax '.best.server_cpu_s_per_m'
	for r in 02 05; do
		row "rooms at 0.${r#0} msg/s each, pinned: delivered ratio" rooms$r '.steps[0].delivery_ratio'
		row "the same: p99 ms" rooms$r '.steps[0].latency.p99_ms'
		row "the same: server CPU s per M deliveries" rooms$r '.steps[0].server_cpu_s_per_m'
	done
	# the storm's Centrifugo is the one with history and recovery on
	storm_row() {
		local h c
		h=$(get storm-hubbub "$2") c=$(get storm-centrifugo-history "$2")
		echo "| $1 | $(fmt "$h") | – | $(fmt "$c") | – | $(ratio "$h" "$c") |"
	}
	storm_row "storm (Centrifugo: history and recovery on, memory engine): signal → listening again, s" '.storm.restart_s'
	storm_row "storm: all back, s from listening again" '.storm.back_s'
	storm_row "storm: the clients' backoff floor, s from listening again (the last client's first try at the listening port)" '.storm.backoff_floor_s'
	storm_row "storm: all caught up, s from listening again (Centrifugo: clients not recovered not waited for)" '.storm.caught_up_s'
	storm_row "storm: lost" '.storm.lost'
	storm_row "storm: duplicated" '.storm.duplicated'
	storm_row "storm: resubscribes not recovered (Centrifugo)" '.storm.not_recovered'
	row "ingress, SQLite: acked messages/s (hubbub only)" ingress '.ingress.acked_per_s'
	row "ingress, SQLite: ack p99 ms" ingress '.ingress.ack_latency.p99_ms'
	if [ -n "${HUBBUB_POSTGRES:-}" ]; then
		echo "| ingress, PostgreSQL: acked messages/s | $(fmt "$(get ingress-hubbub-pg '.ingress.acked_per_s')") | – | – | – | – |"
	fi
	cpu=$(get fanout100-hubbub '.steps[0].server_cpu_s_per_m')
	if [ -n "$FLOOR_NS" ]; then
		floor_s=$(awk -v ns="$FLOOR_NS" 'BEGIN { printf "%.4g", ns * 1e6 / 1e9 }')
		echo "| write floor: s per M loopback writes (BenchmarkLoopbackWrite, $FLOOR_NS ns/op, pinned) | $floor_s | – | – | – | – |"
		echo "| fan-out pinned, hubbub: server CPU per delivery / the floor (one write per delivery) | $(ratio "$cpu" "$floor_s") | – | – | – | – |"
	fi
	if [ -n "$FANFLOOR_US" ]; then
		# The row's own floor: bare writes as the row makes them (bench/fanfloor), times each
		# server's writes per delivery; the ratio is what the server's own work adds.
		wh=$(get fanout100-hubbub '.steps[0].server_write_calls_per_delivery')
		wo=$(get fanout100-original '.steps[0].server_write_calls_per_delivery')
		fh="" fo=""
		if [ -n "$wh" ]; then fh=$(awk -v us="$FANFLOOR_US" -v w="$wh" 'BEGIN { printf "%.4g", us * w }'); fi
		if [ -n "$wo" ]; then fo=$(awk -v us="$FANFLOOR_US" -v w="$wo" 'BEGIN { printf "%.4g", us * w }'); fi
		echo "| the fan-out row's write floor: µs per bare write to 1,010 sockets each every 20 ms, readers on the other CPU (bench/fanfloor, pinned) | $FANFLOOR_US | – | – | – | – |"
		echo "| fan-out pinned: that floor × the server's writes per delivery, s per M | $(fmt "$fh") | $(fmt "$fo") | – | – | – |"
		echo "| fan-out pinned: server CPU per delivery / that floor | $(ratio "$cpu" "$fh") | $(ratio "$(get fanout100-original '.steps[0].server_cpu_s_per_m')" "$fo") | – | – | – |"
	fi
	echo
	echo "A missing figure (–) is a run that failed (see \`raw/*.err\`) or a server the scenario cannot drive."
	if want cluster || want rolling; then
		# The nodes' CPU: the first three processes of the 3-node run (the fourth is nats-server).
		one=$(get cluster-1node '.steps[0].server_cpu_s_per_m')
		three=$(get cluster-3nodes '(.steps[0].server_cpu_s_each[0:3] | add) * 1e6 / .steps[0].delivered')
		all=$(get cluster-3nodes '.steps[0].server_cpu_s_per_m')
		p99_3=$(get cluster-3nodes '.steps[0].latency.p99_ms') p99_1=$(get cluster-1node '.steps[0].latency.p99_ms')
		echo
		echo "## Cluster and rolling restart (hubbub on PostgreSQL, the nodes on NATS)"
		echo
		echo "Every node and nats-server pinned to CPU 0 (one CPU for the whole cluster), the generator on CPU 1;"
		echo "PostgreSQL unpinned, a fresh schema for each run; its CPU is not counted."
		echo
		echo "| measure | 3 nodes on NATS | 1 node | 3 nodes / 1 node |"
		echo "|---|---:|---:|---:|"
		echo "| rooms $(get cluster-3nodes '.params.rooms') × $(get cluster-3nodes '.params.members') at $(get cluster-3nodes '.params.member_rate') msg/s each: server CPU s per M deliveries, the nodes | $(fmt "$three") | $(fmt "$one") | $(ratio "$three" "$one") |"
		echo "| the same with nats-server's CPU | $(fmt "$all") | $(fmt "$one") | $(ratio "$all" "$one") |"
		echo "| delivered ratio | $(fmt "$(get cluster-3nodes '.steps[0].delivery_ratio')") | $(fmt "$(get cluster-1node '.steps[0].delivery_ratio')") | – |"
		echo "| p99 ms, every delivery | $(fmt "$p99_3") | $(fmt "$p99_1") | $(ratio "$p99_3" "$p99_1") |"
		echo "| p99 ms, cross-node deliveries (same-node: $(fmt "$(get cluster-3nodes '.steps[0].same_node_latency.p99_ms')")) | $(fmt "$(get cluster-3nodes '.steps[0].cross_node_latency.p99_ms')") | – | – |"
		echo "| rolling restart of node 1 of 2: clients moved / dropped / all | $(get rolling '.storm.moved')/$(get rolling '.storm.dropped')/$(get rolling '.storm.clients') | – | – |"
		echo "| the same: all caught up, s from the signal | $(fmt "$(get rolling '.storm.caught_up_s')") | – | – |"
		echo "| the same: lost, duplicated | $(get rolling '.storm.lost'), $(get rolling '.storm.duplicated') | – | – |"
	fi
} >"$OUT/table.md"
say "table: $OUT/table.md"
cat "$OUT/table.md"

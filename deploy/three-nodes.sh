#!/usr/bin/env bash
# Starts three hubbub nodes on this machine that chat as one: NATS carries messages and
# presence between them, PostgreSQL holds the shared history, a SeaweedFS bucket the uploaded
# files. Everything comes from Debian's packages and the Go module proxy. Run as root (it
# installs packages) from the repository:
#
#   deploy/three-nodes.sh start    # install what is missing, start PostgreSQL, NATS, 3 nodes
#   deploy/three-nodes.sh status   # what is running, and each node's /readyz
#   deploy/three-nodes.sh stop     # stop the nodes and NATS (PostgreSQL and SeaweedFS keep running)
#
# Nodes listen on 127.0.0.1:3434, :3435 and :3436 (BASE_PORT=4000 moves them); NATS_PORT,
# S3_PORT (or S3_URL) and PG_URL move the rest; logs and pid files go to $STATE (default
# /tmp/hubbub-cluster). docs/deploy.md explains each step and what failures do.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${STATE:-/tmp/hubbub-cluster}
BASE_PORT=${BASE_PORT:-3434}
PORTS=("$BASE_PORT" "$((BASE_PORT + 1))" "$((BASE_PORT + 2))")
NATS_PORT=${NATS_PORT:-4222}
PG_URL=${PG_URL:-postgres://hubbub:hubbub@127.0.0.1:5432/hubbub?sslmode=disable}
# The S3 server .ci/s3.sh starts, on S3_PORT (its other ports: HUBBUB_S3_MASTER_PORT and the
# rest, .ci/s3.sh). S3_URL names another S3-compatible server instead, which is then used as
# it is.
S3_PORT=${S3_PORT:-8333}
S3_URL=${S3_URL:-}
# The keys of the bucket, from the environment so that ps does not show them.
export HUBBUB_FILES_S3_ACCESS_KEY=${HUBBUB_FILES_S3_ACCESS_KEY:-hubbub}
export HUBBUB_FILES_S3_SECRET_KEY=${HUBBUB_FILES_S3_SECRET_KEY:-hubbub-cluster-secret}
# Go first (sudo's PATH may not have it), then where go install puts nats-server.
export PATH="$PATH:/usr/local/go/bin"
export PATH="$PATH:$(go env GOPATH)/bin"

start() {
  mkdir -p "$STATE"
  # PostgreSQL from Debian: the same script CI uses (installs, starts, creates role and db).
  bash .ci/postgres.sh >/dev/null
  # SeaweedFS from the Go module proxy: the same script CI uses (builds it once, ~6 minutes on
  # 2 cores, then starts it on 127.0.0.1:$S3_PORT); it takes any keys.
  if [ -z "$S3_URL" ]; then
    HUBBUB_S3_PORT=$S3_PORT bash .ci/s3.sh >/dev/null
    S3_URL=http://127.0.0.1:$S3_PORT
  fi
  # NATS server from the Go module proxy.
  if ! command -v nats-server >/dev/null; then
    echo "installing nats-server"
    go install github.com/nats-io/nats-server/v2@v2.15.2
  fi
  if ! running nats; then
    nats-server --addr 127.0.0.1 --port "$NATS_PORT" >"$STATE/nats.log" 2>&1 &
    echo $! >"$STATE/nats.pid"
    echo "nats-server on 127.0.0.1:$NATS_PORT"
  fi
  go build -o "$STATE/hubbub" ./cmd/hubbub
  for i in 0 1 2; do
    local port=${PORTS[$i]} name="node$((i + 1))"
    if running "$name"; then continue; fi
    "$STATE/hubbub" serve --host 127.0.0.1 --port "$port" --node "$name" \
      --nats "nats://127.0.0.1:$NATS_PORT" --postgres "$PG_URL" \
      --files-s3-endpoint "$S3_URL" --files-s3-bucket hubbub \
      >"$STATE/$name.log" 2>&1 &
    echo $! >"$STATE/$name.pid"
  done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 1 50); do
      curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
      sleep 0.2
    done
  done
  status
  echo
  echo "Open http://127.0.0.1:${PORTS[0]}/ and http://127.0.0.1:${PORTS[1]}/ in two tabs, or:"
  echo "  $STATE/hubbub chat --name ann --room general ws://127.0.0.1:${PORTS[0]}/ws ws://127.0.0.1:${PORTS[1]}/ws ws://127.0.0.1:${PORTS[2]}/ws"
}

running() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

status() {
  for name in nats node1 node2 node3; do
    if running "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"; else echo "$name: stopped"; fi
  done
  for port in "${PORTS[@]}"; do
    printf '127.0.0.1:%s/readyz: ' "$port"
    curl -s --max-time 2 "http://127.0.0.1:$port/readyz" || echo "(no answer)"
  done
}

stop() {
  for name in node1 node2 node3 nats; do
    if running "$name"; then
      kill "$(cat "$STATE/$name.pid")"
      echo "stopped $name"
    fi
    rm -f "$STATE/$name.pid"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Makes an S3-compatible server ready for the S3 tests (internal/s3blobs, the cluster's shared
# bucket): SeaweedFS (Apache-2.0), built from its Go module once and cached outside the
# checkout, started on 127.0.0.1:8333 unless something answers S3 there already. It exports
# HUBBUB_TEST_S3, which makes those tests mandatory (they fail, not skip, when it does not
# answer). Idempotent; needs only Go and the Go module proxy, not root.
#
# From .ci/run:   .ci/s3.sh build &      at the start: the build (~6 min on 2 cores) overlaps the rest
#                 source .ci/s3.sh       before the tests: waits for the build, starts, exports
# By hand:        eval "$(.ci/s3.sh)"    (executed, it prints the export line)
#
# The build is cached in $HUBBUB_S3_CACHE (default /var/cache/hubbub for root, else
# ~/.cache/hubbub) under the module's version, so a machine builds each version once. The
# server keeps its data in $HUBBUB_S3_DIR (default /tmp/hubbub-s3) and logs to weed.log there.
# Its ports: S3 on $HUBBUB_S3_PORT (8333), and the master, volume server and filer it runs
# beside on $HUBBUB_S3_MASTER_PORT (9333), $HUBBUB_S3_VOLUME_PORT (8089) and
# $HUBBUB_S3_FILER_PORT (8888); each of the four also listens for gRPC on its port +
# $HUBBUB_S3_GRPC_OFFSET (10000, SeaweedFS's own rule). Move them all to run a second one, or
# to keep within a range of ports.
# None of SeaweedFS's code enters the repository: the module is copied out of the module cache
# into a temporary folder, built there, and only the binary is kept.

hubbub_s3_module=github.com/seaweedfs/seaweedfs
hubbub_s3_version=${HUBBUB_S3_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
hubbub_s3_port=${HUBBUB_S3_PORT:-8333}
hubbub_s3_master_port=${HUBBUB_S3_MASTER_PORT:-9333}
hubbub_s3_volume_port=${HUBBUB_S3_VOLUME_PORT:-8089}
hubbub_s3_filer_port=${HUBBUB_S3_FILER_PORT:-8888}
hubbub_s3_grpc_offset=${HUBBUB_S3_GRPC_OFFSET:-10000}
if [ "$(id -u)" = 0 ]; then hubbub_s3_cache_default=/var/cache/hubbub; else hubbub_s3_cache_default=${XDG_CACHE_HOME:-$HOME/.cache}/hubbub; fi
hubbub_s3_cache=${HUBBUB_S3_CACHE:-$hubbub_s3_cache_default}
hubbub_s3_bin=$hubbub_s3_cache/weed-$hubbub_s3_version/weed
hubbub_s3_dir=${HUBBUB_S3_DIR:-/tmp/hubbub-s3}
hubbub_s3_url=http://127.0.0.1:$hubbub_s3_port

# hubbub_s3_build builds the binary unless the cache has it. A lock makes a second caller (the
# start, while the background build runs) wait for the first instead of building again.
hubbub_s3_build() (
  set -euo pipefail
  export PATH="$PATH:/usr/local/go/bin"
  mkdir -p "$(dirname "$hubbub_s3_bin")"
  exec 9>"$hubbub_s3_bin.lock"
  flock 9
  if [ -x "$hubbub_s3_bin" ]; then return 0; fi
  echo "--- building SeaweedFS $hubbub_s3_version (once per machine; cached in $hubbub_s3_bin)" >&2
  src=$(go mod download -json "$hubbub_s3_module@$hubbub_s3_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src" ]; then
    echo "s3.sh: go mod download $hubbub_s3_module@$hubbub_s3_version gave no directory" >&2
    return 1
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # Its go.mod has replace directives, so `go install module@version` refuses it: build it as
  # a main module, from a writable copy.
  cp -r "$src" "$work/src"
  chmod -R u+w "$work/src"
  (cd "$work/src" && go build -o "$hubbub_s3_bin.tmp" ./weed) >&2
  mv "$hubbub_s3_bin.tmp" "$hubbub_s3_bin"
)

# hubbub_s3_answers reports whether an HTTP server answers on the port (any status will do:
# an anonymous listing of buckets is refused or answered, either way S3 is up). Plain bash, as
# curl may not be installed.
hubbub_s3_answers() {
  local line=""
  { exec 3<>"/dev/tcp/127.0.0.1/$hubbub_s3_port"; } 2>/dev/null || return 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  read -r -t 5 line <&3 || true
  exec 3<&- 3>&-
  [[ $line == HTTP/* ]]
}

# hubbub_s3_status sends one request (method, path, body) to the port and prints the status
# code of the answer, or nothing.
hubbub_s3_status() {
  local line="" body=${3:-}
  { exec 3<>"/dev/tcp/127.0.0.1/$hubbub_s3_port"; } 2>/dev/null || return 0
  printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s' "$1" "$2" "${#body}" "$body" >&3
  read -r -t 5 line <&3 || true
  exec 3<&- 3>&-
  line=${line#HTTP/* }
  echo "${line%% *}"
}

# hubbub_s3_writable reports whether the server we started stores an object: its S3 port
# answers before its volume server has joined, when a first upload would fail. (Started
# without an identity file, SeaweedFS takes anonymous requests.)
hubbub_s3_writable() {
  case "$(hubbub_s3_status PUT /hubbub-ready)" in 200 | 409) ;; *) return 1 ;; esac
  [ "$(hubbub_s3_status PUT /hubbub-ready/probe ok)" = 200 ]
}

# hubbub_s3_start starts the server in the background unless one answers already, and waits
# (60 s at most) until it does.
hubbub_s3_start() (
  set -euo pipefail
  if hubbub_s3_answers; then return 0; fi
  hubbub_s3_build
  mkdir -p "$hubbub_s3_dir"
  echo "--- starting SeaweedFS on 127.0.0.1:$hubbub_s3_port (data and weed.log in $hubbub_s3_dir)" >&2
  # Loopback only; the extra gateways off (Iceberg, Lance) so that they take no ports; small
  # volumes, since every bucket is a collection with volumes of its own and tests make many;
  # no telemetry (on by default, it reports the cluster to SeaweedFS's server).
  local g=$hubbub_s3_grpc_offset
  setsid nohup "$hubbub_s3_bin" server -dir="$hubbub_s3_dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3 -s3.port="$hubbub_s3_port" -s3.port.grpc=$((hubbub_s3_port + g)) -s3.port.iceberg=0 -s3.port.lance=0 \
    -master.port="$hubbub_s3_master_port" -master.port.grpc=$((hubbub_s3_master_port + g)) \
    -volume.port="$hubbub_s3_volume_port" -volume.port.grpc=$((hubbub_s3_volume_port + g)) \
    -filer.port="$hubbub_s3_filer_port" -filer.port.grpc=$((hubbub_s3_filer_port + g)) \
    -master.volumeSizeLimitMB=64 -volume.max=0 -master.telemetry=false \
    >"$hubbub_s3_dir/weed.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 120); do
    if hubbub_s3_answers && hubbub_s3_writable; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then # e.g. a port still held by a server that is stopping
      echo "s3.sh: SeaweedFS exited at start; the end of $hubbub_s3_dir/weed.log:" >&2
      tail -20 "$hubbub_s3_dir/weed.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "s3.sh: SeaweedFS did not answer on $hubbub_s3_url within 60 s; the end of $hubbub_s3_dir/weed.log:" >&2
  tail -20 "$hubbub_s3_dir/weed.log" >&2
  return 1
)

if [ "${1:-}" = build ]; then
  hubbub_s3_build
  exit $?
fi

if ! hubbub_s3_start; then
  echo "s3.sh: could not start the S3 server" >&2
  return 1 2>/dev/null || exit 1
fi

export HUBBUB_TEST_S3=$hubbub_s3_url

if [ "${BASH_SOURCE[0]}" = "$0" ]; then # executed, not sourced: print the line for eval
  echo "export HUBBUB_TEST_S3='$HUBBUB_TEST_S3'"
fi

#!/usr/bin/env bash
# Makes a local PostgreSQL ready for the PostgreSQL tests (internal/postgres and the suites
# using internal/pgtest) and exports the variables that make them mandatory. Idempotent:
# installs only if missing, starts the cluster only if down, creates the role and database
# only if absent. Needs root; made for Debian 12 (cluster 15/main on port 5432).
#
# From .ci/run:   source .ci/postgres.sh      (exports HUBBUB_TEST_POSTGRES, HUBBUB_REQUIRE_POSTGRES)
# By hand:        eval "$(.ci/postgres.sh)"   (executed, it prints the export lines)
#
# The role is deliberately not a superuser: the store, its migrations and the tests need
# only to own the database, and CI then proves that a production role needs no more.

hubbub_pg_version=${HUBBUB_PG_VERSION:-15}
hubbub_pg_port=${HUBBUB_PG_PORT:-5432}
hubbub_pg_user=${HUBBUB_PG_USER:-hubbub}
hubbub_pg_password=${HUBBUB_PG_PASSWORD:-hubbub}
hubbub_pg_db=${HUBBUB_PG_DB:-hubbub}

# The work runs in a subshell, so that sourcing leaves the caller's shell options alone.
hubbub_pg_setup() (
  set -euo pipefail
  v=$hubbub_pg_version port=$hubbub_pg_port user=$hubbub_pg_user db=$hubbub_pg_db

  if ! command -v pg_ctlcluster >/dev/null || [ ! -x "/usr/lib/postgresql/$v/bin/postgres" ]; then
    echo "--- installing postgresql" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  fi

  if ! pg_lsclusters -h | awk -v v="$v" '$1 == v && $2 == "main" && $4 == "online" {f=1} END {exit !f}'; then
    echo "--- starting cluster $v/main" >&2
    pg_ctlcluster "$v" main start >&2
  fi
  for _ in $(seq 1 60); do # start may return before the server accepts connections
    if su postgres -c "pg_isready -q -h 127.0.0.1 -p $port"; then break; fi
    sleep 0.5
  done
  su postgres -c "pg_isready -h 127.0.0.1 -p $port" >&2

  pg_sql() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -tAc \"$1\""; }
  if [ "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != 1 ]; then
    echo "--- creating role $user" >&2
    pg_sql "CREATE ROLE $user LOGIN PASSWORD '$hubbub_pg_password'" >&2
  fi
  if [ "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
    echo "--- creating database $db" >&2
    su postgres -c "createdb -p $port -O $user $db" >&2
  fi
)

if ! hubbub_pg_setup; then
  echo "postgres.sh: could not prepare PostgreSQL" >&2
  return 1 2>/dev/null || exit 1
fi

export HUBBUB_TEST_POSTGRES="postgres://$hubbub_pg_user:$hubbub_pg_password@127.0.0.1:$hubbub_pg_port/$hubbub_pg_db?sslmode=disable"
export HUBBUB_REQUIRE_POSTGRES=1

if [ "${BASH_SOURCE[0]}" = "$0" ]; then # executed, not sourced: print the lines for eval
  echo "export HUBBUB_TEST_POSTGRES='$HUBBUB_TEST_POSTGRES'"
  echo "export HUBBUB_REQUIRE_POSTGRES=1"
fi

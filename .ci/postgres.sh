#!/usr/bin/env bash
# Makes a local PostgreSQL ready for the internal/postgres tests and exports the variables
# that make them mandatory. Idempotent: installs only if missing, starts the cluster only if
# down, creates the role and database only if absent. Needs root (Debian 12: cluster 15/main).
#
# Use from .ci/run:   source .ci/postgres.sh
# or by hand:         eval "$(.ci/postgres.sh)"   (prints the export lines when executed)
set -euo pipefail

HUBBUB_PG_VERSION=${HUBBUB_PG_VERSION:-15}
HUBBUB_PG_PORT=${HUBBUB_PG_PORT:-5432}
HUBBUB_PG_USER=${HUBBUB_PG_USER:-hubbub}
HUBBUB_PG_PASSWORD=${HUBBUB_PG_PASSWORD:-hubbub}
HUBBUB_PG_DB=${HUBBUB_PG_DB:-hubbub}

if ! command -v pg_ctlcluster >/dev/null || [ ! -x "/usr/lib/postgresql/$HUBBUB_PG_VERSION/bin/postgres" ]; then
  echo "--- installing postgresql" >&2
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
fi

if ! pg_lsclusters -h | awk -v v="$HUBBUB_PG_VERSION" '$1 == v && $2 == "main" && $4 == "online" {found=1} END {exit !found}'; then
  echo "--- starting cluster $HUBBUB_PG_VERSION/main" >&2
  pg_ctlcluster "$HUBBUB_PG_VERSION" main start >&2
fi

# Wait until the server accepts connections (start returns early on a slow machine).
for _ in $(seq 1 60); do
  if su postgres -c "pg_isready -q -h 127.0.0.1 -p $HUBBUB_PG_PORT"; then break; fi
  sleep 0.5
done
su postgres -c "pg_isready -h 127.0.0.1 -p $HUBBUB_PG_PORT" >&2

pg_sql() { su postgres -c "psql -p $HUBBUB_PG_PORT -v ON_ERROR_STOP=1 -tAc \"$1\""; }

if [ "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = '$HUBBUB_PG_USER'")" != 1 ]; then
  echo "--- creating role $HUBBUB_PG_USER" >&2
  # SUPERUSER is not needed by the store; tests create and drop a schema each, which the
  # database owner may do.
  pg_sql "CREATE ROLE $HUBBUB_PG_USER LOGIN PASSWORD '$HUBBUB_PG_PASSWORD'" >&2
fi
if [ "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = '$HUBBUB_PG_DB'")" != 1 ]; then
  echo "--- creating database $HUBBUB_PG_DB" >&2
  su postgres -c "createdb -p $HUBBUB_PG_PORT -O $HUBBUB_PG_USER $HUBBUB_PG_DB" >&2
fi

export HUBBUB_TEST_POSTGRES="postgres://$HUBBUB_PG_USER:$HUBBUB_PG_PASSWORD@127.0.0.1:$HUBBUB_PG_PORT/$HUBBUB_PG_DB?sslmode=disable"
export HUBBUB_REQUIRE_POSTGRES=1

# Executed rather than sourced: print the lines for eval.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "export HUBBUB_TEST_POSTGRES='$HUBBUB_TEST_POSTGRES'"
  echo "export HUBBUB_REQUIRE_POSTGRES=1"
fi

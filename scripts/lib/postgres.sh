#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a fresh temporary
# directory, one server on 127.0.0.1 at a free port (its Unix socket inside
# that directory), trust authentication (loopback only) or, with
# KURA_PG_PASSWORD=1, a generated password for TCP logins (scram-sha-256;
# the URL then carries it), fsync and
# synchronous commit on (the durability tests need real commits), C locale
# (byte-order sorting, as SQLite), and a database `kura`.
#
#   scripts/lib/postgres.sh start    prints, as shell assignments,
#                                      export KURA_PG_DIR=/tmp/kura-pg.XXXXXX
#                                      export KURA_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/kura
#                                    exits non-zero (stopping what it started,
#                                    showing the server log) if the cluster
#                                    does not come up
#   scripts/lib/postgres.sh stop DIR stops the cluster of DIR and removes DIR
#   scripts/lib/postgres.sh available  exits 0 when the server binaries exist
#
# Or source it and call kura_pg_start / kura_pg_stop. Capture start's output
# before eval (a failed start inside eval "$(...)" would go unnoticed):
#   env=$(scripts/lib/postgres.sh start) || exit 1; eval "$env"
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to and runs
# as the `postgres` user (or `nobody` when there is none). Settings:
# KURA_PG_BIN (the directory of initdb/pg_ctl; default: the newest
# /usr/lib/postgresql/*/bin), KURA_PG_BASE_DIR (default $TMPDIR or /tmp).
set -euo pipefail

KURA_PG_MARKER=".kura-throwaway-postgres"

kura_pg_bin() {
  local dir="${KURA_PG_BIN:-}"
  [ -n "$dir" ] || dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || return 1
  echo "$dir"
}

kura_pg_available() { kura_pg_bin >/dev/null 2>&1; }

# The account the server runs as: ourselves, or an unprivileged one as root.
kura_pg_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
  elif id postgres >/dev/null 2>&1; then
    echo postgres
  else
    echo nobody
  fi
}

# Runs "$@" as the cluster's account.
kura_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$(kura_pg_user)" -- "$@"
  else
    "$@"
  fi
}

kura_pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

kura_pg_start() {
  local bin dir port attempt
  bin=$(kura_pg_bin) || {
    echo "postgres.sh: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); install postgresql" >&2
    return 1
  }
  dir=$(mktemp -d "${KURA_PG_BASE_DIR:-${TMPDIR:-/tmp}}/kura-pg.XXXXXX")
  touch "$dir/$KURA_PG_MARKER"
  local auth=(-A trust) password="" userinfo=postgres
  if [ "${KURA_PG_PASSWORD:-0}" = 1 ]; then
    # URL-safe characters only: the password goes into the URL as it is.
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    (umask 077 && printf '%s\n' "$password" >"$dir/password")
    auth=(--auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/password")
    userinfo="postgres:$password"
  fi
  if [ "$(id -u)" -eq 0 ]; then chown -R "$(kura_pg_user)" "$dir"; fi
  # initdb's own fsync of the new files is skipped (--no-sync): the cluster is
  # thrown away; the server itself runs with fsync on.
  if ! kura_pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres "${auth[@]}" -E UTF8 --locale=C --no-sync \
      --no-instructions >"$dir/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    return 1
  fi
  # A free port can be taken between the probe and the bind: try a few.
  for attempt in 1 2 3; do
    port=$(kura_pg_free_port)
    if kura_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=on \
            -c synchronous_commit=on -c max_connections=200" start >/dev/null 2>&1; then
      # Over the cluster's Unix socket, where logins are trusted.
      if kura_pg_as_owner "$bin/createdb" -h "$dir" -p "$port" -U postgres kura >>"$dir/server.log" 2>&1; then
        echo "export KURA_PG_DIR=$dir"
        echo "export KURA_TEST_POSTGRES_URL=postgresql://$userinfo@127.0.0.1:$port/kura"
        return 0
      fi
      break
    fi
  done
  echo "postgres.sh: the server did not start; its log:" >&2
  cat "$dir/server.log" >&2 2>/dev/null || true
  kura_pg_stop "$dir"
  return 1
}

kura_pg_stop() {
  local dir="${1:?usage: postgres.sh stop DIR}" bin
  # Only a directory this script made: never remove anything else.
  [ -f "$dir/$KURA_PG_MARKER" ] || {
    echo "postgres.sh: $dir is not a throwaway cluster of this script" >&2
    return 1
  }
  if [ -f "$dir/data/postmaster.pid" ] && bin=$(kura_pg_bin); then
    # immediate: the data is discarded, so no shutdown checkpoint is needed.
    kura_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 -s stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start) kura_pg_start ;;
    stop) kura_pg_stop "${2:-}" ;;
    available) kura_pg_available ;;
    *)
      echo "usage: $0 start | stop DIR | available" >&2
      exit 2
      ;;
  esac
fi

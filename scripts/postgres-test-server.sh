#!/bin/sh
# A private PostgreSQL server for the tests:  postgres-test-server.sh start|stop|url|status|destroy
#
#   start    install Debian's postgresql if missing (apt-get, non-interactive), create a cluster
#            in a private directory owned by the `postgres` user (the server refuses to run as
#            root), start it on 127.0.0.1 on a free port, create the role `workbench` (password,
#            CREATEDB: each test makes its own database) and the database `workbench_test`,
#            write the URL to .pgdata/url and print it. Idempotent; fast when already running.
#   stop     stop the server (the cluster stays, so the next start is quick)
#   url      print the URL of the running server (exit 1 when it is not running)
#   status   say whether it runs
#   destroy  stop it and remove the cluster and .pgdata/
#
# Settings (environment): WORKBENCH_PG_DIR   cluster directory (default /tmp/workbench-pg-<hash
#                                            of this checkout's path>: a directory the postgres
#                                            user can reach even when the checkout is under /root)
#                         WORKBENCH_PG_PORT  port to use (default: the last one if free, else any)
# The server is for tests only: fsync is off and it listens on 127.0.0.1 only.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
STATE="$REPO/.pgdata"                       # url, password, port: read by tests/db/plugin.py
URL_FILE="$STATE/url"
KEY=$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)
CLUSTER=${WORKBENCH_PG_DIR:-/tmp/workbench-pg-$KEY}
DATA="$CLUSTER/data"
SOCKETS="$CLUSTER/sockets"
LOG="$CLUSTER/server.log"
ROLE=workbench
DATABASE=workbench_test

say() { echo "postgres-test-server: $*" >&2; }
die() { say "$*"; exit 1; }

# Every path below is absolute; the postgres user may not be allowed into the caller's directory.
cd /
# One invocation at a time (parallel test workers may all ask for the server at once).
mkdir -p "$STATE"
# the directory ignores itself, so the password never reaches git
[ -f "$STATE/.gitignore" ] || printf '*\n' >"$STATE/.gitignore"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE/.lock"
    flock 9
fi

# The server and its tools run as `postgres` when we are root, as ourselves otherwise.
if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    OWNER=$(id -un)
    as_owner() { "$@"; }
fi

find_bin() {
    # the newest installed server version
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install_server() {
    command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server and no apt-get: install PostgreSQL (>= 13) or set WORKBENCH_TEST_PG_URL"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "no PostgreSQL server installed; run as root to install it"
        SUDO="sudo -E"
    fi
    say "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >&2
    $SUDO apt-get install -y -q --no-install-recommends postgresql >&2
}

free_port() {
    wanted=${WORKBENCH_PG_PORT:-$(cat "$STATE/port" 2>/dev/null || true)}
    python3 - "$wanted" <<'EOF'
import socket, sys
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return None
        return s.getsockname()[1]
wanted = sys.argv[1]
print((wanted.isdigit() and free(int(wanted))) or free(0))
EOF
}

running() {
    [ -n "${BIN:-}" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

port_of_running() {
    # postmaster.pid line 4 is the port the server really listens on
    sed -n 4p "$DATA/postmaster.pid"
}

psql_admin() {
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKETS" -p "$PORT" -U postgres -d postgres "$@"
}

write_url() {
    echo "$PORT" >"$STATE/port"
    url="postgresql+psycopg://$ROLE:$(cat "$STATE/password")@127.0.0.1:$PORT/$DATABASE"
    printf '%s\n' "$url" >"$URL_FILE.tmp"
    chmod 600 "$URL_FILE.tmp"
    mv "$URL_FILE.tmp" "$URL_FILE"
    printf '%s\n' "$url"
}

init_cluster() {
    say "creating a cluster in $DATA"
    mkdir -p "$CLUSTER"
    chown "$OWNER" "$CLUSTER"
    chmod 700 "$CLUSTER"
    as_owner mkdir -p "$SOCKETS"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C --no-sync \
        --auth-local=trust --auth-host=scram-sha-256 >"$CLUSTER/initdb.log" 2>&1 \
        || { cat "$CLUSTER/initdb.log" >&2; die "initdb failed"; }
    # A throw-away test server: durability is not wanted, speed is.
    as_owner sh -c "cat >>'$DATA/postgresql.conf'" <<EOF

# written by scripts/postgres-test-server.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKETS'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
}

start() {
    BIN=$(find_bin) || { install_server; BIN=$(find_bin) || die "postgresql installed but no server binaries found"; }
    if running && [ -s "$URL_FILE" ] && [ -s "$STATE/password" ]; then
        PORT=$(port_of_running)
        if as_owner "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
            write_url  # from the port really in use, whatever the file said
            return 0
        fi
    fi
    [ -f "$DATA/PG_VERSION" ] || init_cluster
    if ! running; then
        tries=0
        while :; do
            PORT=$(free_port)
            # 9>&-: the server must not inherit the lock of this script, or it would hold it forever
            as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -o "-p $PORT" -w -t 60 start >/dev/null 2>&1 9>&- && break
            tries=$((tries + 1))
            # another process may have taken the port between the check and the start
            [ "$tries" -lt 3 ] || { tail -n 20 "$LOG" >&2; die "the server did not start (log: $LOG)"; }
        done
        say "started on 127.0.0.1:$PORT (data: $DATA)"
    fi
    PORT=$(port_of_running)
    if [ ! -s "$STATE/password" ]; then
        (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$STATE/password")
    fi
    password=$(cat "$STATE/password")
    psql_admin <<EOF
SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$ROLE') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE')
\gexec
ALTER ROLE $ROLE PASSWORD '$password';
-- a test drops its database WITH (FORCE); an autovacuum worker on it belongs to the superuser,
-- and ending it needs pg_signal_backend (else: "must be a member of the role whose process is
-- being terminated", now and then, at a test's teardown)
GRANT pg_signal_backend TO $ROLE;
SELECT format('CREATE DATABASE %I OWNER %I', '$DATABASE', '$ROLE') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE')
\gexec
EOF
    write_url
}

stop() {
    BIN=$(find_bin) || { say "not installed"; return 0; }
    if running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
        say "stopped"
    else
        say "not running"
    fi
    rm -f "$URL_FILE"
}

url() {
    BIN=$(find_bin) || die "not installed; run: $0 start"
    if running && [ -s "$STATE/password" ]; then
        PORT=$(port_of_running)
        write_url
    else
        die "not running; run: $0 start"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) url ;;
    status)
        BIN=$(find_bin) || { echo "not installed"; exit 1; }
        if running; then PORT=$(port_of_running); echo "running on 127.0.0.1:$PORT (data: $DATA)"; else echo "stopped"; exit 1; fi ;;
    destroy)
        stop
        rm -rf "$CLUSTER" "$STATE"
        say "removed $CLUSTER and $STATE" ;;
    *) echo "usage: $0 start|stop|url|status|destroy" >&2; exit 2 ;;
esac

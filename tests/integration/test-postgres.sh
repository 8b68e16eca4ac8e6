#!/usr/bin/env bash
# Real-server test: `mailcert check postgres://` against PostgreSQL 15 on
# loopback (SSLRequest, answered 'S' or 'N').
#
# usage: test-postgres.sh PATH-TO-MAILCERT
#
# Makes a private cluster (initdb as user postgres, trust authentication,
# its unix socket in the temporary directory) listening on a free
# 127.0.0.1 high port with ssl=on and a test PKI's certificates (root →
# intermediate → leaf mail.test; the cert file holds leaf + intermediate,
# both sent). Checks the good chain against what `openssl s_client
# -starttls postgres` sees on the same port, the chain without the test
# root, a wrong expected name; then reloads with ssl=off and checks that
# the refusal ('N') is reported as starttls.refused.
# Needs root, postgresql-15, gnutls-bin, openssl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
PGBIN=/usr/lib/postgresql/15/bin
for tool in "$PGBIN/initdb" "$PGBIN/pg_ctl" certtool openssl python3 runuser; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed (postgresql-15, gnutls-bin, openssl)" >&2
		exit 2
	}
done
id postgres >/dev/null 2>&1 || {
	echo "$0: there is no postgres user (install postgresql-15)" >&2
	exit 2
}

HOST=mail.test

it_workdir
PKI=$IT_WORK/pki
PG=$IT_WORK/pg
PGDATA=$PG/data
PG_LOG=$PG/postgres.log

# ---------------------------------------------------------------------------
# PostgreSQL

as_postgres() {
	runuser -u postgres -- "$@"
}

# make_cluster: initdb as postgres (trust: nobody logs in anyway), then
# the settings for this test: loopback only, our port, the unix socket
# beside the data, ssl=on with PG/server.crt (leaf + intermediate) and
# PG/server.key (0600, owned by postgres, or the server refuses it).
make_cluster() {
	mkdir -p "$PG/sock"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$PG/server.crt"
	install -m 0600 "$PKI/good.key" "$PG/server.key"
	chown -R postgres:postgres "$PG"
	as_postgres "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres --locale=C -E UTF8 \
		--no-sync >"$PG/initdb.log" 2>&1 || it_bail "initdb (see $PG/initdb.log)"
	cat >>"$PGDATA/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = $PORT
		unix_socket_directories = '$PG/sock'
		fsync = off
		shared_buffers = 16MB
		max_connections = 10
		ssl = on
		ssl_cert_file = '$PG/server.crt'
		ssl_key_file = '$PG/server.key'
	EOF
}

pg_stop() {
	it_stop_pidfile "$PGDATA/postmaster.pid" 10
}

pg_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	[ -s "$PG_LOG" ] || return 0
	it_note "--- last lines of $PG_LOG"
	tail -n 40 "$PG_LOG" | sed 's/^/#   | /'
}

start_postgres() {
	make_cluster
	it_on_exit pg_stop
	it_on_exit pg_dump_log_on_failure
	as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 20 start >/dev/null 2>&1 ||
		it_bail "pg_ctl start (see $PG_LOG)"
	it_wait_port 127.0.0.1 "$PORT" 10 || it_bail "postgres listens on port $PORT"
	it_ok "postgres started (pid $(it_read_pidfile "$PGDATA/postmaster.pid" || echo '?')), port $PORT"
}

# ---------------------------------------------------------------------------
# The scenarios

CA=() # set once the PKI exists

# PostgreSQL 15 has no direct TLS: it takes the ClientHello for a startup
# packet of absurd length and hangs up. The message says what to use.
direct_tls_on_15() {
	local target="postgres://$HOST:$PORT" desc msg
	desc="--direct-tls, $target (PostgreSQL 15)"
	mc "$target" "${CA[@]}" --direct-tls
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" tls.handshake
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message says direct TLS needs 17" \
		"direct TLS needs PostgreSQL 17 or later, while SSLRequest (the default) works" "$msg"
}

# refused_now: one check; true when it reports starttls.refused.
refused_now() {
	mc "postgres://$HOST:$PORT" "${CA[@]}"
	has_finding "$IT_LAST_OUT" starttls.refused
}

wait_refused() {
	local deadline=$((SECONDS + 10))
	until refused_now; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# ssl=off: the server answers the SSLRequest with 'N'. pg_ctl reload
# re-reads the SSL settings (PostgreSQL 10 and later).
ssl_off() {
	local target="postgres://$HOST:$PORT" desc msg
	desc="ssl=off, $target"
	echo "ssl = off" >>"$PGDATA/postgresql.conf"
	as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" reload >/dev/null 2>&1 || it_bail "pg_ctl reload"
	it_check "$desc: the server refuses SSL after reload" wait_refused
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.refused
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message says the server answered 'N'" "'N'" "$msg"
	it_contains "$desc: the message names ssl=off" "ssl=off" "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

main() {
	local started=$SECONDS
	read -r PORT < <(it_free_ports 1)

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	start_postgres

	good_chain postgres "$PORT" -starttls postgres
	untrusted_without_ca_file postgres "$PORT"
	wrong_name postgres "$PORT"
	direct_tls_on_15
	ssl_off

	it_note "postgres scenarios took $((SECONDS - started)) s"
	it_finish
}

main

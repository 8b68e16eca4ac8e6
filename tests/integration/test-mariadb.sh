#!/usr/bin/env bash
# Real-server test: `mailcert check mysql://` against MariaDB 10.11 on
# loopback (HandshakeV10 with CLIENT_SSL, the SSLRequest packet, TLS).
#
# usage: test-mariadb.sh PATH-TO-MAILCERT
#
# Makes a private data directory (mariadb-install-db, root by unix socket
# only) and starts mariadbd on a free 127.0.0.1 high port with
# skip-name-resolve and a test PKI's certificates (root → intermediate →
# leaf mail.test; ssl-cert holds leaf + intermediate, both sent). First,
# with no account for host 127.0.0.1, the server answers with ERR 1130
# instead of its greeting: mailcert must say so, quoting it. Then, with
# 'test'@'127.0.0.1' created over the unix socket: the good chain against
# what `openssl s_client -starttls mysql` sees on the same port, the chain
# without the test root, a wrong expected name. Last, restarted without
# ssl-cert/ssl-key, the greeting lacks CLIENT_SSL: starttls.not-offered.
# Needs root, mariadb-server, gnutls-bin, openssl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in mariadbd mariadb-install-db mariadb certtool openssl python3 setsid; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed (mariadb-server, gnutls-bin, openssl)" >&2
		exit 2
	}
done
id mysql >/dev/null 2>&1 || {
	echo "$0: there is no mysql user (install mariadb-server)" >&2
	exit 2
}

HOST=mail.test

it_workdir
PKI=$IT_WORK/pki
# Short: the unix socket path may not exceed 107 bytes.
M=$IT_WORK/my
M_PIDFILE=$M/mariadbd.pid
M_LOG=$M/error.log

# ---------------------------------------------------------------------------
# MariaDB

# write_config FILE [ssl]: a defaults file for the private server; with
# "ssl", ssl-cert/ssl-key (the key readable by mysql, which mariadbd has
# become when it loads it).
write_config() {
	cat >"$1" <<-EOF
		[client]
		socket = $M/sock
		[mariadbd]
		user = mysql
		datadir = $M/data
		socket = $M/sock
		pid-file = $M_PIDFILE
		log-error = $M_LOG
		bind-address = 127.0.0.1
		port = $PORT
		skip-name-resolve
		innodb_buffer_pool_size = 16M
		innodb_log_file_size = 4M
	EOF
	if [ "${2:-}" = ssl ]; then
		printf 'ssl-cert = %s\nssl-key = %s\n' "$M/server.crt" "$M/server.key" >>"$1"
	fi
}

mariadb_stop() {
	it_stop_pidfile "$M_PIDFILE" 20
}

mariadb_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	[ -s "$M_LOG" ] || return 0
	it_note "--- last lines of $M_LOG"
	tail -n 40 "$M_LOG" | sed 's/^/#   | /'
}

# wait_pidfile SECONDS: mariadbd writes its pid file once it is ready.
wait_pidfile() {
	local deadline=$((SECONDS + $1))
	until it_read_pidfile "$M_PIDFILE" >/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

install_db() {
	mkdir -p "$M/data"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$M/server.crt"
	install -m 0600 "$PKI/good.key" "$M/server.key"
	write_config "$M/ssl.cnf" ssl
	write_config "$M/nossl.cnf"
	chown -R mysql:mysql "$M"
	mariadb-install-db --defaults-file="$M/ssl.cnf" --user=mysql --skip-test-db \
		--auth-root-authentication-method=socket >"$M/install.log" 2>&1 ||
		it_bail "mariadb-install-db (see $M/install.log)"
}

# start_mariadb CONFIG: mariadbd in the background, in its own session, as
# root (it becomes mysql); ready once its pid file exists.
start_mariadb() {
	rm -f "$M_PIDFILE"
	setsid mariadbd --defaults-file="$M/$1" </dev/null >>"$M/stdout.log" 2>&1 &
	wait_pidfile 20 || it_bail "mariadbd ($1) wrote no pid file (see $M_LOG)"
	it_wait_port 127.0.0.1 "$PORT" 10 || it_bail "mariadbd listens on port $PORT"
	it_ok "mariadbd started with $1 (pid $(it_read_pidfile "$M_PIDFILE" || echo '?')), port $PORT"
}

# sql STATEMENT: run it as root over the unix socket.
sql() {
	mariadb --defaults-file="$M/ssl.cnf" -u root -e "$1"
}

# ---------------------------------------------------------------------------
# The scenarios

CA=() # set once the PKI exists

# No account for 127.0.0.1: ERR 1130 where the greeting should be.
host_not_allowed() {
	local target="mysql://$HOST:$PORT" desc msg
	desc="no account for 127.0.0.1, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" protocol.unexpected
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message names error 1130" "error 1130" "$msg"
	it_contains "$desc: the message quotes the server" \
		"\"Host '127.0.0.1' is not allowed to connect" "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

# Without ssl-cert/ssl-key MariaDB 10.11 has no TLS: no CLIENT_SSL.
ssl_not_offered() {
	local target="mysql://$HOST:$PORT" desc msg
	desc="no ssl-cert, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.not-offered
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message names CLIENT_SSL" "CLIENT_SSL" "$msg"
	it_contains "$desc: the message quotes the version" "MariaDB" "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

main() {
	local started=$SECONDS
	read -r PORT < <(it_free_ports 1)

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	install_db
	it_on_exit mariadb_stop
	it_on_exit mariadb_dump_log_on_failure

	start_mariadb ssl.cnf
	host_not_allowed
	it_check "create 'test'@'127.0.0.1' over the unix socket" \
		sql "CREATE USER 'test'@'127.0.0.1'"
	good_chain mysql "$PORT" -starttls mysql
	untrusted_without_ca_file mysql "$PORT"
	wrong_name mysql "$PORT"

	mariadb_stop || it_bail "mariadbd stops"
	start_mariadb nossl.cnf
	ssl_not_offered

	it_note "mariadb scenarios took $((SECONDS - started)) s"
	it_finish
}

main

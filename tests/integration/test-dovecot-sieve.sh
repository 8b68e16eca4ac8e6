#!/usr/bin/env bash
# Real-server test: `mailcert check sieve://` against Dovecot 2.3's
# ManageSieve server (Pigeonhole, RFC 5804: capabilities, STARTTLS, OK) on
# loopback.
#
# usage: test-dovecot-sieve.sh PATH-TO-MAILCERT
#
# Starts two private Dovecot instances (each its own config, base_dir,
# instance_name, state_dir and log under a temporary directory, none shared
# with test-dovecot-lmtp.sh or test-dovecot.sh) that speak only ManageSieve
# on free 127.0.0.1 high ports: one with STARTTLS and the test PKI's leaf
# mail.test + intermediate, one with `ssl = no`, whose capabilities lack
# STARTTLS. Checks the good chain against what `openssl s_client -starttls
# sieve` sees on the same port, the chain without the test root, a wrong
# expected name, and starttls.not-offered from the second instance.
# Needs root, dovecot-core, dovecot-managesieved, gnutls-bin, openssl and
# python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Plain `shellcheck` (without -x) does not follow it: SC1091 is only that.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in dovecot certtool gnutls-cli openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done
# dovecot-core alone has no ManageSieve binaries: the service would fail at
# the first connection, not at start.
if [ ! -x /usr/lib/dovecot/managesieve-login ] || [ ! -x /usr/lib/dovecot/managesieve ]; then
	echo "$0: /usr/lib/dovecot/managesieve{,-login} missing (install dovecot-managesieved)" >&2
	exit 2
fi

HOST=mail.test

it_workdir
PKI=$IT_WORK/pki

# ---------------------------------------------------------------------------
# Dovecot

# Short names: Dovecot's unix sockets live in base_dir, and a socket path
# may not exceed 107 bytes.
dv_dir() {
	printf '%s/sv-%s' "$IT_WORK" "$1"
}

# write_config NAME PORT SSL: DIR/dovecot.conf for a private instance that
# speaks only ManageSieve on 127.0.0.1:PORT; SSL "yes" offers STARTTLS
# with DIR/cert.pem (leaf then intermediate) and DIR/key.pem, "no" offers
# none. No mail is read; the static passdb/userdb only make the config
# complete.
write_config() {
	local name=$1 port=$2 ssl=$3 dir
	dir=$(dv_dir "$name")
	mkdir -p "$dir/run" "$dir/state"
	{
		cat <<-EOF
			base_dir = $dir/run
			instance_name = mailcert-it-sieve-$name
			state_dir = $dir/state
			log_path = $dir/dovecot.log
			info_log_path = $dir/dovecot.log
			debug_log_path = $dir/dovecot.log
			hostname = $HOST
			protocols = sieve
			listen = 127.0.0.1
			ssl = $ssl
		EOF
		if [ "$ssl" = yes ]; then
			cat <<-EOF
				ssl_cert = <$dir/cert.pem
				ssl_key = <$dir/key.pem
			EOF
		fi
		cat <<-EOF
			mail_location = maildir:$dir/mail/%u
			passdb {
			  driver = static
			  args = nopassword=y
			}
			userdb {
			  driver = static
			  args = uid=nobody gid=nogroup home=$dir/home/%u
			}
			service managesieve-login {
			  inet_listener sieve {
			    address = 127.0.0.1
			    port = $port
			  }
			}
		EOF
	} >"$dir/dovecot.conf"
	if [ "$ssl" = yes ]; then
		cat "$PKI/good.pem" "$PKI/inter.pem" >"$dir/cert.pem"
		install -m 0600 "$PKI/good.key" "$dir/key.pem"
	fi
}

# Dovecot's own log and command output, when something went wrong.
dump_logs_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$(dv_dir "$1")/dovecot.log" "$(dv_dir "$1")/command.log"; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

# start_dovecot NAME PORT SSL: writes the config, starts the master and
# waits for the port. It stops by its pid file (taking its children).
start_dovecot() {
	local name=$1 port=$2 dir pidfile
	dir=$(dv_dir "$name")
	pidfile=$dir/run/master.pid
	write_config "$@"
	it_on_exit it_stop_pidfile "$pidfile" 10
	it_on_exit dump_logs_on_failure "$name"
	dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/command.log" 2>&1 ||
		it_bail "dovecot $name start (see $dir/command.log)"
	it_wait_port 127.0.0.1 "$port" 10 || it_bail "dovecot $name listens on port $port"
	it_ok "dovecot $name started (pid $(it_read_pidfile "$pidfile" || echo '?')), ManageSieve on $port"
}

# ---------------------------------------------------------------------------
# The scenarios

CA=() # set once the PKI exists

# Dovecot with ssl = no leaves "STARTTLS" out of its capabilities.
not_offered() {
	local target="sieve://$HOST:$1" desc msg
	desc="dovecot with ssl = no, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.not-offered
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message lists the capabilities" \
		'IMPLEMENTATION SIEVE NOTIFY SASL VERSION' "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

main() {
	local started=$SECONDS TLS PLAIN
	read -r TLS PLAIN < <(it_free_ports 2)

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	start_dovecot tls "$TLS" yes
	start_dovecot plain "$PLAIN" no
	it_check "dovecot serves the 'good' leaf after STARTTLS (gnutls-cli)" \
		it_wait_served 127.0.0.1 "$TLS" sieve "$(it_cert_sha256 "$PKI/good.pem")" 10

	good_chain sieve "$TLS" -starttls sieve
	untrusted_without_ca_file sieve "$TLS"
	wrong_name sieve "$TLS"
	not_offered "$PLAIN"

	it_note "dovecot ManageSieve scenarios took $((SECONDS - started)) s"
	it_finish
}

main

#!/usr/bin/env bash
# Real-server test: `mailcert check irc://` (IRCv3 STARTTLS, 670) and
# ircs:// (implicit TLS) against InspIRCd 3 on loopback.
#
# usage: test-inspircd.sh PATH-TO-MAILCERT
#
# Starts a private InspIRCd (own config, pid file, log under a temporary
# directory) as user irc (it refuses root) with m_ssl_gnutls, m_starttls and
# m_cap: a plaintext <bind> with STARTTLS and an implicit-TLS <bind> using the
# same <sslprofile> (test PKI: leaf mail.test + intermediate). For each
# endpoint: OK with the test root, chain equal to what
# `openssl s_client [-starttls irc]` sees, CRITICAL without the root,
# name.mismatch with -n other.test.
# Needs root, inspircd, gnutls-bin, openssl and python3.

# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in inspircd runuser certtool gnutls-cli openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

HOST=mail.test
it_workdir
PKI=$IT_WORK/pki
IR=$IT_WORK/ircd
IR_CONF=$IR/inspircd.conf
IR_PIDFILE=$IR/inspircd.pid
IR_LOG=$IR/inspircd.log
IR_OUT=$IR/inspircd-command.log

write_config() {
	mkdir -p "$IR"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$IR/cert.pem"
	install -m 0600 "$PKI/good.key" "$IR/key.pem"
	cat >"$IR_CONF" <<-EOF
		<config format="xml">
		<server name="$HOST" description="mailcert test" network="mailcerttest">
		<admin name="test" nick="test" email="test@$HOST">
		<module name="ssl_gnutls">
		<module name="starttls">
		<module name="cap">
		<sslprofile name="test" provider="gnutls" certfile="$IR/cert.pem" keyfile="$IR/key.pem" hash="sha256" requestclientcert="no">
		<starttls enabled="yes" provider="test">
		<bind address="127.0.0.1" port="$PORT_IRC" type="clients">
		<bind address="127.0.0.1" port="$PORT_IRCS" type="clients" sslprofile="test">
		<connect allow="*" resolvehostnames="no" useident="no" timeout="20">
		<pid file="$IR_PIDFILE">
		<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$IR_LOG">
		<options defaultmodes="">
		<dns timeout="1">
		<security runasuser="" runasgroup="">
	EOF
	chown -R irc "$IR"
}

ircd_stop() { it_stop_pidfile "$IR_PIDFILE" 10; }

ircd_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$IR_OUT" "$IR_LOG"; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

start_ircd() {
	write_config
	it_on_exit ircd_stop
	it_on_exit ircd_dump_log_on_failure
	runuser -u irc -- inspircd --config "$IR_CONF" </dev/null >>"$IR_OUT" 2>&1 || it_bail "inspircd start"
	it_wait_port 127.0.0.1 "$PORT_IRCS" 10 || it_bail "inspircd listens on port $PORT_IRCS"
	it_wait_port 127.0.0.1 "$PORT_IRC" 10 || it_bail "inspircd listens on port $PORT_IRC"
	it_ok "inspircd started (pid $(it_read_pidfile "$IR_PIDFILE" || echo '?')), irc $PORT_IRC, ircs $PORT_IRCS"
}

CA=()

endpoint() {
	local scheme=$1 port=$2 starttls=$3
	good_chain "$scheme" "$port" ${starttls:+-starttls "$starttls"}
	untrusted_without_ca_file "$scheme" "$port"
	wrong_name "$scheme" "$port"
}

main() {
	local started=$SECONDS
	read -r PORT_IRC PORT_IRCS < <(it_free_ports 2)
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	start_ircd

	endpoint irc "$PORT_IRC" irc
	endpoint ircs "$PORT_IRCS" ""

	it_note "inspircd scenarios took $((SECONDS - started)) s"
	it_finish
}

main

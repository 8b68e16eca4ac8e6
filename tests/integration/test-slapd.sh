#!/usr/bin/env bash
# Real-server test: `mailcert check ldap://` (StartTLS, RFC 4511 section
# 4.14) and `ldaps://` (implicit TLS) against OpenLDAP slapd 2.5 on loopback.
#
# usage: test-slapd.sh PATH-TO-MAILCERT
#
# Starts one slapd on two free 127.0.0.1 high ports (ldap:// and ldaps://)
# from a minimal slapd.conf in the temporary directory: pid and args files,
# the test PKI's leaf mail.test + intermediate, no database (StartTLS needs
# none). Checks the good chain on both against what `openssl s_client
# [-starttls ldap]` sees on the same port, the chain without the test root,
# a wrong expected name; then a second slapd without any TLS settings,
# which answers StartTLS with protocolError "unsupported extended
# operation": starttls.refused.
# Needs root, slapd, gnutls-bin, openssl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
SLAPD=/usr/sbin/slapd
for tool in "$SLAPD" certtool openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed (slapd, gnutls-bin, openssl)" >&2
		exit 2
	}
done
id openldap >/dev/null 2>&1 || {
	echo "$0: there is no openldap user (install slapd)" >&2
	exit 2
}

HOST=mail.test

it_workdir
PKI=$IT_WORK/pki
L=$IT_WORK/slapd

# ---------------------------------------------------------------------------
# slapd

# write_conf NAME [TLS]: $L/NAME.conf with its own pid and args files, and
# with TLS the leaf + intermediate and the key (read by openldap).
write_conf() {
	local name=$1 tls=${2:-}
	{
		echo "pidfile $L/$name.pid"
		echo "argsfile $L/$name.args"
		if [ -n "$tls" ]; then
			echo "TLSCACertificateFile $PKI/root.pem"
			echo "TLSCertificateFile $L/server.crt"
			echo "TLSCertificateKeyFile $L/server.key"
		fi
	} >"$L/$name.conf"
}

# start_slapd NAME URLS...: slapd as openldap, waits for every port.
start_slapd() {
	local name=$1 url port
	shift
	it_on_exit it_stop_pidfile "$L/$name.pid" 10
	"$SLAPD" -h "$*" -f "$L/$name.conf" -u openldap -g openldap >"$L/$name.log" 2>&1 ||
		it_bail "slapd $name (see $L/$name.log)"
	for url in "$@"; do
		port=${url##*:}
		port=${port%/}
		it_wait_port 127.0.0.1 "$port" 10 || it_bail "slapd $name listens on port $port"
	done
	it_ok "slapd $name started (pid $(it_read_pidfile "$L/$name.pid" || echo '?')), $*"
}

setup() {
	mkdir -p "$L"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$L/server.crt"
	install -m 0600 "$PKI/good.key" "$L/server.key"
	write_conf tls tls
	write_conf plain
	chown -R openldap:openldap "$L"
	chmod o+rx "$IT_WORK" "$PKI"
	chmod o+r "$PKI/root.pem"
}

# ---------------------------------------------------------------------------
# The scenarios

CA=() # set once the PKI exists

# slapd without TLS settings: protocolError (2) "unsupported extended operation".
refused() {
	local target="ldap://$HOST:$1" desc msg
	desc="slapd without TLS, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.refused
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message names the result" "protocolError (2)" "$msg"
	it_contains "$desc: the message quotes slapd" '"unsupported extended operation"' "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

main() {
	local started=$SECONDS LDAP LDAPS PLAIN
	read -r LDAP LDAPS PLAIN < <(it_free_ports 3)

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	setup
	start_slapd tls "ldap://127.0.0.1:$LDAP/" "ldaps://127.0.0.1:$LDAPS/"
	start_slapd plain "ldap://127.0.0.1:$PLAIN/"

	good_chain ldap "$LDAP" -starttls ldap
	good_chain ldaps "$LDAPS"
	untrusted_without_ca_file ldap "$LDAP"
	untrusted_without_ca_file ldaps "$LDAPS"
	wrong_name ldap "$LDAP"
	wrong_name ldaps "$LDAPS"
	refused "$PLAIN"

	it_note "slapd scenarios took $((SECONDS - started)) s"
	it_finish
}

main

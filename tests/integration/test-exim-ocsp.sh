#!/usr/bin/env bash
# Real-server test of stapled OCSP: Exim 4.96 (GnuTLS build) stapling a
# response from a file (`tls_ocsp_file`), checked as smtp:// (STARTTLS).
#
# usage: test-exim-ocsp.sh PATH-TO-MAILCERT
#
# Exim is fetched and unpacked as in test-exim.sh (never installed: it
# conflicts with postfix). The OCSP responses are made here by
# `openssl ocsp` acting as the intermediate's responder over an index file
# the test writes (GnuTLS has no OCSP response builder); certificates by
# certtool (lib.sh). Two Exim daemons on loopback high ports:
#   good      the leaf, stapling a "good" response      → OK, no finding
#   staple    a must-staple leaf (TLS feature 5), no tls_ocsp_file
#                                                       → CRITICAL ocsp.must-staple
#   stapleok  the must-staple leaf with its "good" response → OK (so the
#             staple did reach mailcert through STARTTLS)
# and `openssl s_client -status` confirms that the first one staples.
# GnuTLS (hence Exim) refuses to load a response that says "revoked"
# ("The session or certificate has expired"), so the revoked staple is
# served by `openssl s_server -status_file` (implicit TLS, tls://):
#   → CRITICAL ocsp.revoked.
# Needs root, apt-get, dpkg, libidn12, gnutls-bin, openssl and python3.

# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in apt-get dpkg certtool openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

HOST=mail.test
it_workdir
# shellcheck source-path=SCRIPTDIR source=exim.sh disable=SC1091
. "$here/exim.sh"
PKI=$IT_WORK/pki
declare -A PORT_OF

# index_line CERT [REVOCATION]: openssl's index.txt line for CERT, valid,
# or revoked ("YYMMDDHHMMSSZ,reason") when REVOCATION is given.
index_line() {
	local serial
	serial=$(openssl x509 -in "$1" -noout -serial | sed 's/^serial=//')
	if [ -n "${2:-}" ]; then
		printf 'R\t391231000000Z\t%s\t%s\tunknown\t/CN=%s\n' "$2" "$serial" "$serial"
	else
		printf 'V\t391231000000Z\t\t%s\tunknown\t/CN=%s\n' "$serial" "$serial"
	fi
}

# make_response NAME CERT [REVOCATION]: PKI/NAME.ocsp (DER), the
# intermediate's answer about CERT.
make_response() {
	local name=$1 cert=$2
	index_line "$cert" "${3:-}" >"$PKI/$name.idx"
	openssl ocsp -issuer "$PKI/inter.pem" -cert "$cert" -reqout "$PKI/$name.req" -no_nonce \
		>/dev/null 2>&1 || it_bail "OCSP request $name"
	openssl ocsp -index "$PKI/$name.idx" -CA "$PKI/inter.pem" -rsigner "$PKI/inter.pem" \
		-rkey "$PKI/inter.key" -reqin "$PKI/$name.req" -respout "$PKI/$name.ocsp" \
		-ndays 2 >/dev/null 2>&1 || it_bail "OCSP response $name"
}

# write_config NAME CERT OCSP: EX/NAME.conf serving CERT (+ intermediate)
# and stapling the response file OCSP (none when empty).
write_config() {
	local lines=()
	cat "$PKI/$2.pem" "$PKI/inter.pem" >"$EX/$1-cert.pem"
	install -m 0640 "$PKI/$2.key" "$EX/$1-key.pem"
	if [ -n "$3" ]; then
		install -m 0644 "$3" "$EX/$1.ocsp"
		lines+=("tls_ocsp_file = $EX/$1.ocsp")
	fi
	ex_config "$1" "tls_certificate = $EX/$1-cert.pem" "tls_privatekey = $EX/$1-key.pem" \
		"tls_advertise_hosts = *" "${lines[@]}"
}

start_exim() {
	ex_prepare
	write_config good good "$PKI/good.ocsp"
	write_config staple staple ""
	write_config stapleok staple "$PKI/staple.ocsp"
	ex_start "good=${PORT_OF[good]}" "staple=${PORT_OF[staple]}" "stapleok=${PORT_OF[stapleok]}"
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

start_s_server() {
	openssl s_server -quiet -accept "127.0.0.1:${PORTS[2]}" -cert "$PKI/good.pem" \
		-key "$PKI/good.key" -cert_chain "$PKI/inter.pem" -status_file "$PKI/revoked.ocsp" \
		</dev/null >"$IT_WORK/s_server.log" 2>&1 &
	it_on_exit stop_pid $!
	it_wait_port 127.0.0.1 "${PORTS[2]}" 10 || it_bail "s_server listens on ${PORTS[2]}"
	it_ok "openssl s_server stapling a revoked response on ${PORTS[2]}"
}

CA=()

scenarios() {
	local target desc status

	# The server really staples: openssl sees the response.
	status=$(openssl s_client -connect "127.0.0.1:${PORTS[0]}" -starttls smtp \
		-servername "$HOST" -status </dev/null 2>/dev/null || true)
	it_contains "exim staples (openssl s_client -status)" "Cert Status: good" "$status"

	target="smtp://$HOST:${PORTS[0]}"
	desc="good staple, $target"
	mc "$target" "${CA[@]}"
	expect 0 OK "$desc"
	expect_no_findings "$desc"

	target="tls://$HOST:${PORTS[2]}"
	desc="revoked staple, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" ocsp.revoked 0
	it_contains "$desc: date and reason" "reason keyCompromise" "$(cat "$IT_LAST_OUT")"

	target="smtp://$HOST:${PORTS[1]}"
	desc="must-staple leaf, no staple, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" ocsp.must-staple 0

	target="smtp://$HOST:${PORTS[3]}"
	desc="must-staple leaf with its staple, $target"
	mc "$target" "${CA[@]}"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
}

main() {
	local started=$SECONDS
	read -r -a PORTS < <(it_free_ports 4)
	# PORTS[2] is the s_server's.
	PORT_OF=([good]=${PORTS[0]} [staple]=${PORTS[1]} [stapleok]=${PORTS[3]})
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	it_pki_cert "$PKI" staple inter "-1 day" "+90 days" "cn = \"$HOST\"" \
		"dns_name = \"$HOST\"" "tls_feature = 5" tls_www_server signing_key encryption_key
	make_response good "$PKI/good.pem"
	make_response staple "$PKI/staple.pem"
	make_response revoked "$PKI/good.pem" "$(TZ=UTC date -d '-1 day' +%y%m%d%H%M%SZ),keyCompromise"
	CA=(--ca-file "$PKI/root.pem")
	start_exim
	start_s_server
	scenarios
	it_note "exim OCSP scenarios took $((SECONDS - started)) s"
	it_finish
}

main

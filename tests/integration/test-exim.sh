#!/usr/bin/env bash
# Real-server test: `mailcert check smtp://` against Exim 4.96 (GnuTLS
# build) on loopback.
#
# usage: test-exim.sh PATH-TO-MAILCERT
#
# Debian's exim4 packages conflict with postfix, which the suite needs, so
# the daemon is never installed: exim4-daemon-light, exim4-base and
# exim4-config are fetched with `apt-get download` into EXIM_CACHE
# (/var/cache/mailcert-test/exim) and unpacked there with `dpkg -x` when that
# tree is missing; its one library not otherwise present, libidn12, comes
# from tests/run. Exim runs as `exim4 -C CONF -bd -oX PORT` with a minimal
# config and -oP (with -oX, Exim writes no pid file without it); the -C
# makes it drop root privileges, and its "lost privilege" log
# lines are harmless. Spool and logs under a temporary directory. Asserts
# OK with the test root, the chain equal to what
# `openssl s_client -starttls smtp` sees, CRITICAL without the root,
# name.mismatch with -n other.test, and starttls.not-offered when
# tls_advertise_hosts is empty.
# Needs root, apt-get, dpkg, libidn12, gnutls-bin, openssl and python3.

# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in apt-get dpkg certtool gnutls-cli openssl python3; do
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

start_exim() {
	ex_prepare
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$EX/cert.pem"
	install -m 0640 "$PKI/good.key" "$EX/key.pem"
	ex_config good "tls_certificate = $EX/cert.pem" "tls_privatekey = $EX/key.pem" \
		"tls_advertise_hosts = *"
	ex_config notls "tls_certificate = $EX/cert.pem" "tls_privatekey = $EX/key.pem" \
		"tls_advertise_hosts ="
	ex_start "good=$PORT_SMTP" "notls=$PORT_NOTLS"
}

CA=()

scenarios() {
	local target desc
	good_chain smtp "$PORT_SMTP" -starttls smtp
	untrusted_without_ca_file smtp "$PORT_SMTP"
	wrong_name smtp "$PORT_SMTP"

	target="smtp://$HOST:$PORT_NOTLS"
	desc="tls_advertise_hosts empty, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.not-offered
}

main() {
	local started=$SECONDS
	read -r PORT_SMTP PORT_NOTLS < <(it_free_ports 2)
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	start_exim
	scenarios
	it_note "exim scenarios took $((SECONDS - started)) s"
	it_finish
}

main

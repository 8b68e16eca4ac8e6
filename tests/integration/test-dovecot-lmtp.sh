#!/usr/bin/env bash
# Real-server test: `mailcert check lmtp://` against Dovecot 2.3's LMTP
# server (RFC 2033: LHLO, then STARTTLS) on loopback.
#
# usage: test-dovecot-lmtp.sh PATH-TO-MAILCERT
#
# Starts a private Dovecot instance (own config, base_dir, instance_name,
# state_dir and log under a temporary directory) that speaks only LMTP, on
# a free 127.0.0.1 high port, with STARTTLS and a test PKI's certificates
# (root → intermediate → leaf mail.test, leaf + intermediate sent). Checks
# the good chain, the chain without the test root, a wrong expected name,
# the SMTP dialogue (EHLO) against the LMTP port, then swaps in an expired
# leaf (SIGHUP reloads the certificates) and checks that mailcert reports
# each case with the exit status and finding docs/findings.md promises.
# Needs root, dovecot-core, dovecot-lmtpd, gnutls-bin and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Plain `shellcheck` (without -x) does not follow it: SC1091 is only that.
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in dovecot certtool gnutls-cli python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done
# dovecot-core alone has no lmtp binary: the service would fail at the
# first connection, not at start.
if [ ! -x /usr/lib/dovecot/lmtp ]; then
	echo "$0: /usr/lib/dovecot/lmtp is missing (install dovecot-lmtpd)" >&2
	exit 2
fi

HOST=mail.test

it_workdir
# shellcheck source-path=SCRIPTDIR source=dovecot.sh disable=SC1091
. "$here/dovecot.sh"
PKI=$IT_WORK/pki
DV=$IT_WORK/dv

# ---------------------------------------------------------------------------
# Certificates

make_pki() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	it_pki_leaf "$PKI" expired "-30 days" "-2 days" "$HOST"
}

# ---------------------------------------------------------------------------
# Dovecot

# wait_served NAME: the LMTP port presents PKI/NAME.pem after STARTTLS.
wait_served() {
	it_wait_served 127.0.0.1 "$PORT_LMTP" lmtp "$(it_cert_sha256 "$PKI/$1.pem")" 10
}

# start_dovecot: an instance that speaks only LMTP over TCP on
# 127.0.0.1:PORT_LMTP (STARTTLS offered, not required), serving 'good'.
start_dovecot() {
	dv_write_config "$DV" lmtp lmtp yes <<-EOF
		service lmtp {
		  inet_listener lmtp {
		    address = 127.0.0.1
		    port = $PORT_LMTP
		  }
		}
	EOF
	dv_install_certs "$DV" good
	dv_start "$DV" "$PORT_LMTP"
	it_check "dovecot serves the 'good' certificates after LHLO/STARTTLS" wait_served good
}

# serve NAME: make Dovecot serve PKI/NAME.pem (+ intermediate) and wait
# until the port does.
serve() {
	dv_install_certs "$DV" "$1"
	dv_reload "$DV"
	it_check "dovecot serves the '$1' certificates after SIGHUP" wait_served "$1"
}

# ---------------------------------------------------------------------------
# mailcert and what it must say

CA=()  # set once the PKI exists

# has_tls_version: the last run reports a TLS version (not null).
has_tls_version() {
	local v
	v=$(json_field "$IT_LAST_OUT" tls.version) && [ -n "$v" ] && [ "$v" != null ]
}

# ---------------------------------------------------------------------------
# The scenarios

# good_chain_lmtp: the shared good_chain, and a subject and TLS version reported.
good_chain_lmtp() {
	local desc="good chain, lmtp://$HOST:$PORT_LMTP"
	good_chain lmtp "$PORT_LMTP" -starttls lmtp
	it_contains "$desc: leaf subject names $HOST" "$HOST" \
		"$(json_field "$IT_LAST_OUT" chain.0.subject || true)"
	it_check "$desc: a TLS version is reported" has_tls_version
}

# The SMTP dialogue against an LMTP server: Dovecot greets with 220 like
# an SMTP server but answers EHLO with "500 5.5.1 Unknown command" (it
# knows only LHLO), so no STARTTLS and no certificate: a CRITICAL
# protocol.unexpected quoting the refusal. -P lmtp on the same target
# overrides the scheme and gets the certificate.
smtp_against_lmtp() {
	local target="smtp://$HOST:$PORT_LMTP" desc
	desc="EHLO to the LMTP port, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" protocol.unexpected
	it_contains "$desc: the message quotes the EHLO refusal" "EHLO" \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"

	desc="-P lmtp overrides the scheme, $target"
	mc "$target" "${CA[@]}" -P lmtp
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	it_eq "$desc: protocol lmtp" lmtp "$(json_field "$IT_LAST_OUT" protocol || true)"
}

expired_leaf() {
	local target="lmtp://$HOST:$PORT_LMTP" desc
	desc="expired leaf, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" cert.expired 0
	expect_chain "$desc" expired
}

main() {
	local started=$SECONDS
	read -r PORT_LMTP < <(it_free_ports 1)

	make_pki
	CA=(--ca-file "$PKI/root.pem")
	start_dovecot

	good_chain_lmtp
	untrusted_without_ca_file lmtp "$PORT_LMTP"
	wrong_name lmtp "$PORT_LMTP"
	smtp_against_lmtp

	serve expired
	expired_leaf

	it_note "dovecot LMTP scenarios took $((SECONDS - started)) s"
	it_finish
}

main

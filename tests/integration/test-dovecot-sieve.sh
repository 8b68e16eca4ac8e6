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
# shellcheck source-path=SCRIPTDIR source=dovecot.sh disable=SC1091
. "$here/dovecot.sh"
PKI=$IT_WORK/pki

# ---------------------------------------------------------------------------
# Dovecot

# start_dovecot NAME PORT SSL: an instance that speaks only ManageSieve on
# 127.0.0.1:PORT; SSL "yes" offers STARTTLS with the 'good' leaf, "no"
# offers none.
start_dovecot() {
	local name=$1 port=$2 ssl=$3 dir=$IT_WORK/sv-$1
	dv_write_config "$dir" "sieve-$name" sieve "$ssl" <<-EOF
		service managesieve-login {
		  inet_listener sieve {
		    address = 127.0.0.1
		    port = $port
		  }
		}
	EOF
	[ "$ssl" = no ] || dv_install_certs "$dir" good
	dv_start "$dir" "$port"
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

#!/usr/bin/env bash
# Real-server test: `mailcert check imap://` (STARTTLS, RFC 3501),
# `imaps://`, `pop3://` (STLS, RFC 2595) and `pop3s://` against Dovecot 2.3
# on loopback.
#
# usage: test-dovecot.sh PATH-TO-MAILCERT
#
# Starts a private Dovecot instance (own config, base_dir, instance_name,
# state_dir and log under a temporary directory) serving imap, imaps, pop3
# and pop3s on free 127.0.0.1 high ports with a test PKI's certificates
# (root → intermediate → leaf mail.test, leaf + intermediate sent). Checks
# the good chain on all four against what `openssl s_client [-starttls
# imap|pop3]` sees on the same port, a wrong expected name, each implicit
# scheme pointed at the STARTTLS port and the reverse (protocol.mismatch
# naming the scheme to use); then a second instance with `ssl = no`, whose
# imap and pop3 do not offer STARTTLS/STLS (starttls.not-offered).
# Needs root, dovecot-core, dovecot-imapd, dovecot-pop3d, gnutls-bin,
# openssl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in dovecot certtool gnutls-cli openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done
# dovecot-core alone has no imap or pop3 binaries: the services would fail
# at the first connection, not at start.
for bin in imap imap-login pop3 pop3-login; do
	if [ ! -x "/usr/lib/dovecot/$bin" ]; then
		echo "$0: /usr/lib/dovecot/$bin is missing (install dovecot-imapd, dovecot-pop3d)" >&2
		exit 2
	fi
done

HOST=mail.test

it_workdir
# shellcheck source-path=SCRIPTDIR source=dovecot.sh disable=SC1091
. "$here/dovecot.sh"
PKI=$IT_WORK/pki

# ---------------------------------------------------------------------------
# Dovecot

# write_config DIR NAME SSL IMAP POP3 [IMAPS POP3S]: an instance with imap
# and pop3 on IMAP and POP3, imaps and pop3s too when given.
write_config() {
	local dir=$1 name=$2 ssl=$3 imap=$4 pop3=$5 imaps=${6:-} pop3s=${7:-}
	dv_write_config "$dir" "$name" "imap pop3" "$ssl" <<-EOF
		service imap-login {
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $imap
		  }
		  inet_listener imaps {
		    $(listener "$imaps")
		  }
		}
		service pop3-login {
		  inet_listener pop3 {
		    address = 127.0.0.1
		    port = $pop3
		  }
		  inet_listener pop3s {
		    $(listener "$pop3s")
		  }
		}
	EOF
}

# listener PORT: an implicit-TLS listener on PORT, or none ("port = 0").
listener() {
	if [ -n "$1" ]; then
		printf 'address = 127.0.0.1\n    port = %s\n    ssl = yes' "$1"
	else
		printf 'port = 0'
	fi
}

# ---------------------------------------------------------------------------
# The scenarios

CA=() # set once the PKI exists

# mismatch SCHEME PORT USE: SCHEME at a port of the other kind is
# protocol.mismatch, and the message names USE://HOST:PORT. A STARTTLS
# scheme waits half the timeout for a greeting, so -t 4 keeps it short.
mismatch() {
	local target="$1://$HOST:$2" use="$3://$HOST:$2" desc
	desc="$1:// at the $3 port, $target"
	mc "$target" "${CA[@]}" -t 4
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" protocol.mismatch
	it_contains "$desc: the message names $use" "use $use" \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

# not_offered SCHEME PORT WORD: Dovecot with ssl = no does not list WORD
# (STARTTLS, STLS).
not_offered() {
	local target="$1://$HOST:$2" desc msg
	desc="dovecot without ssl, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.not-offered
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message names $3" "did not advertise $3" "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

main() {
	local started=$SECONDS IMAP IMAPS POP3 POP3S PLAIN_IMAP PLAIN_POP3
	local dv=$IT_WORK/dv dn=$IT_WORK/dn
	read -r IMAP IMAPS POP3 POP3S PLAIN_IMAP PLAIN_POP3 < <(it_free_ports 6)

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")

	write_config "$dv" tls yes "$IMAP" "$POP3" "$IMAPS" "$POP3S"
	dv_install_certs "$dv" good
	write_config "$dn" plain no "$PLAIN_IMAP" "$PLAIN_POP3"
	dv_start "$dv" "$IMAP" "$IMAPS" "$POP3" "$POP3S"
	dv_start "$dn" "$PLAIN_IMAP" "$PLAIN_POP3"

	good_chain imap "$IMAP" -starttls imap
	good_chain imaps "$IMAPS"
	good_chain pop3 "$POP3" -starttls pop3
	good_chain pop3s "$POP3S"
	wrong_name imap "$IMAP"
	wrong_name imaps "$IMAPS"
	wrong_name pop3 "$POP3"
	wrong_name pop3s "$POP3S"
	mismatch imaps "$IMAP" imap
	mismatch imap "$IMAPS" imaps
	mismatch pop3s "$POP3" pop3
	mismatch pop3 "$POP3S" pop3s
	not_offered imap "$PLAIN_IMAP" STARTTLS
	not_offered pop3 "$PLAIN_POP3" STLS

	it_note "dovecot IMAP/POP3 scenarios took $((SECONDS - started)) s"
	it_finish
}

main

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
# each case with the exit status and finding CLI.md promises.
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
PKI=$IT_WORK/pki
# Short names: Dovecot's unix sockets live in base_dir, and a socket path
# may not exceed 107 bytes.
DV=$IT_WORK/dv
DV_CONF=$DV/dovecot.conf
DV_RUN=$DV/run
DV_PIDFILE=$DV_RUN/master.pid
DV_LOG=$DV/dovecot.log
DV_OUT=$DV/dovecot-command.log

# ---------------------------------------------------------------------------
# Certificates

make_pki() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	it_pki_leaf "$PKI" expired "-30 days" "-2 days" "$HOST"
}

# ---------------------------------------------------------------------------
# Dovecot

# write_dovecot_config: a self-contained config for a private instance that
# speaks only LMTP over TCP on 127.0.0.1:PORT_LMTP (STARTTLS offered, not
# required). No mail is delivered; the static passdb/userdb only make the
# config complete. ssl_cert/ssl_key read DV/cert.pem and DV/key.pem, which
# serve() replaces.
write_dovecot_config() {
	mkdir -p "$DV_RUN" "$DV/state"
	cat >"$DV_CONF" <<-EOF
		base_dir = $DV_RUN
		instance_name = mailcert-it
		state_dir = $DV/state
		log_path = $DV_LOG
		info_log_path = $DV_LOG
		debug_log_path = $DV_LOG
		hostname = $HOST
		protocols = lmtp
		listen = 127.0.0.1
		ssl = yes
		# leaf then intermediate
		ssl_cert = <$DV/cert.pem
		ssl_key = <$DV/key.pem
		mail_location = maildir:$DV/mail/%u
		passdb {
		  driver = static
		  args = nopassword=y
		}
		userdb {
		  driver = static
		  args = uid=nobody gid=nogroup home=$DV/home/%u
		}
		service lmtp {
		  inet_listener lmtp {
		    address = 127.0.0.1
		    port = $PORT_LMTP
		  }
		}
	EOF
}

# install_certs NAME: DV/cert.pem = PKI/NAME.pem + the intermediate,
# DV/key.pem = PKI/NAME.key.
install_certs() {
	cat "$PKI/$1.pem" "$PKI/inter.pem" >"$DV/cert.pem.new"
	install -m 0600 "$PKI/$1.key" "$DV/key.pem.new"
	mv -f "$DV/cert.pem.new" "$DV/cert.pem"
	mv -f "$DV/key.pem.new" "$DV/key.pem"
}

# dovecot_stop: SIGTERM to the master by its pid file (it takes its
# children with it), SIGKILL if it will not go.
dovecot_stop() {
	it_stop_pidfile "$DV_PIDFILE" 10
}

# Dovecot's own log and command output, when something went wrong.
dovecot_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$DV_OUT" "$DV_LOG"; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

# wait_served NAME: the LMTP port presents PKI/NAME.pem after STARTTLS.
wait_served() {
	it_wait_served 127.0.0.1 "$PORT_LMTP" lmtp "$(it_cert_sha256 "$PKI/$1.pem")" 10
}

start_dovecot() {
	write_dovecot_config
	install_certs good
	: >"$DV_LOG"
	it_on_exit dovecot_stop
	it_on_exit dovecot_dump_log_on_failure
	dovecot -c "$DV_CONF" </dev/null >>"$DV_OUT" 2>&1 || it_bail "dovecot start"
	it_wait_port 127.0.0.1 "$PORT_LMTP" 10 || it_bail "dovecot listens on port $PORT_LMTP"
	it_ok "dovecot started (pid $(it_read_pidfile "$DV_PIDFILE" || echo '?')), LMTP on $PORT_LMTP"
	it_check "dovecot serves the 'good' certificates after LHLO/STARTTLS" wait_served good
}

# serve NAME: make Dovecot serve PKI/NAME.pem (+ intermediate) and wait
# until the port does: SIGHUP makes the master re-read its config,
# certificates included, and start new lmtp processes.
serve() {
	local pid
	install_certs "$1"
	pid=$(it_read_pidfile "$DV_PIDFILE") || it_bail "dovecot pid file $DV_PIDFILE"
	kill -HUP "$pid" || it_bail "SIGHUP to dovecot $pid"
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

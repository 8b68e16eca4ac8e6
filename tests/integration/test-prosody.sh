#!/usr/bin/env bash
# Real-server test: `mailcert check xmpp://` (client STARTTLS, RFC 6120
# section 5), `xmpp-server://` (server-to-server STARTTLS) and `xmpps://`
# (direct TLS, XEP-0368) against Prosody 0.12 on loopback.
#
# usage: test-prosody.sh PATH-TO-MAILCERT
#
# Starts a private Prosody (own config, pid file, data directory and log
# under a temporary directory) as user prosody (it refuses root) with c2s,
# s2s and c2s direct-TLS ports on 127.0.0.1, and two virtual hosts:
# mail.test with the test PKI's leaf + intermediate, and plain.test with no
# mod_tls disabled, for which Prosody offers no <starttls/>. For each endpoint:
# OK with the test root, chain equal to what `openssl s_client [-starttls
# xmpp|xmpp-server -xmpphost mail.test]` sees, CRITICAL without the root,
# name.mismatch with -n other.test. Then --xmpp-domain wrong.test gets
# Prosody's host-unknown stream error, and --xmpp-domain plain.test
# starttls.not-offered.
# Needs root, prosody, gnutls-bin, openssl and python3.

# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in prosody runuser certtool gnutls-cli openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done
id prosody >/dev/null 2>&1 || {
	echo "$0: there is no prosody user (install prosody)" >&2
	exit 2
}

HOST=mail.test
it_workdir
PKI=$IT_WORK/pki
PR=$IT_WORK/prosody
PR_CONF=$PR/prosody.cfg.lua
PR_PIDFILE=$PR/prosody.pid
PR_LOG=$PR/prosody.log
PR_OUT=$PR/prosody-command.log

# The config is Lua; every path and port is ours. mail.test's certificate
# is both its `ssl` and, named after it, in the certificates directory:
# Prosody 0.12 picks the direct-TLS certificate by SNI from there only.
# plain.test does without mod_tls, so its stream features hold no
# <starttls/> (without a certificate Prosody would still offer it, then
# fail the handshake), and without required encryption, or Prosody would
# end a c2s stream that has no features left with undefined-condition.
write_config() {
	mkdir -p "$PR/data" "$PR/certs"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$PR/certs/$HOST.crt"
	install -m 0600 "$PKI/good.key" "$PR/certs/$HOST.key"
	cat >"$PR_CONF" <<-EOF
		pidfile = "$PR_PIDFILE"
		data_path = "$PR/data"
		certificates = "$PR/certs"
		interfaces = { "127.0.0.1" }
		c2s_ports = { $PORT_C2S }
		s2s_ports = { $PORT_S2S }
		c2s_direct_tls_ports = { $PORT_C2S_TLS }
		s2s_direct_tls_ports = { }
		legacy_ssl_ports = { }
		http_ports = { }
		https_ports = { }
		log = { debug = "$PR_LOG" }
		modules_enabled = { "tls", "saslauth", "dialback", "disco", "posix" }
		authentication = "internal_hashed"
		storage = "internal"
		VirtualHost "$HOST"
			ssl = { certificate = "$PR/certs/$HOST.crt", key = "$PR/certs/$HOST.key" }
		VirtualHost "plain.test"
			modules_disabled = { "tls" }
			c2s_require_encryption = false
	EOF
	chown -R prosody:prosody "$PR"
}

prosody_stop() { it_stop_pidfile "$PR_PIDFILE" 10; }

prosody_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$PR_OUT" "$PR_LOG"; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

# -D: Prosody forks into the background and writes its pid file.
start_prosody() {
	local port
	write_config
	it_on_exit prosody_stop
	it_on_exit prosody_dump_log_on_failure
	runuser -u prosody -- prosody --config "$PR_CONF" -D </dev/null >>"$PR_OUT" 2>&1 ||
		it_bail "prosody start (see $PR_OUT)"
	for port in "$PORT_C2S" "$PORT_S2S" "$PORT_C2S_TLS"; do
		it_wait_port 127.0.0.1 "$port" 10 || it_bail "prosody listens on port $port"
	done
	it_ok "prosody started (pid $(it_read_pidfile "$PR_PIDFILE" || echo '?')), c2s $PORT_C2S, s2s $PORT_S2S, c2s direct TLS $PORT_C2S_TLS"
}

CA=()

endpoint() {
	local scheme=$1 port=$2
	shift 2
	good_chain "$scheme" "$port" "$@"
	untrusted_without_ca_file "$scheme" "$port"
	wrong_name "$scheme" "$port"
}

# RFC 6120 section 4.9.3.6: a 'to' the server does not serve.
host_unknown() {
	local target="xmpp://$HOST:$PORT_C2S" desc msg
	desc="--xmpp-domain wrong.test, $target"
	mc "$target" "${CA[@]}" --xmpp-domain wrong.test
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" protocol.unexpected
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message names the stream error" \
		"the server ended the stream: host-unknown" "$msg"
	it_contains "$desc: the message says what to do" "--xmpp-domain" "$msg"
	it_contains "$desc: the message quotes Prosody's text" \
		'"This server does not serve wrong.test"' "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

# plain.test runs without mod_tls: its stream features hold no <starttls/>.
not_offered() {
	local scheme=$1 port=$2 target desc
	target="$scheme://$HOST:$port"
	desc="--xmpp-domain plain.test, $target"
	mc "$target" "${CA[@]}" --xmpp-domain plain.test
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.not-offered
	it_contains "$desc: the message says what is missing" \
		"the server's stream features do not offer STARTTLS" \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

main() {
	local started=$SECONDS
	read -r PORT_C2S PORT_S2S PORT_C2S_TLS < <(it_free_ports 3)
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	start_prosody

	endpoint xmpp "$PORT_C2S" -starttls xmpp -xmpphost "$HOST"
	endpoint xmpp-server "$PORT_S2S" -starttls xmpp-server -xmpphost "$HOST"
	endpoint xmpps "$PORT_C2S_TLS"
	host_unknown
	not_offered xmpp "$PORT_C2S"
	not_offered xmpp-server "$PORT_S2S"

	it_note "prosody scenarios took $((SECONDS - started)) s"
	it_finish
}

main

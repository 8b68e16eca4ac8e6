#!/usr/bin/env bash
# Real-server test: `mailcert check ftp://` (AUTH TLS, RFC 4217) and
# `ftps://` (implicit TLS) against vsftpd 3.0 on loopback.
#
# usage: test-vsftpd.sh PATH-TO-MAILCERT
#
# Starts three private vsftpd instances in the foreground under setsid (own
# config, pid from $!, stopped by that pid), each on its own free 127.0.0.1
# high port: one with ssl_enable=YES (AUTH TLS), one with implicit_ssl=YES,
# one with ssl_enable=NO. TLS ones serve the test PKI's leaf mail.test +
# intermediate. Checks the good chain on the first two against what
# `openssl s_client [-starttls ftp]` sees on the same port, the chain without
# the test root, a wrong expected name; starttls.not-offered on the
# plaintext-only one (its FEAT lists no AUTH TLS); protocol.mismatch naming
# the other scheme when ftps:// meets the AUTH TLS port and ftp:// the
# implicit one.
# Needs root, vsftpd, gnutls-bin, openssl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
VSFTPD=/usr/sbin/vsftpd
for tool in "$VSFTPD" setsid certtool openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed (vsftpd, gnutls-bin, openssl)" >&2
		exit 2
	}
done

HOST=mail.test

it_workdir
PKI=$IT_WORK/pki
V=$IT_WORK/vsftpd

# ---------------------------------------------------------------------------
# vsftpd

# write_conf NAME PORT SSL: $V/NAME.conf listening on 127.0.0.1:PORT; SSL is
# "starttls", "implicit" or "no". vsftpd wants its config owned by the user
# running it; it refuses to start unless some login is enabled (anonymous,
# into an empty root: nothing is ever logged in); its secure_chroot_dir must
# exist; Debian's seccomp sandbox gains nothing here and breaks in some
# containers. The cipher list is set because vsftpd 3.0.3's default
# (DES-CBC3-SHA) is gone from OpenSSL 3.
write_conf() {
	local name=$1 port=$2 ssl=$3
	{
		echo "listen=YES"
		echo "listen_ipv6=NO"
		echo "listen_address=127.0.0.1"
		echo "listen_port=$port"
		echo "background=NO"
		echo "seccomp_sandbox=NO"
		echo "anonymous_enable=YES"
		echo "anon_root=$V/empty"
		echo "local_enable=NO"
		echo "write_enable=NO"
		echo "pasv_enable=YES"
		echo "secure_chroot_dir=$V/empty"
		echo "xferlog_enable=NO"
		echo "vsftpd_log_file=$V/$name.log"
		if [ "$ssl" = no ]; then
			echo "ssl_enable=NO"
		else
			echo "ssl_enable=YES"
			echo "rsa_cert_file=$V/server.crt"
			echo "rsa_private_key_file=$V/server.key"
			echo "ssl_ciphers=HIGH"
		fi
		[ "$ssl" != implicit ] || echo "implicit_ssl=YES"
	} >"$V/$name.conf"
	chmod 0600 "$V/$name.conf"
}

# start_vsftpd NAME PORT: vsftpd in the foreground in its own session; its
# pid is $! (setsid execs it: a background job of a script is no process
# group leader), checked to be vsftpd before anything relies on it.
start_vsftpd() {
	local name=$1 port=$2 pid
	setsid "$VSFTPD" "$V/$name.conf" >"$V/$name.out" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$V/$name.pid"
	it_on_exit it_stop_pidfile "$V/$name.pid" 10
	it_wait_port 127.0.0.1 "$port" 10 ||
		it_bail "vsftpd $name listens on port $port (see $V/$name.out: $(cat "$V/$name.out"))"
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = vsftpd ] ||
		it_bail "pid $pid of vsftpd $name is vsftpd"
	it_ok "vsftpd $name started (pid $pid), port $port"
}

setup() {
	mkdir -p "$V/empty"
	chmod 0755 "$V/empty"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$V/server.crt"
	install -m 0600 "$PKI/good.key" "$V/server.key"
	write_conf starttls "$FTP" starttls
	write_conf implicit "$FTPS" implicit
	write_conf plain "$PLAIN" no
}

# ---------------------------------------------------------------------------
# The scenarios

CA=() # set once the PKI exists

# vsftpd with ssl_enable=NO: its FEAT lists EPRT, EPSV, … but no AUTH TLS.
not_offered() {
	local target="ftp://$HOST:$PLAIN" desc msg
	desc="vsftpd with ssl_enable=NO, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.not-offered
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message quotes the features" \
		'did not advertise AUTH TLS in its reply to FEAT; its features: "EPRT, EPSV' "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

# ftps:// on the AUTH TLS port: vsftpd greets in plaintext.
implicit_on_plaintext() {
	local target="ftps://$HOST:$FTP" desc msg
	desc="ftps:// on the AUTH TLS port, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" protocol.mismatch
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: names ftp://" \
		"(\"220 (vsFTPd 3.0.3)\"), so it speaks ftp with STARTTLS, not implicit TLS; use ftp://$HOST:$FTP" \
		"$msg"
}

# ftp:// on the implicit port: vsftpd waits for a ClientHello, says nothing.
starttls_on_implicit() {
	local target="ftp://$HOST:$FTPS" desc msg
	desc="ftp:// on the implicit port, $target"
	mc "$target" "${CA[@]}" -t 4
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" protocol.mismatch
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: names ftps://" "use ftps://$HOST:$FTPS" "$msg"
}

main() {
	local started=$SECONDS
	read -r FTP FTPS PLAIN < <(it_free_ports 3)

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	setup
	start_vsftpd starttls "$FTP"
	start_vsftpd implicit "$FTPS"
	start_vsftpd plain "$PLAIN"

	good_chain ftp "$FTP" -starttls ftp
	good_chain ftps "$FTPS"
	untrusted_without_ca_file ftp "$FTP"
	untrusted_without_ca_file ftps "$FTPS"
	wrong_name ftp "$FTP"
	wrong_name ftps "$FTPS"
	not_offered
	implicit_on_plaintext
	starttls_on_implicit

	it_note "vsftpd scenarios took $((SECONDS - started)) s"
	it_finish
}

main

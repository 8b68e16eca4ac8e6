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

EXIM_CACHE=${EXIM_CACHE:-/var/cache/mailcert-test/exim}
EXIM=$EXIM_CACHE/root/usr/sbin/exim4

# fetch_exim: unpack the Exim packages into EXIM_CACHE/root unless done.
fetch_exim() {
	[ -x "$EXIM" ] && return 0
	mkdir -p "$EXIM_CACHE"
	(cd "$EXIM_CACHE" && apt-get download exim4-daemon-light exim4-base exim4-config) \
		>/dev/null 2>&1 || return 1
	local tmp=$EXIM_CACHE/root.new f
	rm -rf "$tmp"
	for f in "$EXIM_CACHE"/exim4-daemon-light_*.deb "$EXIM_CACHE"/exim4-base_*.deb \
		"$EXIM_CACHE"/exim4-config_*.deb; do
		dpkg -x "$f" "$tmp" || return 1
	done
	rm -rf "$EXIM_CACHE/root"
	mv "$tmp" "$EXIM_CACHE/root"
	[ -x "$EXIM" ]
}

HOST=mail.test
it_workdir
PKI=$IT_WORK/pki
EX=$IT_WORK/exim

# write_config NAME ADVERTISE: EX/NAME.conf, TLS offered to ADVERTISE hosts.
write_config() {
	cat >"$EX/$1.conf" <<-EOF
		primary_hostname = $HOST
		spool_directory = $EX/spool
		log_file_path = $EX/log/%s.log
		pid_file_path = $EX/$1.pid
		exim_user = Debian-exim
		exim_group = Debian-exim
		local_interfaces = 127.0.0.1
		tls_certificate = $EX/cert.pem
		tls_privatekey = $EX/key.pem
		tls_advertise_hosts = $2
		acl_smtp_rcpt = acl_check_rcpt
		begin acl
		acl_check_rcpt:
		  deny
	EOF
}

exim_stop() {
	it_stop_pidfile "$EX/good.pid" 10 || true
	it_stop_pidfile "$EX/notls.pid" 10 || true
}

exim_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$EX"/out.log "$EX"/log/*.log; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

start_exim() {
	fetch_exim || it_bail "exim packages fetched and unpacked into $EXIM_CACHE"
	getent passwd Debian-exim >/dev/null ||
		useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 \
			--shell /usr/sbin/nologin Debian-exim || it_bail "user Debian-exim"
	mkdir -p "$EX/spool" "$EX/log"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$EX/cert.pem"
	install -m 0640 "$PKI/good.key" "$EX/key.pem"
	write_config good '*'
	write_config notls ''
	chown -R Debian-exim "$EX"
	# Exim reads a -C file only if root owns it and only root may write it.
	chown root:root "$EX/good.conf" "$EX/notls.conf"
	chmod 0644 "$EX/good.conf" "$EX/notls.conf"
	chmod 0755 "$IT_WORK"
	it_on_exit exim_stop
	it_on_exit exim_dump_log_on_failure
	"$EXIM" -C "$EX/good.conf" -bd -oX "$PORT_SMTP" -oP "$EX/good.pid" </dev/null >>"$EX/out.log" 2>&1 ||
		it_bail "exim start"
	"$EXIM" -C "$EX/notls.conf" -bd -oX "$PORT_NOTLS" -oP "$EX/notls.pid" </dev/null >>"$EX/out.log" 2>&1 ||
		it_bail "exim start (no TLS)"
	it_wait_port 127.0.0.1 "$PORT_SMTP" 10 || it_bail "exim listens on port $PORT_SMTP"
	it_wait_port 127.0.0.1 "$PORT_NOTLS" 10 || it_bail "exim listens on port $PORT_NOTLS"
	it_ok "exim started, smtp $PORT_SMTP, without TLS $PORT_NOTLS"
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

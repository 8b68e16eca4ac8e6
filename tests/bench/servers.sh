#!/usr/bin/env bash
# The benchmark servers: a private Postfix (submission with STARTTLS
# required, smtps) and a private Dovecot (imap with STARTTLS, imaps) on free
# 127.0.0.1 high ports, serving the test PKI's leaf mail.test plus the
# intermediate, as the integration tests run them (tests/integration/
# lib.sh, postfix.sh, test-dovecot.sh).
#
# Two ways to use it:
#
#   tests/bench/servers.sh
#       starts both, prints the ports and the root CA as shell assignments
#       (SUBMISSION=… SMTPS=… IMAP=… IMAPS=… ROOT=…), then waits: Ctrl-C
#       (or SIGTERM) stops both daemons and removes the work directory.
#
#   . tests/bench/servers.sh; bench_servers_start
#       from another bash script (tests/bench/run.sh): the same variables
#       are set, and the daemons are stopped by lib.sh's exit trap; call
#       bench_finish at the end.
#
# Needs root, postfix, dovecot-imapd, certtool, python3.
# shellcheck disable=SC2317
set -euo pipefail

bench_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh disable=SC1091
. "$bench_here/../integration/lib.sh"

HOST=mail.test

# bench_finish: stop the daemons, remove the work directory, no TAP summary.
bench_finish() {
	# shellcheck disable=SC2034 # lib.sh's exit trap reads it
	IT_FINISHED=1
	it_cleanup
}

# Dovecot with its defaults (one imap-login process per connection, as
# Debian ships it); only the paths, ports and certificate are ours.
bench_dovecot_config() {
	local dir=$1
	mkdir -p "$dir/run" "$dir/state"
	cat >"$dir/dovecot.conf" <<-EOC
		base_dir = $dir/run
		instance_name = mailcert-bench-$$
		state_dir = $dir/state
		log_path = $dir/dovecot.log
		info_log_path = $dir/dovecot.log
		hostname = $HOST
		protocols = imap
		listen = 127.0.0.1
		ssl = yes
		ssl_cert = <$dir/cert.pem
		ssl_key = <$dir/key.pem
		mail_location = maildir:$dir/mail/%u
		passdb {
		  driver = static
		  args = nopassword=y
		}
		userdb {
		  driver = static
		  args = uid=nobody gid=nogroup home=$dir/home/%u
		}
		service imap-login {
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $IMAP
		  }
		  inet_listener imaps {
		    address = 127.0.0.1
		    port = $IMAPS
		    ssl = yes
		  }
		}
	EOC
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$dir/cert.pem"
	install -m 0600 "$PKI/good.key" "$dir/key.pem"
}

bench_servers_start() {
	local dv port
	it_workdir
	# shellcheck source=../integration/postfix.sh disable=SC1091
	. "$bench_here/../integration/postfix.sh"
	PKI=$IT_WORK/pki
	ROOT=$PKI/root.pem
	read -r SUBMISSION SMTPS IMAP IMAPS < <(it_free_ports 4)
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"

	cat "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/good.bundle"
	chmod 0600 "$PKI/good.bundle"
	pf_write_config "smtpd_tls_chain_files = $PKI/good.bundle" <<-EOC
		127.0.0.1:$SUBMISSION inet n - n - - smtpd
		  -o smtpd_tls_security_level=encrypt
		127.0.0.1:$SMTPS inet n - n - - smtpd
		  -o smtpd_tls_wrappermode=yes
	EOC
	pf_start "$SUBMISSION" "$SMTPS" >&2

	dv=$IT_WORK/dv
	bench_dovecot_config "$dv"
	it_on_exit it_stop_pidfile "$dv/run/master.pid" 10
	dovecot -c "$dv/dovecot.conf" </dev/null >>"$dv/dovecot-command.log" 2>&1 ||
		it_bail "dovecot start"
	for port in "$IMAP" "$IMAPS"; do
		it_wait_port 127.0.0.1 "$port" 10 || it_bail "dovecot listens on port $port"
	done
	# The first connection of each daemon pays for starting its workers.
	for port in "$SUBMISSION" "$SMTPS" "$IMAP" "$IMAPS"; do
		it_port_open 127.0.0.1 "$port" || true
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	bench_servers_start
	printf 'HOST=%s\nSUBMISSION=%s\nSMTPS=%s\nIMAP=%s\nIMAPS=%s\nROOT=%s\n' \
		"$HOST" "$SUBMISSION" "$SMTPS" "$IMAP" "$IMAPS" "$ROOT"
	echo "# servers up; Ctrl-C stops them" >&2
	trap 'bench_finish; exit 0' INT TERM
	while :; do sleep 3600 & wait $! || true; done
fi

# Private Dovecot 2.3 instances on loopback for the real-server tests.
# Source it after lib.sh; the caller sets HOST.
#
# Each instance lives in its own directory DIR: config, base_dir (run/),
# state, log. Keep DIR short: Dovecot's unix sockets live in base_dir, and
# a socket path may not exceed 107 bytes. No mail is read; the static
# passdb/userdb only make the config complete.
# shellcheck shell=bash

# dv_write_config DIR NAME PROTOCOLS SSL <SERVICES: DIR/dovecot.conf for
# instance NAME serving PROTOCOLS ("imap pop3", "sieve", "lmtp") with
# ssl = SSL ("yes": DIR/cert.pem, leaf then intermediate, and DIR/key.pem;
# or "no"), then the service blocks read from stdin.
dv_write_config() {
	local dir=$1 name=$2 protocols=$3 ssl=$4
	mkdir -p "$dir/run" "$dir/state"
	{
		cat <<-EOF
			base_dir = $dir/run
			instance_name = mailcert-it-$name
			state_dir = $dir/state
			log_path = $dir/dovecot.log
			info_log_path = $dir/dovecot.log
			debug_log_path = $dir/dovecot.log
			hostname = $HOST
			protocols = $protocols
			listen = 127.0.0.1
			ssl = $ssl
			mail_location = maildir:$dir/mail/%u
			passdb {
			  driver = static
			  args = nopassword=y
			}
			userdb {
			  driver = static
			  args = uid=nobody gid=nogroup home=$dir/home/%u
			}
		EOF
		if [ "$ssl" = yes ]; then
			printf 'ssl_cert = <%s\nssl_key = <%s\n' "$dir/cert.pem" "$dir/key.pem"
		fi
		cat
	} >"$dir/dovecot.conf"
}

# dv_install_certs DIR LEAF: DIR/cert.pem is PKI/LEAF.pem then the
# intermediate, DIR/key.pem its key; each replaced whole, so a reload never
# reads half a file.
dv_install_certs() {
	cat "$PKI/$2.pem" "$PKI/inter.pem" >"$1/cert.pem.new"
	install -m 0600 "$PKI/$2.key" "$1/key.pem.new"
	mv -f "$1/cert.pem.new" "$1/cert.pem"
	mv -f "$1/key.pem.new" "$1/key.pem"
}

# Dovecot's own log and command output, when something went wrong.
dv_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$1/dovecot-command.log" "$1/dovecot.log"; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

# dv_start DIR PORT...: start the instance configured in DIR (stopped on
# exit by its pid file: the master takes its children with it) and wait
# until every PORT listens.
dv_start() {
	local dir=$1 port
	shift
	: >"$dir/dovecot.log"
	it_on_exit it_stop_pidfile "$dir/run/master.pid" 10
	it_on_exit dv_dump_log_on_failure "$dir"
	dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot-command.log" 2>&1 ||
		it_bail "dovecot start (see $dir/dovecot-command.log)"
	for port in "$@"; do
		it_wait_port 127.0.0.1 "$port" 10 || it_bail "dovecot listens on port $port"
	done
	it_ok "dovecot started (pid $(it_read_pidfile "$dir/run/master.pid" || echo '?')), ports $*"
}

# dv_reload DIR: SIGHUP to the master, which reads its config again,
# certificates included, and starts new login processes.
dv_reload() {
	local pid
	pid=$(it_read_pidfile "$1/run/master.pid") || it_bail "dovecot pid file $1/run/master.pid"
	kill -HUP "$pid" || it_bail "SIGHUP to dovecot $pid"
}

# A private Postfix instance on loopback, for the real-server tests that
# need one. Source it after lib.sh and it_workdir; the caller sets HOST.
#
# Its own main.cf and master.cf, queue and log under $PF; no chroot, no
# syslog. Only smtpd is exercised: no mail is delivered, but smtpd talks
# to the internal services (cleanup, trivial-rewrite, proxymap, anvil, …),
# so they are all declared, none chrooted (nothing is set up inside the
# queue directory).
# shellcheck shell=bash

PF=$IT_WORK/postfix
PF_CONF=$PF/conf
PF_LOG=$PF/maillog
PF_OUT=$PF/postfix-command.log

# pf_write_config [MAIN-LINE...] <SERVICES: main.cf with the settings every
# test needs plus each MAIN-LINE (e.g. "smtpd_tls_chain_files = …"), and
# master.cf with the smtpd services read from stdin (master.cf syntax)
# followed by Postfix's internal services.
pf_write_config() {
	mkdir -p "$PF_CONF" "$PF/queue"
	cat >"$PF_CONF/main.cf" <<-EOF
		compatibility_level = 3.6
		queue_directory = $PF/queue
		data_directory = $PF/data
		# postfix-files and dynamicmaps.cf of the installed package
		meta_directory = /etc/postfix
		# No syslog here: postlogd writes the log; Postfix refuses a
		# log path outside maillog_file_prefixes.
		maillog_file = $PF_LOG
		maillog_file_prefixes = $PF
		myhostname = $HOST
		mydomain = test
		mydestination =
		mynetworks = 127.0.0.0/8
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		alias_maps =
		alias_database =
		biff = no
		smtpd_tls_security_level = may
		smtpd_tls_loglevel = 1
	EOF
	printf '%s\n' "$@" >>"$PF_CONF/main.cf"
	{
		cat
		cat <<-EOF
			pickup    unix  n       -       n       60      1       pickup
			cleanup   unix  n       -       n       -       0       cleanup
			qmgr      unix  n       -       n       300     1       qmgr
			tlsmgr    unix  -       -       n       1000?   1       tlsmgr
			rewrite   unix  -       -       n       -       -       trivial-rewrite
			bounce    unix  -       -       n       -       0       bounce
			defer     unix  -       -       n       -       0       bounce
			trace     unix  -       -       n       -       0       bounce
			verify    unix  -       -       n       -       1       verify
			flush     unix  n       -       n       1000?   0       flush
			proxymap  unix  -       -       n       -       -       proxymap
			proxywrite unix -       -       n       -       1       proxymap
			smtp      unix  -       -       n       -       -       smtp
			relay     unix  -       -       n       -       -       smtp
			showq     unix  n       -       n       -       -       showq
			error     unix  -       -       n       -       -       error
			retry     unix  -       -       n       -       -       error
			discard   unix  -       -       n       -       -       discard
			anvil     unix  -       -       n       -       1       anvil
			scache    unix  -       -       n       -       1       scache
			postlog   unix-dgram n  -       n       -       1       postlogd
		EOF
	} >"$PF_CONF/master.cf"
}

pf_cmd() {
	postfix -c "$PF_CONF" "$@" </dev/null >>"$PF_OUT" 2>&1
}

# pf_stop: ask master to stop (it takes its children with it), wait for
# its pid to go, SIGKILL it by that pid if it will not.
pf_stop() {
	local pidfile=$PF/queue/pid/master.pid pid
	pid=$(it_read_pidfile "$pidfile") || return 0
	it_pid_alive "$pid" || return 0
	pf_cmd stop || true
	it_wait_pid_exit "$pid" 10 && return 0
	it_note "postfix master $pid did not stop in 10 s"
	it_stop_pidfile "$pidfile" 5
}

# Postfix's own log and command output, when something went wrong.
pf_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$PF_OUT" "$PF_LOG"; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

# pf_start PORT...: start the configured instance (stopped on exit) and
# wait until every PORT listens.
pf_start() {
	local port
	: >"$PF_LOG"
	it_on_exit pf_stop
	it_on_exit pf_dump_log_on_failure
	pf_cmd start || it_bail "postfix start"
	for port in "$@"; do
		it_wait_port 127.0.0.1 "$port" 15 || it_bail "postfix listens on port $port"
	done
	it_ok "postfix started, listening on $*"
}

# pf_serve_bundle PORT BUNDLE: one smtpd on 127.0.0.1:PORT serving BUNDLE
# (key, leaf, intermediates), started.
pf_serve_bundle() {
	pf_write_config "smtpd_tls_chain_files = $2" <<-EOF
		127.0.0.1:$1 inet n - n - - smtpd
	EOF
	pf_start "$1"
}

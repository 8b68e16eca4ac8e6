# Exim 4.96 instances on loopback for the real-server tests. Source it
# after lib.sh and it_workdir; the caller sets HOST.
#
# exim4 and postfix conflict as packages, so Exim is not installed: its
# .debs are downloaded once and unpacked into EXIM_CACHE, and each
# instance runs from its own config (-C) under $EX (REAL-SERVERS.md).
# shellcheck shell=bash

EXIM_CACHE=${EXIM_CACHE:-/var/cache/mailcert-test/exim}
EXIM=$EXIM_CACHE/root/usr/sbin/exim4
EX=$IT_WORK/exim
EX_INSTANCES=()

# ex_fetch: unpack the Exim packages into EXIM_CACHE/root unless done.
ex_fetch() {
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

# ex_prepare: Exim unpacked, its user there, $EX/spool and $EX/log made.
ex_prepare() {
	ex_fetch || it_bail "exim packages fetched and unpacked into $EXIM_CACHE"
	getent passwd Debian-exim >/dev/null ||
		useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 \
			--shell /usr/sbin/nologin Debian-exim || it_bail "user Debian-exim"
	mkdir -p "$EX/spool" "$EX/log"
}

# ex_config NAME [LINE...]: $EX/NAME.conf, a daemon on 127.0.0.1 that
# refuses every recipient, with each LINE (tls_certificate = …) added.
ex_config() {
	local name=$1
	shift
	{
		cat <<-EOF
			primary_hostname = $HOST
			spool_directory = $EX/spool
			log_file_path = $EX/log/%s.log
			pid_file_path = $EX/$name.pid
			exim_user = Debian-exim
			exim_group = Debian-exim
			local_interfaces = 127.0.0.1
			acl_smtp_rcpt = acl_check_rcpt
		EOF
		printf '%s\n' "$@"
		printf 'begin acl\nacl_check_rcpt:\n  deny\n'
	} >"$EX/$name.conf"
}

ex_stop() {
	local name
	for name in "${EX_INSTANCES[@]}"; do
		it_stop_pidfile "$EX/$name.pid" 10 || true
	done
}

ex_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$EX"/out.log "$EX"/log/*.log; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

# ex_start NAME=PORT...: run each configured instance as a daemon on its
# port, stopped on exit, and wait until every port listens.
ex_start() {
	local pair name port
	chown -R Debian-exim "$EX"
	# Exim reads a -C file only if root owns it and only root may write it.
	for pair in "$@"; do
		chown root:root "$EX/${pair%%=*}.conf"
		chmod 0644 "$EX/${pair%%=*}.conf"
	done
	chmod 0755 "$IT_WORK"
	[ ${#EX_INSTANCES[@]} -gt 0 ] || {
		it_on_exit ex_stop
		it_on_exit ex_dump_log_on_failure
	}
	for pair in "$@"; do
		name=${pair%%=*} port=${pair#*=}
		EX_INSTANCES+=("$name")
		"$EXIM" -C "$EX/$name.conf" -bd -oX "$port" -oP "$EX/$name.pid" </dev/null \
			>>"$EX/out.log" 2>&1 || it_bail "exim start ($name)"
	done
	for pair in "$@"; do
		it_wait_port 127.0.0.1 "${pair#*=}" 10 ||
			it_bail "exim (${pair%%=*}) listens on port ${pair#*=}"
	done
	it_ok "exim started: $*"
}

#!/usr/bin/env bash
# Icinga 2 accepts the CheckCommands shipped in docs/icinga2/mailcert.conf,
# and runs the "mailcert" one.
#
# usage: test-icinga2.sh PATH-TO-MAILCERT
#
# 1. Debian's icinga2 configuration check (`icinga2 daemon -C`) on a
#    minimal icinga2.conf in a temporary directory: the ITL, the shipped
#    file, a Host and one Service per command. It must accept it, and
#    reject the same configuration with a Service naming a command that
#    does not exist (so the check really reads our file).
# 2. A real Icinga 2 daemon, with its state in the temporary directory
#    and only the checker and a PerfdataWriter, runs "mailcert" and
#    "check_mailcert" (the one next to PATH-TO-MAILCERT, as PluginDir)
#    against gnutls-serv serving the test PKI's chain on a loopback port;
#    the perfdata file shows Icinga's view of each result: state, the
#    plugin's output, and the perfdata it parsed. An ssl_cert variable
#    for a flag check_mailcert lacks (ssl_cert_serial) must reach it and
#    be refused: UNKNOWN naming --serial.
# Needs icinga2-bin and icinga2-common (ITL), gnutls-bin, python3.

# Functions run through it_on_exit look unreachable to shellcheck:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
conf_src=$here/../../docs/icinga2/mailcert.conf
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
MAILCERT=$(cd "$(dirname "$MAILCERT")" && pwd)/$(basename "$MAILCERT")
for tool in icinga2 gnutls-serv certtool python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed (icinga2-bin, gnutls-bin, python3)" >&2
		exit 2
	}
done
[ -e /usr/share/icinga2/include/itl ] || {
	echo "$0: the Icinga 2 ITL is not installed (icinga2-common)" >&2
	exit 2
}

HOST=mail.test

it_workdir
PKI=$IT_WORK/pki
I=$IT_WORK/icinga2

# icinga2 runs plugins as the nagios user, who may not reach the build tree
# (a clone in a mktemp -d directory is 0700): the plugins run from a copy
# in the work directory, laid out as in the build tree for their
# $ORIGIN/.. runpath.
mkdir -p "$IT_WORK/plugins/cli"
cp "$MAILCERT" "$(dirname "$MAILCERT")/check_mailcert" "$IT_WORK/plugins/cli/"
cp -L "$(dirname "$MAILCERT")/../libmailcert.so.0" "$IT_WORK/plugins/"
MAILCERT=$IT_WORK/plugins/cli/mailcert

# write_conf FILE CHECK_COMMAND PORT: an icinga2.conf with the shipped
# CheckCommands, a Host and two Services, the first using CHECK_COMMAND.
write_conf() {
	local file=$1 command=$2 port=$3
	cat >"$file" <<-CONF
		const PluginDir = "/usr/lib/nagios/plugins"
		const PluginContribDir = "/usr/lib/nagios/plugins"
		const ManubulonPluginDir = "/usr/lib/nagios/plugins"
		include <itl>
		include <plugins>
		include "$I/mailcert.conf"

		object Host "$HOST" {
		  check_command = "dummy"
		  address = "127.0.0.1"
		  max_check_attempts = 1
		  check_interval = 1h
		  enable_active_checks = false
		}

		object Service "tls-cert" {
		  host_name = "$HOST"
		  check_command = "$command"
		  check_interval = 1s
		  retry_interval = 1s
		  vars.mailcert_binary = "$MAILCERT"
		  vars.mailcert_scheme = "tls"
		  vars.mailcert_target = "tls://\$host.name\$:$port"
		  vars.mailcert_connect_to = "\$check_address\$"
		  vars.mailcert_ca_file = "$PKI/root.pem"
		  vars.mailcert_names = [ "$HOST" ]
		  vars.mailcert_warning = "10d"
		  vars.mailcert_critical = "5d"
		}

		object Service "submission-cert" {
		  host_name = "$HOST"
		  check_command = "check_mailcert"
		  enable_active_checks = false
		  vars.ssl_cert_port = 587
		  vars.ssl_cert_protocol = "smtp"
		  vars.ssl_cert_warn = 30
		  vars.ssl_cert_critical = 15
		  vars.ssl_cert_issuer = "Let's Encrypt"
		  vars.ssl_cert_cn = "$HOST"
		}
	CONF
}

# validate FILE: icinga2's configuration check, its cache in the work dir.
validate() {
	it_run icinga2 daemon -C -c "$1" -DConfiguration.CacheDir="$I/cache"
}

config_check() {
	write_conf "$I/icinga2.conf" mailcert 1
	validate "$I/icinga2.conf"
	it_eq "icinga2 daemon -C accepts the CheckCommands: exit status" 0 "$IT_LAST_RC"
	it_contains "icinga2 daemon -C: both services" "Instantiated 2 Services." "$(cat "$IT_LAST_OUT")"
	it_contains "icinga2 daemon -C: the finish line" "Finished validating the configuration" \
		"$(cat "$IT_LAST_OUT")"

	write_conf "$I/bad.conf" mailcert-typo 1
	validate "$I/bad.conf"
	it_eq "icinga2 daemon -C rejects an unknown check command: exit status" 1 "$IT_LAST_RC"
	it_contains "icinga2 daemon -C: names the unknown command" "mailcert-typo" \
		"$(cat "$IT_LAST_OUT")"
}

# ---------------------------------------------------------------------------
# A real daemon running the check

# stop_pgid PGID: SIGTERM the process group started with setsid, SIGKILL
# what is left after 10 s (icinga2's main process may outlive its umbrella).
stop_pgid() {
	local pgid=$1 deadline=$((SECONDS + 10))
	kill -TERM -- "-$pgid" 2>/dev/null || return 0
	while kill -0 -- "-$pgid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.2
	done
	kill -KILL -- "-$pgid" 2>/dev/null || true
}

# result_of SERVICE: the first check result of SERVICE the PerfdataWriter
# wrote (a file per second; a record runs to the next "SERVICE::" line,
# as plugin output has several lines).
result_of() {
	local files=("$I"/perf/service-perfdata.[0-9]*)
	[ -e "${files[0]}" ] || return 1
	awk -v want="SERVICE::$1" '
		/^SERVICE::/ { if (found) exit; on = index($0, want "\t") == 1; found = on }
		on { print }
		END { exit !found }' "${files[@]}"
}

daemon_run() {
	local port=$1 conf=$I/run.conf d=$I/state result deadline
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/chain.pem"
	setsid gnutls-serv --x509certfile "$PKI/chain.pem" --x509keyfile "$PKI/good.key" \
		-p "$port" >"$IT_WORK/gnutls-serv.log" 2>&1 &
	it_on_exit stop_pgid "$!"
	it_wait_port 127.0.0.1 "$port" 10 || it_bail "gnutls-serv did not listen on $port"

	mkdir -p "$d/data" "$d/log" "$d/spool" "$d/run/icinga2" "$I/perf"
	chmod -R a+rwx "$d" "$I/perf"
	cat >"$conf" <<-CONF
		const PluginDir = "$(dirname "$MAILCERT")"
		const PluginContribDir = "/usr/lib/nagios/plugins"
		const ManubulonPluginDir = "/usr/lib/nagios/plugins"
		include <itl>
		include <plugins>
		include "$I/mailcert.conf"

		object CheckerComponent "checker" { }
		object PerfdataWriter "perfdata" {
		  service_perfdata_path = "$I/perf/service-perfdata"
		  host_perfdata_path = "$I/perf/host-perfdata"
		  service_temp_path = "$I/perf/service-perfdata.tmp"
		  host_temp_path = "$I/perf/host-perfdata.tmp"
		  service_format_template = "SERVICE::\$service.name\$\tSTATE::\$service.state\$\tOUTPUT::\$service.output\$\tPERFDATA::\$service.perfdata\$"
		  rotation_interval = 1s
		}
		object Host "$HOST" {
		  check_command = "dummy"
		  address = "127.0.0.1"
		  enable_active_checks = false
		}
		object Service "tls-cert" {
		  host_name = "$HOST"
		  check_command = "mailcert"
		  check_interval = 1s
		  vars.mailcert_binary = "$MAILCERT"
		  vars.mailcert_scheme = "tls"
		  vars.mailcert_target = "tls://\$host.name\$:$port"
		  vars.mailcert_connect_to = "\$check_address\$"
		  vars.mailcert_ca_file = "$PKI/root.pem"
		  vars.mailcert_verbose = true
		}
		object Service "ssl-cert" {
		  host_name = "$HOST"
		  check_command = "check_mailcert"
		  check_interval = 1s
		  vars.ssl_cert_port = $port
		  vars.ssl_cert_cn = "$HOST"
		  vars.ssl_cert_sni = "$HOST"
		  vars.ssl_cert_rootssl_cert = "$PKI/root.pem"
		  vars.ssl_cert_warn = 30
		  vars.ssl_cert_critical = 15
		  vars.ssl_cert_ignore_sct = true
		}
		object Service "ssl-cert-serial" {
		  host_name = "$HOST"
		  check_command = "check_mailcert"
		  check_interval = 1s
		  vars.ssl_cert_port = $port
		  vars.ssl_cert_serial = "01"
		}
	CONF
	it_note "\$ icinga2 daemon -c $conf (in the background)"
	setsid icinga2 daemon -c "$conf" -DConfiguration.CacheDir="$I/cache" \
		-DConfiguration.DataDir="$d/data" -DConfiguration.LogDir="$d/log" \
		-DConfiguration.SpoolDir="$d/spool" -DConfiguration.InitRunDir="$d/run" \
		-x notice >"$I/daemon.log" 2>&1 &
	it_on_exit stop_pgid "$!"

	deadline=$((SECONDS + 30))
	until result_of ssl-cert-serial >/dev/null && result_of ssl-cert >/dev/null &&
		result=$(result_of tls-cert); do
		if [ "$SECONDS" -ge "$deadline" ]; then
			sed 's/^/#   | /' "$I/daemon.log" | tail -n 30
			it_bail "icinga2 wrote no check result within 30 s"
		fi
		sleep 0.5
	done
	it_note "the first result, as Icinga 2 stored it:"
	printf '%s\n' "$result" | sed 's/^/#   | /'
	it_contains "icinga2 ran mailcert: the command line" \
		"'$MAILCERT' 'check' '--format' 'nagios' '--ca-file' '$PKI/root.pem' '--connect-to' '127.0.0.1'" \
		"$(cat "$I/daemon.log")"
	it_contains "icinga2 ran mailcert: state OK" "STATE::OK" "$result"
	it_contains "icinga2 ran mailcert: the plugin's first line as output" \
		"OUTPUT::MAILCERT OK - tls://$HOST:$port: certificate for $HOST valid until " "$result"
	it_contains "icinga2 ran mailcert: -v long output kept" "chain 1 CN=mailcert test intermediate CA" \
		"$result"
	it_contains "icinga2 parsed the perfdata: cert_remaining with its ranges" \
		"PERFDATA::cert_remaining=" "$result"
	it_contains "icinga2 parsed the perfdata: thresholds" "s;2592000:;1296000:;0; cert_remaining_0=" \
		"$result"
	it_contains "icinga2 parsed the perfdata: stage times" "time_handshake=" "$result"
	case $result in
	*"|"*) it_not_ok "no '|' left in what icinga2 stored" ;;
	*) it_ok "no '|' left in what icinga2 stored" ;;
	esac

	# check_mailcert with the ITL ssl_cert command's variables.
	result=$(result_of ssl-cert)
	printf '%s\n' "$result" | sed 's/^/#   | /'
	it_contains "icinga2 ran check_mailcert: the command line" \
		"'$(dirname "$MAILCERT")/check_mailcert' '--cn' '$HOST' '--ignore-sct' '--sni' '$HOST' '-H' '127.0.0.1' '-c' '15' '-p' '$port'" \
		"$(cat "$I/daemon.log")"
	it_contains "icinga2 ran check_mailcert: state OK" "STATE::OK" "$result"
	it_contains "icinga2 ran check_mailcert: output" \
		"OUTPUT::MAILCERT OK - https://127.0.0.1:$port: certificate for $HOST valid until " "$result"
	it_contains "icinga2 ran check_mailcert: perfdata" "PERFDATA::cert_remaining=" "$result"
	# A variable for a flag check_mailcert lacks reaches it, and is refused.
	result=$(result_of ssl-cert-serial)
	printf '%s\n' "$result" | sed 's/^/#   | /'
	it_contains "icinga2, ssl_cert_serial: state UNKNOWN" "STATE::UNKNOWN" "$result"
	it_contains "icinga2, ssl_cert_serial: the flag is named" "--serial" "$result"
}

main() {
	local started=$SECONDS PORT
	read -r PORT < <(it_free_ports 1)
	mkdir -p "$I/cache"
	cp "$conf_src" "$I/mailcert.conf"
	# icinga2 drops its privileges to the nagios user: it reads from here.
	chmod -R a+rX "$IT_WORK"
	chmod a+rwx "$I/cache"

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	chmod -R a+rX "$PKI"
	config_check
	daemon_run "$PORT"

	it_note "icinga2 scenarios took $((SECONDS - started)) s"
	it_finish
}

main

#!/usr/bin/env bash
# What `meson install` puts where (docs/install.md), installed into a
# DESTDIR of the work directory:
#
#   layout   every file in its directory; check_mailcert, in the Nagios
#            plugin directory, and mailcert run from there; the bash
#            completion is the one built, check_mailcert's a link to it,
#            and both programs have it once sourced; `systemd-analyze
#            verify` accepts the three units (their ExecStart pointed at
#            the DESTDIR's mailcert) and says nothing of them, and refuses
#            a unit spoilt on purpose, so the check really runs.
#   icinga2  the installed CheckCommands, read as Debian's icinga2.conf
#            reads plugins-contrib.d, with PluginDir the DESTDIR's plugin
#            directory: `icinga2 daemon -C` accepts them, and the
#            check_mailcert command it resolved is the installed plugin,
#            which runs. (test-icinga2.sh runs a real daemon.)
#
# usage: test-install.sh layout|icinga2 BUILD-DIR BINDIR LIBDIR PLUGIN-DIR
#        UNIT-DIR COMPLETION-DIR ICINGA2-DIR MANDIR
# (each directory absolute, as installed: meson.build passes them)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$here/../integration/lib.sh"

[ $# -eq 9 ] || {
	sed -n 's/^# usage: /usage: /p; s/^#        /       /p' "$0" >&2
	exit 2
}
MODE=$1 BUILD=$2 BINDIR=$3 LIBDIR=$4 PLUGIN_DIR=$5 UNIT_DIR=$6 COMPLETION_DIR=$7
ICINGA2_DIR=$8 MANDIR=$9
it_workdir
D=$IT_WORK/dest

it_run meson install -C "$BUILD" --destdir "$D" --no-rebuild --quiet
it_eq "meson install --destdir: exit status 0" 0 "$IT_LAST_RC"
# icinga2 reads as the nagios user.
chmod -R a+rX "$IT_WORK"
export LD_LIBRARY_PATH=$D$LIBDIR

layout() {
	local f u dir=$IT_WORK/units
	for f in "$BINDIR/mailcert" "$PLUGIN_DIR/check_mailcert"; do
		it_check "$f: installed, executable" test -x "$D$f"
	done
	it_check "check_mailcert: not in bindir" test ! -e "$D$BINDIR/check_mailcert"
	it_run "$D$PLUGIN_DIR/check_mailcert" --help
	it_eq "the installed check_mailcert runs: --help, exit status 0" 0 "$IT_LAST_RC"
	it_run "$D$BINDIR/mailcert" --version
	it_eq "the installed mailcert runs: --version, exit status 0" 0 "$IT_LAST_RC"
	for f in mailcert-exporter.service mailcert-check@.service mailcert-check@.timer; do
		it_check "$UNIT_DIR/$f: installed" test -f "$D$UNIT_DIR/$f"
	done
	it_check "$ICINGA2_DIR/mailcert.conf: installed" test -f "$D$ICINGA2_DIR/mailcert.conf"
	it_check "the completion: installed as completions/mailcert" \
		cmp "$D$COMPLETION_DIR/mailcert" "$BUILD/cli/completion/mailcert"
	it_eq "the completion: completions/check_mailcert links to it" mailcert \
		"$(readlink "$D$COMPLETION_DIR/check_mailcert")"
	it_eq "the completion, sourced: both programs complete" \
		"complete -F _mailcert mailcert|complete -F _check_mailcert check_mailcert" \
		"$(bash --norc -c '. "$1"; complete -p mailcert; complete -p check_mailcert' sh \
			"$D$COMPLETION_DIR/check_mailcert" | paste -sd '|')"

	# systemd-analyze verify needs ExecStart's program where the unit
	# says: the DESTDIR's; and the man page of Documentation=: MANPATH.
	command -v systemd-analyze >/dev/null || it_bail "systemd-analyze is missing (package systemd)"
	mkdir -p "$dir"
	for f in "$D$UNIT_DIR"/mailcert-*; do
		sed "s|$BINDIR/mailcert|$D$BINDIR/mailcert|g" "$f" >"$dir/$(basename "$f")"
	done
	it_check "the units run $BINDIR/mailcert" grep -q "^ExecStart=$BINDIR/mailcert " \
		"$D$UNIT_DIR/mailcert-exporter.service"
	export MANPATH=$D$MANDIR
	verify() {
		pushd "$dir" >/dev/null
		it_run systemd-analyze verify "$@"
		popd >/dev/null
		cat "$IT_LAST_OUT" "$IT_LAST_ERR" >"$IT_WORK/verify.log"
	}
	verify ./mailcert-exporter.service ./mailcert-check@.service ./mailcert-check@.timer \
		./mailcert-check@daily.service ./mailcert-check@daily.timer
	it_eq "systemd-analyze verify: exit status 0" 0 "$IT_LAST_RC"
	it_eq "systemd-analyze verify: nothing about our units" "" \
		"$(grep -i 'mailcert' "$IT_WORK/verify.log" || true)"
	for f in 'DynamicUser=yes' 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'CapabilityBoundingSet=' \
		'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'CacheDirectory=mailcert' \
		'Environment=XDG_CACHE_HOME=%C'; do
		for u in mailcert-exporter.service mailcert-check@.service; do
			it_check "$u: $f" grep -qx -- "$f" "$dir/$u"
		done
	done
	it_check "mailcert-check@: writes the textfile collector's .prom" \
		grep -q -- '--format prometheus --input /etc/mailcert/%i.targets --output ' \
		"$dir/mailcert-check@.service"

	# The check really runs: a spoilt unit is refused.
	sed 's|^ExecStart=.*|ExecStart=/nonexistent/mailcert exporter|' \
		"$dir/mailcert-exporter.service" >"$dir/mailcert-spoilt.service"
	verify ./mailcert-spoilt.service
	it_check "systemd-analyze verify refuses a unit whose program is missing" \
		test "$IT_LAST_RC" -ne 0
	it_check "systemd-analyze verify: names it" grep -q 'mailcert-spoilt' "$IT_WORK/verify.log"
}

icinga2_check() {
	local I=$IT_WORK/icinga2 command
	command -v icinga2 >/dev/null || it_bail "icinga2 is missing (package icinga2-bin)"
	[ -e /usr/share/icinga2/include/itl ] || it_bail "the ITL is missing (icinga2-common)"
	mkdir -p "$I/cache"
	chmod a+rwx "$I/cache"
	# As Debian's icinga2.conf: <plugins-contrib> is include_recursive
	# "plugins-contrib.d".
	cat >"$I/icinga2.conf" <<-CONF
		const PluginDir = "$D$PLUGIN_DIR"
		const PluginContribDir = "/usr/lib/nagios/plugins"
		const ManubulonPluginDir = "/usr/lib/nagios/plugins"
		include <itl>
		include <plugins>
		include_recursive "$D$ICINGA2_DIR"
		object Host "mail.test" {
		  check_command = "dummy"
		  address = "127.0.0.1"
		}
		object Service "ssl-cert" {
		  host_name = "mail.test"
		  check_command = "check_mailcert"
		  vars.ssl_cert_port = 25
		}
		object Service "mailcert" {
		  host_name = "mail.test"
		  check_command = "mailcert"
		}
	CONF
	chmod a+r "$I/icinga2.conf"
	it_run icinga2 daemon -C -c "$I/icinga2.conf" -DConfiguration.CacheDir="$I/cache"
	it_eq "icinga2 daemon -C accepts the installed commands: exit status" 0 "$IT_LAST_RC"
	it_contains "icinga2 daemon -C: both services" "Instantiated 2 Services." "$(cat "$IT_LAST_OUT")"

	it_run icinga2 object list --type CheckCommand --name check_mailcert \
		-DConfiguration.CacheDir="$I/cache"
	command=$(sed -n 's/^ *\* command = \[ "\([^"]*\)" \]$/\1/p' "$IT_LAST_OUT")
	it_eq "icinga2's check_mailcert command: the plugin in PluginDir" "$D$PLUGIN_DIR/check_mailcert" \
		"$command"
	it_run "$command" --help
	it_eq "the plugin icinga2 resolved runs: exit status 0" 0 "$IT_LAST_RC"
	it_run icinga2 object list --type CheckCommand --name mailcert -DConfiguration.CacheDir="$I/cache"
	it_contains "icinga2's mailcert command: mailcert_binary is bindir's" \
		"mailcert_binary = \"$BINDIR/mailcert\"" "$(cat "$IT_LAST_OUT")"
}

case $MODE in
layout) layout ;;
icinga2) icinga2_check ;;
*) it_bail "unknown mode $MODE" ;;
esac
it_finish

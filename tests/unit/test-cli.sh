#!/usr/bin/env bash
# The command line of `mailcert`: arguments, exit statuses and messages, as
# CLI.md (../shared/docs/ beside the repository) and `mailcert check --help`
# promise them.
#
# usage: test-cli.sh PATH-TO-MAILCERT
#
# No network: every case is refused before any connection, or aims at a
# name under .invalid (RFC 6761: never resolves, mailcert answers without a
# DNS query) or at a closed loopback port. No daemon is started. The
# options that need a real server (names, thresholds, trust, --at, …) are
# exercised against Postfix in tests/integration/test-postfix.sh.
#
# Prints "ok N - …" / "not ok N - …" and, last, "N passed, M failed";
# exits non-zero when anything failed.

# shellcheck disable=SC2317 # helpers called through variables look unused
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The assertion, run and JSON helpers of the integration tests.
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$here/../integration/lib.sh"

it_need_mailcert "${1:-}"

VERSION=0.1.0
# A target that is refused at once, for cases about the options.
NOWHERE=smtp://mail.invalid

it_workdir

# ---------------------------------------------------------------------------
# Assertions on the last it_run

# expect_rc DESC STATUS
expect_rc() {
	it_eq "$1: exit status $2" "$2" "$IT_LAST_RC"
}

# expect_stderr DESC NEEDLE: stderr of the last run contains NEEDLE.
expect_stderr() {
	it_contains "$1: stderr says '$2'" "$2" "$(cat "$IT_LAST_ERR")"
}

# expect_stdout_empty DESC: nothing on stdout (a script reading the report
# must not mistake a usage message for one).
expect_stdout_empty() {
	it_eq "$1: nothing on stdout" "" "$(cat "$IT_LAST_OUT")"
}

# usage DESC NEEDLE ARGS...: `mailcert ARGS` is refused as bad usage:
# status 3 (UNKNOWN), NEEDLE in the message, nothing on stdout.
usage() {
	local desc=$1 needle=$2
	shift 2
	it_run "$MAILCERT" "$@"
	expect_rc "$desc" 3
	expect_stderr "$desc" "$needle"
	expect_stdout_empty "$desc"
}

# expect_state DESC STATUS STATE CODE: a JSON report (one line) with
# STATUS, STATE and a finding CODE.
expect_state() {
	local desc=$1
	expect_rc "$desc" "$2"
	it_eq "$desc: state $3" "$3" "$(json_field "$IT_LAST_OUT" state || true)"
	if has_finding "$IT_LAST_OUT" "$4"; then
		it_ok "$desc: finding $4"
	else
		it_not_ok "$desc: finding $4" "findings: $(finding_codes "$IT_LAST_OUT")"
	fi
}

# ---------------------------------------------------------------------------
# Commands

commands() {
	usage "no command" "Usage: mailcert COMMAND"
	usage "unknown command" 'unknown command "frobnicate"' frobnicate
	local cmd
	for cmd in file scan domain exporter; do
		usage "planned command '$cmd'" "'$cmd' is not implemented in mailcert $VERSION yet" "$cmd"
	done
	usage "show without a target" "no target given" show
	usage "show with two targets" "show takes one target (2 given)" show "$NOWHERE" "$NOWHERE"
	usage "show -f json" "show has one output; for JSON or Nagios use check -f" show -f json \
		"$NOWHERE"
	usage "check --pem" "--pem belongs to mailcert show" check --pem "$NOWHERE"
	it_run "$MAILCERT" show --help
	expect_rc "show --help" 0
	it_contains "show --help: teaches --pem" "--pem" "$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" show "$NOWHERE"
	expect_rc "show of an unresolvable name" 2
	it_contains "show of an unresolvable name: the finding" "CRITICAL dns.failed" \
		"$(cat "$IT_LAST_OUT")"

	it_run "$MAILCERT" --version
	expect_rc "--version" 0
	case $(head -n 1 "$IT_LAST_OUT") in
	"mailcert $VERSION" | "mailcert $VERSION "*) it_ok "--version: prints 'mailcert $VERSION'" ;;
	*) it_not_ok "--version: prints 'mailcert $VERSION'" "got: '$(head -n 1 "$IT_LAST_OUT")'" ;;
	esac

	it_run "$MAILCERT" --help
	expect_rc "--help" 0
	it_contains "--help: usage on stdout" "Usage: mailcert COMMAND" "$(cat "$IT_LAST_OUT")"
	it_contains "--help: names the check command" "check TARGET..." "$(cat "$IT_LAST_OUT")"
	it_contains "--help: names the demo command" "demo" "$(cat "$IT_LAST_OUT")"
	it_contains "--help: names the show command" "show TARGET" "$(cat "$IT_LAST_OUT")"
}

# check --help mentions every option issue 2 implements.
check_help() {
	local help opt
	it_run "$MAILCERT" check --help
	expect_rc "check --help" 0
	help=$(cat "$IT_LAST_OUT")
	it_contains "check --help: usage on stdout" "Usage: mailcert check [OPTIONS] TARGET..." "$help"
	for opt in -n --name --sni --helo --connect-to -4 -6 -w --warning -c --critical \
		--ca-file --ca-dir --allow-self-signed --at -t --timeout -f --format -v --verbose; do
		# A whole word: "-4" must not be found inside "-46", "-n" inside "--name".
		if grep -Eq -- "(^|[ ,])$opt([ ,=]|\$)" <<<"$help"; then
			it_ok "check --help mentions $opt"
		else
			it_not_ok "check --help mentions $opt"
		fi
	done
	it_run "$MAILCERT" check -h
	expect_rc "check -h" 0
	it_contains "check -h: the same help" "Usage: mailcert check" "$(cat "$IT_LAST_OUT")"
}

# ---------------------------------------------------------------------------
# check: options

options() {
	usage "check without a target" "no target given" check
	usage "check -f json without a target" "no target given" check -f json
	usage "unknown long option" "mailcert: unknown option --bogus" check --bogus "$NOWHERE"
	usage "unknown short option" "mailcert: unknown option -x" check -x "$NOWHERE"
	usage "option without its argument" "mailcert: -w needs a value" check "$NOWHERE" -w
	usage "long option without its argument" "mailcert: --ca-file needs a value" check "$NOWHERE" --ca-file
	usage "unknown format" 'unknown format "xml"' check -f xml "$NOWHERE"

	# Documented in CLI.md, not implemented yet: refused, naming the flag.
	local flag
	for flag in \
		issuer \
		subject \
		serial \
		pin \
		min-tls \
		min-key-bits \
		compare-file \
		severity \
		tlsa \
		; do
		usage "--$flag X (later issue)" "--$flag is not implemented in mailcert $VERSION yet" \
			check "--$flag" X "$NOWHERE"
	done
	usage "--xmpp-domain with markup" '--xmpp-domain "a<b": not a domain name' \
		check --xmpp-domain 'a<b' "$NOWHERE"
	usage "--direct-tls on smtp" \
		"smtp://mail.invalid: --direct-tls applies to postgres:// targets only" \
		check --direct-tls smtp://mail.invalid
	usage "--force-starttls on postgres" \
		"postgres://mail.invalid: --force-starttls applies to pop3:// targets only" \
		check --direct-tls --force-starttls postgres://mail.invalid
	usage "--dane (later issue)" "--dane is not implemented in mailcert $VERSION yet" \
		check --dane "$NOWHERE"
	usage "-f prometheus (later issue)" \
		"--format prometheus is not implemented in mailcert $VERSION yet" \
		check -f prometheus "$NOWHERE"

	local t
	for t in abc -5 5x @10 ""; do
		usage "-w '$t'" "--warning: \"$t\" is not a valid threshold" check -w "$t" "$NOWHERE"
		usage "-c '$t'" "--critical: \"$t\" is not a valid threshold" check -c "$t" "$NOWHERE"
	done
	usage "-w 10:5 (empty range)" '--warning: "10:5" is not a valid threshold' \
		check -w 10:5 "$NOWHERE"
	usage "-c 0% (no percentage of the lifetime)" '--critical: "0%" is not a valid threshold' \
		check -c 0% "$NOWHERE"
	usage "-w 101%" '--warning: "101%" is not a valid threshold' check -w 101% "$NOWHERE"

	for t in tomorrow 2027-13-01 2027-02-30 2027-01-31T25:00:00Z +30x +d -30d ""; do
		usage "--at '$t'" "--at \"$t\"" check --at "$t" "$NOWHERE"
	done

	for t in 0 0.0001 -1 abc "" 3601 nan; do
		usage "-t '$t'" "--timeout takes seconds" check -t "$t" "$NOWHERE"
		expect_stderr "-t '$t'" "\"$t\""
	done

	usage "--helo 'two words'" '--helo "two words"' check --helo "two words" "$NOWHERE"
	usage "--helo ''" '--helo ""' check --helo "" "$NOWHERE"
	usage "-n 'bad name!'" '--name "bad name!" is not a valid name' check -n "bad name!" "$NOWHERE"

	usage "--ca-file missing" "$IT_WORK/no-such-ca.pem" \
		check --ca-file "$IT_WORK/no-such-ca.pem" "$NOWHERE"
	expect_stderr "--ca-file missing" "--ca-file"
	usage "--ca-dir missing" "$IT_WORK/no-such-dir" check --ca-dir "$IT_WORK/no-such-dir" "$NOWHERE"
	expect_stderr "--ca-dir missing" "--ca-dir"

	usage "-f nagios with two targets" "a Nagios check takes one target (2 given)" \
		check -f nagios smtp://a.invalid smtp://b.invalid
}

# check: targets that cannot be checked, refused before any connection.
targets() {
	usage "unknown scheme" 'unknown scheme "gopher"' check -f json gopher://mail.invalid
	usage "tls:// without a port" '"tls://mail.invalid": the tls scheme needs a port' \
		check -f json tls://mail.invalid
	usage "HOST:PORT of no customary protocol" \
		'"mail.invalid:8443": port 8443 has no customary protocol' check -f json mail.invalid:8443
	usage "port 0" '"smtp://mail.invalid:0": the port must be a number from 1 to 65535' \
		check -f json smtp://mail.invalid:0
	usage "port 65536" "the port must be a number from 1 to 65535" check -f json smtp://mail.invalid:65536
	usage "no host" '"smtp://": not a valid host name or address' check -f json smtp://
	usage "unclosed IPv6 bracket" "unclosed '['" check -f json "smtp://[::1"
	usage "-P gopher" 'unknown protocol "gopher"' check -f json -P gopher "$NOWHERE"
}

# ---------------------------------------------------------------------------
# check: CRITICAL without the network

unreachable() {
	local port
	it_run "$MAILCERT" check -f json smtp://no-such.invalid
	expect_state "name under .invalid" 2 CRITICAL dns.failed
	it_eq "name under .invalid: JSON target" "smtp://no-such.invalid:25" \
		"$(json_field "$IT_LAST_OUT" target || true)"
	it_eq "name under .invalid: JSON port" 25 "$(json_field "$IT_LAST_OUT" port || true)"
	it_eq "name under .invalid: no chain" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"

	it_run "$MAILCERT" check -f json submission://no-such.invalid
	expect_state "submission:// under .invalid" 2 CRITICAL dns.failed
	it_eq "submission:// under .invalid: port 587" 587 "$(json_field "$IT_LAST_OUT" port || true)"

	# A port that was free a moment ago: nothing listens, the kernel refuses.
	read -r port < <(it_free_ports 1)
	it_run "$MAILCERT" check -f json -t 5 "smtp://127.0.0.1:$port"
	expect_state "closed loopback port" 2 CRITICAL connect.refused
	it_run "$MAILCERT" check -f json -t 5 --connect-to 127.0.0.1 "smtps://mail.invalid:$port"
	expect_state "--connect-to a closed loopback port (target name not resolved)" 2 CRITICAL \
		connect.refused

	# The other formats say the same.
	it_run "$MAILCERT" check -f nagios smtp://no-such.invalid
	expect_rc "nagios, .invalid" 2
	it_contains "nagios, .invalid: first line" "MAILCERT CRITICAL - smtp://no-such.invalid:25: " \
		"$(head -n 1 "$IT_LAST_OUT")"
	it_contains "nagios, .invalid: the finding" "dns.failed" "$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" check -f text smtp://no-such.invalid
	expect_rc "text, .invalid" 2
	it_contains "text, .invalid: state" "CRITICAL" "$(cat "$IT_LAST_OUT")"
	it_contains "text, .invalid: the finding" "dns.failed" "$(cat "$IT_LAST_OUT")"

	# Several targets: one JSON line each, the worst state wins; a bad
	# target among them is reported and does not stop the others.
	it_run "$MAILCERT" check -f json smtp://a.invalid smtps://b.invalid
	expect_rc "two targets" 2
	it_eq "two targets: two JSON lines" 2 "$(grep -c . "$IT_LAST_OUT" || true)"
	it_eq "two targets: both CRITICAL dns.failed" "smtp://a.invalid:25 dns.failed
smtps://b.invalid:465 dns.failed" "$("$IT_PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["target"], " ".join(f["code"] for f in r["findings"]))
' "$IT_LAST_OUT" 2>&1 || true)"

	# A bad target among good ones: refused on stderr, the others are
	# still checked; CRITICAL outranks UNKNOWN (monitoring-plugins order).
	it_run "$MAILCERT" check -f json smtp://a.invalid gopher://b.invalid
	expect_rc "a good and a bad target" 2
	expect_stderr "a good and a bad target" 'unknown scheme "gopher"'
	it_eq "a good and a bad target: one JSON line" 1 "$(grep -c . "$IT_LAST_OUT" || true)"
	it_eq "a good and a bad target: the good one checked" dns.failed \
		"$(json_field "$IT_LAST_OUT" findings.0.code || true)"

	# The help's own example, as cron or a script runs it (stdout is not a
	# terminal): several targets without -f.
	it_run "$MAILCERT" check -w 21 -c 7 smtp://mx1.invalid smtps://mx1.invalid
	expect_rc "help example with two targets, stdout not a terminal" 2
}

main() {
	local started=$SECONDS
	commands
	check_help
	options
	targets
	unreachable
	it_note "CLI tests took $((SECONDS - started)) s"
	it_finish
}

main

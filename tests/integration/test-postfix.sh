#!/usr/bin/env bash
# Real-server test: `mailcert check` against Postfix 3.7 on loopback.
#
# usage: test-postfix.sh PATH-TO-MAILCERT
#
# Starts a private Postfix instance (own main.cf/master.cf, queue, data
# directory and log under a temporary directory) with four smtpd services
# on free 127.0.0.1 high ports:
#   smtp   25-like, STARTTLS offered (smtpd_tls_security_level = may)
#   sub    587-like submission, TLS required (encrypt)
#   smtps  465-like, implicit TLS (smtpd_tls_wrappermode = yes)
#   plain  25-like without TLS, for starttls.not-offered
# serves a test PKI's certificates (root → intermediate → leaf mail.test,
# full chain via smtpd_tls_chain_files), checks every port and every option
# of `mailcert check` that changes what is probed or how it is judged, then
# swaps in bad certificates one after the other (postfix reload) and checks
# that mailcert reports each with the exit status and finding docs/findings.md
# promises. The smtp service logs every EHLO name (a WARN helo restriction,
# evaluated at once), so --helo can be seen arriving.
# Needs root, postfix, gnutls-bin and python3 (tests/run installs them).

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix certtool gnutls-cli python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

HOST=mail.test

it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
PKI=$IT_WORK/pki

# ---------------------------------------------------------------------------
# Certificates

# bundle NAME KEY CERT...: PKI/NAME.bundle, the single file that
# smtpd_tls_chain_files takes: the key, then the certificates in the order
# they are sent.
bundle() {
	local name=$1
	shift
	cat "$@" >"$PKI/$name.bundle"
	chmod 0600 "$PKI/$name.bundle"
}

make_pki() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	it_pki_leaf "$PKI" expired "-30 days" "-2 days" "$HOST"
	it_pki_leaf "$PKI" other "-1 day" "+90 days" other.test
	# 110 days long: the fixed defaults (30/15 days) apply, not a share of
	# a short lifetime (docs/short-lived.md).
	it_pki_leaf "$PKI" expiring "-100 days" "+10 days" "$HOST"

	bundle good "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem"
	bundle expired "$PKI/expired.key" "$PKI/expired.pem" "$PKI/inter.pem"
	bundle other "$PKI/other.key" "$PKI/other.pem" "$PKI/inter.pem"
	bundle expiring "$PKI/expiring.key" "$PKI/expiring.pem" "$PKI/inter.pem"
	bundle leafonly "$PKI/good.key" "$PKI/good.pem"

	# A self-signed leaf for mail.test, sent alone.
	it_pki_cert "$PKI" selfsigned - "-1 day" "+90 days" "cn = \"$HOST\"" \
		"dns_name = \"$HOST\"" tls_www_server signing_key encryption_key
	bundle selfsigned "$PKI/selfsigned.key" "$PKI/selfsigned.pem"
	# A CA that signed nothing served here, for --ca-file.
	it_pki_cert "$PKI" otherroot - "-1 day" "+3650 days" \
		'cn = "mailcert unrelated root CA"' 'organization = "mailcert tests"' \
		ca cert_signing_key crl_signing_key
	# The test root as the only file of a directory, for --ca-dir.
	mkdir -p "$PKI/cadir"
	cp "$PKI/root.pem" "$PKI/cadir/root.pem"
}

# ---------------------------------------------------------------------------
# Postfix

# The served leaf on each TLS port: gnutls-cli STARTTLS name, or "" for
# implicit TLS.
TLS_PORTS=()
declare -A TLS_PROTO=()

# wait_served SHA256: every TLS port presents the leaf SHA256.
wait_served() {
	local port
	for port in "${TLS_PORTS[@]}"; do
		it_wait_served 127.0.0.1 "$port" "${TLS_PROTO[$port]}" "$1" 15 || return 1
	done
}

# serve NAME LEAF: make Postfix serve PKI/NAME.bundle, whose leaf is
# PKI/LEAF.pem, and wait until every TLS port does: reload only makes
# idle smtpd processes exit, new ones load the file.
serve() {
	local name=$1 leaf=$2
	install -m 0600 "$PKI/$name.bundle" "$PF_CONF/current.pem"
	pf_cmd reload || it_bail "postfix reload for '$name'"
	it_check "postfix serves the '$name' certificates on every TLS port" \
		wait_served "$(it_cert_sha256 "$PKI/$leaf.pem")"
}

write_postfix_config() {
	# key, leaf, intermediate: swapped by serve()
	pf_write_config "smtpd_tls_chain_files = $PF_CONF/current.pem" <<-EOF
		127.0.0.1:$PORT_SMTP inet n - n - - smtpd
		  -o smtpd_delay_reject=no
		  -o smtpd_helo_restrictions=check_helo_access,static:WARN
		127.0.0.1:$PORT_SUB inet n - n - - smtpd
		  -o syslog_name=postfix/submission
		  -o smtpd_tls_security_level=encrypt
		127.0.0.1:$PORT_SMTPS inet n - n - - smtpd
		  -o syslog_name=postfix/smtps
		  -o smtpd_tls_wrappermode=yes
		127.0.0.1:$PORT_PLAIN inet n - n - - smtpd
		  -o syslog_name=postfix/plain
		  -o smtpd_tls_security_level=none
	EOF
}

start_postfix() {
	write_postfix_config
	install -m 0600 "$PKI/good.bundle" "$PF_CONF/current.pem"
	pf_start "$PORT_SMTP" "$PORT_SUB" "$PORT_SMTPS" "$PORT_PLAIN"
	it_check "postfix serves the 'good' certificates on every TLS port" \
		wait_served "$(it_cert_sha256 "$PKI/good.pem")"
}

# ---------------------------------------------------------------------------
# mailcert and what it must say

CA=()  # set once the PKI exists

# expect_good_chain DESC: the full good chain was seen, as sent.
expect_good_chain() {
	it_contains "$1: leaf subject names $HOST" "$HOST" \
		"$(json_field "$IT_LAST_OUT" chain.0.subject || true)"
	expect_chain "$1" good
}

# ---------------------------------------------------------------------------
# The scenarios

good_chain_everywhere() {
	local target port
	for target in "smtp://$HOST:$PORT_SMTP" "submission://$HOST:$PORT_SUB" \
		"smtps://$HOST:$PORT_SMTPS" "submissions://$HOST:$PORT_SMTPS" \
		"tls://$HOST:$PORT_SMTPS"; do
		mc "$target" "${CA[@]}"
		expect 0 OK "good chain, $target"
		expect_no_findings "good chain, $target"
		expect_good_chain "good chain, $target"
		port=${target##*:}
		if [ "$port" = "$PORT_SMTPS" ]; then
			expect_chain_as_openssl "good chain, $target" "$port"
		else
			expect_chain_as_openssl "good chain, $target" "$port" -starttls smtp
		fi
	done
}

starttls_not_offered() {
	local target="smtp://$HOST:$PORT_PLAIN"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "no STARTTLS, $target"
	expect_finding "no STARTTLS, $target" starttls.not-offered
}

connect_refused() {
	local target="submission://$HOST:$PORT_CLOSED"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "closed port, $target"
	expect_finding "closed port, $target" connect.refused
}

# bad_on_every_port DESC STATUS STATE CODE [CERT] -- [OPTIONS...]: each TLS
# port, by its usual scheme, gives STATUS/STATE and finding CODE.
bad_on_every_port() {
	local desc=$1 status=$2 state=$3 finding=() target
	shift 3
	while [ "$1" != -- ]; do
		finding+=("$1")
		shift
	done
	shift
	for target in "smtp://$HOST:$PORT_SMTP" "submission://$HOST:$PORT_SUB" \
		"smtps://$HOST:$PORT_SMTPS"; do
		mc "$target" "${CA[@]}" "$@"
		expect "$status" "$state" "$desc, $target"
		expect_finding "$desc, $target" "${finding[@]}"
	done
}

good_on_every_port() {
	local desc=$1 target
	shift
	for target in "smtp://$HOST:$PORT_SMTP" "submission://$HOST:$PORT_SUB" \
		"smtps://$HOST:$PORT_SMTPS"; do
		mc "$target" "${CA[@]}" "$@"
		expect 0 OK "$desc, $target"
		expect_no_findings "$desc, $target"
	done
}

leaf_only_on_every_port() {
	local target desc
	for target in "smtp://$HOST:$PORT_SMTP" "submission://$HOST:$PORT_SUB" \
		"smtps://$HOST:$PORT_SMTPS"; do
		desc="leaf without intermediate, $target"
		mc "$target" "${CA[@]}"
		expect 2 CRITICAL "$desc"
		expect_finding "$desc" chain.incomplete
		it_eq "$desc: chain length 1" 1 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
	done
}

# The example program, built by tests/run against the *installed* library
# through pkg-config, checks the real server like the CLI does.
installed_example() {
	if [ -z "${MAILCERT_EXAMPLE:-}" ]; then
		it_note "MAILCERT_EXAMPLE not set: the installed-library example is run by tests/run"
		return
	fi
	local target="submission://$HOST:$PORT_SUB"
	it_run env LD_LIBRARY_PATH="$MAILCERT_EXAMPLE_LIBDIR" "$MAILCERT_EXAMPLE" \
		--ca-file "$PKI/root.pem" --connect-to 127.0.0.1 "$target"
	it_eq "installed example, $target: exit status 0" 0 "$IT_LAST_RC"
	it_contains "installed example, $target: state OK" "state OK" "$(cat "$IT_LAST_OUT")"
	it_run env LD_LIBRARY_PATH="$MAILCERT_EXAMPLE_LIBDIR" "$MAILCERT_EXAMPLE" \
		--connect-to 127.0.0.1 "$target"
	it_eq "installed example without the test CA: exit status 2" 2 "$IT_LAST_RC"
	it_contains "installed example without the test CA: a trust finding" "finding trust.untrusted" \
		"$(cat "$IT_LAST_OUT")"
	# examples/render-json.c: the report as one JSON line, as check -f json gives it.
	if [ -z "${MAILCERT_EXAMPLE_DIR:-}" ]; then
		it_not_ok "render-json example: MAILCERT_EXAMPLE_DIR not set (tests/run sets it)"
		return
	fi
	it_run env LD_LIBRARY_PATH="$MAILCERT_EXAMPLE_LIBDIR" "$MAILCERT_EXAMPLE_DIR/render-json" \
		--ca-file "$PKI/root.pem" --connect-to 127.0.0.1 "$target"
	it_eq "render-json example, $target: exit status 0" 0 "$IT_LAST_RC"
	it_eq "render-json example: one line" 1 "$(wc -l <"$IT_LAST_OUT")"
	it_eq "render-json example: state OK" OK "$(json_field "$IT_LAST_OUT" state || true)"
	it_eq "render-json example: the target" "$target" "$(json_field "$IT_LAST_OUT" target || true)"
	it_eq "render-json example: the leaf as served" "$(it_cert_sha256 "$PKI/good.pem")" \
		"$(json_field "$IT_LAST_OUT" chain.0.sha256 || true)"
	it_contains "render-json example: TLS reached" TLS1. "$(json_field "$IT_LAST_OUT" tls.version || true)"
}

# ---------------------------------------------------------------------------
# The options of `mailcert check`, each on the real server

# expect_json DESC PATH VALUE: the last run's JSON has VALUE at PATH.
expect_json() {
	it_eq "$1: $2 is $3" "$3" "$(json_field "$IT_LAST_OUT" "$2" || true)"
}

# expect_finding_any DESC CODE...: the last run reported one of CODEs.
expect_finding_any() {
	local desc=$1 code what
	shift
	what=$(printf ' or %s' "$@")
	what="finding ${what# or }"
	for code in "$@"; do
		if has_finding "$IT_LAST_OUT" "$code"; then
			it_ok "$desc: $what"
			return
		fi
	done
	it_not_ok "$desc: $what" "findings: $(finding_codes "$IT_LAST_OUT")"
}

# json_lines FILE: "TARGET STATE CODE..." for each JSON line of FILE.
json_lines() {
	"$IT_PYTHON" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        r = json.loads(line)
        print(" ".join([r.get("target"), r.get("state")] +
                       [f.get("code") for f in r.get("findings") or []]))
' "$1" 2>&1 || true
}

# -n/--name replaces the target host as the name to match; any one of
# several names matching is enough.
name_option() {
	local target="submission://$HOST:$PORT_SUB" desc
	desc="no -n, $target"
	mc "$target" "${CA[@]}"
	expect_json "$desc" matched_name "$HOST"
	desc="-n $HOST, $target"
	mc "$target" "${CA[@]}" -n "$HOST"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	expect_json "$desc" matched_name "$HOST"
	desc="-n other.test, $target"
	mc "$target" "${CA[@]}" -n other.test
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" name.mismatch
	expect_json "$desc" matched_name null
	# Every name given must be covered (as check_ssl_cert's repeated -n).
	desc="-n other.test -n $HOST, $target"
	mc "$target" "${CA[@]}" -n other.test -n "$HOST"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" name.mismatch
	it_contains "$desc: the message names other.test" 'is not valid for "other.test"' \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	it_eq "$desc: one finding" 1 "$(json_field "$IT_LAST_OUT" 'findings.#' || true)"
	expect_json "$desc" matched_name "$HOST"
	target="smtps://$HOST:$PORT_SMTPS"
	desc="--name other.test, $target"
	mc "$target" "${CA[@]}" --name other.test
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" name.mismatch
	# Without --connect-to the target is the address, and so the name.
	target="smtps://127.0.0.1:$PORT_SMTPS"
	desc="no -n, $target"
	it_run "$MAILCERT" check -f json "${CA[@]}" "$target"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" name.mismatch
	desc="-n $HOST, $target"
	it_run "$MAILCERT" check -f json "${CA[@]}" -n "$HOST" "$target"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	expect_json "$desc" matched_name "$HOST"
}

# -P/--protocol: the protocol of a HOST:PORT target with no customary one.
protocol_option() {
	local target="$HOST:$PORT_SMTPS" desc
	desc="-P smtps, $target"
	mc "$target" "${CA[@]}" -P smtps
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	expect_json "$desc" protocol smtps
	target="$HOST:$PORT_SMTP"
	desc="--protocol smtp, $target"
	mc "$target" "${CA[@]}" --protocol smtp
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	expect_json "$desc" protocol smtp
}

# --sni changes only what is sent (Postfix has one certificate for every
# name); the name check still uses the target host.
sni_option() {
	local target desc sni
	for target in "smtp://$HOST:$PORT_SMTP" "smtps://$HOST:$PORT_SMTPS"; do
		for sni in other.test ""; do
			desc="--sni '$sni', $target"
			mc "$target" "${CA[@]}" --sni "$sni"
			expect 0 OK "$desc"
			expect_no_findings "$desc"
			expect_json "$desc" matched_name "$HOST"
		done
	done
}

# maillog_has TEXT SECONDS: postlogd writes the log asynchronously.
maillog_has() {
	local deadline=$((SECONDS + $2))
	until grep -qF -- "$1" "$PF_LOG"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# --helo: the EHLO name Postfix receives (and logs), by default
# mailcert.invalid as --help says.
helo_option() {
	local target="smtp://$HOST:$PORT_SMTP" desc
	desc="--helo probe.example, $target"
	mc "$target" "${CA[@]}"
	it_check "default EHLO name: postfix logged helo=<mailcert.invalid>" \
		maillog_has "helo=<mailcert.invalid>" 5
	mc "$target" "${CA[@]}" --helo probe.example
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	it_check "$desc: postfix logged helo=<probe.example>" maillog_has "helo=<probe.example>" 5
}

# -4/-6 restrict the addresses --connect-to (or the host) resolves to.
# Postfix listens on 127.0.0.1 only (inet_protocols = ipv4).
family_option() {
	local target="smtp://$HOST:$PORT_SMTP" desc
	desc="-4, $target"
	mc "$target" "${CA[@]}" -4
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	desc="-6 --connect-to 127.0.0.1, $target"
	mc "$target" "${CA[@]}" -6
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" dns.failed
	it_contains "$desc: the message says IPv6" "(IPv6)" \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	desc="-4 --connect-to ::1, $target"
	it_run "$MAILCERT" check -f json --connect-to ::1 -4 "${CA[@]}" "$target"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" dns.failed
	desc="--connect-to ::1 (nothing listens on IPv6), $target"
	it_run "$MAILCERT" check -f json --connect-to ::1 -t 5 "${CA[@]}" "$target"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" connect.refused
}

# -w/-c against the good leaf: valid from a day ago for 90 days, so about
# 90 of its 91 days (98.9 %) are left: under 99 %, over 98 %.
threshold_options() {
	local target="smtp://$HOST:$PORT_SMTP" desc first
	local cases=(
		"1 WARNING -w 95"
		"2 CRITICAL -c 95"
		"1 WARNING --warning 95d"
		"1 WARNING -w 2200h"
		"2 CRITICAL --critical 7800000s"
		"1 WARNING -w 99%"
		"2 CRITICAL -c 99%"
		"1 WARNING -w 95:"
		"2 CRITICAL -c 95:"
		"0 OK -w 98%"
		"0 OK -w 95%"
		"0 OK -w 2100h"
		"0 OK -w 85:"
		"0 OK -w 10 -c 5"
	)
	local c status state opts
	for c in "${cases[@]}"; do
		read -r status state opts <<<"$c"
		desc="good leaf, $opts, $target"
		# shellcheck disable=SC2086 # opts are words
		mc "$target" "${CA[@]}" $opts
		expect "$status" "$state" "$desc"
		if [ "$status" = 0 ]; then
			expect_no_findings "$desc"
		else
			expect_finding "$desc" cert.expiring 0
			expect_json "$desc" findings.0.severity "$state"
		fi
	done
	# The thresholds reach the Nagios perfdata, in seconds.
	it_run "$MAILCERT" check -f nagios --connect-to 127.0.0.1 "${CA[@]}" -w 95 -c 10 "$target"
	it_eq "nagios -w 95 -c 10, $target: exit status 1" 1 "$IT_LAST_RC"
	first=$(head -n 1 "$IT_LAST_OUT")
	it_contains "nagios -w 95 -c 10, $target: first line" "MAILCERT WARNING - $target: " "$first"
	it_contains "nagios -w 95 -c 10, $target: thresholds in perfdata" "s;8208000:;864000:;0; " \
		"$first"
}

# --at judges the same chain at another time: the leaf ends in 90 days,
# the intermediate and root in ten years, all began a day ago.
at_option() {
	local target="submission://$HOST:$PORT_SUB" desc
	desc="--at +100d, $target"
	mc "$target" "${CA[@]}" --at +100d
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" cert.expired 0
	desc="--at +80d, $target"
	mc "$target" "${CA[@]}" --at +80d
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" cert.expiring 0
	expect_json "$desc" findings.0.severity CRITICAL
	desc="--at +80d -c 5, $target"
	mc "$target" "${CA[@]}" --at +80d -c 5
	expect 1 WARNING "$desc"
	expect_finding "$desc" cert.expiring 0
	desc="--at 2020-01-01, $target"
	mc "$target" "${CA[@]}" --at 2020-01-01
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" cert.not-yet-valid 0
	expect_finding "$desc" cert.not-yet-valid 1
	expect_json "$desc" evaluated_at 2020-01-01T00:00:00Z
	desc="--at +1h, $target"
	mc "$target" "${CA[@]}" --at +1h
	expect 0 OK "$desc"
	expect_no_findings "$desc"
}

# --ca-file/--ca-dir replace the system store.
trust_options() {
	local target="smtps://$HOST:$PORT_SMTPS" desc
	desc="--ca-dir with the test root, $target"
	mc "$target" --ca-dir "$PKI/cadir"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	desc="--ca-file of an unrelated CA, $target"
	mc "$target" --ca-file "$PKI/otherroot.pem"
	expect 2 CRITICAL "$desc"
	expect_finding_any "$desc" trust.untrusted chain.incomplete
	desc="--ca-file of the test root with --system-ca, $target"
	mc "$target" "${CA[@]}" --system-ca
	expect 0 OK "$desc"
	expect_no_findings "$desc"
}

# -t, and the text format a person reads, plain and with -v.
timeout_and_text() {
	local target="smtp://$HOST:$PORT_SMTP" desc text leaf
	desc="-t 0.5, $target"
	mc "$target" "${CA[@]}" -t 0.5
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	if "$IT_PYTHON" -c 'import json, sys; sys.exit(0 if json.loads(open(sys.argv[1]).read())["timings"]["total_s"] < 0.5 else 1)' "$IT_LAST_OUT"; then
		it_ok "$desc: done within the deadline"
	else
		it_not_ok "$desc: done within the deadline" "timings: $(json_field "$IT_LAST_OUT" timings || true)"
	fi

	desc="-f text, $target"
	it_run "$MAILCERT" check -f text -t 0.5 --connect-to 127.0.0.1 "${CA[@]}" "$target"
	it_eq "$desc: exit status 0" 0 "$IT_LAST_RC"
	text=$(cat "$IT_LAST_OUT")
	it_contains "$desc: target and state" "$target  OK" "$text"
	it_contains "$desc: connected" "connected to 127.0.0.1:$PORT_SMTP" "$text"
	it_contains "$desc: name matched" "name $HOST matched" "$text"
	it_contains "$desc: chain view" "chain as served:" "$text"
	it_contains "$desc: the leaf" "0 CN=$HOST" "$text"
	it_contains "$desc: the intermediate" "1 CN=mailcert test intermediate CA" "$text"
	it_contains "$desc: no findings" "no findings" "$text"
	leaf=$(it_cert_sha256 "$PKI/good.pem")
	if grep -Eq '^ +sha256 ' <<<"$text"; then
		it_not_ok "$desc: no sha256 without -v"
	else
		it_ok "$desc: no sha256 without -v"
	fi

	desc="-f text -v, $target"
	it_run "$MAILCERT" check -f text -v --connect-to 127.0.0.1 "${CA[@]}" "$target"
	it_eq "$desc: exit status 0" 0 "$IT_LAST_RC"
	text=$(cat "$IT_LAST_OUT")
	it_contains "$desc: sha256 of the leaf" "sha256 $leaf" "$(norm_hex "$text")"
	it_contains "$desc: timings" "timings connect" "$text"
	it_contains "$desc: SANs" "san $HOST" "$text"
}

# A port that accepts but never greets: -t bounds the whole check.
silent_listener() {
	"$IT_PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
time.sleep(120)
' "$PORT_SILENT" </dev/null >/dev/null 2>&1 &
	SILENT_PID=$!
	it_on_exit stop_silent_listener
	it_check "silent listener on $PORT_SILENT" it_wait_port 127.0.0.1 "$PORT_SILENT" 5
}

stop_silent_listener() {
	[ -n "${SILENT_PID:-}" ] || return 0
	kill -TERM "$SILENT_PID" 2>/dev/null || true
	wait "$SILENT_PID" 2>/dev/null || true
}

timeout_option() {
	local target="smtp://$HOST:$PORT_SILENT" desc started elapsed
	desc="-t 0.5, a server that never greets, $target"
	started=$(date +%s.%N)
	mc "$target" "${CA[@]}" -t 0.5
	elapsed=$("$IT_PYTHON" -c 'import sys, time; print("%.2f" % (time.time() - float(sys.argv[1])))' "$started")
	expect 2 CRITICAL "$desc"
	# Connected at once: the deadline ran out in the dialogue, not in connect.
	expect_finding "$desc" timeout
	it_check "$desc: gave up within 2 s (took $elapsed s)" \
		"$IT_PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 2 else 1)' "$elapsed"
}

# Several targets in one run: a JSON line each, in order; the worst state.
several_targets() {
	local good="smtp://$HOST:$PORT_SMTP" closed="submission://$HOST:$PORT_CLOSED"
	local desc="two targets, one closed"
	it_run "$MAILCERT" check -f json --connect-to 127.0.0.1 -t 10 "${CA[@]}" "$good" "$closed"
	it_eq "$desc: exit status 2" 2 "$IT_LAST_RC"
	it_eq "$desc: a JSON line each" "$good OK
$closed CRITICAL connect.refused" "$(json_lines "$IT_LAST_OUT")"
}

self_signed_on_every_port() {
	bad_on_every_port "self-signed leaf" 2 CRITICAL trust.self-signed 0 --
	good_on_every_port "self-signed leaf, --allow-self-signed" --allow-self-signed
	local target="submission://$HOST:$PORT_SUB" desc
	desc="self-signed leaf, --allow-self-signed and the system store, $target"
	mc "$target" --allow-self-signed
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	desc="self-signed leaf, --allow-self-signed -n other.test, $target"
	mc "$target" --allow-self-signed -n other.test
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" name.mismatch
}

# The Nagios line of a real check: state, summary and perfdata.
nagios_output() {
	local target="smtp://$HOST:$PORT_SMTP" first
	it_run "$MAILCERT" check -f nagios --connect-to 127.0.0.1 "${CA[@]}" "$target"
	it_eq "nagios, $target: exit status 0" 0 "$IT_LAST_RC"
	first=$(head -n 1 "$IT_LAST_OUT")
	it_contains "nagios, $target: first line" "MAILCERT OK - $target: " "$first"
	it_contains "nagios, $target: perfdata" "| 'cert_remaining'=" "$first"
	it_contains "nagios, $target: thresholds as ranges" "s;2592000:;1296000:;0; 'cert_remaining_0'=" "$first"
	it_contains "nagios, $target: stage times" "s 'time_connect'=" "$first"
}

# The 465-vs-587 confusion, both ways: the finding names the scheme to use,
# and the check ends within its timeout.
wrong_port() {
	local target msg start elapsed
	target="smtp://$HOST:$PORT_SMTPS"
	start=$SECONDS
	mc "$target" "${CA[@]}" -t 4
	elapsed=$((SECONDS - start))
	expect 2 CRITICAL "STARTTLS scheme on the implicit port, $target"
	expect_finding "STARTTLS scheme on the implicit port" protocol.mismatch
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "STARTTLS scheme on the implicit port: names the scheme" \
		"port $PORT_SMTPS speaks implicit TLS; use smtps://$HOST:$PORT_SMTPS" "$msg"
	it_check "STARTTLS scheme on the implicit port: within -t 4 (took $elapsed s)" \
		test "$elapsed" -le 5

	# The suggestion keeps the family chosen: smtps → smtp, submissions →
	# submission.
	for target in "smtps://$HOST:$PORT_SMTP" "submissions://$HOST:$PORT_SUB"; do
		local scheme=${target%%s://*}
		mc "$target" "${CA[@]}"
		expect 2 CRITICAL "implicit scheme on a STARTTLS port, $target"
		expect_finding "implicit scheme on a STARTTLS port, $target" protocol.mismatch
		msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
		it_contains "implicit scheme on a STARTTLS port, $target: names the scheme" \
			"so it speaks $scheme with STARTTLS, not implicit TLS; use $scheme://$HOST:${target##*:}" \
			"$msg"
	done
}

# mailcert show: the dialogue as it happened, the chain, the PEM as sent.
show_command() {
	local target="smtp://$HOST:$PORT_SMTP" out pems
	it_run "$MAILCERT" show --pem --connect-to 127.0.0.1 "${CA[@]}" "$target"
	it_eq "show $target: exit status 0" 0 "$IT_LAST_RC"
	out=$(cat "$IT_LAST_OUT")
	it_contains "show: dialogue heading" "plaintext dialogue:" "$out"
	it_contains "show: the server's greeting" "  S: 220 " "$out"
	it_contains "show: our EHLO" "  C: EHLO mailcert.invalid" "$out"
	it_contains "show: STARTTLS advertised" "  S: 250 " "$out"
	it_contains "show: our STARTTLS" "  C: STARTTLS" "$out"
	it_contains "show: the go-ahead" "  S: 220 2.0.0 Ready to start TLS" "$out"
	it_contains "show: the chain" "chain as served:" "$out"
	it_contains "show: leaf sha256" "sha256 $(it_cert_sha256 "$PKI/good.pem")" "$out"
	pems=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$IT_LAST_OUT" || true)
	it_eq "show --pem: two certificates" 2 "$pems"
	it_eq "show --pem: the first PEM is the leaf" "$(it_cert_sha256 "$PKI/good.pem")" \
		"$(it_cert_sha256 "$IT_LAST_OUT")"
	it_eq "show --pem: the second PEM is the intermediate" "$(it_cert_sha256 "$PKI/inter.pem")" \
		"$(awk '/BEGIN CERTIFICATE/ { n++ } n == 2' "$IT_LAST_OUT" | it_cert_sha256 -)"

	it_run "$MAILCERT" show --connect-to 127.0.0.1 "${CA[@]}" "smtps://$HOST:$PORT_SMTPS"
	it_eq "show implicit TLS: exit status 0" 0 "$IT_LAST_RC"
	if grep -q "plaintext dialogue" "$IT_LAST_OUT"; then
		it_not_ok "show implicit TLS: no dialogue section" "$(cat "$IT_LAST_OUT")"
	else
		it_ok "show implicit TLS: no dialogue section"
	fi
	it_run "$MAILCERT" show -f json "$target"
	it_eq "show -f json: refused" 3 "$IT_LAST_RC"
}

main() {
	local started=$SECONDS
	read -r PORT_SMTP PORT_SUB PORT_SMTPS PORT_PLAIN PORT_CLOSED PORT_SILENT \
		< <(it_free_ports 6)
	TLS_PORTS=("$PORT_SMTP" "$PORT_SUB" "$PORT_SMTPS")
	TLS_PROTO=([$PORT_SMTP]=smtp [$PORT_SUB]=smtp [$PORT_SMTPS]="")

	make_pki
	CA=(--ca-file "$PKI/root.pem")
	start_postfix

	good_chain_everywhere
	installed_example
	nagios_output
	untrusted_without_ca_file submission "$PORT_SUB"
	starttls_not_offered
	connect_refused

	name_option
	protocol_option
	sni_option
	helo_option
	family_option
	threshold_options
	at_option
	trust_options
	timeout_and_text
	silent_listener
	timeout_option
	several_targets
	wrong_port
	show_command

	serve expired expired
	bad_on_every_port "expired leaf" 2 CRITICAL cert.expired 0 --

	serve other other
	bad_on_every_port "leaf for other.test" 2 CRITICAL name.mismatch --

	serve expiring expiring
	# 10 days left: under the default critical threshold of 15 days.
	bad_on_every_port "leaf expiring in 10 days" 2 CRITICAL cert.expiring 0 --
	good_on_every_port "leaf expiring in 10 days, -w 5 -c 3" -w 5 -c 3

	serve leafonly good
	leaf_only_on_every_port

	serve selfsigned selfsigned
	self_signed_on_every_port

	it_note "postfix scenarios took $((SECONDS - started)) s"
	it_finish
}

main

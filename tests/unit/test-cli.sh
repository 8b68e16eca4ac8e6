#!/usr/bin/env bash
# The command line of `mailcert`: arguments, exit statuses and messages, as
# mailcert(1), docs/findings.md and `mailcert check --help`
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

VERSION=0.2.0
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
	usage "domain without a domain" "no domain given, e.g. mailcert domain example.com" domain
	usage "domain with two" "one domain at a time (2 given)" domain a.example b.example
	usage "domain with a bad name" '"a b" is not a domain name' domain 'a b'
	usage "domain --name" "--name does not apply: the domain's MX records say which hosts" \
		domain -n mx.example a.example
	usage "domain --tlsa" "--tlsa does not apply" domain --tlsa "3 1 1 00" a.example
	usage "domain --port 0" "--port takes a port number from 1 to 65535, not \"0\"" \
		domain --port 0 a.example
	usage "domain --resolver by name" \
		'--resolver: "dns.example" is not an IP address with an optional port' \
		domain --resolver dns.example a.example
	it_run "$MAILCERT" domain --help
	expect_rc "domain --help" 0
	it_contains "domain --help names the MTA-STS URL" "https://mta-sts.DOMAIN/.well-known/" \
		"$(cat "$IT_LAST_OUT")"
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
	for opt in --issuer --subject --serial --pin --severity; do
		if grep -Eq -- "(^|[ ,])$opt([ ,=]|\$)" <<<"$help"; then
			it_ok "check --help mentions $opt"
		else
			it_not_ok "check --help mentions $opt"
		fi
	done
	it_contains "check --help: --pin takes base64 or hex" "in base64 (as HPKP and check_ssl_cert" \
		"$help"
	it_run "$MAILCERT" check -h
	expect_rc "check -h" 0
	it_contains "check -h: the same help" "Usage: mailcert check" "$(cat "$IT_LAST_OUT")"
}

# Every command's --help (those `mailcert --help` lists, and check_mailcert)
# is printed as it reads: no printf escape left raw ("33%%", "%s") and no
# C escape sequence ("\n") in it.
help_texts() {
	local cmd cmds text raw
	cmds=$("$MAILCERT" --help | awk '/^Commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }')
	[ -n "$cmds" ] || it_not_ok "mailcert --help lists commands" "none found"
	for cmd in "" $cmds check_mailcert; do
		if [ "$cmd" = check_mailcert ]; then
			it_run "$(dirname "$MAILCERT")/check_mailcert" --help
		else
			# shellcheck disable=SC2086 # "" is mailcert's own --help
			it_run "$MAILCERT" $cmd --help
		fi
		expect_rc "${cmd:-mailcert} --help" 0
		text=$(cat "$IT_LAST_OUT")
		raw=$(grep -nE -- "%%|%[-#0 +']*[0-9*]*(\.[0-9*]+)?(hh|h|ll|l|z|j|t|L)?[diouxXeEfFgGcsp]|\\[ntr\"]" \
			<<<"$text" || true)
		it_eq "${cmd:-mailcert} --help: no printf or C escape printed raw" "" "$raw"
		[ -n "$text" ] || it_not_ok "${cmd:-mailcert} --help: says something" "empty"
	done
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

	usage "--tlsa X" '--tlsa "X": a TLSA record is "USAGE SELECTOR MTYPE HEX"' \
		check --tlsa X "$NOWHERE"
	usage "--tlsa with odd hex" '--tlsa "3 1 1 abc": the TLSA data has an odd number of hex digits' \
		check --tlsa "3 1 1 abc" "$NOWHERE"
	usage "--tlsa SHA-256 too short" \
		'--tlsa "3 1 1 abcd": matching type 1 needs 32 bytes (SHA-256) of data, not 2 bytes' \
		check --tlsa "3 1 1 abcd" "$NOWHERE"
	usage "--trust-anchor missing" \
		'--trust-anchor: cannot read the trust anchor file "/nonexistent/root.key": No such file or directory' \
		check --dane --trust-anchor /nonexistent/root.key "$NOWHERE"
	usage "file --dane" "--dane looks up a server's TLSA records in DNS; for a file" \
		file --dane /dev/null
	usage "--key-type dsa" '--key-type "dsa": use rsa or ecdsa' check --key-type dsa "$NOWHERE"
	usage "--all-keys with --key-type" \
		"--all-keys checks every key type; --key-type only one: give one of them" \
		check --all-keys --key-type rsa "$NOWHERE"
	usage "show --all-keys" "show prints one handshake: use --key-type rsa or --key-type ecdsa" \
		show --all-keys "$NOWHERE"
	usage "--all-keys -f nagios" \
		"--all-keys gives one report per key type and a Nagios check gives one: check each with --key-type rsa and --key-type ecdsa" \
		check --all-keys -f nagios "$NOWHERE"
	usage "--min-tls 1.4" '--min-tls: "1.4" is not a TLS version: use 1.0, 1.1, 1.2 or 1.3' \
		check --min-tls 1.4 "$NOWHERE"
	usage "--min-tls without a value" "mailcert: --min-tls needs a value" check "$NOWHERE" --min-tls
	local bits
	for bits in abc 0 -1 16385 2048x ec: rsa:x dsa:1024; do
		usage "--min-key-bits '$bits'" \
			"--min-key-bits: \"$bits\" is not a key size: use N or rsa:N (RSA and DSA bits) or ec:N (curve bits), N from 1 to 16384" \
			check --min-key-bits "$bits" "$NOWHERE"
	done
	# Expectations and severity overrides: each bad value refused, naming the flag.
	usage "--issuer '('" '--issuer: "(" is not a valid extended regular expression: ' \
		check --issuer '(' "$NOWHERE"
	usage "--subject 'a{2,1}'" '--subject: "a{2,1}" is not a valid extended regular expression: ' \
		check --subject 'a{2,1}' "$NOWHERE"
	for t in xyz 0x "" "12 34"; do
		usage "--serial '$t'" "--serial \"$t\": not a hexadecimal serial number" \
			check --serial "$t" "$NOWHERE"
	done
	for t in X sha256: sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= sha256:abcd; do
		usage "--pin '$t'" "--pin \"$t\": use sha256: and the SHA-256 of the public key (SPKI)" \
			check --pin "$t" "$NOWHERE"
	done
	for t in X =ok cert.expiring; do
		usage "--severity '$t'" "--severity \"$t\": use CODE=LEVEL, e.g. chain.root-included=ok" \
			check --severity "$t" "$NOWHERE"
	done
	for t in Cert.expiring=ok cert..x=ok "a b=ok" cert.x-=warning; do
		usage "--severity '$t'" "--severity \"$t\": \"${t%=*}\" is not a finding code" \
			check --severity "$t" "$NOWHERE"
	done
	for t in cert.expiring=info cert.expiring= timeout=unknown; do
		usage "--severity '$t'" "--severity \"$t\": the level is ok, warning or critical" \
			check --severity "$t" "$NOWHERE"
	done
	usage "--xmpp-domain with markup" '--xmpp-domain "a<b": not a domain name' \
		check --xmpp-domain 'a<b' "$NOWHERE"
	usage "--direct-tls on smtp" \
		"smtp://mail.invalid: --direct-tls applies to postgres:// targets only" \
		check --direct-tls smtp://mail.invalid
	usage "--force-starttls on postgres" \
		"postgres://mail.invalid: --force-starttls applies to pop3:// targets only" \
		check --direct-tls --force-starttls postgres://mail.invalid
	usage "--resolver by name" \
		'--resolver: "dns.example" is not an IP address with an optional port' \
		check --dane --resolver dns.example "$NOWHERE"

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
	usage "--crl missing" \
		"--crl: cannot load the CRL file \"$IT_WORK/no-such.crl\": No such file or directory" \
		check --crl "$IT_WORK/no-such.crl" "$NOWHERE"
	printf 'not a CRL\n' >"$IT_WORK/junk.crl"
	usage "--crl not a CRL" "--crl: cannot load the CRL file \"$IT_WORK/junk.crl\": " \
		check --crl "$IT_WORK/junk.crl" "$NOWHERE"
	usage "--crl a directory" \
		"--crl: cannot load the CRL file \"$IT_WORK\": a directory, not a file" \
		check --crl "$IT_WORK" "$NOWHERE"
	usage "--crl without a value" "mailcert: --crl needs a value" check "$NOWHERE" --crl

	# A code of a later version is accepted; network findings are overridden too.
	it_run "$MAILCERT" check -f json --severity future.code=ok "$NOWHERE"
	expect_state "--severity of an unknown code" 2 CRITICAL dns.failed
	it_run "$MAILCERT" check -f json --severity dns.failed=warning "$NOWHERE"
	expect_state "--severity dns.failed=warning" 1 WARNING dns.failed
	it_run "$MAILCERT" check -f json --severity dns.failed=critical --severity DNS.failed=ok \
		"$NOWHERE"
	expect_rc "--severity with a bad second code" 3
	it_run "$MAILCERT" check -f json --severity dns.failed=critical --severity dns.failed=OK \
		"$NOWHERE"
	expect_state "--severity dns.failed=ok (the last wins): listed, not counted" 0 OK dns.failed
	it_eq "--severity dns.failed=ok: the finding's severity" OK \
		"$(json_field "$IT_LAST_OUT" findings.0.severity || true)"

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

# ---------------------------------------------------------------------------
# file: certificate files on disk (no network at all)

files() {
	local pki=$IT_WORK/pki chain key other combined der out desc
	it_pki_ca "$pki"
	it_pki_leaf "$pki" mail "-1 day" "+90 days" mail.test mail.test
	it_pki_leaf "$pki" other "-1 day" "+90 days" other.test other.test
	chain=$pki/chain.pem key=$pki/mail.key other=$pki/other.key
	cat "$pki/mail.pem" "$pki/inter.pem" >"$chain"
	combined=$pki/combined.pem # Postfix's smtpd_tls_chain_files: key, then chain
	cat "$key" "$chain" >"$combined"
	der=$pki/mail.der
	openssl x509 -in "$pki/mail.pem" -outform DER -out "$der"
	openssl pkcs8 -topk8 -in "$key" -passout pass:secret -out "$pki/encrypted.key" 2>/dev/null
	: >"$pki/empty.pem"
	printf 'not a certificate\n' >"$pki/garbage.pem"
	local ca=(--ca-file "$pki/root.pem")

	it_run "$MAILCERT" file -f json "${ca[@]}" "$chain" --key "$key"
	expect_rc "file, chain and key" 0
	out=$IT_LAST_OUT
	it_eq "file, chain and key: state OK" OK "$(json_field "$out" state || true)"
	it_eq "file, chain and key: no findings" 0 "$(json_field "$out" 'findings.#' || true)"
	it_eq "file, chain and key: JSON target is the path" "$chain" "$(json_field "$out" target || true)"
	it_eq "file, chain and key: JSON protocol file" file "$(json_field "$out" protocol || true)"
	it_eq "file, chain and key: JSON host null" null "$(json_field "$out" host || true)"
	it_eq "file, chain and key: JSON port null" null "$(json_field "$out" port || true)"
	it_eq "file, chain and key: two certificates" 2 "$(json_field "$out" 'chain.#' || true)"
	it_eq "file, chain and key: no name checked without -n" null \
		"$(json_field "$out" matched_name || true)"

	it_run "$MAILCERT" file -f json "${ca[@]}" -n mail.test "$combined"
	expect_rc "file, key and chain in one file, -n mail.test" 0
	it_eq "file, key and chain in one file: name matched" mail.test \
		"$(json_field "$IT_LAST_OUT" matched_name || true)"
	it_run "$MAILCERT" file -f json "${ca[@]}" -n other.test "$chain"
	expect_state "file, -n other.test" 2 CRITICAL name.mismatch
	it_run "$MAILCERT" file -f json "${ca[@]}" "$der"
	expect_rc "file, DER leaf alone" 2
	expect_state "file, DER leaf alone" 2 CRITICAL chain.incomplete
	it_run "$MAILCERT" file -f json "$chain"
	expect_state "file, no --ca-file" 2 CRITICAL trust.untrusted
	it_run "$MAILCERT" file -f json "${ca[@]}" --at +80d "$chain"
	expect_state "file, --at +80d" 2 CRITICAL cert.expiring
	it_run "$MAILCERT" file -f json "${ca[@]}" -w 100d -c 5d "$chain"
	expect_state "file, -w 100d" 1 WARNING cert.expiring
	# The policy options of check apply to files as well.
	it_run "$MAILCERT" file -f json "${ca[@]}" --issuer "^CN=Let's Encrypt" "$chain"
	expect_state "file, --issuer" 2 CRITICAL issuer.mismatch
	it_run "$MAILCERT" file -f json "${ca[@]}" --issuer "^CN=Let's Encrypt" \
		--severity issuer.mismatch=warning "$chain"
	expect_state "file, --issuer, --severity issuer.mismatch=warning" 1 WARNING issuer.mismatch
	usage "file --severity without a level" '--severity "issuer.mismatch": use CODE=LEVEL' \
		file --severity issuer.mismatch "$chain"

	# The key does not belong to the leaf.
	it_run "$MAILCERT" file -f json "${ca[@]}" "$chain" --key "$other"
	expect_state "file, another key" 2 CRITICAL deploy.key-mismatch
	it_contains "file, another key: names the key file" "the private key in \"$other\" (RSA-2048) does not belong to leaf CN=mail.test (RSA-2048)" \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	cat "$other" "$chain" >"$pki/wrong-combined.pem"
	it_run "$MAILCERT" file -f nagios "${ca[@]}" "$pki/wrong-combined.pem"
	expect_rc "file, combined file with another key (nagios)" 2
	it_contains "file, combined file with another key (nagios): first line" \
		"MAILCERT CRITICAL - $pki/wrong-combined.pem: the private key in \"$pki/wrong-combined.pem\"" \
		"$(head -n 1 "$IT_LAST_OUT")"
	it_contains "file, combined file with another key (nagios): the finding" \
		"CRITICAL deploy.key-mismatch: " "$(cat "$IT_LAST_OUT")"

	# Nagios and text of a good file.
	it_run "$MAILCERT" file -f nagios "${ca[@]}" -n mail.test "$chain" --key "$key"
	expect_rc "file, nagios" 0
	it_contains "file, nagios: first line" \
		"MAILCERT OK - $chain: certificate for mail.test valid until " "$(head -n 1 "$IT_LAST_OUT")"
	it_contains "file, nagios: perfdata" "'cert_remaining'=" "$(head -n 1 "$IT_LAST_OUT")"

	# Exact text, with dates fixed: a self-signed certificate judged --at a given day.
	it_pki_cert "$pki" fixed - "2026-01-01 00:00:00" "2027-01-01 00:00:00" \
		'cn = "mail.test"' 'dns_name = "mail.test"' tls_www_server signing_key encryption_key
	it_run "$MAILCERT" file -f text --allow-self-signed --at 2026-07-01 -n mail.test \
		"$pki/fixed.pem" --key "$pki/fixed.key"
	expect_rc "file, text" 0
	it_eq "file, text: the whole output" "$pki/fixed.pem  OK
  no findings
  name mail.test matched
  chain in the file:
    0 CN=mail.test
      issuer CN=mail.test · RSA-2048 · RSA-SHA256
      valid 2026-01-01 → 2027-01-01 (expires in 184 days)" "$(cat "$IT_LAST_OUT")"

	# Several files: a report each, the worst state.
	it_run "$MAILCERT" file "${ca[@]}" "$chain" "$der"
	expect_rc "file, two files" 2
	it_eq "file, two files: two reports" 2 "$(grep -c '^/.*  \(OK\|CRITICAL\)$' "$IT_LAST_OUT" || true)"

	# Files that cannot be checked: UNKNOWN, naming the file and the problem.
	local fmt
	for fmt in json text; do
		desc="file -f $fmt"
		usage "$desc, missing" \
			"mailcert: cannot read the certificate file \"$pki/none.pem\": No such file or directory" \
			file -f "$fmt" "$pki/none.pem"
		usage "$desc, empty" "mailcert: the certificate file \"$pki/empty.pem\" is empty" \
			file -f "$fmt" "$pki/empty.pem"
		usage "$desc, garbage" \
			"mailcert: the certificate file \"$pki/garbage.pem\" holds no certificate" \
			file -f "$fmt" "$pki/garbage.pem"
		usage "$desc, a key as the certificate" \
			"the certificate file \"$key\" holds no certificate (it has PEM blocks " \
			file -f "$fmt" "$key"
		usage "$desc, encrypted key" \
			"mailcert: the private key in the key file \"$pki/encrypted.key\" is encrypted (passphrase-protected)" \
			file -f "$fmt" "$chain" --key "$pki/encrypted.key"
		usage "$desc, missing key" \
			"mailcert: cannot read the key file \"$pki/none.key\": No such file or directory" \
			file -f "$fmt" "$chain" --key "$pki/none.key"
		usage "$desc, a directory" "cannot read the certificate file \"$pki\": a directory, not a file" \
			file -f "$fmt" "$pki"
	done
	it_run "$MAILCERT" file -f nagios "$pki/empty.pem"
	expect_rc "file -f nagios, empty" 3
	it_eq "file -f nagios, empty: plugin output" \
		"MAILCERT UNKNOWN - the certificate file \"$pki/empty.pem\" is empty" "$(cat "$IT_LAST_OUT")"
	# A bad file among good ones: the others are still checked; CRITICAL outranks UNKNOWN.
	it_run "$MAILCERT" file -f json "${ca[@]}" "$chain" "$pki/empty.pem"
	expect_rc "file, a good and an empty file" 3
	it_eq "file, a good and an empty file: one JSON line" 1 "$(grep -c . "$IT_LAST_OUT" || true)"
	it_run "$MAILCERT" file -f json "$chain" "$pki/empty.pem"
	expect_rc "file, an untrusted and an empty file" 2

	# Usage.
	usage "file without a file" "no file given" file
	usage "file --key with two files" "--key goes with one certificate file (2 given)" \
		file --key "$key" "$chain" "$der"
	usage "file -f xml" 'unknown format "xml"' file -f xml "$chain"
	usage "file --bogus" "mailcert: unknown option --bogus" file --bogus "$chain"
	usage "file --key without its value" "mailcert: --key needs a value" file "$chain" --key
	usage "file -f nagios with two files" "a Nagios check takes one file (2 given)" \
		file -f nagios "$chain" "$der"
	usage "file -w bad" '--warning: "abc" is not a valid threshold' file -w abc "$chain"
	usage "file --at bad" '--at "tomorrow"' file --at tomorrow "$chain"
	usage "file --ca-file missing" "--ca-file: cannot read the CA file" \
		file --ca-file "$pki/none.pem" "$chain"
	usage "file -n 'bad name!'" '--name "bad name!" is not a valid name' file -n "bad name!" "$chain"
	it_run "$MAILCERT" file --help
	expect_rc "file --help" 0
	local help
	help=$(cat "$IT_LAST_OUT")
	it_contains "file --help: usage" "Usage: mailcert file [OPTIONS] FILE..." "$help"
	it_contains "file --help: --key" "--key FILE" "$help"
	it_contains "file --help: no name check without -n" "without -n no name is checked" "$help"
	it_run "$MAILCERT" --help
	it_contains "--help: names the file command" "file FILE..." "$(cat "$IT_LAST_OUT")"

	# check --compare-file: the file is read before any connection.
	usage "--compare-file missing" \
		"mailcert: --compare-file: cannot read the certificate file \"$pki/none.pem\": No such file or directory" \
		check --compare-file "$pki/none.pem" "$NOWHERE"
	usage "--compare-file garbage" \
		"mailcert: --compare-file: the certificate file \"$pki/garbage.pem\" holds no certificate" \
		check --compare-file "$pki/garbage.pem" "$NOWHERE"
	usage "--compare-file without its value" "mailcert: --compare-file needs a value" \
		check "$NOWHERE" --compare-file
	it_run "$MAILCERT" check -f json --compare-file "$chain" smtp://no-such.invalid
	expect_state "--compare-file, unreachable server" 2 CRITICAL dns.failed
	it_run "$MAILCERT" check --help
	it_contains "check --help: --compare-file" "--compare-file FILE" "$(cat "$IT_LAST_OUT")"
}

# file --acme and --compare-acme: an ACME client's store on disk (the
# layouts themselves are test-acme.c's; real certbot is test-acme.sh's).
acme_store() {
	local pki=$IT_WORK/acme-pki le=$IT_WORK/le out
	it_pki_ca "$pki"
	it_pki_leaf "$pki" mail "-1 day" "+90 days" mail.test mail.test
	it_pki_leaf "$pki" other "-1 day" "+90 days" other.test other.test
	mkdir -p "$le/live/mail.test" "$le/live/other.test" "$le/renewal"
	cat "$pki/mail.pem" "$pki/inter.pem" >"$le/live/mail.test/fullchain.pem"
	cp "$pki/mail.key" "$le/live/mail.test/privkey.pem"
	cat "$pki/other.pem" "$pki/inter.pem" >"$le/live/other.test/fullchain.pem"
	cp "$pki/mail.key" "$le/live/other.test/privkey.pem" # not its key
	local ca=(--ca-file "$pki/root.pem")

	it_run "$MAILCERT" file -f json "${ca[@]}" --acme "$le"
	expect_rc "file --acme: the worst of its lineages" 2
	out=$IT_LAST_OUT
	it_eq "file --acme: one report per lineage" 2 "$(wc -l <"$out")"
	it_eq "file --acme: mail.test first, its chain file the target" \
		"$le/live/mail.test/fullchain.pem" "$(head -n 1 "$out" | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["target"])')"
	it_eq "file --acme: mail.test OK" OK "$(head -n 1 "$out" | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["state"])')"
	it_eq "file --acme: other.test's key is not its own" "CRITICAL deploy.key-mismatch" \
		"$(tail -n 1 "$out" | python3 -c 'import json, sys
r = json.load(sys.stdin)
print(r["state"], " ".join(f["code"] for f in r["findings"]))')"

	# A key that cannot be read is said, the rest checked.
	rm "$le/live/other.test/privkey.pem"
	mkdir "$le/live/other.test/privkey.pem"
	it_run "$MAILCERT" file -f json "${ca[@]}" --acme "$le"
	expect_rc "file --acme, an unreadable key" 0
	expect_stderr "file --acme, an unreadable key" \
		"mailcert: the certbot lineage other.test: its key was not compared with its certificate: cannot read the key file \"$le/live/other.test/privkey.pem\": a directory, not a file"
	# A lineage that cannot be read is UNKNOWN, named; the others still checked.
	printf 'version = 2.1.0\n' >"$le/renewal/gone.test.conf"
	it_run "$MAILCERT" file -f json "${ca[@]}" --acme "$le"
	expect_rc "file --acme, a lineage without live/" 3
	expect_stderr "file --acme, a lineage without live/" \
		"mailcert: the certbot lineage gone.test ($le/renewal/gone.test.conf): renewal/ configures it, but live/ has no directory for it"
	it_eq "file --acme, a lineage without live/: the others reported" 2 "$(wc -l <"$IT_LAST_OUT")"

	usage "file --acme with a FILE" "--acme checks the certificates of an ACME client's store; give no FILE with it" \
		file --acme "$le" "$pki/mail.pem"
	usage "file --acme with --key" "give no --key with it" file --acme "$le" --key "$pki/mail.key"
	usage "file --acme without its value" "mailcert: --acme needs a value" file --acme
	usage "file --acme -f nagios, two lineages" "a Nagios check takes one lineage (3 given)" \
		file -f nagios --acme "$le"
	it_run "$MAILCERT" file -f nagios --acme "$IT_WORK/no-store"
	expect_rc "file --acme, no such store" 3
	it_eq "file --acme, no such store: plugin output" \
		"MAILCERT UNKNOWN - cannot read the ACME store \"$IT_WORK/no-store\": No such file or directory" \
		"$(cat "$IT_LAST_OUT")"
	mkdir -p "$IT_WORK/lego/certificates"
	it_run "$MAILCERT" file -f nagios --acme "$IT_WORK/lego"
	expect_rc "file --acme, an empty store" 3
	it_eq "file --acme, an empty store: plugin output" \
		"MAILCERT UNKNOWN - the lego store \"$IT_WORK/lego\" holds no certificate yet" \
		"$(cat "$IT_LAST_OUT")"

	usage "--compare-acme, no such store" \
		"mailcert: --compare-acme: cannot read the ACME store \"$IT_WORK/no-store\": No such file or directory" \
		check --compare-acme "$IT_WORK/no-store" "$NOWHERE"
	usage "--compare-acme, not a store" "is none of the ACME stores mailcert reads" \
		check --compare-acme "$pki" "$NOWHERE"
	it_run "$MAILCERT" check --help
	it_contains "check --help: --compare-acme" "--compare-acme PATH" "$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" file --help
	it_contains "file --help: --acme" "--acme PATH" "$(cat "$IT_LAST_OUT")"
	it_contains "file --help: its usage line" "mailcert file [OPTIONS] --acme PATH" "$(cat "$IT_LAST_OUT")"
}

# promtool_ok DESC FILE: promtool (Debian's prometheus) accepts FILE.
promtool_ok() {
	local out
	if out=$(promtool check metrics <"$2" 2>&1); then
		it_ok "$1: promtool check metrics accepts it"
	else
		it_not_ok "$1: promtool check metrics accepts it" "$out"
	fi
}

# -f prometheus and --output. Exact text is test-render.c's business; here:
# the CLI's wiring, one exposition for several targets, the atomic file.
prometheus() {
	local desc out=$IT_WORK/metrics/mailcert.prom
	it_run "$MAILCERT" check -f prometheus "$NOWHERE"
	desc="-f prometheus, unresolvable"
	expect_rc "$desc" 2
	it_contains "$desc: probe failed" 'mailcert_probe_success{target="smtp://mail.invalid:25"} 0' \
		"$(cat "$IT_LAST_OUT")"
	it_contains "$desc: the finding" \
		'mailcert_finding{target="smtp://mail.invalid:25",code="dns.failed",severity="critical"} 1' \
		"$(cat "$IT_LAST_OUT")"
	it_contains "$desc: the state" 'mailcert_state{target="smtp://mail.invalid:25"} 2' \
		"$(cat "$IT_LAST_OUT")"
	promtool_ok "$desc" "$IT_LAST_OUT"

	it_run "$MAILCERT" check -f prometheus "$NOWHERE" pop3://other.invalid
	desc="-f prometheus, two targets"
	expect_rc "$desc" 2
	it_eq "$desc: each family once" 1 "$(grep -c '^# TYPE mailcert_probe_success ' "$IT_LAST_OUT")"
	it_eq "$desc: a sample per target" 2 "$(grep -c '^mailcert_probe_success{' "$IT_LAST_OUT")"
	promtool_ok "$desc" "$IT_LAST_OUT"

	mkdir -p "$IT_WORK/metrics"
	echo "old" >"$out"
	it_run "$MAILCERT" check -f prometheus --output "$out" "$NOWHERE"
	desc="--output FILE"
	expect_rc "$desc" 2
	expect_stdout_empty "$desc"
	it_contains "$desc: the file holds the metrics" "mailcert_probe_success{" "$(cat "$out")"
	it_eq "$desc: readable by the collector (0644)" 644 "$(stat -c %a "$out")"
	it_eq "$desc: no temporary file left" "mailcert.prom" "$(ls "$IT_WORK/metrics")"
	promtool_ok "$desc" "$out"

	it_run "$MAILCERT" check -f json --output "$out" "$NOWHERE"
	desc="--output with -f json"
	expect_rc "$desc" 2
	it_eq "$desc: the file is the JSON report" CRITICAL "$(json_field "$out" state || true)"

	it_run "$MAILCERT" check -f prometheus --output "$IT_WORK/no-such-dir/x.prom" "$NOWHERE"
	desc="--output into a missing directory"
	expect_rc "$desc" 3
	expect_stderr "$desc" "mailcert: --output $IT_WORK/no-such-dir/x.prom: No such file or directory"
}

# on_terminal ENV... -- ARGS...: `mailcert ARGS` with ENV, its stdout a
# pseudo-terminal (script(1)), so that it may choose colour; stdout and the
# exit status as for it_run.
on_terminal() {
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	it_run env "${env[@]}" script -qec "$(printf '%q ' "$MAILCERT" "$@")" /dev/null
}

# Text in colour on a terminal only, never with NO_COLOR (https://no-color.org),
# never for TERM=dumb, never into --output; the words the same either way.
colour() {
	local esc=$'\033' red=$'\033[1;31mCRITICAL\033[0m'
	on_terminal -u NO_COLOR TERM=xterm -- check -f text "$NOWHERE"
	expect_rc "text on a terminal" 2
	it_contains "text on a terminal: the state in bold red" "mail.invalid:25  $red" \
		"$(cat "$IT_LAST_OUT")"
	it_contains "text on a terminal: the finding's severity in red" \
		$'  \033[31mCRITICAL\033[0m dns.failed: ' "$(cat "$IT_LAST_OUT")"
	on_terminal -u NO_COLOR TERM=xterm -- check "$NOWHERE"
	it_contains "no -f on a terminal: text in colour" "$red" "$(cat "$IT_LAST_OUT")"
	on_terminal TERM=xterm NO_COLOR= -- check -f text "$NOWHERE"
	it_contains "NO_COLOR empty (no-color.org: not set)" "$red" "$(cat "$IT_LAST_OUT")"
	on_terminal TERM=xterm NO_COLOR=1 -- check -f text "$NOWHERE"
	expect_rc "NO_COLOR=1 on a terminal" 2
	it_contains "NO_COLOR=1 on a terminal: text" "mail.invalid:25  CRITICAL" "$(cat "$IT_LAST_OUT")"
	it_check_not "NO_COLOR=1 on a terminal: no escape" grep -q "$esc" "$IT_LAST_OUT"
	on_terminal -u NO_COLOR TERM=dumb -- check -f text "$NOWHERE"
	it_contains "TERM=dumb: text" "mail.invalid:25  CRITICAL" "$(cat "$IT_LAST_OUT")"
	it_check_not "TERM=dumb: no escape" grep -q "$esc" "$IT_LAST_OUT"
	on_terminal -u NO_COLOR TERM=xterm -- check -f text --output "$IT_WORK/colour.txt" "$NOWHERE"
	it_contains "--output on a terminal: text" "mail.invalid:25  CRITICAL" "$(cat "$IT_WORK/colour.txt")"
	it_check_not "--output on a terminal: no escape" grep -q "$esc" "$IT_WORK/colour.txt"
	on_terminal -u NO_COLOR TERM=xterm -- check -f json "$NOWHERE"
	it_check_not "json on a terminal: no escape" grep -q "$esc" "$IT_LAST_OUT"
	it_run env -u NO_COLOR TERM=xterm "$MAILCERT" check -f text "$NOWHERE"
	it_contains "text into a pipe" "mail.invalid:25  CRITICAL" "$(cat "$IT_LAST_OUT")"
	it_check_not "text into a pipe: no escape" grep -q "$esc" "$IT_LAST_OUT"
}

# mailcert exporter: what is refused at startup, before it listens (the
# HTTP side is tests/integration/test-exporter.sh).
exporter_usage() {
	local conf=$IT_WORK/exporter.conf
	it_run "$MAILCERT" exporter --help
	expect_rc "exporter --help" 0
	it_contains "exporter --help names /probe" "/probe?target=" "$(cat "$IT_LAST_OUT")"
	usage "exporter without --listen" "--listen ADDR:PORT is required" exporter
	usage "exporter --listen without a port" '--listen "127.0.0.1": use ADDR:PORT' \
		exporter --listen 127.0.0.1
	usage "exporter --listen port 0" '--listen "127.0.0.1:0": use ADDR:PORT' \
		exporter --listen 127.0.0.1:0
	usage "exporter --listen port 65536" '--listen "127.0.0.1:65536"' \
		exporter --listen 127.0.0.1:65536
	usage "exporter --listen IPv6 without brackets" '--listen "::1:9154"' \
		exporter --listen ::1:9154
	usage "exporter --listen not an address" '--listen "no such host!:9154"' \
		exporter --listen 'no such host!:9154'
	usage "exporter with a target" "the exporter takes no target" \
		exporter --listen 127.0.0.1:9 "$NOWHERE"
	usage "exporter --max-concurrent 0" "--max-concurrent takes a number from 1 to 1024" \
		exporter --listen 127.0.0.1:9 --max-concurrent 0
	usage "exporter -f" "unknown option -f" exporter --listen 127.0.0.1:9 -f json
	usage "exporter --min-tls bad" '--min-tls: "9" is not a TLS version' \
		exporter --listen 127.0.0.1:9 --min-tls 9
	usage "exporter --at absolute" '--at "2027-01-01": the exporter judges each probe' \
		exporter --listen 127.0.0.1:9 --at 2027-01-01
	usage "exporter --config missing" "--config $IT_WORK/none.conf: No such file or directory" \
		exporter --listen 127.0.0.1:9 --config "$IT_WORK/none.conf"
	# Each mistake in the file names FILE:LINE.
	while IFS='|' read -r desc text needle; do
		printf '# modules\n[module a]\nconnect-to = 127.0.0.1\n%b\n' "$text" >"$conf"
		usage "exporter config: $desc" "$conf:4: $needle" \
			exporter --listen 127.0.0.1:9 --config "$conf"
	done <<-'EOF'
		unknown option|frobnicate = 1|unknown option "frobnicate"
		bad value|min-tls = 9|--min-tls: "9" is not a TLS version
		value missing|warning =|warning needs a value
		flag with a value|allow-self-signed = maybe|allow-self-signed is a flag
		other section|[server x]|a section is [module NAME], not [server x]
		bad module name|[module a b]|module name "a b"
		module twice|[module a]|module "a" is defined twice
		absolute --at|at = 2027-01-01|--at "2027-01-01": the exporter judges
	EOF
	printf 'connect-to = 127.0.0.1\n' >"$conf"
	usage "exporter config: option outside a module" "$conf:1: \"connect-to\" before any [module NAME]" \
		exporter --listen 127.0.0.1:9 --config "$conf"
	{
		printf '[module long]\nissuer = '
		head -c 1100 /dev/zero | tr '\0' x
		printf '\n'
	} >"$conf"
	usage "exporter config: a line over 1024 bytes" "$conf:2: longer than 1024 bytes" \
		exporter --listen 127.0.0.1:9 --config "$conf"
}

# ---------------------------------------------------------------------------
# check_mailcert: check_ssl_cert's flags translated (docs/check_ssl_cert.md),
# refusals as plugin output (UNKNOWN on stdout, exit 3). The differential
# test against check_ssl_cert itself is
# tests/integration/test-check-ssl-cert-diff.sh.

# cm_unknown DESC NEEDLE ARGS...: check_mailcert ARGS is UNKNOWN (3) with
# NEEDLE on its first stdout line.
cm_unknown() {
	local desc=$1 needle=$2
	shift 2
	it_run "$CHECK_MAILCERT" "$@"
	expect_rc "check_mailcert $desc" 3
	it_contains "check_mailcert $desc: UNKNOWN naming it" "MAILCERT UNKNOWN - $needle" \
		"$(head -n 1 "$IT_LAST_OUT")"
}

# cm_target DESC TARGET ARGS...: check_mailcert ARGS checks TARGET (an
# unresolvable name: CRITICAL dns.failed before any connection).
cm_target() {
	local desc=$1 target=$2
	shift 2
	it_run "$CHECK_MAILCERT" "$@"
	expect_rc "check_mailcert $desc" 2
	it_contains "check_mailcert $desc: target $target" "MAILCERT CRITICAL - $target:" \
		"$(head -n 1 "$IT_LAST_OUT")"
}

# cm_file DESC STATUS ARGS...: check_mailcert ARGS exits with STATUS.
cm_file() {
	local desc=$1 rc=$2
	shift 2
	it_run "$CHECK_MAILCERT" "$@"
	expect_rc "check_mailcert -f, $desc" "$rc"
}

check_mailcert_cli() {
	CHECK_MAILCERT=$(dirname "$MAILCERT")/check_mailcert
	if [ ! -x "$CHECK_MAILCERT" ]; then
		it_not_ok "check_mailcert is built next to mailcert" "no $CHECK_MAILCERT"
		return
	fi
	local pki=$IT_WORK/cm-pki chain out c
	it_run "$CHECK_MAILCERT"
	expect_rc "check_mailcert without -H" 3
	out=$(cat "$IT_LAST_OUT")
	it_contains "check_mailcert without -H: says so" "MAILCERT UNKNOWN - No host specified" "$out"
	it_contains "check_mailcert without -H: the usage" "Usage: check_mailcert -H host" "$out"

	cm_unknown "unsupported long flag" \
		"check_mailcert does not support the check_ssl_cert option --check-chain" \
		-H mail.invalid --check-chain
	cm_unknown "unsupported flag with a value" \
		"check_mailcert does not support the check_ssl_cert option --not-issued-by" \
		-H mail.invalid --not-issued-by X
	cm_unknown "unsupported short flag" \
		"check_mailcert does not support the check_ssl_cert option -L" -H mail.invalid -L A
	cm_unknown "--dane=311" "--dane 311 (records of one type only) is not supported" \
		-H mail.invalid --dane=311
	cm_unknown "--resolver by name" 'invalid value for --resolver: "dns.example"' \
		-H mail.invalid --dane --resolver dns.example
	cm_unknown "-P tds" "-P tds (Microsoft SQL Server) is not supported" -H mail.invalid -P tds
	cm_unknown "unknown protocol" "unsupported protocol gopher" -H mail.invalid -P gopher
	cm_unknown "-w not above -c" "--warning (10) is less than or equal to --critical (15)" \
		-H mail.invalid -w 10 -c 15
	cm_unknown "-w equal to -c" "--warning (15) is less than or equal to --critical (15)" \
		-H mail.invalid -w 15
	cm_unknown "-w not a number" "invalid number of days '3d' for --warning" -H mail.invalid -w 3d
	cm_unknown "-c negative" "invalid number of days '-1' for --critical" -H mail.invalid -c -1
	cm_unknown "-t not an integer" "--timeout: the timeout should be an integer" \
		-H mail.invalid -t 1.5
	cm_unknown "bad port" "invalid port '70000'" -H mail.invalid -p 70000
	cm_unknown "bad --issuer regex" 'invalid value for --issuer' -H mail.invalid --issuer '('
	cm_unknown "missing -r file" 'invalid value for --rootcert' -H mail.invalid -r /nonexistent.pem
	cm_unknown "a value missing" "-p requires an argument" -H mail.invalid -p
	cm_unknown "a stray argument" "unexpected argument 'extra'" -H mail.invalid extra

	it_run "$CHECK_MAILCERT" --help
	expect_rc "check_mailcert --help" 0
	it_contains "check_mailcert --help: usage" "Usage: check_mailcert -H host" "$(cat "$IT_LAST_OUT")"
	it_run "$CHECK_MAILCERT" -V
	expect_rc "check_mailcert -V" 0
	it_contains "check_mailcert -V: the version" "check_mailcert $VERSION" "$(cat "$IT_LAST_OUT")"

	# -P and -p as check_ssl_cert reads them: STARTTLS on any port.
	cm_target "default protocol" https://mail.invalid:443 -H mail.invalid
	cm_target "-P smtp" smtp://mail.invalid:25 -H mail.invalid -P smtp
	cm_target "-P smtp -p 587" submission://mail.invalid:587 -H mail.invalid -P smtp -p 587
	cm_target "-P smtps" smtps://mail.invalid:465 -H mail.invalid -P smtps
	cm_target "-P imap" imap://mail.invalid:143 -H mail.invalid -P imap
	cm_target "-P pop3s" pop3s://mail.invalid:995 -H mail.invalid --protocol pop3s
	cm_target "-P ftps (check_ssl_cert's port 21)" ftps://mail.invalid:21 -H mail.invalid -P ftps
	cm_target "-P sieve" sieve://mail.invalid:4190 -H mail.invalid -P sieve
	cm_target "-P xmpp-server" xmpp-server://mail.invalid:5269 -H mail.invalid -P xmpp-server
	cm_target "-P postgresql" postgres://mail.invalid:5432 -H mail.invalid -P postgresql
	cm_target "-P dns" tls://mail.invalid:853 -H mail.invalid -P dns
	cm_target "-P smtp -p 2525" smtp://mail.invalid:2525 -H mail.invalid -P smtp -p 2525
	cm_target "the Docker-Mailserver command" submission://mail.invalid:587 \
		-H mail.invalid -p 587 -P smtp -w 30 -c 15 --issuer "Let's Encrypt" --cn mail.invalid
	it_contains "Docker-Mailserver command: dns.failed listed" "CRITICAL dns.failed" \
		"$(cat "$IT_LAST_OUT")"
	it_run "$CHECK_MAILCERT" -H mail.invalid -P imaps --prometheus
	expect_rc "check_mailcert --prometheus" 2
	it_contains "check_mailcert --prometheus: Prometheus text" \
		'mailcert_probe_success{target="imaps://mail.invalid:993"} 0' "$(cat "$IT_LAST_OUT")"
	promtool_ok "check_mailcert --prometheus" "$IT_LAST_OUT"

	# -f FILE, with the policy flags translated.
	it_pki_ca "$pki"
	it_pki_leaf "$pki" mail "-1 day" "+90 days" mail.test
	it_pki_leaf "$pki" soon "-60 days" "+19 days" mail.test
	it_pki_leaf "$pki" expired "-30 days" "-2 days" mail.test
	it_pki_cert "$pki" self - "-1 day" "+90 days" 'cn = "mail.test"' 'dns_name = "mail.test"' \
		tls_www_server signing_key encryption_key
	for c in mail soon expired; do cat "$pki/$c.pem" "$pki/inter.pem" >"$pki/$c.chain"; done
	chain=$pki/mail.chain
	# As check_ssl_cert, check_mailcert wants SCTs, which a private CA's
	# certificates lack: its users pass --ignore-sct (or -s).
	cm_file "no SCTs" 2 -f "$chain" -r "$pki/root.pem"
	it_contains "no SCTs: ct.missing is CRITICAL, as check_ssl_cert's" "CRITICAL ct.missing" \
		"$(cat "$IT_LAST_OUT")"
	local r=(-r "$pki/root.pem" --ignore-sct)
	cm_file "good chain" 0 -f "$chain" "${r[@]}"
	it_contains "-f: default thresholds 20 and 15 days, in seconds" ";1728000:;1296000:;" \
		"$(head -n 1 "$IT_LAST_OUT")"
	cm_file "-w 30 -c 15" 0 -f "$chain" "${r[@]}" -w 30 -c 15
	it_contains "-f -w 30 -c 15: in seconds" ";2592000:;1296000:;" "$(head -n 1 "$IT_LAST_OUT")"
	cm_file "-w 0.5 -c 0.25" 0 -f "$chain" "${r[@]}" -w 0.5 -c 0.25
	it_contains "-f -w 0.5 -c 0.25: fractions of days" ";43200:;21600:;" "$(head -n 1 "$IT_LAST_OUT")"
	cm_file "19 days left, default -w 20" 1 -f "$pki/soon.chain" "${r[@]}"
	cm_file "19 days left, -w 30 -c 15" 1 -f "$pki/soon.chain" "${r[@]}" -w 30 -c 15
	cm_file "19 days left, -w 30 -c 21" 2 -f "$pki/soon.chain" "${r[@]}" -w 30 -c 21
	cm_file "19 days left, -w 10 -c 5" 0 -f "$pki/soon.chain" "${r[@]}" -w 10 -c 5
	cm_file "expired" 2 -f "$pki/expired.chain" "${r[@]}"
	cm_file "expired, --ignore-exp" 0 -f "$pki/expired.chain" "${r[@]}" --ignore-exp
	it_contains "--ignore-exp: the expiry still listed, as OK" "OK cert.expired" \
		"$(cat "$IT_LAST_OUT")"
	cm_file "untrusted (no -r)" 2 -f "$chain"
	cm_file "untrusted, -A" 0 -f "$chain" -A --ignore-sct
	cm_file "untrusted, --noauth, expired" 2 -f "$pki/expired.chain" --noauth
	cm_file "self-signed" 2 -f "$pki/self.pem" "${r[@]}"
	cm_file "self-signed, -s" 0 -f "$pki/self.pem" "${r[@]}" -s
	cm_file "self-signed, --selfsigned" 0 -f "$pki/self.pem" --selfsigned
	cm_file "--rootcert-file" 0 -f "$chain" --rootcert-file "$pki/root.pem" --ignore-sct
	mkdir -p "$pki/cadir" && cp "$pki/root.pem" "$pki/cadir/"
	cm_file "-r DIR" 0 -f "$chain" -r "$pki/cadir" --ignore-sct
	cm_file "--rootcert-dir" 0 -f "$chain" --rootcert-dir "$pki/cadir" --ignore-sct
	cm_file "--cn, the right name" 0 -f "$chain" "${r[@]}" --cn mail.test
	cm_file "--cn, another name" 2 -f "$chain" "${r[@]}" --cn other.test
	it_contains "--cn other.test: name.mismatch" "CRITICAL name.mismatch" "$(cat "$IT_LAST_OUT")"
	cm_file "-m with two names, one wrong" 2 -f "$chain" "${r[@]}" -m "mail.test other.test"
	cm_file "-m and -n, both right" 0 -f "$chain" "${r[@]}" -m mail.test -n mail.test
	cm_file "--issuer CN, whole" 0 -f "$chain" "${r[@]}" --issuer "mailcert test intermediate CA"
	cm_file "--issuer O, whole" 0 -f "$chain" "${r[@]}" -i "mailcert tests"
	cm_file "--issuer a regex" 0 -f "$chain" "${r[@]}" -i "mailcert test.*CA"
	cm_file "--issuer anchored" 0 -f "$chain" "${r[@]}" -i "^mailcert tests$"
	cm_file "--issuer part of a value" 2 -f "$chain" "${r[@]}" -i "mailcert test"
	it_contains "--issuer part of a value: issuer.mismatch" "CRITICAL issuer.mismatch" \
		"$(cat "$IT_LAST_OUT")"
	cm_file "--issuer Let's Encrypt" 2 -f "$chain" "${r[@]}" --issuer "Let's Encrypt"
	cm_file "--ignore-ocsp, --ignore-sig-alg" 0 -f "$chain" "${r[@]}" \
		--ignore-ocsp --ignore-sig-alg
	cm_file "--prometheus" 0 -f "$chain" "${r[@]}" --prometheus
	promtool_ok "check_mailcert -f --prometheus" "$IT_LAST_OUT"
	it_run "$CHECK_MAILCERT" -f "$pki/none.pem"
	expect_rc "check_mailcert -f missing file" 3
	it_contains "check_mailcert -f missing file: UNKNOWN naming the path" \
		"MAILCERT UNKNOWN - " "$(head -n 1 "$IT_LAST_OUT")"
	it_contains "check_mailcert -f missing file: the path" "$pki/none.pem" \
		"$(head -n 1 "$IT_LAST_OUT")"
}

# mailcert scan: its input, its options, --mail-ports against closed
# loopback ports, and the one-output formats (Nagios, the text table,
# Prometheus). Against real servers: tests/integration/test-scan.sh.
scan_cli() {
	local in=$IT_WORK/scan-targets.txt long ports map
	it_run "$MAILCERT" scan --help
	expect_rc "scan --help" 0
	it_contains "scan --help: usage" "Usage: mailcert scan [OPTIONS] [TARGET...]" \
		"$(cat "$IT_LAST_OUT")"
	it_contains "main --help names scan" "scan [TARGET...]" "$("$MAILCERT" --help)"

	usage "scan, empty stdin" "no target in the input" scan
	usage "scan --concurrency 0" '--concurrency takes a number from 1 to 10000, not "0"' \
		scan --concurrency 0 "$NOWHERE"
	usage "scan --concurrency 10001" "not \"10001\"" scan --concurrency 10001 "$NOWHERE"
	usage "scan --concurrency 3x" 'not "3x"' scan --concurrency 3x "$NOWHERE"
	usage "scan --rate 0" '--rate takes checks per second (N or N/s) or per minute (N/m), from 0.001/s to 100000/s, not "0"' \
		scan --rate 0 "$NOWHERE"
	usage "scan --rate 5/h" 'not "5/h"' scan --rate 5/h "$NOWHERE"
	usage "scan --rate -1/s" 'not "-1/s"' scan --rate -1/s "$NOWHERE"
	usage "scan --port-map without =" '--port-map "smtp": use SERVICE=PORT' \
		scan --port-map smtp --mail-ports mail.invalid
	usage "scan --port-map unknown service" '--port-map: "gopher" is not one of the mail ports' \
		scan --port-map gopher=70 --mail-ports mail.invalid
	usage "scan --port-map port 0" "--port-map smtp=0: the port must be a number from 1 to 65535" \
		scan --port-map smtp=0 --mail-ports mail.invalid
	usage "scan --input missing" "--input $IT_WORK/none.txt: No such file or directory" \
		scan --input "$IT_WORK/none.txt"
	usage "scan -f gopher" 'unknown format "gopher"' scan -f gopher "$NOWHERE"
	usage "scan policy option" "--warning" scan -w banana "$NOWHERE"
	usage "scan connection option" "--timeout takes seconds" scan -t 0 "$NOWHERE"
	usage "scan --all-keys with --key-type" "--all-keys checks every key type" \
		scan --all-keys --key-type rsa "$NOWHERE"
	usage "scan --helo with a space, once for all targets" '--helo "a b": one word' \
		scan --helo 'a b' "$NOWHERE" smtp://other.invalid
	it_eq "scan --helo refused once" 1 "$(grep -c -- '--helo' "$IT_LAST_ERR" || true)"
	usage "scan --mail-ports HOST:PORT" \
		'--mail-ports "mail.invalid:25": give a host name or address, without scheme or port' \
		scan --mail-ports mail.invalid:25
	usage "scan --mail-ports URL" '--mail-ports "smtp://mail.invalid": give a host name' \
		scan --mail-ports smtp://mail.invalid

	# Input: comments, blank lines, CRLF, a trailing comment; bad lines
	# reported as FILE:LINE, skipped and counted UNKNOWN.
	long=$(printf 'smtp://%01100d.invalid' 0)
	printf '%s\n' '# servers' '' 'smtp://a.invalid' '  imaps://b.invalid:993  # IMAP' \
		$'submission://c.invalid\r' 'gopher://d.invalid' 'smtp://e.invalid smtp://f.invalid' \
		"$long" >"$in"
	printf 'smtp://g.invalid\0x\n' >>"$in"
	printf 'pop3://h.invalid' >>"$in" # no newline at the end
	it_run "$MAILCERT" scan -f json --input "$in"
	expect_rc "scan --input: CRITICAL outranks UNKNOWN" 2
	it_eq "scan --input: one JSON line per target" \
		"smtp://a.invalid:25 imaps://b.invalid:993 submission://c.invalid:587 pop3://h.invalid:110" \
		"$("$IT_PYTHON" -c '
import json, sys
print(" ".join(json.loads(l)["target"] for l in open(sys.argv[1])))' "$IT_LAST_OUT" 2>&1 || true)"
	expect_stderr "scan --input: bad scheme at FILE:LINE" \
		"mailcert: $in:6: unknown scheme \"gopher\""
	expect_stderr "scan --input: two words at FILE:LINE" \
		"mailcert: $in:7: one target per line, not \"smtp://e.invalid smtp://f.invalid\" (skipped)"
	expect_stderr "scan --input: over-long line at FILE:LINE" \
		"mailcert: $in:8: a line longer than 1024 bytes"
	expect_stderr "scan --input: NUL byte at FILE:LINE" "mailcert: $in:9: a NUL byte in the line"
	it_eq "scan --input: four lines refused" 4 "$(grep -c '(skipped)$' "$IT_LAST_ERR" || true)"

	it_run "$MAILCERT" scan -f nagios --input "$in"
	expect_rc "scan -f nagios" 2
	it_eq "scan -f nagios: first line" \
		"MAILCERT CRITICAL - 8 targets: 4 CRITICAL, 0 WARNING, 4 UNKNOWN, 0 OK | critical=4 warning=0 unknown=4 ok=0 closed=0" \
		"$(head -n 1 "$IT_LAST_OUT")"
	it_eq "scan -f nagios: one line per target" 9 "$(wc -l <"$IT_LAST_OUT")"
	it_contains "scan -f nagios: a bad line by FILE:LINE" \
		"UNKNOWN $in:6: unknown scheme \"gopher\"" "$(cat "$IT_LAST_OUT")"
	it_contains "scan -f nagios: a target's first finding" \
		"CRITICAL imaps://b.invalid:993: dns.failed: " "$(cat "$IT_LAST_OUT")"

	printf '# nothing but bad\nsmtp://\n' >"$IT_WORK/bad.txt"
	it_run "$MAILCERT" scan -f nagios --input "$IT_WORK/bad.txt"
	expect_rc "scan of bad lines only: UNKNOWN" 3
	it_eq "scan of bad lines only: first line" \
		"MAILCERT UNKNOWN - 1 targets: 0 CRITICAL, 0 WARNING, 1 UNKNOWN, 0 OK | critical=0 warning=0 unknown=1 ok=0 closed=0" \
		"$(head -n 1 "$IT_LAST_OUT")"

	# stdin: without target arguments when it is not a terminal, or --input -.
	# shellcheck disable=SC2016 # $0 expands in the inner sh
	it_run sh -c 'printf "smtp://a.invalid\n# x\nsmtps://b.invalid\n" | "$0" scan -f json' "$MAILCERT"
	expect_rc "scan from stdin" 2
	it_eq "scan from stdin: two reports" 2 "$(grep -c '"target"' "$IT_LAST_OUT" || true)"
	# shellcheck disable=SC2016 # $0 expands in the inner sh
	it_run sh -c 'printf "gopher://a.invalid\n" | "$0" scan -f json --input - smtp://c.invalid' \
		"$MAILCERT"
	expect_stderr "scan --input -: stdin's lines are named" "mailcert: stdin:1: unknown scheme"
	it_eq "scan --input - and an argument: one report" 1 "$(grep -c '"target"' "$IT_LAST_OUT" || true)"

	# --mail-ports against closed loopback ports: listed as closed, not errors.
	read -r -a ports < <(it_free_ports 8)
	map="smtp=${ports[0]},smtps=${ports[1]},submission=${ports[2]},imap=${ports[3]}"
	map+=",993=${ports[4]},110=${ports[5]},995=${ports[6]},4190=${ports[7]}"
	it_run "$MAILCERT" scan -t 5 --mail-ports 127.0.0.1 --port-map "$map"
	expect_rc "scan --mail-ports, every port closed" 0
	it_contains "scan --mail-ports: smtp closed" \
		"smtp://127.0.0.1:${ports[0]}        closed  -        closed (connect.refused)" \
		"$(cat "$IT_LAST_OUT")"
	it_contains "scan --mail-ports: sieve closed" "sieve://127.0.0.1:${ports[7]}       closed" \
		"$(cat "$IT_LAST_OUT")"
	it_contains "scan --mail-ports: the consistency line" \
		"OK scan.no-leaf: 127.0.0.1: no port served a certificate; closed: smtp (${ports[0]}), smtps (${ports[1]}), submission (${ports[2]}), imap (${ports[3]}), imaps (${ports[4]}), pop3 (${ports[5]}), pop3s (${ports[6]}), sieve (${ports[7]})" \
		"$(cat "$IT_LAST_OUT")"
	it_contains "scan --mail-ports: the totals" \
		"8 targets: 0 OK, 0 WARNING, 0 CRITICAL, 0 UNKNOWN, 8 closed; overall OK" \
		"$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" scan -f json -t 5 --mail-ports 127.0.0.1 --port-map "$map"
	it_eq "scan --mail-ports -f json: 8 reports and the consistency line" 9 \
		"$(grep -c . "$IT_LAST_OUT" || true)"
	it_eq "scan --mail-ports -f json: closed is an OK finding" "OK connect.refused OK" \
		"$("$IT_PYTHON" -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
print(r["state"], r["findings"][0]["code"], r["findings"][0]["severity"])' "$IT_LAST_OUT" 2>&1 || true)"
	it_eq "scan --mail-ports -f json: consistency lists 8 closed" "scan.no-leaf 8" \
		"$("$IT_PYTHON" -c '
import json, sys
c = json.loads(open(sys.argv[1]).readlines()[-1])["consistency"]
print(c["code"], len(c["closed"]))' "$IT_LAST_OUT" 2>&1 || true)"
	it_run "$MAILCERT" scan -f nagios -t 5 --require-open --mail-ports 127.0.0.1 --port-map "$map"
	expect_rc "scan --mail-ports --require-open" 2
	it_eq "scan --require-open: nagios first line" \
		"MAILCERT CRITICAL - 8 targets: 8 CRITICAL, 0 WARNING, 0 UNKNOWN, 0 OK | critical=8 warning=0 unknown=0 ok=0 closed=0" \
		"$(head -n 1 "$IT_LAST_OUT")"
	# The known set: one unresolvable, one bad line, eight closed.
	printf 'gopher://x.invalid\n' >"$IT_WORK/one-bad.txt"
	it_run "$MAILCERT" scan -f nagios -t 5 --input "$IT_WORK/one-bad.txt" smtp://a.invalid \
		--mail-ports 127.0.0.1 --port-map "$map"
	expect_rc "scan, a mixed set" 2
	it_eq "scan, a mixed set: nagios first line" \
		"MAILCERT CRITICAL - 10 targets: 1 CRITICAL, 0 WARNING, 1 UNKNOWN, 0 OK, 8 closed | critical=1 warning=0 unknown=1 ok=0 closed=8" \
		"$(head -n 1 "$IT_LAST_OUT")"

	# Prometheus: one exposition for the whole scan, into --output.
	it_run "$MAILCERT" scan -f prometheus --output "$IT_WORK/scan.prom" -t 5 smtp://a.invalid \
		smtps://b.invalid --mail-ports 127.0.0.1 --port-map "$map"
	expect_rc "scan -f prometheus" 2
	expect_stdout_empty "scan -f prometheus --output"
	it_contains "scan -f prometheus: the consistency gauge" \
		'mailcert_scan_leaf_certificates{host="127.0.0.1"} 0' "$(cat "$IT_WORK/scan.prom")"
	promtool_ok "scan -f prometheus" "$IT_WORK/scan.prom"

	# The progress bar: on stderr when it is a terminal, cleared at the end;
	# never when it is not.
	it_run "$MAILCERT" scan -f json smtp://a.invalid
	it_check_not "scan: no progress bar off a terminal" grep -q $'\r' "$IT_LAST_ERR"
	on_terminal -- scan -f json smtp://a.invalid
	it_contains "scan on a terminal: the bar is cleared" $'\r\033[K' "$(cat "$IT_LAST_OUT")"
	on_terminal -- scan -f json --no-progress smtp://a.invalid
	it_check_not "scan --no-progress: no bar" grep -q $'\r\033' "$IT_LAST_OUT"
}

# ---------------------------------------------------------------------------
# DANE rollovers on files: --tlsa-for prints the records to publish,
# --next-key / --next-issuer ask for them among --tlsa's (no network).

# spki_311 FILE: the SHA-256 of FILE's public key (a certificate, else a
# private key), computed by openssl, not by mailcert.
spki_311() {
	if grep -q CERTIFICATE "$1"; then
		openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER
	else
		openssl pkey -in "$1" -pubout -outform DER
	fi | sha256sum | cut -d' ' -f1
}

rollover() {
	local pki=$IT_WORK/pki-rollover chain leaf311 inter311 next311 ca
	it_pki_ca "$pki"
	it_pki_leaf "$pki" mail "-1 day" "+90 days" mail.test
	it_pki_leaf "$pki" next "-1 day" "+90 days" mail.test
	chain=$pki/chain.pem
	cat "$pki/mail.pem" "$pki/inter.pem" >"$chain"
	openssl x509 -in "$pki/mail.pem" -outform DER -out "$pki/mail.der"
	openssl pkey -in "$pki/next.key" -outform DER -out "$pki/next-key.der"
	printf 'not a key\n' >"$pki/garbage.pem"
	leaf311=$(spki_311 "$pki/mail.pem")
	inter311=$(spki_311 "$pki/inter.pem")
	next311=$(spki_311 "$pki/next.key")
	ca=(--ca-file "$pki/root.pem")

	it_run "$MAILCERT" file --tlsa-for "$chain"
	expect_rc "--tlsa-for a chain" 0
	it_eq "--tlsa-for a chain: 3 1 1 of the leaf's key, 2 1 1 of its issuer's" \
		"3 1 1 $leaf311
2 1 1 $inter311" "$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" file --tlsa-for "$pki/next.key"
	it_eq "--tlsa-for a PEM key: 3 1 1 alone" "3 1 1 $next311" "$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" file --tlsa-for "$pki/mail.der" --tlsa-for "$pki/next-key.der"
	expect_rc "--tlsa-for, a DER certificate and a DER key" 0
	it_eq "--tlsa-for, two files: a \"; FILE\" line before each" "; $pki/mail.der
3 1 1 $leaf311
; $pki/next-key.der
3 1 1 $next311" "$(cat "$IT_LAST_OUT")"
	# certtool agrees on the leaf's key (its --key-id=sha256 is the SPKI's SHA-256).
	it_eq "--tlsa-for: certtool's SHA-256 key ID is the 3 1 1 data" \
		"$(certtool --certificate-info --infile "$pki/mail.pem" 2>/dev/null |
			awk '/Public Key ID:/ { id = 1; next } id && /sha256:/ { sub(/.*sha256:/, ""); print; exit }')" \
		"$leaf311"
	it_run "$MAILCERT" file --tlsa-for "$pki/none.pem"
	expect_rc "--tlsa-for a missing file" 3
	expect_stderr "--tlsa-for a missing file" \
		"mailcert: --tlsa-for: cannot read the certificate or key file \"$pki/none.pem\": No such file or directory"
	it_run "$MAILCERT" file --tlsa-for "$pki/garbage.pem"
	expect_rc "--tlsa-for garbage" 3
	expect_stderr "--tlsa-for garbage" "holds neither a certificate nor a key: give a PEM file with a CERTIFICATE, PRIVATE KEY or PUBLIC KEY block, or one in DER"
	usage "--tlsa-for with a FILE to check" "--tlsa-for prints records and checks nothing; check FILEs in a run of its own" \
		file --tlsa-for "$chain" "$chain"
	usage "--tlsa-for with --acme" "check --acme in a run of its own" \
		file --tlsa-for "$chain" --acme "$pki"

	# The records of --tlsa must name the next key: the one --tlsa-for printed.
	it_run "$MAILCERT" file -f json "${ca[@]}" --tlsa "3 1 1 $leaf311" --next-key "$pki/next.key" "$chain"
	expect_state "file --next-key, not published" 1 WARNING dane.next-key-missing
	it_contains "file --next-key, not published: the record to publish" \
		"publish \\\"3 1 1 $next311\\\" beside the current records" "$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" file -f json "${ca[@]}" --tlsa "3 1 1 $leaf311" --tlsa "3 1 1 $next311" \
		--next-key "$pki/next.pem" "$chain"
	expect_state "file --next-key, published" 0 OK dane.match
	it_check_not "file --next-key, published: no dane.next-key-missing" \
		has_finding "$IT_LAST_OUT" dane.next-key-missing
	# No records to judge: no finding about the next key.
	it_run "$MAILCERT" file -f json "${ca[@]}" --next-key "$pki/next.key" "$chain"
	expect_rc "file --next-key without records" 0
	it_check_not "file --next-key without records: nothing to say" \
		has_finding "$IT_LAST_OUT" dane.next-key-missing
	it_run "$MAILCERT" file -f json "${ca[@]}" --tlsa "2 1 1 $inter311" --next-issuer "$pki/root.pem" "$chain"
	expect_state "file --next-issuer, not published" 1 WARNING dane.next-key-missing
	it_contains "file --next-issuer: the 2 1 1 record to publish" \
		"publish \\\"2 1 1 $(spki_311 "$pki/root.pem")\\\"" "$(cat "$IT_LAST_OUT")"
	usage "--next-key missing" \
		"mailcert: --next-key: cannot read the next key file \"$pki/none.pem\": No such file or directory (give the staged key or certificate of the next renewal)" \
		check --next-key "$pki/none.pem" "$NOWHERE"
	usage "--next-issuer garbage" "mailcert: --next-issuer: the next issuer file \"$pki/garbage.pem\" holds neither a certificate nor a key" \
		domain --next-issuer "$pki/garbage.pem" example.invalid
	it_run "$MAILCERT" file --help
	it_contains "file --help: --tlsa-for" "--tlsa-for FILE" "$(cat "$IT_LAST_OUT")"
	it_contains "file --help: the third usage" "mailcert file --tlsa-for FILE..." "$(cat "$IT_LAST_OUT")"
	it_run "$MAILCERT" domain --help
	it_contains "domain --help: --next-key" "--next-key FILE" "$(cat "$IT_LAST_OUT")"
}

main() {
	local started=$SECONDS
	commands
	check_help
	help_texts
	options
	targets
	unreachable
	files
	rollover
	acme_store
	prometheus
	colour
	exporter_usage
	check_mailcert_cli
	scan_cli
	it_note "CLI tests took $((SECONDS - started)) s"
	it_finish
}

main

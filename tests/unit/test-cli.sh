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
	for cmd in scan domain exporter; do
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
	usage "--tlsa X (later issue)" "--tlsa is not implemented in mailcert $VERSION yet" \
		check --tlsa X "$NOWHERE"
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
	usage "--dane (later issue)" "--dane is not implemented in mailcert $VERSION yet" \
		check --dane "$NOWHERE"

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
  name mail.test matched
  chain in the file:
    0 CN=mail.test
        issuer CN=mail.test · RSA-2048 · RSA-SHA256
        valid 2026-01-01 → 2027-01-01 (expires in 184 days)
  no findings" "$(cat "$IT_LAST_OUT")"

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

main() {
	local started=$SECONDS
	commands
	check_help
	options
	targets
	unreachable
	files
	prometheus
	it_note "CLI tests took $((SECONDS - started)) s"
	it_finish
}

main

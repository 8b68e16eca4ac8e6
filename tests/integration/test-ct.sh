#!/usr/bin/env bash
# Real-server test: Certificate Transparency. SCTs made by test "logs"
# (tests/integration/ct-fixture.py, python3-cryptography: an independent
# RFC 6962 implementation) are checked from the three places a server can
# put them, each served by a real program:
#   embedded in the certificate   Postfix (STARTTLS)
#   the TLS extension             openssl s_server -serverinfo (TLS 1.2)
#   a stapled OCSP response       openssl s_server -status_file
# and the verdicts of the log list's checks on certificates as files:
# good, one operator, a tampered signature, an unknown log, an SCT signed
# by another log than it names, a future SCT,
# a long lifetime, a retired log, no SCTs.
#
# usage: test-ct.sh PATH-TO-MAILCERT
# check_mailcert is the one beside PATH-TO-MAILCERT.

# Functions run through it_on_exit look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

HOST=mail.test
it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
F=$IT_WORK/ct
mkdir -p "$F"
"$IT_PYTHON" "$here/ct-fixture.py" "$F" "$(date +%s)" || it_bail "ct-fixture.py"
it_ok "fixtures made: test logs, their log list, certificates with SCTs"
CT=(--ca-file "$F/root.pem" --ct-log-list "$F/logs.json")

# file NAME [OPTIONS...]: mailcert file on the fixture NAME.pem, in JSON.
file() {
	local name=$1
	shift
	it_run "$MAILCERT" file -f json "${CT[@]}" "$@" "$F/$name.pem"
}

expect_codes() {
	it_eq "$1: findings" "$2" "$(finding_codes "$IT_LAST_OUT")"
}

# expect_scts DESC "SOURCE:VALID:LOG_NAME"...: the report's sct list, in order.
expect_scts() {
	local desc=$1 got
	shift
	got=$("$IT_PYTHON" -c "$IT_JSON_LOAD"'
print(" ".join("%s:%s:%s" % (s["source"], json.dumps(s["valid"]), s["log_name"])
               for s in load(sys.argv[1])["sct"]))' "$IT_LAST_OUT")
	it_eq "$desc: the SCTs" "$*" "$got"
}

# ---------------------------------------------------------------------------
# The log list's verdicts, on files (embedded SCTs only; --ct: a private CA).

file good --ct
expect 0 OK "good"
expect_codes "good" ""
expect_scts "good" "embedded:true:mailcert test log a1" "embedded:true:mailcert test log b1"
it_check "good: timestamps in milliseconds, ISO-8601" \
	grep -qE '"timestamp": ?"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z"' "$IT_LAST_OUT"

file sameop --ct
expect 1 WARNING "two SCTs of one operator"
expect_codes "two SCTs of one operator" "ct.too-few"
it_check "one operator: the message counts 2 logs of 1 operator" \
	grep -q "valid SCTs from 2 logs of 1 operator embedded" "$IT_LAST_OUT"

file tampered --ct
expect 2 CRITICAL "a tampered signature"
expect_codes "a tampered signature" "ct.invalid ct.too-few"
expect_scts "a tampered signature" "embedded:true:mailcert test log a1" \
	"embedded:false:mailcert test log b1"
it_check "tampered: the message names the log and the cause" \
	grep -q 'the SCT of the log \\"mailcert test log b1\\" embedded in the certificate, dated [^,]*, is not valid: its signature does not verify' "$IT_LAST_OUT"

file unknown --ct
expect 1 WARNING "a log the list does not name"
expect_codes "a log the list does not name" "ct.unknown-log ct.too-few"
expect_scts "a log the list does not name" "embedded:true:mailcert test log a1" \
	"embedded:null:None"

file wronglog --ct
expect 2 CRITICAL "an SCT naming one log, signed by another"
expect_codes "an SCT naming one log, signed by another" "ct.invalid ct.too-few"
expect_scts "an SCT naming one log, signed by another" "embedded:true:mailcert test log a1" \
	"embedded:false:mailcert test log b1"

file future --ct
expect 2 CRITICAL "an SCT dated tomorrow"
expect_codes "an SCT dated tomorrow" "ct.invalid ct.too-few"
it_check "future: the message says why" grep -q "its date is in the future" "$IT_LAST_OUT"

file long --ct
expect 1 WARNING "200 days with two SCTs"
expect_codes "200 days with two SCTs" "ct.too-few"
it_check "long: three are needed beyond 180 days" \
	grep -q "asks for 3 embedded (for a certificate valid more than 180 days)" "$IT_LAST_OUT"

file retired --ct
expect 0 OK "a log retired after its SCT"
expect_codes "a log retired after its SCT" ""

file none --ct
expect 1 WARNING "no SCTs, --ct"
expect_codes "no SCTs, --ct" "ct.missing"
file none
expect 0 OK "no SCTs, a private CA without --ct"
expect_codes "no SCTs, a private CA without --ct" ""

file tampered
expect 2 CRITICAL "a tampered signature without --ct"
expect_codes "a tampered signature without --ct" "ct.invalid"

it_run "$MAILCERT" file -f json --ca-file "$F/root.pem" --ct "$F/good.pem"
expect 0 OK "good, no log list"
expect_scts "good, no log list: listed, not verified" "embedded:null:None" "embedded:null:None"

# A damaged log list is refused at once, naming the log.
sed 's/"key": "MFkw/"key": "MFkx/' "$F/logs.json" >"$F/bad-logs.json"
it_run "$MAILCERT" file --ct-log-list "$F/bad-logs.json" "$F/good.pem"
it_eq "a damaged log list: exit status 3" 3 "$IT_LAST_RC"
it_contains "a damaged log list: the log and the cause named" \
	'the key of the log "mailcert test log a1" is not a SubjectPublicKeyInfo' "$(cat "$IT_LAST_ERR")"

# ---------------------------------------------------------------------------
# Embedded SCTs from a real server: Postfix.

read -r PORT PORT_TLS PORT_OCSP < <(it_free_ports 3)
cat "$F/good.key" "$F/good.pem" >"$F/good.bundle"
chmod 0600 "$F/good.bundle"
pf_serve_bundle "$PORT" "$F/good.bundle"
mc "smtp://$HOST:$PORT" "${CT[@]}" --ct
expect 0 OK "postfix, embedded SCTs"
expect_codes "postfix, embedded SCTs" ""
expect_scts "postfix, embedded SCTs" "embedded:true:mailcert test log a1" \
	"embedded:true:mailcert test log b1"

# check_mailcert wants SCTs, as check_ssl_cert: this leaf has them.
CHECK_MAILCERT=$(dirname "$MAILCERT")/check_mailcert
it_run "$CHECK_MAILCERT" -H "$HOST" --resolve 127.0.0.1 -P smtp -p "$PORT" -r "$F/root.pem"
it_eq "check_mailcert, embedded SCTs, no --ignore-sct: exit status 0" 0 "$IT_LAST_RC"

# ---------------------------------------------------------------------------
# The TLS extension and a stapled OCSP response: openssl s_server.

S_SERVERS=()
stop_s_servers() {
	kill "${S_SERVERS[@]}" 2>/dev/null || true
}
it_on_exit stop_s_servers

# s_server NAME PORT OPTIONS...: serve NAME.pem on PORT until the test ends.
s_server() {
	local name=$1 port=$2
	shift 2
	openssl s_server -quiet -www -accept "127.0.0.1:$port" -cert "$F/$name.pem" \
		-key "$F/$name.key" "$@" </dev/null >"$IT_WORK/s_server-$name.log" 2>&1 &
	S_SERVERS+=($!)
	it_wait_port 127.0.0.1 "$port" 15 || it_bail "openssl s_server for $name"
}
s_server tls "$PORT_TLS" -no_tls1_3 -serverinfo "$F/tls.serverinfo"
s_server ocsp "$PORT_OCSP" -status_file "$F/ocsp.der"

mc "tls://$HOST:$PORT_TLS" "${CT[@]}" --ct
expect 0 OK "SCTs in the TLS extension"
expect_codes "SCTs in the TLS extension" ""
expect_scts "SCTs in the TLS extension" "tls:true:mailcert test log a1" \
	"tls:true:mailcert test log b1"

mc "tls://$HOST:$PORT_OCSP" "${CT[@]}" --ct
expect 0 OK "SCTs in the stapled OCSP response"
expect_codes "SCTs in the stapled OCSP response" ""
expect_scts "SCTs in the stapled OCSP response" "ocsp:true:mailcert test log a1" \
	"ocsp:true:mailcert test log b1"

# The same leaf as a file has none: they came with the handshake.
file tls --ct
expect_codes "the TLS extension's leaf as a file" "ct.missing"

it_finish

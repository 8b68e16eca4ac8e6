#!/usr/bin/env bash
# Real-server test: `mailcert domain` and `mailcert check --dane` against a
# private DNS world (tests/integration/dnsworld.sh: NSD serving zones
# signed here, a validating Unbound trusting only their keys), an HTTPS
# server for MTA-STS policies, and the real Postfix as every MX host.
#
# usage: test-domain.sh PATH-TO-MAILCERT
#
# One Postfix smtpd on a free 127.0.0.1 port serves a leaf of the test PKI
# valid for every MX name; each zone is one scenario (mailcert domain
# --port PORT, so TLSA records are at _PORT._tcp.MX):
#   ee.example        signed, TLSA 3 1 1 of the leaf's key; MTA-STS enforce
#                     listing the MX; TLS-RPT           → OK, dane.match
#   ta.example        signed, TLSA 2 0 1 of the intermediate; MTA-STS testing
#                     whose mx pattern misses the MX; no TLS-RPT → WARNING
#   mismatch.example  signed, TLSA 3 1 1 of another key; MTA-STS enforce
#                     missing the MX; TLS-RPT with an ftp: URI → CRITICAL
#   bogus.example     TLSA signatures broken after signing; MTA-STS TXT but
#                     no policy on the server (404)    → CRITICAL, dane.bogus
#   plain.example     unsigned, with a TLSA record     → OK, dane.none
#   syntax.example    unsigned, a policy with a bad mode → CRITICAL
#   two.example       unsigned, its MX at three addresses: 127.0.0.1
#                     (Postfix), 127.0.0.2 (nothing listens) and 127.0.0.3
#                     (beyond the two A records checked) → CRITICAL
#   slow.example      unsigned, its MX at two addresses that accept and
#                     never speak → CRITICAL, in one timeout, not two
# check_mailcert is the one beside PATH-TO-MAILCERT.
# Needs root (HTTPS on 127.0.3.1:443), postfix, nsd, unbound, bind9-utils,
# bind9-dnsutils, certtool, openssl, python3.

# Functions run through it_on_exit look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix nsd unbound dnssec-signzone dig certtool openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
# shellcheck source-path=SCRIPTDIR source=dnsworld.sh disable=SC1091
. "$here/dnsworld.sh"

HOST=mx.ee.example # Postfix's myhostname
SCENARIOS=(ee ta mismatch bogus plain syntax two)
PKI=$IT_WORK/pki
it_pki_ca "$PKI"
mx_names=() sts_names=()
for s in "${SCENARIOS[@]}"; do
	mx_names+=("mx.$s.example")
	sts_names+=("mta-sts.$s.example")
done
it_pki_leaf "$PKI" mx "-1 day" "+90 days" "${mx_names[@]}"
it_pki_leaf "$PKI" sts "-1 day" "+90 days" "${sts_names[@]}"
it_pki_leaf "$PKI" other "-1 day" "+90 days" other.example
cat "$PKI/mx.key" "$PKI/mx.pem" "$PKI/inter.pem" >"$PKI/mx.bundle"
cat "$PKI/sts.pem" "$PKI/inter.pem" >"$PKI/sts.chain"

spki_sha256() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
LEAF_311=$(spki_sha256 "$PKI/mx.pem")
OTHER_311=$(spki_sha256 "$PKI/other.pem")
INTER_201=$(openssl x509 -in "$PKI/inter.pem" -outform DER | sha256sum | cut -d' ' -f1)

read -r PORT < <(it_free_ports 1)

# policy NAME MODE MX...: the MTA-STS policy of NAME.example, served.
WWW=$IT_WORK/www
policy() {
	local dir=$WWW/mta-sts.$1.example/.well-known mode=$2 mx
	shift 2
	mkdir -p "$dir"
	{
		printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
		for mx in "$@"; do printf 'mx: %s\r\n' "$mx"; done
		printf 'max_age: 604800\r\n'
	} >"$dir/mta-sts.txt"
}
policy ee enforce mx.ee.example
policy ta testing "*.elsewhere.example"
policy mismatch enforce mx.other.example
policy syntax enforcing mx.syntax.example
mkdir -p "$WWW/mta-sts.bogus.example"

# zone NAME MODE EXTRA-RECORDS...: NAME.example with its MX, the MX's
# address, the policy host's address, and EXTRA-RECORDS (one per argument).
zone() {
	local name=$1 mode=$2
	shift 2
	# Not a pipe: dw_zone records the zone in this shell.
	dw_zone "$name.example" "$mode" < <(
		printf '@ MX 10 mx\nmx A 127.0.0.1\nmta-sts A 127.0.3.1\n'
		printf '%s\n' "$@"
	)
}
zone ee signed "_$PORT._tcp.mx TLSA 3 1 1 $LEAF_311" \
	'_mta-sts TXT "v=STSv1; id=20261201T000000;"' \
	'_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@ee.example"'
zone ta signed "_$PORT._tcp.mx TLSA 2 0 1 $INTER_201" '_mta-sts TXT "v=STSv1; id=ta1;"'
zone mismatch signed "_$PORT._tcp.mx TLSA 3 1 1 $OTHER_311" \
	'_mta-sts TXT "v=STSv1; id=m1;"' '_smtp._tls TXT "v=TLSRPTv1; rua=ftp://ftp.mismatch.example/"'
zone bogus bogus "_$PORT._tcp.mx TLSA 3 1 1 $LEAF_311" '_mta-sts TXT "v=STSv1; id=b1;"'
zone plain unsigned "_$PORT._tcp.mx TLSA 3 1 1 $LEAF_311"
zone syntax unsigned '_mta-sts TXT "v=STSv1; id=s1;"'
zone two unsigned 'mx A 127.0.0.3' 'mx A 127.0.0.2'
dw_zone slow.example unsigned < <(printf '@ MX 10 mx\nmx A 127.0.0.4\nmx A 127.0.0.5\n')
dw_start
dw_https_start "$PKI/sts.chain" "$PKI/sts.key" "$WWW"
pf_serve_bundle "$PORT" "$PKI/mx.bundle"
it_start_silent "$PORT" 16 127.0.0.4
it_start_silent "$PORT" 16 127.0.0.5

DNS=(--resolver "$DW_RESOLVER" --trust-anchor "$DW_ANCHOR" --ca-file "$PKI/root.pem")

# domain NAME: mailcert domain in JSON, one report per line, split into
# $IT_LAST_OUT.1 (the domain) and .2 (its MX host).
domain() {
	it_run "$MAILCERT" domain -f json -t 10 --port "$PORT" "${DNS[@]}" "$1"
	local i=0 line
	while IFS= read -r line; do
		i=$((i + 1))
		printf '%s\n' "$line" >"$IT_LAST_OUT.$i"
	done <"$IT_LAST_OUT"
	it_eq "$1: two reports (the domain, its MX)" 2 "$i"
}

# report N STATE CODE...: report N of the last run is in STATE with each CODE.
report() {
	local file=$IT_LAST_OUT.$1 state=$2 code
	shift 2
	it_eq "report $1: state $state" "$state" "$(json_field "$file" state || true)"
	for code in "$@"; do
		it_check "report $1: finding $code (has: $(finding_codes "$file"))" has_finding "$file" "$code"
	done
}

# finding_message N CODE: the message of report N's first CODE finding.
finding_message() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
print(next(f["message"] for f in load(sys.argv[1])["findings"] if f["code"] == sys.argv[2]))
' "$IT_LAST_OUT.$1" "$2"
}

domain ee.example
it_eq "ee: exit status" 0 "$IT_LAST_RC"
report 1 OK mx.summary mta-sts.policy tls-rpt.ok
report 2 OK dane.match
it_eq "ee: the domain report names the domain" "ee.example" "$(json_field "$IT_LAST_OUT.1" target)"
it_eq "ee: the domain report's protocol" "domain" "$(json_field "$IT_LAST_OUT.1" protocol)"
it_eq "ee: the MX report's target" "smtp://mx.ee.example:$PORT" "$(json_field "$IT_LAST_OUT.2" target)"
it_eq "ee: the MX report's peer, the address checked" "127.0.0.1:$PORT" \
	"$(json_field "$IT_LAST_OUT.2" peer)"
it_eq "ee: the domain report has no peer" "null" "$(json_field "$IT_LAST_OUT.1" peer)"
it_eq "ee: MX summary" "MX 10 mx.ee.example (127.0.0.1): OK; DANE authenticates it" \
	"$(finding_message 1 mx.summary)"
it_eq "ee: the policy" "MTA-STS policy id 20261201T000000: mode enforce, mx mx.ee.example, max_age 604800 s" \
	"$(finding_message 1 mta-sts.policy)"
it_eq "ee: TLS-RPT" "TLS-RPT reports go to mailto:tlsrpt@ee.example" "$(finding_message 1 tls-rpt.ok)"
it_contains "ee: DANE-EE on the leaf" "3 1 1 (DANE-EE) at _$PORT._tcp.mx.ee.example matches the leaf" "$(finding_message 2 dane.match)"
it_check "ee: the policy was fetched over HTTPS with SNI" grep -q "mta-sts.ee.example mta-sts.ee.example GET /.well-known/mta-sts.txt 200" "$DW_HTTPS_LOG"

domain ta.example
it_eq "ta: exit status" 1 "$IT_LAST_RC"
report 1 WARNING mta-sts.mx-mismatch tls-rpt.missing
report 2 OK dane.match
it_eq "ta: DANE-TA matched the intermediate" 1 "$(json_field "$IT_LAST_OUT.2" findings.-1.cert 2>/dev/null || "$IT_PYTHON" -c "$IT_JSON_LOAD"'
print(next(f["cert"] for f in load(sys.argv[1])["findings"] if f["code"] == "dane.match"))' "$IT_LAST_OUT.2")"
it_eq "ta: testing mode is a warning" "WARNING" "$("$IT_PYTHON" -c "$IT_JSON_LOAD"'
print(next(f["severity"] for f in load(sys.argv[1])["findings"] if f["code"] == "mta-sts.mx-mismatch"))' "$IT_LAST_OUT.1")"
it_contains "ta: the mismatch names the MX and the patterns" "MX mx.ta.example matches none of the MTA-STS policy's mx patterns (*.elsewhere.example): in testing mode" \
	"$(finding_message 1 mta-sts.mx-mismatch)"

domain mismatch.example
it_eq "mismatch: exit status" 2 "$IT_LAST_RC"
report 1 CRITICAL mx.summary mta-sts.mx-mismatch tls-rpt.invalid
report 2 CRITICAL dane.mismatch
it_contains "mismatch: the fix names the leaf's record" "3 1 1 $LEAF_311" "$(finding_message 2 dane.mismatch)"
it_contains "mismatch: enforce mode" "in enforce mode, senders will not deliver to it" "$(finding_message 1 mta-sts.mx-mismatch)"
it_contains "mismatch: the summary lists the MX's problem" "CRITICAL: dane.mismatch" "$(finding_message 1 mx.summary)"

domain bogus.example
it_eq "bogus: exit status" 2 "$IT_LAST_RC"
report 1 CRITICAL mta-sts.policy-missing
report 2 CRITICAL dane.bogus
it_contains "bogus: libunbound's reason" "fail DNSSEC validation" "$(finding_message 2 dane.bogus)"
it_contains "bogus: HTTP 404" "HTTP status 404" "$(finding_message 1 mta-sts.policy-missing)"

domain plain.example
it_eq "plain: exit status" 0 "$IT_LAST_RC"
report 1 OK mta-sts.none tls-rpt.missing
report 2 OK dane.none
it_contains "plain: unsigned means no DANE" "not in a DNSSEC-signed zone, so senders ignore its TLSA records" "$(finding_message 2 dane.none)"

domain syntax.example
it_eq "syntax: exit status" 2 "$IT_LAST_RC"
report 1 CRITICAL mta-sts.policy-invalid
it_contains "syntax: the line and the value" "enforcing" "$(finding_message 1 mta-sts.policy-invalid)"

# Every address of an MX host is checked (senders may use any), in order.
it_run "$MAILCERT" domain -f json -t 10 --port "$PORT" "${DNS[@]}" two.example
it_eq "two: exit status" 2 "$IT_LAST_RC"
it_eq "two: three reports (the domain, its MX at two addresses)" 3 "$(wc -l <"$IT_LAST_OUT")"
it_eq "two: a summary per address" "MX 10 mx.two.example (127.0.0.1): OK
MX 10 mx.two.example (127.0.0.2): CRITICAL: connect.refused; 1 more address of mx.two.example not checked (the first 2 A and 2 AAAA are)" \
	"$("$IT_PYTHON" -c "$IT_JSON_LOAD"'
print("\n".join(f["message"] for f in load(sys.argv[1])["findings"] if f["code"] == "mx.summary"))' <(head -n 1 "$IT_LAST_OUT"))"
it_contains "two: the second check went to 127.0.0.2" "127.0.0.2" "$(sed -n 3p "$IT_LAST_OUT")"
it_eq "two: the first address's report has its peer" "127.0.0.1:$PORT" \
	"$(json_field <(sed -n 2p "$IT_LAST_OUT") peer)"
it_eq "two: the refused address's report has none (never connected)" "null" \
	"$(json_field <(sed -n 3p "$IT_LAST_OUT") peer)"
it_run "$MAILCERT" domain -f nagios -t 10 --port "$PORT" "${DNS[@]}" two.example
it_eq "two, nagios: the status line is the address that fails" \
	"MAILCERT CRITICAL - two.example: MX 10 mx.two.example (127.0.0.2): CRITICAL: connect.refused; 1 more address of mx.two.example not checked (the first 2 A and 2 AAAA are) (and 3 more)" \
	"$(head -n 1 "$IT_LAST_OUT")"

# The MX addresses are checked at once: two that never answer cost one
# timeout (-t 2), where one after the other would take at least 4 s.
t0=$(date +%s%N)
it_run "$MAILCERT" domain -f json -t 2 --port "$PORT" "${DNS[@]}" slow.example
took_ms=$((($(date +%s%N) - t0) / 1000000))
it_eq "slow: exit status" 2 "$IT_LAST_RC"
it_eq "slow: both addresses time out" "MX 10 mx.slow.example (127.0.0.4): CRITICAL: timeout
MX 10 mx.slow.example (127.0.0.5): CRITICAL: timeout" \
	"$("$IT_PYTHON" -c "$IT_JSON_LOAD"'
print("\n".join(f["message"] for f in load(sys.argv[1])["findings"] if f["code"] == "mx.summary"))' <(head -n 1 "$IT_LAST_OUT"))"
it_eq "slow: in one timeout, not two (took $took_ms ms)" 1 "$((took_ms < 3900))"

# Nagios: the domain's report alone, its state the worst of all.
it_run "$MAILCERT" domain -f nagios -t 10 --port "$PORT" "${DNS[@]}" ee.example
it_eq "nagios, OK: exit status" 0 "$IT_LAST_RC"
it_eq "nagios, OK: the output" "MAILCERT OK - ee.example: 1 MX host OK
OK mx.summary: MX 10 mx.ee.example (127.0.0.1): OK; DANE authenticates it
OK mta-sts.policy: MTA-STS policy id 20261201T000000: mode enforce, mx mx.ee.example, max_age 604800 s
OK tls-rpt.ok: TLS-RPT reports go to mailto:tlsrpt@ee.example" "$(cat "$IT_LAST_OUT")"
it_run "$MAILCERT" domain -f nagios -t 10 --port "$PORT" "${DNS[@]}" mismatch.example
it_eq "nagios, CRITICAL: exit status" 2 "$IT_LAST_RC"
it_eq "nagios, CRITICAL: the status line" \
	"MAILCERT CRITICAL - mismatch.example: MX 10 mx.mismatch.example (127.0.0.1): CRITICAL: dane.mismatch (and 3 more)" \
	"$(head -n 1 "$IT_LAST_OUT")"

# A probe option that does not fit is a usage error, found once an MX is known.
it_run "$MAILCERT" domain -f json -t 10 --helo "a b" --port "$PORT" "${DNS[@]}" ee.example
it_eq "--helo with a space: exit status" 3 "$IT_LAST_RC"
it_contains "--helo with a space: the reason" '--helo "a b": one word of at most 255 characters' \
	"$(cat "$IT_LAST_ERR")"

# -6: only AAAA records count, and the MX hosts here have none.
it_run "$MAILCERT" domain -f json -6 -t 10 --port "$PORT" "${DNS[@]}" ee.example
it_eq "-6: exit status" 2 "$IT_LAST_RC"
it_check "-6: mx.no-address" has_finding "$IT_LAST_OUT" mx.no-address
it_contains "-6: why" "MX 10 mx.ee.example has no address (no AAAA record)" "$(cat "$IT_LAST_OUT")"

# The same DNS for any check: --dane on an SMTP target, and --tlsa inline.
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --dane "${DNS[@]}" "smtp://mx.ee.example:$PORT"
expect 0 OK "check --dane, DANE-EE"
expect_finding "check --dane" dane.match 0
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --dane "${DNS[@]}" "smtp://mx.bogus.example:$PORT"
expect 2 CRITICAL "check --dane, bogus"
expect_finding "check --dane, bogus" dane.bogus
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --tlsa "3 1 1 $OTHER_311" "${DNS[@]}" "smtp://mx.ee.example:$PORT"
expect 2 CRITICAL "check --tlsa, another key"
expect_finding "check --tlsa" dane.mismatch
# check_mailcert --dane, the same lookup under check_ssl_cert's flags.
CHECK_MAILCERT=$(dirname "$MAILCERT")/check_mailcert
it_run "$CHECK_MAILCERT" -H mx.ee.example -p "$PORT" -P smtp --resolve 127.0.0.1 --dane \
	--resolver "$DW_RESOLVER" --trust-anchor "$DW_ANCHOR" --rootcert-file "$PKI/root.pem" --ignore-sct
it_eq "check_mailcert --dane: exit status" 0 "$IT_LAST_RC"
it_check "check_mailcert --dane: dane.match listed" grep -q "^OK dane.match: the TLSA record 3 1 1 (DANE-EE)" "$IT_LAST_OUT"
it_run "$CHECK_MAILCERT" -H mx.mismatch.example -p "$PORT" -P smtp --resolve 127.0.0.1 --dane \
	--resolver "$DW_RESOLVER" --trust-anchor "$DW_ANCHOR" --rootcert-file "$PKI/root.pem" --ignore-sct
it_eq "check_mailcert --dane, mismatch: exit status" 2 "$IT_LAST_RC"
it_check "check_mailcert --dane, mismatch: the status line" grep -q "^MAILCERT CRITICAL - .*none of the 1 usable TLSA records" "$IT_LAST_OUT"

# A DANE-EE match makes the name moot: checked under a name the leaf lacks.
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --tlsa "3 1 1 $LEAF_311" -n other.example "smtp://mx.ee.example:$PORT"
expect 0 OK "check --tlsa 3 1 1 with a wrong --name"
expect_finding "the name mismatch is kept, lowered" name.mismatch 0

it_finish

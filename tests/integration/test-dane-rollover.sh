#!/usr/bin/env bash
# Real-server test: DANE rollovers (--next-key, --next-issuer, --all-keys
# with DANE) against the DNS world of test-domain.sh
# (tests/integration/dnsworld.sh: NSD serving zones signed here, behind a
# validating Unbound trusting only their keys) and the real Postfix
# serving an RSA and an ECDSA certificate at once.
#
# usage: test-dane-rollover.sh PATH-TO-MAILCERT
#
# One Postfix smtpd on a free 127.0.0.1 port, smtpd_tls_chain_files = an
# RSA and an ECDSA bundle (key, leaf, intermediate), both leaves valid for
# every MX name. A staged next key (ECDSA) and a second intermediate stand
# for the next renewal. Each zone is one scenario (TLSA at _PORT._tcp.mx):
#   ready.example   signed: 3 1 1 of both keys and of the next key
#                   → domain --next-key: OK, no dane.next-key-missing
#   stale.example   signed: 3 1 1 of both keys only
#                   → domain --next-key: WARNING, dane.next-key-missing
#                     naming "3 1 1 <the next key>"
#   onekey.example  signed: 3 1 1 of the ECDSA key only
#                   → check --dane --all-keys: ECDSA OK, RSA dane.mismatch
#   ta.example      signed: 2 1 1 of the intermediate
#                   → check --dane --next-issuer: dane.match and
#                     dane.next-key-missing naming "2 1 1 <next issuer>"
#   plain.example   unsigned, 3 1 1 of both keys
#                   → check --dane --next-key: dane.none alone
# Every record expected is computed here with openssl, not by mailcert.
# Needs root, postfix, nsd, unbound, bind9-utils, bind9-dnsutils,
# certtool, openssl, python3.

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
started=$SECONDS

it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
# shellcheck source-path=SCRIPTDIR source=dnsworld.sh disable=SC1091
. "$here/dnsworld.sh"

HOST=mx.ready.example # Postfix's myhostname
SCENARIOS=(ready stale onekey ta plain)
PKI=$IT_WORK/pki
it_pki_ca "$PKI"
# A second intermediate under the same root: the issuer of the next renewal.
it_pki_cert "$PKI" inter2 root "-1 day" "+3650 days" \
	'cn = "mailcert test next intermediate CA"' 'organization = "mailcert tests"' \
	ca 'path_len = 0' cert_signing_key crl_signing_key

# leaf NAME KEYTYPE-OPTIONS...: PKI/NAME.key and PKI/NAME.pem, valid for
# every MX name, issued by the intermediate.
leaf() {
	local name=$1 s
	shift
	certtool --generate-privkey "$@" --outfile "$PKI/$name.key" 2>/dev/null
	{
		printf 'activation_date = "%s"\n' "$(it_pki_date "-1 day")"
		printf 'expiration_date = "%s"\n' "$(it_pki_date "+90 days")"
		printf 'cn = "%s"\n' "$HOST"
		for s in "${SCENARIOS[@]}"; do printf 'dns_name = "mx.%s.example"\n' "$s"; done
		printf 'tls_www_server\nsigning_key\nencryption_key\n'
	} >"$PKI/$name.tmpl"
	TZ=UTC certtool --generate-certificate --load-privkey "$PKI/$name.key" \
		--load-ca-privkey "$PKI/inter.key" --load-ca-certificate "$PKI/inter.pem" \
		--template "$PKI/$name.tmpl" --outfile "$PKI/$name.pem" >/dev/null 2>&1
	cat "$PKI/$name.key" "$PKI/$name.pem" "$PKI/inter.pem" >"$PKI/$name.bundle"
	chmod 0600 "$PKI/$name.bundle"
}
leaf rsa --key-type=rsa --bits=2048
leaf ecdsa --key-type=ecdsa --curve=secp256r1
certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$PKI/next.key" 2>/dev/null

# spki_sha256 FILE: the SHA-256 of the public key of FILE (a certificate, else a private key).
spki_sha256() {
	if grep -q CERTIFICATE "$1"; then
		openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER
	else
		openssl pkey -in "$1" -pubout -outform DER
	fi | sha256sum | cut -d' ' -f1
}
RSA_311=$(spki_sha256 "$PKI/rsa.pem")
ECDSA_311=$(spki_sha256 "$PKI/ecdsa.pem")
NEXT_311=$(spki_sha256 "$PKI/next.key")
INTER_211=$(spki_sha256 "$PKI/inter.pem")
INTER2_211=$(spki_sha256 "$PKI/inter2.pem")

read -r PORT < <(it_free_ports 1)

# zone NAME MODE EXTRA-RECORDS...: NAME.example with its MX, the MX's
# address, a TLS-RPT record (else DANE makes its absence a warning), and
# EXTRA-RECORDS.
zone() {
	local name=$1 mode=$2
	shift 2
	dw_zone "$name.example" "$mode" < <(
		printf '@ MX 10 mx\nmx A 127.0.0.1\n'
		printf '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s.example"\n' "$name"
		printf '%s\n' "$@"
	)
}
T="_$PORT._tcp.mx TLSA"
zone ready signed "$T 3 1 1 $RSA_311" "$T 3 1 1 $ECDSA_311" "$T 3 1 1 $NEXT_311"
zone stale signed "$T 3 1 1 $RSA_311" "$T 3 1 1 $ECDSA_311"
zone onekey signed "$T 3 1 1 $ECDSA_311"
zone ta signed "$T 2 1 1 $INTER_211"
zone plain unsigned "$T 3 1 1 $RSA_311" "$T 3 1 1 $ECDSA_311"
dw_start

pf_write_config "smtpd_tls_chain_files = $PKI/rsa.bundle, $PKI/ecdsa.bundle" <<-EOF
	127.0.0.1:$PORT inet n - n - - smtpd
EOF
pf_start "$PORT"

DNS=(--resolver "$DW_RESOLVER" --trust-anchor "$DW_ANCHOR" --ca-file "$PKI/root.pem")

# line N: JSON line N (1-based) of the last run, as a file.
line() {
	sed -n "${1}p" "$IT_LAST_OUT" >"$IT_WORK/line$1.json"
	echo "$IT_WORK/line$1.json"
}

# messages FILE CODE: the messages of FILE's CODE findings, one per line.
messages() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
print("\n".join(f["message"] for f in load(sys.argv[1])["findings"] if f["code"] == sys.argv[2]))
' "$1" "$2"
}

# report FILE DESC STATE CODE...: FILE's state, and each CODE among its findings.
report() {
	local file=$1 desc=$2 state=$3 code
	shift 3
	it_eq "$desc: state $state" "$state" "$(json_field "$file" state || true)"
	for code in "$@"; do
		it_check "$desc: finding $code (has: $(finding_codes "$file"))" has_finding "$file" "$code"
	done
}

domain() {
	it_run "$MAILCERT" domain -f json -t 10 --port "$PORT" "${DNS[@]}" "$@"
}

# The RRset has the next key: nothing to say of it.
domain --next-key "$PKI/next.key" ready.example
it_eq "ready: exit status" 0 "$IT_LAST_RC"
report "$(line 1)" "ready: the domain" OK mx.summary
report "$(line 2)" "ready: the MX" OK dane.match
it_check_not "ready: no dane.next-key-missing" has_finding "$(line 2)" dane.next-key-missing

# It has not: the record to publish, and the MX summary says so.
domain --next-key "$PKI/next.key" stale.example
it_eq "stale: exit status" 1 "$IT_LAST_RC"
report "$(line 1)" "stale: the domain" WARNING mx.summary
report "$(line 2)" "stale: the MX" WARNING dane.match dane.next-key-missing
it_contains "stale: the record to publish, for the key of the file" \
	"no TLSA record at _$PORT._tcp.mx.stale.example names the next key (EC-P256, from \"$PKI/next.key\"): publish \"3 1 1 $NEXT_311\" beside the current records" \
	"$(messages "$(line 2)" dane.next-key-missing)"
it_contains "stale: the summary names the finding" "WARNING: dane.next-key-missing" \
	"$(messages "$(line 1)" mx.summary)"
# The next certificate instead of its key: the same key, the same record.
openssl req -new -x509 -key "$PKI/next.key" -subj /CN=next -days 1 -out "$PKI/next-self.pem" 2>/dev/null
domain --next-key "$PKI/next-self.pem" stale.example
it_contains "stale, --next-key a certificate: the same record" "publish \"3 1 1 $NEXT_311\"" \
	"$(messages "$(line 2)" dane.next-key-missing)"

# --all-keys: each key type's handshake is judged on its own; the RRset
# names only the ECDSA key, so the RSA report is dane.mismatch.
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --dane --all-keys "${DNS[@]}" \
	"smtp://mx.onekey.example:$PORT"
it_eq "onekey --all-keys: exit status" 2 "$IT_LAST_RC"
it_eq "onekey --all-keys: two reports" 2 "$(grep -c . "$IT_LAST_OUT" || true)"
it_eq "onekey --all-keys: report 1 is RSA's" RSA "$(json_field "$(line 1)" key_type || true)"
report "$(line 1)" "onekey --all-keys, RSA" CRITICAL dane.mismatch
it_contains "onekey --all-keys, RSA: the record for the RSA key" "3 1 1 $RSA_311" \
	"$(messages "$(line 1)" dane.mismatch)"
it_eq "onekey --all-keys: report 2 is ECDSA's" ECDSA "$(json_field "$(line 2)" key_type || true)"
report "$(line 2)" "onekey --all-keys, ECDSA" OK dane.match
# With the RSA key's record given inline as well, both match.
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --all-keys "${DNS[@]}" \
	--tlsa "3 1 1 $ECDSA_311" --tlsa "3 1 1 $RSA_311" "smtp://mx.onekey.example:$PORT"
it_eq "--tlsa of both keys, --all-keys: exit status" 0 "$IT_LAST_RC"
report "$(line 1)" "--tlsa of both keys, RSA" OK dane.match
report "$(line 2)" "--tlsa of both keys, ECDSA" OK dane.match

# DANE-TA: the next renewal's intermediate needs a 2 1 1 record of its own.
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --dane "${DNS[@]}" \
	--next-issuer "$PKI/inter2.pem" --next-issuer "$PKI/inter.pem" "smtp://mx.ta.example:$PORT"
it_eq "ta --next-issuer: exit status" 1 "$IT_LAST_RC"
report "$IT_LAST_OUT" "ta --next-issuer" WARNING dane.match dane.next-key-missing
it_eq "ta --next-issuer: one record missing, the new intermediate's" \
	"no DANE-TA record at _$PORT._tcp.mx.ta.example names the next issuer (CN=mailcert test next intermediate CA, the certificate of \"$PKI/inter2.pem\"): publish \"2 1 1 $INTER2_211\" beside the current records before the renewal chains to it, or DANE senders will refuse the server after it" \
	"$(messages "$IT_LAST_OUT" dane.next-key-missing)"

# No DANE (an unsigned zone): nothing to say of the next key.
it_run "$MAILCERT" check -f json -t 10 --connect-to 127.0.0.1 --dane "${DNS[@]}" \
	--next-key "$PKI/next.key" "smtp://mx.plain.example:$PORT"
it_eq "plain --next-key: exit status" 0 "$IT_LAST_RC"
it_eq "plain --next-key: dane.none alone" "dane.none" \
	"$(finding_codes "$IT_LAST_OUT" | tr ' ' '\n' | grep '^dane' | tr '\n' ' ' | sed 's/ $//')"

# What --tlsa-for prints is what the zones need.
it_run "$MAILCERT" file --tlsa-for "$PKI/next.key"
it_eq "--tlsa-for the next key: the record stale.example lacks" "3 1 1 $NEXT_311" "$(cat "$IT_LAST_OUT")"

it_note "DANE rollover scenarios took $((SECONDS - started)) s"
it_finish

#!/usr/bin/env bash
# Real-server test of the chain, name and expectation checks: Postfix 3.7
# on loopback serving chains as administrators get them wrong.
#
# usage: test-chain.sh PATH-TO-MAILCERT
#
# One private Postfix instance (own main.cf/master.cf, queue and log under
# a temporary directory), one smtpd with STARTTLS on a free 127.0.0.1 high
# port, serving in turn (postfix reload):
#   good       leaf, intermediate                      OK
#   root       leaf, intermediate, root                chain.root-included (WARNING)
#   disorder   leaf, root, intermediate                chain.order + chain.root-included
#   deep       leaf, intermediate 2, intermediate 1    chain.order (issuer sent before)
#   extra      leaf, intermediate, another site's leaf chain.extra
#   short      leaf, intermediate expiring before it   cert.expiring on the intermediate
# and checks --name (every name must match), --issuer, --subject,
# --serial, --pin and --severity against the good chain. Postfix (OpenSSL)
# takes the first certificate after the key as its own and refuses a key
# that does not match it, so "intermediate before the leaf" cannot be
# served; the unit tests cover it.
# Needs root, postfix, gnutls-bin, openssl and python3 (tests/run installs them).

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix certtool openssl python3; do
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

# bundle NAME KEY CERT...: PKI/NAME.bundle for smtpd_tls_chain_files: the
# key, then the certificates in the order they are sent.
bundle() {
	local name=$1
	shift
	cat "$@" >"$PKI/$name.bundle"
	chmod 0600 "$PKI/$name.bundle"
}

make_pki() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST" "www.$HOST"
	it_pki_leaf "$PKI" other "-1 day" "+90 days" other.test
	# root → inter1 (may sign one more CA) → inter2 → deep leaf
	it_pki_cert "$PKI" inter1 root "-1 day" "+3650 days" 'cn = "mailcert test intermediate 1"' \
		ca 'path_len = 1' cert_signing_key crl_signing_key
	it_pki_cert "$PKI" inter2 inter1 "-1 day" "+3650 days" 'cn = "mailcert test intermediate 2"' \
		ca 'path_len = 0' cert_signing_key crl_signing_key
	it_pki_cert "$PKI" deep inter2 "-1 day" "+90 days" "cn = \"$HOST\"" "dns_name = \"$HOST\"" \
		tls_www_server signing_key encryption_key
	# An intermediate ending in 60 days, its leaf in 90: both above the thresholds.
	it_pki_cert "$PKI" shortinter root "-1 day" "+60 days" 'cn = "mailcert short intermediate"' \
		ca 'path_len = 0' cert_signing_key crl_signing_key
	it_pki_cert "$PKI" short shortinter "-1 day" "+90 days" "cn = \"$HOST\"" \
		"dns_name = \"$HOST\"" tls_www_server signing_key encryption_key

	bundle good "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem"
	bundle root "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" "$PKI/root.pem"
	bundle disorder "$PKI/good.key" "$PKI/good.pem" "$PKI/root.pem" "$PKI/inter.pem"
	bundle deep "$PKI/deep.key" "$PKI/deep.pem" "$PKI/inter1.pem" "$PKI/inter2.pem"
	bundle extra "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" "$PKI/other.pem"
	bundle short "$PKI/short.key" "$PKI/short.pem" "$PKI/shortinter.pem"
}

# ---------------------------------------------------------------------------
# Postfix: one smtpd, and the internal services it talks to, none chrooted

write_postfix_config() {
	pf_write_config "smtpd_tls_chain_files = $PF_CONF/current.pem" <<-EOF
		127.0.0.1:$PORT inet n - n - - smtpd
	EOF
}

start_postfix() {
	write_postfix_config
	install -m 0600 "$PKI/good.bundle" "$PF_CONF/current.pem"
	pf_start "$PORT"
	it_check "postfix serves the 'good' chain" \
		it_wait_served 127.0.0.1 "$PORT" smtp "$(it_cert_sha256 "$PKI/good.pem")" 15
}

# wait_chain NAME...: within 15 s, openssl s_client sees PKI/NAME.pem…
# in that order. Several bundles share a leaf, so the whole chain is
# compared: an smtpd started before the reload still sends the old one.
wait_chain() {
	local want="" name deadline=$((SECONDS + 15)) got
	for name in "$@"; do
		want+="$(it_cert_sha256 "$PKI/$name.pem")"$'\n'
	done
	while :; do
		got=$(openssl_chain "$PORT" -starttls smtp || true)
		[ "$got" = "${want%$'\n'}" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.2
	done
	it_note "127.0.0.1:$PORT serves $(echo "$got" | wc -l) certificates, not $*"
	return 1
}

# serve BUNDLE NAME...: make Postfix serve PKI/BUNDLE.bundle, whose
# certificates are PKI/NAME.pem… in that order; reload makes idle smtpd
# processes exit, new ones load it.
serve() {
	local bundle=$1
	shift
	install -m 0600 "$PKI/$bundle.bundle" "$PF_CONF/current.pem"
	pf_cmd reload || it_bail "postfix reload for '$bundle'"
	it_check "postfix serves the '$bundle' chain" wait_chain "$@"
}

# ---------------------------------------------------------------------------
# What mailcert must say

CA=()

# expect_codes DESC CODES: the last report's finding codes, in order.
expect_codes() {
	it_eq "$1: findings" "$2" "$(finding_codes "$IT_LAST_OUT")"
}

# expect_sent_as DESC NAME...: the chain mailcert saw is PKI/NAME.pem…, in
# that order, and is what openssl s_client -starttls smtp sees.
expect_sent_as() {
	local desc=$1 want="" name
	shift
	for name in "$@"; do
		want+="$(it_cert_sha256 "$PKI/$name.pem")"$'\n'
	done
	it_eq "$desc: the chain as sent is $*" "${want%$'\n'}" "$(mailcert_chain || true)"
	expect_chain_as_openssl "$desc" "$PORT" -starttls smtp
}

# message_of CODE: the message of the last report's first finding CODE.
message_of() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
for f in load(sys.argv[1]).get("findings") or []:
    if f.get("code") == sys.argv[2]:
        print(f.get("message"))
        break
' "$IT_LAST_OUT" "$1" 2>&1 || true
}

# severity_of CODE: the severity of the last report's first finding CODE.
severity_of() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
for f in load(sys.argv[1]).get("findings") or []:
    if f.get("code") == sys.argv[2]:
        print(f.get("severity"))
        break
' "$IT_LAST_OUT" "$1" 2>&1 || true
}

# ---------------------------------------------------------------------------
# Scenarios

good() {
	local desc="good chain"
	mc "$TARGET" "${CA[@]}"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	expect_sent_as "$desc" good inter
}

names() {
	local desc="-n $HOST -n www.$HOST"
	mc "$TARGET" "${CA[@]}" -n "$HOST" -n "www.$HOST"
	expect 0 OK "$desc"
	it_eq "$desc: matched names" "$HOST, www.$HOST" \
		"$(json_field "$IT_LAST_OUT" matched_name || true)"

	desc="-n $HOST -n other.test (every name must match)"
	mc "$TARGET" "${CA[@]}" -n "$HOST" -n other.test
	expect 2 CRITICAL "$desc"
	expect_codes "$desc" name.mismatch
	it_contains "$desc: names the missing name" 'is not valid for "other.test"' \
		"$(message_of name.mismatch)"

	desc="-n a.$HOST (a wildcard is not there, and *.test would not cover it)"
	mc "$TARGET" "${CA[@]}" -n "a.$HOST"
	expect 2 CRITICAL "$desc"
	expect_codes "$desc" name.mismatch
}

expectations() {
	local serial spki
	serial=$(openssl x509 -in "$PKI/good.pem" -noout -serial)
	serial=${serial#serial=}
	spki=$(openssl x509 -in "$PKI/good.pem" -noout -pubkey | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)

	mc "$TARGET" "${CA[@]}" --issuer '^CN=mailcert test intermediate CA' --subject "CN=$HOST" \
		--serial "0x00${serial,,}" --pin "sha256:$spki"
	expect 0 OK "expectations met (serial in lower case with 0x00, SPKI pin in base64)"
	expect_no_findings "expectations met"

	mc "$TARGET" "${CA[@]}" --pin "sha256:$(it_cert_sha256 "$PKI/good.pem")"
	expect 0 OK "--pin of the certificate in hex"

	mc "$TARGET" "${CA[@]}" --issuer "Let's Encrypt" --subject '^CN=www\.' --serial 1 \
		--pin sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
	expect 2 CRITICAL "expectations not met"
	expect_codes "expectations not met" \
		"issuer.mismatch subject.mismatch serial.mismatch pin.mismatch"
	it_contains "pin.mismatch gives the served pin" "its key is sha256:$spki" \
		"$(message_of pin.mismatch)"
}

root_included() {
	local desc="leaf, intermediate, root"
	mc "$TARGET" "${CA[@]}"
	expect 1 WARNING "$desc"
	expect_codes "$desc" chain.root-included
	expect_finding "$desc" chain.root-included 2
	expect_sent_as "$desc" good inter root

	desc="leaf, intermediate, root with --severity chain.root-included=ok"
	mc "$TARGET" "${CA[@]}" --severity chain.root-included=ok
	expect 0 OK "$desc"
	it_eq "$desc: still listed, severity OK" OK "$(severity_of chain.root-included)"

	desc="leaf, intermediate, root with --severity chain.root-included=critical"
	mc "$TARGET" "${CA[@]}" --severity chain.root-included=critical
	expect 2 CRITICAL "$desc"
}

disorder() {
	local desc="leaf, root, intermediate"
	mc "$TARGET" "${CA[@]}"
	expect 1 WARNING "$desc"
	expect_codes "$desc" "chain.order chain.root-included"
	expect_finding "$desc" chain.order 2
	it_contains "$desc: says which position holds what" \
		"position 3 holds intermediate CN=mailcert test intermediate CA, but its issuer, root CN=mailcert test root CA, comes before it at position 2" \
		"$(message_of chain.order)"
	expect_sent_as "$desc" good root inter
}

deep() {
	local desc="leaf, intermediate 1, intermediate 2 (issued by 1)"
	mc "$TARGET" "${CA[@]}"
	expect 1 WARNING "$desc"
	expect_codes "$desc" chain.order
	expect_finding "$desc" chain.order 2
	it_contains "$desc: as sent" \
		"(as sent: 1 CN=$HOST, 2 CN=mailcert test intermediate 1, 3 CN=mailcert test intermediate 2)" \
		"$(message_of chain.order)"
	expect_sent_as "$desc" deep inter1 inter2
}

extra() {
	local desc="leaf, intermediate, another site's leaf"
	mc "$TARGET" "${CA[@]}"
	expect 1 WARNING "$desc"
	expect_codes "$desc" chain.extra
	expect_finding "$desc" chain.extra 2
	expect_sent_as "$desc" good inter other
}

short() {
	local desc="intermediate expiring before the leaf"
	mc "$TARGET" "${CA[@]}"
	expect 1 WARNING "$desc"
	expect_codes "$desc" cert.expiring
	expect_finding "$desc" cert.expiring 1
	it_contains "$desc: names it and the leaf" \
		"intermediate CN=mailcert short intermediate expires" "$(message_of cert.expiring)"
	it_contains "$desc: before the leaf" "before leaf CN=$HOST" "$(message_of cert.expiring)"
}

main() {
	local started=$SECONDS
	read -r PORT < <(it_free_ports 1)
	TARGET="smtp://$HOST:$PORT"

	make_pki
	CA=(--ca-file "$PKI/root.pem")
	start_postfix

	good
	names
	expectations

	serve root good inter root
	root_included
	serve disorder good root inter
	disorder
	serve deep deep inter1 inter2
	deep
	serve extra good inter other
	extra
	serve short short shortinter
	short

	it_note "chain scenarios took $((SECONDS - started)) s"
	it_finish
}

main

#!/usr/bin/env bash
# Real-server test: --all-keys / --key-type and the crypto family against
# Postfix 3.7 on loopback.
#
# usage: test-all-keys.sh PATH-TO-MAILCERT
#
# A private Postfix instance (as in test-postfix.sh) with three smtpd
# services on free 127.0.0.1 high ports:
#   smtp    STARTTLS, any TLS version (TLS 1.3 with mailcert)
#   smtps   implicit TLS
#   tls12   STARTTLS, at most TLS 1.2
#   tls11   STARTTLS, at most TLS 1.1 (for tls.version)
# holding an RSA and an ECDSA certificate at once (smtpd_tls_chain_files =
# rsa.pem, ecdsa.pem; each file key, leaf, intermediate). It asserts that
# --all-keys reports both leaves, each with the SHA-256 that openssl
# s_client sees when it offers only RSA or only ECDSA signature algorithms,
# in TLS 1.3 and in TLS 1.2; then that with only one certificate the other
# key type is the note tls.key-type-absent; then, serving an RSA-1024 leaf
# (OpenSSL at security level 0 through OPENSSL_CONF, or Postfix would
# refuse the key), crypto.weak-key; and tls.version on the TLS 1.1 port.
# Needs root, postfix, openssl, gnutls-bin and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix postconf certtool openssl python3; do
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
# Certificates: the test CA (RSA), an RSA leaf and an ECDSA leaf for
# mail.test under the same intermediate, and an RSA-1024 leaf.

# bundle NAME KEY CERT...: PKI/NAME.bundle, key then certificates as sent.
bundle() {
	local name=$1
	shift
	cat "$@" >"$PKI/$name.bundle"
	chmod 0600 "$PKI/$name.bundle"
}

# leaf_with_key NAME KEYTYPE-OPTIONS...: PKI/NAME.key (certtool options)
# and PKI/NAME.pem for mail.test, signed by the intermediate.
leaf_with_key() {
	local name=$1
	shift
	certtool --generate-privkey "$@" --outfile "$PKI/$name.key" 2>/dev/null
	{
		printf 'activation_date = "%s"\n' "$(it_pki_date "-1 day")"
		printf 'expiration_date = "%s"\n' "$(it_pki_date "+90 days")"
		printf 'cn = "%s"\ndns_name = "%s"\ntls_www_server\nsigning_key\n' "$HOST" "$HOST"
	} >"$PKI/$name.tmpl"
	TZ=UTC certtool --generate-certificate --load-privkey "$PKI/$name.key" \
		--load-ca-privkey "$PKI/inter.key" --load-ca-certificate "$PKI/inter.pem" \
		--template "$PKI/$name.tmpl" --outfile "$PKI/$name.pem" >/dev/null 2>&1
}

make_pki() {
	it_pki_ca "$PKI"
	leaf_with_key rsa --key-type=rsa --bits=2048
	leaf_with_key ecdsa --key-type=ecdsa --curve=secp256r1
	leaf_with_key weak --key-type=rsa --bits=1024
	bundle rsa "$PKI/rsa.key" "$PKI/rsa.pem" "$PKI/inter.pem"
	bundle ecdsa "$PKI/ecdsa.key" "$PKI/ecdsa.pem" "$PKI/inter.pem"
	bundle weak "$PKI/weak.key" "$PKI/weak.pem" "$PKI/inter.pem"
	RSA_SHA=$(it_cert_sha256 "$PKI/rsa.pem")
	ECDSA_SHA=$(it_cert_sha256 "$PKI/ecdsa.pem")
	WEAK_SHA=$(it_cert_sha256 "$PKI/weak.pem")
	INTER_SHA=$(it_cert_sha256 "$PKI/inter.pem")
}

# ---------------------------------------------------------------------------
# Postfix (the minimal setup of test-postfix.sh)

# ossl_leaf PORT SIGALGS [S_CLIENT-OPTIONS...]: SHA-256 of the leaf openssl
# s_client receives on PORT offering only SIGALGS, or nothing.
ossl_leaf() {
	local port=$1 sigalgs=$2
	shift 2
	timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$HOST" \
		-cipher DEFAULT@SECLEVEL=0 -sigalgs "$sigalgs" "$@" </dev/null 2>/dev/null |
		it_cert_sha256 - || true
}

# serving PORT STARTTLS RSA-SHA ECDSA-SHA: openssl offering only RSA
# (RSA-PSS for TLS 1.3) gets RSA-SHA and offering only ECDSA gets ECDSA-SHA
# ("" for none). STARTTLS is smtp or "".
serving() {
	local port=$1 st=() rsa ecdsa
	[ -z "$2" ] || st=(-starttls "$2")
	rsa=$(ossl_leaf "$port" "rsa_pss_rsae_sha256:RSA+SHA256" "${st[@]}")
	ecdsa=$(ossl_leaf "$port" "ECDSA+SHA256" "${st[@]}")
	[ "$rsa" = "$3" ] && [ "$ecdsa" = "$4" ]
}

# serve FILES RSA-SHA ECDSA-SHA: point smtpd_tls_chain_files at FILES
# (bundle names, comma separated), reload, and wait until the STARTTLS
# port serves them.
serve() {
	local files=() names=() f
	IFS=, read -r -a names <<<"$1"
	for f in "${names[@]}"; do
		install -m 0600 "$PKI/$f.bundle" "$PF_CONF/$f.pem"
		files+=("$PF_CONF/$f.pem")
	done
	postconf -c "$PF_CONF" -e "smtpd_tls_chain_files = $(IFS=,; echo "${files[*]}")"
	pf_cmd reload || it_bail "postfix reload for '$1'"
	it_check "postfix serves '$1'" wait_serving "$PORT_SMTP" smtp "$2" "$3"
}

wait_serving() {
	local deadline=$((SECONDS + 15))
	until serving "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.3
	done
}

write_postfix_config() {
	mkdir -p "$PF_CONF"
	# Security level 0, so that the RSA-1024 leaf and TLS 1.1 can be
	# served at all (Debian's OpenSSL default is level 2).
	cat >"$PF_CONF/openssl.cnf" <<-EOF
		openssl_conf = default_conf
		[default_conf]
		ssl_conf = ssl_sect
		[ssl_sect]
		system_default = system_default_sect
		[system_default_sect]
		CipherString = DEFAULT@SECLEVEL=0
		MinProtocol = TLSv1
	EOF
	pf_write_config "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C OPENSSL_CONF=$PF_CONF/openssl.cnf" \
		"smtpd_tls_chain_files = $PF_CONF/rsa.pem, $PF_CONF/ecdsa.pem" <<-EOF
		127.0.0.1:$PORT_SMTP inet n - n - - smtpd
		127.0.0.1:$PORT_SMTPS inet n - n - - smtpd
		  -o syslog_name=postfix/smtps
		  -o smtpd_tls_wrappermode=yes
		127.0.0.1:$PORT_TLS12 inet n - n - - smtpd
		  -o syslog_name=postfix/tls12
		  -o smtpd_tls_protocols=<=TLSv1.2
		127.0.0.1:$PORT_TLS11 inet n - n - - smtpd
		  -o syslog_name=postfix/tls11
		  -o smtpd_tls_protocols=<=TLSv1.1
	EOF
}

start_postfix() {
	write_postfix_config
	install -m 0600 "$PKI/rsa.bundle" "$PF_CONF/rsa.pem"
	install -m 0600 "$PKI/ecdsa.bundle" "$PF_CONF/ecdsa.pem"
	pf_start "$PORT_SMTP" "$PORT_SMTPS" "$PORT_TLS12" "$PORT_TLS11"
	it_check "postfix serves both certificates" \
		wait_serving "$PORT_SMTP" smtp "$RSA_SHA" "$ECDSA_SHA"
}

# ---------------------------------------------------------------------------
# mailcert and what it must say

CA=()

# line N: the last run's JSON line N (1-based) as a file, for json_field.
line() {
	sed -n "${1}p" "$IT_LAST_OUT" >"$IT_WORK/line$1.json"
	echo "$IT_WORK/line$1.json"
}

# expect_report N DESC "TARGET (TYPE)" STATE [LEAF-SHA]: JSON line N is the
# report of TARGET restricted to key type TYPE, with STATE and, when given,
# leaf LEAF-SHA then the intermediate.
expect_report() {
	local f target=${3% (*} type=${3##* (}
	type=${type%)}
	f=$(line "$1")
	it_eq "$2: report $1 is for $target" "$target" "$(json_field "$f" target || true)"
	it_eq "$2: report $1 key_type $type" "$type" "$(json_field "$f" key_type || true)"
	it_eq "$2: report $1 protocol" "${target%%://*}" "$(json_field "$f" protocol || true)"
	it_eq "$2: report $1 state $4" "$4" "$(json_field "$f" state || true)"
	[ -n "${5:-}" ] || return 0
	it_eq "$2: report $1 leaf sha256" "$5" "$(norm_hex "$(json_field "$f" chain.0.sha256 || true)")"
	it_eq "$2: report $1 intermediate sha256" "$INTER_SHA" \
		"$(norm_hex "$(json_field "$f" chain.1.sha256 || true)")"
}

# expect_report_finding N DESC CODE TEXT: report N has finding CODE whose
# message contains TEXT.
expect_report_finding() {
	local f
	f=$(line "$1")
	if has_finding "$f" "$3"; then
		it_ok "$2: report $1 has $3"
	else
		it_not_ok "$2: report $1 has $3" "findings: $(finding_codes "$f")"
	fi
	it_contains "$2: report $1 says" "$4" "$(json_field "$f" findings.0.message || true)"
}

expect_lines() {
	it_eq "$1: $2 JSON lines" "$2" "$(grep -c . "$IT_LAST_OUT" || true)"
}

# both_keys SCHEME PORT STARTTLS VERSION: --all-keys reports the RSA then
# the ECDSA leaf, OK, negotiated in VERSION, each the leaf openssl gets
# with only that type's signature algorithms (TLS 1.3 and TLS 1.2).
both_keys() {
	local target="$1://$HOST:$2" desc st=()
	desc="--all-keys, both certificates, $target"
	[ -z "$3" ] || st=(-starttls "$3")
	mc "$target" "${CA[@]}" --all-keys
	it_eq "$desc: exit status 0" 0 "$IT_LAST_RC"
	expect_lines "$desc" 2
	expect_report 1 "$desc" "$target (RSA)" OK "$RSA_SHA"
	expect_report 2 "$desc" "$target (ECDSA)" OK "$ECDSA_SHA"
	it_eq "$desc: RSA in $4" "$4" "$(json_field "$(line 1)" tls.version || true)"
	it_eq "$desc: ECDSA in $4" "$4" "$(json_field "$(line 2)" tls.version || true)"
	it_eq "$desc: report 1 key" "RSA-2048" "$(json_field "$(line 1)" chain.0.key || true)"
	it_eq "$desc: report 2 key" "EC-P256" "$(json_field "$(line 2)" chain.0.key || true)"
	if [ "$4" = TLS1.3 ]; then
		it_eq "$desc: openssl -tls1_3 -sigalgs rsa_pss_rsae_sha256 sees the RSA leaf" \
			"$RSA_SHA" "$(ossl_leaf "$2" rsa_pss_rsae_sha256 -tls1_3 "${st[@]}")"
		it_eq "$desc: openssl -tls1_3 -sigalgs ECDSA+SHA256 sees the ECDSA leaf" \
			"$ECDSA_SHA" "$(ossl_leaf "$2" ECDSA+SHA256 -tls1_3 "${st[@]}")"
	fi
	it_eq "$desc: openssl -tls1_2 -sigalgs RSA+SHA256 sees the RSA leaf" \
		"$RSA_SHA" "$(ossl_leaf "$2" RSA+SHA256 -tls1_2 "${st[@]}")"
	it_eq "$desc: openssl -tls1_2 -sigalgs ECDSA+SHA256 sees the ECDSA leaf" \
		"$ECDSA_SHA" "$(ossl_leaf "$2" ECDSA+SHA256 -tls1_2 "${st[@]}")"
}

# key_type_option: --key-type, one report, usable as a Nagios service.
key_type_option() {
	local target="smtp://$HOST:$PORT_SMTP" desc first
	desc="--key-type ecdsa, $target"
	mc "$target" "${CA[@]}" --key-type ecdsa
	expect 0 OK "$desc"
	expect_lines "$desc" 1
	expect_report 1 "$desc" "$target (ECDSA)" OK "$ECDSA_SHA"
	desc="--key-type rsa -f nagios, $target"
	it_run "$MAILCERT" check -f nagios --connect-to 127.0.0.1 "${CA[@]}" --key-type rsa "$target"
	it_eq "$desc: exit status 0" 0 "$IT_LAST_RC"
	first=$(head -n 1 "$IT_LAST_OUT")
	it_contains "$desc: first line" "MAILCERT OK - $target (RSA): " "$first"
	desc="--all-keys -f text, $target"
	it_run "$MAILCERT" check -f text --connect-to 127.0.0.1 "${CA[@]}" --all-keys "$target"
	it_eq "$desc: exit status 0" 0 "$IT_LAST_RC"
	it_contains "$desc: RSA heading" "$target (RSA)  OK" "$(cat "$IT_LAST_OUT")"
	it_contains "$desc: ECDSA heading" "$target (ECDSA)  OK" "$(cat "$IT_LAST_OUT")"
	it_contains "$desc: the RSA leaf" "RSA-2048" "$(cat "$IT_LAST_OUT")"
	it_contains "$desc: the ECDSA leaf" "EC-P256" "$(cat "$IT_LAST_OUT")"
	desc="--all-keys -f nagios"
	it_run "$MAILCERT" check -f nagios --connect-to 127.0.0.1 "${CA[@]}" --all-keys "$target"
	it_eq "$desc: usage error" 3 "$IT_LAST_RC"
	it_contains "$desc: says why" "--all-keys gives one report per key type" \
		"$(cat "$IT_LAST_ERR")"
}

# one_key_only PRESENT ABSENT SHA: serving only PRESENT, --all-keys reports
# it and says the server has no ABSENT certificate (OK), on each port.
one_key_only() {
	local present=$1 absent=$2 sha=$3 target port n_present n_absent desc
	if [ "$present" = RSA ]; then n_present=1 n_absent=2; else n_present=2 n_absent=1; fi
	for port in "$PORT_SMTP" "$PORT_TLS12" "$PORT_SMTPS"; do
		if [ "$port" = "$PORT_SMTPS" ]; then target="smtps://$HOST:$port"; else target="smtp://$HOST:$port"; fi
		desc="--all-keys, only $present, $target"
		mc "$target" "${CA[@]}" --all-keys
		it_eq "$desc: exit status 0" 0 "$IT_LAST_RC"
		expect_lines "$desc" 2
		expect_report "$n_present" "$desc" "$target ($present)" OK "$sha"
		expect_report "$n_absent" "$desc" "$target ($absent)" OK
		expect_report_finding "$n_absent" "$desc" tls.key-type-absent \
			"the server has no $absent certificate"
		it_eq "$desc: the absent type has no chain" 0 \
			"$(json_field "$(line "$n_absent")" 'chain.#' || true)"
	done
	desc="--key-type ${absent,,} -f nagios, only $present"
	target="smtp://$HOST:$PORT_SMTP"
	it_run "$MAILCERT" check -f nagios --connect-to 127.0.0.1 "${CA[@]}" --key-type "${absent,,}" \
		"$target"
	it_eq "$desc: exit status 0" 0 "$IT_LAST_RC"
	it_contains "$desc: the note" "OK tls.key-type-absent: the server has no $absent certificate" \
		"$(cat "$IT_LAST_OUT")"
}

# weak_key: an RSA-1024 leaf is crypto.weak-key (CRITICAL) unless the
# minimum allows it; the ECDSA certificate beside it is fine.
weak_key() {
	local target="smtp://$HOST:$PORT_SMTP" desc
	desc="RSA-1024 leaf, $target"
	mc "$target" "${CA[@]}" --key-type rsa
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" crypto.weak-key 0
	expect_report 1 "$desc" "$target (RSA)" CRITICAL "$WEAK_SHA"
	it_contains "$desc: the message" "has a 1024-bit key (RSA-1024), below the minimum of 2048 bits" \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	desc="RSA-1024 leaf, --min-key-bits 1024, $target"
	mc "$target" "${CA[@]}" --key-type rsa --min-key-bits 1024
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	desc="RSA-1024 and ECDSA, --all-keys, $target"
	mc "$target" "${CA[@]}" --all-keys
	it_eq "$desc: exit status 2 (the worst)" 2 "$IT_LAST_RC"
	expect_report 1 "$desc" "$target (RSA)" CRITICAL "$WEAK_SHA"
	expect_report 2 "$desc" "$target (ECDSA)" OK "$ECDSA_SHA"
	desc="--min-key-bits ec:384, $target"
	mc "$target" "${CA[@]}" --key-type ecdsa --min-key-bits ec:384
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" crypto.weak-key 0
}

# tls_version: the TLS 1.1 port is tls.version (WARNING) by default, and
# fine with --min-tls 1.1; the TLS 1.2 port fails --min-tls 1.3.
tls_version() {
	local target="smtp://$HOST:$PORT_TLS11" desc
	desc="TLS 1.1 server, $target"
	mc "$target" "${CA[@]}"
	expect 1 WARNING "$desc"
	expect_finding "$desc" tls.version
	expect_json_eq "$desc" tls.version TLS1.1
	desc="TLS 1.1 server, --min-tls 1.1, $target"
	mc "$target" "${CA[@]}" --min-tls 1.1
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	target="smtp://$HOST:$PORT_TLS12"
	desc="TLS 1.2 server, --min-tls 1.3, $target"
	mc "$target" "${CA[@]}" --min-tls 1.3
	expect 1 WARNING "$desc"
	expect_finding "$desc" tls.version
	it_contains "$desc: the message" "negotiated TLS1.2" \
		"$(json_field "$IT_LAST_OUT" findings.0.message || true)"
	target="smtp://$HOST:$PORT_SMTP"
	desc="TLS 1.3 server, --min-tls 1.3, $target"
	mc "$target" "${CA[@]}" --min-tls 1.3 --key-type ecdsa
	expect 0 OK "$desc"
	expect_no_findings "$desc"
}

expect_json_eq() {
	it_eq "$1: $2 is $3" "$3" "$(json_field "$IT_LAST_OUT" "$2" || true)"
}

main() {
	local started=$SECONDS
	read -r PORT_SMTP PORT_SMTPS PORT_TLS12 PORT_TLS11 < <(it_free_ports 4)

	make_pki
	CA=(--ca-file "$PKI/root.pem")
	start_postfix

	both_keys smtp "$PORT_SMTP" smtp TLS1.3
	both_keys smtps "$PORT_SMTPS" "" TLS1.3
	both_keys smtp "$PORT_TLS12" smtp TLS1.2
	key_type_option
	tls_version

	serve rsa "$RSA_SHA" ""
	one_key_only RSA ECDSA "$RSA_SHA"

	serve ecdsa "" "$ECDSA_SHA"
	one_key_only ECDSA RSA "$ECDSA_SHA"

	serve weak,ecdsa "$WEAK_SHA" "$ECDSA_SHA"
	weak_key

	it_note "all-keys scenarios took $((SECONDS - started)) s"
	it_finish
}

main

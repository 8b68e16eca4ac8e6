#!/usr/bin/env bash
# Real-server test: served certificate vs. files on disk, with Postfix 3.7
# on loopback.
#
# usage: test-deploy.sh PATH-TO-MAILCERT
#
# A private Postfix instance (as in test-postfix.sh, one STARTTLS smtpd
# and one implicit-TLS smtpd on free 127.0.0.1 ports) serves the key and
# chain of PF_CONF/current.pem (smtpd_tls_chain_files). The scenario is a
# renewal that was written but not deployed: the renewed certificate is on
# disk (PKI/renewed/fullchain.pem, where an ACME client writes it) while
# Postfix still serves the old one. `mailcert check --compare-file` must
# say so (deploy.mismatch, WARNING, "reload the daemon"); after the deploy
# step (the renewed key and chain installed as current.pem, postfix
# reload) it must be OK. Postfix reads the chain file in every new smtpd
# process, so the not-yet-deployed state is the file beside the served
# one, as with a deploy hook that copies into the daemon's directory.
# Also: the server newer than the file, and `mailcert file` on the very
# files Postfix uses (key + chain in one file, a wrong --key).
# Needs root, postfix, gnutls-bin, openssl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix certtool gnutls-cli openssl python3; do
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
# Certificates: the old leaf (issued 60 days ago) and its renewal ('good',
# issued yesterday), both for mail.test under the test intermediate.

make_pki() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" old "-60 days" "+60 days" "$HOST"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	# What Postfix loads: key, leaf, intermediate in one file.
	cat "$PKI/old.key" "$PKI/old.pem" "$PKI/inter.pem" >"$PKI/old.bundle"
	cat "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/good.bundle"
	chmod 0600 "$PKI/old.bundle" "$PKI/good.bundle"
	# The ACME client's output for the renewal: fullchain.pem and privkey.pem.
	mkdir -p "$PKI/renewed"
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/renewed/fullchain.pem"
	cp "$PKI/good.key" "$PKI/renewed/privkey.pem"
	# The previous one, as a file the server has moved on from.
	cat "$PKI/old.pem" "$PKI/inter.pem" >"$PKI/old-fullchain.pem"
}

# ---------------------------------------------------------------------------
# Postfix (a minimal private instance; see test-postfix.sh)

# wait_served LEAF: both TLS ports present PKI/LEAF.pem.
wait_served() {
	local sha
	sha=$(it_cert_sha256 "$PKI/$1.pem")
	it_wait_served 127.0.0.1 "$PORT_SMTP" smtp "$sha" 15 &&
		it_wait_served 127.0.0.1 "$PORT_SMTPS" "" "$sha" 15
}

write_postfix_config() {
	pf_write_config "smtpd_tls_chain_files = $PF_CONF/current.pem" <<-EOF
		127.0.0.1:$PORT_SMTP inet n - n - - smtpd
		127.0.0.1:$PORT_SMTPS inet n - n - - smtpd
		  -o syslog_name=postfix/smtps
		  -o smtpd_tls_wrappermode=yes
	EOF
}

start_postfix() {
	write_postfix_config
	install -m 0600 "$PKI/old.bundle" "$PF_CONF/current.pem"
	pf_start "$PORT_SMTP" "$PORT_SMTPS"
	it_check "postfix serves the old certificate" wait_served old
}

# deploy: the renewed key and chain become what Postfix loads; reload.
deploy() {
	install -m 0600 "$PKI/good.bundle" "$PF_CONF/current.pem"
	pf_cmd reload || it_bail "postfix reload"
	it_check "after postfix reload, postfix serves the renewed certificate" wait_served good
}

# ---------------------------------------------------------------------------
# Scenarios

CA=()

# The message of the last JSON run's finding CODE.
finding_message() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
for f in load(sys.argv[1]).get("findings") or []:
    if f.get("code") == sys.argv[2]:
        print(f.get("message"))
        break
' "$IT_LAST_OUT" "$1" 2>&1 || true
}

# The notBefore of PKI/NAME.pem as mailcert writes it in messages.
not_before() {
	TZ=UTC date -d "$(openssl x509 -in "$PKI/$1.pem" -noout -startdate | cut -d= -f2)" \
		'+%Y-%m-%d %H:%M:%S UTC'
}

# The serial of PKI/NAME.pem in lowercase hex, whole bytes as openssl
# prints them (a serial starting 05 keeps its 0, as mailcert writes it).
serial() {
	local s
	s=$(openssl x509 -in "$PKI/$1.pem" -noout -serial | cut -d= -f2)
	printf '%s\n' "${s,,}"
}

renewed_not_reloaded() {
	local target desc msg
	for target in "smtp://$HOST:$PORT_SMTP" "smtps://$HOST:$PORT_SMTPS"; do
		desc="renewed on disk, not reloaded, $target"
		mc "$target" "${CA[@]}" --compare-file "$PKI/renewed/fullchain.pem"
		expect 1 WARNING "$desc"
		expect_finding "$desc" deploy.mismatch 0
		it_eq "$desc: the only finding" 1 "$(json_field "$IT_LAST_OUT" 'findings.#' || true)"
		msg=$(finding_message deploy.mismatch)
		it_eq "$desc: the message" "the server serves leaf CN=$HOST serial $(serial old), valid from $(not_before old), but \"$PKI/renewed/fullchain.pem\" holds a newer certificate, CN=$HOST serial $(serial good), valid from $(not_before good): renewed on disk but the server still serves the old one: reload the daemon" "$msg"
	done
	# As Nagios shows it.
	it_run "$MAILCERT" check -f nagios --connect-to 127.0.0.1 "${CA[@]}" \
		--compare-file "$PKI/renewed/fullchain.pem" "smtp://$HOST:$PORT_SMTP"
	it_eq "renewed on disk, nagios: exit status 1" 1 "$IT_LAST_RC"
	it_contains "renewed on disk, nagios: first line" \
		"MAILCERT WARNING - smtp://$HOST:$PORT_SMTP: the server serves leaf CN=$HOST" \
		"$(head -n 1 "$IT_LAST_OUT")"
	it_contains "renewed on disk, nagios: first line names the reload" \
		"still serves the old one: reload the daemon" "$(head -n 1 "$IT_LAST_OUT")"
	it_contains "renewed on disk, nagios: the finding line" "WARNING deploy.mismatch: " \
		"$(cat "$IT_LAST_OUT")"
	# The files themselves are fine: the problem is only the deployment.
	it_run "$MAILCERT" file -f json "${CA[@]}" -n "$HOST" "$PKI/renewed/fullchain.pem" \
		--key "$PKI/renewed/privkey.pem"
	expect 0 OK "mailcert file on the renewed fullchain.pem and privkey.pem"
	expect_no_findings "mailcert file on the renewed fullchain.pem and privkey.pem"
}

deployed() {
	local target desc
	for target in "smtp://$HOST:$PORT_SMTP" "smtps://$HOST:$PORT_SMTPS"; do
		desc="after reload, $target"
		mc "$target" "${CA[@]}" --compare-file "$PKI/renewed/fullchain.pem"
		expect 0 OK "$desc"
		expect_no_findings "$desc"
		expect_chain "$desc" good
	done
	expect_chain_as_openssl "after reload, smtp://$HOST:$PORT_SMTP" "$PORT_SMTP" -starttls smtp
	# The file Postfix loads (key + chain) as mailcert file sees it.
	it_run "$MAILCERT" file -f json "${CA[@]}" -n "$HOST" "$PF_CONF/current.pem"
	expect 0 OK "mailcert file on Postfix's smtpd_tls_chain_files"
	expect_no_findings "mailcert file on Postfix's smtpd_tls_chain_files"
	it_eq "mailcert file on Postfix's file: its leaf is the one served" \
		"$(it_cert_sha256 "$PKI/good.pem")" \
		"$(norm_hex "$(json_field "$IT_LAST_OUT" chain.0.sha256 || true)")"
	it_run "$MAILCERT" file -f json "${CA[@]}" "$PKI/renewed/fullchain.pem" --key "$PKI/old.key"
	expect 2 CRITICAL "mailcert file, the renewed chain with the old key"
	expect_finding "mailcert file, the renewed chain with the old key" deploy.key-mismatch 0
}

server_newer() {
	local desc="server newer than the file" msg
	mc "smtp://$HOST:$PORT_SMTP" "${CA[@]}" --compare-file "$PKI/old-fullchain.pem"
	expect 1 WARNING "$desc"
	expect_finding "$desc" deploy.mismatch 0
	msg=$(finding_message deploy.mismatch)
	it_eq "$desc: the message" "the server serves leaf CN=$HOST serial $(serial good), valid from $(not_before good), newer than the certificate in \"$PKI/old-fullchain.pem\", CN=$HOST serial $(serial old), valid from $(not_before old): the daemon uses another file, or the file was replaced by an older one; check which file its configuration names" "$msg"
}

main() {
	local started=$SECONDS
	read -r PORT_SMTP PORT_SMTPS < <(it_free_ports 2)
	make_pki
	CA=(--ca-file "$PKI/root.pem")
	start_postfix
	renewed_not_reloaded
	deploy
	deployed
	server_newer
	it_note "deploy scenarios took $((SECONDS - started)) s"
	it_finish
}

main

#!/usr/bin/env bash
# Real-server test: --compare-acme against a real certbot lineage, issued
# and renewed by a real ACME server (pebble), deployed into a real Postfix
# 3.7 and a real Dovecot 2.3 on loopback.
#
# usage: test-acme.sh PATH-TO-MAILCERT
#
# pebble (Debian's 2.4, challenges always valid) runs on free 127.0.0.1
# ports; certbot (standalone, its config, work and log directories in the
# test's) gets mail.test from it: ACME/le/live/mail.test/ links into
# archive/mail.test/. A deploy step copies the lineage's fullchain.pem and
# privkey.pem (the files, not the links, as a deploy hook does) to where a
# private Postfix (smtp STARTTLS, smtps) and a private Dovecot (imaps)
# read them; a third smtpd serves a "foreign" self-signed leaf for
# mail.test and other.test that certbot never issued. Then:
#  - fresh: every port serves the lineage's newest certificate, so
#    --compare-acme ACME/le finds nothing (OK, no findings), and
#    `mailcert file --acme` reports the lineage OK;
#  - certbot renew --force-renewal, the renewed files deployed to both,
#    but only Postfix reloaded: the imaps port is deploy.mismatch
#    (WARNING): "the certbot lineage mail.test was renewed N min ago; port
#    IMAPS still serves the previous certificate (serial, valid from), not
#    the newest in ".../live/mail.test/fullchain.pem": reload the daemon",
#    the Postfix ports have no finding; `scan --mail-ports` with
#    --compare-acme names the stale port alone;
#  - the foreign leaf: as other.test, which no lineage covers,
#    deploy.not-in-store naming the store and its lineage; as mail.test,
#    deploy.mismatch "serves an older certificate that is not one of the
#    lineage's"; -n other.test on the lineage's own leaf is name.mismatch
#    alone; a store that does not exist is a usage error (3);
#  - a second renewal deployed to Postfix only: Dovecot's leaf is "a
#    certificate 2 renewals old";
#  - Dovecot reloaded: every port clean, in check and scan.
# Needs root, pebble, certbot, postfix, dovecot-imapd, certtool, openssl,
# gnutls-cli and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in pebble certbot postfix dovecot certtool openssl gnutls-cli python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done
if [ ! -x /usr/lib/dovecot/imap-login ]; then
	echo "$0: /usr/lib/dovecot/imap-login is missing (install dovecot-imapd)" >&2
	exit 2
fi

HOST=mail.test

it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
# shellcheck source-path=SCRIPTDIR source=dovecot.sh disable=SC1091
. "$here/dovecot.sh"
ACME=$IT_WORK/acme
LE=$ACME/le
LIVE=$LE/live/$HOST
ARCHIVE=$LE/archive/$HOST
DV=$IT_WORK/dv
PF_TLS=$PF/tls

# ---------------------------------------------------------------------------
# pebble: the ACME server, with a TLS certificate of its own for its API

# Its log and certbot's, when something went wrong.
acme_dump_log_on_failure() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$ACME/pebble.log" "$ACME/certbot-command.log"; do
		[ -s "$f" ] || continue
		it_note "--- last lines of $f"
		tail -n 40 "$f" | sed 's/^/#   | /'
	done
}

# start_pebble: pebble on PEBBLE_API (ACME directory /dir) and
# PEBBLE_MGMT (its roots), stopped on exit; ACME/root.pem is the root it
# issues under. Challenges are not really validated (PEBBLE_VA_ALWAYS_VALID):
# mail.test resolves nowhere.
start_pebble() {
	mkdir -p "$ACME"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$ACME/api.key" -out "$ACME/api.pem" -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1 ||
		it_bail "pebble's API certificate"
	cat >"$ACME/pebble.json" <<-EOF
		{"pebble": {
		  "listenAddress": "127.0.0.1:$PEBBLE_API",
		  "managementListenAddress": "127.0.0.1:$PEBBLE_MGMT",
		  "certificate": "$ACME/api.pem",
		  "privateKey": "$ACME/api.key",
		  "httpPort": $PEBBLE_HTTP,
		  "tlsPort": $PEBBLE_TLS,
		  "ocspResponderURL": "",
		  "externalAccountBindingRequired": false
		}}
	EOF
	it_on_exit acme_dump_log_on_failure
	PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
		pebble -config "$ACME/pebble.json" </dev/null >"$ACME/pebble.log" 2>&1 &
	echo $! >"$ACME/pebble.pid"
	it_on_exit it_stop_pidfile "$ACME/pebble.pid" 5
	it_wait_port 127.0.0.1 "$PEBBLE_API" 15 || it_bail "pebble listens on $PEBBLE_API"
	it_wait_port 127.0.0.1 "$PEBBLE_MGMT" 5 || it_bail "pebble's management on $PEBBLE_MGMT"
	fetch_root || it_bail "pebble's root CA from https://127.0.0.1:$PEBBLE_MGMT/roots/0"
	it_ok "pebble started (pid $(it_read_pidfile "$ACME/pebble.pid")), directory on $PEBBLE_API"
}

# fetch_root: ACME/root.pem from pebble's management interface.
fetch_root() {
	"$IT_PYTHON" -c '
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
pem = urllib.request.urlopen(sys.argv[1], context=ctx, timeout=10).read()
if b"BEGIN CERTIFICATE" not in pem:
    sys.exit(1)
open(sys.argv[3], "wb").write(pem)
' "https://127.0.0.1:$PEBBLE_MGMT/roots/0" "$ACME/api.pem" "$ACME/root.pem"
}

# certbot_cmd ARGS...: certbot with its state in ACME and pebble as the
# CA, its output appended to ACME/certbot-command.log.
certbot_cmd() {
	REQUESTS_CA_BUNDLE=$ACME/api.pem certbot "$@" \
		--config-dir "$LE" --work-dir "$ACME/work" --logs-dir "$ACME/logs" \
		--non-interactive </dev/null >>"$ACME/certbot-command.log" 2>&1
}

issue() {
	certbot_cmd certonly --standalone --http-01-port "$PEBBLE_HTTP" \
		--http-01-address 127.0.0.1 --server "https://127.0.0.1:$PEBBLE_API/dir" \
		--agree-tos --register-unsafely-without-email -d "$HOST" ||
		it_bail "certbot certonly -d $HOST"
	it_eq "certbot issued: live/$HOST/cert.pem is archive/$HOST/cert1.pem" \
		"$(it_cert_sha256 "$ARCHIVE/cert1.pem" || true)" "$(it_cert_sha256 "$LIVE/cert.pem" || true)"
}

# renew N: certbot renew --force-renewal; live/ now points at certN.pem.
# A non-interactive renew sleeps up to 8 minutes first, unless told not to.
renew() {
	certbot_cmd renew --force-renewal --no-random-sleep-on-renew ||
		it_bail "certbot renew --force-renewal"
	it_eq "certbot renewed: live/$HOST/cert.pem is archive/$HOST/cert$1.pem" \
		"$(it_cert_sha256 "$ARCHIVE/cert$1.pem" || true)" "$(it_cert_sha256 "$LIVE/cert.pem" || true)"
}

# ---------------------------------------------------------------------------
# The daemons, and the deploy step

# install_new SRC DST MODE: DST replaced whole by a copy of SRC's content
# (cp follows live/'s links), so a daemon never reads half a file.
install_new() {
	install -m "$3" "$1" "$2.new"
	mv -f "$2.new" "$2"
}

# deploy_postfix / deploy_dovecot: what a certbot deploy hook does, minus
# the reload.
deploy_postfix() {
	mkdir -p "$PF_TLS"
	install_new "$LIVE/privkey.pem" "$PF_TLS/privkey.pem" 0600
	install_new "$LIVE/fullchain.pem" "$PF_TLS/fullchain.pem" 0644
}

deploy_dovecot() {
	mkdir -p "$DV"
	install_new "$LIVE/privkey.pem" "$DV/key.pem" 0600
	install_new "$LIVE/fullchain.pem" "$DV/cert.pem" 0644
}

# make_foreign: PF_TLS/foreign.pem, key and a self-signed leaf for
# mail.test and other.test from 30 days ago: a certificate that did not
# come from certbot, older than anything it issued here.
make_foreign() {
	mkdir -p "$PF_TLS"
	it_pki_cert "$PF_TLS" foreign - "-30 days" "+60 days" 'cn = "mail.test"' \
		'dns_name = "mail.test"' 'dns_name = "other.test"' \
		tls_www_server signing_key encryption_key || it_bail "the foreign certificate"
	cat "$PF_TLS/foreign.key" "$PF_TLS/foreign.pem" >"$PF_TLS/foreign.bundle"
	chmod 0600 "$PF_TLS/foreign.bundle"
}

# Postfix: smtp and smtps with the deployed lineage, and on FOREIGN an
# smtpd with the foreign certificate.
start_postfix() {
	pf_write_config "smtpd_tls_chain_files = $PF_TLS/privkey.pem, $PF_TLS/fullchain.pem" <<-EOF
		127.0.0.1:$SMTP inet n - n - - smtpd
		127.0.0.1:$SMTPS inet n - n - - smtpd
		  -o syslog_name=postfix/smtps
		  -o smtpd_tls_wrappermode=yes
		127.0.0.1:$FOREIGN inet n - n - - smtpd
		  -o syslog_name=postfix/foreign
		  -o smtpd_tls_chain_files=$PF_TLS/foreign.bundle
	EOF
	pf_start "$SMTP" "$SMTPS" "$FOREIGN"
}

# Dovecot with imaps only (imap's default listener switched off).
start_dovecot() {
	dv_write_config "$DV" acme imap yes <<-EOF
		service imap-login {
		  inet_listener imap {
		    port = 0
		  }
		  inet_listener imaps {
		    address = 127.0.0.1
		    port = $IMAPS
		    ssl = yes
		  }
		}
	EOF
	dv_start "$DV" "$IMAPS"
}

# wait_postfix N / wait_dovecot N: the ports serve archive/certN.pem.
wait_postfix() {
	local sha
	sha=$(it_cert_sha256 "$ARCHIVE/cert$1.pem")
	it_wait_served 127.0.0.1 "$SMTP" smtp "$sha" 15 &&
		it_wait_served 127.0.0.1 "$SMTPS" "" "$sha" 15
}

wait_dovecot() {
	it_wait_served 127.0.0.1 "$IMAPS" "" "$(it_cert_sha256 "$ARCHIVE/cert$1.pem")" 15
}

reload_postfix() {
	pf_cmd reload || it_bail "postfix reload"
	it_check "after postfix reload, smtp and smtps serve cert$1.pem" wait_postfix "$1"
}

reload_dovecot() {
	dv_reload "$DV"
	it_check "after dovecot reload, imaps serves cert$1.pem" wait_dovecot "$1"
}

# ---------------------------------------------------------------------------
# What mailcert must say

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

# The notBefore of FILE as mailcert writes it in messages, and as seconds.
not_before() {
	TZ=UTC date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" \
		'+%Y-%m-%d %H:%M:%S UTC'
}

not_before_epoch() {
	date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s
}

# The serial of FILE in lowercase hex, whole bytes, as mailcert writes it.
serial() {
	local s
	s=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	printf '%s\n' "${s,,}"
}

# acme TARGET [OPTIONS...]: mailcert check --compare-acme ACME/le.
acme() {
	mc "$1" "${CA[@]}" --compare-acme "$LE" "${@:2}"
}

# clean TARGET DESC N: the port serves certN.pem, the lineage's newest:
# OK, no findings.
clean() {
	local desc="$2, $1"
	acme "$1"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	it_eq "$desc: the leaf is archive/cert$3.pem" "$(it_cert_sha256 "$ARCHIVE/cert$3.pem")" \
		"$(norm_hex "$(json_field "$IT_LAST_OUT" chain.0.sha256 || true)")"
}

all_clean() {
	clean "smtp://$HOST:$SMTP" "$1" "$2"
	clean "smtps://$HOST:$SMTPS" "$1" "$2"
	clean "imaps://$HOST:$IMAPS" "$1" "$2"
}

# expect_message DESC CODE EXPECTED T0 T1: the message of the last run's
# finding CODE is EXPECTED, where EXPECTED says "renewed N min ago" and N
# is the minutes between the lineage's newest notBefore and a moment
# between T0 and T1 (seconds, before and after the run); "under a
# minute" is N = 0.
expect_message() {
	local desc=$1 msg nb ago lo hi
	msg=$(finding_message "$2")
	it_eq "$desc: the message" "$3" \
		"$(sed -E 's/ was renewed ([0-9]+ min|under a minute) ago;/ was renewed N min ago;/' <<<"$msg")"
	nb=$(not_before_epoch "$LIVE/cert.pem")
	lo=$((($4 - nb) / 60))
	hi=$((($5 - nb) / 60))
	ago=
	[[ $msg =~ was\ renewed\ ([0-9]+)\ min\ ago ]] && ago=${BASH_REMATCH[1]}
	[[ $msg =~ was\ renewed\ under\ a\ minute\ ago ]] && ago=0
	if [ -n "$ago" ] && [ "$ago" -ge "$lo" ] && [ "$ago" -le "$hi" ]; then
		it_ok "$desc: renewed $ago min ago, by the newest certificate's notBefore"
	else
		it_not_ok "$desc: renewed N min ago, by the newest certificate's notBefore" \
			"expected $lo to $hi min, message: $msg"
	fi
}

# stale TARGET PORT DESC SERVED OLDER: the port serves archive/certSERVED.pem,
# OLDER than the newest ("the previous certificate", "a certificate 2
# renewals old"): WARNING, deploy.mismatch its only finding, the message
# whole.
stale() {
	local target=$1 port=$2 desc="$3, $1" old=$ARCHIVE/cert$4.pem t0
	t0=$(date +%s)
	acme "$target"
	expect 1 WARNING "$desc"
	expect_finding "$desc" deploy.mismatch 0
	it_eq "$desc: the only finding" 1 "$(json_field "$IT_LAST_OUT" 'findings.#' || true)"
	expect_message "$desc" deploy.mismatch \
		"the certbot lineage $HOST was renewed N min ago; port $port still serves $5 (serial $(serial "$old"), valid from $(not_before "$old")), not the newest in \"$LIVE/fullchain.pem\": reload the daemon" \
		"$t0" "$(date +%s)"
}

# file_acme DESC N: mailcert file --acme reports the one lineage OK, its
# newest chain (certN.pem, then pebble's intermediate) and its key.
file_acme() {
	local desc="mailcert file --acme, $1"
	it_run "$MAILCERT" file -f json "${CA[@]}" -n "$HOST" --acme "$LE"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	it_eq "$desc: the report is the lineage's fullchain.pem" "$LIVE/fullchain.pem" \
		"$(json_field "$IT_LAST_OUT" target || true)"
	it_eq "$desc: the leaf is archive/cert$2.pem" "$(it_cert_sha256 "$ARCHIVE/cert$2.pem")" \
		"$(norm_hex "$(json_field "$IT_LAST_OUT" chain.0.sha256 || true)")"
	it_eq "$desc: then pebble's intermediate (archive/chain$2.pem)" \
		"$(it_cert_sha256 "$ARCHIVE/chain$2.pem")" \
		"$(norm_hex "$(json_field "$IT_LAST_OUT" chain.1.sha256 || true)")"
}

# scan_acme: the --mail-ports sweep of HOST, pointed at the test
# ports (the services not run here at free, closed ones), compared with
# the lineage.
scan_acme() {
	it_run "$MAILCERT" scan -f json --connect-to 127.0.0.1 "${CA[@]}" -t 10 \
		--mail-ports "$HOST" --port-map "$MAP" --compare-acme "$LE"
}

# scan_summary: per report of the last run (a scan, or a check of several
# targets), sorted by protocol, "PROTOCOL STATE CODES" ("-" for none;
# connect.refused for a closed port), then a scan's consistency line,
# "STATE CODE".
scan_summary() {
	"$IT_PYTHON" -c '
import json, sys
rows, tail = [], []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "consistency" in r:
        tail.append("%s %s" % (r["consistency"]["state"], r["consistency"]["code"]))
    else:
        codes = ",".join(f["code"] for f in r.get("findings") or []) or "-"
        rows.append("%s %s %s" % (r["protocol"], r["state"], codes))
print("\n".join(sorted(rows) + tail))
' "$IT_LAST_OUT" 2>&1 || true
}

# scan_message SERVICE CODE: the message of finding CODE in SERVICE's report.
scan_message() {
	"$IT_PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("protocol") == sys.argv[2]:
        for f in r.get("findings") or []:
            if f["code"] == sys.argv[3]:
                print(f["message"])
' "$IT_LAST_OUT" "$1" "$2" 2>&1 || true
}

# ---------------------------------------------------------------------------
# The scenarios

fresh() {
	all_clean "fresh from certbot" 1
	file_acme "fresh" 1
}

# Renewed, deployed to both, only Postfix reloaded.
half_reloaded() {
	local desc out
	clean "smtp://$HOST:$SMTP" "renewed, postfix reloaded" 2
	clean "smtps://$HOST:$SMTPS" "renewed, postfix reloaded" 2
	stale "imaps://$HOST:$IMAPS" "$IMAPS" "renewed, dovecot not reloaded" 1 \
		"the previous certificate"

	# As Nagios shows it.
	it_run "$MAILCERT" check -f nagios --connect-to 127.0.0.1 "${CA[@]}" \
		--compare-acme "$LE" "imaps://$HOST:$IMAPS"
	it_eq "renewed, dovecot not reloaded, nagios: exit status 1" 1 "$IT_LAST_RC"
	it_contains "renewed, dovecot not reloaded, nagios: first line" \
		"MAILCERT WARNING - imaps://$HOST:$IMAPS: the certbot lineage $HOST was renewed " \
		"$(head -n 1 "$IT_LAST_OUT")"
	it_contains "renewed, dovecot not reloaded, nagios: the finding line" \
		"WARNING deploy.mismatch: the certbot lineage $HOST was renewed " "$(cat "$IT_LAST_OUT")"

	# All three in one check: the worst, one report each.
	it_run "$MAILCERT" check -f json --connect-to 127.0.0.1 -t 10 "${CA[@]}" \
		--compare-acme "$LE" "smtp://$HOST:$SMTP" "smtps://$HOST:$SMTPS" "imaps://$HOST:$IMAPS"
	it_eq "renewed, three targets in one check: exit status 1" 1 "$IT_LAST_RC"
	it_eq "renewed, three targets in one check: only imaps has a finding" \
		"imaps WARNING deploy.mismatch
smtp OK -
smtps OK -" "$(scan_summary)"

	file_acme "renewed" 2

	desc="scan --mail-ports --compare-acme, dovecot not reloaded"
	scan_acme
	it_eq "$desc: exit status 1" 1 "$IT_LAST_RC"
	it_eq "$desc: only imaps is stale; the closed ports are closed" \
		"imap OK connect.refused
imaps WARNING deploy.mismatch
pop3 OK connect.refused
pop3s OK connect.refused
sieve OK connect.refused
smtp OK -
smtps OK -
submission OK connect.refused
WARNING scan.leaf-mismatch" "$(scan_summary)"
	out=$(scan_message imaps deploy.mismatch)
	it_contains "$desc: imaps's finding names the lineage" \
		"the certbot lineage $HOST was renewed " "$out"
	it_contains "$desc: imaps's finding names its port" \
		"; port $IMAPS still serves the previous certificate (serial $(serial "$ARCHIVE/cert1.pem"), " \
		"$out"
}

# The foreign certificate, and names the store does not have.
foreign() {
	local f=$PF_TLS/foreign.pem desc t0
	desc="foreign certificate, other.test, not in the store"
	mc "smtp://other.test:$FOREIGN" "${CA[@]}" --allow-self-signed --compare-acme "$LE"
	expect 1 WARNING "$desc"
	expect_finding "$desc" deploy.not-in-store 0
	it_eq "$desc: the only finding" 1 "$(json_field "$IT_LAST_OUT" 'findings.#' || true)"
	it_eq "$desc: the message" \
		"no lineage of the certbot store \"$LE\" covers other.test (it has 1: $HOST); port $FOREIGN serves leaf CN=$HOST serial $(serial "$f"), which this ACME client does not renew" \
		"$(finding_message deploy.not-in-store)"

	desc="foreign certificate, $HOST, older than the lineage"
	t0=$(date +%s)
	mc "smtp://$HOST:$FOREIGN" "${CA[@]}" --allow-self-signed --compare-acme "$LE"
	expect 1 WARNING "$desc"
	expect_finding "$desc" deploy.mismatch 0
	it_eq "$desc: the only finding" 1 "$(json_field "$IT_LAST_OUT" 'findings.#' || true)"
	expect_message "$desc" deploy.mismatch \
		"the certbot lineage $HOST was renewed N min ago; port $FOREIGN serves an older certificate that is not one of the lineage's, leaf CN=$HOST serial $(serial "$f") (valid from $(not_before "$f")): the daemon reads another file than \"$LIVE/fullchain.pem\"; point it there and reload" \
		"$t0" "$(date +%s)"

	# The lineage's own leaf checked for a name it lacks: the name is the
	# problem, not the deployment.
	desc="-n other.test on the lineage's leaf"
	acme "smtp://$HOST:$SMTP" -n other.test
	expect 2 CRITICAL "$desc"
	it_eq "$desc: name.mismatch, no deploy finding" name.mismatch "$(finding_codes "$IT_LAST_OUT")"

	desc="--compare-acme of a missing store"
	it_run "$MAILCERT" check -f json --connect-to 127.0.0.1 "${CA[@]}" \
		--compare-acme "$IT_WORK/no-such-store" "smtp://$HOST:$SMTP"
	it_eq "$desc: exit status 3" 3 "$IT_LAST_RC"
	it_contains "$desc: the message names the path" \
		"--compare-acme: cannot read the ACME store \"$IT_WORK/no-such-store\"" \
		"$(cat "$IT_LAST_ERR")"
	it_eq "$desc: no report" "" "$(cat "$IT_LAST_OUT")"
}

# A second renewal deployed to Postfix alone: Dovecot is two behind.
two_behind() {
	renew 3
	deploy_postfix
	reload_postfix 3
	it_eq "dovecot, never reloaded, still serves cert1.pem" \
		"$(it_cert_sha256 "$ARCHIVE/cert1.pem")" "$(it_served_sha256 127.0.0.1 "$IMAPS" || true)"
	clean "smtp://$HOST:$SMTP" "renewed twice, postfix reloaded" 3
	stale "imaps://$HOST:$IMAPS" "$IMAPS" "renewed twice, dovecot not reloaded" 1 \
		"a certificate 2 renewals old"
}

all_reloaded() {
	deploy_dovecot
	reload_dovecot 3
	all_clean "all reloaded" 3
	scan_acme
	it_eq "scan --mail-ports --compare-acme, all reloaded: exit status 0" 0 "$IT_LAST_RC"
	it_eq "scan --mail-ports --compare-acme, all reloaded: no deploy finding" \
		"imap OK connect.refused
imaps OK -
pop3 OK connect.refused
pop3s OK connect.refused
sieve OK connect.refused
smtp OK -
smtps OK -
submission OK connect.refused
OK scan.leaf-consistent" "$(scan_summary)"
}

main() {
	local started=$SECONDS
	read -r PEBBLE_API PEBBLE_MGMT PEBBLE_HTTP PEBBLE_TLS SMTP SMTPS FOREIGN IMAPS \
		SUBMISSION IMAP POP3 POP3S SIEVE < <(it_free_ports 13)
	MAP="smtp=$SMTP,smtps=$SMTPS,imaps=$IMAPS,submission=$SUBMISSION,imap=$IMAP"
	MAP+=",pop3=$POP3,pop3s=$POP3S,sieve=$SIEVE"

	start_pebble
	CA=(--ca-file "$ACME/root.pem")
	issue
	make_foreign
	deploy_postfix
	deploy_dovecot
	start_postfix
	start_dovecot
	it_check "postfix serves cert1.pem" wait_postfix 1
	it_check "dovecot serves cert1.pem" wait_dovecot 1
	it_note "issued and deployed after $((SECONDS - started)) s"
	fresh

	renew 2
	deploy_postfix
	deploy_dovecot
	reload_postfix 2
	it_eq "dovecot, new files but not reloaded, still serves cert1.pem" \
		"$(it_cert_sha256 "$ARCHIVE/cert1.pem")" "$(it_served_sha256 127.0.0.1 "$IMAPS" || true)"
	half_reloaded
	foreign
	two_behind
	all_reloaded
	it_note "acme scenarios took $((SECONDS - started)) s"
	it_finish
}

main

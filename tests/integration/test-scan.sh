#!/usr/bin/env bash
# Real-server test: `mailcert scan` against Postfix 3.7 and Dovecot 2.3 on
# loopback.
#
# usage: test-scan.sh PATH-TO-MAILCERT
#
# The classic half-renewed host: a private Postfix (smtp, submission,
# smtps) still serves the OLD leaf of mail.test, a private Dovecot (imap,
# imaps, pop3, pop3s) the NEW one; sieve is not served (a closed port).
# All on free 127.0.0.1 high ports, so `--mail-ports mail.test` is pointed
# at them with --port-map and at 127.0.0.1 with --connect-to.
#  - the consistency report flags it: scan.leaf-mismatch, WARNING, naming
#    which ports serve which leaf (SHA-256 as gnutls-cli sees it) and
#    that the older one is still on the Postfix ports; sieve listed as
#    closed; in JSON, text and Nagios;
#  - Dovecot reloaded with the old leaf: scan.leaf-consistent, OK;
#  - 200 targets from --input, spread over the seven endpoints, all
#    checked concurrently: 200 reports, all OK (counts and states only,
#    never timings).
# Needs root, postfix, dovecot-imapd, dovecot-pop3d, certtool, gnutls-cli
# and python3 (tests/run installs them).

# Functions run through it_on_exit look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix dovecot certtool gnutls-cli python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done
for bin in imap-login pop3-login; do
	if [ ! -x "/usr/lib/dovecot/$bin" ]; then
		echo "$0: /usr/lib/dovecot/$bin is missing (install dovecot-imapd, dovecot-pop3d)" >&2
		exit 2
	fi
done

HOST=mail.test

it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
# shellcheck source-path=SCRIPTDIR source=dovecot.sh disable=SC1091
. "$here/dovecot.sh"
PKI=$IT_WORK/pki
DV=$IT_WORK/dv

# ---------------------------------------------------------------------------
# Dovecot: imap, imaps, pop3, pop3s with DV/cert.pem (leaf + intermediate)

dv_config() {
	dv_write_config "$DV" scan "imap pop3" yes <<-EOF
		service imap-login {
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $IMAP
		  }
		  inet_listener imaps {
		    address = 127.0.0.1
		    port = $IMAPS
		    ssl = yes
		  }
		}
		service pop3-login {
		  inet_listener pop3 {
		    address = 127.0.0.1
		    port = $POP3
		  }
		  inet_listener pop3s {
		    address = 127.0.0.1
		    port = $POP3S
		    ssl = yes
		  }
		}
	EOF
}

# ---------------------------------------------------------------------------
# Postfix: smtp, submission, smtps with PKI/old.bundle

pf_setup() {
	cat "$PKI/old.key" "$PKI/old.pem" "$PKI/inter.pem" >"$PKI/old.bundle"
	chmod 0600 "$PKI/old.bundle"
	pf_write_config "smtpd_tls_chain_files = $PKI/old.bundle" <<-EOF
		127.0.0.1:$SMTP inet n - n - - smtpd
		127.0.0.1:$SUBMISSION inet n - n - - smtpd
		  -o smtpd_tls_security_level=encrypt
		127.0.0.1:$SMTPS inet n - n - - smtpd
		  -o smtpd_tls_wrappermode=yes
	EOF
	pf_start "$SMTP" "$SUBMISSION" "$SMTPS"
}

# ---------------------------------------------------------------------------

# scan ARGS...: mailcert scan of the --mail-ports sweep of $HOST, pointed at
# the test ports, trusting the test root.
scan() {
	it_run "$MAILCERT" scan --connect-to 127.0.0.1 --ca-file "$PKI/root.pem" -t 10 \
		--mail-ports "$HOST" --port-map "$MAP" "$@"
}

# consistency FILE: "STATE CODE" of the consistency line of a JSON scan,
# then per leaf "SHA256 service,service", then "closed service,…".
consistency() {
	"$IT_PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "consistency" not in r:
        continue
    c = r["consistency"]
    print(c["state"], c["code"])
    for leaf in c["leaves"]:
        print(leaf["sha256"], ",".join(p["service"] for p in leaf["ports"]))
    print("closed", ",".join(p["service"] for p in c["closed"]))
' "$1" 2>&1 || true
}

mismatch() {
	local old_sha=$1 new_sha=$2 out
	scan -f json
	expect_rc_is "mismatch, json" 1
	it_eq "mismatch, json: 8 reports and one consistency line" 9 \
		"$(grep -c . "$IT_LAST_OUT" || true)"
	it_eq "mismatch, json: which ports serve which leaf" "WARNING scan.leaf-mismatch
$old_sha smtp,smtps,submission
$new_sha imap,imaps,pop3,pop3s
closed sieve" "$(consistency "$IT_LAST_OUT")"
	it_eq "mismatch, json: every endpoint OK on its own" "OK OK OK OK OK OK OK OK" \
		"$("$IT_PYTHON" -c '
import json, sys
print(" ".join(json.loads(l)["state"] for l in open(sys.argv[1]) if "target" in json.loads(l)))
' "$IT_LAST_OUT" 2>&1 || true)"

	it_eq "mismatch, json: each open endpoint's report names its peer, the closed one none" \
		"127.0.0.1:$IMAP 127.0.0.1:$IMAPS 127.0.0.1:$POP3 127.0.0.1:$POP3S None 127.0.0.1:$SMTP 127.0.0.1:$SMTPS 127.0.0.1:$SUBMISSION" \
		"$("$IT_PYTHON" -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join(str(r["peer"]) for r in sorted((r for r in rs if "target" in r), key=lambda r: r["protocol"])))
' "$IT_LAST_OUT" 2>&1 || true)"

	scan
	expect_rc_is "mismatch, text" 1
	out=$(cat "$IT_LAST_OUT")
	it_contains "mismatch, text: the warning" \
		"WARNING scan.leaf-mismatch: $HOST: 2 different leaf certificates: smtp ($SMTP), smtps ($SMTPS), submission ($SUBMISSION) serve SHA-256 ${old_sha:0:16}..." \
		"$out"
	it_contains "mismatch, text: the renewed ports" \
		"imap ($IMAP), imaps ($IMAPS), pop3 ($POP3), pop3s ($POP3S) serve SHA-256 ${new_sha:0:16}..." \
		"$out"
	it_contains "mismatch, text: the stale ports named" \
		"older certificate still served on smtp ($SMTP), smtps ($SMTPS), submission ($SUBMISSION)" \
		"$out"
	it_contains "mismatch, text: sieve closed" "; closed: sieve ($SIEVE)" "$out"
	it_contains "mismatch, text: sieve's row" "sieve://$HOST:$SIEVE" "$out"
	it_contains "mismatch, text: the totals" \
		"8 targets: 7 OK, 0 WARNING, 0 CRITICAL, 0 UNKNOWN, 1 closed; overall WARNING" "$out"

	scan -f nagios
	expect_rc_is "mismatch, nagios" 1
	it_eq "mismatch, nagios: first line" \
		"MAILCERT WARNING - 8 targets: 0 CRITICAL, 0 WARNING, 0 UNKNOWN, 7 OK, 1 closed; different leaf certificates on 1 host | critical=0 warning=0 unknown=0 ok=7 closed=1" \
		"$(head -n 1 "$IT_LAST_OUT")"
	it_contains "mismatch, nagios: the consistency line" "WARNING scan.leaf-mismatch: $HOST: " \
		"$(cat "$IT_LAST_OUT")"

	scan -f json --require-open
	expect_rc_is "--require-open: the closed sieve port is CRITICAL" 2
}

expect_rc_is() {
	it_eq "$1: exit status $2" "$2" "$IT_LAST_RC"
}

# 200 targets over the seven open endpoints, from --input, at once.
many() {
	local list=$IT_WORK/targets.txt i ends
	ends=("smtp://$HOST:$SMTP" "submission://$HOST:$SUBMISSION" "smtps://$HOST:$SMTPS"
		"imap://$HOST:$IMAP" "imaps://$HOST:$IMAPS" "pop3://$HOST:$POP3"
		"pop3s://$HOST:$POP3S")
	{
		echo "# 200 checks over seven endpoints"
		for ((i = 0; i < 200; i++)); do echo "${ends[i % 7]}"; done
	} >"$list"
	it_run "$MAILCERT" scan -f json --concurrency 50 --connect-to 127.0.0.1 \
		--ca-file "$PKI/root.pem" -t 20 --input "$list"
	expect_rc_is "200 targets" 0
	it_eq "200 targets: 200 reports, all OK" "200 OK" "$("$IT_PYTHON" -c '
import collections, json, sys
states = collections.Counter(json.loads(l)["state"] for l in open(sys.argv[1]))
print(sum(states.values()), " ".join(sorted(states)))
' "$IT_LAST_OUT" 2>&1 || true)"
	it_eq "200 targets: each endpoint as often as listed" "29 29 29 29 28 28 28" \
		"$("$IT_PYTHON" -c '
import collections, json, sys
n = collections.Counter(json.loads(l)["target"] for l in open(sys.argv[1]))
print(" ".join(str(v) for v in sorted(n.values(), reverse=True)))
' "$IT_LAST_OUT" 2>&1 || true)"

	it_run "$MAILCERT" scan -f nagios --concurrency 50 --rate 1000/s --connect-to 127.0.0.1 \
		--ca-file "$PKI/root.pem" -t 20 --input "$list"
	expect_rc_is "200 targets, --rate" 0
	it_eq "200 targets, --rate: nagios first line" \
		"MAILCERT OK - 200 targets: 0 CRITICAL, 0 WARNING, 0 UNKNOWN, 200 OK | critical=0 warning=0 unknown=0 ok=200 closed=0" \
		"$(head -n 1 "$IT_LAST_OUT")"
}

main() {
	local started=$SECONDS old_sha new_sha
	read -r SMTP SUBMISSION SMTPS IMAP IMAPS POP3 POP3S SIEVE < <(it_free_ports 8)
	MAP="smtp=$SMTP,submission=$SUBMISSION,smtps=$SMTPS,imap=$IMAP,imaps=$IMAPS"
	MAP+=",pop3=$POP3,pop3s=$POP3S,sieve=$SIEVE"

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" old "-300 days" "+60 days" "$HOST"
	it_pki_leaf "$PKI" new "-1 day" "+365 days" "$HOST"
	old_sha=$(it_cert_sha256 "$PKI/old.pem")
	new_sha=$(it_cert_sha256 "$PKI/new.pem")

	pf_setup
	dv_config
	dv_install_certs "$DV" new
	dv_start "$DV" "$IMAP" "$IMAPS" "$POP3" "$POP3S"
	# The leaves as another client sees them.
	it_eq "gnutls-cli: smtp serves the old leaf" "$old_sha" \
		"$(it_served_sha256 127.0.0.1 "$SMTP" smtp || true)"
	it_eq "gnutls-cli: imaps serves the new leaf" "$new_sha" \
		"$(it_served_sha256 127.0.0.1 "$IMAPS" || true)"

	mismatch "$old_sha" "$new_sha"

	# Dovecot back on the old leaf: one leaf everywhere.
	dv_install_certs "$DV" old
	dv_reload "$DV"
	it_wait_served 127.0.0.1 "$IMAPS" "" "$old_sha" 15 || it_not_ok "dovecot reloaded"
	scan -f json
	expect_rc_is "consistent" 0
	it_eq "consistent: one leaf on the seven open ports" "OK scan.leaf-consistent
$old_sha smtp,smtps,submission,imap,imaps,pop3,pop3s
closed sieve" "$(consistency "$IT_LAST_OUT")"

	many
	it_note "scan tests took $((SECONDS - started)) s"
	it_finish
}

main

#!/usr/bin/env bash
# The pipeline under slow peers: lookups and fetches are stages of the
# engine, so they never stall other checks (docs/design.md, "One engine,
# one deadline").
#
# usage: test-pipeline.sh PATH-TO-MAILCERT
#
# A private Postfix serves mail.example.net (not under .test, which
# libunbound answers itself) with a leaf whose CRL distribution point is
# http://127.0.0.1:PORT/inter.crl. Beside it:
#   - a DNS "resolver" that never answers (a UDP and a TCP socket nobody
#     reads, so neither a timeout nor a refusal comes back);
#   - an HTTP server (python3, a thread per request) that answers every
#     request after 2 s, counting them;
#   - three listeners that accept and never speak.
# Asserts, with -t 2:
#   - `scan` of 50 targets with --dane and the silent resolver ends within
#     2 × t, every report says the TLSA lookup timed out, none says
#     `timeout` for the server; the same for `check` with 8 targets, and
#     `domain` ends within 2 × t saying its MX lookup timed out;
#   - `check` of 8 targets, 3 of them silent listeners, takes at most
#     2.5 s (one timeout, not three) and prints in argument order;
#   - `scan` of 50 targets with --crl-fetch against the slow CRL server
#     takes at most 1.5 × the same scan without it, plus 2 s, and asks the
#     server once (one fetch shared by every check).
# Needs root, postfix, certtool, openssl, python3.

# Functions run through it_on_exit look unreachable to it:
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

HOST=mail.example.net
T=2
it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
PKI=$IT_WORK/pki
WWW=$IT_WORK/www

read -r PORT_SMTP PORT_DNS PORT_HTTP S1 S2 S3 <<<"$(it_free_ports 6)"
CA=(--ca-file "$PKI/root.pem" --connect-to 127.0.0.1)
# Any syntactically good root anchor: nothing is ever validated with it.
TA=$IT_WORK/root.key
DNS=(--dane --resolver "127.0.0.1:$PORT_DNS" --trust-anchor "$TA")

now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_postfix() {
	it_pki_ca "$PKI"
	it_pki_cert "$PKI" good inter "-1 day" "+90 days" "cn = \"$HOST\"" "dns_name = \"$HOST\"" \
		"crl_dist_points = \"http://127.0.0.1:$PORT_HTTP/inter.crl\"" \
		tls_www_server signing_key encryption_key
	cat "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/good.bundle"
	chmod 0600 "$PKI/good.bundle"
	pf_serve_bundle "$PORT_SMTP" "$PKI/good.bundle"
}

start_silent_resolver() {
	"$IT_PYTHON" -c '
import socket, sys, time
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port))
t.listen(64)
while True:
    time.sleep(3600)
' "$PORT_DNS" &
	echo $! >"$IT_WORK/resolver.pid"
	it_on_exit it_stop_pidfile "$IT_WORK/resolver.pid" 5
	it_wait_port 127.0.0.1 "$PORT_DNS" 10 || it_bail "silent resolver on $PORT_DNS"
	echo ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D" >"$TA"
}

start_slow_http() {
	mkdir -p "$WWW"
	{
		printf 'crl_this_update_date = "%s"\n' "$(it_pki_date "-1 day")"
		printf 'crl_next_update_date = "%s"\n' "$(it_pki_date "+7 days")"
		printf 'crl_number = 1\n'
	} >"$IT_WORK/crl.tmpl"
	TZ=UTC certtool --generate-crl --load-ca-privkey "$PKI/inter.key" \
		--load-ca-certificate "$PKI/inter.pem" --template "$IT_WORK/crl.tmpl" \
		--outfile "$WWW/inter.crl" >/dev/null 2>&1 || it_bail "certtool --generate-crl"
	"$IT_PYTHON" -u -c '
import http.server, sys, time
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(2)
        super().do_GET()
http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    lambda *a: H(*a, directory=sys.argv[2])).serve_forever()
' "$PORT_HTTP" "$WWW" >"$IT_WORK/http.log" 2>&1 &
	echo $! >"$IT_WORK/http.pid"
	it_on_exit it_stop_pidfile "$IT_WORK/http.pid" 5
	it_wait_port 127.0.0.1 "$PORT_HTTP" 10 || it_bail "slow HTTP server on $PORT_HTTP"
}

requests() { grep -c 'GET /inter.crl' "$IT_WORK/http.log" || true; }

# reports FILE: one line per JSON report: its target, then every finding's
# code, then "| " and the message of its dane.lookup-failed finding.
reports() {
	"$IT_PYTHON" -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if "target" not in r:
        continue
    codes = [f["code"] for f in r["findings"]]
    dane = [f["message"] for f in r["findings"] if f["code"] == "dane.lookup-failed"]
    print(r["target"], " ".join(codes), "|", dane[0] if dane else "")
' "$1"
}

# lookups_timed_out DESC N: the last run printed N reports, each with a
# TLSA lookup that timed out and no server timeout.
lookups_timed_out() {
	local desc=$1 n=$2 lines
	reports "$IT_LAST_OUT" >"$IT_WORK/reports"
	lines=$(wc -l <"$IT_WORK/reports")
	it_eq "$desc: $n reports" "$n" "$lines"
	it_eq "$desc: every report says the TLSA lookup timed out" "$n" \
		"$(grep -c '| the TLSA lookup of _[0-9]*\._tcp\.mail\.example\.net failed (no answer from the resolver within the timeout)' "$IT_WORK/reports" || true)"
	it_eq "$desc: no report says timeout for the server" 0 \
		"$(grep -c ' timeout ' "$IT_WORK/reports" || true)"
}

silent_resolver() {
	local i t0 took list=$IT_WORK/targets.txt
	for ((i = 0; i < 50; i++)); do echo "smtp://$HOST:$PORT_SMTP"; done >"$list"

	t0=$(now_ms)
	it_run "$MAILCERT" scan -f json --no-progress "${CA[@]}" "${DNS[@]}" -t "$T" --input "$list"
	took=$(($(now_ms) - t0))
	it_note "scan of 50 with a silent resolver: $took ms"
	it_eq "scan, silent resolver: exit status 2 (dane.lookup-failed)" 2 "$IT_LAST_RC"
	lookups_timed_out "scan, silent resolver" 50
	it_check "scan, silent resolver: within 2 x t ($took ms)" test "$took" -le $((2 * T * 1000))

	t0=$(now_ms)
	it_run "$MAILCERT" check -f json "${CA[@]}" "${DNS[@]}" -t "$T" \
		$(for ((i = 0; i < 8; i++)); do echo "smtp://$HOST:$PORT_SMTP"; done)
	took=$(($(now_ms) - t0))
	it_note "check of 8 with a silent resolver: $took ms"
	lookups_timed_out "check, silent resolver" 8
	it_check "check, silent resolver: within 2 x t ($took ms)" test "$took" -le $((2 * T * 1000))

	t0=$(now_ms)
	it_run "$MAILCERT" domain -f json -t "$T" --resolver "127.0.0.1:$PORT_DNS" \
		--trust-anchor "$TA" --ca-file "$PKI/root.pem" example.net
	took=$(($(now_ms) - t0))
	it_note "domain with a silent resolver: $took ms"
	it_check "domain, silent resolver: within 2 x t ($took ms)" test "$took" -le $((2 * T * 1000))
	it_contains "domain, silent resolver: the MX lookup timed out" \
		"no answer from the resolver within the timeout" "$(head -n 1 "$IT_LAST_OUT")"
}

silent_servers() {
	local t0 took targets=() want
	for port in "$PORT_SMTP" "$S1" "$PORT_SMTP" "$S2" "$PORT_SMTP" "$S3" "$PORT_SMTP" \
		"$PORT_SMTP"; do
		targets+=("smtp://$HOST:$port")
	done
	t0=$(now_ms)
	it_run "$MAILCERT" check -f json "${CA[@]}" -t "$T" "${targets[@]}"
	took=$(($(now_ms) - t0))
	it_note "check of 8 with 3 silent servers: $took ms"
	it_eq "3 silent of 8: exit status 2" 2 "$IT_LAST_RC"
	it_check "3 silent of 8: within 2.5 s, one timeout ($took ms)" test "$took" -le 2500
	want=$(printf '%s\n' "${targets[@]}")
	it_eq "3 silent of 8: the reports in argument order" "$want" \
		"$(reports "$IT_LAST_OUT" | awk '{ print $1 }')"
	it_eq "3 silent of 8: the silent ones time out, the others are OK" \
		"OK timeout OK timeout OK timeout OK OK" \
		"$("$IT_PYTHON" -c '
import json, sys
print(" ".join(r["findings"][0]["code"] if r["findings"] else r["state"]
               for r in map(json.loads, open(sys.argv[1]))))' "$IT_LAST_OUT")"
}

slow_crl() {
	local i t0 without with list=$IT_WORK/targets.txt
	for ((i = 0; i < 50; i++)); do echo "smtp://$HOST:$PORT_SMTP"; done >"$list"
	export XDG_CACHE_HOME=$IT_WORK/cache

	t0=$(now_ms)
	it_run "$MAILCERT" scan -f json --no-progress "${CA[@]}" -t 10 --input "$list"
	without=$(($(now_ms) - t0))
	it_eq "scan of 50 without --crl-fetch: exit status 0" 0 "$IT_LAST_RC"

	t0=$(now_ms)
	it_run "$MAILCERT" scan -f json --no-progress "${CA[@]}" -t 10 --crl-fetch --input "$list"
	with=$(($(now_ms) - t0))
	it_note "scan of 50: $without ms without --crl-fetch, $with ms with it (2 s a CRL)"
	it_eq "scan of 50 with a slow CRL server: exit status 0" 0 "$IT_LAST_RC"
	it_check "with --crl-fetch at most 1.5 x without + 2 s ($with ms, $without ms)" \
		test "$with" -le $((without * 3 / 2 + 2000))
	it_eq "one request for the CRL, shared by the 50 checks" 1 "$(requests)"
	it_eq "every report OK" 50 "$(grep -c '"state":"OK"' "$IT_LAST_OUT" || true)"
}

start_postfix
start_silent_resolver
start_slow_http
for s in "$S1" "$S2" "$S3"; do it_start_silent "$s"; done

silent_resolver
silent_servers
slow_crl
it_finish

#!/usr/bin/env bash
# ACME Renewal Information (RFC 9773) end to end: --ari against an HTTPS
# ARI server the test runs itself (Debian's pebble 2.4 has no ARI), and
# --max-validity, over a real Postfix.
#
# usage: test-ari.sh PATH-TO-MAILCERT
#
# The server (python3, TLS with a leaf of the test PKI) serves an ACME
# directory per MODE at /MODE/directory, whose renewalInfo is
# /MODE/renewal-info, and answers /MODE/renewal-info/CERTID as MODE says:
#   future  a window 10 to 12 days ahead (Retry-After: 3600)
#   open    a window that opened an hour ago, with an explanationURL
#   passed  a window that ended a day ago
#   notfound  HTTP 404
#   garbage   a body that is not JSON
#   huge      a 10 MB body
#   slow      the answer after 5 s
# It logs every request, with the certID it was asked for. Asserts: the
# certID is the leaf's (AKI and serial, base64url), each mode gives its
# finding (or none) in JSON and Prometheus, a slow or huge answer ends
# within -t as ari.unavailable and never as the server's timeout, the
# answer is cached until Retry-After, --at moves the window, and -w
# renewal warns from the window's start.
# Needs root, postfix, certtool, openssl, python3.

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
LOG=$IT_WORK/ari.log
read -r PORT_SMTP PORT_ARI <<<"$(it_free_ports 2)"
ARI=https://127.0.0.1:$PORT_ARI
export XDG_CACHE_HOME=$IT_WORK/cache

now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_postfix() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+40 days" "$HOST"
	it_pki_cert "$PKI" ari inter "-1 day" "+30 days" 'cn = "127.0.0.1"' 'ip_address = "127.0.0.1"' \
		tls_www_server signing_key encryption_key
	cat "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/good.bundle"
	chmod 0600 "$PKI/good.bundle"
	pf_serve_bundle "$PORT_SMTP" "$PKI/good.bundle"
}

start_ari() {
	cat "$PKI/ari.pem" "$PKI/inter.pem" >"$PKI/ari.chain"
	"$IT_PYTHON" -u - "$PORT_ARI" "$PKI/ari.chain" "$PKI/ari.key" "$LOG" <<-'PY' &
		import datetime, http.server, json, ssl, sys, time
		port, chain, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
		def ts(days):
		    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
		    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
		class H(http.server.BaseHTTPRequestHandler):
		    def reply(self, code, body, extra=()):
		        self.send_response(code)
		        self.send_header("Content-Type", "application/json")
		        self.send_header("Content-Length", str(len(body)))
		        for k, v in extra:
		            self.send_header(k, v)
		        self.end_headers()
		        try:
		            self.wfile.write(body)
		        except OSError:
		            pass
		    def do_GET(self):
		        parts = self.path.split("/")
		        with open(log, "a") as f:
		            f.write(self.path + "\n")
		        mode = parts[1] if len(parts) > 1 else ""
		        if len(parts) == 3 and parts[2] == "directory":
		            base = "https://127.0.0.1:%d/%s/renewal-info" % (port, mode)
		            return self.reply(200, json.dumps({"renewalInfo": base}).encode())
		        if len(parts) != 4 or parts[2] != "renewal-info":
		            return self.reply(404, b"{}")
		        win = lambda a, b, **k: json.dumps(dict(
		            suggestedWindow={"start": ts(a), "end": ts(b)}, **k)).encode()
		        if mode == "future":
		            return self.reply(200, win(10, 12), [("Retry-After", "3600")])
		        if mode == "open":
		            return self.reply(200, win(-1 / 24, 2,
		                explanationURL="https://ca.test/incident/42"))
		        if mode == "passed":
		            return self.reply(200, win(-3, -1))
		        if mode == "garbage":
		            return self.reply(200, b"<html>not json</html>")
		        if mode == "huge":
		            return self.reply(200, b" " * (10 << 20))
		        if mode == "slow":
		            time.sleep(5)
		            return self.reply(200, win(10, 12))
		        return self.reply(404, b"{}")
		    def log_message(self, *a):
		        pass
		srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
		srv.daemon_threads = True
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		ctx.load_cert_chain(chain, key)
		srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
		srv.serve_forever()
	PY
	echo $! >"$IT_WORK/ari.pid"
	it_on_exit it_stop_pidfile "$IT_WORK/ari.pid" 5
	it_wait_port 127.0.0.1 "$PORT_ARI" 10 || it_bail "ARI server on $PORT_ARI"
}

# ari MODE ARGS...: mailcert check --ari against MODE, JSON.
ari() {
	local mode=$1
	shift
	mc "smtp://$HOST:$PORT_SMTP" --ca-file "$PKI/root.pem" --ari \
		--acme-directory "$ARI/$mode/directory" "$@"
}

requests() { grep -c "^/$1/renewal-info/" "$LOG" || true; }

# The certID the server must be asked: base64url(AKI) "." base64url(serial bytes).
cert_id() {
	"$IT_PYTHON" - "$PKI/good.pem" <<-'PY'
		import base64, re, subprocess, sys
		text = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-text"],
		                      capture_output=True, text=True, check=True).stdout
		aki = re.search(r"Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)", text).group(1)
		serial = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout", "-serial"],
		                        capture_output=True, text=True, check=True).stdout.strip()
		s = bytes.fromhex(serial.split("=")[1])
		if s[0] & 0x80:
		    s = b"\0" + s  # DER's sign byte, as the certificate holds it
		b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
		print(b64(bytes.fromhex(aki.replace(":", ""))) + "." + b64(s))
	PY
}

modes() {
	local id msg
	id=$(cert_id)

	ari future
	expect 0 OK "future window"
	it_eq "future window: the server was asked for the leaf's certID" \
		"/future/renewal-info/$id" "$(grep "^/future/renewal-info/" "$LOG" | head -n 1)"
	it_check "future window: JSON has the window" json_field "$IT_LAST_OUT" ari.start
	it_eq "future window: no explanation" null "$(json_field "$IT_LAST_OUT" ari.explanation_url)"
	it_run "$MAILCERT" check -f prometheus --connect-to 127.0.0.1 --ca-file "$PKI/root.pem" \
		--ari --acme-directory "$ARI/future/directory" "smtp://$HOST:$PORT_SMTP"
	it_contains "future window: Prometheus has its start" \
		"mailcert_ari_window_start_timestamp_seconds{target=\"smtp://$HOST:$PORT_SMTP\"} " \
		"$(cat "$IT_LAST_OUT")"
	it_contains "future window: and its end" "mailcert_ari_window_end_timestamp_seconds{" \
		"$(cat "$IT_LAST_OUT")"

	# --at moves the window as it moves expiry.
	ari future --at +11d
	expect 1 WARNING "future window, --at +11d"
	expect_finding "future window, --at +11d" ari.window-open
	ari future --at +13d
	expect 2 CRITICAL "future window, --at +13d"
	expect_finding "future window, --at +13d" ari.window-passed

	ari open
	expect 1 WARNING "open window"
	expect_finding "open window" ari.window-open
	msg=$(json_field "$IT_LAST_OUT" findings.0.message)
	it_contains "open window: the message quotes the explanation" \
		"the CA explains why at https://ca.test/incident/42" "$msg"
	it_eq "open window: JSON explanation_url" "https://ca.test/incident/42" \
		"$(json_field "$IT_LAST_OUT" ari.explanation_url)"

	ari passed
	expect 2 CRITICAL "passed window"
	expect_finding "passed window" ari.window-passed

	ari notfound
	expect 0 OK "HTTP 404"
	expect_finding "HTTP 404" ari.unavailable
	it_contains "HTTP 404: says so" "the CA has no renewal information for this certificate (HTTP 404" \
		"$(json_field "$IT_LAST_OUT" findings.0.message)"
	it_eq "HTTP 404: no window in JSON" null "$(json_field "$IT_LAST_OUT" ari)"

	ari garbage
	expect 0 OK "not JSON"
	it_contains "not JSON: says so" "the renewalInfo answer is not a JSON object" \
		"$(json_field "$IT_LAST_OUT" findings.0.message)"
}

bounds() {
	local t0 took
	t0=$(now_ms)
	ari huge
	took=$(($(now_ms) - t0))
	expect 0 OK "10 MB answer"
	it_contains "10 MB answer: refused by size" "larger than 64 KiB" \
		"$(json_field "$IT_LAST_OUT" findings.0.message)"
	it_check "10 MB answer: within -t 10 ($took ms)" test "$took" -lt 10000

	t0=$(now_ms)
	it_run "$MAILCERT" check -f json --connect-to 127.0.0.1 -t 2 --ca-file "$PKI/root.pem" \
		--ari --acme-directory "$ARI/slow/directory" "smtp://$HOST:$PORT_SMTP"
	took=$(($(now_ms) - t0))
	it_eq "slow answer: exit status 0 (an ARI that does not come is a note)" 0 "$IT_LAST_RC"
	it_contains "slow answer: ari.unavailable, no answer within the timeout" \
		"no answer within the timeout" "$(json_field "$IT_LAST_OUT" findings.0.message)"
	it_check "slow answer: not the server's timeout" has_finding "$IT_LAST_OUT" ari.unavailable
	it_check "slow answer: within -t 2 + 0.5 s ($took ms)" test "$took" -le 2500
}

cache() {
	local before f
	before=$(requests open)
	ari open
	it_eq "open window again: from the cache (no Retry-After: 6 hours)" "$before" "$(requests open)"
	expect_finding "open window again" ari.window-open
	before=$(requests future)
	ari future
	it_eq "future window again: from the cache (Retry-After: 3600)" "$before" "$(requests future)"
	# The cache's first line holds when it was fetched and until when it
	# is used: an hour later, as far as mailcert can tell, it asks again.
	for f in "$XDG_CACHE_HOME"/mailcert/ari/*.json; do sed -i '1s/.*/0 0/' "$f"; done
	ari future
	it_eq "future window after its Retry-After: asked again" "$((before + 1))" "$(requests future)"
}

renewal() {
	ari open -w renewal
	expect 1 WARNING "-w renewal, window open"
	expect_finding "-w renewal, window open" cert.expiring
	it_contains "-w renewal: the window is the threshold" \
		"inside the CA's suggested renewal window (ARI), open since" \
		"$(json_field "$IT_LAST_OUT" findings.0.message)"
	ari future -w renewal
	expect 0 OK "-w renewal, window ahead"
}

max_validity() {
	mc "smtp://$HOST:$PORT_SMTP" --ca-file "$PKI/root.pem" --max-validity 30
	expect 1 WARNING "--max-validity 30 of a 41-day leaf"
	expect_finding "--max-validity 30" cert.validity-too-long
	mc "smtp://$HOST:$PORT_SMTP" --ca-file "$PKI/root.pem"
	expect 0 OK "a private CA: the CA/B calendar does not apply by default"
	mc "smtp://$HOST:$PORT_SMTP" --ca-file "$PKI/root.pem" --max-validity cabf
	expect 0 OK "--max-validity cabf: 41 days is within 200"
}

start_postfix
start_ari
modes
bounds
cache
renewal
max_validity
it_finish

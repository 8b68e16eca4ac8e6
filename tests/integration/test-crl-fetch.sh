#!/usr/bin/env bash
# Integration test of CRLs: `--crl FILE` and `--crl-fetch` end to end.
#
# usage: test-crl-fetch.sh PATH-TO-MAILCERT
#
# A TLS server (openssl s_server, implicit TLS, checked as tls://) serves
# a leaf whose CRL distribution point is http://127.0.0.1:PORT/inter.crl;
# `python3 -m http.server` serves that CRL from a directory and logs every
# request, which the test counts. CRLs are made here with certtool.
# Asserts: --crl-fetch fetches once and a second run reads the cache
# (no request: check_ssl_cert #567); without --crl-fetch nothing is
# fetched; a CRL listing the leaf is crl.revoked, by fetch and by --crl
# (PEM and DER); a CRL past its nextUpdate is crl.stale and is fetched
# again at every run; a missing CRL (HTTP 404) is crl.unavailable.
# Needs certtool, openssl and python3.

# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in certtool openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

HOST=mail.test
it_workdir
PKI=$IT_WORK/pki
WWW=$IT_WORK/www
LOG=$IT_WORK/http.log

# make_crl OUT NEXT REVOKED...: OUT (PEM) signed by the intermediate, next
# update at NEXT (it_pki_date offset), listing the certificates REVOKED.
make_crl() {
	local out=$1 next=$2 list=$IT_WORK/revoked.pem
	shift 2
	: >"$list"
	local c
	for c in "$@"; do cat "$c" >>"$list"; done
	{
		printf 'crl_this_update_date = "%s"\n' "$(it_pki_date "-1 day")"
		printf 'crl_next_update_date = "%s"\n' "$(it_pki_date "$next")"
		printf 'crl_number = %s\n' "$RANDOM"
		printf 'crl_revocation_date = "%s"\n' "$(it_pki_date "-2 hours")"
	} >"$IT_WORK/crl.tmpl"
	local certs=()
	[ $# -eq 0 ] || certs=(--load-certificate "$list")
	TZ=UTC certtool --generate-crl --load-ca-privkey "$PKI/inter.key" \
		--load-ca-certificate "$PKI/inter.pem" "${certs[@]}" \
		--template "$IT_WORK/crl.tmpl" --outfile "$out" >/dev/null 2>&1 ||
		it_bail "certtool --generate-crl $out"
}

# requests: how many times the HTTP server was asked for the CRL.
requests() {
	grep -c 'GET /inter.crl' "$LOG" || true
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

start_servers() {
	mkdir -p "$WWW"
	python3 -u -m http.server "$PORT_HTTP" --bind 127.0.0.1 --directory "$WWW" \
		>"$LOG" 2>&1 &
	it_on_exit stop_pid $!
	openssl s_server -quiet -accept "127.0.0.1:$PORT_TLS" -cert "$PKI/good.pem" \
		-key "$PKI/good.key" -cert_chain "$PKI/inter.pem" </dev/null \
		>"$IT_WORK/s_server.log" 2>&1 &
	it_on_exit stop_pid $!
	it_wait_port 127.0.0.1 "$PORT_HTTP" 10 || it_bail "http.server listens on $PORT_HTTP"
	it_wait_port 127.0.0.1 "$PORT_TLS" 10 || it_bail "s_server listens on $PORT_TLS"
	it_ok "servers started: https $PORT_TLS, http $PORT_HTTP"
}

# check_tls DESC [OPTIONS...]: mailcert against the s_server.
check_tls() {
	local desc=$1
	shift
	mc "tls://$HOST:$PORT_TLS" "${CA[@]}" "$@"
}

scenarios() {
	local target=tls://$HOST:$PORT_TLS n
	export XDG_CACHE_HOME=$IT_WORK/cache1

	make_crl "$WWW/inter.crl" "+7 days"

	check_tls "without --crl-fetch"
	expect 0 OK "without --crl-fetch, $target"
	it_eq "without --crl-fetch: no request" 0 "$(requests)"

	check_tls "first fetch" --crl-fetch
	expect 0 OK "--crl-fetch, current CRL not listing the leaf"
	it_eq "--crl-fetch: one request" 1 "$(requests)"
	n=$(find "$XDG_CACHE_HOME/mailcert/crl" -name '*.crl' | wc -l)
	it_eq "--crl-fetch: one CRL in \$XDG_CACHE_HOME/mailcert/crl" 1 "$n"

	check_tls "second run" --crl-fetch
	expect 0 OK "--crl-fetch again"
	it_eq "--crl-fetch again: no new request, the cache until nextUpdate" 1 "$(requests)"

	# The served CRL changes, the cache does not know before nextUpdate;
	# a new cache directory fetches the new one.
	make_crl "$WWW/inter.crl" "+7 days" "$PKI/good.pem"
	export XDG_CACHE_HOME=$IT_WORK/cache2
	check_tls "revoked" --crl-fetch
	expect 2 CRITICAL "--crl-fetch, the CRL lists the leaf"
	expect_finding "--crl-fetch, the CRL lists the leaf" crl.revoked
	it_contains "crl.revoked names the URL" "the CRL from http://127.0.0.1:$PORT_HTTP/inter.crl lists it" \
		"$(cat "$IT_LAST_OUT")"
	it_eq "revoked: one more request" 2 "$(requests)"

	# --crl FILE, PEM and DER, no fetch.
	cp "$WWW/inter.crl" "$IT_WORK/revoked-crl.pem"
	certtool --crl-info --infile "$IT_WORK/revoked-crl.pem" --outder \
		--outfile "$IT_WORK/revoked-crl.der" >/dev/null 2>&1 || it_bail "CRL to DER"
	check_tls "--crl PEM" --crl "$IT_WORK/revoked-crl.pem"
	expect 2 CRITICAL "--crl FILE (PEM) listing the leaf"
	expect_finding "--crl FILE (PEM) listing the leaf" crl.revoked
	check_tls "--crl DER" --crl "$IT_WORK/revoked-crl.der"
	expect 2 CRITICAL "--crl FILE (DER) listing the leaf"
	expect_finding "--crl FILE (DER) listing the leaf" crl.revoked
	it_eq "--crl FILE: no request" 2 "$(requests)"

	# Past its nextUpdate: used, crl.stale, and fetched again each run.
	make_crl "$WWW/inter.crl" "-1 hour"
	export XDG_CACHE_HOME=$IT_WORK/cache3
	check_tls "stale" --crl-fetch
	expect 1 WARNING "--crl-fetch, CRL past its nextUpdate"
	expect_finding "--crl-fetch, CRL past its nextUpdate" crl.stale
	check_tls "stale again" --crl-fetch
	expect 1 WARNING "--crl-fetch again, CRL past its nextUpdate"
	it_eq "a CRL past its nextUpdate is fetched again" 4 "$(requests)"

	# Gone: HTTP 404, with no cached copy.
	rm "$WWW/inter.crl"
	export XDG_CACHE_HOME=$IT_WORK/cache4
	check_tls "404" --crl-fetch
	expect 1 WARNING "--crl-fetch, HTTP 404"
	expect_finding "--crl-fetch, HTTP 404" crl.unavailable
	it_contains "crl.unavailable says why" "HTTP status 404" "$(cat "$IT_LAST_OUT")"
}

main() {
	read -r PORT_TLS PORT_HTTP < <(it_free_ports 2)
	it_pki_ca "$PKI"
	it_pki_cert "$PKI" good inter "-1 day" "+90 days" "cn = \"$HOST\"" "dns_name = \"$HOST\"" \
		"crl_dist_points = \"http://127.0.0.1:$PORT_HTTP/inter.crl\"" \
		tls_www_server signing_key encryption_key
	CA=(--ca-file "$PKI/root.pem")
	start_servers
	scenarios
	it_finish
}

main

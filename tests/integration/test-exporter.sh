#!/usr/bin/env bash
# Real-server test: `mailcert exporter` probing Postfix 3.7 on loopback,
# scraped by curl and by a real Prometheus through relabel_configs.
#
# usage: test-exporter.sh PATH-TO-MAILCERT
#
# A private Postfix (see test-postfix.sh) serves the test PKI's chain for
# mail.test on a STARTTLS smtpd on a free 127.0.0.1 port; another free port
# stays closed and a third accepts connections and never speaks (python3),
# to see the scrape timeout bound a probe. The exporter runs with the
# defaults on its command line (--connect-to 127.0.0.1: mail.test needs no
# DNS) and modules in a --config file. The test asserts /probe's status,
# body (promtool check metrics, probe success, the leaf's notAfter equal to
# the certificate's), every 400 with its reason, 503 beyond
# --max-concurrent, /metrics moving, and finally that Prometheus scraping
# /probe by the multi-target pattern (__param_target, __address__ → the
# exporter) shows mailcert_probe_success in its query API.
# Needs root, postfix, gnutls-bin, openssl, curl, python3 and prometheus
# (promtool, prometheus).

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix certtool gnutls-cli openssl curl python3 promtool prometheus; do
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

read -r PORT_SMTP PORT_CLOSED PORT_SILENT PORT_EXP PORT_EXP1 PORT_PROM <<<"$(it_free_ports 6)"
EXP=http://127.0.0.1:$PORT_EXP
TARGET=smtp://$HOST:$PORT_SMTP

# ---------------------------------------------------------------------------
# Postfix with the good chain, and a port that never speaks

start_postfix() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	cat "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/good.bundle"
	chmod 0600 "$PKI/good.bundle"
	pf_serve_bundle "$PORT_SMTP" "$PKI/good.bundle"
}

# ---------------------------------------------------------------------------
# The exporter

write_config() {
	cat >"$IT_WORK/exporter.conf" <<-EOF
		# modules of the exporter test
		[module mailtest]
		connect-to = 127.0.0.1
		ca-file = $PKI/root.pem
		timeout = 8

		[module early]
		; the leaf has 90 days left: WARNING with a 200-day threshold
		warning = 200d
		name = $HOST
	EOF
}

# start_exporter NAME PORT ARGS...: the exporter in the background, its pid
# in IT_WORK/NAME.pid (stopped on exit), its stderr in IT_WORK/NAME.log.
start_exporter() {
	local name=$1 port=$2
	shift 2
	"$MAILCERT" exporter --listen "127.0.0.1:$port" "$@" 2>"$IT_WORK/$name.log" &
	echo $! >"$IT_WORK/$name.pid"
	it_on_exit it_stop_pidfile "$IT_WORK/$name.pid" 10
	it_wait_port 127.0.0.1 "$port" 10 || {
		sed 's/^/#   | /' "$IT_WORK/$name.log"
		it_bail "exporter $name listens on $port"
	}
	it_ok "exporter $name listens on $port"
}

# get NAME URL [CURL-ARGS...]: GET URL; the body in IT_WORK/NAME.body, the
# status code in CODE, the time taken (seconds) in TOOK.
get() {
	local name=$1 url=$2 t0
	shift 2
	BODY=$IT_WORK/$name.body
	t0=$(date +%s%N)
	CODE=$(curl -s -o "$BODY" -w '%{http_code}' --max-time 30 "$@" "$url") || CODE=curl-failed
	TOOK=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	it_note "GET $url → $CODE in ${TOOK}s"
}

# sample METRIC-AND-LABELS: the value of the first sample of BODY whose
# name and labels start with METRIC-AND-LABELS ("name{target=\"…\"").
sample() {
	awk -v p="$1" 'index($0, p) == 1 { print $NF; exit }' "$BODY"
}

promtool_ok() {
	if promtool check metrics <"$BODY" >"$IT_WORK/promtool.out" 2>&1; then
		it_ok "$1: promtool check metrics accepts it"
	else
		it_not_ok "$1: promtool check metrics accepts it" "$(cat "$IT_WORK/promtool.out")"
		sed 's/^/#   | /' "$BODY"
	fi
}

# bad DESC QUERY REASON [CURL-ARGS...]: /probe?QUERY is 400 with REASON in its text/plain body.
bad() {
	local desc=$1 query=$2 reason=$3
	shift 3
	get bad "$EXP/probe?$query" "$@"
	it_eq "$desc: HTTP 400" 400 "$CODE"
	it_contains "$desc: the reason" "$reason" "$(cat "$BODY")"
}

# less_than DESC A B: A < B (decimals).
less_than() {
	if "$IT_PYTHON" -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$2" "$3"; then
		it_ok "$1 ($2 < $3)"
	else
		it_not_ok "$1" "$2 is not less than $3"
	fi
}

# ---------------------------------------------------------------------------

probes() {
	local not_after label
	not_after=$(date -d "$(openssl x509 -in "$PKI/good.pem" -noout -enddate | cut -d= -f2)" +%s)

	get good "$EXP/probe?target=$TARGET&module=mailtest"
	it_eq "module mailtest: HTTP 200" 200 "$CODE"
	promtool_ok "module mailtest"
	label="{target=\"$TARGET\""
	it_eq "module mailtest: probe success" 1 "$(sample "mailcert_probe_success$label}")"
	it_eq "module mailtest: state OK" 0 "$(sample "mailcert_state$label}")"
	it_eq "module mailtest: the leaf's notAfter is the certificate's" "$not_after" \
		"$(sample "mailcert_cert_not_after_timestamp_seconds$label,position=\"0\"")"
	it_eq "module mailtest: nothing but the report (no exporter metrics)" "" \
		"$(grep -c '^mailcert_exporter' "$BODY" | grep -v '^0$' || true)"

	# The command line's defaults (connect-to, ca-file) without a module.
	get defaults "$EXP/probe?target=$TARGET"
	it_eq "defaults: HTTP 200" 200 "$CODE"
	promtool_ok "defaults"
	it_eq "defaults: probe success" 1 "$(sample "mailcert_probe_success$label}")"
	it_eq "defaults: state OK" 0 "$(sample "mailcert_state$label}")"

	# A module overrides a default: warning = 200d.
	get early "$EXP/probe?target=$TARGET&module=early"
	it_eq "module early: HTTP 200" 200 "$CODE"
	promtool_ok "module early"
	it_eq "module early: state WARNING" 1 "$(sample "mailcert_state$label}")"
	it_eq "module early: cert.expiring" 1 \
		"$(sample "mailcert_finding$label,code=\"cert.expiring\",severity=\"warning\"}")"

	# A closed port: a report all the same, probe_success 0.
	get closed "$EXP/probe?target=smtp://$HOST:$PORT_CLOSED&module=mailtest"
	it_eq "closed port: HTTP 200" 200 "$CODE"
	promtool_ok "closed port"
	label="{target=\"smtp://$HOST:$PORT_CLOSED\""
	it_eq "closed port: probe failed" 0 "$(sample "mailcert_probe_success$label}")"
	it_eq "closed port: connect.refused" 1 \
		"$(sample "mailcert_finding$label,code=\"connect.refused\",severity=\"critical\"}")"

	# The scrape timeout bounds the probe (the module says 8 s).
	get silent "$EXP/probe?target=smtp://$HOST:$PORT_SILENT&module=mailtest" \
		-H 'X-Prometheus-Scrape-Timeout-Seconds: 2'
	it_eq "silent server, scrape timeout 2 s: HTTP 200" 200 "$CODE"
	promtool_ok "silent server"
	label="{target=\"smtp://$HOST:$PORT_SILENT\""
	it_eq "silent server: probe failed" 0 "$(sample "mailcert_probe_success$label}")"
	it_contains "silent server: a timeout finding" 'code="timeout"' "$(cat "$BODY")"
	less_than "silent server: answered before the scrape timeout" "$TOOK" 2
}

bad_requests() {
	bad "no target" "" "missing target"
	bad "empty target" "target=" "missing target"
	bad "unknown scheme" "target=gopher://$HOST" 'unknown scheme "gopher"'
	bad "no scheme, no port" "target=$HOST" "give a scheme or a port"
	bad "bad port" "target=smtp://$HOST:99999" "the port must be a number from 1 to 65535"
	bad "unknown module" "target=$TARGET&module=nope" 'unknown module "nope" (modules: mailtest, early)'
	bad "bad scrape timeout header" "target=$TARGET" "X-Prometheus-Scrape-Timeout-Seconds" \
		-H 'X-Prometheus-Scrape-Timeout-Seconds: soon'
	it_eq "400: text/plain" "text/plain; charset=utf-8" \
		"$(curl -s -o /dev/null -w '%{content_type}' "$EXP/probe")"
	get notfound "$EXP/nowhere"
	it_eq "unknown path: HTTP 404" 404 "$CODE"
	get post "$EXP/probe?target=$TARGET" -X POST
	it_eq "POST: HTTP 405" 405 "$CODE"
}

own_metrics() {
	get index "$EXP/"
	it_eq "/: HTTP 200" 200 "$CODE"
	it_contains "/ names /probe" "/probe?target=" "$(cat "$BODY")"
	it_contains "/ names /metrics" "/metrics" "$(cat "$BODY")"

	get metrics "$EXP/metrics"
	it_eq "/metrics: HTTP 200" 200 "$CODE"
	promtool_ok "/metrics"
	it_eq "/metrics: OK probes" 2 "$(sample 'mailcert_exporter_probes_total{result="ok"}')"
	it_eq "/metrics: WARNING probes" 1 "$(sample 'mailcert_exporter_probes_total{result="warning"}')"
	it_eq "/metrics: CRITICAL probes" 2 "$(sample 'mailcert_exporter_probes_total{result="critical"}')"
	it_eq "/metrics: 400 answers" 8 "$(sample 'mailcert_exporter_requests_total{code="400"}')"
	it_eq "/metrics: 404 answers" 1 "$(sample 'mailcert_exporter_requests_total{code="404"}')"
	it_eq "/metrics: 405 answers" 1 "$(sample 'mailcert_exporter_requests_total{code="405"}')"
	it_eq "/metrics: nothing in flight" 0 "$(sample 'mailcert_exporter_probes_in_flight')"
	it_contains "/metrics: process start time" "process_start_time_seconds " "$(cat "$BODY")"
	process_metrics
	local before
	before=$(sample 'mailcert_exporter_requests_total{code="200"}')
	get metrics "$EXP/metrics"
	it_eq "/metrics: the 200 counter moves" "$((before + 1))" \
		"$(sample 'mailcert_exporter_requests_total{code="200"}')"
}

# The exporter's process_* series and heap, in $BODY, against what the
# kernel says of the process.
process_metrics() {
	local pid fds limit rss
	pid=$(cat "$IT_WORK/main.pid")
	fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
	limit=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
	rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$pid/status")
	# The connection may or may not be closed yet when /proc is read.
	case $(sample 'process_open_fds ') in
	"$fds" | "$((fds + 1))") it_ok "/metrics: process_open_fds is the exporter's ($fds, +1)" ;;
	*) it_not_ok "/metrics: process_open_fds is the exporter's" \
		"/proc/$pid/fd has $fds, /metrics says $(sample 'process_open_fds ')" ;;
	esac
	it_eq "/metrics: process_max_fds is its soft limit" "$limit" "$(sample 'process_max_fds ')"
	it_check "/metrics: process_resident_memory_bytes within 4 MB of VmRSS" \
		test "$(sample 'process_resident_memory_bytes ')" -gt "$((rss - 4194304))" -a \
		"$(sample 'process_resident_memory_bytes ')" -lt "$((rss + 4194304))"
	it_check "/metrics: process_virtual_memory_bytes above the RSS" \
		test "$(sample 'process_virtual_memory_bytes ')" -gt "$(sample 'process_resident_memory_bytes ')"
	it_check "/metrics: process_cpu_seconds_total is a number" \
		grep -Eq '^process_cpu_seconds_total [0-9]+\.[0-9]+$' "$BODY"
	it_check "/metrics: mailcert_exporter_heap_inuse_bytes above 0" \
		test "$(sample 'mailcert_exporter_heap_inuse_bytes ')" -gt 0
}

# --max-concurrent 1: a probe of the silent port holds the slot; the next
# is 503 at once.
concurrency() {
	start_exporter one "$PORT_EXP1" --max-concurrent 1 --connect-to 127.0.0.1 -t 4
	curl -s -o /dev/null --max-time 20 \
		"http://127.0.0.1:$PORT_EXP1/probe?target=smtp://$HOST:$PORT_SILENT" &
	local slow=$!
	sleep 1
	get busy "http://127.0.0.1:$PORT_EXP1/probe?target=$TARGET"
	it_eq "beyond --max-concurrent: HTTP 503" 503 "$CODE"
	it_contains "beyond --max-concurrent: the reason" "--max-concurrent" "$(cat "$BODY")"
	less_than "beyond --max-concurrent: answered at once" "$TOOK" 1
	get metrics1 "http://127.0.0.1:$PORT_EXP1/metrics"
	it_eq "/metrics: one probe in flight" 1 "$(sample 'mailcert_exporter_probes_in_flight')"
	it_eq "/metrics: one 503" 1 "$(sample 'mailcert_exporter_requests_total{code="503"}')"
	wait "$slow" || true
	get again "http://127.0.0.1:$PORT_EXP1/probe?target=$TARGET&module="
	it_eq "the slot is free again: HTTP 200" 200 "$CODE"
}

# A real Prometheus scraping by the multi-target pattern.
prometheus_scrapes() {
	local dir=$IT_WORK/prometheus deadline value=
	mkdir -p "$dir/data"
	cat >"$dir/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  scrape_timeout: 1s
		scrape_configs:
		  - job_name: mailcert
		    metrics_path: /probe
		    params:
		      module: [mailtest]
		    static_configs:
		      - targets: ['$TARGET']
		    relabel_configs:
		      - source_labels: [__address__]
		        target_label: __param_target
		      - source_labels: [__param_target]
		        target_label: instance
		      - target_label: __address__
		        replacement: 127.0.0.1:$PORT_EXP
	EOF
	it_check "promtool check config accepts the scrape config" \
		promtool check config "$dir/prometheus.yml"
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$PORT_PROM" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	it_on_exit it_stop_pidfile "$dir/pid" 10
	it_wait_port 127.0.0.1 "$PORT_PROM" 20 || {
		tail -n 20 "$dir/log" | sed 's/^/#   | /'
		it_bail "prometheus listens on $PORT_PROM"
	}
	deadline=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$deadline" ]; do
		curl -s --max-time 5 -o "$dir/query.json" \
			"http://127.0.0.1:$PORT_PROM/api/v1/query?query=mailcert_probe_success" || true
		value=$("$IT_PYTHON" -c '
import json, sys
try:
    r = json.load(open(sys.argv[1]))["data"]["result"]
except Exception:
    sys.exit(0)
for s in r:
    m = s["metric"]
    if m.get("job") == "mailcert" and m.get("target") == sys.argv[2]:
        print(s["value"][1], m.get("instance"))
' "$dir/query.json" "$TARGET")
		[ -n "$value" ] && break
		sleep 1
	done
	it_eq "Prometheus's API shows mailcert_probe_success 1 for the target (instance relabelled)" \
		"1 $TARGET" "$value"
	[ -n "$value" ] || tail -n 20 "$dir/log" | sed 's/^/#   | /'
}

# The scrape config of docs/exporter.md and the alert rules of
# docs/prometheus/ are valid (their promtool unit tests:
# tests/unit/test-alert-rules.sh), and the percent-of-lifetime expression
# gives what the certificate says (a 91-day certificate issued a day ago:
# 98.9 % left).
docs_rules() {
	local docs=$here/../../docs/exporter.md dir=$IT_WORK/prometheus pct
	# shellcheck disable=SC2016 # Markdown backquotes, not a command substitution
	"$IT_PYTHON" -c '
import re, sys
blocks = re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S)
open(sys.argv[2], "w").write(blocks[0])
' "$docs" "$dir/docs-scrape.yml"
	it_check "docs/exporter.md: promtool check config accepts its scrape config" \
		promtool check config "$dir/docs-scrape.yml"
	it_check "docs/prometheus/mailcert-rules.yml: promtool check rules accepts it" \
		promtool check rules "$here/../../docs/prometheus/mailcert-rules.yml"
	curl -s --max-time 5 -o "$dir/pct.json" --data-urlencode \
		'query=100 * (mailcert_cert_not_after_timestamp_seconds{position="0"} - time()) / (mailcert_cert_not_after_timestamp_seconds - mailcert_cert_not_before_timestamp_seconds)' \
		"http://127.0.0.1:$PORT_PROM/api/v1/query" || true
	pct=$("$IT_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))["data"]["result"]
print("%.1f" % float(r[0]["value"][1]) if len(r) == 1 else "results: %d" % len(r))
' "$dir/pct.json" 2>&1 || true)
	it_eq "Prometheus: percent of the leaf's lifetime left" 98.9 "$pct"
}

start_postfix
it_start_silent "$PORT_SILENT" 16
write_config
start_exporter main "$PORT_EXP" --config "$IT_WORK/exporter.conf" \
	--connect-to 127.0.0.1 --ca-file "$PKI/root.pem" -t 8
it_contains "startup names the modules" "(2 modules)" "$(cat "$IT_WORK/main.log")"
probes
bad_requests
own_metrics
concurrency
prometheus_scrapes
docs_rules
it_finish

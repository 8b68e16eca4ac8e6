#!/usr/bin/env bash
# Real-server test: scaling out. Two mailcert exporters behind one real
# Prometheus, which shards 200 targets between them with `hashmod`
# relabelling (the configuration of docs/exporter.md, "Scaling out"):
# every target is scraped, by exactly one exporter, and each exporter gets
# a share. The targets are 200 closed loopback ports (connection refused
# at once: the test is about who probes, not what they find).
#
# usage: test-exporter-shard.sh PATH-TO-MAILCERT
# Needs curl, python3 and prometheus (promtool, prometheus).

# Functions run through it_on_exit look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in curl python3 promtool prometheus; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

it_workdir
N=200
read -r PORT_A PORT_B PORT_PROM <<<"$(it_free_ports 3)"
DIR=$IT_WORK/prometheus
mkdir -p "$DIR/data"

for name in a b; do
	port=PORT_${name^^}
	"$MAILCERT" exporter --listen "127.0.0.1:${!port}" -t 2 2>"$IT_WORK/$name.log" &
	echo $! >"$IT_WORK/$name.pid"
	it_on_exit it_stop_pidfile "$IT_WORK/$name.pid" 10
	it_wait_port 127.0.0.1 "${!port}" 10 || it_bail "exporter $name listens on ${!port}"
done
it_ok "two exporters listen on $PORT_A and $PORT_B"

# 200 targets on 127.0.0.201, where nothing listens: ports 1..200.
targets=$(for ((i = 1; i <= N; i++)); do printf "'smtp://127.0.0.201:%d', " "$i"; done)
cat >"$DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  scrape_timeout: 4s
scrape_configs:
  - job_name: mailcert
    metrics_path: /probe
    static_configs:
      - targets: [${targets%, }]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - source_labels: [__param_target]
        modulus: 2
        target_label: __tmp_shard
        action: hashmod
      - source_labels: [__tmp_shard]
        regex: '0'
        target_label: __address__
        replacement: 127.0.0.1:$PORT_A
      - source_labels: [__tmp_shard]
        regex: '1'
        target_label: __address__
        replacement: 127.0.0.1:$PORT_B
      - source_labels: [__address__]
        target_label: exporter
EOF
it_check "promtool check config accepts the sharded scrape config" \
	promtool check config "$DIR/prometheus.yml"
prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
	--web.listen-address="127.0.0.1:$PORT_PROM" >"$DIR/log" 2>&1 &
echo $! >"$DIR/pid"
it_on_exit it_stop_pidfile "$DIR/pid" 10
it_wait_port 127.0.0.1 "$PORT_PROM" 20 || it_bail "prometheus listens on $PORT_PROM"

# query PROMQL: the result as "LABEL-VALUES VALUE" lines, sorted.
query() {
	curl -s --max-time 5 -o "$DIR/q.json" --data-urlencode "query=$1" \
		"http://127.0.0.1:$PORT_PROM/api/v1/query" || true
	"$IT_PYTHON" -c '
import json, sys
try:
    r = json.load(open(sys.argv[1]))["data"]["result"]
except Exception:
    sys.exit(0)
for s in sorted(r, key=lambda s: sorted(s["metric"].items())):
    print(",".join(v for k, v in sorted(s["metric"].items())), s["value"][1])
' "$DIR/q.json"
}

# Every target's probe series, once scraped: wait for all of them.
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
	got=$(query 'count(mailcert_probe_success{job="mailcert"})')
	[ "$got" = " $N" ] && break
	sleep 1
done
it_eq "Prometheus has a probe result for each of the $N targets" " $N" "$got"

# Exactly one exporter per target: no target has two series.
it_eq "no target is probed by two exporters" "" \
	"$(query 'count by (instance) (mailcert_probe_success{job="mailcert"}) > 1')"
it_eq "every series came from a probe that ran (probe_success 0: refused)" " $N" \
	"$(query 'count(mailcert_probe_success{job="mailcert"} == 0)')"
shares=$(query 'count by (exporter) (mailcert_probe_success{job="mailcert"})')
printf '%s\n' "$shares" | sed 's/^/# share: /'
it_eq "two exporters share the targets" 2 "$(printf '%s\n' "$shares" | grep -c .)"
it_eq "the shares add up to $N" "$N" "$(printf '%s\n' "$shares" | awk '{ n += $2 } END { print n }')"
it_check "each exporter has at least a quarter" \
	awk -v min=$((N / 4)) '$2 < min { bad = 1 } END { exit bad }' <<<"$shares"
# The exporters' own counters agree: each answered its share of /probe.
for name in a b; do
	port=PORT_${name^^}
	curl -s --max-time 5 "http://127.0.0.1:${!port}/metrics" >"$IT_WORK/$name.metrics"
	count=$(awk '/^mailcert_exporter_requests_total\{code="200"\}/ { print $2 }' "$IT_WORK/$name.metrics")
	share=$(printf '%s\n' "$shares" | awk -v e="127.0.0.1:${!port}" '$1 == e { print $2 }')
	it_check "exporter $name answered at least its $share targets ($count requests)" \
		test "${count:-0}" -ge "${share:-1}"
done

it_finish

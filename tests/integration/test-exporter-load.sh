#!/usr/bin/env bash
# Load test: `mailcert exporter` under 1,000 concurrent requests.
#
# usage: test-exporter-load.sh PATH-TO-MAILCERT
#
# A private Postfix (see test-postfix.sh) serves the test PKI's chain for
# mail.test; another free port stays closed and a third accepts
# connections and never speaks (python3). The exporter runs with
# --max-concurrent 64 (so 128 connections at once, the rest wait in the
# listen queue or are answered 503) and a module with connect-to. A
# python3 asyncio client (one process, so that every request's own time is
# measured; ab takes one URL per run and reports no per-request deadline)
# sends 1,000 requests at once, mixing good targets (the Postfix), slow
# ones (the silent port, scrape timeout header 2 s), bad ones (the closed
# port) and malformed queries (400s). It asserts:
#   - every answer is HTTP 200, 400 or 503 with a body, and the right one
#     of those for its kind (a 400 only for the malformed, never for the
#     others);
#   - no request waits past its deadline, its scrape timeout + 1 s;
#   - afterwards the exporter's open file descriptors come back to their
#     level before the load (after a warm-up of each kind of request),
#     within 2;
#   - memory: the first round is the warm-up of the probe threads (up to
#     --max-concurrent, kept for the life of the exporter); after the
#     second, the heap's bytes in use come back to their level after the
#     first within 8 KB (8 bytes a request), and so does the RSS within 8
#     MB. A probe run on a thread of its own kept GnuTLS's per-thread
#     state, 30 KB a round: the RSS alone hid it. The heap is glibc's
#     mallinfo2(), with the per-thread cache off so that only live blocks
#     count, or under AddressSanitizer its allocator's count (then the RSS,
#     made of its allocator's per-thread caches, says nothing of ours and
#     is not compared);
#   - /metrics adds up: its request counters moved by what the client saw
#     for each code, its probe counters by the 200s of /probe, and nothing
#     is in flight.
# Descriptors, RSS and heap are read as any monitor reads them, from the
# exporter's own /metrics (process_open_fds,
# process_resident_memory_bytes, mailcert_exporter_heap_inuse_bytes): no
# debugger, no ptrace. Each of those scrapes holds one connection open,
# the same one each time.
# Needs root, postfix, gnutls-bin, openssl, curl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

it_need_mailcert "${1:-}"
for tool in postfix certtool openssl curl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

HOST=mail.test
REQUESTS=1000
FD_MARGIN=2
RSS_MARGIN_KB=$((8 * 1024))
HEAP_MARGIN=8192

# Built with AddressSanitizer? (Not ldd | grep -q: pipefail and SIGPIPE.)
case $(ldd "$MAILCERT") in
*libasan*) ASAN=1 ;;
*) ASAN=0 ;;
esac

it_workdir
# shellcheck source-path=SCRIPTDIR source=postfix.sh disable=SC1091
. "$here/postfix.sh"
PKI=$IT_WORK/pki

read -r PORT_SMTP PORT_CLOSED PORT_SILENT PORT_EXP <<<"$(it_free_ports 4)"
EXP=http://127.0.0.1:$PORT_EXP

start_postfix() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	cat "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem" >"$PKI/good.bundle"
	chmod 0600 "$PKI/good.bundle"
	pf_serve_bundle "$PORT_SMTP" "$PKI/good.bundle"
}

start_exporter() {
	cat >"$IT_WORK/exporter.conf" <<-EOF
		[module mailtest]
		connect-to = 127.0.0.1
		ca-file = $PKI/root.pem
		timeout = 8
	EOF
	# Under AddressSanitizer, no quarantine of freed memory (256 MB by
	# default, filled by the first rounds): the RSS reaches a steady state
	# that says whether memory is kept per request.
	[ "$ASAN" = 0 ] || export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	# glibc's per-thread cache holds freed blocks that mallinfo2() counts
	# as in use: off, so that what is in use is what is live.
	[ "$ASAN" = 1 ] || export GLIBC_TUNABLES=glibc.malloc.tcache_count=0
	"$MAILCERT" exporter --listen "127.0.0.1:$PORT_EXP" --config "$IT_WORK/exporter.conf" \
		--max-concurrent 64 -t 8 2>"$IT_WORK/exporter.log" &
	EXP_PID=$!
	echo "$EXP_PID" >"$IT_WORK/exporter.pid"
	it_on_exit it_stop_pidfile "$IT_WORK/exporter.pid" 10
	it_wait_port 127.0.0.1 "$PORT_EXP" 10 || {
		sed 's/^/#   | /' "$IT_WORK/exporter.log"
		it_bail "exporter listens on $PORT_EXP"
	}
	it_ok "exporter listens on $PORT_EXP (pid $EXP_PID)"
}

# scrape: the exporter's own /metrics, now, into $IT_WORK/self, counted in
# SCRAPES (each is a 200 of its own). Then self NAME reads a sample of it.
SCRAPES=0
scrape() {
	curl -s --max-time 5 -o "$IT_WORK/self" "$EXP/metrics" || : >"$IT_WORK/self"
	SCRAPES=$((SCRAPES + 1))
}
self() { metric "$1" "$IT_WORK/self"; }
rss_kb() { echo $(($(self process_resident_memory_bytes) / 1024)); }

# metric NAME-AND-LABELS FILE: the value of that sample in FILE.
metric() {
	awk -v p="$1" 'index($0, p " ") == 1 { print $NF; exit }' "$2"
}

# The client: N requests at once; one JSON line per request in OUT
# (kind, status, body length, seconds taken, deadline).
load() {
	"$IT_PYTHON" - "$1" "$2" "$PORT_EXP" "$HOST" "$PORT_SMTP" "$PORT_SILENT" \
		"$PORT_CLOSED" <<-'PY'
		import asyncio, json, resource, sys, time
		out, n, port, host, smtp, silent, closed = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
		soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
		resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
		H = "X-Prometheus-Scrape-Timeout-Seconds"
		# kind, query, scrape timeout header (seconds) or a bad value
		good = ("good", f"target=smtp://{host}:{smtp}&module=mailtest", 5)
		slow = ("slow", f"target=smtp://{host}:{silent}&module=mailtest", 2)
		bad = ("bad", f"target=smtp://{host}:{closed}&module=mailtest", 5)
		kinds = [
		    good, slow, bad, good, slow, bad,
		    ("malformed", "", 5),
		    ("malformed", f"target=smtp://{host}:99999", 5),
		    ("malformed", f"target=gopher://{host}", 5),
		    ("malformed", f"target=smtp://{host}&module=nope", 5),
		    ("malformed", f"target=smtp://{host}:{smtp}", "soon"),
		    ("malformed", "target=" + "x" * 2000, 5),
		    ("malformed", "target=smtp://%5b::1", 5),
		]

		async def one(i):
		    kind, query, scrape = kinds[i % len(kinds)]
		    deadline = (scrape if isinstance(scrape, int) else 2) + 1
		    req = (f"GET /probe?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		           f"{H}: {scrape}\r\nConnection: close\r\n\r\n").encode()
		    t0 = time.monotonic()
		    status, body, err = 0, b"", ""
		    try:
		        r, w = await asyncio.wait_for(
		            asyncio.open_connection("127.0.0.1", int(port)), deadline + 5)
		        w.write(req)
		        await w.drain()
		        data = await asyncio.wait_for(r.read(), deadline + 5)
		        w.close()
		        head, _, body = data.partition(b"\r\n\r\n")
		        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0
		        if not head.startswith(b"HTTP/1."):
		            err = "no HTTP answer: %r" % data[:80]
		    except Exception as e:
		        err = "%s: %s" % (type(e).__name__, e)
		    took = time.monotonic() - t0
		    return {"i": i, "kind": kind, "query": query[:60], "status": status,
		            "body": len(body), "took": round(took, 3), "deadline": deadline, "err": err}

		async def main():
		    return await asyncio.gather(*(one(i) for i in range(n)))

		res = asyncio.run(main())
		with open(out, "w") as f:
		    for r in res:
		        f.write(json.dumps(r) + "\n")
	PY
}

# summary FILE: the checks over the client's results, one "name value"
# line each, and the failures listed.
summarize() {
	"$IT_PYTHON" - "$1" <<-'PY'
		import collections, json, sys
		rs = [json.loads(l) for l in open(sys.argv[1])]
		codes = collections.Counter(r["status"] for r in rs)
		expect = {"good": {200, 503}, "slow": {200, 503}, "bad": {200, 503}, "malformed": {400}}
		wrong = [r for r in rs if r["status"] not in expect[r["kind"]] or r["body"] == 0]
		late = [r for r in rs if r["took"] > r["deadline"]]
		print("requests", len(rs))
		print("malformed", sum(1 for r in rs if r["kind"] == "malformed"))
		for c in (200, 400, 503):
		    print("code%d" % c, codes.get(c, 0))
		print("probes200", sum(1 for r in rs if r["status"] == 200))
		print("wrong", len(wrong))
		print("late", len(late))
		print("maxtook", max(r["took"] for r in rs))
		for k in ("good", "slow", "bad", "malformed"):
		    ks = [r for r in rs if r["kind"] == k]
		    print("#  %-9s %4d requests: %s; slowest %.2f s" % (k, len(ks),
		          dict(collections.Counter(r["status"] for r in ks)),
		          max(r["took"] for r in ks)), file=sys.stderr)
		for r in (wrong + late)[:10]:
		    print("#  failed:", json.dumps(r), file=sys.stderr)
	PY
}

# round N [BASE_RSS]: the load once, and what must hold after it. The
# descriptors are compared with FD0, the RSS (kB) with BASE_RSS if given.
round() {
	local n=$1 base_rss=${2:-} t0 fd_ok=0 rss_ok=1 probes=0 r
	[ -z "$base_rss" ] || rss_ok=0
	curl -s --max-time 5 -o "$IT_WORK/metrics0" "$EXP/metrics"
	t0=$SECONDS
	load "$IT_WORK/load$n.json" "$REQUESTS"
	it_note "round $n: $REQUESTS requests in $((SECONDS - t0)) s"
	summarize "$IT_WORK/load$n.json" >"$IT_WORK/summary"
	sed 's/^/#   /' "$IT_WORK/summary"

	it_eq "round $n: every request answered" "$REQUESTS" "$(val requests)"
	it_eq "round $n: every answer is 200/400/503 with a body, 400 exactly for the malformed" \
		0 "$(val wrong)"
	it_eq "round $n: no request waits past its scrape timeout + 1 s" 0 "$(val late)"
	it_eq "round $n: all the malformed queries are 400" "$(val malformed)" "$(val code400)"
	if [ "$(val code200)" -gt 0 ]; then
		it_ok "round $n: some probes ran ($(val code200) answered 200, $(val code503) 503)"
	else
		it_not_ok "round $n: some probes ran" "no 200 at all"
	fi

	# The exporter settles: descriptors (and RSS) back to their level.
	SCRAPES=0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sleep 1
		scrape
		FD1=$(self process_open_fds)
		RSS1=$(rss_kb)
		[ "$FD1" -le $((FD0 + FD_MARGIN)) ] && fd_ok=1
		[ -z "$base_rss" ] || [ "$RSS1" -gt $((base_rss + RSS_MARGIN_KB)) ] || rss_ok=1
		[ "$fd_ok$rss_ok" = 11 ] && break
	done
	it_note "round $n: after the load: $FD1 fds, RSS $RSS1 kB"
	it_eq "round $n: open descriptors back to $FD0 (+$FD_MARGIN): $FD1" 1 "$fd_ok"
	[ -z "$base_rss" ] ||
		it_eq "round $n: RSS back to $base_rss kB (+$RSS_MARGIN_KB): $RSS1 kB" 1 "$rss_ok"
	it_check "round $n: the exporter is still running" kill -0 "$EXP_PID"

	# /metrics adds up.
	curl -s --max-time 5 -o "$IT_WORK/metrics1" "$EXP/metrics"
	# The first /metrics (200) was counted after its own answer was made,
	# and so were those of the settling above.
	it_eq "round $n: /metrics: 200s moved by the probes' 200s and $((SCRAPES + 1)) /metrics" \
		"$(($(val code200) + SCRAPES + 1))" \
		"$(delta 'mailcert_exporter_requests_total{code="200"}')"
	it_eq "round $n: /metrics: 400s moved by the 400s seen" "$(val code400)" \
		"$(delta 'mailcert_exporter_requests_total{code="400"}')"
	it_eq "round $n: /metrics: 503s moved by the 503s seen" "$(val code503)" \
		"$(delta 'mailcert_exporter_requests_total{code="503"}')"
	for r in ok warning critical unknown error; do
		probes=$((probes + $(delta "mailcert_exporter_probes_total{result=\"$r\"}")))
	done
	it_eq "round $n: /metrics: probes counted = the probes' 200s" "$(val code200)" "$probes"
	it_eq "round $n: /metrics: nothing in flight" 0 \
		"$(metric 'mailcert_exporter_probes_in_flight' "$IT_WORK/metrics1")"
}

val() { awk -v k="$1" '$1 == k { print $2 }' "$IT_WORK/summary"; }
delta() {
	echo $(($(metric "$1" "$IT_WORK/metrics1") - $(metric "$1" "$IT_WORK/metrics0")))
}

start_postfix
it_start_silent "$PORT_SILENT" 1024
start_exporter

# Warm-up: one request of each kind, so that what stays allocated for the
# life of the process (GnuTLS, the trust store) is in the baseline.
load "$IT_WORK/warmup.json" 13
sleep 1
scrape
FD0=$(self process_open_fds)
RSS0=$(rss_kb)
it_note "before the load: $FD0 fds, RSS $RSS0 kB"

# The first round starts the probe threads; the second must leave the
# exporter as the first did.
round 1
scrape
HEAP1=$(self mailcert_exporter_heap_inuse_bytes)
if [ "$ASAN" = 1 ]; then
	it_note "mailcert is built with AddressSanitizer: its RSS is not compared"
	round 2
else
	round 2 "$RSS1"
fi
scrape
HEAP2=$(self mailcert_exporter_heap_inuse_bytes)
if [ -z "$HEAP1" ] || [ -z "$HEAP2" ]; then
	it_not_ok "heap in use measured" "/metrics has no mailcert_exporter_heap_inuse_bytes"
else
	it_note "heap in use: $HEAP1 bytes after round 1, $HEAP2 after round 2"
	it_eq "round 2: heap in use back to $HEAP1 bytes (+$HEAP_MARGIN): $HEAP2" 1 \
		"$((HEAP2 <= HEAP1 + HEAP_MARGIN))"
fi
it_finish

#!/usr/bin/env bash
# The benchmarks of issue 6 (tests/bench/README.md): run on demand, never by
# `meson test`. Prints the measured tables in Markdown on stdout (the
# progress on stderr); docs/performance.md shows a run.
#
# usage: tests/bench/run.sh [-o DIR] PATH-TO-MAILCERT
#   -o DIR  keep the raw measurements there (times.tsv, rss.tsv, tables.md)
#
# Environment (defaults in brackets):
#   BENCH_RUNS [30]         runs per tool and endpoint in benchmark 1
#   BENCH_CSC_RUNS [5]      of which check_ssl_cert runs (it takes ~1-2 s)
#   BENCH_CHECKS [1000]     checks per run in benchmark 2
#   BENCH_REPEAT [3]        interleaved runs of each contender in benchmark 2
#   BENCH_CONCURRENCY [32]  concurrency of scan and the floor (scan's default)
#   BENCH_XARGS [16]        xargs -P of openssl s_client
#   BENCH_RSS_LEVELS ["1 100 1000"]  concurrent checks in benchmark 3
#   BENCH_CPU_RUNS [20]     perf stat runs per tool and endpoint in section 4
#   BENCH_SECTIONS ["single throughput throughput_postfix rss rss_stages cpu"]
#
# 1. One check: mailcert check, openssl s_client, gnutls-cli and
#    check_ssl_cert against the same endpoint, round-robin (the order of
#    the tools rotates every round), whole-process wall time, plus the
#    floor's in-process latency of one handshake (tests/bench/floor.c,
#    3 sequential handshakes per round), per endpoint: submission and
#    smtps (Postfix), imap and imaps (Dovecot).
# 2. BENCH_CHECKS checks spread round-robin over the four endpoints:
#    mailcert scan --input, xargs -P 16 of openssl s_client, and the floor
#    at scan's concurrency; whole-process wall time, checks per second.
#    Then the same over Postfix's two endpoints only (throughput_postfix).
# 3. Peak RSS (/usr/bin/time -v) of mailcert scan --concurrency N -t 5
#    with N targets on tests/bench/holdserver.py, which accepts and never
#    answers: smtp:// (waiting for the greeting) and smtps:// (ClientHello
#    sent, TLS session allocated, waiting for the ServerHello).
#    Then the same with checks that completed their handshake and wait in
#    a stage: --dane lookups sent to a resolver that never answers.
# 4. CPU time (perf stat task-clock, mean of 20) of one check per tool and
#    endpoint, the floor as a whole process (floor -n 1), and
#    `mailcert --version` (the cost of starting the program at all).
#
# Needs root, postfix, dovecot-imapd, certtool, openssl, gnutls-cli,
# /usr/lib/nagios/plugins/check_ssl_cert, cc and pkg-config gnutls,
# /usr/bin/time, perf (linux-perf), python3.
# shellcheck disable=SC2317
set -euo pipefail
# A dot in $EPOCHREALTIME and in the numbers awk and perf print.
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
outdir=
if [ "${1:-}" = -o ]; then
	outdir=$2
	shift 2
fi
MAILCERT=${1:-}
if [ -z "$MAILCERT" ] || [ ! -x "$MAILCERT" ]; then
	echo "usage: $0 [-o DIR] PATH-TO-MAILCERT" >&2
	exit 2
fi
MAILCERT=$(cd "$(dirname "$MAILCERT")" && pwd)/$(basename "$MAILCERT")
CSC=/usr/lib/nagios/plugins/check_ssl_cert
for tool in postfix dovecot certtool openssl gnutls-cli cc pkg-config python3 /usr/bin/time perf "$CSC"; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed" >&2
		exit 2
	}
done

RUNS=${BENCH_RUNS:-30}
CSC_RUNS=${BENCH_CSC_RUNS:-5}
CHECKS=${BENCH_CHECKS:-1000}
REPEAT=${BENCH_REPEAT:-3}
CONC=${BENCH_CONCURRENCY:-32}
XARGS_P=${BENCH_XARGS:-16}
RSS_LEVELS=${BENCH_RSS_LEVELS:-1 100 1000}
SECTIONS=${BENCH_SECTIONS:-single throughput throughput_postfix rss rss_stages cpu}

# shellcheck source=servers.sh disable=SC1091
. "$here/servers.sh"

note() { printf '# %s\n' "$*" >&2; }
die() {
	printf '%s: %s\n' "$0" "$*" >&2
	exit 1
}

bench_servers_start
if [ -n "$outdir" ]; then mkdir -p "$outdir"; else outdir=$IT_WORK/out; mkdir -p "$outdir"; fi
TIMES=$outdir/times.tsv
RSS=$outdir/rss.tsv
: >"$TIMES"
: >"$RSS"
note "servers: submission $SUBMISSION, smtps $SMTPS, imap $IMAP, imaps $IMAPS"

FLOOR=$IT_WORK/floor
# shellcheck disable=SC2046 # pkg-config's words
cc -O2 -o "$FLOOR" "$here/floor.c" $(pkg-config --cflags --libs gnutls) || die "cannot build floor.c"

# ---------------------------------------------------------------------------
# The contenders, for endpoint E (submission, smtps, imap, imaps)

port_of() {
	case $1 in
	submission) echo "$SUBMISSION" ;; smtps) echo "$SMTPS" ;;
	imap) echo "$IMAP" ;; imaps) echo "$IMAPS" ;;
	esac
}

# The STARTTLS word of each tool for E ("" for implicit TLS).
ossl_proto() { case $1 in submission) echo smtp ;; imap) echo imap ;; esac; }

run_mailcert() {
	"$MAILCERT" check --connect-to 127.0.0.1 --ca-file "$ROOT" -t 10 "$1://$HOST:$(port_of "$1")"
}

run_s_client() {
	local p
	p=$(ossl_proto "$1")
	openssl s_client -connect "127.0.0.1:$(port_of "$1")" ${p:+-starttls "$p"} \
		-servername "$HOST" -verify_hostname "$HOST" -CAfile "$ROOT" -verify_return_error
}

run_gnutls_cli() {
	local p
	p=$(ossl_proto "$1")
	gnutls-cli ${p:+--starttls-proto="$p"} -p "$(port_of "$1")" --x509cafile "$ROOT" \
		--verify-hostname "$HOST" --sni-hostname "$HOST" 127.0.0.1
}

run_check_ssl_cert() {
	local p
	case $1 in submission) p=(-P smtp) ;; smtps) p=(-P smtps) ;; imap) p=(-P imap) ;; *) p=() ;; esac
	"$CSC" -H "$HOST" --resolve 127.0.0.1 "${p[@]}" -p "$(port_of "$1")" -r "$ROOT" --ignore-sct
}

# timed SECTION ENDPOINT TOOL CMD...: one run, its wall time (ms) appended
# to times.tsv (stdin as the caller redirects it); a failing run stops the benchmark (only successful checks
# are measured).
timed() {
	local sec=$1 ep=$2 tool=$3 t0 t1 rc=0
	shift 3
	t0=$EPOCHREALTIME
	"$@" >"$IT_WORK/last.out" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" -ne 0 ]; then
		sed 's/^/#   | /' "$IT_WORK/last.out" >&2
		die "$tool on $ep failed (exit $rc): $*"
	fi
	printf '%s\t%s\t%s\t%s\n' "$sec" "$ep" "$tool" \
		"$((${t1/./} - ${t0/./}))" >>"$TIMES" # microseconds
}

# The floor's own median in-process latency of 3 sequential handshakes.
floor_latency() {
	local line f
	line=$("$FLOOR" -c 1 -n 3 -H "$HOST" "$1:$(port_of "$1")" | sed -n 2p) ||
		die "floor failed on $1"
	# "submission:PORT n 3 median_ms M p90_ms P"
	read -r -a f <<<"$line"
	printf 'single\t%s\tfloor-handshake\t%s\n' "${line%%:*}" \
		"$(awk -v m="${f[4]}" 'BEGIN { printf "%d", m * 1000 }')" >>"$TIMES"
}

# ---------------------------------------------------------------------------
# 1. One check

bench_single() {
	local ep r i tools n
	for ep in submission smtps imap imaps; do
		note "1. one check, $ep: $RUNS rounds"
		for ((r = 0; r < RUNS; r++)); do
			tools=(mailcert s_client gnutls_cli)
			[ "$r" -lt "$CSC_RUNS" ] && tools+=(check_ssl_cert)
			n=${#tools[@]}
			for ((i = 0; i < n; i++)); do
				local tool=${tools[(i + r) % n]}
				timed single "$ep" "${tool//_/-}" "run_$tool" "$ep" </dev/null
			done
			floor_latency "$ep"
		done
	done
}

# ---------------------------------------------------------------------------
# 2. Many checks

# throughput SET ENDPOINT...: CHECKS checks round-robin over the endpoints,
# recorded as endpoint SET in times.tsv.
throughput() {
	local set=$1 i r ep p targets=$IT_WORK/targets.txt s_args=$IT_WORK/s_client.args floor_args=()
	shift
	: >"$targets"
	: >"$s_args"
	for ((i = 0; i < CHECKS; i++)); do
		ep=${*:$((i % $# + 1)):1}
		p=$(ossl_proto "$ep")
		printf '%s://%s:%s\n' "$ep" "$HOST" "$(port_of "$ep")" >>"$targets"
		printf -- '-connect 127.0.0.1:%s %s -servername %s -verify_hostname %s -CAfile %s -verify_return_error\n' \
			"$(port_of "$ep")" "${p:+-starttls $p}" "$HOST" "$HOST" "$ROOT" >>"$s_args"
	done
	for ep in "$@"; do floor_args+=("$ep:$(port_of "$ep")"); done
	for ((r = 0; r < REPEAT; r++)); do
		note "2. $CHECKS checks over $*, round $((r + 1))/$REPEAT"
		timed throughput "$set" floor "$FLOOR" -c "$CONC" -n "$CHECKS" -H "$HOST" "${floor_args[@]}" </dev/null
		timed throughput "$set" scan "$MAILCERT" scan --connect-to 127.0.0.1 --ca-file "$ROOT" \
			-t 10 --concurrency "$CONC" --no-progress --input "$targets" </dev/null
		grep -q "^$CHECKS targets: $CHECKS OK" "$IT_WORK/last.out" ||
			die "scan: not $CHECKS OK results: $(tail -n 1 "$IT_WORK/last.out")"
		timed throughput "$set" "xargs-s_client" xargs -P "$XARGS_P" -L 1 openssl s_client <"$s_args"
	done
}

# The four endpoints (the issue's benchmark), then Postfix's two alone: a
# fast server, where the client's own cost shows.
bench_throughput() {
	throughput all submission smtps imap imaps
}

bench_throughput_postfix() {
	throughput postfix submission smtps
}

# ---------------------------------------------------------------------------
# 3. Peak RSS with N checks in flight

# The holdserver.py running now, if any: stopped after each level, and at
# exit should the benchmark die in between.
HOLD_PID=
stop_hold() {
	[ -n "$HOLD_PID" ] || return 0
	kill -TERM "$HOLD_PID" 2>/dev/null || true
	wait "$HOLD_PID" || true
	HOLD_PID=
}
it_on_exit stop_hold

bench_rss() {
	local scheme n i pf kib held targets=$IT_WORK/hold.txt
	for scheme in smtp smtps; do
		for n in $RSS_LEVELS; do
			note "3. peak RSS, $n $scheme:// checks held"
			pf=$IT_WORK/hold.port
			rm -f "$pf"
			python3 "$here/holdserver.py" "$pf" >"$IT_WORK/hold.out" &
			HOLD_PID=$!
			for ((i = 0; i < 50; i++)); do
				[ -s "$pf" ] && break
				sleep 0.1
			done
			[ -s "$pf" ] || die "holdserver.py did not start"
			: >"$targets"
			for ((i = 0; i < n; i++)); do printf '%s://%s:%s\n' "$scheme" "$HOST" "$(cat "$pf")" >>"$targets"; done
			/usr/bin/time -v -o "$IT_WORK/time.txt" "$MAILCERT" scan --connect-to 127.0.0.1 \
				--ca-file "$ROOT" -t 5 --concurrency "$n" --no-progress --input "$targets" \
				>"$IT_WORK/last.out" 2>&1 || true
			stop_hold
			held=$(sed -n 's/^held //p' "$IT_WORK/hold.out")
			[ "$held" = "$n" ] || die "holdserver held ${held:-?} connections, not $n"
			grep -q "^$n targets: 0 OK" "$IT_WORK/last.out" ||
				die "scan against holdserver: $(tail -n 1 "$IT_WORK/last.out")"
			kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$IT_WORK/time.txt")
			printf '%s\t%s\t%s\n' "$scheme" "$n" "$kib" >>"$RSS"
		done
	done
}

# 3b. Peak RSS with N checks in flight in a stage: each handshakes with
#     Postfix's smtps, then waits for its TLSA lookup (--dane) from a
#     resolver that never answers (a UDP socket nobody reads) until its
#     deadline. Recorded as scheme "smtps+dane" in rss.tsv.

SILENT_PID=
stop_silent() {
	[ -n "$SILENT_PID" ] || return 0
	kill -TERM "$SILENT_PID" 2>/dev/null || true
	wait "$SILENT_PID" || true
	SILENT_PID=
}
it_on_exit stop_silent

bench_rss_stages() {
	local n i kib pf=$IT_WORK/silent.port targets=$IT_WORK/staged.txt ta=$IT_WORK/root.key
	echo ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D" >"$ta"
	python3 -c '
import socket, sys, time
while True:  # a port free for both UDP and TCP
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", u.getsockname()[1]))
        break
    except OSError:
        u.close()
        t.close()
t.listen(64)
open(sys.argv[1], "w").write("%d\n" % u.getsockname()[1])
time.sleep(86400)
' "$pf" 2>"$IT_WORK/silent.err" &
	SILENT_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	[ -s "$pf" ] || die "the silent resolver did not start: $(cat "$IT_WORK/silent.err")"
	for n in $RSS_LEVELS; do
		note "3b. peak RSS, $n smtps:// checks waiting for their TLSA lookup"
		: >"$targets"
		# Not mail.test: libunbound answers names under .test itself.
		for ((i = 0; i < n; i++)); do printf 'smtps://mail.example.net:%s\n' "$SMTPS" >>"$targets"; done
		/usr/bin/time -v -o "$IT_WORK/time.txt" "$MAILCERT" scan --connect-to 127.0.0.1 \
			--ca-file "$ROOT" -n "$HOST" --dane --resolver "127.0.0.1:$(cat "$pf")" \
			--trust-anchor "$ta" -t 10 --concurrency "$n" --no-progress --input "$targets" \
			>"$IT_WORK/last.out" 2>&1 || true
		grep -q "^$n targets: 0 OK, 0 WARNING, $n CRITICAL" "$IT_WORK/last.out" ||
			die "scan with a silent resolver: $(tail -n 1 "$IT_WORK/last.out")"
		kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$IT_WORK/time.txt")
		printf 'smtps+dane\t%s\t%s\n' "$n" "$kib" >>"$RSS"
	done
	stop_silent
}

# ---------------------------------------------------------------------------
# 4. CPU time of one check (perf stat): less noisy than wall time on a
#    shared machine, and it shows what the process itself costs.

# cpu ENDPOINT TOOL CMD...: the mean task-clock (ms) of BENCH_CPU_RUNS runs.
cpu() {
	local ep=$1 tool=$2 ms
	shift 2
	ms=$(perf stat -x, -r "${BENCH_CPU_RUNS:-20}" -e task-clock "$@" </dev/null 2>&1 >/dev/null |
		awk -F, '$3 ~ /task-clock/ { print $1 }') || true
	[ -n "$ms" ] || die "perf stat of $tool on $ep failed"
	printf 'cpu\t%s\t%s\t%s\n' "$ep" "$tool" "$(awk -v m="$ms" 'BEGIN { printf "%d", m * 1000 }')" >>"$TIMES"
}

bench_cpu() {
	local ep p
	command -v perf >/dev/null || die "perf is not installed (linux-perf)"
	note "4. CPU time: mailcert --version"
	cpu all mailcert-startup "$MAILCERT" --version
	for ep in submission smtps imap imaps; do
		note "4. CPU time of one check, $ep"
		p=$(ossl_proto "$ep")
		cpu "$ep" floor-process "$FLOOR" -c 1 -n 1 -H "$HOST" "$ep:$(port_of "$ep")"
		cpu "$ep" mailcert "$MAILCERT" check --connect-to 127.0.0.1 --ca-file "$ROOT" -t 10 \
			"$ep://$HOST:$(port_of "$ep")"
		cpu "$ep" s-client openssl s_client -connect "127.0.0.1:$(port_of "$ep")" \
			${p:+-starttls "$p"} -servername "$HOST" -verify_hostname "$HOST" -CAfile "$ROOT" \
			-verify_return_error
		cpu "$ep" gnutls-cli gnutls-cli ${p:+--starttls-proto="$p"} -p "$(port_of "$ep")" \
			--x509cafile "$ROOT" --verify-hostname "$HOST" --sni-hostname "$HOST" 127.0.0.1
	done
}

for s in $SECTIONS; do "bench_$s"; done

# ---------------------------------------------------------------------------
# The tables

python3 "$here/summarise.py" "$TIMES" "$RSS" "$CHECKS" "$CONC" "$XARGS_P" | tee "$outdir/tables.md"
bench_finish

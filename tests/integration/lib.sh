# shellcheck shell=bash
# Shared helpers for the real-server integration tests (tests/integration/
# test-*.sh). Source it from a bash script that runs under
# `set -euo pipefail`:
#
#   . "$(dirname "$0")/lib.sh"
#   it_workdir                 # $IT_WORK, removed on exit
#   it_on_exit stop_my_daemon  # cleanup steps, run in reverse order
#   ...
#   it_check "server is up" it_wait_port 127.0.0.1 "$port" 10
#   it_finish                  # "N passed, M failed", non-zero on failure
#
# Daemons are only ever stopped by the pid they wrote (it_stop_pidfile),
# never by process name: other test runs or a real instance may be running.
#
# Needs: bash, python3, certtool and gnutls-cli (gnutls-bin), coreutils.

IT_PASSED=0
IT_FAILED=0
IT_COUNT=0
IT_WORK=
IT_FINISHED=
IT_CLEANED=
IT_CLEANUPS=()

# Output of the last it_run, dumped once with the first failed assertion
# that follows it, so a failure shows what the program really said.
IT_LAST_CMD=
IT_LAST_OUT=
IT_LAST_ERR=
IT_LAST_RC=
IT_LAST_DUMPED=1
IT_RUNS=0

# The JSON and certificate helpers run python3 often (a few times per
# assertion). Prefer the distribution's interpreter: a version-manager shim
# first in PATH (pyenv) costs about 0.1 s per call, seconds per test.
if [ -z "${IT_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then IT_PYTHON=/usr/bin/python3; else IT_PYTHON=python3; fi
fi

# ---------------------------------------------------------------------------
# Messages, assertions and the summary line

# it_note TEXT...: a diagnostic line, TAP style, never mistaken for a result.
it_note() {
	printf '# %s\n' "$*"
}

# it_ok DESC / it_not_ok DESC [DETAIL...]: record one result.
it_ok() {
	IT_COUNT=$((IT_COUNT + 1))
	IT_PASSED=$((IT_PASSED + 1))
	printf 'ok %d - %s\n' "$IT_COUNT" "$1"
}

it_not_ok() {
	IT_COUNT=$((IT_COUNT + 1))
	IT_FAILED=$((IT_FAILED + 1))
	printf 'not ok %d - %s\n' "$IT_COUNT" "$1"
	shift
	local line
	for line in "$@"; do it_note "  $line"; done
	it_dump_last
}

# it_check DESC CMD...: passes when CMD exits 0.
it_check() {
	local desc=$1
	shift
	if "$@"; then it_ok "$desc"; else it_not_ok "$desc" "command failed: $*"; fi
}

# it_check_not DESC CMD...: passes when CMD exits non-zero.
it_check_not() {
	local desc=$1
	shift
	if "$@"; then it_not_ok "$desc" "command succeeded: $*"; else it_ok "$desc"; fi
}

# it_eq DESC EXPECTED ACTUAL
it_eq() {
	if [ "$2" = "$3" ]; then
		it_ok "$1"
	else
		it_not_ok "$1" "expected: '$2'" "     got: '$3'"
	fi
}

# it_contains DESC NEEDLE HAYSTACK
it_contains() {
	case $3 in
	*"$2"*) it_ok "$1" ;;
	*) it_not_ok "$1" "expected to contain: '$2'" "                got: '$3'" ;;
	esac
}

# it_dump_last: print the last it_run's command, status and full output
# (once per run).
it_dump_last() {
	[ -n "$IT_LAST_DUMPED" ] && return 0
	IT_LAST_DUMPED=1
	it_note "  output of: $IT_LAST_CMD (exit $IT_LAST_RC)"
	it_note "  --- stdout"
	sed 's/^/#   | /' "$IT_LAST_OUT"
	it_note "  --- stderr"
	sed 's/^/#   | /' "$IT_LAST_ERR"
}

# it_finish: clean up, print the summary as the very last line and exit,
# non-zero when anything failed or nothing was tested.
it_finish() {
	IT_FINISHED=1
	it_cleanup
	printf '%d passed, %d failed\n' "$IT_PASSED" "$IT_FAILED"
	[ "$IT_FAILED" -eq 0 ] && [ "$IT_PASSED" -gt 0 ] && exit 0
	exit 1
}

# it_bail REASON: the test cannot go on (a daemon did not start, …).
it_bail() {
	it_not_ok "$*"
	it_finish
}

# ---------------------------------------------------------------------------
# Running the program under test

# it_run CMD...: run CMD, print it, keep stdout/stderr in files and the exit
# status in IT_LAST_RC. Never fails itself, whatever CMD does, so the test
# goes on to assert on the outcome.
it_run() {
	IT_RUNS=$((IT_RUNS + 1))
	IT_LAST_OUT=$IT_WORK/run-$IT_RUNS.out
	IT_LAST_ERR=$IT_WORK/run-$IT_RUNS.err
	IT_LAST_CMD=$(printf '%q ' "$@")
	IT_LAST_CMD=${IT_LAST_CMD% }
	IT_LAST_DUMPED=
	it_note "\$ $IT_LAST_CMD"
	IT_LAST_RC=0
	"$@" >"$IT_LAST_OUT" 2>"$IT_LAST_ERR" </dev/null || IT_LAST_RC=$?
}

# The JSON helpers read one object: the only non-empty line of FILE (the
# CLI prints JSON Lines, one object per target). Anything else is an error
# (status 2, reason on stderr), which fails the assertion using it.
IT_JSON_LOAD='
import json, sys
def load(path):
    lines = [l for l in open(path, encoding="utf-8") if l.strip()]
    if len(lines) != 1:
        fail("expected one JSON line, got %d" % len(lines))
    try:
        return json.loads(lines[0])
    except ValueError as e:
        fail("not JSON: %s" % e)
def fail(why):
    print("%s: %s" % (sys.argv[1], why), file=sys.stderr)
    sys.exit(2)
'

# json_field FILE PATH: print the value at PATH, a dotted path of keys and
# list indexes ("state", "chain.0.subject"); a last component "#" prints
# the length of a list ("chain.#"). Strings print raw, other values as
# JSON, a missing path prints nothing and returns 1.
json_field() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
v = load(sys.argv[1])
for k in sys.argv[2].split("."):
    if k == "#":
        v = len(v)
    elif isinstance(v, list) and k.isdigit() and int(k) < len(v):
        v = v[int(k)]
    elif isinstance(v, dict) and k in v:
        v = v[k]
    else:
        sys.exit(1)
print(v if isinstance(v, str) else json.dumps(v))
' "$1" "$2"
}

# has_finding FILE CODE [CERT]: whether the report holds a finding CODE,
# and, with CERT, one about chain element CERT (0 = leaf; the finding's
# "cert" member).
has_finding() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
r = load(sys.argv[1])
want = int(sys.argv[3]) if len(sys.argv) > 3 else None
ok = any(f.get("code") == sys.argv[2] and (want is None or f.get("cert") == want)
         for f in r.get("findings") or [])
sys.exit(0 if ok else 1)
' "$@"
}

# finding_codes FILE: the finding codes of the report, space separated
# (for messages).
finding_codes() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
print(" ".join(str(f.get("code")) for f in load(sys.argv[1]).get("findings") or []))
' "$1" 2>&1 || true
}

# ---------------------------------------------------------------------------
# Work directory and cleanup

# it_on_exit CMD [ARGS...]: run CMD at exit (in reverse order of
# registration), whether the test passes, fails or is interrupted.
it_on_exit() {
	IT_CLEANUPS+=("$(printf '%q ' "$@")")
}

# it_cleanup: run the registered steps once; a failing step does not stop
# the others.
it_cleanup() {
	[ -n "$IT_CLEANED" ] && return 0
	IT_CLEANED=1
	local i
	for ((i = ${#IT_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${IT_CLEANUPS[i]}" || it_note "cleanup step failed: ${IT_CLEANUPS[i]}"
	done
}

# Exit trap: a script that dies (set -e, a signal) before it_finish still
# stops its daemons, and counts as a failure.
it_on_exit_trap() {
	local rc=$?
	trap - EXIT
	if [ -z "$IT_FINISHED" ]; then
		IT_FINISHED=1
		it_not_ok "test script aborted (exit status $rc)"
		it_cleanup
		printf '%d passed, %d failed\n' "$IT_PASSED" "$IT_FAILED"
		exit 1
	fi
}
trap it_on_exit_trap EXIT
# A signal goes through the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM

# it_workdir: create $IT_WORK, removed at exit unless IT_KEEP=1 (to read
# the outputs and daemon logs afterwards). World-traversable (0755)
# because daemons that drop privileges must reach their files in it.
it_workdir() {
	IT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/mailcert-it.XXXXXX")
	chmod 0755 "$IT_WORK"
	if [ "${IT_KEEP:-}" = 1 ]; then
		it_on_exit it_note "IT_KEEP=1: kept $IT_WORK"
	else
		it_on_exit rm -rf "$IT_WORK"
	fi
}

# ---------------------------------------------------------------------------
# Processes and ports

# it_pid_alive PID
it_pid_alive() {
	kill -0 "$1" 2>/dev/null
}

# it_read_pidfile FILE: print the pid in FILE (Postfix pads it with
# spaces), or fail.
it_read_pidfile() {
	local pid
	[ -r "$1" ] || return 1
	read -r pid <"$1" || [ -n "${pid:-}" ] || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	printf '%s\n' "$pid"
}

# it_wait_pid_exit PID SECONDS: wait until PID is gone; fails on timeout.
# The pid is not our child, so `wait` cannot be used: poll.
it_wait_pid_exit() {
	local pid=$1 deadline=$((SECONDS + $2))
	while it_pid_alive "$pid"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# it_stop_pidfile PIDFILE [SECONDS]: stop the daemon whose pid is in
# PIDFILE: SIGTERM, then SIGKILL if it is still there after SECONDS
# (default 10). Nothing to do when the file is missing.
it_stop_pidfile() {
	local pid
	pid=$(it_read_pidfile "$1") || return 0
	it_pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	it_wait_pid_exit "$pid" "${2:-10}" && return 0
	it_note "pid $pid ($1) ignored SIGTERM, killing it"
	kill -KILL "$pid" 2>/dev/null || true
	it_wait_pid_exit "$pid" 5
}

# it_free_ports N: print N distinct loopback TCP ports that are free now.
# The sockets stay bound until all are chosen so the ports differ; a daemon
# started right after gets them barring a race with another program.
it_free_ports() {
	"$IT_PYTHON" -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# it_port_open HOST PORT: whether a TCP connection is accepted now.
it_port_open() {
	# shellcheck disable=SC2016 # $1 $2 expand in the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# it_wait_port HOST PORT SECONDS: wait until PORT accepts connections.
it_wait_port() {
	local deadline=$((SECONDS + $3))
	until it_port_open "$1" "$2"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------------------
# Certificates

# it_cert_sha256 FILE: lowercase hex SHA-256 of the DER of the first
# certificate in the PEM FILE ("-" for stdin); fails when there is none.
it_cert_sha256() {
	"$IT_PYTHON" -c '
import base64, hashlib, re, sys
text = sys.stdin.read() if sys.argv[1] == "-" else open(sys.argv[1]).read()
m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)
if not m:
    sys.exit(1)
print(hashlib.sha256(base64.b64decode("".join(m.group(1).split()))).hexdigest())
' "$1"
}

# it_served_sha256 HOST PORT [STARTTLS_PROTO]: SHA-256 of the leaf the
# server presents now, fetched with gnutls-cli (no verification: only the
# certificate is wanted). STARTTLS_PROTO is a gnutls-cli --starttls-proto
# name (smtp, lmtp, imap, pop3, xmpp, ldap, ftp, sieve, postgres, …);
# without it the port speaks TLS at once.
it_served_sha256() {
	local args=(--insecure --print-cert -p "$2" "$1")
	[ -z "${3:-}" ] || args+=("--starttls-proto=$3")
	timeout 5 gnutls-cli "${args[@]}" </dev/null 2>/dev/null | it_cert_sha256 -
}

# it_wait_served HOST PORT PROTO SHA256 SECONDS: wait until the server
# presents the leaf SHA256. After a reload a port accepts connections long
# before every worker has the new certificate, so an open port proves
# nothing. PROTO as for it_served_sha256 ("" for implicit TLS).
it_wait_served() {
	local deadline=$((SECONDS + $5)) got
	while :; do
		got=$(it_served_sha256 "$1" "$2" "$3") || got=
		[ "$got" = "$4" ] && return 0
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.2
	done
	it_note "$1:$2 still serves leaf ${got:-(none)}, expected $4"
	return 1
}

# Test PKI, made with certtool: dates are relative to now so expiry
# scenarios stay true whenever the test runs. certtool 3.7.9 templates take
# activation_date/expiration_date as "YYYY-MM-DD HH:MM:SS", read in the
# local time zone: both date(1) and certtool run with TZ=UTC so they agree.

# it_pki_date OFFSET: the time OFFSET from now ("-30 days", "+2 hours",
# "now") in the template's format.
it_pki_date() {
	TZ=UTC date -d "$1" '+%Y-%m-%d %H:%M:%S'
}

# it_pki_key OUT: a new RSA-2048 private key (PEM) in OUT.
it_pki_key() {
	certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$1" 2>/dev/null
}

# it_pki_cert DIR NAME ISSUER FROM UNTIL TEMPLATE_LINES...: make
# DIR/NAME.key and DIR/NAME.pem valid from FROM until UNTIL (it_pki_date
# offsets), signed by DIR/ISSUER (.key/.pem), or self-signed when ISSUER
# is "-". TEMPLATE_LINES are extra certtool template lines.
it_pki_cert() {
	local dir=$1 name=$2 issuer=$3 from to tmpl
	from=$(it_pki_date "$4")
	to=$(it_pki_date "$5")
	shift 5
	tmpl=$dir/$name.tmpl
	{
		printf 'activation_date = "%s"\n' "$from"
		printf 'expiration_date = "%s"\n' "$to"
		printf '%s\n' "$@"
	} >"$tmpl"
	it_pki_key "$dir/$name.key"
	if [ "$issuer" = - ]; then
		TZ=UTC certtool --generate-self-signed --load-privkey "$dir/$name.key" \
			--template "$tmpl" --outfile "$dir/$name.pem" >/dev/null 2>&1
	else
		TZ=UTC certtool --generate-certificate --load-privkey "$dir/$name.key" \
			--load-ca-privkey "$dir/$issuer.key" --load-ca-certificate "$dir/$issuer.pem" \
			--template "$tmpl" --outfile "$dir/$name.pem" >/dev/null 2>&1
	fi
}

# it_pki_ca DIR: DIR/root (self-signed) and DIR/inter (signed by root, may
# sign only leaves), both valid from a day ago for ten years.
it_pki_ca() {
	mkdir -p "$1"
	it_pki_cert "$1" root - "-1 day" "+3650 days" \
		'cn = "mailcert test root CA"' 'organization = "mailcert tests"' \
		ca cert_signing_key crl_signing_key
	it_pki_cert "$1" inter root "-1 day" "+3650 days" \
		'cn = "mailcert test intermediate CA"' 'organization = "mailcert tests"' \
		ca 'path_len = 0' cert_signing_key crl_signing_key
}

# it_pki_leaf DIR NAME FROM UNTIL DNSNAME...: a TLS server leaf signed by
# DIR/inter, CN the first DNSNAME, every DNSNAME as a SAN.
it_pki_leaf() {
	local dir=$1 name=$2 from=$3 to=$4 lines=() dns
	shift 4
	lines+=("cn = \"$1\"")
	for dns in "$@"; do lines+=("dns_name = \"$dns\""); done
	it_pki_cert "$dir" "$name" inter "$from" "$to" "${lines[@]}" \
		tls_www_server signing_key encryption_key
}

# ---------------------------------------------------------------------------
# mailcert and what it must say (the caller sets MAILCERT and HOST)

# it_need_mailcert PATH: the mailcert under test (a test's first argument)
# becomes MAILCERT, or the test stops with its usage.
it_need_mailcert() {
	MAILCERT=$1
	if [ -z "$MAILCERT" ] || [ ! -x "$MAILCERT" ]; then
		echo "usage: $0 PATH-TO-MAILCERT (got '${MAILCERT}', not an executable)" >&2
		exit 2
	fi
}

# mc TARGET [OPTIONS...]: mailcert check in JSON, connecting to loopback
# while the target keeps $HOST for SNI and the name check. The
# options go before the target; pass "${CA[@]}" for the test root.
mc() {
	local target=$1
	shift
	it_run "$MAILCERT" check -f json --connect-to 127.0.0.1 -t 10 "$@" "$target"
}

# expect STATUS STATE DESC: exit status and JSON state of the last run.
expect() {
	it_eq "$3: exit status $1" "$1" "$IT_LAST_RC"
	it_eq "$3: state $2" "$2" "$(json_field "$IT_LAST_OUT" state || true)"
}

# expect_finding DESC CODE [CERT]: the last run reported CODE (about chain
# element CERT when given).
expect_finding() {
	local desc=$1
	shift
	local what="finding $1${2:+ on chain element $2}"
	if has_finding "$IT_LAST_OUT" "$@"; then
		it_ok "$desc: $what"
	else
		it_not_ok "$desc: $what" "findings: $(finding_codes "$IT_LAST_OUT")"
	fi
}

# expect_no_findings DESC
expect_no_findings() {
	local n
	n=$(json_field "$IT_LAST_OUT" 'findings.#' || true)
	if [ "$n" = 0 ]; then
		it_ok "$1: no findings"
	else
		it_not_ok "$1: no findings" "findings: $(finding_codes "$IT_LAST_OUT")"
	fi
}

# openssl_chain PORT [S_CLIENT-OPTIONS...]: the SHA-256 of every
# certificate `openssl s_client -showcerts` receives on 127.0.0.1:PORT
# (SNI $HOST), one per line in the order sent. Pass e.g. -starttls smtp.
openssl_chain() {
	local port=$1
	shift
	timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$HOST" -showcerts \
		"$@" </dev/null 2>/dev/null | "$IT_PYTHON" -c '
import base64, hashlib, re, sys
for m in re.finditer(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                     sys.stdin.read(), re.S):
    print(hashlib.sha256(base64.b64decode("".join(m.group(1).split()))).hexdigest())
'
}

# mailcert_chain: the same for the last run's JSON.
mailcert_chain() {
	"$IT_PYTHON" -c "$IT_JSON_LOAD"'
for c in load(sys.argv[1]).get("chain") or []:
    print(c["sha256"].replace(":", "").lower())
' "$IT_LAST_OUT"
}

# expect_chain DESC LEAF: the last run's chain as sent is $PKI/LEAF.pem then
# $PKI/inter.pem (the test PKI's intermediate).
expect_chain() {
	it_eq "$1: chain length 2" 2 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
	it_eq "$1: leaf sha256 is the '$2' leaf" "$(it_cert_sha256 "$PKI/$2.pem")" \
		"$(norm_hex "$(json_field "$IT_LAST_OUT" chain.0.sha256 || true)")"
	it_eq "$1: second certificate is the intermediate" "$(it_cert_sha256 "$PKI/inter.pem")" \
		"$(norm_hex "$(json_field "$IT_LAST_OUT" chain.1.sha256 || true)")"
}

# expect_chain_as_openssl DESC PORT [S_CLIENT-OPTIONS...]: the last run's
# chain, certificate by certificate, is what openssl s_client sees on the
# same port. s_client reports success even when no handshake happened
# (REAL-SERVERS.md), so it must also have received a certificate.
expect_chain_as_openssl() {
	local desc=$1 port=$2 ossl mine
	shift 2
	ossl=$(openssl_chain "$port" "$@" || true)
	mine=$(mailcert_chain || true)
	if [ -n "$ossl" ]; then
		it_ok "$desc: openssl s_client${*:+ $*} received a certificate"
	else
		it_not_ok "$desc: openssl s_client${*:+ $*} received a certificate" "it received none"
	fi
	it_eq "$desc: the chain (sha256 of each) is what openssl s_client${*:+ $*} sees" "$ossl" "$mine"
}

# ---------------------------------------------------------------------------
# Scenarios every real-server test runs (the caller sets CA=(--ca-file …)
# and PKI with its 'good' leaf)

# good_chain SCHEME PORT [S_CLIENT-OPTIONS...]: OK without findings, the
# scheme reported, the 'good' leaf and the intermediate as sent, and the
# chain openssl s_client sees with the options (e.g. -starttls imap).
good_chain() {
	local scheme=$1 port=$2 target desc
	shift 2
	target="$scheme://$HOST:$port"
	desc="good chain, $target"
	mc "$target" "${CA[@]}"
	expect 0 OK "$desc"
	expect_no_findings "$desc"
	it_eq "$desc: protocol $scheme" "$scheme" "$(json_field "$IT_LAST_OUT" protocol || true)"
	expect_chain "$desc" good
	expect_chain_as_openssl "$desc" "$port" "$@"
}

# untrusted_without_ca_file SCHEME PORT: the system store does not know
# the test root.
untrusted_without_ca_file() {
	local target="$1://$HOST:$2" desc
	desc="no --ca-file, $target"
	mc "$target"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" trust.untrusted
}

# wrong_name SCHEME PORT: the leaf is not valid for other.test.
wrong_name() {
	local target="$1://$HOST:$2" desc
	desc="-n other.test, $target"
	mc "$target" "${CA[@]}" -n other.test
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" name.mismatch
}

# sha256 values may come as upper case or with colons: compare the bytes.
norm_hex() {
	local h=${1//:/}
	printf '%s\n' "${h,,}"
}


# it_start_silent PORT [BACKLOG [ADDRESS]]: a listener on ADDRESS:PORT
# (default 127.0.0.1) that accepts and never says anything (a probe of it
# ends only by its deadline), stopped on exit.
it_start_silent() {
	local addr=${3:-127.0.0.1}
	local pidfile=$IT_WORK/silent-$addr-$1.pid
	"$IT_PYTHON" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[3], int(sys.argv[1])))
s.listen(int(sys.argv[2]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$1" "${2:-16}" "$addr" &
	echo $! >"$pidfile"
	it_on_exit it_stop_pidfile "$pidfile" 5
	it_wait_port "$addr" "$1" 10 || it_bail "silent listener on $addr:$1"
}

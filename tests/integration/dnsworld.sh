# A private DNS world on loopback for the real-server tests of `mailcert
# domain` and DANE: test zones served by NSD, signed (or deliberately
# broken) with BIND's dnssec-keygen/dnssec-signzone, a validating Unbound in
# front of them that trusts only the keys made here, and an HTTPS server
# for MTA-STS policies. Source it after lib.sh and it_workdir:
#
#   dw_zone example.test signed <<-EOF
#   	@ MX 10 mx1
#   	mx1 A 127.0.0.1
#   	_25._tcp.mx1 TLSA 3 1 1 $hash
#   	mta-sts A 127.0.3.1
#   EOF
#   dw_zone plain.test unsigned <<<'@ MX 10 mx1.example.test.'
#   dw_start          # DW_RESOLVER, DW_RESOLVER_UNBOUND, DW_ANCHOR, …
#   dw_https_start "$PKI/sts.chain" "$PKI/sts.key" "$IT_WORK/www"
#
# Everything lives under $DW_DIR (in the test's work directory): zone
# files, keys, daemon configs, pid files and logs. The daemons run as root
# in the foreground (no chroot, no privilege drop), each stopped at exit by
# the pid the shell got for it, never by name.
#
# Needs: nsd, unbound, bind9-utils (dnssec-keygen, dnssec-signzone,
# dnssec-dsfromkey), bind9-dnsutils (dig, for the readiness checks),
# python3 (tests/run installs them). Root: the HTTPS server listens on
# port 443.
# shellcheck shell=bash

if [ -z "${IT_WORK:-}" ]; then
	echo "dnsworld.sh: source it after lib.sh's it_workdir" >&2
	exit 2
fi

DW_DIR=$IT_WORK/dnsworld
# The trust anchors: one DS record (SHA-256 digest, zone-file syntax) per
# signed or bogus zone. Both Unbound's trust-anchor-file and libunbound's
# ub_ctx_add_ta_file() read it. Exists (maybe empty) once a zone is added.
DW_ANCHOR=$DW_DIR/anchors.ds
DW_ZONES=()
# Set by dw_start:
DW_RESOLVER=           # 127.0.0.1:PORT, the validating Unbound
DW_RESOLVER_UNBOUND=   # 127.0.0.1@PORT, the same in libunbound's syntax
DW_RESOLVER_PORT=
DW_NSD_PORT=           # NSD, authoritative for every zone (no validation)
DW_NSD_UNBOUND=        # 127.0.0.1@PORT, for ub_ctx_set_stub()
# Set by dw_https_start:
DW_HTTPS_ADDR=
DW_HTTPS_LOG=
export DW_DIR DW_ANCHOR

# dw_zone NAME MODE <RECORDS: add zone NAME (e.g. example.test, no
# trailing dot needed) with the records read from stdin in zone-file
# syntax: owner names relative to NAME ("@", "mx1", "_25._tcp.mx1") or
# absolute with a trailing dot, a TTL may be left out (300). SOA and NS
# are added here: the NS is dw-ns.NAME (A 127.0.0.1), so do not define
# "dw-ns". MODE:
#   signed    a fresh ECDSA P-256 key (algorithm 13, one key, flags 257,
#             signing everything), NSEC, signatures valid from an hour ago
#             for 30 days; the key's DS goes into $DW_ANCHOR.
#   bogus     signed as above and anchored, then the RDATA of every TLSA
#             record is changed (the last hex digit) after signing, so
#             those RRsets fail validation (Unbound: SERVFAIL, with +cd
#             the data) while the rest of the zone validates.
#   unsigned  served as written, no anchor: insecure (no trust anchor
#             covers it; answers come without AD).
# Call before dw_start, once per zone. Zones nested in one another are
# untested: there are no delegations or DS records between zones, each
# signed zone is an island under its own anchor.
dw_zone() {
	local name=${1%.} mode=$2 src key
	[ -z "$DW_RESOLVER" ] || it_bail "dw_zone $name: after dw_start (the daemons read their zones once)"
	case $mode in
	signed | bogus | unsigned) ;;
	*) it_bail "dw_zone $name: unknown mode '$mode' (signed, unsigned or bogus)" ;;
	esac
	mkdir -p "$DW_DIR/zones" "$DW_DIR/keys"
	[ -e "$DW_ANCHOR" ] || : >"$DW_ANCHOR"
	src=$DW_DIR/zones/$name.src
	{
		# shellcheck disable=SC2016 # zone-file directives, not shell
		printf '$ORIGIN %s.\n$TTL 300\n' "$name"
		printf '@ SOA dw-ns hostmaster 1 3600 600 86400 300\n'
		printf '@ NS dw-ns\ndw-ns A 127.0.0.1\n'
		cat
	} >"$src"
	if [ "$mode" = unsigned ]; then
		cp "$src" "$DW_DIR/zones/$name.zone"
	else
		# One key flagged KSK that signs every RRset (-z): a DS or
		# DNSKEY anchor must point at a key with the SEP flag, and a
		# separate ZSK would only cost time.
		key=$(dnssec-keygen -q -K "$DW_DIR/keys" -a ECDSAP256SHA256 -f KSK "$name" 2>"$DW_DIR/keys/$name.err") ||
			it_bail "dw_zone $name: dnssec-keygen: $(cat "$DW_DIR/keys/$name.err")"
		grep -v '^;' "$DW_DIR/keys/$key.key" >>"$src"
		# -O full: one record a line, so the TLSA lines are easy to find
		# for the bogus mode.
		dnssec-signzone -q -z -O full -N keep -o "$name" -d "$DW_DIR/keys" \
			-f "$DW_DIR/zones/$name.zone" "$src" "$DW_DIR/keys/$key" \
			>"$DW_DIR/keys/$name.err" 2>&1 ||
			it_bail "dw_zone $name: dnssec-signzone: $(cat "$DW_DIR/keys/$name.err")"
		dnssec-dsfromkey -2 "$DW_DIR/keys/$key.key" >>"$DW_ANCHOR" 2>"$DW_DIR/keys/$name.err" ||
			it_bail "dw_zone $name: dnssec-dsfromkey: $(cat "$DW_DIR/keys/$name.err")"
	fi
	if [ "$mode" = bogus ]; then
		# In -O full output a TLSA line is "owner TTL IN TLSA u s m hex…":
		# its last character is a hex digit of the association data.
		awk '$4 == "TLSA" {
			c = substr($0, length($0), 1)
			$0 = substr($0, 1, length($0) - 1) (c == "0" ? "1" : "0")
			n++
		}
		{ print }
		END { if (!n) exit 3 }' "$DW_DIR/zones/$name.zone" >"$DW_DIR/zones/$name.bogus" ||
			it_bail "dw_zone $name: bogus mode, but the zone has no TLSA record to corrupt"
		mv -f "$DW_DIR/zones/$name.bogus" "$DW_DIR/zones/$name.zone"
	fi
	DW_ZONES+=("$name")
}

# Logs whose tail was printed already (by dw_fail_log), not to repeat it.
DW_SHOWN=" "

# dw_show_log LOG: its last lines, once.
dw_show_log() {
	case $DW_SHOWN in *" $1 "*) return 0 ;; esac
	[ -s "$1" ] || return 0
	DW_SHOWN+="$1 "
	it_note "--- last lines of $1"
	tail -n 30 "$1" | sed 's/^/#   | /'
}

# dw_dump_logs: the daemons' logs, when something went wrong.
dw_dump_logs() {
	[ "$IT_FAILED" -gt 0 ] || return 0
	local f
	for f in "$DW_DIR/nsd.log" "$DW_DIR/unbound.log" "$DW_DIR"/https-*.log "$DW_DIR"/https-*.err; do
		dw_show_log "$f"
	done
}

# dw_fail_log WHAT LOG: stop the test, with the tail of LOG.
dw_fail_log() {
	dw_show_log "$2"
	it_bail "$1"
}

# dw_dig ARGS...: dig with short timeouts (a readiness probe).
dw_dig() {
	dig +time=1 +tries=1 "$@" 2>&1
}

# dw_dig_gist DIG-OUTPUT: its status, flags and error lines, for messages.
dw_dig_gist() {
	printf '%s\n' "$1" | grep -E 'status:|flags:|EDE|timed out|refused' | tr -s '\n;' ' '
}

# dw_start: start NSD, authoritative for every zone added, on
# 127.0.0.1:<free port>, and a validating Unbound on 127.0.0.1:<free port>
# with a stub zone to NSD per zone and $DW_ANCHOR as its only trust anchors
# (no root key). Both stop at exit. Sets and exports DW_RESOLVER
# ("127.0.0.1:PORT"), DW_RESOLVER_UNBOUND ("127.0.0.1@PORT"),
# DW_RESOLVER_PORT, DW_NSD_PORT, DW_NSD_UNBOUND ("127.0.0.1@PORT") and
# DW_ANCHOR. Returns once every zone's SOA comes from both, and with AD
# from Unbound for the signed and bogus zones; otherwise it_bail with the
# daemon's log tail.
#
# Unbound treats "test." (and the other special-use names) as a local
# zone by default: here the top-level label of every zone is a static
# local zone instead (any other name under it is NXDOMAIN at once, rather
# than a query to the real root servers) and each zone a transparent one,
# resolved through its stub. Answers are cached: change no zone after
# dw_start.
#
# A libunbound client (ub_ctx_set_fwd(DW_RESOLVER_UNBOUND) or
# ub_ctx_set_stub(zone, DW_NSD_UNBOUND) per zone, ub_ctx_add_ta_file
# (DW_ANCHOR)) has the same default local zone "test." and answers NXDOMAIN
# without asking anyone, unless told otherwise, e.g. ub_ctx_set_option(ctx,
# "local-zone:", "test. transparent"). ("test. nodefault" through
# ub_ctx_set_option does not work in libunbound 1.17.1: it is stored as a
# zone named "test. nodefault".) Forwarding, libunbound retries a SERVFAIL
# with CD=1 and validates itself: a bogus zone comes out as bogus=1 with
# why_bogus, as it does with the stubs.
dw_start() {
	local ports nsd_port ub_port zone tld out tlds=()
	[ ${#DW_ZONES[@]} -gt 0 ] || it_bail "dw_start: no zone (dw_zone first)"
	: >"$DW_DIR/nsd.log"
	: >"$DW_DIR/unbound.log"
	it_on_exit dw_dump_logs
	ports=$(it_free_ports 2)
	nsd_port=${ports% *}
	ub_port=${ports#* }

	{
		cat <<-EOF
			server:
			    ip-address: 127.0.0.1
			    port: $nsd_port
			    do-ip6: no
			    username: ""
			    chroot: ""
			    zonesdir: "$DW_DIR/zones"
			    database: ""
			    zonelistfile: "$DW_DIR/nsd.zonelist"
			    xfrdfile: "$DW_DIR/nsd.xfrd.state"
			    xfrdir: "$DW_DIR"
			    pidfile: "$DW_DIR/nsd.own.pid"
			    logfile: "$DW_DIR/nsd.log"
			    server-count: 1
			    verbosity: 1
			    hide-version: yes
			remote-control:
			    control-enable: no
		EOF
		for zone in "${DW_ZONES[@]}"; do
			printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n' "$zone" "$zone"
		done
	} >"$DW_DIR/nsd.conf"
	nsd-checkconf "$DW_DIR/nsd.conf" >>"$DW_DIR/nsd.log" 2>&1 ||
		dw_fail_log "nsd-checkconf $DW_DIR/nsd.conf" "$DW_DIR/nsd.log"

	for zone in "${DW_ZONES[@]}"; do
		tld=${zone##*.}
		case " ${tlds[*]} " in *" $tld "*) ;; *) tlds+=("$tld") ;; esac
	done
	{
		cat <<-EOF
			server:
			    interface: 127.0.0.1
			    port: $ub_port
			    do-ip6: no
			    username: ""
			    chroot: ""
			    directory: "$DW_DIR"
			    logfile: "$DW_DIR/unbound.log"
			    use-syslog: no
			    log-time-ascii: yes
			    verbosity: 1
			    val-log-level: 2
			    log-servfail: yes
			    num-threads: 1
			    module-config: "validator iterator"
			    trust-anchor-file: "$DW_ANCHOR"
			    trust-anchor-signaling: no
			    root-key-sentinel: no
			    do-not-query-localhost: no
			    qname-minimisation: no
			    access-control: 127.0.0.0/8 allow
			remote-control:
			    control-enable: no
		EOF
		# Zones that are a top-level name themselves keep only their
		# transparent entry (one local-zone per name).
		for tld in "${tlds[@]}"; do
			case " ${DW_ZONES[*]} " in *" $tld "*) continue ;; esac
			printf 'server:\n    local-zone: "%s." static\n' "$tld"
		done
		for zone in "${DW_ZONES[@]}"; do
			printf 'server:\n    local-zone: "%s." transparent\n' "$zone"
			printf 'stub-zone:\n    name: "%s."\n    stub-addr: 127.0.0.1@%s\n' "$zone" "$nsd_port"
		done
	} >"$DW_DIR/unbound.conf"
	unbound-checkconf "$DW_DIR/unbound.conf" >>"$DW_DIR/unbound.log" 2>&1 ||
		dw_fail_log "unbound-checkconf $DW_DIR/unbound.conf" "$DW_DIR/unbound.log"

	# -d: stays in the foreground, so $! is the daemon's pid.
	nsd -d -c "$DW_DIR/nsd.conf" </dev/null >>"$DW_DIR/nsd.log" 2>&1 &
	echo $! >"$DW_DIR/nsd.pid"
	it_on_exit it_stop_pidfile "$DW_DIR/nsd.pid" 10
	# -p: no pid file of its own (ours holds $!).
	unbound -d -p -c "$DW_DIR/unbound.conf" </dev/null >>"$DW_DIR/unbound.log" 2>&1 &
	echo $! >"$DW_DIR/unbound.pid"
	it_on_exit it_stop_pidfile "$DW_DIR/unbound.pid" 10

	it_wait_port 127.0.0.1 "$nsd_port" 10 ||
		dw_fail_log "nsd listens on 127.0.0.1:$nsd_port" "$DW_DIR/nsd.log"
	it_wait_port 127.0.0.1 "$ub_port" 10 ||
		dw_fail_log "unbound listens on 127.0.0.1:$ub_port" "$DW_DIR/unbound.log"
	for zone in "${DW_ZONES[@]}"; do
		out=$(dw_dig @127.0.0.1 -p "$nsd_port" +norec SOA "$zone.")
		case $out in
		*"status: NOERROR"*"flags: qr aa"*) ;;
		*) dw_fail_log "nsd serves $zone: $(dw_dig_gist "$out")" "$DW_DIR/nsd.log" ;;
		esac
		out=$(dw_dig @127.0.0.1 -p "$ub_port" +dnssec SOA "$zone.")
		case $out in
		*"status: NOERROR"*"ANSWER: 0,"*) dw_fail_log "unbound resolves $zone: $(dw_dig_gist "$out")" "$DW_DIR/unbound.log" ;;
		*"status: NOERROR"*) ;;
		*) dw_fail_log "unbound resolves $zone: $(dw_dig_gist "$out")" "$DW_DIR/unbound.log" ;;
		esac
		if grep -q "^$zone\\. " "$DW_ANCHOR"; then
			case $out in
			*"flags: qr rd ra ad;"*) ;;
			*) dw_fail_log "unbound validates $zone (no AD): $(dw_dig_gist "$out")" "$DW_DIR/unbound.log" ;;
			esac
		fi
	done

	DW_NSD_PORT=$nsd_port
	DW_NSD_UNBOUND=127.0.0.1@$nsd_port
	DW_RESOLVER_PORT=$ub_port
	DW_RESOLVER=127.0.0.1:$ub_port
	DW_RESOLVER_UNBOUND=127.0.0.1@$ub_port
	export DW_NSD_PORT DW_NSD_UNBOUND DW_RESOLVER_PORT DW_RESOLVER DW_RESOLVER_UNBOUND
	it_ok "dns world: nsd on $nsd_port, validating unbound on $ub_port, zones ${DW_ZONES[*]}"
}

# dw_https_start CERT KEY DOCROOT [ADDR]: an HTTPS server on ADDR:443
# (default 127.0.3.1; MTA-STS policies are always fetched from port 443,
# so point mta-sts.<domain> at ADDR in the zone). CERT is the PEM chain it
# sends (leaf first, then intermediates), KEY its key. A GET or HEAD of
# PATH with Host: HOST (any port stripped, lower-cased) answers
#   301 Location: URL  when DOCROOT/HOST/PATH.redirect exists, holding URL
#                      (checked first; MTA-STS fetchers must not follow it)
#   200 the file       when DOCROOT/HOST/PATH is a file; Content-Type
#                      text/plain for .txt, application/octet-stream else
#   404                otherwise (400 for a missing Host or a ".." in it)
# Every request is a line of DW_HTTPS_LOG (exported), space separated:
#   CLIENT-IP SNI-NAME-OR-- HOST METHOD PATH STATUS
# A connection the server sees fail (a TLS error before the request) is a
# line "tls-error CLIENT-IP REASON"; a TLS 1.3 client that rejects the
# certificate after the handshake may leave no line at all. The server's
# own stderr goes to DW_HTTPS_LOG with .err for .log. Stopped at exit.
# ADDR differs per test when tests that use this may run at the same time.
dw_https_start() {
	local cert=$1 key=$2 root=$3 addr=${4:-127.0.3.1} pidfile errlog
	mkdir -p "$DW_DIR"
	DW_HTTPS_ADDR=$addr
	DW_HTTPS_LOG=$DW_DIR/https-$addr.log
	export DW_HTTPS_ADDR DW_HTTPS_LOG
	pidfile=$DW_DIR/https-$addr.pid
	errlog=$DW_DIR/https-$addr.err
	: >"$DW_HTTPS_LOG"
	"$IT_PYTHON" -c '
import http.server, os, ssl, sys, threading, urllib.parse

cert, key, root, addr, logpath = sys.argv[1:6]
log = open(logpath, "a", buffering=1)
lock = threading.Lock()

def note(line):
    with lock:
        log.write(line + "\n")

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)

def sni(sock, name, _ctx):
    sock.dw_sni = name

ctx.sni_callback = sni

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dnsworld"
    sys_version = ""
    dw_host = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", ctype="text/plain", location=None):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True
        note("%s %s %s %s %s %d" % (self.client_address[0],
             getattr(self.connection, "dw_sni", None) or "-",
             self.dw_host or "-", self.command,
             self.path.replace(" ", "%20"), status))

    def do_GET(self):
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            host = host.split("]")[0] + "]"
        else:
            host = host.split(":")[0]
        self.dw_host = host
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        parts = [p for p in path.split("/") if p]
        if (not host or "/" in host or host.startswith(".")
                or any(p in (".", "..") for p in parts)):
            return self.reply(400, b"bad request\n")
        fs = os.path.join(root, host, *parts)
        if os.path.isfile(fs + ".redirect"):
            with open(fs + ".redirect") as f:
                url = f.read().strip()
            return self.reply(301, b"moved\n", location=url)
        if parts and os.path.isfile(fs):
            with open(fs, "rb") as f:
                body = f.read()
            ctype = "text/plain" if fs.endswith(".txt") else "application/octet-stream"
            return self.reply(200, body, ctype)
        return self.reply(404, b"not found\n")

    do_HEAD = do_GET

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        # The handshake runs in the request thread (on the first read),
        # so a client that stalls or fails it blocks nobody.
        sock, peer = self.socket.accept()
        return ctx.wrap_socket(sock, server_side=True,
                               do_handshake_on_connect=False), peer

    def handle_error(self, request, client_address):
        note("tls-error %s %s" % (client_address[0], sys.exc_info()[1]))

Server((addr, 443), Handler).serve_forever()
' "$cert" "$key" "$root" "$addr" "$DW_HTTPS_LOG" </dev/null >"$errlog" 2>&1 &
	echo $! >"$pidfile"
	it_on_exit it_stop_pidfile "$pidfile" 5
	it_wait_port "$addr" 443 10 || dw_fail_log "https server listens on $addr:443" "$errlog"
}

#!/usr/bin/env bash
# Real-server test: `mailcert check nntp://` (STARTTLS, RFC 4642) and
# `nntps://` (implicit TLS) against INN 2.7's nnrpd on loopback.
#
# usage: test-inn.sh PATH-TO-MAILCERT
#
# One INN tree in the temporary directory: an inn.conf (the package's
# /etc/news/inn.conf with every path moved into the tree), readers.conf and
# storage.conf copied from /etc/news, an active file, and an empty
# tradindexed overview database (without one nnrpd greets every client
# with "400 NNRP server unavailable"). Three standalone nnrpd as news:
#   tls    nntp://, the test PKI's leaf mail.test + intermediate
#   tlsS   nntps:// (nnrpd -S: TLS from the first byte), same settings
#   plain  nntp://, an inn.conf without any tls* setting
# Checks the good chain on both TLS ports against what `openssl s_client
# [-starttls nntp]` sees on the same port, the chain without the test
# root, a wrong expected name, and the plain nnrpd: it still lists
# STARTTLS among its capabilities but answers it "580 Error initializing
# TLS", so the finding is starttls.refused, not starttls.not-offered.
# Needs root, inn2, gnutls-bin, openssl and python3.

# Functions run through it_on_exit and it_check look unreachable to it:
# shellcheck disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$here/lib.sh"

it_need_mailcert "${1:-}"
NNRPD=/usr/lib/news/bin/nnrpd
TDX_UTIL=/usr/lib/news/bin/tdx-util
for tool in "$NNRPD" "$TDX_UTIL" runuser certtool openssl python3; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is not installed (inn2, gnutls-bin, openssl)" >&2
		exit 2
	}
done
for f in inn.conf readers.conf storage.conf; do
	[ -r "/etc/news/$f" ] || {
		echo "$0: /etc/news/$f is missing (install and configure inn2)" >&2
		exit 2
	}
done
id news >/dev/null 2>&1 || {
	echo "$0: there is no news user (install inn2)" >&2
	exit 2
}

HOST=mail.test

it_workdir
PKI=$IT_WORK/pki
N=$IT_WORK/inn

# ---------------------------------------------------------------------------
# INN

# write_conf NAME [TLS]: $N/etc-NAME/inn.conf, the package's inn.conf with
# every path in $N (shared by the daemons; each writes its pid file as
# nnrpd-PORT.pid in pathrun) and, with TLS, the certificate settings.
write_conf() {
	local name=$1 tls=${2:-} dir=$N/etc-$1 key
	mkdir -p "$dir"
	cp /etc/news/readers.conf /etc/news/storage.conf "$dir/"
	sed -E '/^(path(etc|db|overview|run|log|spool|tmp|articles|incoming|outgoing|archive|http)|tls[a-z]*|domain|pathhost):/d' \
		/etc/news/inn.conf >"$dir/inn.conf"
	{
		echo "domain: $HOST"
		echo "pathhost: $HOST"
		for key in db overview run log spool tmp http; do
			echo "path$key: $N/$key"
		done
		echo "pathetc: $dir"
		echo "patharticles: $N/spool/articles"
		echo "pathincoming: $N/spool/incoming"
		echo "pathoutgoing: $N/spool/outgoing"
		echo "patharchive: $N/spool/archive"
		if [ -n "$tls" ]; then
			echo "tlscafile: $PKI/root.pem"
			echo "tlscertfile: $N/server.crt"
			echo "tlskeyfile: $N/server.key"
		fi
	} >>"$dir/inn.conf"
}

# as_news NAME CMD...: CMD as news, with the inn.conf of NAME.
as_news() {
	local name=$1
	shift
	runuser -u news -- env "INNCONF=$N/etc-$name/inn.conf" "$@"
}

setup() {
	mkdir -p "$N"/{db,overview,run,log,spool/articles,spool/incoming,spool/outgoing,spool/archive,tmp,http}
	cat "$PKI/good.pem" "$PKI/inter.pem" >"$N/server.crt"
	# nnrpd refuses a key that others may read.
	install -m 0600 "$PKI/good.key" "$N/server.key"
	printf '%s\n' 'control 0000000000 0000000001 n' 'junk 0000000000 0000000001 n' \
		>"$N/db/active"
	: >"$N/db/active.times"
	: >"$N/db/history"
	write_conf tls tls
	write_conf plain
	chown -R news:news "$N"
	chmod o+rx "$IT_WORK" "$PKI"
	chmod o+r "$PKI/root.pem"
	# The empty overview database (group.index): nnrpd answers 400 without it.
	as_news tls "$TDX_UTIL" -A >"$N/tdx-util.log" 2>&1 ||
		it_bail "tdx-util -A made no overview database (see $N/tdx-util.log)"
	[ -s "$N/overview/group.index" ] || it_bail "tdx-util -A made no $N/overview/group.index"
}

# start_nnrpd NAME PORT [NNRPD-OPTIONS...]: a standalone nnrpd as news with
# NAME's inn.conf; it forks and writes $N/run/nnrpd-PORT.pid.
start_nnrpd() {
	local name=$1 port=$2 pidfile=$N/run/nnrpd-$2.pid
	shift 2
	it_on_exit it_stop_pidfile "$pidfile" 10
	as_news "$name" "$NNRPD" -D -b 127.0.0.1 -p "$port" "$@" >"$N/nnrpd-$port.log" 2>&1 ||
		it_bail "nnrpd $name on port $port (see $N/nnrpd-$port.log; it logs to syslog)"
	it_wait_port 127.0.0.1 "$port" 10 || it_bail "nnrpd $name listens on port $port"
	it_ok "nnrpd $name started (pid $(it_read_pidfile "$pidfile" || echo '?')), port $port $*"
}

# ---------------------------------------------------------------------------
# The scenarios

CA=() # set once the PKI exists

# nnrpd without TLS settings lists STARTTLS all the same (INN decides per
# connection, when it loads the certificate) and answers it with 580.
refused() {
	local target="nntp://$HOST:$1" desc msg
	desc="nnrpd without TLS settings, $target"
	mc "$target" "${CA[@]}"
	expect 2 CRITICAL "$desc"
	expect_finding "$desc" starttls.refused
	msg=$(json_field "$IT_LAST_OUT" findings.0.message || true)
	it_contains "$desc: the message quotes nnrpd" '"580 Error initializing TLS"' "$msg"
	it_eq "$desc: no certificate" 0 "$(json_field "$IT_LAST_OUT" 'chain.#' || true)"
}

main() {
	local started=$SECONDS NNTP NNTPS PLAIN
	read -r NNTP NNTPS PLAIN < <(it_free_ports 3)

	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	CA=(--ca-file "$PKI/root.pem")
	setup
	start_nnrpd tls "$NNTP"
	start_nnrpd tls "$NNTPS" -S
	start_nnrpd plain "$PLAIN"

	good_chain nntp "$NNTP" -starttls nntp
	good_chain nntps "$NNTPS"
	untrusted_without_ca_file nntp "$NNTP"
	untrusted_without_ca_file nntps "$NNTPS"
	wrong_name nntp "$NNTP"
	wrong_name nntps "$NNTPS"
	refused "$PLAIN"

	it_note "nnrpd scenarios took $((SECONDS - started)) s"
	it_finish
}

main

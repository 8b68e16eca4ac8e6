#!/usr/bin/env bash
# Differential test: check_mailcert against Debian's check_ssl_cert
# (monitoring-plugins-contrib), same flags, same port, same moment.
#
# usage: test-check-ssl-cert-diff.sh PATH-TO-CHECK_MAILCERT
#
# A private Postfix on loopback (STARTTLS port and implicit-TLS port)
# serves, one after the other (postfix reload), the certificate scenarios
# of issue 5: good, expiring (20 days left), expired, self-signed, wrong
# name, incomplete chain (leaf only). For each scenario every flag set of
# FLAGSETS below is run through both plugins, and their exit states (0-3)
# must be equal, except where docs/check_ssl_cert.md documents a
# deliberate difference: then the pair of states it documents is asserted
# (DIFFERENCES below). check_ssl_cert takes ~2 s a run, so the runs of one
# scenario go in parallel. The matrix is printed at the end.
# Needs root, postfix, gnutls-bin, python3 and check_ssl_cert.

# shellcheck disable=SC2317 # functions run through it_on_exit
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

CHECK_MAILCERT=${1:-}
if [ -z "$CHECK_MAILCERT" ] || [ ! -x "$CHECK_MAILCERT" ]; then
	echo "usage: $0 PATH-TO-CHECK_MAILCERT (got '$CHECK_MAILCERT', not an executable)" >&2
	exit 2
fi
CHECK_SSL_CERT=/usr/lib/nagios/plugins/check_ssl_cert
for tool in postfix certtool gnutls-cli python3 "$CHECK_SSL_CERT"; do
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
started=$SECONDS

# ---------------------------------------------------------------------------
# Certificates (as test-postfix.sh makes them)

bundle() {
	local name=$1
	shift
	cat "$@" >"$PKI/$name.bundle"
	chmod 0600 "$PKI/$name.bundle"
}

make_pki() {
	it_pki_ca "$PKI"
	it_pki_leaf "$PKI" good "-1 day" "+90 days" "$HOST"
	it_pki_leaf "$PKI" expiring "-60 days" "+20 days" "$HOST"
	it_pki_leaf "$PKI" expired "-30 days" "-2 days" "$HOST"
	it_pki_leaf "$PKI" wrongname "-1 day" "+90 days" other.test
	it_pki_cert "$PKI" selfsigned - "-1 day" "+90 days" "cn = \"$HOST\"" \
		"dns_name = \"$HOST\"" tls_www_server signing_key encryption_key
	bundle good "$PKI/good.key" "$PKI/good.pem" "$PKI/inter.pem"
	bundle expiring "$PKI/expiring.key" "$PKI/expiring.pem" "$PKI/inter.pem"
	bundle expired "$PKI/expired.key" "$PKI/expired.pem" "$PKI/inter.pem"
	bundle selfsigned "$PKI/selfsigned.key" "$PKI/selfsigned.pem"
	bundle wrongname "$PKI/wrongname.key" "$PKI/wrongname.pem" "$PKI/inter.pem"
	bundle leafonly "$PKI/good.key" "$PKI/good.pem"
}

# scenario → the leaf it serves
SCENARIOS=(good expiring expired selfsigned wrongname leafonly)
declare -A LEAF=([good]=good [expiring]=expiring [expired]=expired [selfsigned]=selfsigned
	[wrongname]=wrongname [leafonly]=good)

read -r PORT_SUB PORT_SMTPS <<<"$(it_free_ports 2)"

serve() {
	install -m 0600 "$PKI/$1.bundle" "$PF_CONF/current.pem"
	pf_cmd reload || it_bail "postfix reload for '$1'"
	local sha
	sha=$(it_cert_sha256 "$PKI/${LEAF[$1]}.pem")
	it_check "postfix serves '$1' on the STARTTLS port" \
		it_wait_served 127.0.0.1 "$PORT_SUB" smtp "$sha" 15
	it_check "postfix serves '$1' on the implicit-TLS port" \
		it_wait_served 127.0.0.1 "$PORT_SMTPS" "" "$sha" 15
}

# ---------------------------------------------------------------------------
# The flag sets: name → check_ssl_cert's flags. ROOT is the test root CA.
# Without -r (or -A) both plugins distrust the private CA; both require
# SCTs unless --ignore-sct or -s, so the root flag set is CRITICAL in both
# (a private CA's certificates have none). -H 127.0.0.1 checks
# no name in check_ssl_cert (an IP address); -H mail.test with --resolve
# checks the host name, as a real service definition does.

ROOT=$IT_WORK/pki/root.pem
SUB="-H 127.0.0.1 -P smtp -p $PORT_SUB"
NAMED="-H $HOST --resolve 127.0.0.1 -P smtp -p $PORT_SUB"
FLAGSET_NAMES=(plain root root-nosct w30c15 cn selfsigned noauth ignore-exp smtps host dms
	issuer-le issuer-root)
declare -A FLAGSETS=(
	[plain]="$SUB"
	[root]="$SUB -r $ROOT"
	[root-nosct]="$SUB -r $ROOT --ignore-sct"
	[w30c15]="$SUB -r $ROOT --ignore-sct -w 30 -c 15"
	[cn]="$SUB -r $ROOT --ignore-sct --cn $HOST"
	[selfsigned]="$SUB -s"
	[noauth]="$SUB -A --ignore-sct"
	[ignore-exp]="$SUB -r $ROOT --ignore-sct --ignore-exp"
	[smtps]="-H 127.0.0.1 -P smtps -p $PORT_SMTPS -r $ROOT --ignore-sct"
	[host]="$NAMED -r $ROOT --ignore-sct"
	# The Docker-Mailserver command (its issuer and names made ours; the
	# patterns are one word each: "." for the spaces)
	[dms]="$NAMED -w 30 -c 15 --issuer mailcert.test.intermediate.CA --cn $HOST -r $ROOT --ignore-sct"
	[issuer-le]="$SUB -r $ROOT --ignore-sct --issuer Let.s.Encrypt"
	[issuer-root]="$SUB -r $ROOT --ignore-sct --issuer mailcert.test.root.CA"
)

# Deliberate differences, each explained in docs/check_ssl_cert.md:
# "scenario/flagset" → "check_ssl_cert-state check_mailcert-state".
declare -A DIFFERENCES=(
	# --issuer: check_ssl_cert matches the issuer of every certificate of
	# the chain (so the root's name passes through the intermediate);
	# check_mailcert the leaf's issuer only.
	[good/issuer-root]="0 2"
	[expiring/issuer-root]="1 2"
	[wrongname/issuer-root]="0 2"
)

# ---------------------------------------------------------------------------

declare -A CSC MC

# run_scenario NAME: both plugins, every flag set, in parallel.
# shellcheck disable=SC2086 # the flag sets are word lists
run_scenario() {
	local sc=$1 fs dir=$IT_WORK/runs/$1 pids=()
	mkdir -p "$dir"
	for fs in "${FLAGSET_NAMES[@]}"; do
		(
			rc=0
			timeout 60 "$CHECK_SSL_CERT" ${FLAGSETS[$fs]} \
				>"$dir/$fs.csc.out" 2>"$dir/$fs.csc.err" || rc=$?
			echo "$rc" >"$dir/$fs.csc.rc"
		) &
		pids+=($!)
		(
			rc=0
			timeout 60 "$CHECK_MAILCERT" ${FLAGSETS[$fs]} \
				>"$dir/$fs.mc.out" 2>"$dir/$fs.mc.err" || rc=$?
			echo "$rc" >"$dir/$fs.mc.rc"
		) &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	for fs in "${FLAGSET_NAMES[@]}"; do
		CSC[$sc/$fs]=$(cat "$dir/$fs.csc.rc")
		MC[$sc/$fs]=$(cat "$dir/$fs.mc.rc")
		compare "$sc" "$fs" "$dir"
	done
}

compare() {
	local sc=$1 fs=$2 dir=$3 key=$1/$2 want desc
	desc="$sc, check_ssl_cert ${FLAGSETS[$fs]//$IT_WORK/WORK}"
	if [ -n "${DIFFERENCES[$key]:-}" ]; then
		want=${DIFFERENCES[$key]}
		desc="$desc: the documented difference ($want)"
	else
		want="${CSC[$key]} ${CSC[$key]}"
		desc="$desc: same state"
	fi
	if [ "${CSC[$key]} ${MC[$key]}" = "$want" ]; then
		it_ok "$desc"
	else
		it_not_ok "$desc" "check_ssl_cert ${CSC[$key]}, check_mailcert ${MC[$key]}, expected $want"
		it_note "  check_ssl_cert: $(head -n 1 "$dir/$fs.csc.out")"
		it_note "  check_mailcert: $(head -n 3 "$dir/$fs.mc.out" | tr '\n' ' ')"
	fi
}

print_matrix() {
	local sc fs line
	it_note "matrix: check_ssl_cert/check_mailcert exit states (* = documented difference)"
	line=$(printf '%-11s' scenario)
	for fs in "${FLAGSET_NAMES[@]}"; do line+=$(printf ' %-11s' "$fs"); done
	it_note "$line"
	for sc in "${SCENARIOS[@]}"; do
		line=$(printf '%-11s' "$sc")
		for fs in "${FLAGSET_NAMES[@]}"; do
			local mark=
			[ -z "${DIFFERENCES[$sc/$fs]:-}" ] || mark='*'
			line+=$(printf ' %-11s' "${CSC[$sc/$fs]:-?}/${MC[$sc/$fs]:-?}$mark")
		done
		it_note "$line"
	done
}

main() {
	make_pki
	# The first certificate: Postfix needs one to start.
	mkdir -p "$PF_CONF"
	pf_write_config "smtpd_tls_chain_files = $PF_CONF/current.pem" <<-EOF
		127.0.0.1:$PORT_SUB inet n - n - - smtpd
		  -o smtpd_tls_security_level=encrypt
		127.0.0.1:$PORT_SMTPS inet n - n - - smtpd
		  -o smtpd_tls_wrappermode=yes
	EOF
	install -m 0600 "$PKI/good.bundle" "$PF_CONF/current.pem"
	pf_start "$PORT_SUB" "$PORT_SMTPS"

	local sc
	for sc in "${SCENARIOS[@]}"; do
		serve "$sc"
		run_scenario "$sc"
	done
	print_matrix
	it_note "differential test took $((SECONDS - started)) s"
	it_finish
}

main

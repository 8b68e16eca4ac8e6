#!/usr/bin/env bash
# Makes the seed corpus of fuzz-revocation (corpus/revocation/): real OCSP
# responses (openssl ocsp as a responder) and CRLs (certtool) for the
# fixed chain of fuzz-revocation.c, which writes it when asked.
# Usage: tests/fuzz/make-revocation-seeds.sh FUZZ-BUILD-DIR
# The responses are valid for a day from when this runs: update NOW in
# fuzz-revocation.c to a time within that day when the seeds are remade.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus/revocation
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
MC_FUZZ_REVOCATION_DUMP=$work "$build/tests/fuzz/fuzz-revocation" -runs=1 >/dev/null 2>&1
cd "$work"

serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

# ocsp NAME SUBJECT ISSUER SIGNER STATUS: resp-NAME.der about SUBJECT
# (STATUS: V, R or unknown) from ISSUER's responder signed by SIGNER.
ocsp() {
	local name=$1 subject=$2 issuer=$3 signer=$4 status=$5
	{
		case $status in
		V) printf 'V\t391231000000Z\t\t%s\tunknown\t/CN=%s\n' "$(serial "$subject")" "$name" ;;
		R) printf 'R\t391231000000Z\t261120120000Z,keyCompromise\t%s\tunknown\t/CN=%s\n' \
			"$(serial "$subject")" "$name" ;;
		esac
		printf 'V\t391231000000Z\t\t7777\tunknown\t/CN=other\n'
	} >"idx-$name"
	openssl ocsp -issuer "$issuer" -cert "$subject" -reqout "req-$name.der" -no_nonce >/dev/null
	openssl ocsp -index "idx-$name" -CA "$issuer" -rsigner "$signer.pem" -rkey "$signer.key" \
		-reqin "req-$name.der" -respout "resp-$name.der" -ndays 1 -resp_no_certs >/dev/null 2>&1
}

# crl NAME CA [REVOKED-CERT]: crl-NAME.der signed by CA.
crl() {
	local name=$1 ca=$2
	shift 2
	printf 'crl_next_update = 30\ncrl_number = 1\n' >crl.tmpl
	certtool --generate-crl --load-ca-privkey "$ca.key" --load-ca-certificate "$ca.pem" \
		${1:+--load-certificate "$1"} --template crl.tmpl --outder \
		--outfile "crl-$name.der" >/dev/null 2>&1
}

# A self-signed stranger with the intermediate's name: signatures that do not verify.
certtool --generate-privkey --key-type ecdsa --outfile rogue.key >/dev/null 2>&1
printf 'cn = "Fuzz Intermediate"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 100\n' >rogue.tmpl
certtool --generate-self-signed --load-privkey rogue.key --template rogue.tmpl \
	--outfile rogue.pem >/dev/null 2>&1

ocsp good leaf.pem inter.pem inter V
ocsp revoked leaf.pem inter.pem inter R
ocsp unknown leaf.pem inter.pem inter unknown
ocsp rogue leaf.pem inter.pem rogue V
ocsp staple staple.pem inter.pem inter V
ocsp inter-revoked inter.pem root.pem root R
crl empty inter
crl leaf inter leaf.pem
crl staple inter staple.pem
crl inter root inter.pem
crl rogue rogue leaf.pem
certtool --crl-info --infile crl-leaf.der --inder >/dev/null 2>&1 || true
openssl crl -inform DER -in crl-leaf.der -out crl-leaf.pem

# seed NAME FLAGS CRL-FILE|- RESPONSE...: the input format of fuzz-revocation.c.
seed() {
	python3 - "$out/$1" "$2" "$3" "${@:4}" <<-'PY'
		import sys
		out, flags, crl, resps = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
		staples = b"".join(len(d).to_bytes(2, "big") + d
		                   for d in (open(r, "rb").read() for r in resps))
		body = bytes([flags]) + len(staples).to_bytes(2, "big") + staples
		if crl != "-":
		    body += open(crl, "rb").read()
		open(out, "wb").write(body)
	PY
}

mkdir -p "$out"
seed ocsp-good 0 - resp-good.der
seed ocsp-revoked 0 - resp-revoked.der
seed ocsp-unknown 0 - resp-unknown.der
seed ocsp-rogue 0 - resp-rogue.der
seed ocsp-mismatch 0 - resp-staple.der
seed ocsp-two 0 - resp-good.der resp-inter-revoked.der
seed staple-good 1 - resp-staple.der
seed staple-missing 1 -
seed staple-rogue 1 - resp-rogue.der
seed crl-empty 0 crl-empty.der
seed crl-leaf 0 crl-leaf.der
seed crl-leaf-pem 0 crl-leaf.pem
seed crl-staple 1 crl-staple.der
seed crl-inter 0 crl-inter.der
seed crl-rogue 0 crl-rogue.der
seed both 0 crl-leaf.der resp-good.der
seed both-staple 1 crl-empty.der resp-staple.der resp-inter-revoked.der

#!/usr/bin/env bash
# examples/file-policy.c on certificate files made here: a policy of its
# own (a name, an issuer expectation, 33% / 7d thresholds) gives the
# verdicts it promises. No network, no daemon.
#
# usage: test-examples.sh PATH-TO-FILE-POLICY
#
# tests/run sets MAILCERT_EXAMPLE_DIR to the examples it built against the
# *installed* library (pkg-config) and MAILCERT_EXAMPLE_LIBDIR to that
# library's directory: those are run then; else the build tree's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$here/../integration/lib.sh"

EXAMPLE=${1:?usage: test-examples.sh PATH-TO-FILE-POLICY}
RUN=("$EXAMPLE")
if [ -n "${MAILCERT_EXAMPLE_DIR:-}" ]; then
	RUN=(env LD_LIBRARY_PATH="${MAILCERT_EXAMPLE_LIBDIR:-}" "$MAILCERT_EXAMPLE_DIR/file-policy")
	it_note "running file-policy built against the installed library: ${RUN[*]}"
fi

it_workdir
pki=$IT_WORK/pki
it_pki_ca "$pki"
CA=(--ca-file "$pki/root.pem")
ISSUER="CN=mailcert test intermediate CA"

# A leaf and the intermediate, as a daemon's chain file holds them.
chain_file() {
	cat "$pki/$1.pem" "$pki/inter.pem" >"$pki/$1-chain.pem"
}

file_policy() {
	it_run "${RUN[@]}" "$@"
}

# Good: 90 days of 100 left, the right name and issuer, trusted, the key fits.
it_pki_leaf "$pki" good "-10 days" "+90 days" mail.test
chain_file good
file_policy "${CA[@]}" --key "$pki/good.key" "$pki/good-chain.pem" mail.test "$ISSUER"
it_eq "good file: exit status 0" 0 "$IT_LAST_RC"
it_contains "good file: state OK" "state OK" "$(cat "$IT_LAST_OUT")"
it_contains "good file: the text report first" "$pki/good-chain.pem  OK" \
	"$(head -n 1 "$IT_LAST_OUT")"
it_contains "good file: the name matched" "name mail.test matched" "$(cat "$IT_LAST_OUT")"

# The name of the policy, not the file's: name.mismatch.
file_policy "${CA[@]}" "$pki/good-chain.pem" other.test "$ISSUER"
it_eq "another name: exit status 2" 2 "$IT_LAST_RC"
it_contains "another name: name.mismatch" "finding name.mismatch (CRITICAL)" "$(cat "$IT_LAST_OUT")"

# The issuer expectation: a regex the issuer DN does not match.
file_policy "${CA[@]}" "$pki/good-chain.pem" mail.test "O=Let's Encrypt"
it_eq "another issuer: exit status 2" 2 "$IT_LAST_RC"
it_contains "another issuer: issuer.mismatch" "finding issuer.mismatch (CRITICAL)" \
	"$(cat "$IT_LAST_OUT")"

# 20 days of 100 left: under a third of the lifetime (WARNING), over 7 days.
it_pki_leaf "$pki" old "-80 days" "+20 days" mail.test
chain_file old
file_policy "${CA[@]}" "$pki/old-chain.pem" mail.test "$ISSUER"
it_eq "a fifth of its life left: exit status 1" 1 "$IT_LAST_RC"
it_contains "a fifth of its life left: cert.expiring" "finding cert.expiring (WARNING)" \
	"$(cat "$IT_LAST_OUT")"

# 5 days left: under 7 days, CRITICAL.
it_pki_leaf "$pki" late "-85 days" "+5 days" mail.test
chain_file late
file_policy "${CA[@]}" "$pki/late-chain.pem" mail.test "$ISSUER"
it_eq "5 days left: exit status 2" 2 "$IT_LAST_RC"
it_contains "5 days left: cert.expiring" "finding cert.expiring (CRITICAL)" "$(cat "$IT_LAST_OUT")"

# A key of another certificate: deploy.key-mismatch.
file_policy "${CA[@]}" --key "$pki/old.key" "$pki/good-chain.pem" mail.test "$ISSUER"
it_eq "the wrong key: exit status 2" 2 "$IT_LAST_RC"
it_contains "the wrong key: deploy.key-mismatch" "finding deploy.key-mismatch" "$(cat "$IT_LAST_OUT")"

# A file that cannot be read: no report, UNKNOWN, the reason on stderr.
file_policy "$pki/missing.pem" mail.test "$ISSUER"
it_eq "a missing file: exit status 3" 3 "$IT_LAST_RC"
it_contains "a missing file: the reason names it" "$pki/missing.pem" "$(cat "$IT_LAST_ERR")"

# A bad regex is the policy's error, with a reason.
file_policy "$pki/good-chain.pem" mail.test "("
it_eq "a bad issuer regex: exit status 3" 3 "$IT_LAST_RC"

it_finish

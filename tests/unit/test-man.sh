#!/usr/bin/env bash
# The man pages of docs/man/: each renders with groff and with man(1)
# without a single warning, and mailcert(1) names every option that
# `mailcert COMMAND --help` lists, so the page cannot fall behind the
# program.
#
# usage: test-man.sh PATH-TO-MAILCERT DOCS-MAN-DIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$here/../integration/lib.sh"

it_need_mailcert "${1:-}"
MAN_DIR=${2:?usage: test-man.sh PATH-TO-MAILCERT DOCS-MAN-DIR}
it_workdir
export LC_ALL=C.UTF-8 MANWIDTH=80

for tool in groff man; do
	command -v "$tool" >/dev/null || it_bail "$tool is missing (packages groff-base, man-db)"
done

pages=("$MAN_DIR"/*.[1-8])
for want in mailcert.1 libmailcert.3; do
	it_check "docs/man/$want exists" test -f "$MAN_DIR/$want"
done

for page in "${pages[@]}"; do
	name=$(basename "$page")
	# -ww: every warning groff has; -z: no output, only the diagnostics.
	it_run groff -man -Tutf8 -ww -z "$page"
	it_eq "$name: groff -man -ww, exit status 0" 0 "$IT_LAST_RC"
	it_eq "$name: groff -man -ww, no warning" "" "$(cat "$IT_LAST_ERR")"
	it_run man --warnings=w -l "$page"
	it_eq "$name: man -l, exit status 0" 0 "$IT_LAST_RC"
	it_eq "$name: man -l, no warning" "" "$(cat "$IT_LAST_ERR")"
	it_check "$name: man -l renders a NAME section" grep -q '^NAME' "$IT_LAST_OUT"
done

# Every option of every command's --help is in mailcert(1).
man -l "$MAN_DIR/mailcert.1" 2>/dev/null | sed 's/‐$//' >"$IT_WORK/mailcert.txt"
for cmd in check show file demo exporter scan domain; do
	"$MAILCERT" "$cmd" --help >"$IT_WORK/$cmd.help" 2>&1 || true
	while read -r opt; do
		it_check "mailcert(1) documents $cmd $opt" grep -qe "$opt" "$IT_WORK/mailcert.txt"
	done < <(grep -oE -- '--[a-z][a-z0-9-]+' "$IT_WORK/$cmd.help" | sort -u)
done
it_run "$MAILCERT" --version
it_contains "--version names the version in mailcert(1)'s header" \
	"$(sed -n 's/^\.TH [^"]*"mailcert \([^"]*\)".*/\1/p' "$MAN_DIR/mailcert.1")" \
	"$(cat "$IT_LAST_OUT")"

it_finish

#!/usr/bin/env bash
# The man pages of docs/man/: each renders with groff and with man(1)
# without a single warning, and mailcert(1) (check_mailcert(1) for that
# program) names every option of every command in the option table
# (cli/options.c, printed by dump-options), so the page cannot fall behind
# the program. And each command's --help lists exactly its options of the
# table, so the help cannot either.
#
# usage: test-man.sh PATH-TO-MAILCERT DOCS-MAN-DIR [PATH-TO-DUMP-OPTIONS]
# (default: tests/dump-options of the build tree of PATH-TO-MAILCERT)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$here/../integration/lib.sh"

it_need_mailcert "${1:-}"
MAN_DIR=${2:?usage: test-man.sh PATH-TO-MAILCERT DOCS-MAN-DIR [PATH-TO-DUMP-OPTIONS]}
DUMP_OPTIONS=${3:-$(dirname "$MAILCERT")/../tests/dump-options}
CHECK_MAILCERT=$(dirname "$MAILCERT")/check_mailcert
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

# The options of each command in the table, "COMMAND --long" and
# "COMMAND -x" lines; dump-options first checks the table is consistent.
it_run "$DUMP_OPTIONS"
it_eq "dump-options: exit status 0" 0 "$IT_LAST_RC"
it_eq "dump-options: the option table is consistent" "" "$(cat "$IT_LAST_ERR")"
cp "$IT_LAST_OUT" "$IT_WORK/options"
it_check "dump-options: prints options" test -s "$IT_WORK/options"

# Every option of the table is in the man page of its program: a whole
# word, so that "-n" is not found inside "--name".
for page in mailcert check_mailcert; do
	man -l "$MAN_DIR/$page.1" 2>/dev/null | sed 's/‐$//' >"$IT_WORK/$page.txt"
done
while read -r cmd opt; do
	page=mailcert
	[ "$cmd" = check_mailcert ] && page=check_mailcert
	it_check "$page(1) documents $cmd $opt" \
		grep -qE -- "(^|[^[:alnum:]-])$opt([^[:alnum:]-]|\$)" "$IT_WORK/$page.txt"
done <"$IT_WORK/options"

# The options a command's --help lists: those on its option lines (two to
# eight spaces, a dash, then two spaces before the description; not an
# example's continued command line), up to that description.
help_options() {
	grep -E -- '^ {2,8}-[^ ].*  ' | sed -E 's/^ +//; s/  .*//' |
		grep -oE -- '(^|[ ,])--?[[:alnum:]][[:alnum:]-]*' | sed 's/^[ ,]*//' | sort -u
}

for cmd in $(cut -d ' ' -f 1 "$IT_WORK/options" | uniq); do
	if [ "$cmd" = check_mailcert ]; then
		it_run "$CHECK_MAILCERT" --help
	else
		it_run "$MAILCERT" "$cmd" --help
	fi
	it_eq "$cmd --help: exit status 0" 0 "$IT_LAST_RC"
	it_eq "$cmd --help lists exactly its options of the table" \
		"$(sed -n "s/^$cmd //p" "$IT_WORK/options" | sort -u | tr '\n' ' ')" \
		"$(help_options <"$IT_LAST_OUT" | tr '\n' ' ')"
	it_eq "$cmd --help: no line wider than 80 columns" "" \
		"$(awk 'length > 80' "$IT_LAST_OUT")"
done
it_run "$MAILCERT" --version
it_contains "--version names the version in mailcert(1)'s header" \
	"$(sed -n 's/^\.TH [^"]*"mailcert \([^"]*\)".*/\1/p' "$MAN_DIR/mailcert.1")" \
	"$(cat "$IT_LAST_OUT")"

it_finish

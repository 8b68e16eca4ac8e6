#!/usr/bin/env bash
# The bash completion that meson install puts in
# share/bash-completion/completions (made by cli/gen-completion.c),
# exercised in bash as readline would: the script sourced, COMP_LINE,
# COMP_POINT, COMP_WORDS and COMP_CWORD set, the completion function
# called, COMPREPLY compared. The expected lists come from elsewhere than
# the script's own: the option table through dump-options, docs/findings.md
# read with sed, so the script cannot drift from either.
#
# usage: test-completion.sh COMPLETION DUMP-OPTIONS FINDINGS.md
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$here/../integration/lib.sh"

COMPLETION=${1:?usage: test-completion.sh COMPLETION DUMP-OPTIONS FINDINGS.md}
DUMP_OPTIONS=${2:?usage: test-completion.sh COMPLETION DUMP-OPTIONS FINDINGS.md}
FINDINGS=${3:?usage: test-completion.sh COMPLETION DUMP-OPTIONS FINDINGS.md}
it_workdir
export LC_ALL=C

# complete LINE: what the completion offers at the end of LINE (the
# program is its first word), sorted (a trailing '=' left out of the
# order), one line. A fresh bash each time,
# with bash's default COMP_WORDBREAKS.
WORDBREAKS=$' \t\n'"\"'><=;|&(:"
complete_line() {
	bash --norc --noprofile -c '
		set -u
		COMP_WORDBREAKS=$3
		. "$1" || exit 9
		COMP_LINE=$2
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<<"$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		fn=$(complete -p "${COMP_WORDS[0]}" | sed -E "s/.*-F ([^ ]+).*/\1/")
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]:-}"
		printf "%s\n" "${COMPREPLY[@]}"' complete-test "$COMPLETION" "$1" "$WORDBREAKS" |
		sed 's/=$/ =/' | sort | sed 's/ =$/=/' | tr '\n' ' ' | sed 's/ $//'
}

it_check "the completion is a bash script without a syntax error" bash -n "$COMPLETION"
it_run "$DUMP_OPTIONS"
it_eq "dump-options: exit status 0" 0 "$IT_LAST_RC"
cp "$IT_LAST_OUT" "$IT_WORK/options"

# The long options of COMMAND in the option table, sorted, one line.
long_options() {
	sed -n "s/^$1 \(--.*\)/\1/p" "$IT_WORK/options" | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# The codes of docs/findings.md's table starting with $1, sorted, one line.
codes() {
	# shellcheck disable=SC2016
	sed -n 's/^| `\([^`]*\)`.*/\1/p' "$FINDINGS" | grep -- "^$1" | sort -u | tr '\n' ' ' |
		sed 's/ $//'
}

it_eq "mailcert <TAB>: the commands" "check demo domain exporter file scan show" \
	"$(complete_line 'mailcert ')"
it_eq "mailcert d<TAB>" "demo domain" "$(complete_line 'mailcert d')"
it_eq "mailcert -<TAB>" "--help --version" "$(complete_line 'mailcert -')"

for cmd in check show file scan exporter domain; do
	it_eq "mailcert $cmd --<TAB>: its long options of the table" "$(long_options "$cmd")" \
		"$(complete_line "mailcert $cmd --")"
done
it_check "mailcert check --<TAB> offers --severity" \
	grep -qw -- --severity <<<"$(complete_line 'mailcert check --')"
it_eq "mailcert -v check --ti<TAB>: the command found after an option" "--timeout" \
	"$(complete_line 'mailcert -v check --ti')"

it_eq "mailcert check sm<TAB>: the schemes" "smtp:// smtps://" "$(complete_line 'mailcert check sm')"
it_eq "mailcert scan imap<TAB>" "imap:// imaps://" "$(complete_line 'mailcert scan imap')"
it_eq "mailcert check smtp:<TAB>: after readline's ':' break" "//" \
	"$(complete_line 'mailcert check smtp:')"
it_eq "mailcert check smtp://mail.example<TAB>: a host, nothing to offer" "" \
	"$(complete_line 'mailcert check smtp://mail.example')"
it_eq "mailcert check -P sub<TAB>: scheme names" "submission submissions" \
	"$(complete_line 'mailcert check -P sub')"
it_eq "mailcert check --protocol=sub<TAB>" "submission submissions" \
	"$(complete_line 'mailcert check --protocol=sub')"

it_eq "mailcert check --severity ct.<TAB>: the ct.* codes of docs/findings.md" \
	"$(codes 'ct\.' | sed -E 's/([^ ]+)/\1=/g')" "$(complete_line 'mailcert check --severity ct.')"
it_check "docs/findings.md has ct.* codes" test -n "$(codes 'ct\.')"
it_eq "mailcert check --severity <TAB>: every code of docs/findings.md" \
	"$(codes '' | sed -E 's/([^ ]+)/\1=/g')" "$(complete_line 'mailcert check --severity ')"
it_eq "mailcert check --severity ct.missing=<TAB>: the levels" "critical ok warning" \
	"$(complete_line 'mailcert check --severity ct.missing=')"
it_eq "mailcert file --severity=ct.missing=c<TAB>" "critical" \
	"$(complete_line 'mailcert file --severity=ct.missing=c')"

touch "$IT_WORK/root-ca.pem"
mkdir "$IT_WORK/ca.d"
it_eq "mailcert check --ca-file PATH<TAB>: files" "$IT_WORK/root-ca.pem" \
	"$(complete_line "mailcert check --ca-file $IT_WORK/root")"
it_eq "mailcert check --ca-dir PATH<TAB>: directories" "$IT_WORK/ca.d" \
	"$(complete_line "mailcert check --ca-dir $IT_WORK/")"
it_eq "mailcert file PATH<TAB>: files" "$IT_WORK/root-ca.pem" \
	"$(complete_line "mailcert file $IT_WORK/ro")"

it_eq "check_mailcert --<TAB>: its long options of the table" "$(long_options check_mailcert)" \
	"$(complete_line 'check_mailcert --')"
it_check "check_mailcert --<TAB> offers --ignore-sct" \
	grep -qw -- --ignore-sct <<<"$(complete_line 'check_mailcert --')"
it_eq "check_mailcert -H mail.example.com --i<TAB>" \
	"$(long_options check_mailcert | tr ' ' '\n' | grep '^--i' | tr '\n' ' ' | sed 's/ $//')" \
	"$(complete_line 'check_mailcert -H mail.example.com --i')"

it_finish

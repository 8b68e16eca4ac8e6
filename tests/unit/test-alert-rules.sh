#!/usr/bin/env bash
# The alert rules of docs/prometheus/mailcert-rules.yml: promtool accepts
# them, their unit tests (mailcert-rules.test.yml: expiring, expired,
# probe failing, the verdict, deploy mismatch, the ARI window) pass, and
# those tests can fail: a copy with one threshold changed must fail them.
# Every metric the rules use is one the exporter writes
# (libmailcert/render/prometheus.c), so a renamed series breaks this test,
# not someone's alerting.
#
# usage: test-alert-rules.sh DOCS-PROMETHEUS-DIR RENDER-PROMETHEUS-C
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$here/../integration/lib.sh"

DIR=${1:?usage: test-alert-rules.sh DOCS-PROMETHEUS-DIR RENDER-PROMETHEUS-C}
RENDER=${2:?usage: test-alert-rules.sh DOCS-PROMETHEUS-DIR RENDER-PROMETHEUS-C}
command -v promtool >/dev/null || it_bail "promtool is missing (package prometheus)"
it_workdir

it_run promtool check rules "$DIR/mailcert-rules.yml"
it_eq "promtool check rules: exit status" 0 "$IT_LAST_RC"
it_contains "promtool check rules: nine rules" "SUCCESS: 9 rules found" "$(cat "$IT_LAST_OUT")"

it_run promtool test rules "$DIR/mailcert-rules.test.yml"
it_eq "promtool test rules: exit status" 0 "$IT_LAST_RC"
it_contains "promtool test rules: success" "SUCCESS" "$(cat "$IT_LAST_OUT")"

# The tests catch a changed rule: 21 days becomes 5.
cp "$DIR/mailcert-rules.test.yml" "$IT_WORK/"
sed 's|/ 86400 < 21|/ 86400 < 5|' "$DIR/mailcert-rules.yml" >"$IT_WORK/mailcert-rules.yml"
it_check_not "the control really changes the rule" cmp -s "$DIR/mailcert-rules.yml" \
	"$IT_WORK/mailcert-rules.yml"
it_run promtool test rules "$IT_WORK/mailcert-rules.test.yml"
it_eq "promtool test rules, a threshold changed: fails" 1 "$IT_LAST_RC"
it_contains "promtool test rules, a threshold changed: names the alert" \
	"alertname: MailCertificateExpiresSoon" "$(cat "$IT_LAST_OUT" "$IT_LAST_ERR")"

for metric in $(grep -o 'mailcert_[a-z_]*' "$DIR/mailcert-rules.yml" | sort -u); do
	it_check "the exporter writes $metric" grep -q "\"$metric\"\\|\"$metric{\\|$metric " "$RENDER"
done

it_finish

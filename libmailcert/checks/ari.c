/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACME Renewal Information (RFC 9773): the window in which the leaf's CA
 * suggests renewing it, as the check's ARI stage fetched it
 * (engine/ari_stage.c). A CA can bring the window forward (a mass
 * revocation ahead), which no expiry threshold sees. Findings:
 * ari.window-open (WARNING), ari.window-passed (CRITICAL), and
 * ari.unavailable (OK: an answer that did not come never raises the
 * state by itself). Judged against @now, so --at moves it too.
 */
#include <stdio.h>

#include "model/internal.h"

int mc_check_ari(struct mc_eval *ev)
{
	const struct mc_ari *a = &ev->evidence->ari;
	char label[MC_LABEL_MAX], start[MC_DATE_MAX], end[MC_DATE_MAX], see[600] = "";

	if (!a->done)
		return 0;
	mc_cert_label(label, sizeof(label), ev, 0);
	if (!a->known)
		return mc_report_add(ev->report, "ari.unavailable", MAILCERT_OK, 0,
				     "no renewal information (ARI) for %s: %s", label, a->why);
	if (mc_report_set_ari(ev->report, a) < 0)
		return MAILCERT_E_NOMEM;
	mc_format_utc(start, a->start, 0);
	mc_format_utc(end, a->end, 0);
	if (a->explanation[0])
		snprintf(see, sizeof(see), "; the CA explains why at %s", a->explanation);
	if (ev->now >= a->end)
		return mc_report_add(ev->report, "ari.window-passed", MAILCERT_CRITICAL, 0,
				     "the CA's suggested renewal window (ARI) for %s ended on %s "
				     "(it opened on %s), and it is still served: renew it and reload "
				     "the server now%s",
				     label, end, start, see);
	if (ev->now >= a->start)
		return mc_report_add(ev->report, "ari.window-open", MAILCERT_WARNING, 0,
				     "the CA suggests renewing %s between %s and %s (ARI), and it is "
				     "still served: renew it%s",
				     label, start, end, see);
	return 0;
}

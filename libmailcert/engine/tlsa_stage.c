/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --dane: the TLSA records of _PORT._tcp.HOST, looked up with DNSSEC
 * validation through the engine's libunbound context. The name is known
 * before any connection, so the lookup runs beside the probe rather than
 * after it. checks/dane.c judges what it recorded.
 */
#include <stdio.h>
#include <string.h>

#include "engine/gather.h"

static void answered(void *user, struct mc_dns_answer *a)
{
	struct mc_tlsa_stage *s = user;
	struct mc_dane_lookup *out = s->out;

	s->q = NULL;
	out->status = (int)a->status;
	out->nxdomain = a->nxdomain;
	memcpy(out->why, a->why, sizeof(out->why));
	out->malformed = a->dropped;
	for (size_t i = 0; i < a->n; i++) {
		if (out->n < MC_MAX_TLSA &&
		    mc_tlsa_parse_rdata(&out->rr[out->n], a->rr[i].data, a->rr[i].len) == 0)
			out->n++;
		else
			out->malformed++;
	}
	s->done(s->user);
}

int mc_tlsa_stage_start(struct mc_tlsa_stage *s, struct mc_stages *st, const mailcert_policy *p,
			const char *host, unsigned port, int64_t deadline,
			struct mc_dane_lookup *out, mc_stage_done_fn done, void *user)
{
	struct mc_dns *dns;

	*s = (struct mc_tlsa_stage){.out = out, .done = done, .user = user};
	if (!p->dane || p->tlsa_len)
		return 0;
	mc_dane_lookup_clear(out);
	out->done = 1;
	snprintf(out->name, sizeof(out->name), "_%u._tcp.%.253s", port, host);
	if (mc_is_ip_literal(host)) {
		out->status = MC_DANE_NO_NAME;
		return 0;
	}
	dns = mc_stages_dns(st, p->resolver, p->trust_anchor, out->why, sizeof(out->why));
	if (!dns) {
		out->status = MC_DANE_UNCHECKED;
		return 0;
	}
	/* Until answered, it is a lookup that failed for want of an answer. */
	out->status = MC_DNS_FAILED;
	s->q = mc_dns_start(dns, out->name, MC_RR_TLSA, deadline, answered, s);
	return s->q ? 1 : MAILCERT_E_NOMEM;
}

void mc_tlsa_stage_cancel(struct mc_tlsa_stage *s)
{
	mc_dns_cancel(s->q);
	s->q = NULL;
}

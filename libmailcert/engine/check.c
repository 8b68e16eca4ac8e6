/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A check (include/mailcert/check.h): its probe, the stages that gather
 * its evidence (gather.h) and its evaluation, as the engine drives them.
 * The TLSA name is known from the target, so that lookup starts with the
 * probe; the CRLs and the renewal information (ARI) need the chain, so
 * their fetches start after it. One deadline, set when the probe starts,
 * bounds them all. The ACME client's store (--compare-acme) is read
 * again after the probe, from disk (at most once a minute per engine), so
 * a program that runs for long sees renewals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/gather.h"
#include "engine/run.h"
#include "io/net.h"

struct mailcert_check {
	mailcert_probe *probe;
	const mailcert_policy *policy;
	time_t now; /* 0: the time of the evaluation */
	mailcert_engine *engine;
	void *job; /* the engine's, while attached */
	int64_t deadline;
	unsigned outstanding; /* stage requests not answered yet */
	int failed;           /* out of memory in a stage: no report */
	mailcert_observation *obs;
	struct mc_evidence *evidence;
	struct mc_tlsa_stage tlsa;
	struct mc_crl_stage crl;
	struct mc_ari_stage ari;
};

MAILCERT_EXPORT int mailcert_check_new(mailcert_check **out, mailcert_probe *probe,
				       const mailcert_policy *policy)
{
	mailcert_check *c;

	if (!out || !probe || !policy)
		return MAILCERT_E_INVALID;
	c = calloc(1, sizeof(*c));
	if (!c)
		return MAILCERT_E_NOMEM;
	c->probe = probe;
	c->policy = policy;
	*out = c;
	return 0;
}

MAILCERT_EXPORT void mailcert_check_free(mailcert_check *c)
{
	if (!c)
		return;
	if (c->engine)
		mc_engine_cancel(c->engine, c->job);
	mc_check_abandon(c);
	free(c);
}

MAILCERT_EXPORT int mailcert_check_set_now(mailcert_check *c, time_t now)
{
	if (!c)
		return MAILCERT_E_INVALID;
	if (c->engine)
		return MAILCERT_E_STATE;
	c->now = now;
	return 0;
}

MAILCERT_EXPORT int mailcert_check_cancel(mailcert_check *c)
{
	if (!c)
		return MAILCERT_E_INVALID;
	if (!c->engine)
		return MAILCERT_E_STATE;
	mc_engine_cancel(c->engine, c->job);
	return 0;
}

mailcert_probe *mc_check_probe(const mailcert_check *c)
{
	return c->probe;
}

void mc_check_attach(mailcert_check *c, mailcert_engine *e, void *job)
{
	c->engine = e;
	c->job = job;
}

int mc_check_attached(const mailcert_check *c)
{
	return c->engine != NULL;
}

static void stage_done(void *user)
{
	mailcert_check *c = user;

	c->outstanding--;
}

int mc_check_begin(mailcert_check *c, struct mc_stages *st)
{
	int rc;

	c->deadline = mc_now_ms() + mc_probe_timeout_ms(c->probe);
	c->evidence = mc_evidence_new();
	if (!c->evidence) {
		c->failed = 1;
		return MAILCERT_E_NOMEM;
	}
	rc = mc_tlsa_stage_start(&c->tlsa, st, c->policy, mc_probe_host(c->probe),
				 mc_probe_port(c->probe), c->deadline, &c->evidence->dane,
				 stage_done, c);
	if (rc < 0) {
		c->failed = 1;
		return rc;
	}
	c->outstanding += (unsigned)rc;
	return 0;
}

int mc_check_probed(mailcert_check *c, struct mc_stages *st, mailcert_observation *obs)
{
	int rc;

	c->obs = obs;
	if (!obs || c->failed) {
		c->failed = 1;
		return MAILCERT_E_NOMEM;
	}
	/* A probe that got no chain is judged on its failure alone. */
	if (obs->failure_code) {
		mc_tlsa_stage_cancel(&c->tlsa);
		c->outstanding = 0;
		return 0;
	}
	if (c->policy->acme)
		c->evidence->acme = mc_stages_acme(st, c->policy->acme, c->evidence->acme_why,
						   sizeof(c->evidence->acme_why));
	rc = mc_crl_stage_start(&c->crl, st, c->policy, obs, c->deadline, c->evidence, stage_done,
				c);
	if (rc >= 0)
		c->outstanding += (unsigned)rc;
	if (rc >= 0)
		rc = mc_ari_stage_start(&c->ari, st, c->policy, obs, c->deadline, &c->evidence->ari,
					stage_done, c);
	if (rc < 0) {
		c->failed = 1;
		return rc;
	}
	c->outstanding += (unsigned)rc;
	return 0;
}

int mc_check_waiting(const mailcert_check *c, int64_t now, int64_t *until)
{
	*until = c->deadline;
	return c->outstanding > 0 && now < c->deadline && !c->failed;
}

/* What did not answer by the deadline says so in the evidence. */
static void record_silence(mailcert_check *c)
{
	struct mc_evidence *ev = c->evidence;

	if (c->tlsa.q && !ev->dane.why[0])
		snprintf(ev->dane.why, sizeof(ev->dane.why),
			 "no answer from the resolver within the timeout");
	for (size_t i = 0; i < ev->crl_len; i++)
		if (!ev->crl[i].der.data && !ev->crl[i].error)
			ev->crl[i].error = mc_asprintf("no answer within the timeout (%u ms)",
						       mc_probe_timeout_ms(c->probe));
	if (c->ari.get && !ev->ari.known && !ev->ari.why[0])
		snprintf(ev->ari.why, sizeof(ev->ari.why), "%.400s: no answer within the timeout",
			 ev->ari.url[0] ? ev->ari.url : c->ari.directory);
}

mailcert_report *mc_check_end(mailcert_check *c)
{
	mailcert_report *report = NULL;

	if (!c->failed && c->evidence) {
		record_silence(c);
		mc_tlsa_stage_cancel(&c->tlsa);
		mc_crl_stage_cancel(&c->crl);
		mc_ari_stage_cancel(&c->ari);
		if (mc_evaluate_evidence(&report, c->obs, c->evidence, c->policy,
					 c->now ? c->now : time(NULL)) < 0)
			report = NULL;
	}
	mc_check_abandon(c);
	return report;
}

void mc_check_abandon(mailcert_check *c)
{
	mc_tlsa_stage_cancel(&c->tlsa);
	mc_crl_stage_cancel(&c->crl);
	mc_ari_stage_cancel(&c->ari);
	mailcert_observation_free(c->obs);
	mc_evidence_free(c->evidence);
	c->obs = NULL;
	c->evidence = NULL;
	c->outstanding = 0;
	c->failed = 0;
}

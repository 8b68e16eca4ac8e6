/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The blocking forms, for callers that want one answer and nothing else
 * to do meanwhile: each is the engine's own machinery driven by a private
 * poll loop, as curl_easy_perform() is a multi handle with one transfer.
 * mailcert_probe_run(), mailcert_check_run() and mailcert_domain_lookup()
 * are one-job engines; the deprecated mailcert_policy_fetch_crls() and
 * _fetch_tlsa() run one stage and attach what it gathered to the
 * observation.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/gather.h"
#include "engine/run.h"
#include "io/net.h"

#include <mailcert/domain.h>

/* Runs @st until @outstanding requests are answered or @deadline passes. */
static int drive(struct mc_stages *st, const unsigned *outstanding, int64_t deadline)
{
	struct pollfd *fds = NULL;
	size_t cap = 0;
	int rc = 0;

	while (*outstanding > 0 && mc_now_ms() < deadline) {
		size_t n = mc_stages_fds(st, fds, cap);
		int64_t left = deadline - mc_now_ms();
		int timeout = mc_stages_timeout_ms(st);

		if (n > cap) {
			struct pollfd *grown = realloc(fds, n * sizeof(*grown));

			if (!grown) {
				rc = MAILCERT_E_NOMEM;
				break;
			}
			fds = grown;
			cap = n;
			continue;
		}
		if (timeout < 0 || timeout > left)
			timeout = (int)(left > 0 ? left : 0);
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			rc = MAILCERT_E_NOMEM;
			break;
		}
		mc_stages_process(st, fds, n);
	}
	free(fds);
	return rc;
}

static void one_less(void *user)
{
	--*(unsigned *)user;
}

/* The evidence the deprecated functions attach to @obs, made on first use. */
static struct mc_evidence *legacy(mailcert_observation *obs)
{
	if (!obs->legacy)
		obs->legacy = mc_evidence_new();
	return obs->legacy;
}

MAILCERT_EXPORT int mailcert_policy_fetch_crls(const mailcert_policy *p, mailcert_observation *obs,
					       unsigned timeout_ms)
{
	int64_t deadline = mc_now_ms() + timeout_ms;
	struct mc_crl_stage stage;
	struct mc_stages *st;
	struct mc_evidence *ev;
	unsigned outstanding = 0;
	int rc;

	if (!p || !obs)
		return MAILCERT_E_INVALID;
	if (!p->crl_fetch || obs->failure_code)
		return 0;
	if (!(ev = legacy(obs)) || !(st = mc_stages_new()))
		return MAILCERT_E_NOMEM;
	rc = mc_crl_stage_start(&stage, st, p, obs, deadline, ev, one_less, &outstanding);
	if (rc > 0) {
		outstanding = (unsigned)rc;
		rc = drive(st, &outstanding, deadline);
		for (size_t i = 0; i < ev->crl_len; i++)
			if (!ev->crl[i].der.data && !ev->crl[i].error)
				ev->crl[i].error =
				    mc_asprintf("no answer within the timeout (%u ms)", timeout_ms);
	}
	mc_crl_stage_cancel(&stage);
	mc_stages_free(st);
	return rc < 0 ? rc : 0;
}

MAILCERT_EXPORT int mailcert_policy_fetch_tlsa(const mailcert_policy *p, mailcert_observation *obs,
					       unsigned timeout_ms)
{
	int64_t deadline = mc_now_ms() + timeout_ms;
	struct mc_tlsa_stage stage;
	struct mc_stages *st;
	struct mc_evidence *ev;
	mailcert_target *target;
	unsigned outstanding = 0;
	int rc;

	if (!p || !obs)
		return MAILCERT_E_INVALID;
	if (!p->dane || p->tlsa_len || obs->failure_code || obs->file || !obs->host)
		return 0;
	/* The canonical "scheme://host:port" parses back (model/target.c). */
	rc = mailcert_target_parse(&target, obs->target, NULL, NULL, 0);
	if (rc < 0)
		return rc;
	if (!(ev = legacy(obs)) || !(st = mc_stages_new())) {
		mailcert_target_free(target);
		return MAILCERT_E_NOMEM;
	}
	rc = mc_tlsa_stage_start(&stage, st, p, obs->host, mailcert_target_port(target), deadline,
				 &ev->dane, one_less, &outstanding);
	mailcert_target_free(target);
	if (rc > 0) {
		outstanding = 1;
		rc = drive(st, &outstanding, deadline);
		if (outstanding && !ev->dane.why[0])
			snprintf(ev->dane.why, sizeof(ev->dane.why),
				 "no answer from the resolver within the timeout");
	}
	mc_tlsa_stage_cancel(&stage);
	mc_stages_free(st);
	return rc < 0 ? rc : 0;
}

/* mailcert_domain_lookup()'s callback: keep the one result. */
/*
 * Runs @e, which holds one job when @rc is 0, and frees it: 0, or the
 * error. The engine's loop fails only when poll() does, for want of
 * memory; a job without its result ran out of memory too.
 */
static int run_alone(mailcert_engine *e, int rc)
{
	if (rc == 0)
		rc = mailcert_engine_run(e);
	mailcert_engine_free(e);
	return rc == MAILCERT_E_IO ? MAILCERT_E_NOMEM : rc;
}

static void domain_done(mailcert_domain *d, void *user)
{
	*(mailcert_domain **)user = d;
}

MAILCERT_EXPORT int mailcert_domain_lookup(mailcert_domain **out, const char *domain,
					   const mailcert_policy *policy, mailcert_family family,
					   unsigned timeout_ms, char *err, unsigned errlen)
{
	mailcert_engine *engine = NULL;
	mailcert_domain *d = NULL;
	int rc;

	if (!out || !domain || !policy)
		return MAILCERT_E_INVALID;
	*out = NULL;
	rc = mailcert_engine_new(&engine, 1);
	if (rc == 0)
		rc = mailcert_engine_add_domain(engine, domain, policy, family, timeout_ms,
						domain_done, &d, err, errlen);
	rc = run_alone(engine, rc);
	if (rc == 0 && !d)
		rc = MAILCERT_E_NOMEM;
	if (rc < 0) {
		mailcert_domain_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

static void probe_done(mailcert_probe *p, mailcert_observation *obs, void *user)
{
	(void)p;
	*(mailcert_observation **)user = obs;
}

MAILCERT_EXPORT int mailcert_probe_run(mailcert_probe *p, mailcert_observation **out)
{
	mailcert_engine *engine = NULL;
	mailcert_observation *obs = NULL;
	int rc;

	if (!p || !out)
		return MAILCERT_E_INVALID;
	rc = mailcert_engine_new(&engine, 1);
	if (rc == 0)
		rc = mailcert_engine_add(engine, p, probe_done, &obs);
	rc = run_alone(engine, rc);
	if (rc == 0 && !obs)
		rc = MAILCERT_E_NOMEM;
	if (rc < 0) {
		mailcert_observation_free(obs);
		return rc;
	}
	*out = obs;
	return 0;
}

static void check_done(mailcert_check *c, mailcert_report *report, void *user)
{
	(void)c;
	*(mailcert_report **)user = report;
}

MAILCERT_EXPORT int mailcert_check_run(mailcert_check *c, mailcert_report **out)
{
	mailcert_engine *engine = NULL;
	mailcert_report *report = NULL;
	int rc;

	if (!c || !out)
		return MAILCERT_E_INVALID;
	rc = mailcert_engine_new(&engine, 1);
	if (rc == 0)
		rc = mailcert_engine_add_check(engine, c, check_done, &report);
	rc = run_alone(engine, rc);
	if (rc == 0 && !report)
		rc = MAILCERT_E_NOMEM;
	if (rc < 0) {
		mailcert_report_free(report);
		return rc;
	}
	*out = report;
	return 0;
}

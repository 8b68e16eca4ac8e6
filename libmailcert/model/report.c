/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* vasprintf, strndup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

mailcert_report *mc_report_new(const mailcert_observation *obs, time_t now)
{
	mailcert_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->obs = mc_observation_ref(obs);
	r->now = now;
	r->state = MAILCERT_OK;
	return r;
}

MAILCERT_EXPORT void mailcert_report_free(mailcert_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->findings_len; i++)
		free(r->findings[i].message);
	free(r->findings);
	for (size_t i = 0; i < r->certs_len; i++) {
		struct mc_cert_store *c = &r->certs[i];

		for (size_t j = 0; j < sizeof(c->strings) / sizeof(c->strings[0]); j++)
			free(c->strings[j]);
		for (size_t j = 0; c->san && c->san[j]; j++)
			free(c->san[j]);
		free(c->san);
	}
	free(r->certs);
	free(r->matched_name);
	free((char *)r->ari.explanation_url);
	free(r->scts);
	mailcert_observation_free(r->obs);
	free(r);
}

int mc_report_add(mailcert_report *r, const char *code, mailcert_state severity, int cert,
		  const char *fmt, ...)
{
	struct mailcert_finding *f;
	va_list ap;
	int n;

	if (r->findings_len == r->findings_cap) {
		size_t cap = r->findings_cap ? 2 * r->findings_cap : 8;
		void *p = realloc(r->findings, cap * sizeof(*r->findings));

		if (!p)
			return MAILCERT_E_NOMEM;
		r->findings = p;
		r->findings_cap = cap;
	}
	f = &r->findings[r->findings_len];
	va_start(ap, fmt);
	n = vasprintf(&f->message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MAILCERT_E_NOMEM;
	f->code = code;
	f->severity = severity;
	f->cert = cert;
	r->findings_len++;
	r->state = mc_state_worse(r->state, severity);
	return 0;
}

MAILCERT_EXPORT mailcert_state mailcert_report_state(const mailcert_report *r)
{
	return r->state;
}

MAILCERT_EXPORT const mailcert_observation *mailcert_report_observation(const mailcert_report *r)
{
	return r->obs;
}

MAILCERT_EXPORT time_t mailcert_report_now(const mailcert_report *r)
{
	return r->now;
}

MAILCERT_EXPORT size_t mailcert_report_finding_count(const mailcert_report *r)
{
	return r->findings_len;
}

MAILCERT_EXPORT const mailcert_finding *mailcert_report_finding(const mailcert_report *r,
								size_t index)
{
	return index < r->findings_len ? &r->findings[index] : NULL;
}

MAILCERT_EXPORT const char *mailcert_finding_code(const mailcert_finding *f)
{
	return f->code;
}

MAILCERT_EXPORT mailcert_state mailcert_finding_severity(const mailcert_finding *f)
{
	return f->severity;
}

MAILCERT_EXPORT const char *mailcert_finding_message(const mailcert_finding *f)
{
	return f->message;
}

MAILCERT_EXPORT int mailcert_finding_cert(const mailcert_finding *f)
{
	return f->cert;
}

MAILCERT_EXPORT size_t mailcert_report_cert_count(const mailcert_report *r)
{
	return r->certs_len;
}

MAILCERT_EXPORT const mailcert_cert_info *mailcert_report_cert(const mailcert_report *r,
							       size_t index)
{
	return index < r->certs_len ? &r->certs[index].info : NULL;
}

int mc_report_set_ari(mailcert_report *r, const struct mc_ari *ari)
{
	char *url = mc_strdup(ari->explanation);

	if (!url)
		return -1;
	free((char *)r->ari.explanation_url);
	r->ari = (mailcert_ari_window){.start = ari->start,
				       .end = ari->end,
				       .explanation_url = url,
				       .fetched_at = ari->fetched_at};
	r->ari_known = 1;
	return 0;
}

MAILCERT_EXPORT const mailcert_ari_window *mailcert_report_ari(const mailcert_report *r)
{
	return r && r->ari_known ? &r->ari : NULL;
}

int mc_report_add_sct(mailcert_report *r, const unsigned char log_id[32], const char *log_name,
		      long long timestamp_ms, const char *source, int valid)
{
	gnutls_datum_t id = {(unsigned char *)log_id, 32};
	gnutls_datum_t b64 = {0};
	struct mc_report_sct *s;

	if (r->scts_len == MC_MAX_SCT)
		return 0;
	if (!r->scts && !(r->scts = calloc(MC_MAX_SCT, sizeof(*r->scts))))
		return -1;
	if (gnutls_base64_encode2(&id, &b64) < 0)
		return -1;
	s = &r->scts[r->scts_len++];
	snprintf(s->log_id, sizeof(s->log_id), "%.*s", (int)b64.size, (const char *)b64.data);
	gnutls_free(b64.data);
	snprintf(s->log_name, sizeof(s->log_name), "%s", log_name ? log_name : "");
	s->pub = (mailcert_sct){.log_id = s->log_id,
				.log_name = log_name ? s->log_name : NULL,
				.timestamp_ms = timestamp_ms,
				.source = source,
				.valid = valid};
	return 0;
}

MAILCERT_EXPORT size_t mailcert_report_sct_count(const mailcert_report *r)
{
	return r ? r->scts_len : 0;
}

MAILCERT_EXPORT const mailcert_sct *mailcert_report_sct(const mailcert_report *r, size_t index)
{
	return r && index < r->scts_len ? &r->scts[index].pub : NULL;
}

MAILCERT_EXPORT const char *mailcert_report_matched_name(const mailcert_report *r)
{
	return r->matched_name;
}

int mc_report_relax(mailcert_report *r, size_t i, const char *why)
{
	char *message = mc_asprintf("%s; %s", r->findings[i].message, why);

	if (!message)
		return MAILCERT_E_NOMEM;
	free(r->findings[i].message);
	r->findings[i].message = message;
	r->findings[i].severity = MAILCERT_OK;
	mc_report_restate(r);
	return 0;
}

/*
 * UNKNOWN ranks above CRITICAL only when nothing is critical, as in the
 * monitoring-plugins: a definite CRITICAL is the more useful answer.
 */
mailcert_state mc_state_worse(mailcert_state state, mailcert_state severity)
{
	if (severity == MAILCERT_CRITICAL || (severity > state && state != MAILCERT_CRITICAL))
		return severity;
	return state;
}

void mc_report_restate(mailcert_report *r)
{
	r->state = MAILCERT_OK;
	for (size_t i = 0; i < r->findings_len; i++)
		r->state = mc_state_worse(r->state, r->findings[i].severity);
}

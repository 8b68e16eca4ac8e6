/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* vasprintf, strndup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

mailcert_observation *mc_observation_new(const char *target, const char *host)
{
	mailcert_observation *obs = calloc(1, sizeof(*obs));

	if (!obs)
		return NULL;
	obs->refs = 1;
	obs->target = mc_strdup(target);
	obs->host = mc_strdup(host);
	if (!obs->target || !obs->host) {
		mailcert_observation_free(obs);
		return NULL;
	}
	return obs;
}

/* Reports keep the observation they describe; a count avoids a deep copy. */
mailcert_observation *mc_observation_ref(const mailcert_observation *obs)
{
	mailcert_observation *o = (mailcert_observation *)obs;

	__atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
	return o;
}

MAILCERT_EXPORT void mailcert_observation_free(mailcert_observation *obs)
{
	if (!obs || __atomic_sub_fetch(&obs->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < obs->chain_len; i++)
		free(obs->chain[i].data);
	for (size_t i = 0; i < obs->ocsp_len; i++)
		free(obs->ocsp[i].data);
	free(obs->sct_tls.data);
	mc_evidence_free(obs->legacy);
	free(obs->target);
	free(obs->host);
	free(obs->tls_version);
	free(obs->tls_cipher);
	free(obs->tls_alpn);
	free(obs->file);
	free(obs->domain);
	for (size_t i = 0; i < obs->keys_len; i++)
		free(obs->keys[i].path);
	free(obs);
}

void mc_observation_fail(mailcert_observation *obs, const char *code, const char *fmt, ...)
{
	va_list ap;

	obs->failure_code = code;
	va_start(ap, fmt);
	vsnprintf(obs->failure_msg, sizeof(obs->failure_msg), fmt, ap);
	va_end(ap);
}

/* Appends @text while it fits, keeping room for the note that says the rest was cut. */
static void transcript_add(mailcert_observation *obs, const char *text)
{
	static const char cut[] = "... (transcript truncated)\n";
	size_t n = strlen(text);

	if (obs->transcript_cut)
		return;
	if (obs->transcript_len + n + sizeof(cut) > sizeof(obs->transcript)) {
		text = cut;
		n = sizeof(cut) - 1;
		obs->transcript_cut = 1;
	}
	memcpy(obs->transcript + obs->transcript_len, text, n + 1);
	obs->transcript_len += n;
}

void mc_observation_note(mailcert_observation *obs, char who, const void *data, size_t len)
{
	const uint8_t *p = data, *end = p + len;

	while (p < end) {
		const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf ? (size_t)(lf - p) : (size_t)(end - p);
		char line[4 + 4 * 160 + 8];

		line[0] = who;
		line[1] = ':';
		line[2] = ' ';
		mc_quote(line + 3, sizeof(line) - 4, p, n && p[n - 1] == '\r' ? n - 1 : n, 160);
		strcat(line, "\n");
		transcript_add(obs, line);
		p += n + (lf ? 1 : 0);
	}
}

static int add_datum(gnutls_datum_t *list, size_t *len, size_t max, const void *der, size_t n)
{
	if (*len == max || n == 0 || n > UINT32_MAX)
		return 0;
	list[*len].data = malloc(n);
	if (!list[*len].data)
		return MAILCERT_E_NOMEM;
	memcpy(list[*len].data, der, n);
	list[*len].size = (unsigned)n;
	(*len)++;
	return 0;
}

int mc_observation_add_cert(mailcert_observation *obs, const void *der, size_t len)
{
	if (obs->chain_len == MC_MAX_CHAIN) {
		obs->chain_dropped++; /* said in a finding: checks/chain.c */
		return 0;
	}
	return add_datum(obs->chain, &obs->chain_len, MC_MAX_CHAIN, der, len);
}

int mc_observation_add_ocsp(mailcert_observation *obs, const void *der, size_t len)
{
	return add_datum(obs->ocsp, &obs->ocsp_len, MC_MAX_OCSP, der, len);
}

int mc_observation_set_sct_tls(mailcert_observation *obs, const void *list, size_t len)
{
	size_t none = 0;

	free(obs->sct_tls.data);
	obs->sct_tls.data = NULL;
	obs->sct_tls.size = 0;
	return add_datum(&obs->sct_tls, &none, 1, list, len);
}

int mc_observation_set_tls(mailcert_observation *obs, const char *version, const char *cipher,
			   const char *alpn)
{
	obs->tls_version = mc_strdup(version);
	obs->tls_cipher = mc_strdup(cipher);
	obs->tls_alpn = mc_strdup(alpn);
	if ((version && !obs->tls_version) || (cipher && !obs->tls_cipher) ||
	    (alpn && !obs->tls_alpn))
		return MAILCERT_E_NOMEM;
	return 0;
}

MAILCERT_EXPORT const char *mailcert_observation_target(const mailcert_observation *obs)
{
	return obs->target;
}

MAILCERT_EXPORT const char *mailcert_observation_key_type(const mailcert_observation *obs)
{
	return obs->key_type;
}

MAILCERT_EXPORT const char *mailcert_observation_file(const mailcert_observation *obs)
{
	return obs->file;
}

MAILCERT_EXPORT const char *mailcert_observation_peer(const mailcert_observation *obs)
{
	return obs->peer;
}

MAILCERT_EXPORT const char *mailcert_observation_failure(const mailcert_observation *obs,
							 const char **message)
{
	if (message)
		*message = obs->failure_code ? obs->failure_msg : NULL;
	return obs->failure_code;
}

MAILCERT_EXPORT size_t mailcert_observation_chain_length(const mailcert_observation *obs)
{
	return obs->chain_len;
}

static int get_datum(const gnutls_datum_t *list, size_t len, size_t index,
		     const unsigned char **der, size_t *der_len)
{
	if (index >= len)
		return MAILCERT_E_INVALID;
	*der = list[index].data;
	*der_len = list[index].size;
	return 0;
}

MAILCERT_EXPORT int mailcert_observation_cert_der(const mailcert_observation *obs, size_t index,
						  const unsigned char **der, size_t *der_len)
{
	return get_datum(obs->chain, obs->chain_len, index, der, der_len);
}

MAILCERT_EXPORT size_t mailcert_observation_ocsp_count(const mailcert_observation *obs)
{
	return obs->ocsp_len;
}

MAILCERT_EXPORT int mailcert_observation_ocsp_der(const mailcert_observation *obs, size_t index,
						  const unsigned char **der, size_t *der_len)
{
	return get_datum(obs->ocsp, obs->ocsp_len, index, der, der_len);
}

MAILCERT_EXPORT const char *mailcert_observation_tls_version(const mailcert_observation *obs)
{
	return obs->tls_version;
}

MAILCERT_EXPORT const char *mailcert_observation_tls_cipher(const mailcert_observation *obs)
{
	return obs->tls_cipher;
}

MAILCERT_EXPORT const char *mailcert_observation_tls_alpn(const mailcert_observation *obs)
{
	return obs->tls_alpn;
}

MAILCERT_EXPORT const char *mailcert_observation_transcript(const mailcert_observation *obs)
{
	return obs->transcript;
}

MAILCERT_EXPORT mailcert_timings mailcert_observation_timings(const mailcert_observation *obs)
{
	return obs->timings;
}

MAILCERT_EXPORT const char *mailcert_observation_domain(const mailcert_observation *obs)
{
	return obs->domain;
}

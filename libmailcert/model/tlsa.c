/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DANE's configuration and record syntax: TLSA records given with --tlsa
 * or read from DNS answers, and the policy's DANE settings (--dane, the
 * resolver and trust anchor of its lookups, the keys of a rollover). Pure;
 * the lookup itself is engine/tlsa_stage.c's, the judgement checks/dane.c's
 * and checks/dane_next.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/dnsrr.h"
#include "model/internal.h"
#include "model/tlsakey.h"

/* Digest lengths by matching type: full data, SHA2-256, SHA2-512. */
static int data_len_ok(unsigned mtype, size_t len)
{
	return mtype == 1 ? len == 32 : mtype == 2 ? len == 64 : len > 0;
}

int mc_tlsa_parse_text(struct mc_tlsa *out, const char *text, char *err, size_t errlen)
{
	unsigned f[3];
	const char *s = text;
	unsigned char *data;
	size_t n = 0;
	int hi = -1;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 3; i++) {
		char *end;
		unsigned long v;

		while (*s == ' ' || *s == '\t')
			s++;
		errno = 0;
		v = strtoul(s, &end, 10);
		if (end == s || errno || v > 255 || (*end != ' ' && *end != '\t')) {
			mc_set_error(err, errlen,
				     "a TLSA record is \"USAGE SELECTOR MTYPE HEX\", e.g. \"3 1 1 "
				     "0c72ac70…\"");
			return -1;
		}
		f[i] = (unsigned)v;
		s = end;
	}
	data = malloc(strlen(s) / 2 + 1);
	if (!data) {
		mc_set_error(err, errlen, "out of memory");
		return -1;
	}
	for (; *s; s++) {
		int v = mc_hexval((unsigned char)*s);

		if (*s == ' ' || *s == '\t')
			continue;
		if (v < 0 || n >= MC_TLSA_DATA_MAX) {
			free(data);
			mc_set_error(err, errlen,
				     v < 0 ? "the TLSA data is not hexadecimal"
					   : "the TLSA data is too long");
			return -1;
		}
		if (hi < 0) {
			hi = v;
		} else {
			data[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(data);
		mc_set_error(err, errlen, "the TLSA data has an odd number of hex digits");
		return -1;
	}
	if (!data_len_ok(f[2], n) && f[2] <= 2) {
		free(data);
		mc_set_error(err, errlen, "matching type %u needs %s of data, not %zu bytes", f[2],
			     f[2] == 1   ? "32 bytes (SHA-256)"
			     : f[2] == 2 ? "64 bytes (SHA-512)"
					 : "some bytes",
			     n);
		return -1;
	}
	*out = (struct mc_tlsa){.usage = (unsigned char)f[0],
				.selector = (unsigned char)f[1],
				.mtype = (unsigned char)f[2],
				.data = data,
				.len = n};
	return 0;
}

int mc_tlsa_parse_rdata(struct mc_tlsa *out, const unsigned char *rdata, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (len < 4 || len - 3 > MC_TLSA_DATA_MAX)
		return -1;
	out->data = malloc(len - 3);
	if (!out->data)
		return -1;
	out->usage = rdata[0];
	out->selector = rdata[1];
	out->mtype = rdata[2];
	out->len = len - 3;
	memcpy(out->data, rdata + 3, out->len);
	return 0;
}

void mc_dane_lookup_clear(struct mc_dane_lookup *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rr[i].data);
	memset(l, 0, sizeof(*l));
}

MAILCERT_EXPORT int mailcert_policy_add_tlsa(mailcert_policy *p, const char *record, char *err,
					     unsigned errlen)
{
	if (!p || !record)
		return MAILCERT_E_INVALID;
	if (p->tlsa_len == MC_MAX_TLSA) {
		mc_set_error(err, errlen, "at most %d TLSA records", MC_MAX_TLSA);
		return MAILCERT_E_INVALID;
	}
	if (mc_tlsa_parse_text(&p->tlsa[p->tlsa_len], record, err, errlen) < 0)
		return MAILCERT_E_INVALID;
	p->tlsa_len++;
	return 0;
}

/* Reads @path into the next free slot of @keys (@len of them so far), as the @what. */
static int add_key(struct mc_tlsa_key *keys, size_t *len, const char *path, const char *what,
		   char *err, unsigned errlen)
{
	int rc;

	if (!path)
		return MAILCERT_E_INVALID;
	if (*len == MC_MAX_NEXT_KEYS) {
		mc_set_error(err, errlen, "at most %d %ss", MC_MAX_NEXT_KEYS, what);
		return MAILCERT_E_INVALID;
	}
	rc = mc_tlsa_key_load(&keys[*len], path, what, err, errlen);
	if (rc == 0)
		(*len)++;
	return rc;
}

MAILCERT_EXPORT int mailcert_policy_add_next_key(mailcert_policy *p, const char *path, char *err,
						 unsigned errlen)
{
	if (!p)
		return MAILCERT_E_INVALID;
	return add_key(p->next_keys, &p->next_keys_len, path, "next key file", err, errlen);
}

MAILCERT_EXPORT int mailcert_policy_add_next_issuer(mailcert_policy *p, const char *path,
						    char *err, unsigned errlen)
{
	if (!p)
		return MAILCERT_E_INVALID;
	return add_key(p->next_issuers, &p->next_issuers_len, path, "next issuer file", err,
		       errlen);
}

MAILCERT_EXPORT int mailcert_policy_set_dane(mailcert_policy *p, int dane)
{
	if (!p)
		return MAILCERT_E_INVALID;
	p->dane = dane != 0;
	return 0;
}

static int set_string(char **slot, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = mc_strdup(value)))
		return MAILCERT_E_NOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_resolver(mailcert_policy *p, const char *address, char *err,
						 unsigned errlen)
{
	char unused[80];

	if (!p)
		return MAILCERT_E_INVALID;
	if (address && mc_dns_server_parse(address, unused, sizeof(unused)) < 0) {
		mc_set_error(err, errlen,
			     "\"%.64s\" is not an IP address with an optional port (127.0.0.1, "
			     "127.0.0.1:5353, [::1]:53)",
			     address);
		return MAILCERT_E_INVALID;
	}
	return set_string(&p->resolver, address);
}

MAILCERT_EXPORT int mailcert_policy_set_trust_anchor(mailcert_policy *p, const char *path,
						     char *err, unsigned errlen)
{
	if (!p)
		return MAILCERT_E_INVALID;
	if (path && access(path, R_OK) < 0) {
		char q[4 * 200 + 4];

		mc_quote(q, sizeof(q), path, strlen(path), 200);
		mc_set_error(err, errlen, "cannot read the trust anchor file \"%s\": %s", q,
			     strerror(errno));
		return MAILCERT_E_IO;
	}
	return set_string(&p->trust_anchor, path);
}

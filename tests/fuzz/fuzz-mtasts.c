/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for MTA-STS and TLS-RPT text (libmailcert/mtasts.c):
 * the input is a policy body as an HTTPS server sends it, and, split on
 * '\n', the TXT records of _mta-sts and _smtp._tls as DNS gives them and
 * MX host names to match against the policy's patterns.
 *
 * Each TXT record is copied to a buffer of exactly its length, so that
 * AddressSanitizer sees a read past a record's end. Besides memory errors
 * it checks that every refusal is one NUL-terminated printable line, that
 * what is returned keeps to its bounds, and that every pattern a parsed
 * policy holds matches the names it should.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/mtasts.h"

#define MAX_RECORDS 8
#define ERR_LEN 512

/* @err was filled with 0xff before the call: a reason must end inside it. */
static void check_reason(const char *err)
{
	const char *end = memchr(err, '\0', ERR_LEN);

	require(end && end > err);
	for (const char *p = err; p < end; p++)
		require(*p >= 0x20 && *p < 0x7f);
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void txt(const char *const *rec, const size_t *len, size_t n)
{
	char id[33], rua[128], err[ERR_LEN];
	int rc;

	memset(id, 0xff, sizeof(id));
	memset(err, 0xff, sizeof(err));
	rc = mc_mtasts_txt(rec, len, n, id, err, sizeof(err));
	require(rc >= -1 && rc <= 1);
	if (rc < 0)
		check_reason(err);
	if (rc == 1) {
		size_t k = strnlen(id, sizeof(id));

		require(k >= 1 && k <= 32);
		for (size_t i = 0; i < k; i++)
			require(is_alnum(id[i]));
	}

	/* A small rua buffer, so that the cut is exercised too. */
	memset(rua, 0xff, sizeof(rua));
	memset(err, 0xff, sizeof(err));
	rc = mc_tlsrpt_txt(rec, len, n, rua, 24, err, sizeof(err));
	require(rc >= -1 && rc <= 1);
	require(memchr(rua, '\0', 24) != NULL);
	require((unsigned char)rua[24] == 0xff);
	if (rc < 0)
		check_reason(err);
	if (rc == 1) {
		require(rua[0] != '\0');
		for (const char *p = rua; *p; p++)
			require(*p > 0x20 && *p < 0x7f); /* URIs and commas, no white space */
	}
}

/* A copy of @s with its first letters in upper case and a trailing dot. */
static char *shout(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(n + 2);

	require(c);
	for (size_t i = 0; i < n; i++)
		c[i] = (i < 3 && s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
	c[n] = '.';
	c[n + 1] = '\0';
	return c;
}

static void check_pattern(const char *mx)
{
	size_t n = strnlen(mx, 256);
	char *loud;

	require(n > 0 && n < 256);
	for (size_t i = 0; i < n; i++)
		require(!(mx[i] >= 'A' && mx[i] <= 'Z'));
	if (mx[0] == '*') {
		char *host = strdup(mx);

		require(host);
		host[0] = 'a'; /* "*.example.com" → "a.example.com" */
		require(mc_mtasts_mx_match(mx, host));
		require(!mc_mtasts_mx_match(mx, mx + 2));
		free(host);
		return;
	}
	require(mc_mtasts_mx_match(mx, mx));
	loud = shout(mx);
	require(mc_mtasts_mx_match(mx, loud));
	free(loud);
}

static void policy(const uint8_t *data, size_t size, const char *const *names, size_t n)
{
	static struct mc_mtasts_policy p;
	char err[ERR_LEN];

	memset(err, 0xff, sizeof(err));
	if (mc_mtasts_policy_parse((const char *)data, size, &p, err, sizeof(err)) < 0) {
		check_reason(err);
		require(p.mx_len == 0);
		return;
	}
	require(p.mode == MC_MTASTS_NONE || p.mode == MC_MTASTS_TESTING ||
		p.mode == MC_MTASTS_ENFORCE);
	require(p.mx_len <= MC_MTASTS_MAX_MX);
	require(p.mx_len > 0 || p.mode == MC_MTASTS_NONE);
	require(p.max_age >= 0 && p.max_age <= MC_MTASTS_MAX_AGE);
	for (size_t i = 0; i < p.mx_len; i++) {
		check_pattern(p.mx[i]);
		for (size_t j = 0; j < n; j++)
			(void)mc_mtasts_mx_match(p.mx[i], names[j]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rec[MAX_RECORDS], *names[MAX_RECORDS];
	size_t len[MAX_RECORDS], n = 0, pos = 0;

	if (size > MC_MTASTS_MAX_BYTES + 16)
		return 0;
	while (n < MAX_RECORDS && pos < size) {
		const uint8_t *lf = memchr(data + pos, '\n', size - pos);
		size_t k = lf ? (size_t)(lf - (data + pos)) : size - pos;

		len[n] = k;
		rec[n] = malloc(k); /* malloc(0) too: ASan then flags any read */
		names[n] = malloc(k + 1);
		require((rec[n] || k == 0) && names[n]);
		memcpy(rec[n], data + pos, k);
		memcpy(names[n], data + pos, k);
		names[n][k] = '\0'; /* an embedded NUL just ends the name sooner */
		n++;
		pos += k + 1;
	}
	txt((const char *const *)rec, len, n);
	policy(data, size, (const char *const *)names, n);
	for (size_t i = 0; i + 1 < n; i++)
		(void)mc_mtasts_mx_match(names[i], names[i + 1]);
	for (size_t i = 0; i < n; i++) {
		free(rec[i]);
		free(names[i]);
	}
	return 0;
}

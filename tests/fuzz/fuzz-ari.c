/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for what an ACME CA answers (libmailcert/model/ari.c):
 * the input is a renewalInfo document and an ACME directory as an HTTPS
 * server sends them, copied to a buffer of exactly their length so that
 * AddressSanitizer sees a read past the end (the parsers get a length,
 * not a string). Besides memory errors it checks what the callers rely
 * on: a refusal is one printable line; a parsed window ends after it
 * starts; an explanation and a renewalInfo URL are http(s) URLs of
 * printable bytes without quotes or backslashes, so they are safe to
 * print.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/internal.h"

static void printable(const char *s, size_t max)
{
	const char *end = memchr(s, '\0', max);

	require(end);
	for (const char *p = s; p < end; p++)
		require(*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\');
}

static void reason(const char *why, size_t max)
{
	const char *end = memchr(why, '\0', max);

	require(end && end > why);
	for (const char *p = why; p < end; p++)
		require(*p >= 0x20 && *p < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size ? size : 1), why[256], url[768];
	struct mc_ari a;

	if (!body)
		return 0;
	memcpy(body, data, size);
	memset(&a, 0xff, sizeof(a));
	memset(why, 0xff, sizeof(why));
	if (mc_ari_parse(body, size, &a, why, sizeof(why)) == 0) {
		require(a.end > a.start);
		printable(a.explanation, sizeof(a.explanation));
		require(a.explanation[0] == '\0' || strncmp(a.explanation, "https://", 8) == 0 ||
			strncmp(a.explanation, "http://", 7) == 0);
	} else {
		reason(why, sizeof(why));
	}
	memset(url, 0xff, sizeof(url));
	memset(why, 0xff, sizeof(why));
	if (mc_ari_directory(body, size, url, sizeof(url), why, sizeof(why)) == 0) {
		printable(url, sizeof(url));
		require(strncmp(url, "https://", 8) == 0);
	} else {
		reason(why, sizeof(why));
	}
	free(body);
	return 0;
}

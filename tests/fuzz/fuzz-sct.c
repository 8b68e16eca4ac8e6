/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the SCT parsers (libmailcert/model/sct.c): the
 * first byte chooses what the rest is, as a server sends it: a TLS SCT
 * list (the TLS extension), an extension value wrapping one (the
 * certificate's), a certificate whose precertificate TBS is rebuilt, or an
 * OCSP response. The input is copied to a buffer of exactly its length, so
 * AddressSanitizer sees a read past the end. Besides memory errors it
 * checks what the callers rely on: every SCT's extensions and signature lie
 * inside the input; a precertificate is never longer than its certificate;
 * a found OCSP list lies inside the response; a refusal is one printable
 * line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/sct.h"

static void reason(const char *why, size_t max)
{
	const char *end = memchr(why, '\0', max);

	require(end && end > why);
	for (const char *p = why; p < end; p++)
		require(*p >= 0x20 && *p < 0x7f);
}

static int inside(const unsigned char *p, size_t n, const unsigned char *buf, size_t len)
{
	return n == 0 || (p >= buf && p + n <= buf + len);
}

static void list(const unsigned char *p, size_t n, const unsigned char *buf, size_t len)
{
	struct mc_sct scts[MC_MAX_SCT];
	size_t count = 0, dropped = 0;
	char why[200] = "";

	if (mc_sct_list_parse(p, n, MC_SCT_TLS, scts, MC_MAX_SCT, &count, &dropped, why,
			      sizeof(why)) < 0) {
		reason(why, sizeof(why));
		return;
	}
	require(count <= MC_MAX_SCT);
	for (size_t i = 0; i < count; i++) {
		unsigned char *signed_data;
		size_t signed_len;

		require(inside(scts[i].ext, scts[i].ext_len, buf, len));
		require(inside(scts[i].sig, scts[i].sig_len, buf, len));
		require(mc_sct_signed_data(&scts[i], buf, len, i % 2 ? buf : NULL, &signed_data,
					   &signed_len) == 0 || len < 32);
		free(signed_data);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *buf, *tbs = NULL;
	const unsigned char *l;
	size_t len, ll, tbs_len;
	char why[200] = "";

	if (size < 1)
		return 0;
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	switch (data[0] % 4) {
	case 0:
		list(buf, len, buf, len);
		break;
	case 1:
		if (mc_sct_unwrap(buf, len, &l, &ll) == 0) {
			require(inside(l, ll, buf, len));
			list(l, ll, buf, len);
		}
		break;
	case 2:
		if (mc_sct_precert_tbs(buf, len, &tbs, &tbs_len, why, sizeof(why)) == 0)
			require(tbs && tbs_len <= len);
		else
			reason(why, sizeof(why));
		free(tbs);
		break;
	default:
		if (mc_sct_from_ocsp(buf, len, &l, &ll) > 0) {
			require(inside(l, ll, buf, len));
			list(l, ll, buf, len);
		}
		break;
	}
	free(buf);
	return 0;
}

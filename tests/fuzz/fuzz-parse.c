/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for what users type and configs hold: targets and
 * thresholds. The first input byte picks the parser (even: target, odd:
 * threshold), the rest is the text (made NUL-terminated, NULs kept as the
 * end of the string).
 *
 * Besides memory errors it checks that a parsed target's canonical form
 * parses again to itself (what the observation stores and the JSON
 * renderer reads back), and that every refusal explains itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mailcert/mailcert.h>

#include "fuzz.h"

static void target(const char *text)
{
	mailcert_target *t = NULL, *again = NULL;
	char err[256] = "";

	if (mailcert_target_parse(&t, text, NULL, err, sizeof(err)) < 0) {
		require(!t && err[0]);
		return;
	}
	require(mailcert_target_port(t) >= 1 && mailcert_target_port(t) <= 65535);
	require(mailcert_target_parse(&again, mailcert_target_string(t), NULL, err, sizeof(err)) == 0);
	require(strcmp(mailcert_target_string(t), mailcert_target_string(again)) == 0);
	require(mailcert_target_protocol(t) == mailcert_target_protocol(again));
	mailcert_target_free(again);
	mailcert_target_free(t);
}

static void threshold(const char *text, int critical)
{
	mailcert_policy *p = NULL;
	char err[256] = "";

	require(mailcert_policy_new(&p) == 0);
	if (mailcert_policy_set_threshold(p, critical, text, err, sizeof(err)) < 0)
		require(err[0]);
	mailcert_policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 4096)
		return 0;
	text = malloc(size);
	require(text);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		threshold(text, data[0] & 2);
	else
		target(text);
	free(text);
	return 0;
}

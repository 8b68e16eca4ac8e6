/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for Traefik's acme.json as mailcert reads it
 * (libmailcert/model/acmestore.c): another program's file, often another
 * container's, so untrusted. The input is the document, copied to a
 * buffer of exactly its length so that AddressSanitizer sees a read past
 * the end. Besides memory errors it checks what the callers rely on: a
 * refusal is one printable line; every lineage has a printable name and
 * either a reason or a chain; each can be made an observation or says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/acmestore.h"

static void printable(const char *s, size_t max)
{
	const char *end = memchr(s, '\0', max);

	require(end);
	for (const char *p = s; p < end; p++)
		require(*p >= 0x20 && *p < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *doc = malloc(size ? size : 1), err[512];
	mailcert_acme_store *s = mc_acme_store_alloc(MC_ACME_TRAEFIK, "/etc/letsencrypt/acme.json");

	if (!doc || !s) {
		free(doc);
		mailcert_acme_store_free(s);
		return 0;
	}
	memcpy(doc, data, size);
	memset(err, 0xff, sizeof(err));
	if (mc_acme_traefik_parse(s, doc, size, err, sizeof(err)) < 0) {
		printable(err, sizeof(err));
		require(err[0]);
	}
	for (size_t i = 0; i < s->len; i++) {
		const struct mc_acme_lineage *l = &s->lineages[i];
		mailcert_observation *obs = NULL;

		printable(l->name, strlen(l->name) + 1);
		require(l->error ? l->chain_len == 0 : l->chain_len > 0);
		(void)mc_acme_covers(l, "mail.example.com");
		memset(err, 0xff, sizeof(err));
		if (mailcert_observation_from_acme(&obs, s, i, err, sizeof(err)) == 0)
			require(mailcert_observation_chain_length(obs) == l->chain_len);
		else
			printable(err, sizeof(err));
		mailcert_observation_free(obs);
	}
	mailcert_acme_store_free(s);
	free(doc);
	return 0;
}

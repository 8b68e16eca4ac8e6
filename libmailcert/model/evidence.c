/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The evidence a check gathers after its handshake (model/internal.h). */
#include <stdlib.h>

#include "model/internal.h"

struct mc_evidence *mc_evidence_new(void)
{
	return calloc(1, sizeof(struct mc_evidence));
}

void mc_evidence_free(struct mc_evidence *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->crl_len; i++) {
		free(ev->crl[i].url);
		free(ev->crl[i].der.data);
		free(ev->crl[i].error);
	}
	mc_dane_lookup_clear(&ev->dane);
	mailcert_acme_store_free(ev->acme);
	free(ev);
}

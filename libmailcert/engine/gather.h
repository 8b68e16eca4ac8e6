/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The stages of a check after (or beside) its handshake, which gather its
 * evidence (struct mc_evidence) through the engine's shared lookups
 * and transfers (stages.h): the TLSA lookup of --dane (tlsa_stage.c) and
 * the CRLs of --crl-fetch (crl_stage.c). Each stage calls @done once for
 * every request it said it started, from inside mc_stages_process();
 * cancelling stops those calls. Not installed.
 */
#ifndef MAILCERT_GATHER_H
#define MAILCERT_GATHER_H

#include <stdint.h>

#include "engine/stages.h"
#include "model/internal.h"

typedef void (*mc_stage_done_fn)(void *user);

struct mc_tlsa_stage {
	struct mc_dns_query *q;
	struct mc_dane_lookup *out;
	mc_stage_done_fn done;
	void *user;
};

/*
 * When @p asks for DANE from DNS (--dane without --tlsa), looks up the
 * TLSA records of _@port._tcp.@host into @out, validated, by @deadline.
 * Returns 1 when a lookup was started (@done follows), 0 when there is
 * nothing to wait for (not asked, or @out already says why not: an IP
 * address has no TLSA name, a resolver that cannot be set up leaves DANE
 * unchecked), or MAILCERT_E_NOMEM.
 */
int mc_tlsa_stage_start(struct mc_tlsa_stage *s, struct mc_stages *st, const mailcert_policy *p,
			const char *host, unsigned port, int64_t deadline,
			struct mc_dane_lookup *out, mc_stage_done_fn done, void *user);
void mc_tlsa_stage_cancel(struct mc_tlsa_stage *s);

struct mc_crl_stage {
	struct crl_wait *waits[MC_MAX_CRL_FETCH];
	size_t n;
};

/*
 * When @p asks for it (--crl-fetch), records in @ev the CRL of every HTTP
 * distribution point of @obs's chain but trust anchors: from the on-disk
 * cache while it is current, else fetched by @deadline. Returns how many
 * fetches it started (@done follows for each), or MAILCERT_E_NOMEM.
 */
int mc_crl_stage_start(struct mc_crl_stage *s, struct mc_stages *st, const mailcert_policy *p,
		       const mailcert_observation *obs, int64_t deadline,
		       struct mc_evidence *ev, mc_stage_done_fn done, void *user);
/* Ends the stage: abandons the fetches still waited for, and frees what it holds. */
void mc_crl_stage_cancel(struct mc_crl_stage *s);

struct mc_ari_stage {
	struct mc_stages *st;
	const mailcert_policy *p;
	struct mc_get *get; /* the directory, then the renewalInfo */
	struct mc_ari *out;
	char cert_id[200];
	char directory[768];
	int64_t deadline;
	mc_stage_done_fn done;
	void *user;
};

/*
 * When @p asks for it (--ari), records in @out the window in which the
 * CA of @obs's leaf suggests renewing it (RFC 9773): from the on-disk
 * cache until the CA's Retry-After, else from the renewalInfo URL of its
 * ACME directory (--acme-directory, or one mailcert knows by the issuer),
 * by @deadline. Returns 1 when it waits (@done follows once), 0 when
 * there is nothing to wait for (not asked, cached, or @out says why not),
 * or MAILCERT_E_NOMEM.
 */
int mc_ari_stage_start(struct mc_ari_stage *s, struct mc_stages *st, const mailcert_policy *p,
		       const mailcert_observation *obs, int64_t deadline, struct mc_ari *out,
		       mc_stage_done_fn done, void *user);
void mc_ari_stage_cancel(struct mc_ari_stage *s);

#endif

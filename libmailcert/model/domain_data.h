/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a mail domain's lookups found (engine/domain_lookup.c), for its judgement
 * (checks/domain.c). Not installed.
 */
#ifndef MAILCERT_DOMAIN_DATA_H
#define MAILCERT_DOMAIN_DATA_H

#include <stddef.h>

#include "model/dnsrr.h"

#define MC_MAX_MX 8   /* MX hosts checked, by preference */
#define MC_MAX_ADDR 2 /* addresses checked per MX host and family (A, AAAA) */
#define MC_MAX_MX_ADDR (MC_MAX_MX * 2 * MC_MAX_ADDR)

/*
 * One address of an MX host, to check: senders may reach any of them. A
 * host without an address has one entry, with addr "". A host's entries
 * are adjacent: its A records, then its AAAA records, each sorted.
 */
struct mc_mx {
	char host[MC_DNS_NAME_MAX];
	unsigned pref;
	char addr[64]; /* "" when none */
	char why[256]; /* why there is no address */
	size_t more;   /* on a host's last entry: its addresses beyond MC_MAX_ADDR a family */
	/* On a host's last entry: its addresses this machine has no route to, not checked */
	size_t unroutable;
	char unroutable_addr[64]; /* the first of them */
};

struct mailcert_domain {
	char name[MC_DNS_NAME_MAX];
	/* MX */
	int mx_status, mx_nxdomain;
	char mx_why[256];
	int mx_implicit, mx_null;
	size_t mx_skipped; /* malformed, or beyond MC_MAX_MX */
	struct mc_mx mx[MC_MAX_MX_ADDR];
	size_t mx_len;
	/* MTA-STS: the TXT record (found 1, none 0, invalid -1) and the policy */
	int sts_status, sts_found;
	char sts_id[33], sts_why[512];
	char sts_url[300];
	char *sts_body; /* NULL when not fetched */
	size_t sts_len;
	char sts_type[128];
	long sts_http;
	char *sts_error; /* why the fetch failed, or NULL */
	/* TLS-RPT */
	int rpt_status, rpt_found;
	char rpt_rua[512], rpt_why[512];
};

#endif

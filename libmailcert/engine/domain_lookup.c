/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mail domains (include/mailcert/domain.h): the lookups, bounded by one
 * deadline; checks/domain.c judges what they found. The MX hosts' own
 * checks are ordinary probes, made by the caller between the two.
 *
 * Everything here comes from DNS or from the policy host: names are
 * parsed by dnsrr.c into plain host names, TXT records and the policy by
 * mtasts.c, and any of it reaches a message only quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dns.h"
#include "model/domain_data.h"
#include "io/http.h"
#include "model/internal.h"
#include "model/mtasts.h"
#include "io/net.h"

/* ---- lookups ------------------------------------------------------- */

/* The TXT records at one name, joined per record (RFC 8461 and 8460 read them so). */
struct txt_set {
	int status; /* enum mc_dns_status */
	char why[256];
	char *txt[MC_DNS_MAX_RR];
	size_t len[MC_DNS_MAX_RR];
	size_t n;
};

static void txt_clear(struct txt_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->txt[i]);
	s->n = 0;
}

static int lookup_txt(struct mc_dns *dns, const char *name, long long deadline, struct txt_set *s)
{
	struct mc_dns_answer a;
	int rc = mc_dns_query(dns, name, MC_RR_TXT, deadline, &a);

	memset(s, 0, sizeof(*s));
	if (rc < 0)
		return rc;
	s->status = (int)a.status;
	memcpy(s->why, a.why, sizeof(s->why));
	for (size_t i = 0; i < a.n; i++) {
		char *t = malloc(a.rr[i].len + 1);

		/* A TXT record's text is never longer than its RDATA. */
		if (!t || mc_rr_txt(a.rr[i].data, a.rr[i].len, t, a.rr[i].len + 1, &s->len[s->n])) {
			free(t);
			if (!t) {
				rc = MAILCERT_E_NOMEM;
				break;
			}
			continue;
		}
		s->txt[s->n++] = t;
	}
	mc_dns_answer_clear(&a);
	if (rc < 0)
		txt_clear(s);
	return rc;
}

static int addr_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* What lookup_addrs() found beyond the addresses it returns. */
struct addr_rest {
	size_t more;       /* beyond MC_MAX_ADDR a family */
	size_t unroutable; /* no route from this machine (mc_net_routable()) */
	char unroutable_addr[64];
};

/*
 * The addresses of @host: its A records, then its AAAA records (or only
 * the family of -4, -6), at most MC_MAX_ADDR each, sorted so that reports
 * come in the same order whatever order DNS gave; @rest counts the others.
 * Addresses this machine has no route to are left out: a monitor without
 * IPv6 would otherwise call every dual-stack host broken. None: *@n is 0
 * and @why says why.
 */
static int lookup_addrs(struct mc_dns *dns, const char *host, mailcert_family family,
			long long deadline, char addrs[2 * MC_MAX_ADDR][64], size_t *n,
			struct addr_rest *rest, char why[256])
{
	static const int types[] = {MC_RR_A, MC_RR_AAAA};

	*n = 0;
	*rest = (struct addr_rest){0};
	snprintf(why, 256, "no %s record",
		 family == MAILCERT_FAMILY_INET    ? "A"
		 : family == MAILCERT_FAMILY_INET6 ? "AAAA"
						   : "A or AAAA");
	for (size_t t = 0; t < 2; t++) {
		char found[MC_DNS_MAX_RR][64];
		struct mc_dns_answer a;
		size_t k = 0;
		int rc;

		if ((family == MAILCERT_FAMILY_INET && types[t] != MC_RR_A) ||
		    (family == MAILCERT_FAMILY_INET6 && types[t] != MC_RR_AAAA))
			continue;
		rc = mc_dns_query(dns, host, types[t], deadline, &a);
		if (rc < 0)
			return rc;
		if (!*n && (a.status == MC_DNS_FAILED || a.status == MC_DNS_BOGUS))
			snprintf(why, 256, "%s", a.why);
		for (size_t i = 0; i < a.n; i++)
			if (mc_rr_addr(a.rr[i].data, a.rr[i].len, types[t], found[k],
				       sizeof(found[k])) == 0)
				k++;
		rest->more += a.dropped;
		mc_dns_answer_clear(&a);
		qsort(found, k, sizeof(found[0]), addr_cmp);
		for (size_t i = 0, kept = 0; i < k; i++) {
			if (!mc_net_routable(found[i])) {
				if (!rest->unroutable++)
					memcpy(rest->unroutable_addr, found[i], sizeof(found[i]));
			} else if (kept++ < MC_MAX_ADDR) {
				memcpy(addrs[(*n)++], found[i], sizeof(found[i]));
			} else {
				rest->more++;
			}
		}
	}
	if (!*n && rest->unroutable)
		snprintf(why, 256, "no route from this machine to %s%s", rest->unroutable_addr,
			 rest->unroutable > 1 ? " or its other addresses" : "");
	return 0;
}

/* The MX hosts of @d->name by preference, at most MC_MAX_MX, into @hosts. */
static int lookup_mx_hosts(mailcert_domain *d, struct mc_dns *dns, long long deadline,
			   struct mc_mx hosts[MC_MAX_MX], size_t *len)
{
	struct mc_dns_answer a;
	int rc = mc_dns_query(dns, d->name, MC_RR_MX, deadline, &a);

	*len = 0;
	if (rc < 0)
		return rc;
	d->mx_status = (int)a.status;
	d->mx_nxdomain = a.nxdomain;
	memcpy(d->mx_why, a.why, sizeof(d->mx_why));
	d->mx_skipped = a.dropped;
	if (a.status == MC_DNS_SECURE || a.status == MC_DNS_INSECURE) {
		for (size_t i = 0; i < a.n; i++) {
			struct mc_mx m = {0};
			size_t j;

			if (mc_rr_mx(a.rr[i].data, a.rr[i].len, &m.pref, m.host) < 0) {
				d->mx_skipped++;
				continue;
			}
			/* RFC 7505: a lone "0 ." says the domain takes no mail. */
			if (m.host[0] == '\0') {
				d->mx_null = 1;
				continue;
			}
			/* By preference, in the order DNS gave them when equal. */
			for (j = *len; j > 0 && hosts[j - 1].pref > m.pref; j--)
				;
			if (j == MC_MAX_MX) {
				d->mx_skipped++;
				continue;
			}
			if (*len == MC_MAX_MX)
				d->mx_skipped++;
			else
				++*len;
			memmove(&hosts[j + 1], &hosts[j], (*len - 1 - j) * sizeof(hosts[0]));
			hosts[j] = m;
		}
		if (d->mx_null)
			*len = 0;
		else if (*len == 0 && !a.nxdomain && d->mx_skipped == 0) {
			/* RFC 5321 §5.1: no MX, the domain itself is the mail host. */
			d->mx_implicit = 1;
			hosts[0] = (struct mc_mx){0};
			snprintf(hosts[0].host, sizeof(hosts[0].host), "%s", d->name);
			*len = 1;
		}
	}
	mc_dns_answer_clear(&a);
	return 0;
}

/* The MX hosts, each once for every address it has (struct mc_mx), into @d->mx. */
static int lookup_mx(mailcert_domain *d, struct mc_dns *dns, mailcert_family family,
		     long long deadline)
{
	struct mc_mx hosts[MC_MAX_MX];
	size_t len;
	int rc = lookup_mx_hosts(d, dns, deadline, hosts, &len);

	for (size_t i = 0; rc == 0 && i < len; i++) {
		char addrs[2 * MC_MAX_ADDR][64];
		size_t n;
		struct addr_rest rest;
		struct mc_mx m = hosts[i];

		rc = lookup_addrs(dns, m.host, family, deadline, addrs, &n, &rest, m.why);
		for (size_t j = 0; rc == 0 && j < (n ? n : 1); j++) {
			if (n)
				memcpy(m.addr, addrs[j], sizeof(m.addr));
			if (j + 1 >= n) { /* the host's last entry */
				m.more = rest.more;
				m.unroutable = rest.unroutable;
				memcpy(m.unroutable_addr, rest.unroutable_addr,
				       sizeof(m.unroutable_addr));
			}
			d->mx[d->mx_len++] = m;
		}
	}
	return rc;
}

/* RFC 8461 §3.3: the policy of https://mta-sts.DOMAIN/.well-known/mta-sts.txt. */
static int fetch_policy(mailcert_domain *d, struct mc_dns *dns, const mailcert_policy *p,
			mailcert_family family, long long deadline)
{
	char host[MC_DNS_NAME_MAX + 8], addrs[2 * MC_MAX_ADDR][64], why[256], resolve[400];
	const char *addr = addrs[0];
	struct addr_rest rest;
	size_t n;
	struct mc_http_request req = {.url = d->sts_url,
				      .ca_file = p->ca_file,
				      .ca_dir = p->ca_dir,
				      .resolve = resolve,
				      .max_bytes = MC_MTASTS_MAX_BYTES};
	struct mc_http_response resp;
	int rc;

	snprintf(host, sizeof(host), "mta-sts.%s", d->name);
	snprintf(d->sts_url, sizeof(d->sts_url), "https://%s/.well-known/mta-sts.txt", host);
	/* Resolved here, so the policy host is found through the same DNS as the rest. */
	rc = lookup_addrs(dns, host, family, deadline, addrs, &n, &rest, why);
	if (rc < 0)
		return rc;
	if (!n) {
		d->sts_error = mc_asprintf("%s has no address (%s)", host, why);
		return d->sts_error ? 0 : MAILCERT_E_NOMEM;
	}
	snprintf(resolve, sizeof(resolve), strchr(addr, ':') ? "%s:443:[%s]" : "%s:443:%s", host,
		 addr);
	req.timeout_ms = deadline - mc_now_ms();
	d->sts_error = mc_http_get(&req, &resp);
	d->sts_http = resp.status;
	memcpy(d->sts_type, resp.content_type, sizeof(d->sts_type));
	d->sts_body = (char *)resp.body;
	d->sts_len = resp.len;
	return 0;
}

static int lookup_policies(mailcert_domain *d, struct mc_dns *dns, const mailcert_policy *p,
			   mailcert_family family, long long deadline)
{
	char name[MC_DNS_NAME_MAX + 16];
	struct txt_set s;
	int rc;

	snprintf(name, sizeof(name), "_mta-sts.%s", d->name);
	rc = lookup_txt(dns, name, deadline, &s);
	if (rc < 0)
		return rc;
	d->sts_status = s.status;
	if (s.status == MC_DNS_FAILED || s.status == MC_DNS_BOGUS)
		memcpy(d->sts_why, s.why, sizeof(s.why));
	else
		d->sts_found = mc_mtasts_txt((const char *const *)s.txt, s.len, s.n, d->sts_id,
					     d->sts_why, sizeof(d->sts_why));
	txt_clear(&s);
	if (d->sts_found == 1 && (rc = fetch_policy(d, dns, p, family, deadline)) < 0)
		return rc;
	snprintf(name, sizeof(name), "_smtp._tls.%s", d->name);
	rc = lookup_txt(dns, name, deadline, &s);
	if (rc < 0)
		return rc;
	d->rpt_status = s.status;
	if (s.status == MC_DNS_FAILED || s.status == MC_DNS_BOGUS)
		memcpy(d->rpt_why, s.why, sizeof(s.why));
	else
		d->rpt_found = mc_tlsrpt_txt((const char *const *)s.txt, s.len, s.n, d->rpt_rua,
					     sizeof(d->rpt_rua), d->rpt_why, sizeof(d->rpt_why));
	txt_clear(&s);
	return 0;
}

MAILCERT_EXPORT int mailcert_domain_lookup(mailcert_domain **out, const char *domain,
					   const mailcert_policy *policy, mailcert_family family,
					   unsigned timeout_ms, char *err, unsigned errlen)
{
	long long deadline = mc_now_ms() + timeout_ms;
	mailcert_domain *d;
	struct mc_dns *dns;
	int rc;

	if (!out || !domain || !policy)
		return MAILCERT_E_INVALID;
	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return MAILCERT_E_NOMEM;
	if (mc_dns_name_text(domain, d->name) < 0) {
		char q[200];

		mc_quote(q, sizeof(q), domain, strlen(domain), 60);
		mc_set_error(err, errlen, "\"%s\" is not a domain name", q);
		free(d);
		return MAILCERT_E_INVALID;
	}
	dns = mc_dns_new(policy->resolver, policy->trust_anchor, err, errlen);
	if (!dns) {
		free(d);
		return MAILCERT_E_IO;
	}
	rc = lookup_mx(d, dns, family, deadline);
	if (rc >= 0)
		rc = lookup_policies(d, dns, policy, family, deadline);
	mc_dns_free(dns);
	if (rc < 0) {
		mailcert_domain_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

MAILCERT_EXPORT void mailcert_domain_free(mailcert_domain *d)
{
	if (!d)
		return;
	free(d->sts_body);
	free(d->sts_error);
	free(d);
}

MAILCERT_EXPORT const char *mailcert_domain_name(const mailcert_domain *d)
{
	return d ? d->name : NULL;
}

MAILCERT_EXPORT size_t mailcert_domain_mx_count(const mailcert_domain *d)
{
	return d ? d->mx_len : 0;
}

MAILCERT_EXPORT const char *mailcert_domain_mx_host(const mailcert_domain *d, size_t i)
{
	return d && i < d->mx_len ? d->mx[i].host : NULL;
}

MAILCERT_EXPORT const char *mailcert_domain_mx_address(const mailcert_domain *d, size_t i)
{
	return d && i < d->mx_len && d->mx[i].addr[0] ? d->mx[i].addr : NULL;
}

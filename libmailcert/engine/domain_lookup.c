/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mail domains (include/mailcert/domain.h): the lookups, as a job of the
 * engine (run.h) whose stages are DNSSEC queries and one HTTPS fetch,
 * bounded by one deadline; checks/domain.c judges what they found. The
 * MX hosts' own checks are ordinary checks, added by the caller once the
 * lookups are done.
 *
 * What can run at once does: the MX, _mta-sts and _smtp._tls queries
 * together, then every MX host's A and AAAA queries together, and the
 * MTA-STS policy host's addresses and policy as soon as its TXT record
 * says there is a policy.
 *
 * Everything here comes from DNS or from the policy host: names are
 * parsed by model/dnsrr.c into plain host names, TXT records and the
 * policy by model/mtasts.c, and any of it reaches a message only quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run.h"
#include "io/net.h"
#include "model/domain_data.h"
#include "model/mtasts.h"

#include <mailcert/domain.h>

#define TIMED_OUT "no answer from the resolver within the timeout"

struct mc_domain_job;

/*
 * The addresses of one host: its A records, then its AAAA records (or
 * only the family of -4, -6), at most MC_MAX_ADDR each, sorted so that
 * reports come in the same order whatever order DNS gave. Addresses this
 * machine has no route to are left out: a monitor without IPv6 would
 * otherwise call every dual-stack host broken.
 */
struct addr_lookup {
	struct mc_domain_job *job;
	char host[MC_DNS_NAME_MAX + 8];
	struct mc_dns_query *q[2]; /* A, AAAA */
	int pending;
	char found[2][MC_DNS_MAX_RR][64];
	size_t n_found[2];
	size_t dropped;
	char failure[2][256]; /* why a family's lookup failed, or "" */
	void (*done)(struct addr_lookup *a);
	/* When done: */
	char addrs[2 * MC_MAX_ADDR][64];
	size_t n;
	size_t more;       /* beyond MC_MAX_ADDR a family */
	size_t unroutable; /* no route from this machine (mc_net_routable()) */
	char unroutable_addr[64];
	char why[256]; /* why there is none */
};

struct mc_domain_job {
	mailcert_domain *d;
	const mailcert_policy *policy;
	mailcert_family family;
	int64_t deadline;
	struct mc_stages *st;
	struct mc_dns *dns;
	unsigned outstanding; /* queries and fetches not answered yet */
	int failed;           /* out of memory */
	struct mc_dns_query *mx_q, *sts_q, *rpt_q;
	struct mc_mx hosts[MC_MAX_MX];
	size_t n_hosts, hosts_done;
	struct addr_lookup host_addrs[MC_MAX_MX];
	struct addr_lookup sts_addrs;
	struct mc_http_transfer *sts_t;
};

static void answered(struct mc_domain_job *j)
{
	j->outstanding--;
}

/* Starts one query; its callback will call answered(). */
static struct mc_dns_query *query(struct mc_domain_job *j, const char *name, int type,
				  mc_dns_done_fn done, void *user)
{
	struct mc_dns_query *q = mc_dns_start(j->dns, name, type, j->deadline, done, user);

	if (q)
		j->outstanding++;
	else
		j->failed = 1;
	return q;
}

/* ---- one host's addresses ------------------------------------------ */

static int addr_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Both families answered: the addresses kept, sorted, what was left out, and why none. */
static void addrs_settle(struct addr_lookup *a)
{
	mailcert_family f = a->job->family;

	snprintf(a->why, sizeof(a->why), "no %s record",
		 f == MAILCERT_FAMILY_INET    ? "A"
		 : f == MAILCERT_FAMILY_INET6 ? "AAAA"
					      : "A or AAAA");
	for (int t = 0; t < 2; t++) {
		size_t kept = 0;

		/* A failure says why when no earlier family gave an address. */
		if (!a->n && a->failure[t][0])
			memcpy(a->why, a->failure[t], sizeof(a->why));
		qsort(a->found[t], a->n_found[t], sizeof(a->found[t][0]), addr_cmp);
		for (size_t i = 0; i < a->n_found[t]; i++) {
			if (!mc_net_routable(a->found[t][i])) {
				if (!a->unroutable++)
					memcpy(a->unroutable_addr, a->found[t][i], 64);
			} else if (kept++ < MC_MAX_ADDR) {
				memcpy(a->addrs[a->n++], a->found[t][i], 64);
			} else {
				a->more++;
			}
		}
	}
	a->more += a->dropped;
	if (!a->n && a->unroutable)
		snprintf(a->why, sizeof(a->why), "no route from this machine to %s%s",
			 a->unroutable_addr, a->unroutable > 1 ? " or its other addresses" : "");
}

static void addrs_answered(struct addr_lookup *a, int t, struct mc_dns_answer *ans)
{
	static const int types[] = {MC_RR_A, MC_RR_AAAA};

	a->q[t] = NULL;
	if (ans->status == MC_DNS_FAILED || ans->status == MC_DNS_BOGUS)
		memcpy(a->failure[t], ans->why, sizeof(a->failure[t]));
	for (size_t i = 0; i < ans->n; i++)
		if (mc_rr_addr(ans->rr[i].data, ans->rr[i].len, types[t],
			       a->found[t][a->n_found[t]], 64) == 0)
			a->n_found[t]++;
	a->dropped += ans->dropped;
	answered(a->job);
	if (--a->pending == 0) {
		addrs_settle(a);
		a->done(a);
	}
}

static void on_a(void *user, struct mc_dns_answer *ans)
{
	addrs_answered(user, 0, ans);
}

static void on_aaaa(void *user, struct mc_dns_answer *ans)
{
	addrs_answered(user, 1, ans);
}

/* Starts looking up @host's addresses into @a; @done runs when both families answered. */
static void addrs_start(struct mc_domain_job *j, struct addr_lookup *a, const char *host,
			void (*done)(struct addr_lookup *a))
{
	mailcert_family f = j->family;

	*a = (struct addr_lookup){.job = j, .done = done};
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->pending = (f != MAILCERT_FAMILY_INET6) + (f != MAILCERT_FAMILY_INET);
	if (f != MAILCERT_FAMILY_INET6)
		a->q[0] = query(j, a->host, MC_RR_A, on_a, a);
	if (f != MAILCERT_FAMILY_INET)
		a->q[1] = query(j, a->host, MC_RR_AAAA, on_aaaa, a);
}

static void addrs_cancel(struct addr_lookup *a)
{
	for (int t = 0; t < 2; t++) {
		mc_dns_cancel(a->q[t]);
		a->q[t] = NULL;
	}
}

/* ---- MX ------------------------------------------------------------ */

/* Every host's addresses are in: the MX entries, host by host (struct mc_mx). */
static void mx_settle(struct mc_domain_job *j)
{
	mailcert_domain *d = j->d;

	for (size_t i = 0; i < j->n_hosts; i++) {
		const struct addr_lookup *a = &j->host_addrs[i];
		struct mc_mx m = j->hosts[i];

		snprintf(m.why, sizeof(m.why), "%s", a->why);
		for (size_t k = 0; k < (a->n ? a->n : 1); k++) {
			if (a->n)
				memcpy(m.addr, a->addrs[k], sizeof(m.addr));
			if (k + 1 >= a->n) { /* the host's last entry */
				m.more = a->more;
				m.unroutable = a->unroutable;
				memcpy(m.unroutable_addr, a->unroutable_addr, sizeof(m.unroutable_addr));
			}
			d->mx[d->mx_len++] = m;
		}
	}
}

static void host_addrs_done(struct addr_lookup *a)
{
	struct mc_domain_job *j = a->job;

	if (++j->hosts_done == j->n_hosts)
		mx_settle(j);
}

/* The MX hosts by preference, at most MC_MAX_MX, from the answer @a. */
static void mx_hosts(struct mc_domain_job *j, const struct mc_dns_answer *a)
{
	mailcert_domain *d = j->d;
	struct mc_mx *hosts = j->hosts;
	size_t *len = &j->n_hosts;

	for (size_t i = 0; i < a->n; i++) {
		struct mc_mx m = {0};
		size_t k;

		if (mc_rr_mx(a->rr[i].data, a->rr[i].len, &m.pref, m.host) < 0) {
			d->mx_skipped++;
			continue;
		}
		/* RFC 7505: a lone "0 ." says the domain takes no mail. */
		if (m.host[0] == '\0') {
			d->mx_null = 1;
			continue;
		}
		/* By preference, in the order DNS gave them when equal. */
		for (k = *len; k > 0 && hosts[k - 1].pref > m.pref; k--)
			;
		if (k == MC_MAX_MX) {
			d->mx_skipped++;
			continue;
		}
		if (*len == MC_MAX_MX)
			d->mx_skipped++;
		else
			++*len;
		memmove(&hosts[k + 1], &hosts[k], (*len - 1 - k) * sizeof(hosts[0]));
		hosts[k] = m;
	}
	if (d->mx_null)
		*len = 0;
	else if (*len == 0 && !a->nxdomain && d->mx_skipped == 0) {
		/* RFC 5321 §5.1: no MX, the domain itself is the mail host. */
		d->mx_implicit = 1;
		hosts[0] = (struct mc_mx){0};
		snprintf(hosts[0].host, sizeof(hosts[0].host), "%s", d->name);
		*len = 1;
	}
}

static void on_mx(void *user, struct mc_dns_answer *a)
{
	struct mc_domain_job *j = user;
	mailcert_domain *d = j->d;

	j->mx_q = NULL;
	answered(j);
	d->mx_status = (int)a->status;
	d->mx_nxdomain = a->nxdomain;
	memcpy(d->mx_why, a->why, sizeof(d->mx_why));
	d->mx_skipped = a->dropped;
	if (a->status == MC_DNS_SECURE || a->status == MC_DNS_INSECURE)
		mx_hosts(j, a);
	for (size_t i = 0; i < j->n_hosts; i++)
		addrs_start(j, &j->host_addrs[i], j->hosts[i].host, host_addrs_done);
}

/* ---- MTA-STS and TLS-RPT ------------------------------------------- */

/* The TXT records of @a, each as one string (RFC 8461 and 8460 read them so). */
struct txt_set {
	char *txt[MC_DNS_MAX_RR];
	size_t len[MC_DNS_MAX_RR];
	size_t n;
};

static int txt_read(const struct mc_dns_answer *a, struct txt_set *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < a->n; i++) {
		/* A TXT record's text is never longer than its RDATA. */
		char *t = malloc(a->rr[i].len + 1);

		if (!t)
			return MAILCERT_E_NOMEM;
		if (mc_rr_txt(a->rr[i].data, a->rr[i].len, t, a->rr[i].len + 1, &s->len[s->n])) {
			free(t);
			continue;
		}
		s->txt[s->n++] = t;
	}
	return 0;
}

static void txt_clear(struct txt_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->txt[i]);
	s->n = 0;
}

/* RFC 8461 §3.3: the policy fetched (or why not). */
static void on_policy(void *user, const char *why, struct mc_http_response *resp)
{
	struct mc_domain_job *j = user;
	mailcert_domain *d = j->d;

	j->sts_t = NULL;
	answered(j);
	free(d->sts_error);
	d->sts_error = why ? mc_strdup(why) : NULL;
	if (why && !d->sts_error)
		j->failed = 1;
	d->sts_http = resp->status;
	memcpy(d->sts_type, resp->content_type, sizeof(d->sts_type));
	d->sts_body = (char *)resp->body;
	d->sts_len = resp->len;
	resp->body = NULL;
}

/* The policy host's addresses are in: fetch the policy from the first, through the same DNS. */
static void sts_addrs_done(struct addr_lookup *a)
{
	struct mc_domain_job *j = a->job;
	mailcert_domain *d = j->d;
	char resolve[400], err[256];
	const mailcert_policy *p = j->policy;
	struct mc_http_request req = {.url = d->sts_url,
				      .ca_file = p->ca_file,
				      .ca_dir = p->ca_dir,
				      .resolve = resolve,
				      .max_bytes = MC_MTASTS_MAX_BYTES,
				      .timeout_ms = j->deadline - mc_now_ms()};
	struct mc_http *h;

	free(d->sts_error);
	d->sts_error = NULL;
	if (!a->n) {
		d->sts_error = mc_asprintf("%s has no address (%s)", a->host, a->why);
		j->failed |= !d->sts_error;
		return;
	}
	snprintf(resolve, sizeof(resolve), strchr(a->addrs[0], ':') ? "%s:443:[%s]" : "%s:443:%s",
		 a->host, a->addrs[0]);
	h = mc_stages_http(j->st, err, sizeof(err));
	if (!h) {
		d->sts_error = mc_strdup(err);
		j->failed |= !d->sts_error;
		return;
	}
	j->sts_t = mc_http_start(h, &req, on_policy, j);
	if (j->sts_t)
		j->outstanding++;
	else
		j->failed = 1;
}

/*
 * A TXT query (_mta-sts, _smtp._tls) answered: its status in *@status;
 * 1 with the records in @s when it answered, 0 with the reason in @why
 * (room for the answer's) when it did not.
 */
static int txt_answered(struct mc_domain_job *j, const struct mc_dns_answer *a, int *status,
			char *why, struct txt_set *s)
{
	answered(j);
	*status = (int)a->status;
	if (a->status == MC_DNS_FAILED || a->status == MC_DNS_BOGUS) {
		memcpy(why, a->why, sizeof(a->why));
		return 0;
	}
	if (txt_read(a, s) == 0)
		return 1;
	txt_clear(s);
	j->failed = 1;
	return 0;
}

static void on_sts(void *user, struct mc_dns_answer *a)
{
	struct mc_domain_job *j = user;
	mailcert_domain *d = j->d;
	char host[MC_DNS_NAME_MAX + 8];
	struct txt_set s;

	j->sts_q = NULL;
	if (!txt_answered(j, a, &d->sts_status, d->sts_why, &s))
		return;
	d->sts_found = mc_mtasts_txt((const char *const *)s.txt, s.len, s.n, d->sts_id, d->sts_why,
				     sizeof(d->sts_why));
	txt_clear(&s);
	if (d->sts_found != 1)
		return;
	snprintf(d->sts_url, sizeof(d->sts_url), "https://mta-sts.%s/.well-known/mta-sts.txt",
		 d->name);
	/* Until the fetch says otherwise, it is a fetch that never answered. */
	d->sts_error = mc_strdup("no answer within the timeout");
	j->failed |= !d->sts_error;
	snprintf(host, sizeof(host), "mta-sts.%s", d->name);
	addrs_start(j, &j->sts_addrs, host, sts_addrs_done);
}

static void on_rpt(void *user, struct mc_dns_answer *a)
{
	struct mc_domain_job *j = user;
	mailcert_domain *d = j->d;
	struct txt_set s;

	j->rpt_q = NULL;
	if (!txt_answered(j, a, &d->rpt_status, d->rpt_why, &s))
		return;
	d->rpt_found = mc_tlsrpt_txt((const char *const *)s.txt, s.len, s.n, d->rpt_rua,
				     sizeof(d->rpt_rua), d->rpt_why, sizeof(d->rpt_why));
	txt_clear(&s);
}

/* ---- the job ------------------------------------------------------- */

struct mc_domain_job *mc_domain_job_new(const char *name, const mailcert_policy *policy,
					mailcert_family family, unsigned timeout_ms, char *err,
					size_t errlen, int *rc)
{
	struct mc_domain_job *j = calloc(1, sizeof(*j));
	mailcert_domain *d = calloc(1, sizeof(*d));

	*rc = MAILCERT_E_NOMEM;
	if (!j || !d) {
		free(j);
		free(d);
		return NULL;
	}
	if (mc_dns_name_text(name, d->name) < 0) {
		char q[200];

		mc_quote(q, sizeof(q), name, strlen(name), 60);
		mc_set_error(err, errlen, "\"%s\" is not a domain name", q);
		free(j);
		free(d);
		*rc = MAILCERT_E_INVALID;
		return NULL;
	}
	/* What a lookup that never answers leaves. */
	d->mx_status = d->sts_status = d->rpt_status = MC_DNS_FAILED;
	snprintf(d->mx_why, sizeof(d->mx_why), TIMED_OUT);
	snprintf(d->sts_why, sizeof(d->sts_why), TIMED_OUT);
	snprintf(d->rpt_why, sizeof(d->rpt_why), TIMED_OUT);
	j->d = d;
	j->policy = policy;
	j->family = family;
	j->deadline = mc_now_ms() + timeout_ms;
	*rc = 0;
	return j;
}

int mc_domain_job_begin(struct mc_domain_job *j, struct mc_stages *st, char *err, size_t errlen)
{
	char name[MC_DNS_NAME_MAX + 16];

	j->st = st;
	j->dns = mc_stages_dns(st, j->policy->resolver, j->policy->trust_anchor, err, errlen);
	if (!j->dns)
		return MAILCERT_E_IO;
	j->mx_q = query(j, j->d->name, MC_RR_MX, on_mx, j);
	snprintf(name, sizeof(name), "_mta-sts.%s", j->d->name);
	j->sts_q = query(j, name, MC_RR_TXT, on_sts, j);
	snprintf(name, sizeof(name), "_smtp._tls.%s", j->d->name);
	j->rpt_q = query(j, name, MC_RR_TXT, on_rpt, j);
	return j->failed ? MAILCERT_E_NOMEM : 0;
}

int mc_domain_job_waiting(const struct mc_domain_job *j, int64_t now, int64_t *until)
{
	*until = j->deadline;
	return j->outstanding > 0 && now < j->deadline && !j->failed;
}

static void cancel_all(struct mc_domain_job *j)
{
	mc_dns_cancel(j->mx_q);
	mc_dns_cancel(j->sts_q);
	mc_dns_cancel(j->rpt_q);
	j->mx_q = j->sts_q = j->rpt_q = NULL;
	for (size_t i = 0; i < j->n_hosts; i++)
		addrs_cancel(&j->host_addrs[i]);
	addrs_cancel(&j->sts_addrs);
	mc_http_cancel(j->sts_t);
	j->sts_t = NULL;
	j->outstanding = 0;
}

mailcert_domain *mc_domain_job_end(struct mc_domain_job *j)
{
	mailcert_domain *d = j->d;

	cancel_all(j);
	/* Hosts whose addresses never came are still MX hosts to report. */
	if (!j->failed && j->hosts_done < j->n_hosts) {
		for (size_t i = 0; i < j->n_hosts; i++)
			if (j->host_addrs[i].pending) {
				for (int t = 0; t < 2; t++)
					if (!j->host_addrs[i].failure[t][0])
						snprintf(j->host_addrs[i].failure[t], 256, TIMED_OUT);
				addrs_settle(&j->host_addrs[i]);
			}
		mx_settle(j);
	}
	if (j->failed) {
		mailcert_domain_free(d);
		d = NULL;
	}
	j->d = NULL;
	mc_domain_job_free(j);
	return d;
}

void mc_domain_job_free(struct mc_domain_job *j)
{
	if (!j)
		return;
	cancel_all(j);
	mailcert_domain_free(j->d);
	free(j);
}

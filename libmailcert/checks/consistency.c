/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The leaf consistency of a host's endpoints (include/mailcert/consistency.h):
 * the endpoints grouped by the leaf they serve, and a verdict whose
 * message names which serve which. Pure: it reads endpoint records and
 * writes a verdict, nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include <mailcert/consistency.h>

#include "model/internal.h"
#include "render/render.h"

#define SUBJECT_MAX 200  /* bytes of a subject kept, before "..." */
#define MESSAGE_MAX 4095 /* bytes of the verdict's message */

struct mailcert_endpoint {
	char *service;
	unsigned port;
	mailcert_state state;
	char *failure; /* NULL: none */
	char *sha256;  /* the leaf's; NULL: no certificate */
	char *subject;
	time_t not_after;
};

/* The verdict and everything it points to, freed together. */
struct verdict {
	mailcert_consistency pub; /* first: the public pointer is this one */
	char *host;
	char *message;
	mailcert_consistency_leaf *leaves;
	mailcert_consistency_port *closed, *failed;
	mailcert_consistency_port **leaf_ports; /* one array per leaf */
	size_t n_leaves;
	struct mailcert_endpoint *own; /* copies of the endpoints: the strings */
	size_t n_own;
};

/* @s for a message: at most SUBJECT_MAX bytes then "...", control bytes as '?'. */
static char *clean_subject(const char *s)
{
	size_t n = strnlen(s, SUBJECT_MAX);
	char *d = malloc(n + 4);

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	memcpy(d + n, s[n] ? "..." : "", s[n] ? 4 : 1);
	return d;
}

/* service and port of the canonical @target; -1 when it does not parse or is out of memory. */
static int endpoint_target(struct mailcert_endpoint *e, const char *target, int *rc)
{
	mailcert_target *t = NULL;

	*rc = target ? mailcert_target_parse(&t, target, NULL, NULL, 0) : MAILCERT_E_INVALID;
	if (*rc < 0)
		return -1;
	e->port = mailcert_target_port(t);
	e->service = strdup(mailcert_target_scheme(t));
	mailcert_target_free(t);
	if (!e->service)
		*rc = MAILCERT_E_NOMEM;
	return e->service ? 0 : -1;
}

MAILCERT_EXPORT int mailcert_endpoint_new(mailcert_endpoint **out, const mailcert_report *report)
{
	const mailcert_observation *obs;
	struct mailcert_endpoint *e;
	const char *failure;
	int rc;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!report)
		return MAILCERT_E_INVALID;
	obs = mailcert_report_observation(report);
	if (mailcert_observation_file(obs))
		return MAILCERT_E_INVALID;
	if (!(e = calloc(1, sizeof(*e))))
		return MAILCERT_E_NOMEM;
	if (endpoint_target(e, mailcert_observation_target(obs), &rc) < 0)
		goto fail;
	rc = MAILCERT_E_NOMEM;
	e->state = mailcert_report_state(report);
	failure = mailcert_observation_failure(obs, NULL);
	if (failure && !(e->failure = strdup(failure)))
		goto fail;
	if (mailcert_report_cert_count(report) > 0) {
		const mailcert_cert_info *leaf = mailcert_report_cert(report, 0);

		e->not_after = leaf->not_after;
		if (leaf->sha256 && !(e->sha256 = strdup(leaf->sha256)))
			goto fail;
		if (!(e->subject = clean_subject(leaf->subject ? leaf->subject : "?")))
			goto fail;
	}
	*out = e;
	return 0;
fail:
	mailcert_endpoint_free(e);
	return rc;
}

MAILCERT_EXPORT int mailcert_endpoint_new_unchecked(mailcert_endpoint **out, const char *target,
						    mailcert_state state)
{
	struct mailcert_endpoint *e;
	int rc;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if ((unsigned)state > MAILCERT_UNKNOWN)
		return MAILCERT_E_INVALID;
	if (!(e = calloc(1, sizeof(*e))))
		return MAILCERT_E_NOMEM;
	if (endpoint_target(e, target, &rc) < 0) {
		mailcert_endpoint_free(e);
		return rc;
	}
	e->state = state;
	*out = e;
	return 0;
}

MAILCERT_EXPORT void mailcert_endpoint_free(mailcert_endpoint *e)
{
	if (!e)
		return;
	free(e->service);
	free(e->failure);
	free(e->sha256);
	free(e->subject);
	free(e);
}

MAILCERT_EXPORT int mailcert_endpoint_closed(const mailcert_endpoint *e, unsigned flags)
{
	return e && !(flags & MAILCERT_CONSISTENCY_REQUIRE_OPEN) && e->failure &&
	       strcmp(e->failure, "connect.refused") == 0;
}

static mailcert_consistency_port port_of(const struct mailcert_endpoint *e)
{
	return (mailcert_consistency_port){
	    .service = e->service, .port = e->port, .state = e->state, .failure = e->failure};
}

/* A copy of @e into @d; -1 when out of memory. */
static int endpoint_copy(struct mailcert_endpoint *d, const struct mailcert_endpoint *e)
{
	*d = *e;
	d->service = strdup(e->service);
	d->failure = e->failure ? strdup(e->failure) : NULL;
	d->sha256 = e->sha256 ? strdup(e->sha256) : NULL;
	d->subject = e->subject ? strdup(e->subject) : NULL;
	return !d->service || (e->failure && !d->failure) || (e->sha256 && !d->sha256) ||
		       (e->subject && !d->subject)
		   ? -1
		   : 0;
}

/* "smtp (25), imap (143)" */
static void put_ports(struct mc_buf *m, const mailcert_consistency_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mc_buf_printf(m, "%s%s (%u)", i ? ", " : "", ports[i].service, ports[i].port);
}

static const char *key_label(mailcert_key_type t)
{
	return t == MAILCERT_KEY_RSA ? "RSA" : t == MAILCERT_KEY_ECDSA ? "ECDSA" : NULL;
}

/* The verdict proper, from the grouping already made. */
static void judge(struct verdict *v, struct mc_buf *m)
{
	mailcert_consistency *c = &v->pub;
	const char *label = key_label(c->key_type);
	char date[MC_TIME_MAX];
	time_t newest = 0;

	for (size_t l = 0; l < c->n_leaves; l++)
		if (c->leaves[l].not_after > newest)
			newest = c->leaves[l].not_after;
	mc_buf_printf(m, "%s%s%s%s: ", c->host, label ? " (" : "", label ? label : "",
		      label ? ")" : "");
	if (c->n_leaves == 0) {
		c->state = MAILCERT_OK;
		c->code = "scan.no-leaf";
		mc_buf_puts(m, "no port served a certificate");
	} else if (c->n_leaves == 1) {
		c->state = MAILCERT_OK;
		c->code = "scan.leaf-consistent";
		mc_render_time(date, c->leaves[0].not_after, MC_TIME_DATE);
		mc_buf_puts(m, "the same leaf on every open port, ");
		put_ports(m, c->leaves[0].ports, c->leaves[0].n_ports);
		mc_buf_printf(m, ": SHA-256 %.16s... %s, expires %s", c->leaves[0].sha256,
			      c->leaves[0].subject, date);
	} else {
		c->state = MAILCERT_WARNING;
		c->code = "scan.leaf-mismatch";
		mc_buf_printf(m, "%zu different leaf certificates: ", c->n_leaves);
		for (size_t l = 0; l < c->n_leaves; l++) {
			const mailcert_consistency_leaf *lf = &c->leaves[l];

			mc_render_time(date, lf->not_after, MC_TIME_DATE);
			if (l)
				mc_buf_puts(m, "; ");
			put_ports(m, lf->ports, lf->n_ports);
			mc_buf_printf(m, " %s SHA-256 %.16s... %s, expires %s",
				      lf->n_ports > 1 ? "serve" : "serves", lf->sha256, lf->subject,
				      date);
		}
		/* The classic half-renewed host: name where the old one stays. */
		for (size_t l = 0; l < c->n_leaves; l++) {
			if (c->leaves[l].not_after >= newest)
				continue;
			mc_buf_puts(m, "; older certificate still served on ");
			put_ports(m, c->leaves[l].ports, c->leaves[l].n_ports);
			mc_buf_puts(m, ": renewed elsewhere, not reloaded or redeployed here?");
		}
	}
	if (c->n_closed) {
		mc_buf_puts(m, "; closed: ");
		put_ports(m, c->closed, c->n_closed);
	}
	if (c->n_failed) {
		mc_buf_puts(m, "; no certificate: ");
		for (size_t i = 0; i < c->n_failed; i++)
			mc_buf_printf(m, "%s%s (%u) %s", i ? ", " : "", c->failed[i].service,
				      c->failed[i].port,
				      c->failed[i].failure
					  ? c->failed[i].failure
					  : mailcert_state_name(c->failed[i].state));
	}
	/* Bounded, and never cut inside a UTF-8 sequence. */
	if (!m->failed && m->len > MESSAGE_MAX) {
		m->len = MESSAGE_MAX;
		while (m->len > 0 && ((unsigned char)m->data[m->len] & 0xc0) == 0x80)
			m->len--;
		m->data[m->len] = '\0';
	}
}

/* Groups @e into @v: closed, failed, or under its leaf. */
static void group(struct verdict *v, const struct mailcert_endpoint *e, unsigned flags)
{
	mailcert_consistency *c = &v->pub;
	size_t l;

	if (mailcert_endpoint_closed(e, flags)) {
		v->closed[c->n_closed++] = port_of(e);
		return;
	}
	if (!e->sha256) {
		v->failed[c->n_failed++] = port_of(e);
		return;
	}
	for (l = 0; l < v->n_leaves; l++)
		if (strcmp(v->leaves[l].sha256, e->sha256) == 0)
			break;
	if (l == v->n_leaves) {
		v->leaves[l] = (mailcert_consistency_leaf){.sha256 = e->sha256,
							   .subject = e->subject,
							   .not_after = e->not_after,
							   .ports = v->leaf_ports[l]};
		v->n_leaves++;
	}
	v->leaf_ports[l][v->leaves[l].n_ports++] = port_of(e);
}

MAILCERT_EXPORT int mailcert_consistency_judge(mailcert_consistency **out, const char *host,
					       mailcert_key_type key_type,
					       const mailcert_endpoint *const *endpoints, size_t n,
					       unsigned flags)
{
	struct verdict *v;
	struct mc_buf m = {0};

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!host || (n && !endpoints) || (key_type && !key_label(key_type)))
		return MAILCERT_E_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!endpoints[i])
			return MAILCERT_E_INVALID;
	if (!(v = calloc(1, sizeof(*v))))
		return MAILCERT_E_NOMEM;
	/* Room for the worst case, every endpoint apart: n is a host's ports. */
	v->host = strdup(host);
	v->leaves = calloc(n + 1, sizeof(*v->leaves));
	v->closed = calloc(n + 1, sizeof(*v->closed));
	v->failed = calloc(n + 1, sizeof(*v->failed));
	v->leaf_ports = calloc(n + 1, sizeof(*v->leaf_ports));
	v->own = calloc(n + 1, sizeof(*v->own));
	if (!v->host || !v->leaves || !v->closed || !v->failed || !v->leaf_ports || !v->own)
		goto nomem;
	for (; v->n_own < n; v->n_own++)
		if (endpoint_copy(&v->own[v->n_own], endpoints[v->n_own]) < 0) {
			v->n_own++; /* freed with the others */
			goto nomem;
		}
	for (size_t i = 0; i < n; i++)
		if (!(v->leaf_ports[i] = calloc(n, sizeof(**v->leaf_ports))))
			goto nomem;
	v->pub.host = v->host;
	v->pub.key_type = key_type;
	for (size_t i = 0; i < n; i++)
		group(v, &v->own[i], flags);
	v->pub.leaves = v->leaves;
	v->pub.n_leaves = v->n_leaves;
	v->pub.closed = v->closed;
	v->pub.failed = v->failed;
	judge(v, &m);
	if (m.failed || !m.data)
		goto nomem;
	v->message = m.data;
	v->pub.message = v->message;
	*out = &v->pub;
	return 0;
nomem:
	free(m.data);
	mailcert_consistency_free(&v->pub);
	return MAILCERT_E_NOMEM;
}

MAILCERT_EXPORT void mailcert_consistency_free(mailcert_consistency *c)
{
	struct verdict *v = (struct verdict *)c;

	if (!v)
		return;
	for (size_t i = 0; v->leaf_ports && v->leaf_ports[i]; i++)
		free(v->leaf_ports[i]);
	free(v->leaf_ports);
	for (size_t i = 0; i < v->n_own; i++) {
		free(v->own[i].service);
		free(v->own[i].failure);
		free(v->own[i].sha256);
		free(v->own[i].subject);
	}
	free(v->own);
	free(v->leaves);
	free(v->closed);
	free(v->failed);
	free(v->host);
	free(v->message);
	free(v);
}

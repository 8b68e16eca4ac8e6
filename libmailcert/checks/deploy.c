/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Deployment: is the certificate in use the one on disk, and does the key
 * on disk belong to it? Findings:
 *
 *   deploy.key-mismatch (CRITICAL): a private key read with the
 *     certificate file (mailcert file, --key) is not the leaf's: its
 *     public half's SHA-256 key ID differs from the leaf's. A daemon
 *     refuses such a pair (Postfix turns TLS off), so the next reload
 *     breaks the service.
 *   deploy.mismatch (WARNING): the served leaf is not the first
 *     certificate of --compare-file, or not the newest of the ACME
 *     client's lineage for the name (--compare-acme). Which is newer (by
 *     notBefore) tells what to do: a newer file is a renewal the daemon
 *     has not loaded yet. With a store, the message names the lineage and
 *     how long ago it was renewed, and says when the server still serves
 *     one of the lineage's earlier certificates.
 *   deploy.not-in-store (WARNING): no lineage of the --compare-acme store
 *     covers the checked name: that ACME client renews nothing served here.
 *   deploy.store-unreadable (OK): a check could not read the store again;
 *     it was compared with the store as the policy read it.
 *
 * All read only the observation, the evidence and the policy: the files
 * were read when those were made.
 */
#include <stdio.h>
#include <string.h>

#include "model/acmestore.h"
#include "model/internal.h"

#define PATH_CHARS 200

static void quote_path(char *dst, size_t len, const char *path)
{
	mc_quote(dst, len, path, strlen(path), PATH_CHARS);
}

static int check_keys(struct mc_eval *ev)
{
	const mailcert_observation *obs = ev->obs;
	unsigned char id[64];
	size_t len = sizeof(id);
	char label[MC_LABEL_MAX], q[4 * PATH_CHARS + 4];
	int rc = 0;

	if (obs->keys_len == 0)
		return 0;
	/* An algorithm GnuTLS cannot hash the key of leaves nothing to compare. */
	if (gnutls_x509_crt_get_key_id(ev->crts[0], GNUTLS_KEYID_USE_SHA256, id, &len) < 0)
		return 0;
	mc_cert_label(label, sizeof(label), ev, 0);
	for (size_t i = 0; i < obs->keys_len && rc == 0; i++) {
		const struct mc_file_key *k = &obs->keys[i];

		if (k->id_len == 0 || (k->id_len == len && memcmp(k->id, id, len) == 0))
			continue;
		quote_path(q, sizeof(q), k->path);
		rc = mc_report_add(ev->report, "deploy.key-mismatch", MAILCERT_CRITICAL, 0,
				   "the private key in \"%s\" (%s) does not belong to %s (%s): a "
				   "daemon cannot use this pair; install the key the certificate "
				   "was issued for, or a certificate issued for this key",
				   q, k->desc, label, ev->report->certs[0].info.key);
	}
	return rc;
}

/* How the file's certificate is named: "CN=…" quoted, else its DN, and its serial. */
static void file_cert_name(char *dst, size_t len, gnutls_x509_crt_t crt)
{
	char cn[256], q[4 * 100 + 4], hex[2 * 64 + 1];
	unsigned char serial[64];
	size_t cn_len = sizeof(cn), serial_len = sizeof(serial), skip = 0;
	gnutls_datum_t dn = {NULL, 0};

	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len) >=
		0 &&
	    cn_len > 0) {
		mc_quote(q, sizeof(q), cn, cn_len, 100);
		snprintf(dst, len, "CN=%s", q);
	} else if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0 && dn.size > 0) {
		mc_quote(q, sizeof(q), dn.data, dn.size, 100);
		snprintf(dst, len, "%s", q);
	} else {
		snprintf(dst, len, "(no subject)");
	}
	gnutls_free(dn.data);
	if (gnutls_x509_crt_get_serial(crt, serial, &serial_len) < 0 || serial_len == 0)
		return;
	while (skip + 1 < serial_len && serial[skip] == 0)
		skip++;
	mc_hex(hex, serial + skip, serial_len - skip);
	snprintf(dst + strlen(dst), len - strlen(dst), " serial %s", hex);
}

static int check_compare(struct mc_eval *ev)
{
	const mailcert_policy *p = ev->policy;
	const gnutls_datum_t *served = &ev->obs->chain[0];
	const mailcert_cert_info *info = &ev->report->certs[0].info;
	gnutls_x509_crt_t crt;
	char label[MC_LABEL_MAX], other[MC_LABEL_MAX], q[4 * PATH_CHARS + 4];
	char served_from[MC_DATE_MAX], file_from[MC_DATE_MAX];
	time_t file_nb;
	int rc;

	if (!p->compare_leaf.data)
		return 0;
	if (served->size == p->compare_leaf.size &&
	    memcmp(served->data, p->compare_leaf.data, served->size) == 0)
		return 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		return MAILCERT_E_NOMEM;
	/* The policy setter checked that it parses. */
	if (gnutls_x509_crt_import(crt, &p->compare_leaf, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return MAILCERT_E_INVALID;
	}
	file_nb = gnutls_x509_crt_get_activation_time(crt);
	file_cert_name(other, sizeof(other), crt);
	gnutls_x509_crt_deinit(crt);
	mc_cert_label(label, sizeof(label), ev, 0);
	quote_path(q, sizeof(q), p->compare_file);
	mc_format_utc(served_from, info->not_before, 1);
	mc_format_utc(file_from, file_nb, 1);
	if (file_nb > info->not_before)
		rc = mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
				   "the server serves %s serial %s, valid from %s, but \"%s\" "
				   "holds a newer certificate, %s, valid from %s: renewed on disk "
				   "but the server still serves the old one: reload the daemon",
				   label, info->serial, served_from, q, other, file_from);
	else if (file_nb < info->not_before)
		rc = mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
				   "the server serves %s serial %s, valid from %s, newer than the "
				   "certificate in \"%s\", %s, valid from %s: the daemon uses "
				   "another file, or the file was replaced by an older one; check "
				   "which file its configuration names",
				   label, info->serial, served_from, q, other, file_from);
	else
		rc = mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
				   "the server serves %s serial %s, but \"%s\" holds another "
				   "certificate, %s, both valid from %s: check which file the "
				   "daemon's configuration names",
				   label, info->serial, q, other, served_from);
	return rc;
}

/* ---- --compare-acme ------------------------------------------------ */

static int same_der(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}

/* "port 993" from the target "imaps://mail.example.com:993", else "the server". */
static void port_of(char *dst, size_t len, const char *target)
{
	const char *colon = strrchr(target, ':');

	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
		snprintf(dst, len, "port %s", colon + 1);
	else
		snprintf(dst, len, "the server");
}

/* How long ago a renewal was, as people say it: "12 min", "30 h", "9 days". */
static void format_ago(char *dst, size_t len, time_t then, time_t now)
{
	long long s = (long long)now - (long long)then;

	if (s < 60)
		snprintf(dst, len, "under a minute");
	else if (s < 2 * 3600)
		snprintf(dst, len, "%lld min", s / 60);
	else if (s < 72 * 3600)
		snprintf(dst, len, "%lld h", s / 3600);
	else
		snprintf(dst, len, "%lld days", s / 86400);
}

/* "the certbot lineage mail.example.com was renewed 30 h ago" into @dst. */
static void renewed(char *dst, size_t len, const mailcert_acme_store *s,
		    const struct mc_acme_lineage *l, time_t now)
{
	char when[MC_DATE_MAX + 8];

	if (now >= l->not_before) {
		format_ago(when, sizeof(when), l->not_before, now);
		snprintf(dst, len, "the %s lineage %s was renewed %s ago",
			 mailcert_acme_store_kind(s), l->name, when);
	} else {
		mc_format_utc(when, l->not_before, 0);
		snprintf(dst, len, "the %s lineage %s was renewed for %s",
			 mailcert_acme_store_kind(s), l->name, when);
	}
}

/* The names the check is about: the policy's, else the target's host. */
static size_t checked_names(const struct mc_eval *ev, const char *const **names)
{
	const mailcert_policy *p = ev->policy;

	if (p->names_len) {
		*names = (const char *const *)p->names;
		return p->names_len;
	}
	*names = (const char *const *)&ev->obs->host;
	return ev->obs->host && *ev->obs->host ? 1 : 0;
}

/* The lineage for the name: one holding the served leaf's key type first. */
static const struct mc_acme_lineage *covering(const struct mc_eval *ev,
					      const mailcert_acme_store *s)
{
	const char *const *names;
	size_t n = checked_names(ev, &names);
	const struct mc_acme_lineage *found = NULL;
	int pk = gnutls_x509_crt_get_pk_algorithm(ev->crts[0], NULL);

	for (size_t i = 0; i < s->len; i++) {
		const struct mc_acme_lineage *l = &s->lineages[i];

		for (size_t k = 0; !l->error && k < n; k++) {
			if (!mc_acme_covers(l, names[k]))
				continue;
			if (l->pk == pk)
				return l;
			if (!found)
				found = l;
		}
	}
	return found;
}

/* The served leaf is lineage @l's older certificate @k (0: the one before the newest). */
static int report_stale(struct mc_eval *ev, const mailcert_acme_store *s,
			const struct mc_acme_lineage *l, size_t k, const char *port)
{
	const mailcert_cert_info *info = &ev->report->certs[0].info;
	char what[MC_MSG_MAX / 2], from[MC_DATE_MAX], older[48], q[4 * PATH_CHARS + 4];

	quote_path(q, sizeof(q), l->source);
	renewed(what, sizeof(what), s, l, ev->now);
	mc_format_utc(from, info->not_before, 1);
	if (k == 0)
		snprintf(older, sizeof(older), "the previous certificate");
	else
		snprintf(older, sizeof(older), "a certificate %zu renewals old", k + 1);
	return mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
			     "%s; %s still serves %s (serial %s, valid from %s), not the "
			     "newest in \"%s\": reload the daemon",
			     what, port, older, info->serial, from, q);
}

/*
 * The served leaf is none of lineage @l's certificates. Only certbot
 * keeps the earlier ones: elsewhere an older leaf is likely the previous.
 */
static int report_other(struct mc_eval *ev, const mailcert_acme_store *s,
			const struct mc_acme_lineage *l, const char *port)
{
	const mailcert_cert_info *info = &ev->report->certs[0].info;
	char what[MC_MSG_MAX / 2], served_from[MC_DATE_MAX], newest_from[MC_DATE_MAX];
	char label[MC_LABEL_MAX], q[4 * PATH_CHARS + 4];

	mc_cert_label(label, sizeof(label), ev, 0);
	mc_format_utc(served_from, info->not_before, 1);
	mc_format_utc(newest_from, l->not_before, 1);
	quote_path(q, sizeof(q), s->kind == MC_ACME_TRAEFIK ? s->path : l->source);
	renewed(what, sizeof(what), s, l, ev->now);
	if (l->not_before > info->not_before && s->kind == MC_ACME_CERTBOT)
		return mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
				     "%s; %s serves an older certificate that is not one of the "
				     "lineage's, %s serial %s (valid from %s): the daemon reads "
				     "another file than \"%s\"; point it there and reload",
				     what, port, label, info->serial, served_from, q);
	if (l->not_before > info->not_before && s->kind == MC_ACME_TRAEFIK)
		return mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
				     "%s; %s still serves an older certificate, %s serial %s (valid "
				     "from %s): the server has not taken up the renewal; restart it, "
				     "or check what copies certificates out of \"%s\"",
				     what, port, label, info->serial, served_from, q);
	if (l->not_before > info->not_before)
		return mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
				     "%s; %s still serves an older certificate, %s serial %s (valid "
				     "from %s): reload the daemon, or check that it reads \"%s\"",
				     what, port, label, info->serial, served_from, q);
	return mc_report_add(ev->report, "deploy.mismatch", MAILCERT_WARNING, 0,
			     "%s serves %s serial %s (valid from %s), %s the newest certificate "
			     "of the %s lineage %s (valid from %s): the certificate comes from "
			     "elsewhere; check which file the daemon's configuration names",
			     port, label, info->serial, served_from,
			     l->not_before < info->not_before ? "newer than" : "not",
			     mailcert_acme_store_kind(s), l->name, newest_from);
}

/* No lineage covers the name. */
static int report_not_in_store(struct mc_eval *ev, const mailcert_acme_store *s,
			       const char *port)
{
	const mailcert_cert_info *info = &ev->report->certs[0].info;
	const char *const *names;
	size_t n = checked_names(ev, &names), bad = 0;
	char list[200] = "", unread[300] = "", label[MC_LABEL_MAX], q[4 * 64 + 4], path[4 * 200 + 4];
	const struct mc_acme_lineage *first_bad = NULL;

	for (size_t i = 0; i < s->len; i++) {
		size_t o = strlen(list);

		if (s->lineages[i].error) {
			first_bad = first_bad ? first_bad : &s->lineages[i];
			bad++;
		} else if (o + strlen(s->lineages[i].name) + 8 < sizeof(list)) {
			snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "",
				 s->lineages[i].name);
		} else if (!strstr(list, "…")) {
			snprintf(list + o, sizeof(list) - o, ", …");
		}
	}
	if (first_bad)
		snprintf(unread, sizeof(unread), "; %zu could not be read (%.100s: %.120s)", bad,
			 first_bad->name, first_bad->error);
	mc_quote(q, sizeof(q), n ? names[0] : "", n ? strlen(names[0]) : 0, 64);
	mc_quote(path, sizeof(path), s->path, strlen(s->path), 200);
	mc_cert_label(label, sizeof(label), ev, 0);
	return mc_report_add(ev->report, "deploy.not-in-store", MAILCERT_WARNING, 0,
			     "no lineage of the %s store \"%s\" covers %s (it has %zu%s%s%s); "
			     "%s serves %s serial %s, which this ACME client does not renew",
			     mailcert_acme_store_kind(s), path, q, s->len - bad, list[0] ? ": " : "",
			     list, unread, port, label, info->serial);
}

static int check_acme(struct mc_eval *ev)
{
	const mailcert_acme_store *s = ev->evidence->acme ? ev->evidence->acme : ev->policy->acme;
	const gnutls_datum_t *served = &ev->obs->chain[0];
	const struct mc_acme_lineage *l;
	char port[32];

	if (!s)
		return 0;
	if (ev->evidence->acme_why[0]) {
		int rc = mc_report_add(ev->report, "deploy.store-unreadable", MAILCERT_OK, -1,
				       "%s; compared with the %s store as it was read at startup",
				       ev->evidence->acme_why, mailcert_acme_store_kind(s));

		if (rc < 0)
			return rc;
	}
	port_of(port, sizeof(port), ev->obs->target);
	for (size_t i = 0; i < s->len; i++)
		if (!s->lineages[i].error && same_der(&s->lineages[i].chain[0], served))
			return 0;
	for (size_t i = 0; i < s->len; i++)
		for (size_t k = 0; k < s->lineages[i].older_len; k++)
			if (same_der(&s->lineages[i].older[k].der, served))
				return report_stale(ev, s, &s->lineages[i], k, port);
	l = covering(ev, s);
	return l ? report_other(ev, s, l, port) : report_not_in_store(ev, s, port);
}

int mc_check_deploy(struct mc_eval *ev)
{
	int rc = check_keys(ev);

	if (rc >= 0)
		rc = check_compare(ev);
	return rc < 0 ? rc : check_acme(ev);
}

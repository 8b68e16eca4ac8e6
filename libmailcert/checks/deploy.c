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
 *     certificate of --compare-file. Which is newer (by notBefore) tells
 *     what to do: a newer file is a renewal the daemon has not loaded yet.
 *
 * Both read only the observation and the policy: the files were read when
 * the observation or the policy was made.
 */
#include <stdio.h>
#include <string.h>

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

int mc_check_deploy(struct mc_eval *ev)
{
	int rc = check_keys(ev);

	return rc < 0 ? rc : check_compare(ev);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The facts of each certificate sent — names, serial, fingerprint, key,
 * signature, SANs, dates — as the report keeps them for renderers, and
 * the way findings name a certificate. Facts only: judging is for checks/.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509-ext.h>

#include "model/internal.h"

/* GeneralizedTime 99991231235959Z: "no well-defined expiration date" (RFC 5280 section 4.1.2.5). */
#define MC_NO_EXPIRY ((time_t)253402300799LL)

/* A GnuTLS-allocated datum as a string of our own (malloc), or NULL. */
static char *take_datum(gnutls_datum_t *d)
{
	char *s = malloc(d->size + 1);

	if (s) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	gnutls_free(d->data);
	return s;
}

static char *dn_string(gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t d = {NULL, 0};
	int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
			: gnutls_x509_crt_get_dn3(crt, &d, 0);

	/* An empty DN is legal (RFC 5280 section 4.1.2.6, with SANs). */
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || (rc >= 0 && d.size == 0)) {
		gnutls_free(d.data);
		return strdup("");
	}
	return rc < 0 ? strdup("(unreadable)") : take_datum(&d);
}

/* The serial as openssl prints it: the DER sign byte (a leading 00) is not part of the number. */
static char *serial_hex(gnutls_x509_crt_t crt)
{
	unsigned char buf[64];
	size_t len = sizeof(buf), skip = 0;
	char hex[2 * sizeof(buf) + 1];

	if (gnutls_x509_crt_get_serial(crt, buf, &len) < 0 || len == 0)
		return strdup("");
	while (skip + 1 < len && buf[skip] == 0)
		skip++;
	mc_hex(hex, buf + skip, len - skip);
	return strdup(hex);
}

static char *sha256_hex(gnutls_x509_crt_t crt)
{
	unsigned char buf[32];
	size_t len = sizeof(buf);
	char hex[2 * sizeof(buf) + 1];

	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, buf, &len) < 0)
		return strdup("");
	mc_hex(hex, buf, len);
	return strdup(hex);
}

/* "P256" for SECP256R1, as people write the NIST curves. */
static char *ec_key_name(gnutls_x509_crt_t crt)
{
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
	const char *name;

	if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y) < 0)
		return strdup("EC");
	gnutls_free(x.data);
	gnutls_free(y.data);
	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP256R1:
		return strdup("EC-P256");
	case GNUTLS_ECC_CURVE_SECP384R1:
		return strdup("EC-P384");
	case GNUTLS_ECC_CURVE_SECP521R1:
		return strdup("EC-P521");
	default:
		name = gnutls_ecc_curve_get_name(curve);
		return mc_asprintf("EC-%s", name ? name : "unknown");
	}
}

static char *key_name(gnutls_x509_crt_t crt)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);

	switch (pk) {
	case GNUTLS_PK_RSA:
		return mc_asprintf("RSA-%u", bits);
	case GNUTLS_PK_RSA_PSS:
		return mc_asprintf("RSA-PSS-%u", bits);
	case GNUTLS_PK_DSA:
		return mc_asprintf("DSA-%u", bits);
	case GNUTLS_PK_ECDSA:
		return ec_key_name(crt);
	case GNUTLS_PK_EDDSA_ED25519:
		return strdup("Ed25519");
	case GNUTLS_PK_EDDSA_ED448:
		return strdup("Ed448");
	default:
		return strdup(pk > 0 && gnutls_pk_get_name(pk) ? gnutls_pk_get_name(pk)
							       : "unknown");
	}
}

static const char *signature_pk_name(gnutls_pk_algorithm_t pk)
{
	switch (pk) {
	case GNUTLS_PK_RSA:
		return "RSA";
	case GNUTLS_PK_RSA_PSS:
		return "RSA-PSS";
	case GNUTLS_PK_ECDSA:
		return "ECDSA";
	case GNUTLS_PK_DSA:
		return "DSA";
	default:
		return NULL;
	}
}

/* "RSA-SHA256", "ECDSA-SHA384", "RSA-PSS-SHA256", "Ed25519"; the OID when GnuTLS does not know it.
 */
static char *signature_name(gnutls_x509_crt_t crt)
{
	int sign = gnutls_x509_crt_get_signature_algorithm(crt);
	gnutls_pk_algorithm_t pk = gnutls_sign_get_pk_algorithm(sign);
	const char *hash = gnutls_digest_get_name(gnutls_sign_get_hash_algorithm(sign));
	char oid[128];
	size_t len = sizeof(oid);

	if (pk == GNUTLS_PK_EDDSA_ED25519)
		return strdup("Ed25519");
	if (pk == GNUTLS_PK_EDDSA_ED448)
		return strdup("Ed448");
	if (signature_pk_name(pk) && hash)
		return mc_asprintf("%s-%s", signature_pk_name(pk), hash);
	if (gnutls_x509_crt_get_signature_oid(crt, oid, &len) < 0)
		return strdup("unknown");
	return mc_asprintf("unknown (%s)", oid);
}

/* One SAN as text: a DNS name quoted (it is the server's), an IP address written out. */
static char *san_text(unsigned type, const gnutls_datum_t *d)
{
	char buf[4 * 256 + 4];

	if (type == GNUTLS_SAN_DNSNAME) {
		mc_quote(buf, sizeof(buf), d->data, d->size, 256);
		return strdup(buf);
	}
	if (d->size != 4 && d->size != 16)
		return strdup("(malformed IP address)");
	inet_ntop(d->size == 4 ? AF_INET : AF_INET6, d->data, buf, sizeof(buf));
	return strdup(buf);
}

static void free_strv(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* Appends @s (taking it) to the NULL-terminated @list; on failure frees both. */
static char **strv_push(char **list, size_t *n, char *s)
{
	char **l = s ? realloc(list, (*n + 2) * sizeof(*l)) : NULL;

	if (!l) {
		free(s);
		free_strv(list);
		return NULL;
	}
	l[(*n)++] = s;
	l[*n] = NULL;
	return l;
}

/* The DNS and IP subject alternative names, NULL terminated; other kinds are skipped. */
static char **san_list(gnutls_x509_crt_t crt)
{
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t ext = {NULL, 0}, d;
	char **list = calloc(1, sizeof(*list));
	size_t n = 0;
	unsigned type;

	if (list &&
	    gnutls_x509_crt_get_extension_by_oid2(crt, GNUTLS_X509EXT_OID_SAN, 0, &ext, NULL) >=
		0 &&
	    gnutls_subject_alt_names_init(&sans) >= 0 &&
	    gnutls_x509_ext_import_subject_alt_names(&ext, sans, 0) >= 0) {
		for (unsigned i = 0;
		     list && gnutls_subject_alt_names_get(sans, i, &type, &d, NULL) >= 0; i++)
			if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_IPADDRESS)
				list = strv_push(list, &n, san_text(type, &d));
	}
	if (sans)
		gnutls_subject_alt_names_deinit(sans);
	gnutls_free(ext.data);
	return list;
}

static int describe_one(struct mc_cert_store *c, gnutls_x509_crt_t crt, size_t index, time_t now,
			const mailcert_policy *policy)
{
	struct mc_threshold warning = mc_threshold_for(policy, index, 0);
	struct mc_threshold critical = mc_threshold_for(policy, index, 1);
	mailcert_cert_info *info = &c->info;
	long long lifetime;

	info->subject = c->strings[0] = dn_string(crt, 0);
	info->issuer = c->strings[1] = dn_string(crt, 1);
	info->serial = c->strings[2] = serial_hex(crt);
	info->sha256 = c->strings[3] = sha256_hex(crt);
	info->key = c->strings[4] = key_name(crt);
	info->signature = c->strings[5] = signature_name(crt);
	c->san = san_list(crt);
	info->san = (const char *const *)c->san;
	for (size_t i = 0; i < 6; i++)
		if (!c->strings[i])
			return MAILCERT_E_NOMEM;
	if (!c->san)
		return MAILCERT_E_NOMEM;
	info->not_before = gnutls_x509_crt_get_activation_time(crt);
	info->not_after = gnutls_x509_crt_get_expiration_time(crt);
	/* GnuTLS gives -1 for the "no expiration" date; keep the date the certificate says. */
	if (info->not_after == (time_t)-1)
		info->not_after = MC_NO_EXPIRY;
	lifetime = (long long)info->not_after - (long long)info->not_before;
	info->remaining_s = (long long)info->not_after - (long long)now;
	info->warning_s = mc_threshold_seconds(&warning, lifetime);
	info->critical_s = mc_threshold_seconds(&critical, lifetime);
	return 0;
}

int mc_report_describe_chain(mailcert_report *report, gnutls_x509_crt_t *crts, size_t n,
			     const mailcert_policy *policy)
{
	int rc;

	report->certs = calloc(n ? n : 1, sizeof(*report->certs));
	if (!report->certs)
		return MAILCERT_E_NOMEM;
	report->certs_len = n;
	for (size_t i = 0; i < n; i++)
		if ((rc = describe_one(&report->certs[i], crts[i], i, report->now, policy)) < 0)
			return rc;
	return 0;
}

/* A self-issued certificate past the leaf is a root (RFC 5280 section 3.2). */
static const char *role(const struct mc_eval *ev, size_t i)
{
	if (i == 0)
		return "leaf";
	return gnutls_x509_crt_check_issuer(ev->crts[i], ev->crts[i]) ? "root" : "intermediate";
}

void mc_cert_label(char *dst, size_t len, const struct mc_eval *ev, size_t i)
{
	const mailcert_cert_info *info = &ev->report->certs[i].info;
	char cn[256], q[4 * 100 + 4];
	size_t cn_len = sizeof(cn);

	if (gnutls_x509_crt_get_dn_by_oid(ev->crts[i], GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
					  &cn_len) >= 0 &&
	    cn_len > 0) {
		mc_quote(q, sizeof(q), cn, cn_len, 100);
		snprintf(dst, len, "%s CN=%s", role(ev, i), q);
	} else if (info->subject[0]) {
		mc_quote(q, sizeof(q), info->subject, strlen(info->subject), 100);
		snprintf(dst, len, "%s %s", role(ev, i), q);
	} else {
		snprintf(dst, len, "%s with serial %s", role(ev, i), info->serial);
	}
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keys as DANE names them: the public key (and certificate) of a file an
 * operator stages for the next renewal (--next-key, --next-issuer), the
 * records that name it, and the records to publish for it (--tlsa-for,
 * mailcert_tlsa_for_file()). Pure: a file is read only when a setter or
 * mailcert_tlsa_for_file() is told to read it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "model/certfile.h"
#include "model/internal.h"
#include "model/tlsakey.h"

#define MC_KEYFILE_MAX (1024 * 1024)

void mc_tlsa_key_clear(struct mc_tlsa_key *k)
{
	free(k->path);
	gnutls_free(k->spki.data);
	gnutls_free(k->cert.data);
	gnutls_free(k->issuer_spki.data);
	memset(k, 0, sizeof(*k));
}

void mc_tlsa_record_text(char *out, size_t len, unsigned usage, const gnutls_datum_t *spki)
{
	unsigned char digest[32];
	char hex[65];

	out[0] = '\0';
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, spki->data, spki->size, digest) < 0)
		return;
	mc_hex(hex, digest, sizeof(digest));
	snprintf(out, len, "%u 1 1 %s", usage, hex);
}

int mc_tlsa_data_matches(const struct mc_tlsa *t, const gnutls_datum_t *selected)
{
	unsigned char digest[64];

	if (t->mtype == 0)
		return selected->size == t->len && memcmp(selected->data, t->data, t->len) == 0;
	if (t->mtype > 2 || t->len != (t->mtype == 1 ? 32u : 64u))
		return 0;
	if (gnutls_hash_fast(t->mtype == 1 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512, selected->data,
			     selected->size, digest) < 0)
		return 0;
	return memcmp(digest, t->data, t->len) == 0;
}

int mc_tlsa_names_key(const struct mc_tlsa *t, const struct mc_tlsa_key *k)
{
	if (t->selector == 1)
		return mc_tlsa_data_matches(t, &k->spki);
	/* A bare key cannot be named by a record of a whole certificate. */
	return t->selector == 0 && k->cert.data && mc_tlsa_data_matches(t, &k->cert);
}

/* "RSA-2048", "EC-P256", as certfile.c names private keys. */
static void describe(struct mc_tlsa_key *k, gnutls_pubkey_t key)
{
	unsigned bits = 0;

	k->pk = gnutls_pubkey_get_pk_algorithm(key, &bits);
	switch (k->pk) {
	case GNUTLS_PK_RSA:
		snprintf(k->desc, sizeof(k->desc), "RSA-%u", bits);
		break;
	case GNUTLS_PK_RSA_PSS:
		snprintf(k->desc, sizeof(k->desc), "RSA-PSS-%u", bits);
		break;
	case GNUTLS_PK_ECDSA:
		snprintf(k->desc, sizeof(k->desc), "EC-P%u", bits);
		break;
	case GNUTLS_PK_EDDSA_ED25519:
		snprintf(k->desc, sizeof(k->desc), "Ed25519");
		break;
	default:
		snprintf(k->desc, sizeof(k->desc), "%s",
			 k->pk > 0 && gnutls_pk_get_name(k->pk) ? gnutls_pk_get_name(k->pk)
								: "unknown");
	}
}

/* @key's SPKI (DER) into @out, and its description into @k when @k is not NULL. */
static int export_spki(gnutls_pubkey_t key, gnutls_datum_t *out, struct mc_tlsa_key *k)
{
	if (k)
		describe(k, key);
	return gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, out) < 0 ? MAILCERT_E_INVALID : 0;
}

static int spki_of_cert(const gnutls_datum_t *der, gnutls_datum_t *out, struct mc_tlsa_key *k)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	int rc = MAILCERT_E_INVALID;

	if (gnutls_x509_crt_init(&crt) == 0 &&
	    gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_pubkey_init(&key) == 0 && gnutls_pubkey_import_x509(key, crt, 0) >= 0)
		rc = export_spki(key, out, k);
	if (key)
		gnutls_pubkey_deinit(key);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

/* Whether @issuer_der issued @leaf_der: its name and a signature that verifies, at any date. */
static int issued(const gnutls_datum_t *leaf_der, const gnutls_datum_t *issuer_der)
{
	gnutls_x509_crt_t leaf = NULL, issuer = NULL;
	unsigned status = 1;

	if (gnutls_x509_crt_init(&leaf) == 0 && gnutls_x509_crt_init(&issuer) == 0 &&
	    gnutls_x509_crt_import(leaf, leaf_der, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_import(issuer, issuer_der, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_check_issuer(leaf, issuer) &&
	    gnutls_x509_crt_verify(leaf, &issuer, 1,
				   GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
				       GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
				   &status) < 0)
		status = 1;
	if (leaf)
		gnutls_x509_crt_deinit(leaf);
	if (issuer)
		gnutls_x509_crt_deinit(issuer);
	/* A signature by an old algorithm still says who issued it. */
	return (status & ~(unsigned)GNUTLS_CERT_INSECURE_ALGORITHM) == 0;
}

/* The leaf of chain file @f, and its issuer when the file holds it, into @k. */
static int from_chain(struct mc_tlsa_key *k, struct mc_file *f)
{
	int rc;

	k->cert = f->certs[0];
	f->certs[0].data = NULL; /* moved */
	f->certs[0].size = 0;
	rc = spki_of_cert(&k->cert, &k->spki, k);
	/* Where the file holds several issuers (a cross-signed chain), the first. */
	for (size_t i = 1; rc == 0 && i < f->ncerts && !k->issuer_spki.data; i++)
		if (issued(&k->cert, &f->certs[i]))
			rc = spki_of_cert(&f->certs[i], &k->issuer_spki, NULL);
	return rc;
}

static int from_private_key(struct mc_tlsa_key *k, gnutls_x509_privkey_t x509)
{
	gnutls_privkey_t priv = NULL;
	gnutls_pubkey_t key = NULL;
	int rc = MAILCERT_E_INVALID;

	if (gnutls_privkey_init(&priv) == 0 &&
	    gnutls_privkey_import_x509(priv, x509, GNUTLS_PRIVKEY_IMPORT_COPY) >= 0 &&
	    gnutls_pubkey_init(&key) == 0 && gnutls_pubkey_import_privkey(key, priv, 0, 0) >= 0)
		rc = export_spki(key, &k->spki, k);
	if (key)
		gnutls_pubkey_deinit(key);
	if (priv)
		gnutls_privkey_deinit(priv);
	return rc;
}

/* A "PUBLIC KEY" PEM block, or a DER SubjectPublicKeyInfo; 1 when @data is neither. */
static int from_public_key(struct mc_tlsa_key *k, const gnutls_datum_t *data)
{
	gnutls_pubkey_t key;
	int rc = 1;

	if (gnutls_pubkey_init(&key) < 0)
		return MAILCERT_E_NOMEM;
	if (gnutls_pubkey_import(key, data, GNUTLS_X509_FMT_PEM) >= 0 ||
	    gnutls_pubkey_import(key, data, GNUTLS_X509_FMT_DER) >= 0)
		rc = export_spki(key, &k->spki, k);
	gnutls_pubkey_deinit(key);
	return rc;
}

static int has(const gnutls_datum_t *data, const char *marker)
{
	return strstr((const char *)data->data, marker) != NULL;
}

/*
 * What @data holds, in the order an operator's file is likely to be: a
 * certificate (or chain), a public key, a private key. The message of a
 * failure is the one about what the file seems meant to hold.
 */
static int parse(struct mc_tlsa_key *k, const char *path, const gnutls_datum_t *data,
		 const char *what, char *err, size_t errlen)
{
	struct mc_file f;
	char q[4 * 200 + 4];
	int rc;

	rc = mc_file_load(&f, path, data, what, MC_WANT_CERT_ONLY, err, errlen);
	if (rc == 0) {
		rc = from_chain(k, &f);
		mc_file_clear(&f);
		return rc;
	}
	if (rc != MAILCERT_E_INVALID || has(data, "CERTIFICATE-----"))
		return rc;
	rc = from_public_key(k, data);
	if (rc <= 0)
		return rc;
	rc = mc_file_load(&f, path, data, what, MC_WANT_KEY, err, errlen);
	if (rc == 0) {
		rc = from_private_key(k, f.key);
		mc_file_clear(&f);
		return rc;
	}
	if (rc != MAILCERT_E_INVALID || has(data, "PRIVATE KEY-----"))
		return rc;
	mc_quote(q, sizeof(q), path, strlen(path), 200);
	mc_set_error(err, errlen,
		     "the %s \"%s\" holds neither a certificate nor a key: give a PEM file with a "
		     "CERTIFICATE, PRIVATE KEY or PUBLIC KEY block, or one in DER",
		     what, q);
	return MAILCERT_E_INVALID;
}

int mc_tlsa_key_load(struct mc_tlsa_key *k, const char *path, const char *what, char *err,
		     size_t errlen)
{
	gnutls_datum_t data = {NULL, 0};
	int rc;

	memset(k, 0, sizeof(*k));
	rc = mc_read_file(path, what, MC_KEYFILE_MAX, &data, err, errlen);
	if (rc == 0)
		rc = parse(k, path, &data, what, err, errlen);
	free(data.data);
	if (rc == 0 && !(k->path = mc_strdup(path)))
		rc = MAILCERT_E_NOMEM;
	if (rc == MAILCERT_E_NOMEM)
		mc_set_error(err, errlen, "out of memory");
	if (rc < 0)
		mc_tlsa_key_clear(k);
	return rc;
}

MAILCERT_EXPORT int mailcert_tlsa_for_file(char **out, const char *path, char *err, unsigned errlen)
{
	char ee[MC_TLSA_RECORD_MAX], ta[MC_TLSA_RECORD_MAX];
	struct mc_tlsa_key k;
	int rc, issuer;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!path || !*path) {
		mc_set_error(err, errlen, "no file name given");
		return MAILCERT_E_INVALID;
	}
	rc = mc_tlsa_key_load(&k, path, "certificate or key file", err, errlen);
	if (rc < 0)
		return rc;
	mc_tlsa_record_text(ee, sizeof(ee), 3, &k.spki);
	ta[0] = '\0';
	issuer = k.issuer_spki.data != NULL;
	if (issuer)
		mc_tlsa_record_text(ta, sizeof(ta), 2, &k.issuer_spki);
	mc_tlsa_key_clear(&k);
	if (!ee[0] || (issuer && !ta[0])) {
		mc_set_error(err, errlen, "SHA-256 is not available");
		return MAILCERT_E_INVALID;
	}
	*out = malloc(2 * MC_TLSA_RECORD_MAX + 3);
	if (!*out) {
		mc_set_error(err, errlen, "out of memory");
		return MAILCERT_E_NOMEM;
	}
	snprintf(*out, 2 * MC_TLSA_RECORD_MAX + 3, "%s\n%s%s", ee, ta, ta[0] ? "\n" : "");
	return 0;
}

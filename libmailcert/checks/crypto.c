/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Crypto minimums: key sizes (crypto.weak-key), signature hashes
 * (crypto.weak-signature) and the negotiated TLS version (tls.version).
 *
 * A self-signed certificate sent along (a root) is a trust anchor: its
 * key and its own signature are the trust store's business, not the
 * server's, and clients do not check a self-signature (RFC 5280 section
 * 6.1 starts the path below the anchor). The leaf is always judged on its
 * key: it is the key the server proves possession of.
 */
#include <stdio.h>
#include <string.h>

#include "model/internal.h"

#define DEFAULT_RSA_BITS 2048
#define DEFAULT_EC_BITS 256
#define DEFAULT_TLS 12

/* Certificate @i is a root sent along: self-issued, and not the leaf. */
static int trust_anchor(const struct mc_eval *ev, size_t i)
{
	return i > 0 && gnutls_x509_crt_check_issuer(ev->crts[i], ev->crts[i]);
}

/* Whether the key family is judged by the RSA/DSA minimum (1), the EC one (0), or none (-1). */
static int rsa_like(gnutls_pk_algorithm_t pk)
{
	switch (pk) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
	case GNUTLS_PK_DSA:
		return 1;
	case GNUTLS_PK_ECDSA:
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		return 0;
	default:
		return -1;
	}
}

static int check_key(struct mc_eval *ev, size_t i)
{
	const mailcert_policy *p = ev->policy;
	unsigned bits = 0, min;
	gnutls_pk_algorithm_t pk;
	char label[MC_LABEL_MAX];
	int kind;

	pk = (gnutls_pk_algorithm_t)gnutls_x509_crt_get_pk_algorithm(ev->crts[i], &bits);
	kind = rsa_like(pk);
	if (kind < 0 || bits == 0)
		return 0;
	min = kind ? (p->min_rsa_bits ? p->min_rsa_bits : DEFAULT_RSA_BITS)
		   : (p->min_ec_bits ? p->min_ec_bits : DEFAULT_EC_BITS);
	if (bits >= min)
		return 0;
	mc_cert_label(label, sizeof(label), ev, i);
	return mc_report_add(
	    ev->report, "crypto.weak-key", MAILCERT_CRITICAL, (int)i,
	    "%s has a %u-bit key (%s), below the minimum of %u bits for %s keys "
	    "(--min-key-bits %s%u); %s",
	    label, bits, ev->report->certs[i].info.key, min,
	    kind ? "RSA and DSA" : "elliptic-curve", kind ? "" : "ec:", min,
	    i == 0 ? "reissue the certificate with a new, larger key"
		   : "its CA must replace it; install the current chain from your CA");
}

static int check_signature(struct mc_eval *ev, size_t i)
{
	int sign = gnutls_x509_crt_get_signature_algorithm(ev->crts[i]);
	gnutls_digest_algorithm_t hash;
	char label[MC_LABEL_MAX];

	/* A self-signed leaf proves nothing by its own signature either. */
	if (sign < 0 || gnutls_x509_crt_check_issuer(ev->crts[i], ev->crts[i]))
		return 0;
	hash = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sign);
	if (hash != GNUTLS_DIG_SHA1 && hash != GNUTLS_DIG_MD5 && hash != GNUTLS_DIG_MD2)
		return 0;
	mc_cert_label(label, sizeof(label), ev, i);
	return mc_report_add(ev->report, "crypto.weak-signature", MAILCERT_CRITICAL, (int)i,
			     "%s is signed with %s (%s), which can be forged and which clients "
			     "reject; %s",
			     label, gnutls_digest_get_name(hash),
			     ev->report->certs[i].info.signature,
			     i == 0 ? "reissue the certificate (CAs sign with SHA-256)"
				    : "install the current chain from your CA");
}

/* "TLS1.2" → 12, "SSL3.0" → 3; -1 for what this check cannot rank. */
static int version_rank(const char *name)
{
	if (!name)
		return -1;
	if (strcmp(name, "SSL3.0") == 0)
		return 3;
	if (strncmp(name, "TLS1.", 5) == 0 && name[5] >= '0' && name[5] <= '9' && !name[6])
		return 10 + (name[5] - '0');
	return -1;
}

static int check_version(struct mc_eval *ev)
{
	int min = ev->policy->min_tls ? ev->policy->min_tls : DEFAULT_TLS;
	int got = version_rank(ev->obs->tls_version);

	if (got < 0 || got >= min)
		return 0;
	return mc_report_add(
	    ev->report, "tls.version", MAILCERT_WARNING, -1,
	    "the server negotiated %s, the newest version it accepts (mailcert "
	    "offers up to TLS 1.3), below the minimum TLS 1.%d (--min-tls); enable "
	    "TLS 1.2 and 1.3 in the daemon",
	    ev->obs->tls_version, min - 10);
}

int mc_check_crypto(struct mc_eval *ev)
{
	int rc = 0;

	for (size_t i = 0; rc >= 0 && i < ev->n; i++)
		if (!trust_anchor(ev, i))
			rc = check_key(ev, i);
	for (size_t i = 0; rc >= 0 && i < ev->n; i++)
		rc = check_signature(ev, i);
	return rc < 0 ? rc : check_version(ev);
}

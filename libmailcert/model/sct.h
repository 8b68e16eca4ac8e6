/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Signed Certificate Timestamps (RFC 6962 §3.2–3.3) as bytes: the SCT list
 * of a certificate's extension, of the TLS signed_certificate_timestamp
 * extension or of a stapled OCSP response, the precertificate a log signed
 * for an embedded SCT, and the data each signature covers.
 *
 * Parsed here rather than with gnutls_x509_ext_ct_import_scts(): GnuTLS
 * 3.7.9 keeps an SCT's timestamp in whole seconds and refuses SCTs with
 * extensions, and a signature covers the milliseconds and the extensions.
 *
 * Pure: no I/O, no clock. Every input came from a server; each parser
 * reads within the byte count it is given and never past it.
 */
#ifndef MAILCERT_SCT_H
#define MAILCERT_SCT_H

#include <stddef.h>
#include <stdint.h>

#define MC_MAX_SCT 16 /* SCTs kept from one certificate, TLS extension and OCSP response together */

enum mc_sct_source { MC_SCT_EMBEDDED, MC_SCT_TLS, MC_SCT_OCSP };

/* One SCT (v1). @ext and @sig point into the list it was parsed from. */
struct mc_sct {
	enum mc_sct_source source;
	unsigned char log_id[32];
	uint64_t timestamp; /* milliseconds since the epoch */
	unsigned hash_alg, sig_alg; /* RFC 5246 §7.4.1.4.1: 4 sha256; 1 rsa, 3 ecdsa */
	const unsigned char *ext, *sig;
	size_t ext_len, sig_len;
};

/* The OID of the SCT list extension of a certificate (RFC 6962 §3.3). */
#define MC_SCT_CERT_OID "1.3.6.1.4.1.11129.2.4.2"

/*
 * Appends the SCTs of a SignedCertificateTimestampList of @len bytes to
 * @out (*@n of @max used; those beyond @max are counted in *@dropped).
 * SCTs of a version other than v1 are skipped, as RFC 6962 §3.3 says.
 * 0; -1 with the reason in @why (lengths that do not add up).
 */
int mc_sct_list_parse(const unsigned char *p, size_t len, enum mc_sct_source source,
		      struct mc_sct *out, size_t max, size_t *n, size_t *dropped, char *why,
		      size_t whylen);

/*
 * The SCT list inside an extension value, which wraps it in a DER OCTET
 * STRING (as the certificate's and the OCSP extension's values do):
 * *@list points into @p. 0; -1 when it is not one OCTET STRING.
 */
int mc_sct_unwrap(const unsigned char *p, size_t len, const unsigned char **list,
		  size_t *list_len);

/*
 * The TBSCertificate of the certificate @der without its SCT list
 * extension: what the log signed for an embedded SCT (RFC 6962 §3.2),
 * malloc'ed into *@out. The extensions' length fields are rewritten; the
 * "extensions" field itself is dropped when the SCT list was its only one.
 * 0; -1 with the reason in @why.
 */
int mc_sct_precert_tbs(const unsigned char *der, size_t len, unsigned char **out,
		       size_t *outlen, char *why, size_t whylen);

/*
 * The SCT list of an OCSP response @der (RFC 6962 §3.3: the extension
 * 1.3.6.1.4.1.11129.2.4.5 of a SingleResponse's singleExtensions), the
 * first one found, pointing into @der. 1 found, 0 none, -1 malformed.
 */
int mc_sct_from_ocsp(const unsigned char *der, size_t len, const unsigned char **list,
		     size_t *list_len);

/*
 * The data @sct's signature covers (RFC 6962 §3.2, digitally-signed
 * struct): for an x509_entry, @entry is the certificate's DER and
 * @issuer_key_hash NULL; for a precert_entry, @entry is the TBS of
 * mc_sct_precert_tbs() and @issuer_key_hash the SHA-256 of the issuer's
 * SubjectPublicKeyInfo. malloc'ed into *@out; 0, or -1 when out of memory
 * or an entry too long to encode.
 */
int mc_sct_signed_data(const struct mc_sct *sct, const unsigned char *entry, size_t entry_len,
		       const unsigned char *issuer_key_hash, unsigned char **out, size_t *outlen);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Expectations on the leaf, as monitoring users state them: its issuer and
 * subject (POSIX extended regular expressions against the DN as RFC 4514
 * writes it), its serial number, and pins (SHA-256 of the certificate or
 * of its SubjectPublicKeyInfo). Findings: issuer.mismatch,
 * subject.mismatch, serial.mismatch, pin.mismatch, all CRITICAL: someone
 * asked for exactly this certificate, and another one is served.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "model/internal.h"

#define DN_SHOWN 200 /* characters of a DN quoted in a message */

/* The base64 of a SHA-256 digest, as HPKP and check_ssl_cert write pins ("" when out of memory). */
static void base64_32(char out[45], const unsigned char in[32])
{
	gnutls_datum_t raw = {(unsigned char *)in, 32}, b64 = {NULL, 0};

	out[0] = '\0';
	if (gnutls_base64_encode2(&raw, &b64) == 0 && b64.size < 45) {
		memcpy(out, b64.data, b64.size);
		out[b64.size] = '\0';
	}
	gnutls_free(b64.data);
}

static int check_dn(struct mc_eval *ev, const char *code, const char *what, const char *flag,
		    const regex_t *re, const char *text, const char *dn)
{
	char label[MC_LABEL_MAX], qdn[4 * DN_SHOWN + 4], qre[4 * DN_SHOWN + 4];

	if (regexec(re, dn, 0, NULL, 0) == 0)
		return 0;
	mc_cert_label(label, sizeof(label), ev, 0);
	mc_quote(qdn, sizeof(qdn), dn, strlen(dn), DN_SHOWN);
	mc_quote(qre, sizeof(qre), text, strlen(text), DN_SHOWN);
	return mc_report_add(ev->report, code, MAILCERT_CRITICAL, 0,
			     "the %s of %s is \"%s\", which does not match %s \"%s\"; the server "
			     "does not serve the certificate you expect",
			     what, label, qdn, flag, qre);
}

static int check_serial(struct mc_eval *ev)
{
	const char *serial = ev->report->certs[0].info.serial;
	char label[MC_LABEL_MAX];

	while (serial[0] == '0' && serial[1])
		serial++;
	if (strcmp(serial, ev->policy->serial) == 0)
		return 0;
	mc_cert_label(label, sizeof(label), ev, 0);
	return mc_report_add(ev->report, "serial.mismatch", MAILCERT_CRITICAL, 0,
			     "%s has serial number %s, not %s (--serial); the server does not "
			     "serve the certificate you expect",
			     label, serial, ev->policy->serial);
}

/* SHA-256 of the leaf's SubjectPublicKeyInfo, as HPKP pins it. */
static int spki_sha256(gnutls_x509_crt_t crt, unsigned char out[32])
{
	gnutls_pubkey_t key;
	gnutls_datum_t der = {NULL, 0};
	int rc = gnutls_pubkey_init(&key);

	if (rc < 0)
		return rc;
	rc = gnutls_pubkey_import_x509(key, crt, 0);
	if (rc >= 0)
		rc = gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &der);
	if (rc >= 0)
		rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, out);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(key);
	return rc;
}

static int check_pins(struct mc_eval *ev)
{
	const mailcert_policy *p = ev->policy;
	unsigned char spki[32], cert[32];
	size_t len = sizeof(cert);
	char label[MC_LABEL_MAX], spki_b64[45];
	int rc;

	rc = spki_sha256(ev->crts[0], spki);
	if (rc >= 0)
		rc = gnutls_x509_crt_get_fingerprint(ev->crts[0], GNUTLS_DIG_SHA256, cert, &len);
	if (rc < 0)
		return mc_report_add(ev->report, "pin.mismatch", MAILCERT_CRITICAL, 0,
				     "the leaf's digests could not be computed: %s",
				     gnutls_strerror(rc));
	for (size_t i = 0; i < p->pins_len; i++)
		if (memcmp(p->pins[i], spki, 32) == 0 || memcmp(p->pins[i], cert, 32) == 0)
			return 0;
	mc_cert_label(label, sizeof(label), ev, 0);
	base64_32(spki_b64, spki);
	return mc_report_add(ev->report, "pin.mismatch", MAILCERT_CRITICAL, 0,
			     "%s matches no --pin: its key is sha256:%s, the certificate "
			     "sha256:%s; a new key or certificate is served, update the pin if "
			     "that is intended",
			     label, spki_b64, ev->report->certs[0].info.sha256);
}

int mc_check_expect(struct mc_eval *ev)
{
	const mailcert_policy *p = ev->policy;
	const mailcert_cert_info *leaf = &ev->report->certs[0].info;
	int rc = 0;

	if (p->issuer_re)
		rc = check_dn(ev, "issuer.mismatch", "issuer", "--issuer", p->issuer_re,
			      p->issuer_text, leaf->issuer);
	if (rc == 0 && p->subject_re)
		rc = check_dn(ev, "subject.mismatch", "subject", "--subject", p->subject_re,
			      p->subject_text, leaf->subject);
	if (rc == 0 && p->serial)
		rc = check_serial(ev);
	if (rc == 0 && p->pins_len)
		rc = check_pins(ev);
	return rc;
}

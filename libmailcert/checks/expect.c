/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Expectations on the leaf, as monitoring users state them: its issuer and
 * subject (POSIX extended regular expressions against the DN as RFC 4514
 * writes it), its serial number, and pins (SHA-256 of the certificate or
 * of its SubjectPublicKeyInfo). Findings: issuer.mismatch,
 * subject.mismatch, serial.mismatch, pin.mismatch, all CRITICAL: someone
 * asked for exactly this certificate, and another one is served.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "model/internal.h"

#define DN_SHOWN 200 /* characters of a DN quoted in a message */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 of 32 bytes: 43 characters and one '='. */
static void base64_32(char out[45], const unsigned char in[32])
{
	size_t o = 0;

	for (size_t i = 0; i < 32; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < 32 ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < 32 ? in[i + 2] : 0);

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < 32 ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Strict: exactly the 44 characters base64_32() writes for some digest. */
static int unbase64_32(unsigned char out[32], const char *s)
{
	unsigned v = 0, bits = 0;
	size_t o = 0;

	if (strlen(s) != 44 || s[43] != '=')
		return -1;
	for (size_t i = 0; i < 43; i++) {
		const char *p = s[i] ? strchr(b64, s[i]) : NULL;

		if (!p)
			return -1;
		v = v << 6 | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < 32)
				out[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	/* The two bits left over must be zero, as an encoder writes them. */
	return o == 32 && v == 0 ? 0 : -1;
}

/* 64 hex digits, colons allowed between them, any case. */
static int unhex_32(unsigned char out[32], const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (mc_hexval(*s) < 0 || n == 64)
			return -1;
		if (n % 2 == 0)
			out[n / 2] = (unsigned char)(mc_hexval(*s) << 4);
		else
			out[n / 2] |= (unsigned char)mc_hexval(*s);
		n++;
	}
	return n == 64 ? 0 : -1;
}

int mc_pin_parse(unsigned char out[32], const char *pin)
{
	if (!pin || strncasecmp(pin, "sha256:", 7) != 0)
		return MAILCERT_E_INVALID;
	pin += 7;
	/* 44 characters ending in '=' are base64; hex digests are 64 or more. */
	if (unbase64_32(out, pin) == 0 || unhex_32(out, pin) == 0)
		return 0;
	return MAILCERT_E_INVALID;
}

int mc_serial_normalize(char **out, const char *hex)
{
	char buf[2 * 64 + 1];
	size_t n = 0;

	if (strncasecmp(hex, "0x", 2) == 0)
		hex += 2;
	if (!*hex)
		return MAILCERT_E_INVALID;
	for (; *hex; hex++) {
		if (*hex == ':')
			continue;
		if (mc_hexval(*hex) < 0)
			return MAILCERT_E_INVALID;
		if (n == 0 && *hex == '0')
			continue;
		/* RFC 5280 section 4.1.2.2: at most 20 octets; allow a generous bound. */
		if (n == sizeof(buf) - 1)
			return MAILCERT_E_INVALID;
		buf[n++] = (char)tolower((unsigned char)*hex);
	}
	if (n == 0)
		buf[n++] = '0';
	buf[n] = '\0';
	*out = strdup(buf);
	return *out ? 0 : MAILCERT_E_NOMEM;
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

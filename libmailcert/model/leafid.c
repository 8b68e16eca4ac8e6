/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a policy names one certificate: the syntax of --pin (a SHA-256
 * digest in base64, as HPKP and check_ssl_cert write it, or hex) and of
 * --serial (a hexadecimal number). checks/expect.c compares them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/internal.h"

/*
 * Strict: the 44 characters an encoder writes for a 32-byte digest, and
 * only those (GnuTLS's decoder alone would take other padding and bits).
 */
static int unbase64_32(unsigned char out[32], const char *s)
{
	gnutls_datum_t b64 = {(unsigned char *)s, (unsigned)strlen(s)}, raw = {NULL, 0}, again = {NULL, 0};
	int ok;

	if (b64.size != 44 || s[43] != '=' || s[42] == '=')
		return -1;
	ok = gnutls_base64_decode2(&b64, &raw) == 0 && raw.size == 32 &&
	     gnutls_base64_encode2(&raw, &again) == 0 && again.size == 44 &&
	     memcmp(again.data, s, 44) == 0;
	if (ok)
		memcpy(out, raw.data, 32);
	gnutls_free(raw.data);
	gnutls_free(again.data);
	return ok ? 0 : -1;
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

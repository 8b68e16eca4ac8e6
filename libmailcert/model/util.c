/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* vasprintf, strndup */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/util.h"

int mc_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mc_is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

size_t mc_quote(char *dst, size_t dstlen, const void *src, size_t len, size_t maxchars)
{
	const unsigned char *s = src;
	size_t o = 0;

	if (dstlen == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char tmp[5];
		size_t n;

		if (i == maxchars) {
			if (o + 4 <= dstlen) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (s[i] == '\\' || s[i] == '"') {
			tmp[0] = '\\';
			tmp[1] = (char)s[i];
			n = 2;
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			tmp[0] = (char)s[i];
			n = 1;
		} else {
			snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			n = 4;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, tmp, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}

void mc_set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void mc_hex(char *dst, const unsigned char *src, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 15];
	}
	dst[2 * len] = '\0';
}

char *mc_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *mc_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

void mc_format_utc(char out[MC_DATE_MAX], time_t t, int seconds)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(out, MC_DATE_MAX, seconds ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M UTC",
		      &tm))
		snprintf(out, MC_DATE_MAX, "@%lld", (long long)t);
}

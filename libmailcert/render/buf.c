/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every renderer writes with (render.h): the growing output buffer,
 * the escaping of untrusted text, and the ways times are written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* Makes room for @more bytes and the terminating NUL. */
static int buf_reserve(struct mc_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 512;
	char *p;

	if (b->failed)
		return -1;
	if (b->len + more < b->cap)
		return 0;
	while (cap <= b->len + more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void mc_buf_add(struct mc_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void mc_buf_puts(struct mc_buf *b, const char *s)
{
	mc_buf_add(b, s, strlen(s));
}

void mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (buf_reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * The length of the valid UTF-8 sequence at @s (@n bytes available), or 0.
 * Valid per RFC 3629 table 3.2: no overlong forms, no surrogates, nothing
 * above U+10FFFF, so that JSON consumers that validate accept the output.
 */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Whether the sequence at @s, @len bytes long, must be written as \xNN under @flags. */
static int must_escape(const unsigned char *s, size_t len, unsigned flags)
{
	if (len == 0)
		return 1;
	if ((flags & MC_CLEAN_PIPE) && s[0] == '|')
		return 1;
	if (!(flags & MC_CLEAN_CONTROLS))
		return 0;
	/* C1 controls (U+0080..U+009F) too: some terminals take U+009B as CSI. */
	return s[0] < 0x20 || s[0] == 0x7f || (s[0] == 0xc2 && s[1] < 0xa0);
}

void mc_buf_clean(struct mc_buf *b, const char *s, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_sequence(p + i, n - i);

		if (must_escape(p + i, len, flags)) {
			/* Byte by byte: an escaped sequence stays readable as its bytes. */
			len = len ? len : 1;
			for (size_t k = 0; k < len; k++)
				mc_buf_printf(b, "\\x%02x", p[i + k]);
		} else {
			mc_buf_add(b, s + i, len);
		}
		i += len;
	}
}

void mc_render_time(char out[MC_TIME_MAX], time_t t, enum mc_time_style style)
{
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&t, &tm))
		n = style == MC_TIME_ISO ? strftime(out, MC_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm)
					 : strftime(out, MC_TIME_MAX, "%Y-%m-%d", &tm);
	if (n == 0)
		snprintf(out, MC_TIME_MAX, "@%lld", (long long)t);
}

void mc_render_duration(char out[MC_DURATION_MAX], long long seconds)
{
	static const struct {
		unsigned long long size;
		const char *name;
	} units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
	unsigned long long s =
	    seconds < 0 ? -(unsigned long long)seconds : (unsigned long long)seconds;
	unsigned long long count;
	size_t i = 0;

	while (i + 1 < sizeof(units) / sizeof(units[0]) && s < units[i].size)
		i++;
	count = s / units[i].size;
	snprintf(out, MC_DURATION_MAX, "%llu %s%s", count, units[i].name, count == 1 ? "" : "s");
}

void mc_render_seconds(char out[MC_SECONDS_MAX], double seconds)
{
	long long ms;

	/* Also false for NaN; a timing is never near these bounds. */
	if (!(seconds > -1e9 && seconds < 1e9))
		seconds = 0;
	ms = (long long)(seconds * 1000.0 + (seconds < 0 ? -0.5 : 0.5));
	snprintf(out, MC_SECONDS_MAX, "%s%lld.%03lld", ms < 0 ? "-" : "", llabs(ms) / 1000,
		 llabs(ms) % 1000);
}

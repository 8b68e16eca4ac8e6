/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers used everywhere, with no dependency beyond libc, so that
 * proto/ can use them without seeing GnuTLS or the library's structures.
 */
#ifndef MAILCERT_UTIL_H
#define MAILCERT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#define MC_PRINTF(f, a) __attribute__((format(printf, f, a)))

#define MC_MSG_MAX 512 /* one finding message, bytes */

/*
 * Writes untrusted bytes as printable text into @dst (NUL-terminated, at
 * most @dstlen bytes): printable ASCII as is, '\\' and '"' escaped, other
 * bytes as \xNN; cut after @maxchars source bytes with "..." appended.
 * Returns the length written.
 */
size_t mc_quote(char *dst, size_t dstlen, const void *src, size_t len, size_t maxchars);

/* snprintf into a fixed buffer, never overflowing, always terminated. */
void mc_set_error(char *err, size_t errlen, const char *fmt, ...) MC_PRINTF(3, 4);

/* Lowercase hex of @len bytes into @dst (2*len+1 bytes). */
void mc_hex(char *dst, const unsigned char *src, size_t len);

/* Room for any output of mc_format_utc(), even for an absurd year. */
#define MC_DATE_MAX 48

/*
 * @t in UTC as messages write it, "2026-11-26 10:00 UTC" (with @seconds
 * "2026-11-26 10:00:05 UTC"); a time gmtime() cannot represent is written
 * as "@<epoch>".
 */
void mc_format_utc(char out[MC_DATE_MAX], time_t t, int seconds);

/* The value of hex digit @c (either case), or -1. */
int mc_hexval(int c);

/* Whether @host is an IPv4 or IPv6 address literal (no brackets). */
int mc_is_ip_literal(const char *host);

/* RFC 3339 date-time ("2027-01-20T12:00:00Z", "…T12:00:00.5+01:00") as Unix time; -1 when not one. */
int mc_rfc3339(const char *s, time_t *out);

char *mc_strdup(const char *s);
char *mc_asprintf(const char *fmt, ...) MC_PRINTF(1, 2);

#endif

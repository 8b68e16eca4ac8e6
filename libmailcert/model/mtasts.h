/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MTA-STS (RFC 8461) and SMTP TLS Reporting (RFC 8460) as text: the TXT
 * records of _mta-sts.<domain> and _smtp._tls.<domain>, the policy body
 * served at https://mta-sts.<domain>/.well-known/mta-sts.txt, and the
 * matching of MX host names against the policy's patterns.
 *
 * Pure parsers: no I/O, no clock, no allocation. Everything they read
 * came from DNS or HTTP, so every input is a byte count, never a C
 * string, and may hold any byte. A reason in @err is one printable line;
 * untrusted text in it is quoted with mc_quote().
 */
#ifndef MAILCERT_MTASTS_H
#define MAILCERT_MTASTS_H

#include <stddef.h>

#define MC_MTASTS_MAX_MX 16          /* mx: lines kept from one policy */
#define MC_MTASTS_MAX_BYTES 65536    /* policy bodies larger are refused by the fetcher */
#define MC_MTASTS_MAX_AGE 31557600LL /* RFC 8461 §3.2: at most a year of seconds */

/*
 * Picks the MTA-STS record among the TXT strings of _mta-sts.<domain>
 * (each element one TXT record, its character-strings already joined;
 * element i is @len[i] bytes at @txt[i]).
 *
 * RFC 8461 §3.1: records not starting with "v=STSv1" (then ";", white
 * space or the end) are ignored; more than one that does is an error;
 * the record is
 *   v=STSv1; id=<1-32 letters and digits>; (other name=value fields allowed)
 * with optional white space around ';' and a trailing ';' allowed.
 *
 * Returns 1 and fills @id (NUL-terminated) when one valid record is found,
 * 0 when none starts with v=STSv1, -1 with a reason in @err when the one
 * record is invalid or there are several. @err may be NULL.
 */
int mc_mtasts_txt(const char *const *txt, const size_t *len, size_t n, char id[33], char *err,
		  size_t errlen);

enum mc_mtasts_mode { MC_MTASTS_NONE, MC_MTASTS_TESTING, MC_MTASTS_ENFORCE };

struct mc_mtasts_policy {
	enum mc_mtasts_mode mode;
	/* Patterns as written, lowercased: "mail.example.com", "*.example.net". */
	char mx[MC_MTASTS_MAX_MX][256];
	size_t mx_len;
	long long max_age; /* seconds, 0 to MC_MTASTS_MAX_AGE */
	/*
	 * The first line that repeats version, mode or max_age, 0 if none.
	 * RFC 8461 §3.2 has senders ignore all but the first, so it is not
	 * an error; a checker may still want to say so.
	 */
	unsigned dup_line;
};

/*
 * Parses a policy body of @len bytes (RFC 8461 §3.2) into @out.
 *
 * Lines "name: value" end in LF or CRLF (the last may lack one); the
 * fields may come in any order; "version: STSv1", "mode" (enforce,
 * testing or none) and "max_age" (1 to 10 digits, at most 31557600) are
 * required, "mx" at least once unless the mode is none and at most
 * MC_MTASTS_MAX_MX times; other fields are extensions and ignored.
 *
 * Returns 0, or -1 with a reason in @err naming the line when there is
 * one ("line 3: mode \"enforcing\" is not enforce, testing or none");
 * after a failure @out is zeroed.
 */
int mc_mtasts_policy_parse(const char *body, size_t len, struct mc_mtasts_policy *out, char *err,
			   size_t errlen);

/*
 * Whether MX host @host (a DNS name, any case, maybe with a trailing dot)
 * matches policy pattern @pattern per RFC 8461 §4.1: the same name, or
 * for "*.example.com" exactly one more label on the left
 * ("mail.example.com" yes, "a.b.example.com" no, "example.com" no).
 * Both are NUL-terminated. Returns 1 or 0.
 */
int mc_mtasts_mx_match(const char *pattern, const char *host);

/*
 * TLS-RPT (RFC 8460 §3): picks the record among the TXT strings of
 * _smtp._tls.<domain> (as for mc_mtasts_txt()): records not starting
 * with "v=TLSRPTv1" (then ";", white space or the end) are ignored;
 * several that do is an error. The record is "v=TLSRPTv1;" then "rua=" a
 * comma-separated list of URIs, each mailto: or https://, with white
 * space allowed around the separators and other name=value fields.
 *
 * Returns 1 and copies the rua URIs, joined by "," without white space
 * ("mailto:a@example.com,https://r.example.com/v1"; NUL-terminated, cut
 * to @rualen - 1 bytes; @rua may be NULL) when valid, 0 when there is none,
 * -1 with a reason in @err when malformed (no rua, an empty rua, a URI
 * that is neither mailto: nor https://, no ";" after the version, a bad
 * field) or when there are several.
 */
int mc_tlsrpt_txt(const char *const *txt, const size_t *len, size_t n, char *rua, size_t rualen,
		  char *err, size_t errlen);

#endif

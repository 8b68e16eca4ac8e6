/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which protocol greeted us in plaintext where a TLS handshake was
 * expected (the 465-vs-587 confusion): the first bytes a server sends
 * identify most mail protocols. Only these bytes are read; nothing of them
 * is trusted beyond the choice of a name.
 */
#include <string.h>
#include <strings.h>

#include "proto.h"

static int starts(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp((const char *)p, prefix, n) == 0;
}

/* Whether @word occurs in the first line, case-insensitively. */
static int first_line_has(const uint8_t *p, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= len && p[i] != '\n'; i++)
		if (strncasecmp((const char *)p + i, word, n) == 0)
			return 1;
	return 0;
}

const char *mc_recognise_plaintext(const uint8_t *p, size_t len, unsigned port)
{
	/* RFC 5321 and RFC 959 both greet with 220; FTP servers name themselves. */
	if (starts(p, len, "220 ") || starts(p, len, "220-")) {
		if (port == 21 || first_line_has(p, len, "FTP"))
			return "ftp";
		if (port == 24 || first_line_has(p, len, "LMTP"))
			return "lmtp";
		return port == 587 ? "submission" : "smtp";
	}
	if (starts(p, len, "* OK") || starts(p, len, "* PREAUTH") || starts(p, len, "* BYE"))
		return "imap";
	if (starts(p, len, "+OK"))
		return "pop3";
	if (starts(p, len, "200 ") || starts(p, len, "201 "))
		return "nntp";
	if (starts(p, len, "\"IMPLEMENTATION\"") || starts(p, len, "\"SIEVE\""))
		return "sieve";
	if (starts(p, len, "<?xml") || starts(p, len, "<stream:"))
		return "xmpp";
	if (starts(p, len, ":") || starts(p, len, "NOTICE ") || starts(p, len, "ERROR "))
		return "irc";
	/* MySQL HandshakeV10: a 3-byte length, sequence 0, protocol version 10. */
	if (len >= 5 && p[2] == 0 && p[3] == 0 && p[4] == 10)
		return "mysql";
	return NULL;
}

int mc_looks_like_tls(const uint8_t *p, size_t len)
{
	/* A record header (RFC 8446 section 5.1): content type 20..23 (an alert
	 * or a handshake, in practice), then legacy version 3.x. */
	return len >= 3 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03 && p[2] <= 0x04;
}

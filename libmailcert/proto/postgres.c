/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PostgreSQL's SSLRequest (PostgreSQL documentation, "Frontend/Backend
 * Protocol", sections 55.2.10 "SSL Session Encryption" and 55.7
 * "Message Formats"): the client speaks first with an 8-byte SSLRequest,
 * the server answers one byte, 'S' (go ahead) or 'N' (no SSL), and nothing
 * else until the client's ClientHello. A server that fails before it reads
 * the request (fork failure, old servers) sends an ErrorResponse instead;
 * that text comes before any authentication, so it is only quoted, and
 * marked so (CVE-2024-10977 is a client that showed it as the server's).
 *
 * Direct TLS (PostgreSQL 17, ALPN "postgresql") is not here: it needs ALPN
 * in the handshake, not a dialogue.
 */
#include <string.h>

#include "dialogue.h"

/* Length 8, then the request code 1234 << 16 | 5679 (80877103), big-endian. */
static const uint8_t ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};

/* An SQLSTATE (section 55.8 'C'): five digits or upper-case letters. */
#define SQLSTATE_LEN 5

struct error_fields {
	const uint8_t *message; /* 'M', or NULL */
	size_t message_len;
	char sqlstate[SQLSTATE_LEN + 1]; /* 'C' when well formed, else "" */
};

static const char *pg_stage(const struct mc_dialogue *d)
{
	(void)d;
	return "reply to SSLRequest";
}

/* The client speaks first (section 55.2.10). */
static enum mc_step pg_start(struct mc_dialogue *d)
{
	return mc_dialogue_send_bytes(d, ssl_request, sizeof(ssl_request));
}

static void note_sqlstate(struct error_fields *f, const uint8_t *v, size_t len)
{
	if (len != SQLSTATE_LEN)
		return;
	for (size_t i = 0; i < len; i++) {
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'Z')))
			return;
	}
	memcpy(f->sqlstate, v, len);
	f->sqlstate[len] = '\0';
}

/*
 * The fields of an ErrorResponse body @p (section 55.7: a type byte, a
 * NUL-terminated string, …, then a 0 type byte). Returns 0, or -1 when
 * they are malformed.
 */
static int parse_fields(struct error_fields *f, const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] != 0) {
		uint8_t type = p[i++];
		const uint8_t *end = memchr(p + i, 0, len - i);
		size_t n;

		if (!end)
			return -1;
		n = (size_t)(end - (p + i));
		if (type == 'M') {
			f->message = p + i;
			f->message_len = n;
		} else if (type == 'C') {
			note_sqlstate(f, p + i, n);
		}
		i += n + 1;
	}
	/* The terminator ends the message exactly. */
	return i + 1 == len ? 0 : -1;
}

static enum mc_step error_reply(struct mc_dialogue *d, const struct error_fields *f)
{
	const char *open = f->sqlstate[0] ? " (SQLSTATE " : "", *close = f->sqlstate[0] ? ")" : "";

	if (!f->message)
		return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					"the server answered SSLRequest with an error%s%s%s and no "
					"text instead of 'S' or 'N'",
					open, f->sqlstate, close);
	return mc_dialogue_fail(d, "protocol.unexpected", f->message, f->message_len,
				"the server answered SSLRequest with an error%s%s%s instead of 'S' "
				"or 'N'; sent before any authentication, its text may be forged",
				open, f->sqlstate, close);
}

/*
 * 'E': a protocol 3 ErrorResponse ('E', Int32 length, fields), or a
 * protocol 2 error ('E', text, NUL), which the postmaster still sends when
 * it cannot fork. The byte after 'E' tells them apart: the first byte of
 * any length allowed here is 0, text starts with a letter (libpq instead
 * takes a length it cannot believe for text). Returns the bytes used, 0
 * while incomplete.
 */
static size_t error_bytes(struct mc_dialogue *d, const uint8_t *p, size_t len, enum mc_step *step)
{
	struct error_fields f = {0};
	const uint8_t *nul;
	uint32_t n;

	if (len >= 2 && p[1] != 0) {
		nul = memchr(p + 1, 0, len - 1);
		if (!nul)
			return 0;
		f.message = p + 1;
		f.message_len = (size_t)(nul - f.message);
		while (f.message_len > 0 && (f.message[f.message_len - 1] == '\n' ||
					     f.message[f.message_len - 1] == '\r'))
			f.message_len--;
		*step = error_reply(d, &f);
		return (size_t)(nul - p) + 1;
	}
	if (len < 5)
		return 0;
	n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (n < 5 || n > MC_PENDING_MAX - 1) {
		*step =
		    mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
				     "the server's error reply to SSLRequest announces %u bytes "
				     "(5 to %d are possible)",
				     n, MC_PENDING_MAX - 1);
		return len;
	}
	if (len < 1 + (size_t)n)
		return 0;
	if (parse_fields(&f, p + 5, n - 4) < 0)
		*step = mc_dialogue_fail(d, "protocol.unexpected", p, 1 + (size_t)n,
					 "the server's error reply to SSLRequest is malformed");
	else
		*step = error_reply(d, &f);
	return 1 + (size_t)n;
}

static size_t pg_bytes(struct mc_dialogue *d, const uint8_t *p, size_t len, enum mc_step *step)
{
	switch (p[0]) {
	case 'S':
		/* Exactly one byte: dialogue.c fails on anything after it. */
		*step = MC_STEP_TLS;
		return 1;
	case 'N':
		*step =
		    mc_dialogue_fail(d, "starttls.refused", NULL, 0,
				     "the server answered SSLRequest with 'N': it does not accept "
				     "SSL connections (ssl=off)");
		return 1;
	case 'E':
		return error_bytes(d, p, len, step);
	default:
		*step =
		    mc_dialogue_fail(d, "protocol.unexpected", p, 1,
				     "the server answered SSLRequest with byte 0x%02x, not 'S', "
				     "'N' or 'E'",
				     p[0]);
		return 1;
	}
}

const struct mc_proto_ops mc_postgres_ops = {
	.go_ahead = "'S' go-ahead",
	.start = pg_start,
	.bytes = pg_bytes,
	.stage = pg_stage,
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POP3 STLS (RFC 2595 section 4): greeting "+OK", CAPA (RFC 2449 section
 * 5), STLS, and "+OK" as the go-ahead.
 *
 * A server without CAPA (RFC 1939 only) cannot advertise STLS. Sending it
 * unadvertised is what a downgrade attack would make a client do, so it is
 * done only when asked (mc_dialogue_params.unadvertised).
 */
#include <string.h>

#include "dialogue.h"

enum pop3_stage {
	POP3_GREETING,
	POP3_CAPA,
	POP3_STLS,
};

struct pop3 {
	enum pop3_stage stage;
	int listing;                    /* CAPA said +OK: capability lines up to "." */
	unsigned lines;                 /* capability lines so far */
	int stls;                       /* advertised */
	uint8_t caps[MC_QUOTE_MAX + 1]; /* as advertised, quoted when STLS is not */
	size_t caps_len;
};

enum pop3_status {
	POP3_OK,
	POP3_ERR,
	POP3_OTHER,
};

static const char *pop3_stage(const struct mc_dialogue *d)
{
	const struct pop3 *s = d->state;

	switch (s->stage) {
	case POP3_GREETING:
		return "greeting";
	case POP3_CAPA:
		return "reply to CAPA";
	case POP3_STLS:
		break;
	}
	return "reply to STLS";
}

/* RFC 1939 section 4: the client waits for the greeting before it speaks. */
static enum mc_step pop3_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_READ;
}

/* The length of the first space-separated word of @line. */
static size_t word_len(const uint8_t *line, size_t len)
{
	const uint8_t *sp = memchr(line, ' ', len);

	return sp ? (size_t)(sp - line) : len;
}

/* RFC 1939 section 3: "+OK" or "-ERR", then a space and text, or nothing. */
static enum pop3_status status(const uint8_t *line, size_t len)
{
	size_t n = word_len(line, len);

	if (mc_word_eq(line, n, "+OK"))
		return POP3_OK;
	if (mc_word_eq(line, n, "-ERR"))
		return POP3_ERR;
	return POP3_OTHER;
}

/* RFC 2449 section 6: a capability line is a tag, then parameters; tags are case-insensitive. */
static void note_capability(struct pop3 *s, const uint8_t *line, size_t len)
{
	size_t n = word_len(line, len), room = sizeof(s->caps) - s->caps_len;

	if (n == 0)
		return;
	if (mc_word_eq(line, n, "STLS"))
		s->stls = 1;
	if (s->caps_len > 0 && room > 0) {
		s->caps[s->caps_len++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(s->caps + s->caps_len, line, n);
	s->caps_len += n;
}

static enum mc_step send_stls(struct mc_dialogue *d, struct pop3 *s)
{
	s->stage = POP3_STLS;
	return mc_dialogue_send(d, "STLS\r\n");
}

static enum mc_step greeting(struct mc_dialogue *d, struct pop3 *s, const uint8_t *line, size_t len)
{
	switch (status(line, len)) {
	case POP3_OK:
		break;
	case POP3_ERR:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's greeting was -ERR");
	case POP3_OTHER:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's greeting was not +OK");
	}
	s->stage = POP3_CAPA;
	return mc_dialogue_send(d, "CAPA\r\n");
}

/* The status line of the reply to CAPA. */
static enum mc_step capa_status(struct mc_dialogue *d, struct pop3 *s, const uint8_t *line,
				size_t len)
{
	switch (status(line, len)) {
	case POP3_OK:
		s->listing = 1;
		return MC_STEP_READ;
	case POP3_ERR:
		break;
	case POP3_OTHER:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's reply to CAPA was neither +OK nor -ERR");
	}
	if (d->unadvertised)
		return send_stls(d, s);
	return mc_dialogue_fail(d, "starttls.not-offered", line, len,
				"the server does not support CAPA (RFC 2449), so it cannot "
				"advertise STLS; --force-starttls sends STLS anyway");
}

/* One line of the capability list, up to the "." that ends it (RFC 1939 section 3). */
static enum mc_step capa_line(struct mc_dialogue *d, struct pop3 *s, const uint8_t *line,
			      size_t len)
{
	if (len == 1 && line[0] == '.') {
		if (!s->stls)
			return mc_dialogue_fail(d, "starttls.not-offered", s->caps, s->caps_len,
						"the server did not advertise STLS in its reply "
						"to CAPA; its capabilities");
		return send_stls(d, s);
	}
	if (++s->lines > MC_REPLY_LINES_MAX)
		return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					"the server's reply to CAPA has more than %d lines",
					MC_REPLY_LINES_MAX);
	/* Dot-stuffing: a line that starts with "." came with one more. */
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	note_capability(s, line, len);
	return MC_STEP_READ;
}

static enum mc_step pop3_line(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	struct pop3 *s = d->state;

	switch (s->stage) {
	case POP3_GREETING:
		return greeting(d, s, line, len);
	case POP3_CAPA:
		return s->listing ? capa_line(d, s, line, len) : capa_status(d, s, line, len);
	case POP3_STLS:
		break;
	}
	/* RFC 2595 section 4: +OK is the go-ahead, -ERR a refusal. */
	switch (status(line, len)) {
	case POP3_OK:
		return MC_STEP_TLS;
	case POP3_ERR:
		return mc_dialogue_fail(d, "starttls.refused", line, len,
					"the server refused STLS");
	case POP3_OTHER:
		break;
	}
	return mc_dialogue_fail(d, "protocol.unexpected", line, len,
				"the server's reply to STLS was neither +OK nor -ERR");
}

const struct mc_proto_ops mc_pop3_ops = {
    .state_size = sizeof(struct pop3),
    .go_ahead = "+OK go-ahead",
    .start = pop3_start,
    .line = pop3_line,
    .stage = pop3_stage,
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SMTP STARTTLS (RFC 3207) after EHLO (RFC 5321), and LMTP, which says
 * LHLO instead (RFC 2033 section 4.1): greeting, hello, STARTTLS, go-ahead.
 */
#include <string.h>

#include "dialogue.h"

_Static_assert(sizeof("LHLO \r\n") - 1 + MC_HELO_MAX <= MC_COMMAND_MAX, "a hello must fit");

enum smtp_stage {
	SMTP_GREETING,
	SMTP_HELLO,
	SMTP_STARTTLS,
};

struct smtp {
	enum smtp_stage stage;
	int starttls;                       /* advertised in the hello reply */
	struct mc_reply reply;              /* the one being read */
	uint8_t keywords[MC_QUOTE_MAX + 1]; /* as advertised, quoted when STARTTLS is not */
	size_t keywords_len;
};

static const char *hello(const struct mc_dialogue *d)
{
	return d->proto == MAILCERT_PROTO_LMTP ? "LHLO" : "EHLO";
}

static const char *smtp_stage(const struct mc_dialogue *d)
{
	const struct smtp *s = d->state;

	switch (s->stage) {
	case SMTP_GREETING:
		return "greeting";
	case SMTP_HELLO:
		return d->proto == MAILCERT_PROTO_LMTP ? "reply to LHLO" : "reply to EHLO";
	case SMTP_STARTTLS:
		break;
	}
	return "reply to STARTTLS";
}

/* RFC 5321 section 3.1: the client waits for the greeting before it speaks. */
static enum mc_step smtp_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_READ;
}

/*
 * RFC 5321 section 4.1.1.1: every hello reply line after the first is
 * "keyword *(SP param)", keywords case-insensitive and matched whole. Old
 * servers still write "AUTH=LOGIN", so '=' ends a keyword too.
 */
static void note_keyword(struct smtp *s, const struct mc_bytes *text)
{
	size_t n = 0, room;

	while (n < text->len && text->p[n] != ' ' && text->p[n] != '=')
		n++;
	if (n == 0)
		return;
	if (mc_word_eq(text->p, n, "STARTTLS"))
		s->starttls = 1;
	room = sizeof(s->keywords) - s->keywords_len;
	if (s->keywords_len > 0 && room > 0) {
		s->keywords[s->keywords_len++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(s->keywords + s->keywords_len, text->p, n);
	s->keywords_len += n;
}

static enum mc_step greeted(struct mc_dialogue *d, struct smtp *s)
{
	/* RFC 5321 section 4.3.1: 554 (or anything but 220) means no service. */
	if (s->reply.code != 220)
		return mc_dialogue_fail(d, "protocol.unexpected", s->reply.first,
					s->reply.first_len, "the server's greeting was not 220");
	s->stage = SMTP_HELLO;
	return mc_dialogue_send(d, "%s %s\r\n", hello(d), d->helo);
}

static enum mc_step helloed(struct mc_dialogue *d, struct smtp *s)
{
	/* No HELO fallback: STARTTLS exists only as an EHLO extension (RFC 3207 section 4). */
	if (s->reply.code != 250)
		return mc_dialogue_fail(d, "protocol.unexpected", s->reply.first,
					s->reply.first_len, "the server refused %s", hello(d));
	if (!s->starttls)
		return mc_dialogue_fail(d, "starttls.not-offered", s->keywords, s->keywords_len,
					"the server did not advertise STARTTLS in its %s; its "
					"keywords",
					smtp_stage(d));
	s->stage = SMTP_STARTTLS;
	return mc_dialogue_send(d, "STARTTLS\r\n");
}

static enum mc_step smtp_line(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	struct smtp *s = d->state;
	struct mc_reply_line rl;
	enum mc_reply_rc rc = mc_reply_add(&s->reply, &rl, line, len);

	if (rc != MC_REPLY_MORE && rc != MC_REPLY_DONE)
		return mc_dialogue_fail_reply(d, rc, &s->reply, line, len);
	if (s->stage == SMTP_HELLO && s->reply.lines > 1)
		note_keyword(s, &rl.text);
	if (rc == MC_REPLY_MORE)
		return MC_STEP_READ;
	switch (s->stage) {
	case SMTP_GREETING:
		return greeted(d, s);
	case SMTP_HELLO:
		return helloed(d, s);
	case SMTP_STARTTLS:
		break;
	}
	/* RFC 3207 section 4: 220 is the go-ahead; 454, 501 or anything else is a no. */
	if (s->reply.code != 220)
		return mc_dialogue_fail(d, "starttls.refused", s->reply.first, s->reply.first_len,
					"the server refused STARTTLS");
	return MC_STEP_TLS;
}

const struct mc_proto_ops mc_smtp_ops = {
	.state_size = sizeof(struct smtp),
	.needs_helo = 1,
	.go_ahead = "220 go-ahead",
	.start = smtp_start,
	.line = smtp_line,
	.stage = smtp_stage,
};

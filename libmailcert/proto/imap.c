/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IMAP STARTTLS (RFC 3501 section 6.2.1, RFC 9051 section 6.2.1, RFC 2595):
 * greeting "* OK", capabilities (from the greeting's [CAPABILITY ...]
 * response code, else from "a001 CAPABILITY"), "a002 STARTTLS", and the
 * tagged "a002 OK" as the go-ahead.
 *
 * A "* PREAUTH" greeting means the session is already authenticated in
 * plaintext: STARTTLS is not allowed there, and a client that goes on
 * talks unencrypted (the "NO STARTTLS" paper, USENIX Security 2021), so it
 * ends the check with starttls.preauth.
 *
 * IMAP literals ("{n}" at the end of a line, RFC 3501 section 4.3) have no
 * place in the responses read here; a line ending with one fails, rather
 * than have the literal's bytes read as lines.
 */
#include <string.h>

#include "dialogue.h"

#define IMAP_SKIP_MAX 64 /* untagged lines skipped before a tagged reply */

enum imap_stage {
	IMAP_GREETING,
	IMAP_CAPABILITY,
	IMAP_STARTTLS,
};

struct imap {
	enum imap_stage stage;
	int starttls;                   /* advertised */
	unsigned skipped;               /* untagged lines skipped so far */
	uint8_t caps[MC_QUOTE_MAX + 1]; /* as advertised, quoted when STARTTLS is not */
	size_t caps_len;
};

static const char *imap_stage(const struct mc_dialogue *d)
{
	const struct imap *s = d->state;

	switch (s->stage) {
	case IMAP_GREETING:
		return "greeting";
	case IMAP_CAPABILITY:
		return "reply to CAPABILITY";
	case IMAP_STARTTLS:
		break;
	}
	return "reply to STARTTLS";
}

/* RFC 3501 section 7.1: the client waits for the greeting before it speaks. */
static enum mc_step imap_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_READ;
}

/* Whether @line ends with a literal's announcement, "{123}" or "{123+}" (RFC 7888). */
static int ends_with_literal(const uint8_t *line, size_t len)
{
	size_t i;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	i = len - 1;
	if (line[i - 1] == '+')
		i--;
	if (i == 0 || line[i - 1] < '0' || line[i - 1] > '9')
		return 0;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	return i > 0 && line[i - 1] == '{';
}

/* Notes the capability atoms of @line from *@i up to @end. */
static void note_caps(struct imap *s, const uint8_t *line, size_t end, size_t *i)
{
	for (;;) {
		struct mc_bytes t = mc_token(line, end, i);
		size_t room = sizeof(s->caps) - s->caps_len, n = t.len;

		if (t.len == 0)
			return;
		/* RFC 3501 section 9: atoms are case-insensitive. */
		if (mc_word_eq(t.p, t.len, "STARTTLS"))
			s->starttls = 1;
		if (s->caps_len > 0 && room > 0) {
			s->caps[s->caps_len++] = ' ';
			room--;
		}
		if (n > room)
			n = room;
		memcpy(s->caps + s->caps_len, t.p, n);
		s->caps_len += n;
	}
}

static enum mc_step send_starttls(struct mc_dialogue *d, struct imap *s)
{
	/* RFC 3501 section 6.2.1: STARTTLS only if the server lists it. */
	if (!s->starttls)
		return mc_dialogue_fail(d, "starttls.not-offered", s->caps, s->caps_len,
					"the server did not advertise STARTTLS in its %s; its "
					"capabilities",
					imap_stage(d));
	s->stage = IMAP_STARTTLS;
	return mc_dialogue_send(d, "a002 STARTTLS\r\n");
}

static enum mc_step malformed(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	return mc_dialogue_fail(d, "protocol.unexpected", line, len,
				"the server's %s has a malformed line", imap_stage(d));
}

/*
 * "* OK [CAPABILITY IMAP4rev1 STARTTLS ...] ready" (RFC 3501 section 7.1):
 * the greeting's response code spares the CAPABILITY command.
 */
static enum mc_step greeted(struct mc_dialogue *d, struct imap *s, const uint8_t *line, size_t len,
			    size_t i)
{
	const uint8_t *close;
	size_t end;
	struct mc_bytes code;

	while (i < len && line[i] == ' ')
		i++;
	if (i < len && line[i] == '[') {
		/* resp-text-code holds no ']' before its own (atoms exclude it). */
		close = memchr(line + i, ']', len - i);
		if (!close)
			return malformed(d, line, len);
		end = (size_t)(close - line);
		i++;
		code = mc_token(line, end, &i);
		if (mc_word_eq(code.p, code.len, "CAPABILITY")) {
			note_caps(s, line, end, &i);
			return send_starttls(d, s);
		}
	}
	s->stage = IMAP_CAPABILITY;
	return mc_dialogue_send(d, "a001 CAPABILITY\r\n");
}

static enum mc_step greeting(struct mc_dialogue *d, struct imap *s, const uint8_t *line, size_t len)
{
	size_t i = 0;
	struct mc_bytes star = mc_token(line, len, &i), cond = mc_token(line, len, &i);

	if (star.len == 1 && star.p[0] == '*') {
		if (mc_word_eq(cond.p, cond.len, "OK"))
			return greeted(d, s, line, len, i);
		if (mc_word_eq(cond.p, cond.len, "PREAUTH"))
			return mc_dialogue_fail(
			    d, "starttls.preauth", line, len,
			    "the server greeted with PREAUTH: the session is already "
			    "authenticated in plaintext, where STARTTLS is not allowed "
			    "(RFC 3501 section 6.2.1)");
		if (mc_word_eq(cond.p, cond.len, "BYE"))
			return mc_dialogue_fail(d, "protocol.unexpected", line, len,
						"the server said BYE in its greeting");
	}
	return mc_dialogue_fail(d, "protocol.unexpected", line, len,
				"the server's greeting was not \"* OK\"");
}

/* An untagged line before the tagged reply. */
static enum mc_step untagged(struct mc_dialogue *d, struct imap *s, const uint8_t *line, size_t len,
			     size_t i)
{
	struct mc_bytes what = mc_token(line, len, &i);

	if (mc_word_eq(what.p, what.len, "BYE"))
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server said BYE in its %s", imap_stage(d));
	if (s->stage == IMAP_CAPABILITY && mc_word_eq(what.p, what.len, "CAPABILITY")) {
		note_caps(s, line, len, &i);
		return MC_STEP_READ;
	}
	/* EXISTS, FLAGS, an OK with an [ALERT], …: nothing for STARTTLS. */
	if (++s->skipped > IMAP_SKIP_MAX)
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"no tagged %s after %u untagged lines", imap_stage(d),
					IMAP_SKIP_MAX);
	return MC_STEP_READ;
}

/* A tagged reply: "a001 OK ...", "a002 NO ...", "a002 BAD ..." (RFC 3501 section 7.1). */
static enum mc_step tagged(struct mc_dialogue *d, struct imap *s, const uint8_t *line, size_t len,
			   const struct mc_bytes *tag, size_t i)
{
	const char *want = s->stage == IMAP_CAPABILITY ? "a001" : "a002";
	struct mc_bytes cond = mc_token(line, len, &i);
	int ok = mc_word_eq(cond.p, cond.len, "OK");

	/* Tags are compared exactly: RFC 3501 section 2.2.1 lets the client choose them. */
	if (tag->len != 4 || memcmp(tag->p, want, 4) != 0)
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's %s carries a tag other than %s",
					imap_stage(d), want);
	if (!ok && !mc_word_eq(cond.p, cond.len, "NO") && !mc_word_eq(cond.p, cond.len, "BAD"))
		return malformed(d, line, len);
	if (s->stage == IMAP_CAPABILITY) {
		if (!ok)
			return mc_dialogue_fail(d, "protocol.unexpected", line, len,
						"the server refused CAPABILITY");
		return send_starttls(d, s);
	}
	if (!ok)
		return mc_dialogue_fail(d, "starttls.refused", line, len,
					"the server refused STARTTLS");
	return MC_STEP_TLS;
}

static enum mc_step imap_line(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	struct imap *s = d->state;
	size_t i = 0;
	struct mc_bytes first;

	if (ends_with_literal(line, len))
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's %s ends with an IMAP literal, which is "
					"not read before TLS",
					imap_stage(d));
	if (s->stage == IMAP_GREETING)
		return greeting(d, s, line, len);
	first = mc_token(line, len, &i);
	if (first.len == 0)
		return malformed(d, line, len);
	if (first.len == 1 && first.p[0] == '*')
		return untagged(d, s, line, len, i);
	/* A continuation request: no command sent here asks for one. */
	if (first.p[0] == '+')
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's %s is a continuation request", imap_stage(d));
	return tagged(d, s, line, len, &first, i);
}

const struct mc_proto_ops mc_imap_ops = {
    .state_size = sizeof(struct imap),
    .go_ahead = "a002 OK go-ahead",
    .start = imap_start,
    .line = imap_line,
    .stage = imap_stage,
};

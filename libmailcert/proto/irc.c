/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IRC STARTTLS, the IRCv3 "tls" extension (ircv3.net/specs/deprecated/tls):
 * the client sends STARTTLS at once (IRC has no greeting to await), and
 * numeric 670 RPL_STARTTLS is the go-ahead; 691 ERR_STARTTLS, 421
 * ERR_UNKNOWNCOMMAND and 451 ERR_NOTREGISTERED are refusals.
 *
 * Servers send NOTICE lines (":irc.example NOTICE * :*** Looking up your
 * hostname...") and may send PING before the reply; those are skipped, up to
 * IRC_SKIP_MAX lines. A PING is not answered: STARTTLS has been sent and
 * rule 3 forbids sending anything before its reply.
 */
#include <string.h>

#include "dialogue.h"

#define IRC_SKIP_MAX 64 /* lines before the reply to STARTTLS */

struct irc {
	unsigned skipped;
};

static const char *irc_stage(const struct mc_dialogue *d)
{
	(void)d;
	return "reply to STARTTLS";
}

static enum mc_step irc_start(struct mc_dialogue *d)
{
	return mc_dialogue_send(d, "STARTTLS\r\n");
}

static int is_numeric(const struct mc_bytes *t, const char *num)
{
	return t->len == 3 && memcmp(t->p, num, 3) == 0;
}

static enum mc_step irc_line(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	struct irc *s = d->state;
	size_t i = 0;
	struct mc_bytes cmd;

	/* RFC 1459 section 2.3.1: an optional ":prefix", then the command. */
	if (len > 0 && line[0] == ':')
		(void)mc_token(line, len, &i);
	cmd = mc_token(line, len, &i);
	if (is_numeric(&cmd, "670"))
		return MC_STEP_TLS;
	if (is_numeric(&cmd, "691") || is_numeric(&cmd, "421") || is_numeric(&cmd, "451"))
		return mc_dialogue_fail(d, "starttls.refused", line, len,
					"the server refused STARTTLS");
	if (mc_word_eq(cmd.p, cmd.len, "ERROR"))
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server closed the link");
	if (++s->skipped > IRC_SKIP_MAX)
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"no reply to STARTTLS after %u lines", IRC_SKIP_MAX);
	return MC_STEP_READ;
}

const struct mc_proto_ops mc_irc_ops = {
	.state_size = sizeof(struct irc),
	.go_ahead = "670 go-ahead",
	.start = irc_start,
	.line = irc_line,
	.stage = irc_stage,
	/* IRC has no greeting to await, and an old server ignores an unknown
	 * command before registration instead of answering 421. */
	.silence = "the server ignores STARTTLS, so it does not support it",
};

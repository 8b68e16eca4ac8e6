/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NNTP STARTTLS (RFC 4642) on RFC 3977: greeting 200 or 201, CAPABILITIES
 * and its 101 list, STARTTLS, go-ahead 382.
 *
 * NNTP replies are one status line; only the capability list is a
 * multi-line data block, ended by a line "." and dot-stuffed (RFC 3977
 * section 3.1.1). Its lines are bounded in number like any reply.
 */
#include <string.h>

#include "dialogue.h"

#define NNTP_CAPS_MAX MC_REPLY_LINES_MAX /* lines of the capability list */

enum nntp_stage {
	NNTP_GREETING,
	NNTP_CAPABILITIES, /* the status line answering CAPABILITIES */
	NNTP_LIST,         /* the capability list after 101 */
	NNTP_STARTTLS,
};

struct nntp {
	enum nntp_stage stage;
	int starttls;                     /* advertised in the capability list */
	unsigned caps;                    /* capability lines so far */
	uint8_t labels[MC_QUOTE_MAX + 1]; /* as advertised, quoted when STARTTLS is not */
	size_t labels_len;
};

static const char *nntp_stage(const struct mc_dialogue *d)
{
	const struct nntp *s = d->state;

	switch (s->stage) {
	case NNTP_GREETING:
		return "greeting";
	case NNTP_CAPABILITIES:
		return "reply to CAPABILITIES";
	case NNTP_LIST:
		return "capability list";
	case NNTP_STARTTLS:
		break;
	}
	return "reply to STARTTLS";
}

/* RFC 3977 section 5.1: the client waits for the greeting before it speaks. */
static enum mc_step nntp_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_READ;
}

/*
 * RFC 3977 section 3.2: a status line is three digits, then nothing or a
 * space and arguments. "ddd-", which mc_reply_line_parse() accepts for
 * SMTP and FTP, is no NNTP status line.
 */
static int status_parse(struct mc_reply_line *rl, const uint8_t *line, size_t len)
{
	return mc_reply_line_parse(rl, line, len) == 0 && !rl->more ? 0 : -1;
}

static enum mc_step greeted(struct mc_dialogue *d, const struct mc_reply_line *rl,
			    const uint8_t *line, size_t len)
{
	struct nntp *s = d->state;

	/* RFC 3977 section 5.1.1: 200 posting allowed, 201 not; 400 and 502 are no service. */
	switch (rl->code) {
	case 200:
	case 201:
		break;
	case 400:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server is temporarily unavailable (greeting 400)");
	case 502:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server refuses service to this client (greeting 502)");
	default:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's greeting was not 200 or 201");
	}
	s->stage = NNTP_CAPABILITIES;
	return mc_dialogue_send(d, "CAPABILITIES\r\n");
}

/*
 * RFC 3977 section 3.3.2: a capability line is a label, then arguments
 * after spaces or tabs; labels are case-insensitive and matched whole.
 */
static void note_label(struct nntp *s, const uint8_t *line, size_t len)
{
	size_t n = 0, room;

	while (n < len && line[n] != ' ' && line[n] != '\t')
		n++;
	if (n == 0)
		return;
	if (mc_word_eq(line, n, "STARTTLS"))
		s->starttls = 1;
	room = sizeof(s->labels) - s->labels_len;
	if (s->labels_len > 0 && room > 0) {
		s->labels[s->labels_len++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(s->labels + s->labels_len, line, n);
	s->labels_len += n;
}

static enum mc_step listed(struct mc_dialogue *d, struct nntp *s)
{
	if (!s->starttls && s->labels_len == 0)
		return mc_dialogue_fail(d, "starttls.not-offered", NULL, 0,
					"the server did not advertise STARTTLS: its capability "
					"list is empty");
	if (!s->starttls)
		return mc_dialogue_fail(d, "starttls.not-offered", s->labels, s->labels_len,
					"the server did not advertise STARTTLS in its capability "
					"list; its capabilities");
	s->stage = NNTP_STARTTLS;
	return mc_dialogue_send(d, "STARTTLS\r\n");
}

static enum mc_step list_line(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	struct nntp *s = d->state;

	if (len == 1 && line[0] == '.')
		return listed(d, s);
	if (++s->caps > NNTP_CAPS_MAX)
		return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					"the server's capability list has more than %d lines",
					NNTP_CAPS_MAX);
	/* Dot-stuffing: a line that starts with "." was sent with one more. */
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	note_label(s, line, len);
	return MC_STEP_READ;
}

static enum mc_step nntp_line(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	struct nntp *s = d->state;
	struct mc_reply_line rl;

	if (s->stage == NNTP_LIST)
		return list_line(d, line, len);
	if (status_parse(&rl, line, len) < 0)
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's %s is not a status line", nntp_stage(d));
	switch (s->stage) {
	case NNTP_GREETING:
		return greeted(d, &rl, line, len);
	case NNTP_CAPABILITIES:
		/* RFC 3977 section 5.2: 101 and a list; anything else (500 for a
		 * server older than RFC 3977, 480 authentication first) lists
		 * nothing, so STARTTLS is not offered. */
		if (rl.code != 101)
			return mc_dialogue_fail(d, "starttls.not-offered", line, len,
						"the server lists no capabilities (CAPABILITIES "
						"answered %03u), so no STARTTLS",
						rl.code);
		s->stage = NNTP_LIST;
		return MC_STEP_READ;
	case NNTP_LIST:
	case NNTP_STARTTLS:
		break;
	}
	/* RFC 4642 section 2.2.1: 382 is the go-ahead; 502 (not possible now)
	 * and 580 (TLS temporarily unavailable) or anything else is a no. */
	if (rl.code != 382)
		return mc_dialogue_fail(d, "starttls.refused", line, len,
					"the server refused STARTTLS");
	return MC_STEP_TLS;
}

const struct mc_proto_ops mc_nntp_ops = {
    .state_size = sizeof(struct nntp),
    .go_ahead = "382 go-ahead",
    .start = nntp_start,
    .line = nntp_line,
    .stage = nntp_stage,
};

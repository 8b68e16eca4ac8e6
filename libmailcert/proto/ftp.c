/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FTP AUTH TLS (RFC 4217) after FEAT (RFC 2389): greeting, FEAT, AUTH TLS,
 * and 234 as the go-ahead. Replies are RFC 959's, whose multi-line form
 * lets inner lines be free text (mc_reply_add_ftp()).
 */
#include <string.h>

#include "dialogue.h"

enum ftp_stage {
	FTP_GREETING,
	FTP_FEAT,
	FTP_AUTH,
};

struct ftp {
	enum ftp_stage stage;
	int auth_tls;                       /* FEAT listed AUTH TLS */
	int feat_refused;                   /* FEAT got 5xx: AUTH TLS is sent unadvertised */
	struct mc_reply reply;              /* the one being read */
	uint8_t features[MC_QUOTE_MAX + 1]; /* as listed, quoted when AUTH TLS is not */
	size_t features_len;
};

static const char *ftp_stage(const struct mc_dialogue *d)
{
	const struct ftp *s = d->state;

	switch (s->stage) {
	case FTP_GREETING:
		return "greeting";
	case FTP_FEAT:
		return "reply to FEAT";
	case FTP_AUTH:
		break;
	}
	return "reply to AUTH TLS";
}

/* RFC 959 section 5.4: the server speaks first. */
static enum mc_step ftp_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_READ;
}

static int is_separator(uint8_t c)
{
	return c == ' ' || c == ';' || c == ',';
}

/* Whether the AUTH parameters @p list TLS ("TLS", "SSL TLS", "TLS;TLS-C;SSL"). */
static int lists_tls(const uint8_t *p, size_t len)
{
	size_t i = 0, start;

	while (i < len) {
		while (i < len && is_separator(p[i]))
			i++;
		start = i;
		while (i < len && !is_separator(p[i]))
			i++;
		if (i > start && mc_word_eq(p + start, i - start, "TLS"))
			return 1;
	}
	return 0;
}

/*
 * RFC 2389 section 3.2: each feature line is a space, the feature name
 * (case-insensitive), then its parameters. RFC 4217 section 6 advertises
 * "AUTH TLS"; servers that know several mechanisms list them on one line.
 * The names are kept for the not-offered message, AUTH with its list.
 */
static void note_feature(struct ftp *s, const struct mc_bytes *text)
{
	const uint8_t *p = text->p;
	size_t len = text->len, n = 0, room;

	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	while (n < len && p[n] != ' ')
		n++;
	if (n == 0)
		return;
	if (mc_word_eq(p, n, "AUTH")) {
		if (lists_tls(p + n, len - n))
			s->auth_tls = 1;
		n = len;
	}
	room = sizeof(s->features) - s->features_len;
	if (s->features_len > 0 && room > 0) {
		s->features[s->features_len++] = ',';
		room--;
		if (room > 0) {
			s->features[s->features_len++] = ' ';
			room--;
		}
	}
	if (n > room)
		n = room;
	memcpy(s->features + s->features_len, p, n);
	s->features_len += n;
}

static enum mc_step greeted(struct mc_dialogue *d, struct ftp *s)
{
	/* RFC 959 section 5.4: 120 ("ready in nnn minutes") comes before the 220. */
	if (s->reply.code == 120)
		return MC_STEP_READ;
	/* 421 or anything but 220: no service. */
	if (s->reply.code != 220)
		return mc_dialogue_fail(d, "protocol.unexpected", s->reply.first,
					s->reply.first_len, "the server's greeting was not 220");
	s->stage = FTP_FEAT;
	return mc_dialogue_send(d, "FEAT\r\n");
}

static enum mc_step featured(struct mc_dialogue *d, struct ftp *s)
{
	if (s->reply.code / 100 == 5) {
		/*
		 * A server older than RFC 2389 answers FEAT with 500 or 502 and
		 * so cannot advertise anything. Sending AUTH TLS to it is no
		 * downgrade: it is the command that asks for TLS, the 234 go-ahead
		 * is still required, and any other answer ends the check. A man
		 * in the middle who fakes the 5xx gains nothing he could not get
		 * by faking a refusal of AUTH TLS.
		 */
		s->feat_refused = 1;
	} else if (s->reply.code != 211) {
		return mc_dialogue_fail(d, "protocol.unexpected", s->reply.first,
					s->reply.first_len,
					"the server's reply to FEAT was not 211");
	} else if (!s->auth_tls && s->features_len == 0) {
		return mc_dialogue_fail(d, "starttls.not-offered", s->reply.first,
					s->reply.first_len,
					"the server listed no features in its reply to FEAT, so "
					"not AUTH TLS");
	} else if (!s->auth_tls) {
		return mc_dialogue_fail(d, "starttls.not-offered", s->features, s->features_len,
					"the server did not advertise AUTH TLS in its reply to "
					"FEAT; its features");
	}
	s->stage = FTP_AUTH;
	return mc_dialogue_send(d, "AUTH TLS\r\n");
}

static enum mc_step ftp_line(struct mc_dialogue *d, const uint8_t *line, size_t len)
{
	struct ftp *s = d->state;
	struct mc_reply_line rl;
	enum mc_reply_rc rc = mc_reply_add_ftp(&s->reply, &rl, line, len);

	if (rc != MC_REPLY_MORE && rc != MC_REPLY_DONE)
		return mc_dialogue_fail_reply(d, rc, &s->reply, line, len);
	/* The first and the last line of the FEAT reply frame the features. */
	if (s->stage == FTP_FEAT && s->reply.lines > 1 && rc == MC_REPLY_MORE)
		note_feature(s, &rl.text);
	if (rc == MC_REPLY_MORE)
		return MC_STEP_READ;
	switch (s->stage) {
	case FTP_GREETING:
		return greeted(d, s);
	case FTP_FEAT:
		return featured(d, s);
	case FTP_AUTH:
		break;
	}
	/* RFC 4217 section 4: 234 is the go-ahead; 334 asks for ADAT, which TLS
	 * does not use; 431, 500, 502, 504, 530, 534 are refusals. */
	if (s->reply.code != 234)
		return mc_dialogue_fail(d, "starttls.refused", s->reply.first, s->reply.first_len,
					s->feat_refused ? "the server refused AUTH TLS (and FEAT)"
							: "the server refused AUTH TLS");
	return MC_STEP_TLS;
}

const struct mc_proto_ops mc_ftp_ops = {
    .state_size = sizeof(struct ftp),
    .go_ahead = "234 go-ahead",
    .start = ftp_start,
    .line = ftp_line,
    .stage = ftp_stage,
};

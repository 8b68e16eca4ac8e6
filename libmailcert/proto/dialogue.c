/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dialogue every protocol shares (proto.h): protocol files see whole
 * lines; bounds, EOF, the go-ahead and everything after it are decided here,
 * once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialogue.h"

/* Implicit TLS: the handshake is the first thing on the wire. */
static enum mc_step none_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_TLS;
}

static const struct mc_proto_ops none_ops = {
	.start = none_start,
};

/* One entry per protocol file; a protocol without one is not implemented yet. */
static const struct mc_proto_ops *const protocols[] = {
	[MAILCERT_PROTO_NONE] = &none_ops,
	[MAILCERT_PROTO_SMTP] = &mc_smtp_ops,
	[MAILCERT_PROTO_LMTP] = &mc_smtp_ops,
	[MAILCERT_PROTO_POSTGRES] = &mc_postgres_ops,
	[MAILCERT_PROTO_MYSQL] = &mc_mysql_ops,
	[MAILCERT_PROTO_LDAP] = &mc_ldap_ops,
	[MAILCERT_PROTO_IRC] = &mc_irc_ops,
	[MAILCERT_PROTO_SIEVE] = &mc_sieve_ops,
	[MAILCERT_PROTO_IMAP] = &mc_imap_ops,
	[MAILCERT_PROTO_POP3] = &mc_pop3_ops,
	[MAILCERT_PROTO_FTP] = &mc_ftp_ops,
	[MAILCERT_PROTO_NNTP] = &mc_nntp_ops,
	[MAILCERT_PROTO_XMPP] = &mc_xmpp_ops,
	[MAILCERT_PROTO_XMPP_SERVER] = &mc_xmpp_ops,
};

static const struct mc_proto_ops *ops_for(mailcert_protocol proto)
{
	if ((unsigned)proto >= sizeof(protocols) / sizeof(protocols[0]))
		return NULL;
	return protocols[proto];
}

int mc_dialogue_supported(mailcert_protocol proto)
{
	return ops_for(proto) != NULL;
}

/* The helo goes on the wire inside a command line, so it must not break one. */
static int helo_valid(const char *helo)
{
	size_t n = strlen(helo);

	if (n == 0 || n > MC_HELO_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (helo[i] <= ' ' || helo[i] >= 0x7f)
			return 0;
	}
	return 1;
}

struct mc_dialogue *mc_dialogue_new(mailcert_protocol proto, const struct mc_dialogue_params *p)
{
	const struct mc_proto_ops *ops = ops_for(proto);
	const char *helo = p ? p->helo : NULL;
	struct mc_dialogue *d;

	if (!ops || (helo && !helo_valid(helo)) || (ops->needs_helo && !helo))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ops = ops;
	d->proto = proto;
	d->helo = mc_strdup(helo);
	d->domain = mc_strdup(p ? p->domain : NULL);
	d->unadvertised = p ? p->unadvertised : 0;
	d->state = ops->state_size ? calloc(1, ops->state_size) : NULL;
	if ((helo && !d->helo) || (p && p->domain && !d->domain) ||
	    (ops->state_size && !d->state)) {
		mc_dialogue_free(d);
		return NULL;
	}
	d->step = ops->start(d);
	return d;
}

void mc_dialogue_free(struct mc_dialogue *d)
{
	if (!d)
		return;
	free(d->helo);
	free(d->domain);
	if (d->ops->free) /* state with allocations of its own (xmpp.c) */
		d->ops->free(d);
	free(d->state);
	free(d);
}

enum mc_step mc_dialogue_start(struct mc_dialogue *d)
{
	return d->step;
}

const char *mc_dialogue_waiting_for(const struct mc_dialogue *d)
{
	return d->ops->stage ? d->ops->stage(d) : "TLS handshake";
}

const char *mc_dialogue_silence(const struct mc_dialogue *d)
{
	return d->ops->silence;
}

const uint8_t *mc_dialogue_output(const struct mc_dialogue *d, size_t *len)
{
	*len = d->out_len;
	return d->out;
}

const char *mc_dialogue_failure(const struct mc_dialogue *d, const char **message)
{
	int failed = d->step == MC_STEP_FAIL;

	if (message)
		*message = failed ? d->message : NULL;
	return failed ? d->code : NULL;
}

enum mc_step mc_dialogue_send(struct mc_dialogue *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)d->out, sizeof(d->out), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(d->out))
		return mc_dialogue_fail(d, "internal.error", NULL, 0,
					"a command did not fit in %d bytes", MC_COMMAND_MAX);
	d->out_len = (size_t)n;
	return d->step = MC_STEP_WRITE;
}

enum mc_step mc_dialogue_send_bytes(struct mc_dialogue *d, const void *p, size_t len)
{
	if (len > sizeof(d->out))
		return mc_dialogue_fail(d, "internal.error", NULL, 0,
					"a command did not fit in %d bytes", MC_COMMAND_MAX);
	memcpy(d->out, p, len);
	d->out_len = len;
	return d->step = MC_STEP_WRITE;
}

enum mc_step mc_dialogue_fail(struct mc_dialogue *d, const char *code, const void *quote,
			      size_t len, const char *fmt, ...)
{
	/* Small enough that the longest message prefix and the quote fit in MC_MSG_MAX. */
	char q[300];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	if (quote && n >= 0 && (size_t)n < sizeof(d->message)) {
		mc_quote(q, sizeof(q), quote, len, MC_QUOTE_MAX);
		snprintf(d->message + n, sizeof(d->message) - (size_t)n, ": \"%s\"", q);
	}
	d->code = code;
	d->out_len = 0;
	return d->step = MC_STEP_FAIL;
}

enum mc_step mc_dialogue_fail_reply(struct mc_dialogue *d, enum mc_reply_rc rc,
				    const struct mc_reply *r, const uint8_t *line, size_t len)
{
	const char *stage = d->ops->stage(d);

	switch (rc) {
	case MC_REPLY_MIXED:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's %s changed reply code midway (from %03u)",
					stage, r->code);
	case MC_REPLY_TOO_MANY:
		return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					"the server's %s has more than %d lines", stage,
					MC_REPLY_LINES_MAX);
	default:
		return mc_dialogue_fail(d, "protocol.unexpected", line, len,
					"the server's %s has a malformed line", stage);
	}
}

static const char *bytes_word(size_t n)
{
	return n == 1 ? "byte" : "bytes";
}

/*
 * docs/design.md rule 1: between the go-ahead and the handshake the server has
 * nothing to say. Bytes sent there by a man in the middle would be taken
 * for replies protected by TLS (response injection, "Why TLS is better
 * without STARTTLS", USENIX Security 2021), so they end the check and are
 * only quoted.
 */
static enum mc_step after_go_ahead(struct mc_dialogue *d, const uint8_t *data, size_t len)
{
	const char *go_ahead = d->ops->go_ahead;

	if (!go_ahead && len == 0)
		return mc_dialogue_fail(
		    d, "protocol.unexpected", NULL, 0,
		    "the server closed the connection before the TLS handshake");
	if (!go_ahead)
		return mc_dialogue_fail(
		    d, "protocol.unexpected", data, len,
		    "the server sent %zu %s of plaintext where the TLS handshake "
		    "was expected",
		    len, bytes_word(len));
	if (len == 0)
		return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					"the server closed the connection after its %s, before TLS",
					go_ahead);
	return mc_dialogue_fail(d, "starttls.injection", data, len,
				"%zu %s followed the server's %s before TLS (response injection)",
				len, bytes_word(len), go_ahead);
}

/* What is left once the protocol has spoken: nothing, or bytes it must not have. */
static enum mc_step leftover(struct mc_dialogue *d, enum mc_step step, const char *stage,
			     const uint8_t *p, size_t len)
{
	if (step == MC_STEP_FAIL || len == 0)
		return d->step = step;
	/* WRITE_TLS: the message just taken was the go-ahead; the command that
	 * follows it gets no reply. */
	if (step == MC_STEP_TLS || step == MC_STEP_WRITE_TLS)
		return after_go_ahead(d, p, len);
	/* Every command waits for its reply, so the server may not run ahead. */
	return mc_dialogue_fail(d, "protocol.unexpected", p, len,
				"the server sent %zu %s after its %s without waiting for the next "
				"command",
				len, bytes_word(len), stage);
}

/* Whether @len < 3 bytes could start a TLS record header (see mc_looks_like_tls()). */
static int tls_prefix(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] >= 0x14 && p[0] <= 0x17 && (len == 1 || p[1] == 0x03));
}

/* Protocols with @bytes: accumulate, bounded, and let the protocol take whole messages. */
static enum mc_step input_bytes(struct mc_dialogue *d, const uint8_t *data, size_t len)
{
	enum mc_step step = MC_STEP_READ;
	const char *stage = d->ops->stage(d);
	size_t used;

	if (d->received > MC_DIALOGUE_MAX)
		return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					"the server sent more than %d bytes before TLS (during its %s)",
					MC_DIALOGUE_MAX, stage);
	if (len > sizeof(d->pending) - d->pending_len)
		return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					"the server's %s is longer than %d bytes", stage,
					MC_PENDING_MAX);
	memcpy(d->pending + d->pending_len, data, len);
	d->pending_len += len;
	do {
		stage = d->ops->stage(d);
		used = d->ops->bytes(d, d->pending, d->pending_len, &step);
		if (used > d->pending_len)
			used = d->pending_len;
		memmove(d->pending, d->pending + used, d->pending_len - used);
		d->pending_len -= used;
	} while (step == MC_STEP_READ && used > 0 && d->pending_len > 0);
	if (step == MC_STEP_READ)
		return d->step = step;
	return leftover(d, step, stage, d->pending, d->pending_len);
}

enum mc_step mc_dialogue_input(struct mc_dialogue *d, const uint8_t *data, size_t len)
{
	struct mc_bytes in = {data, len}, line;
	enum mc_step step = MC_STEP_READ;
	const char *stage;

	d->out_len = 0;
	if (d->step == MC_STEP_FAIL)
		return MC_STEP_FAIL;
	if (d->step == MC_STEP_TLS || d->step == MC_STEP_WRITE_TLS)
		return after_go_ahead(d, data, len);
	if (len == 0) {
		const uint8_t *held = d->ops->bytes ? d->pending : d->lines.buf;
		size_t held_len = d->ops->bytes ? d->pending_len : d->lines.len;

		return mc_dialogue_fail(d, "protocol.unexpected", held_len ? held : NULL, held_len,
					"the server closed the connection before the end of its %s",
					d->ops->stage(d));
	}
	/* A TLS record in answer: the port speaks implicit TLS (protocol.mismatch;
	 * the probe names the scheme to use). The record header may come in
	 * pieces: its first bytes hold no LF, so a text protocol only buffers
	 * them, and a binary one is not shown them until the header is whole. */
	for (size_t i = 0; i < len && d->head_len < sizeof(d->head); i++)
		d->head[d->head_len++] = data[i];
	if (d->head_len == sizeof(d->head) && d->received < sizeof(d->head) &&
	    mc_looks_like_tls(d->head, d->head_len))
		return mc_dialogue_fail(d, "protocol.mismatch", NULL, 0,
					"the server answered with TLS where its %s was expected",
					d->ops->stage(d));
	d->received += len;
	if (d->ops->bytes && d->head_len < sizeof(d->head) && tls_prefix(d->head, d->head_len)) {
		memcpy(d->pending + d->pending_len, data, len);
		d->pending_len += len;
		return d->step = MC_STEP_READ;
	}
	if (d->ops->bytes)
		return input_bytes(d, data, len);
	do {
		stage = d->ops->stage(d);
		switch (mc_lines_next(&d->lines, &in, &line)) {
		case MC_LINES_MORE:
			return d->step = MC_STEP_READ;
		case MC_LINES_TOO_LONG:
			return mc_dialogue_fail(d, "protocol.unexpected", line.p, line.len,
						"a line of the server's %s is longer than %d bytes",
						stage, MC_LINE_MAX);
		case MC_LINES_TOO_MUCH:
			return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
						"the server sent more than %d bytes before TLS "
						"(during its %s)",
						MC_DIALOGUE_MAX, stage);
		case MC_LINES_LINE:
			break;
		}
		step = d->ops->line(d, line.p, line.len);
	} while (step == MC_STEP_READ && in.len > 0);
	return leftover(d, step, stage, in.p, in.len);
}

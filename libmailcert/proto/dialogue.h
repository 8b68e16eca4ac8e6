/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Between dialogue.c and the protocol files; private to libmailcert/proto/.
 * dialogue.c owns what every protocol shares: the bounds, the go-ahead and
 * injection rule, EOF, failures and their quoting. A protocol file supplies
 * an ops table and sees one complete server line at a time.
 */
#ifndef MAILCERT_PROTO_DIALOGUE_H
#define MAILCERT_PROTO_DIALOGUE_H

#include "model/util.h"
#include "lines.h"
#include "proto.h"

#define MC_COMMAND_MAX 512 /* one command with CRLF (RFC 5321 section 4.5.3.1.4) */
#define MC_HELO_MAX 255    /* as mailcert_probe_set_helo() allows */
#define MC_PENDING_MAX 8192 /* one binary message, which no pre-TLS message comes near */

struct mc_proto_ops {
	size_t state_size; /* zeroed bytes at d->state */
	int needs_helo;    /* mc_dialogue_new() refuses params without a helo */
	/* The go-ahead as messages name it ("220 go-ahead"); NULL for implicit TLS. */
	const char *go_ahead;
	/* The first step. */
	enum mc_step (*start)(struct mc_dialogue *d);
	/*
	 * One server line without its line end: READ for the next one, else
	 * WRITE (mc_dialogue_send()), TLS or FAIL (mc_dialogue_fail()).
	 */
	enum mc_step (*line)(struct mc_dialogue *d, const uint8_t *line, size_t len);
	/*
	 * Instead of @line, for protocols whose messages are not lines (binary
	 * framing, XML): given every byte received and not yet consumed, handle
	 * the complete messages at its start and return how many bytes they
	 * took (0: a message is incomplete, read more), setting *@step as
	 * @line's return value. Bytes left after TLS or WRITE are judged by
	 * dialogue.c (injection, running ahead).
	 */
	size_t (*bytes)(struct mc_dialogue *d, const uint8_t *p, size_t len, enum mc_step *step);
	/* What the server is sending now, for messages: "greeting", "reply to EHLO". */
	const char *(*stage)(const struct mc_dialogue *d);
	/* Optional: releases what @state points to (xmpp.c's parser); @state itself is freed
	 * by mc_dialogue_free(). Called even when start() failed or never ran. */
	void (*free)(struct mc_dialogue *d);
	/* Why a server may stay silent, added to a timeout's message; or NULL. */
	const char *silence;
};

struct mc_dialogue {
	const struct mc_proto_ops *ops;
	mailcert_protocol proto;
	char *helo;  /* valid: 1 to MC_HELO_MAX printable bytes, no space */
	char *domain; /* params->domain, or NULL */
	int unadvertised; /* params->unadvertised */
	void *state; /* the protocol's */
	enum mc_step step;
	struct mc_lines lines;
	uint8_t pending[MC_PENDING_MAX]; /* @bytes protocols: received, not yet consumed */
	size_t pending_len;
	size_t received; /* every byte so far (bounded by MC_DIALOGUE_MAX for @bytes protocols) */
	uint8_t head[3]; /* the first bytes, to tell a TLS record header (mc_looks_like_tls) */
	size_t head_len;
	uint8_t out[MC_COMMAND_MAX];
	size_t out_len;
	const char *code;
	char message[MC_MSG_MAX];
};

extern const struct mc_proto_ops mc_smtp_ops; /* SMTP and LMTP, smtp.c */
extern const struct mc_proto_ops mc_postgres_ops; /* postgres.c */
extern const struct mc_proto_ops mc_mysql_ops; /* MySQL and MariaDB, mysql.c */
extern const struct mc_proto_ops mc_ldap_ops; /* ldap.c */
extern const struct mc_proto_ops mc_irc_ops; /* irc.c */
extern const struct mc_proto_ops mc_sieve_ops; /* ManageSieve, sieve.c */
extern const struct mc_proto_ops mc_imap_ops; /* imap.c */
extern const struct mc_proto_ops mc_pop3_ops; /* pop3.c */
extern const struct mc_proto_ops mc_ftp_ops; /* ftp.c */
extern const struct mc_proto_ops mc_nntp_ops; /* nntp.c */
extern const struct mc_proto_ops mc_xmpp_ops; /* client and server streams, xmpp.c */

/*
 * Sets the command to send and returns WRITE. A command too long for
 * MC_COMMAND_MAX is a bug in the caller, which bounds its arguments; it
 * fails with internal.error rather than send a cut command.
 */
enum mc_step mc_dialogue_send(struct mc_dialogue *d, const char *fmt, ...) MC_PRINTF(2, 3);

/* The same for a binary message of @len bytes (at most MC_COMMAND_MAX). */
enum mc_step mc_dialogue_send_bytes(struct mc_dialogue *d, const void *p, size_t len);

/*
 * Stops @d with @code (static) and the formatted message, followed, when
 * @quote is not NULL, by ': "…"' quoting @len server bytes with mc_quote().
 * Returns FAIL.
 */
enum mc_step mc_dialogue_fail(struct mc_dialogue *d, const char *code, const void *quote,
			      size_t len, const char *fmt, ...) MC_PRINTF(5, 6);

/* Fails with protocol.unexpected for an mc_reply_add() error on @line. */
enum mc_step mc_dialogue_fail_reply(struct mc_dialogue *d, enum mc_reply_rc rc,
				    const struct mc_reply *r, const uint8_t *line, size_t len);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plaintext dialogues before TLS, one file per protocol, all sans-I/O:
 * fed the server's bytes, a dialogue answers with bytes to send, "need
 * more", "start TLS now" or a failure with a finding code. It never reads
 * a socket, a clock or a global, so the blocking probe and a non-blocking
 * engine drive the same code, and tests feed it scripted bytes.
 *
 * Driver contract:
 *   step = mc_dialogue_start(d);
 *   loop:
 *     WRITE → send mc_dialogue_output() in full, then read
 *     WRITE_TLS → send mc_dialogue_output() in full, then do as for TLS
 *             (MySQL: the SSL request packet gets no reply)
 *     READ  → read what is available, step = mc_dialogue_input(d, buf, n)
 *     TLS   → check the socket for bytes already waiting; if any, feed them
 *             to mc_dialogue_input() (which fails with starttls.injection),
 *             else start the handshake
 *     FAIL  → mc_dialogue_failure() says why
 * The server's EOF is mc_dialogue_input(d, NULL, 0).
 */
#ifndef MAILCERT_PROTO_H
#define MAILCERT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <mailcert/target.h>

enum mc_step {
	MC_STEP_READ,  /* feed more server bytes */
	MC_STEP_WRITE, /* send the output, then read the reply */
	MC_STEP_TLS,   /* the server said go ahead: start the handshake */
	MC_STEP_FAIL,  /* stopped; see mc_dialogue_failure() */
	MC_STEP_WRITE_TLS, /* send the output, then as TLS: the go-ahead was the last reply */
};

/* Bounds (docs/design.md rule 4). */
#define MC_LINE_MAX 2048       /* one line, bytes, CRLF included */
#define MC_REPLY_LINES_MAX 128 /* lines in one multi-line reply */
#define MC_DIALOGUE_MAX 65536  /* all bytes the server may send before TLS */

struct mc_dialogue_params {
	const char *helo;   /* EHLO/LHLO name; copied */
	const char *domain; /* the service's name: XMPP stream "to"; copied; may be NULL */
	/*
	 * Send the upgrade command although the server did not advertise it
	 * (a POP3 server without CAPA): only when the user asks, since an
	 * unadvertised STLS is what a downgrade attack looks like.
	 */
	int unadvertised;
};

struct mc_dialogue;

/* A new dialogue for @proto, or NULL (no memory / protocol not implemented). */
struct mc_dialogue *mc_dialogue_new(mailcert_protocol proto, const struct mc_dialogue_params *p);
void mc_dialogue_free(struct mc_dialogue *d);

/* The first step: READ for protocols where the server speaks first, TLS for implicit TLS. */
enum mc_step mc_dialogue_start(struct mc_dialogue *d);

/*
 * Feeds @len bytes the server sent (any split, down to one byte at a time;
 * len 0 means EOF). Consumes them all or fails. Bytes arriving after the
 * go-ahead, in the same chunk or a later one, fail with starttls.injection.
 */
enum mc_step mc_dialogue_input(struct mc_dialogue *d, const uint8_t *data, size_t len);

/* The bytes to send after a WRITE step; valid until the next call on @d. */
const uint8_t *mc_dialogue_output(const struct mc_dialogue *d, size_t *len);

/*
 * After FAIL: the finding code (static) and a message for people in which
 * the server's words are quoted with mc_quote(); both live as long as @d.
 */
const char *mc_dialogue_failure(const struct mc_dialogue *d, const char **message);

/*
 * What the dialogue is waiting for, for a timeout message: "greeting",
 * "reply to STARTTLS", …; static or living as long as @d.
 */
const char *mc_dialogue_waiting_for(const struct mc_dialogue *d);

/*
 * The STARTTLS scheme whose greeting @p starts with ("smtp", "submission"
 * for port 587, "imap", "pop3", "ftp", …), or NULL. For diagnosing a
 * plaintext port checked as implicit TLS.
 */
const char *mc_recognise_plaintext(const uint8_t *p, size_t len, unsigned port);

/* Why the server may be silent, for a timeout's message ("a server that…"), or NULL; static. */
const char *mc_dialogue_silence(const struct mc_dialogue *d);

/* Whether @p starts like a TLS record: a plaintext dialogue met an implicit-TLS port. */
int mc_looks_like_tls(const uint8_t *p, size_t len);

/* Whether the protocol has a dialogue implemented (implicit TLS always has). */
int mc_dialogue_supported(mailcert_protocol proto);

#endif

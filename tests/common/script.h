/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scripted servers for the dialogue unit tests (docs/design.md, "STARTTLS rules
 * every dialogue obeys"): a script is the list of turns a server sends, and
 * mc_script_drive() plays it against an mc_dialogue as probe.c would, with
 * no socket. mc_script_expect() runs a script twice, each turn in one input
 * call and then one byte per call, and both runs must send the same bytes
 * and end the same way.
 *
 * Text protocols give what the client must send as a C string, compared as
 * one; binary ones (mc_script_expect_bytes()) give bytes and a length. A
 * dialogue that writes and then goes straight to TLS (MC_STEP_WRITE_TLS,
 * MySQL) is driven like one that reads a go-ahead (MC_STEP_TLS).
 *
 * Memory: the caller owns the turns, their bytes, the params and every
 * outcome; nothing here keeps a pointer past the call. Each drive creates
 * and frees its own mc_dialogue. Failures are Check assertions, so these
 * are for use inside a START_TEST only.
 */
#ifndef MAILCERT_TEST_SCRIPT_H
#define MAILCERT_TEST_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "model/util.h" /* MC_MSG_MAX */

/* What the server sends in one turn; a script ends with MC_SCRIPT_END. */
struct mc_script_turn {
	const char *p;
	size_t len;
};

/* A turn from a string literal (it may hold NULs), and the end of a script. */
// clang-format off
#define MC_SCRIPT_TURN(s) {(s), sizeof(s) - 1}
#define MC_SCRIPT_END {NULL, 0}
/* Every script reads better short. */
#define T(s) MC_SCRIPT_TURN(s)
#define END MC_SCRIPT_END
// clang-format on

/* How one run ended. */
struct mc_script_outcome {
	enum mc_step step; /* TLS, WRITE_TLS or FAIL */
	char sent[1024];   /* everything the client wrote, NUL terminated */
	size_t sent_len;
	char code[64];            /* FAIL only */
	char message[MC_MSG_MAX]; /* FAIL only */
};

/*
 * Drives a dialogue for @proto, created with @params (given to
 * mc_dialogue_new() as is, so NULL for none), through @t. Each turn is fed
 * in pieces of @piece bytes (0: the whole turn in one call). At TLS or
 * WRITE_TLS, whatever the server sent beyond is fed in one call, as the
 * driver finds it waiting on the socket; when the turns run out, the server
 * closes the connection. A failure must be final and keep its code and
 * message.
 */
void mc_script_drive(struct mc_script_outcome *o, mailcert_protocol proto,
		     const struct mc_dialogue_params *params, const struct mc_script_turn *t,
		     size_t piece);

/* @o must have sent the string @sent and ended with @step (@code and @message when FAIL). */
void mc_script_check(const struct mc_script_outcome *o, const char *mode, const char *sent,
		     enum mc_step step, const char *code, const char *message);

/* The same, for exactly the @sent_len bytes at @sent (none when 0). */
void mc_script_check_bytes(const struct mc_script_outcome *o, const char *mode, const void *sent,
			   size_t sent_len, enum mc_step step, const char *code,
			   const char *message);

/* Runs @t whole and byte by byte; both must send @sent and end with @step (@code, @message). */
void mc_script_expect(mailcert_protocol proto, const struct mc_dialogue_params *params,
		      const struct mc_script_turn *t, const char *sent, enum mc_step step,
		      const char *code, const char *message);

/* mc_script_expect() ending in TLS. */
void mc_script_expect_tls(mailcert_protocol proto, const struct mc_dialogue_params *params,
			  const struct mc_script_turn *t, const char *sent);

/* mc_script_expect() for a binary protocol: @sent_len bytes at @sent. */
void mc_script_expect_bytes(mailcert_protocol proto, const struct mc_dialogue_params *params,
			    const struct mc_script_turn *t, const void *sent, size_t sent_len,
			    enum mc_step step, const char *code, const char *message);

#endif

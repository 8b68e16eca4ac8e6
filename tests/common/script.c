/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scripted servers for the dialogue unit tests; see script.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

/* Appends what the dialogue asks to write at @step; any other step writes nothing. */
static void record_write(struct mc_script_outcome *o, struct mc_dialogue *d, enum mc_step step)
{
	size_t len;
	const uint8_t *out = mc_dialogue_output(d, &len);

	if (step != MC_STEP_WRITE && step != MC_STEP_WRITE_TLS) {
		ck_assert_uint_eq(len, 0);
		return;
	}
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_lt(o->sent_len + len, sizeof(o->sent));
	memcpy(o->sent + o->sent_len, out, len);
	o->sent_len += len;
}

/* All bytes of the turns from @t on, the first from @off on, in one buffer. */
static uint8_t *rest_of(const struct mc_script_turn *t, size_t off, size_t *len)
{
	uint8_t *buf;
	size_t n = 0;

	for (const struct mc_script_turn *u = t; u->p; u++)
		n += u->len;
	buf = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(buf);
	*len = 0;
	for (const struct mc_script_turn *u = t; u->p; u++, off = 0) {
		memcpy(buf + *len, u->p + off, u->len - off);
		*len += u->len - off;
	}
	return buf;
}

void mc_script_drive(struct mc_script_outcome *o, mailcert_protocol proto,
		     const struct mc_dialogue_params *params, const struct mc_script_turn *t,
		     size_t piece)
{
	struct mc_dialogue *d = mc_dialogue_new(proto, params);
	const char *code, *message;
	enum mc_step step;
	size_t off = 0;

	ck_assert_ptr_nonnull(d);
	memset(o, 0, sizeof(*o));
	step = mc_dialogue_start(d);
	while (step != MC_STEP_FAIL) {
		size_t n;

		record_write(o, d, step);
		while (t->p && off == t->len) {
			t++;
			off = 0;
		}
		if (step == MC_STEP_TLS || step == MC_STEP_WRITE_TLS) {
			uint8_t *rest;

			if (!t->p)
				break;
			rest = rest_of(t, off, &n);
			step = mc_dialogue_input(d, rest, n);
			free(rest);
			ck_assert_int_eq(step, MC_STEP_FAIL);
			break;
		}
		if (!t->p) {
			step = mc_dialogue_input(d, NULL, 0);
			ck_assert_int_eq(step, MC_STEP_FAIL);
			break;
		}
		n = piece && t->len - off > piece ? piece : t->len - off;
		step = mc_dialogue_input(d, (const uint8_t *)t->p + off, n);
		off += n;
	}
	o->step = step;
	code = mc_dialogue_failure(d, &message);
	if (step == MC_STEP_FAIL) {
		record_write(o, d, step); /* nothing */
		ck_assert_ptr_nonnull(code);
		ck_assert_uint_lt(strlen(message), MC_MSG_MAX);
		snprintf(o->code, sizeof(o->code), "%s", code);
		snprintf(o->message, sizeof(o->message), "%s", message);
		/* A failure is final and says the same thing ever after. */
		ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"x", 1), MC_STEP_FAIL);
		ck_assert_int_eq(mc_dialogue_input(d, NULL, 0), MC_STEP_FAIL);
		ck_assert_str_eq(mc_dialogue_failure(d, &message), o->code);
		ck_assert_str_eq(message, o->message);
	} else {
		ck_assert_ptr_null(code);
	}
	mc_dialogue_free(d);
}

/* The step, code and message; what was sent is the caller's to check. */
static void check_end(const struct mc_script_outcome *o, const char *mode, enum mc_step step,
		      const char *code, const char *message)
{
	ck_assert_msg(o->step == step, "%s: step %d, expected %d (%s: %s)", mode, o->step, step,
		      o->code, o->message);
	if (step != MC_STEP_FAIL)
		return;
	ck_assert_msg(strcmp(o->code, code) == 0, "%s: code %s, expected %s", mode, o->code, code);
	ck_assert_msg(strcmp(o->message, message) == 0, "%s: message\n  %s\nexpected\n  %s", mode,
		      o->message, message);
}

void mc_script_check(const struct mc_script_outcome *o, const char *mode, const char *sent,
		     enum mc_step step, const char *code, const char *message)
{
	ck_assert_msg(strcmp(o->sent, sent) == 0, "%s: sent \"%s\", expected \"%s\"", mode, o->sent,
		      sent);
	check_end(o, mode, step, code, message);
}

/* @len bytes at @p in hex, cut short to fit @buf. */
static const char *hex(char *buf, size_t size, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len && at + 4 < size; i++)
		at += snprintf(buf + at, size - at, "%s%02x", i ? " " : "", b[i]);
	return buf;
}

void mc_script_check_bytes(const struct mc_script_outcome *o, const char *mode, const void *sent,
			   size_t sent_len, enum mc_step step, const char *code,
			   const char *message)
{
	char got[256], want[256];

	ck_assert_msg(o->sent_len == sent_len &&
			  (!sent_len || memcmp(o->sent, sent, sent_len) == 0),
		      "%s: sent %zu bytes\n  %s\nexpected %zu\n  %s", mode, o->sent_len,
		      hex(got, sizeof(got), o->sent, o->sent_len), sent_len,
		      hex(want, sizeof(want), sent, sent_len));
	check_end(o, mode, step, code, message);
}

void mc_script_expect(mailcert_protocol proto, const struct mc_dialogue_params *params,
		      const struct mc_script_turn *t, const char *sent, enum mc_step step,
		      const char *code, const char *message)
{
	struct mc_script_outcome whole, bytes;

	mc_script_drive(&whole, proto, params, t, 0);
	mc_script_drive(&bytes, proto, params, t, 1);
	mc_script_check(&whole, "whole turns", sent, step, code, message);
	mc_script_check(&bytes, "byte by byte", sent, step, code, message);
}

void mc_script_expect_tls(mailcert_protocol proto, const struct mc_dialogue_params *params,
			  const struct mc_script_turn *t, const char *sent)
{
	mc_script_expect(proto, params, t, sent, MC_STEP_TLS, NULL, NULL);
}

void mc_script_expect_bytes(mailcert_protocol proto, const struct mc_dialogue_params *params,
			    const struct mc_script_turn *t, const void *sent, size_t sent_len,
			    enum mc_step step, const char *code, const char *message)
{
	struct mc_script_outcome whole, bytes;

	mc_script_drive(&whole, proto, params, t, 0);
	mc_script_drive(&bytes, proto, params, t, 1);
	mc_script_check_bytes(&whole, "whole turns", sent, sent_len, step, code, message);
	mc_script_check_bytes(&bytes, "byte by byte", sent, sent_len, step, code, message);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The IRC dialogue against scripted servers (DESIGN.md, "STARTTLS
 * rules every dialogue obeys"), and the line splitter and reply parser
 * under them. Every transcript runs twice, each server turn in one input
 * call and then one byte per call, and must end the same way both times.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "proto/lines.h"
#include "proto/proto.h"

#define HELO "client.example"

/* What the server sends in one turn; a list ends with END. */
struct turn {
	const char *p;
	size_t len;
};
#define T(s) {(s), sizeof(s) - 1}
#define END {NULL, 0}

struct outcome {
	enum mc_step step; /* TLS or FAIL */
	char sent[1024];   /* everything the client wrote, NUL terminated */
	size_t sent_len;
	char code[64];
	char message[MC_MSG_MAX];
};

static void record_write(struct outcome *o, struct mc_dialogue *d, enum mc_step step)
{
	size_t len;
	const uint8_t *out = mc_dialogue_output(d, &len);

	if (step != MC_STEP_WRITE) {
		ck_assert_uint_eq(len, 0);
		return;
	}
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_lt(o->sent_len + len, sizeof(o->sent));
	memcpy(o->sent + o->sent_len, out, len);
	o->sent_len += len;
}

/* All bytes of the turns from @t on, the first from @off on, in one buffer. */
static uint8_t *rest_of(const struct turn *t, size_t off, size_t *len)
{
	uint8_t *buf;
	size_t n = 0;

	for (const struct turn *u = t; u->p; u++)
		n += u->len;
	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	*len = 0;
	for (const struct turn *u = t; u->p; u++, off = 0) {
		memcpy(buf + *len, u->p + off, u->len - off);
		*len += u->len - off;
	}
	return buf;
}

/*
 * Drives a dialogue as probe.c does. Each turn is fed in pieces of @piece
 * bytes (0: the whole turn in one call). At TLS, whatever the server sent
 * beyond is fed in one call, as the driver finds it waiting on the socket;
 * when the turns run out, the server closes the connection.
 */
static void drive(struct outcome *o, mailcert_protocol proto, const struct turn *t, size_t piece)
{
	struct mc_dialogue_params params = {.helo = HELO};
	struct mc_dialogue *d = mc_dialogue_new(proto, &params);
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
		if (step == MC_STEP_TLS) {
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
	record_write(o, d, step);
	o->step = step;
	code = mc_dialogue_failure(d, &message);
	if (step == MC_STEP_FAIL) {
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

static void check_outcome(const struct outcome *o, const char *mode, const char *sent,
			  enum mc_step step, const char *code, const char *message)
{
	ck_assert_msg(strcmp(o->sent, sent) == 0, "%s: sent \"%s\", expected \"%s\"", mode,
		      o->sent, sent);
	ck_assert_msg(o->step == step, "%s: step %d, expected %d (%s: %s)", mode, o->step, step,
		      o->code, o->message);
	if (step != MC_STEP_FAIL)
		return;
	ck_assert_msg(strcmp(o->code, code) == 0, "%s: code %s, expected %s", mode, o->code,
		      code);
	ck_assert_msg(strcmp(o->message, message) == 0, "%s: message\n  %s\nexpected\n  %s", mode,
		      o->message, message);
}

/* Runs @t whole and byte by byte; both must send @sent and end with @step (@code, @message). */
static void expect(mailcert_protocol proto, const struct turn *t, const char *sent,
		   enum mc_step step, const char *code, const char *message)
{
	struct outcome whole, bytes;

	drive(&whole, proto, t, 0);
	drive(&bytes, proto, t, 1);
	check_outcome(&whole, "whole turns", sent, step, code, message);
	check_outcome(&bytes, "byte by byte", sent, step, code, message);
}

static void expect_tls(mailcert_protocol proto, const struct turn *t, const char *sent)
{
	expect(proto, t, sent, MC_STEP_TLS, NULL, NULL);
}

#define IRC MAILCERT_PROTO_IRC
#define SENT "STARTTLS\r\n"
#define NOTICE ":irc.example NOTICE * :*** Looking up your hostname...\r\n"
#define STAGE "reply to STARTTLS"
#define EOF_MSG "the server closed the connection before the end of its " STAGE
#define GO ":irc.example 670 * :STARTTLS successful, go ahead with TLS handshake\r\n"

static void irc_fail(const struct turn *t, const char *code, const char *message)
{
	expect(IRC, t, SENT, MC_STEP_FAIL, code, message);
}

START_TEST(test_good_path)
{
	const struct turn t[] = {T(GO), END};
	const struct turn n[] = {T(NOTICE), T(":irc.example NOTICE * :*** Found your hostname\r\n"),
				 T("PING :irc.example\r\n" GO), END};
	const struct turn bare[] = {T("670 :go\n"), END};

	expect_tls(IRC, t, SENT);
	expect_tls(IRC, n, SENT);
	expect_tls(IRC, bare, SENT);
}
END_TEST

START_TEST(test_refused)
{
	const struct turn r691[] = {T(NOTICE), T(":irc.example 691 * :STARTTLS failure\r\n"), END};
	const struct turn r421[] = {T(":irc.example 421 * STARTTLS :Unknown command\r\n"), END};
	const struct turn r451[] = {T(":irc.example 451 * STARTTLS :You have not registered\r\n"),
				    END};

	irc_fail(r691, "starttls.refused",
		 "the server refused STARTTLS: \":irc.example 691 * :STARTTLS failure\"");
	irc_fail(r421, "starttls.refused",
		 "the server refused STARTTLS: \":irc.example 421 * STARTTLS :Unknown command\"");
	irc_fail(r451, "starttls.refused",
		 "the server refused STARTTLS: \":irc.example 451 * STARTTLS :You have not "
		 "registered\"");
}
END_TEST

START_TEST(test_error_line)
{
	const struct turn t[] = {T(NOTICE), T("ERROR :Closing link: (unknown@127.0.0.1)\r\n"), END};

	irc_fail(t, "protocol.unexpected",
		 "the server closed the link: \"ERROR :Closing link: (unknown@127.0.0.1)\"");
}
END_TEST

/* A numeric that only looks like 670 is not the go-ahead. */
START_TEST(test_not_numeric)
{
	const struct turn t[] = {T(":670 NOTICE * :6700\r\n:x 6700 y\r\n:x 67 y\r\n"), END};

	irc_fail(t, "protocol.unexpected", EOF_MSG);
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct turn t[] = {T(GO ":irc.example 001 you :Welcome\r\n"), END};

	irc_fail(t, "starttls.injection",
		 "31 bytes followed the server's 670 go-ahead before TLS (response injection): "
		 "\":irc.example 001 you :Welcome\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct turn t[] = {T(GO), T("X"), END};

	irc_fail(t, "starttls.injection",
		 "1 byte followed the server's 670 go-ahead before TLS (response injection): \"X\"");
}
END_TEST

/* IRC has no capability list before STARTTLS: "missing" is silence or skipped lines. */
START_TEST(test_too_many_skipped)
{
	static char buf[65 * sizeof(NOTICE)];
	struct turn t[] = {{buf, 0}, END};

	for (int i = 0; i < 65; i++) {
		memcpy(buf + t[0].len, NOTICE, sizeof(NOTICE) - 1);
		t[0].len += sizeof(NOTICE) - 1;
	}
	irc_fail(t, "protocol.unexpected",
		 "no reply to STARTTLS after 64 lines: \":irc.example NOTICE * :*** Looking up your "
		 "hostname...\"");
}
END_TEST

START_TEST(test_line_over_limit)
{
	static char buf[MC_LINE_MAX + 10];
	struct turn t[] = {{buf, sizeof(buf)}, END};

	char want[MC_MSG_MAX];

	memset(buf, 'a', sizeof(buf));
	snprintf(want, sizeof(want),
		 "a line of the server's %s is longer than %d bytes: \"%.120s...\"", STAGE,
		 MC_LINE_MAX, buf);
	irc_fail(t, "protocol.unexpected", want);
}
END_TEST

START_TEST(test_dialogue_too_big)
{
	static char buf[MC_DIALOGUE_MAX + 4096];
	struct turn t[] = {{buf, 0}, END};
	const char *l = ":irc.example NOTICE * :xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			"\r\n";
	size_t n = strlen(l);

	while (t[0].len + n <= sizeof(buf)) {
		memcpy(buf + t[0].len, l, n);
		t[0].len += n;
	}
	irc_fail(t, "protocol.unexpected",
		 "the server sent more than 65536 bytes before TLS (during its " STAGE ")");
}
END_TEST

START_TEST(test_eof)
{
	const struct turn none[] = {END};
	const struct turn partial[] = {T(NOTICE ":irc.example 6"), END};
	const struct turn after[] = {T(GO), END};

	irc_fail(none, "protocol.unexpected", EOF_MSG);
	irc_fail(partial, "protocol.unexpected", EOF_MSG ": \":irc.example 6\"");
	expect_tls(IRC, after, SENT);
}
END_TEST

static Suite *proto_irc_suite(void)
{
	Suite *s = suite_create("proto-irc");
	TCase *good = tcase_create("good"), *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_path);
	suite_add_tcase(s, good);
	tcase_add_test(hostile, test_refused);
	tcase_add_test(hostile, test_error_line);
	tcase_add_test(hostile, test_not_numeric);
	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_too_many_skipped);
	tcase_add_test(hostile, test_line_over_limit);
	tcase_add_test(hostile, test_dialogue_too_big);
	tcase_add_test(hostile, test_eof);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_irc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

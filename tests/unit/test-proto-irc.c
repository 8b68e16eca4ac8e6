/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The IRC dialogue against scripted servers (docs/design.md, "STARTTLS
 * rules every dialogue obeys"), and the line splitter and reply parser
 * under them. Every transcript runs twice, each server turn in one input
 * call and then one byte per call, and must end the same way both times.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "proto/lines.h"
#include "proto/proto.h"

#include "../common/script.h"

#define HELO "client.example"

static const struct mc_dialogue_params script_params = {.helo = HELO};

#define IRC MAILCERT_PROTO_IRC
#define SENT "STARTTLS\r\n"
#define NOTICE ":irc.example NOTICE * :*** Looking up your hostname...\r\n"
#define STAGE "reply to STARTTLS"
#define EOF_MSG "the server closed the connection before the end of its " STAGE
#define GO ":irc.example 670 * :STARTTLS successful, go ahead with TLS handshake\r\n"

static void irc_fail(const struct mc_script_turn *t, const char *code, const char *message)
{
	mc_script_expect(IRC, &script_params, t, SENT, MC_STEP_FAIL, code, message);
}

START_TEST(test_good_path)
{
	const struct mc_script_turn t[] = {T(GO), END};
	const struct mc_script_turn n[] = {T(NOTICE),
					   T(":irc.example NOTICE * :*** Found your hostname\r\n"),
					   T("PING :irc.example\r\n" GO), END};
	const struct mc_script_turn bare[] = {T("670 :go\n"), END};

	mc_script_expect_tls(IRC, &script_params, t, SENT);
	mc_script_expect_tls(IRC, &script_params, n, SENT);
	mc_script_expect_tls(IRC, &script_params, bare, SENT);
}
END_TEST

START_TEST(test_refused)
{
	const struct mc_script_turn r691[] = {T(NOTICE),
					      T(":irc.example 691 * :STARTTLS failure\r\n"), END};
	const struct mc_script_turn r421[] = {T(":irc.example 421 * STARTTLS :Unknown command\r\n"),
					      END};
	const struct mc_script_turn r451[] = {
	    T(":irc.example 451 * STARTTLS :You have not registered\r\n"), END};

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
	const struct mc_script_turn t[] = {T(NOTICE),
					   T("ERROR :Closing link: (unknown@127.0.0.1)\r\n"), END};

	irc_fail(t, "protocol.unexpected",
		 "the server closed the link: \"ERROR :Closing link: (unknown@127.0.0.1)\"");
}
END_TEST

/* A numeric that only looks like 670 is not the go-ahead. */
START_TEST(test_not_numeric)
{
	const struct mc_script_turn t[] = {T(":670 NOTICE * :6700\r\n:x 6700 y\r\n:x 67 y\r\n"),
					   END};

	irc_fail(t, "protocol.unexpected", EOF_MSG);
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(GO ":irc.example 001 you :Welcome\r\n"), END};

	irc_fail(t, "starttls.injection",
		 "31 bytes followed the server's 670 go-ahead before TLS (response injection): "
		 "\":irc.example 001 you :Welcome\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(GO), T("X"), END};

	irc_fail(
	    t, "starttls.injection",
	    "1 byte followed the server's 670 go-ahead before TLS (response injection): \"X\"");
}
END_TEST

/* IRC has no capability list before STARTTLS: "missing" is silence or skipped lines. */
START_TEST(test_too_many_skipped)
{
	static char buf[65 * sizeof(NOTICE)];
	struct mc_script_turn t[] = {{buf, 0}, END};

	for (int i = 0; i < 65; i++) {
		memcpy(buf + t[0].len, NOTICE, sizeof(NOTICE) - 1);
		t[0].len += sizeof(NOTICE) - 1;
	}
	irc_fail(
	    t, "protocol.unexpected",
	    "no reply to STARTTLS after 64 lines: \":irc.example NOTICE * :*** Looking up your "
	    "hostname...\"");
}
END_TEST

START_TEST(test_line_over_limit)
{
	static char buf[MC_LINE_MAX + 10];
	struct mc_script_turn t[] = {{buf, sizeof(buf)}, END};

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
	struct mc_script_turn t[] = {{buf, 0}, END};
	const char *l =
	    ":irc.example NOTICE * :xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
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
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn partial[] = {T(NOTICE ":irc.example 6"), END};
	const struct mc_script_turn after[] = {T(GO), END};

	irc_fail(none, "protocol.unexpected", EOF_MSG);
	irc_fail(partial, "protocol.unexpected", EOF_MSG ": \":irc.example 6\"");
	mc_script_expect_tls(IRC, &script_params, after, SENT);
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

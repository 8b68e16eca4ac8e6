/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NNTP dialogue against scripted servers (docs/design.md, "STARTTLS
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

#define NNTP MAILCERT_PROTO_NNTP
#define CAPA "CAPABILITIES\r\n"
#define SENT CAPA "STARTTLS\r\n"
#define GREET200 "200 news.example InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"
#define GREET201 "201 news.example InterNetNews NNRP server INN 2.7.1 ready (no posting)\r\n"
#define CAPS_HEAD "101 Capability list:\r\nVERSION 2\r\nIMPLEMENTATION INN 2.7.1\r\n"
#define CAPS_TAIL                                                                                  \
	"AUTHINFO\r\nHDR\r\nLIST ACTIVE ACTIVE.TIMES COUNTS DISTRIB.PATS\r\nREADER\r\n.\r\n"
#define CAPS CAPS_HEAD "STARTTLS\r\n" CAPS_TAIL
#define GO "382 Begin TLS negotiation now\r\n"

static void nntp_fail(const struct mc_script_turn *t, const char *sent, const char *code,
		      const char *message)
{
	mc_script_expect(NNTP, &script_params, t, sent, MC_STEP_FAIL, code, message);
}

START_TEST(test_good_path)
{
	const struct mc_script_turn t200[] = {T(GREET200), T(CAPS), T(GO), END};
	const struct mc_script_turn t201[] = {T(GREET201), T(CAPS), T(GO), END};
	/* Labels are case-insensitive (RFC 3977 section 3.3.2), LF alone ends a line. */
	const struct mc_script_turn lower[] = {T("200 ok\n"), T("101\nversion 2\nstarttls\n.\n"),
					       T("382\n"), END};
	/* Arguments after a tab; the list in pieces that split lines. */
	const struct mc_script_turn split[] = {T("200 ok\r\n"),
					       T("101 caps\r\nVERSION 2\r\nStartTLS"),
					       T("\targ\r\n.\r"),
					       T("\n"),
					       T(GO),
					       END};

	mc_script_expect_tls(NNTP, &script_params, t200, SENT);
	mc_script_expect_tls(NNTP, &script_params, t201, SENT);
	mc_script_expect_tls(NNTP, &script_params, lower, SENT);
	mc_script_expect_tls(NNTP, &script_params, split, SENT);
}
END_TEST

/* Only the label counts, matched whole. */
START_TEST(test_not_offered)
{
	const struct mc_script_turn t[] = {T(GREET200), T(CAPS_HEAD CAPS_TAIL), END};
	const struct mc_script_turn lookalike[] = {
	    T(GREET200),
	    T("101 caps\r\nVERSION 2\r\nSTARTTLS2\r\nX-STARTTLS\r\n"
	      "LIST STARTTLS\r\n.\r\n"),
	    END};
	const struct mc_script_turn empty[] = {T(GREET200), T("101 caps\r\n.\r\n"), END};

	nntp_fail(t, CAPA, "starttls.not-offered",
		  "the server did not advertise STARTTLS in its capability list; its "
		  "capabilities: \"VERSION IMPLEMENTATION AUTHINFO HDR LIST READER\"");
	nntp_fail(lookalike, CAPA, "starttls.not-offered",
		  "the server did not advertise STARTTLS in its capability list; its "
		  "capabilities: \"VERSION STARTTLS2 X-STARTTLS LIST\"");
	nntp_fail(empty, CAPA, "starttls.not-offered",
		  "the server did not advertise STARTTLS: its capability list is empty");
}
END_TEST

/* A server older than RFC 3977, or one that wants authentication first. */
START_TEST(test_capabilities_refused)
{
	const struct mc_script_turn r500[] = {T(GREET200), T("500 What?\r\n"), END};
	const struct mc_script_turn r480[] = {T(GREET201), T("480 Authentication required\r\n"),
					      END};

	nntp_fail(r500, CAPA, "starttls.not-offered",
		  "the server lists no capabilities (CAPABILITIES answered 500), so no STARTTLS: "
		  "\"500 What?\"");
	nntp_fail(r480, CAPA, "starttls.not-offered",
		  "the server lists no capabilities (CAPABILITIES answered 480), so no STARTTLS: "
		  "\"480 Authentication required\"");
}
END_TEST

START_TEST(test_refused)
{
	const struct mc_script_turn r502[] = {T(GREET200), T(CAPS), T("502 Already using TLS\r\n"),
					      END};
	const struct mc_script_turn r580[] = {T(GREET200), T(CAPS),
					      T("580 Can not initiate TLS\r\n"), END};
	const struct mc_script_turn r483[] = {T(GREET200), T(CAPS),
					      T("483 Encryption required\r\n"), END};

	nntp_fail(r502, SENT, "starttls.refused",
		  "the server refused STARTTLS: \"502 Already using TLS\"");
	nntp_fail(r580, SENT, "starttls.refused",
		  "the server refused STARTTLS: \"580 Can not initiate TLS\"");
	nntp_fail(r483, SENT, "starttls.refused",
		  "the server refused STARTTLS: \"483 Encryption required\"");
}
END_TEST

START_TEST(test_greeting)
{
	const struct mc_script_turn r400[] = {T("400 Service temporarily unavailable\r\n"), END};
	const struct mc_script_turn r502[] = {
	    T("502 You have no permission to talk.  Goodbye!\r\n"), END};
	const struct mc_script_turn smtp[] = {T("220 mail.example ESMTP\r\n"), END};
	const struct mc_script_turn text[] = {T("* OK IMAP4rev1 ready\r\n"), END};
	const struct mc_script_turn dash[] = {T("200-news.example\r\n"), END};

	nntp_fail(r400, "", "protocol.unexpected",
		  "the server is temporarily unavailable (greeting 400): \"400 Service "
		  "temporarily unavailable\"");
	nntp_fail(r502, "", "protocol.unexpected",
		  "the server refuses service to this client (greeting 502): \"502 You have no "
		  "permission to talk.  Goodbye!\"");
	nntp_fail(smtp, "", "protocol.unexpected",
		  "the server's greeting was not 200 or 201: \"220 mail.example ESMTP\"");
	nntp_fail(text, "", "protocol.unexpected",
		  "the server's greeting is not a status line: \"* OK IMAP4rev1 ready\"");
	nntp_fail(dash, "", "protocol.unexpected",
		  "the server's greeting is not a status line: \"200-news.example\"");
}
END_TEST

/*
 * RFC 3977 section 3.1.1: the receiver drops the first "." of any line that
 * starts with one: "..STARTTLS" is the line ".STARTTLS", no capability;
 * ".STARTTLS" is STARTTLS; ".." is the line ".".
 */
START_TEST(test_dot_stuffed)
{
	const struct mc_script_turn stuffed[] = {T(GREET200),
						 T("101 caps\r\nVERSION 2\r\n..\r\n..STARTTLS\r\n"
						   ".\r\n"),
						 END};
	const struct mc_script_turn real[] = {
	    T(GREET200), T("101 caps\r\n..\r\n.STARTTLS\r\n.\r\n"), T(GO), END};

	nntp_fail(stuffed, CAPA, "starttls.not-offered",
		  "the server did not advertise STARTTLS in its capability list; its "
		  "capabilities: \"VERSION . .STARTTLS\"");
	mc_script_expect_tls(NNTP, &script_params, real, SENT);
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(GREET200), T(CAPS), T(GO "101 Capability list:\r\n"),
					   END};

	nntp_fail(t, SENT, "starttls.injection",
		  "22 bytes followed the server's 382 go-ahead before TLS (response injection): "
		  "\"101 Capability list:\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(GREET200), T(CAPS), T(GO), T("X"), END};

	nntp_fail(t, SENT, "starttls.injection",
		  "1 byte followed the server's 382 go-ahead before TLS (response injection): "
		  "\"X\"");
}
END_TEST

/*
 * Rule 3: the server may not answer ahead of the command, which is then not
 * sent. Only in one chunk: fed a byte at a time, the driver cannot tell.
 */
START_TEST(test_running_ahead)
{
	const struct mc_script_turn t[] = {T(GREET200 CAPS), END};
	struct mc_script_outcome o;

	mc_script_drive(&o, NNTP, &script_params, t, 0);
	mc_script_check(
	    &o, "whole turns", "", MC_STEP_FAIL, "protocol.unexpected",
	    "the server sent 141 bytes after its greeting without waiting for the next "
	    "command: \"101 Capability list:\\x0d\\x0aVERSION 2\\x0d\\x0aIMPLEMENTATION "
	    "INN 2.7.1\\x0d\\x0aSTARTTLS\\x0d\\x0aAUTHINFO\\x0d\\x0aHDR\\x0d\\x0aLIST "
	    "ACTIVE ACTIVE.TIMES COUNTS DIST...\"");
}
END_TEST

START_TEST(test_list_over_limit)
{
	static char buf[200 * 16];
	struct mc_script_turn t[] = {T(GREET200), {buf, 0}, END};

	t[1].len = (size_t)snprintf(buf, sizeof(buf), "101 caps\r\n");
	for (int i = 0; i < 129; i++)
		t[1].len +=
		    (size_t)snprintf(buf + t[1].len, sizeof(buf) - t[1].len, "X-CAP-%d\r\n", i);
	t[1].len += (size_t)snprintf(buf + t[1].len, sizeof(buf) - t[1].len, "STARTTLS\r\n.\r\n");
	nntp_fail(t, CAPA, "protocol.unexpected",
		  "the server's capability list has more than 128 lines");
}
END_TEST

START_TEST(test_list_at_limit)
{
	static char buf[200 * 16];
	struct mc_script_turn t[] = {T(GREET200), {buf, 0}, T(GO), END};

	t[1].len = (size_t)snprintf(buf, sizeof(buf), "101 caps\r\n");
	for (int i = 0; i < 127; i++)
		t[1].len +=
		    (size_t)snprintf(buf + t[1].len, sizeof(buf) - t[1].len, "X-CAP-%d\r\n", i);
	t[1].len += (size_t)snprintf(buf + t[1].len, sizeof(buf) - t[1].len, "STARTTLS\r\n.\r\n");
	mc_script_expect_tls(NNTP, &script_params, t, SENT);
}
END_TEST

START_TEST(test_line_over_limit)
{
	static char buf[MC_LINE_MAX + 10];
	struct mc_script_turn greet[] = {{buf, sizeof(buf)}, END};
	struct mc_script_turn list[] = {T(GREET200), T("101 caps\r\n"), {buf, sizeof(buf)}, END};
	char want[MC_MSG_MAX];

	memset(buf, '2', sizeof(buf));
	snprintf(want, sizeof(want),
		 "a line of the server's greeting is longer than %d bytes: \"%.120s...\"",
		 MC_LINE_MAX, buf);
	nntp_fail(greet, "", "protocol.unexpected", want);
	snprintf(want, sizeof(want),
		 "a line of the server's capability list is longer than %d bytes: \"%.120s...\"",
		 MC_LINE_MAX, buf);
	nntp_fail(list, CAPA, "protocol.unexpected", want);
}
END_TEST

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn greeting[] = {T("200 news"), END};
	const struct mc_script_turn capa[] = {T(GREET200), END};
	const struct mc_script_turn mid_list[] = {T(GREET200), T(CAPS_HEAD "STARTTLS\r\nREA"), END};
	const struct mc_script_turn no_dot[] = {T(GREET200), T(CAPS_HEAD "STARTTLS\r\n"), END};
	const struct mc_script_turn starttls[] = {T(GREET200), T(CAPS), END};
	const struct mc_script_turn after[] = {T(GREET200), T(CAPS), T(GO), END};

	nntp_fail(none, "", "protocol.unexpected",
		  "the server closed the connection before the end of its greeting");
	nntp_fail(greeting, "", "protocol.unexpected",
		  "the server closed the connection before the end of its greeting: \"200 news\"");
	nntp_fail(capa, CAPA, "protocol.unexpected",
		  "the server closed the connection before the end of its reply to CAPABILITIES");
	nntp_fail(mid_list, CAPA, "protocol.unexpected",
		  "the server closed the connection before the end of its capability list: "
		  "\"REA\"");
	nntp_fail(no_dot, CAPA, "protocol.unexpected",
		  "the server closed the connection before the end of its capability list");
	nntp_fail(starttls, SENT, "protocol.unexpected",
		  "the server closed the connection before the end of its reply to STARTTLS");
	mc_script_expect_tls(NNTP, &script_params, after, SENT);
}
END_TEST

static Suite *proto_nntp_suite(void)
{
	Suite *s = suite_create("proto-nntp");
	TCase *good = tcase_create("good"), *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_path);
	tcase_add_test(good, test_dot_stuffed);
	tcase_add_test(good, test_list_at_limit);
	suite_add_tcase(s, good);
	tcase_add_test(hostile, test_not_offered);
	tcase_add_test(hostile, test_capabilities_refused);
	tcase_add_test(hostile, test_refused);
	tcase_add_test(hostile, test_greeting);
	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_running_ahead);
	tcase_add_test(hostile, test_list_over_limit);
	tcase_add_test(hostile, test_line_over_limit);
	tcase_add_test(hostile, test_eof);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_nntp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

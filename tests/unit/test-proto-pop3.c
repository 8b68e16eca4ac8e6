/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The POP3 dialogue against scripted servers (docs/design.md, "STARTTLS rules
 * every dialogue obeys"). Every transcript runs twice, each server turn in
 * one input call and then one byte per call, and must end the same way
 * both times.
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

/* .unadvertised is set by the transcripts that need it, reset() clears it. */
static struct mc_dialogue_params script_params = {.helo = HELO};

#define POP3 MAILCERT_PROTO_POP3
#define GREETING "+OK Dovecot (Debian) ready.\r\n"
#define CAPA                                                                                       \
	"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n"     \
	"SASL\r\n.\r\n"
#define GO "+OK Begin TLS negotiation now.\r\n"
#define SENT_CAPA "CAPA\r\n"
#define SENT_BOTH SENT_CAPA "STLS\r\n"
#define STAGE_CAPA "reply to CAPA"
#define STAGE_STLS "reply to STLS"
#define NO_CAPA                                                                                    \
	"the server does not support CAPA (RFC 2449), so it cannot advertise STLS; "               \
	"--force-starttls sends STLS anyway"

static void pop3_fail(const struct mc_script_turn *t, const char *sent, const char *code,
		      const char *message)
{
	mc_script_expect(POP3, &script_params, t, sent, MC_STEP_FAIL, code, message);
}

/* Check forks per test by default, but not under valgrind: start each clean. */
static void reset(void)
{
	script_params.unadvertised = 0;
}

/* ---- good paths ---------------------------------------------------- */

START_TEST(test_good_path)
{
	const struct mc_script_turn t[] = {T(GREETING), T(CAPA), T(GO), END};
	const struct mc_script_turn bare[] = {T("+OK\r\n"), T("+OK\r\nSTLS\r\n.\r\n"), T("+OK\r\n"),
					      END};

	mc_script_expect_tls(POP3, &script_params, t, SENT_BOTH);
	mc_script_expect_tls(POP3, &script_params, bare, SENT_BOTH);
}
END_TEST

/* RFC 2449 section 6: capability tags are case-insensitive. */
START_TEST(test_lowercase)
{
	const struct mc_script_turn t[] = {T("+ok hi\r\n"), T("+ok list\r\nuser\r\nStls\r\n.\r\n"),
					   T("+ok go\r\n"), END};

	mc_script_expect_tls(POP3, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_lf_only)
{
	const struct mc_script_turn t[] = {T("+OK ready\n"), T("+OK\nUSER\nSTLS\n.\n"), T("+OK\n"),
					   END};

	mc_script_expect_tls(POP3, &script_params, t, SENT_BOTH);
}
END_TEST

/* RFC 1939 section 3: a line starting with "." came with one more; only "." ends the list. */
START_TEST(test_dot_stuffed)
{
	const struct mc_script_turn stuffed[] = {
	    T(GREETING), T("+OK\r\n..\r\n...\r\n. \r\nSTLS\r\n.\r\n"), T(GO), END};
	const struct mc_script_turn not_stls[] = {T(GREETING), T("+OK\r\n..STLS\r\nUSER\r\n.\r\n"),
						  END};

	mc_script_expect_tls(POP3, &script_params, stuffed, SENT_BOTH);
	pop3_fail(not_stls, SENT_CAPA, "starttls.not-offered",
		  "the server did not advertise STLS in its " STAGE_CAPA
		  "; its capabilities: \".STLS USER\"");
}
END_TEST

/* ---- STLS missing, refused, no CAPA -------------------------------- */

START_TEST(test_not_offered)
{
	const struct mc_script_turn t[] = {
	    T(GREETING),
	    T("+OK Capability list follows\r\nTOP\r\nUSER\r\nSTLSX\r\n"
	      "SASL PLAIN STLS\r\n.\r\n"),
	    END};
	const struct mc_script_turn empty[] = {T(GREETING), T("+OK\r\n.\r\n"), END};

	pop3_fail(t, SENT_CAPA, "starttls.not-offered",
		  "the server did not advertise STLS in its " STAGE_CAPA
		  "; its capabilities: \"TOP USER STLSX SASL\"");
	pop3_fail(empty, SENT_CAPA, "starttls.not-offered",
		  "the server did not advertise STLS in its " STAGE_CAPA
		  "; its capabilities: \"\"");
}
END_TEST

START_TEST(test_refused)
{
	const struct mc_script_turn t[] = {T(GREETING), T(CAPA),
					   T("-ERR [SYS/TEMP] TLS unavailable\r\n"), END};

	pop3_fail(t, SENT_BOTH, "starttls.refused",
		  "the server refused STLS: \"-ERR [SYS/TEMP] TLS unavailable\"");
}
END_TEST

/* An RFC 1939-only server: STLS only when asked, since nothing advertised it. */
START_TEST(test_no_capa)
{
	const struct mc_script_turn t[] = {T(GREETING), T("-ERR Unknown command.\r\n"), T(GO), END};
	const struct mc_script_turn refused[] = {T(GREETING), T("-ERR Unknown command.\r\n"),
						 T("-ERR Unknown command.\r\n"), END};

	reset();
	pop3_fail(t, SENT_CAPA, "starttls.not-offered", NO_CAPA ": \"-ERR Unknown command.\"");
	script_params.unadvertised = 1;
	mc_script_expect_tls(POP3, &script_params, t, SENT_BOTH);
	pop3_fail(refused, SENT_BOTH, "starttls.refused",
		  "the server refused STLS: \"-ERR Unknown command.\"");
	reset();
}
END_TEST

/* The option changes nothing when CAPA answers and lacks STLS. */
START_TEST(test_unadvertised_with_capa)
{
	const struct mc_script_turn t[] = {T(GREETING), T("+OK\r\nUSER\r\n.\r\n"), END};

	script_params.unadvertised = 1;
	pop3_fail(t, SENT_CAPA, "starttls.not-offered",
		  "the server did not advertise STLS in its " STAGE_CAPA
		  "; its capabilities: \"USER\"");
	reset();
}
END_TEST

/* ---- hostile ------------------------------------------------------- */

START_TEST(test_greeting)
{
	const struct mc_script_turn err[] = {T("-ERR [SYS/PERM] Too many connections\r\n"), END};
	const struct mc_script_turn imap[] = {T("* OK IMAP4rev1 ready\r\n"), END};
	const struct mc_script_turn okay[] = {T("+OKAY\r\n"), END};

	pop3_fail(err, "", "protocol.unexpected",
		  "the server's greeting was -ERR: \"-ERR [SYS/PERM] Too many connections\"");
	pop3_fail(imap, "", "protocol.unexpected",
		  "the server's greeting was not +OK: \"* OK IMAP4rev1 ready\"");
	pop3_fail(okay, "", "protocol.unexpected", "the server's greeting was not +OK: \"+OKAY\"");
}
END_TEST

START_TEST(test_odd_replies)
{
	const struct mc_script_turn capa[] = {T(GREETING), T("OK fine\r\n"), END};
	const struct mc_script_turn stls[] = {T(GREETING), T(CAPA), T("220 go ahead\r\n"), END};

	pop3_fail(capa, SENT_CAPA, "protocol.unexpected",
		  "the server's reply to CAPA was neither +OK nor -ERR: \"OK fine\"");
	pop3_fail(stls, SENT_BOTH, "protocol.unexpected",
		  "the server's reply to STLS was neither +OK nor -ERR: \"220 go ahead\"");
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(GREETING), T(CAPA), T(GO "+OK logged in\r\n"), END};

	pop3_fail(t, SENT_BOTH, "starttls.injection",
		  "15 bytes followed the server's +OK go-ahead before TLS (response injection): "
		  "\"+OK logged in\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(GREETING), T(CAPA), T(GO), T("+"), END};

	pop3_fail(t, SENT_BOTH, "starttls.injection",
		  "1 byte followed the server's +OK go-ahead before TLS (response injection): "
		  "\"+\"");
}
END_TEST

START_TEST(test_too_many_lines)
{
	static char buf[8 + 129 * 6 + 4];
	struct mc_script_turn t[] = {T(GREETING), {buf, 0}, END};

	memcpy(buf, "+OK\r\n", 5);
	t[1].len = 5;
	for (int i = 0; i < 129; i++) {
		memcpy(buf + t[1].len, "USER\r\n", 6);
		t[1].len += 6;
	}
	pop3_fail(t, SENT_CAPA, "protocol.unexpected",
		  "the server's " STAGE_CAPA " has more than 128 lines");
}
END_TEST

START_TEST(test_line_over_limit)
{
	static char buf[MC_LINE_MAX + 10];
	struct mc_script_turn t[] = {T(GREETING), {buf, sizeof(buf)}, END};
	char want[MC_MSG_MAX];

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "+OK\r\n", 5);
	snprintf(want, sizeof(want),
		 "a line of the server's " STAGE_CAPA " is longer than %d bytes: \"%.120s...\"",
		 MC_LINE_MAX, buf + 5);
	pop3_fail(t, SENT_CAPA, "protocol.unexpected", want);
}
END_TEST

/* 1 KiB capability lines: the byte bound comes before the line bound. */
START_TEST(test_reply_over_bound)
{
	static char buf[MC_DIALOGUE_MAX + 4096];
	struct mc_script_turn t[] = {T(GREETING), {buf, 0}, END};
	char line[1024];

	memset(line, 'x', sizeof(line));
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	memcpy(buf, "+OK\r\n", 5);
	t[1].len = 5;
	while (t[1].len + sizeof(line) <= sizeof(buf)) {
		memcpy(buf + t[1].len, line, sizeof(line));
		t[1].len += sizeof(line);
	}
	pop3_fail(t, SENT_CAPA, "protocol.unexpected",
		  "the server sent more than 65536 bytes before TLS (during its " STAGE_CAPA ")");
}
END_TEST

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn greeting[] = {T("+OK Dove"), END};
	const struct mc_script_turn mid[] = {T(GREETING), T("+OK\r\nUSER\r\nST"), END};
	const struct mc_script_turn no_end[] = {T(GREETING), T("+OK\r\nUSER\r\nSTLS\r\n"), END};
	const struct mc_script_turn stls[] = {T(GREETING), T(CAPA), END};

	pop3_fail(none, "", "protocol.unexpected",
		  "the server closed the connection before the end of its greeting");
	pop3_fail(greeting, "", "protocol.unexpected",
		  "the server closed the connection before the end of its greeting: \"+OK Dove\"");
	pop3_fail(mid, SENT_CAPA, "protocol.unexpected",
		  "the server closed the connection before the end of its " STAGE_CAPA ": \"ST\"");
	pop3_fail(no_end, SENT_CAPA, "protocol.unexpected",
		  "the server closed the connection before the end of its " STAGE_CAPA);
	pop3_fail(stls, SENT_BOTH, "protocol.unexpected",
		  "the server closed the connection before the end of its " STAGE_STLS);
}
END_TEST

static Suite *proto_pop3_suite(void)
{
	Suite *s = suite_create("proto-pop3");
	TCase *good = tcase_create("good"), *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_path);
	tcase_add_test(good, test_lowercase);
	tcase_add_test(good, test_lf_only);
	tcase_add_test(good, test_dot_stuffed);
	suite_add_tcase(s, good);
	tcase_add_test(hostile, test_not_offered);
	tcase_add_test(hostile, test_refused);
	tcase_add_test(hostile, test_no_capa);
	tcase_add_test(hostile, test_unadvertised_with_capa);
	tcase_add_test(hostile, test_greeting);
	tcase_add_test(hostile, test_odd_replies);
	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_too_many_lines);
	tcase_add_test(hostile, test_line_over_limit);
	tcase_add_test(hostile, test_reply_over_bound);
	tcase_add_test(hostile, test_eof);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_pop3_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The IMAP dialogue against scripted servers (docs/design.md, "STARTTLS rules
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

static const struct mc_dialogue_params script_params = {.helo = HELO};

#define IMAP MAILCERT_PROTO_IMAP
#define GREETING "* OK Dovecot (Debian) ready.\r\n"
#define GREETING_CAPS                                                                              \
	"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "     \
	"LOGINDISABLED] Dovecot (Debian) ready.\r\n"
#define CAPS                                                                                       \
	"* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED\r\n"                                \
	"a001 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"
#define GO "a002 OK Begin TLS negotiation now.\r\n"
#define SENT_CAPA "a001 CAPABILITY\r\n"
#define SENT_STARTTLS "a002 STARTTLS\r\n"
#define SENT_BOTH SENT_CAPA SENT_STARTTLS
#define STAGE_CAPA "reply to CAPABILITY"
#define STAGE_STARTTLS "reply to STARTTLS"

static void imap_fail(const struct mc_script_turn *t, const char *sent, const char *code,
		      const char *message)
{
	mc_script_expect(IMAP, &script_params, t, sent, MC_STEP_FAIL, code, message);
}

/* ---- good paths ---------------------------------------------------- */

START_TEST(test_good_path)
{
	const struct mc_script_turn t[] = {T(GREETING), T(CAPS), T(GO), END};

	mc_script_expect_tls(IMAP, &script_params, t, SENT_BOTH);
}
END_TEST

/* RFC 3501 section 7.1: the greeting's [CAPABILITY ...] spares the command. */
START_TEST(test_capability_in_greeting)
{
	const struct mc_script_turn t[] = {T(GREETING_CAPS), T(GO), END};
	const struct mc_script_turn bare[] = {T("* OK [CAPABILITY STARTTLS]\r\n"), T("a002 OK\r\n"),
					      END};

	mc_script_expect_tls(IMAP, &script_params, t, SENT_STARTTLS);
	mc_script_expect_tls(IMAP, &script_params, bare, SENT_STARTTLS);
}
END_TEST

/* RFC 3501 section 9: atoms are case-insensitive; tags are not. */
START_TEST(test_lowercase_atoms)
{
	const struct mc_script_turn greet[] = {T("* ok [capability imap4rev1 starttls] hi\r\n"),
					       T("a002 ok go\r\n"), END};
	const struct mc_script_turn cmd[] = {
	    T("* ok hi\r\n"), T("* capability imap4rev1 StartTls\r\na001 Ok done\r\n"),
	    T("a002 oK\r\n"), END};

	mc_script_expect_tls(IMAP, &script_params, greet, SENT_STARTTLS);
	mc_script_expect_tls(IMAP, &script_params, cmd, SENT_BOTH);
}
END_TEST

START_TEST(test_lf_only)
{
	const struct mc_script_turn t[] = {T("* OK ready\n"),
					   T("* CAPABILITY IMAP4rev1 STARTTLS\na001 OK\n"),
					   T("a002 OK go\n"), END};

	mc_script_expect_tls(IMAP, &script_params, t, SENT_BOTH);
}
END_TEST

/* Untagged lines that say nothing about STARTTLS are skipped. */
START_TEST(test_untagged_skipped)
{
	const struct mc_script_turn t[] = {
	    T("* OK [ALERT] maintenance tonight\r\n"),
	    T("* OK [ALERT] really\r\n* 1 EXISTS\r\n* CAPABILITY IMAP4rev1\r\n"
	      "* CAPABILITY STARTTLS\r\na001 OK\r\n"),
	    T("* OK still here\r\n* CAPABILITY IMAP4rev1\r\n" GO), END};

	mc_script_expect_tls(IMAP, &script_params, t, SENT_BOTH);
}
END_TEST

/* Text ending like a literal that is not one ("{x}") is only text. */
START_TEST(test_braces_not_literal)
{
	const struct mc_script_turn t[] = {T("* OK {x} ready {}\r\n"), T(CAPS), T(GO), END};

	mc_script_expect_tls(IMAP, &script_params, t, SENT_BOTH);
}
END_TEST

/* ---- STARTTLS missing, refused ------------------------------------- */

START_TEST(test_not_offered_greeting)
{
	const struct mc_script_turn t[] = {T("* OK [CAPABILITY IMAP4rev1 NOSTARTTLS STARTTLS2 "
					     "AUTH=STARTTLS] ready\r\n"),
					   END};

	imap_fail(t, "", "starttls.not-offered",
		  "the server did not advertise STARTTLS in its greeting; its capabilities: "
		  "\"IMAP4rev1 NOSTARTTLS STARTTLS2 AUTH=STARTTLS\"");
}
END_TEST

START_TEST(test_not_offered_command)
{
	const struct mc_script_turn t[] = {
	    T(GREETING), T("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na001 OK done\r\n"), END};
	const struct mc_script_turn none[] = {T(GREETING), T("a001 OK done\r\n"), END};

	imap_fail(t, SENT_CAPA, "starttls.not-offered",
		  "the server did not advertise STARTTLS in its " STAGE_CAPA
		  "; its capabilities: \"IMAP4rev1 AUTH=PLAIN\"");
	imap_fail(none, SENT_CAPA, "starttls.not-offered",
		  "the server did not advertise STARTTLS in its " STAGE_CAPA
		  "; its capabilities: \"\"");
}
END_TEST

START_TEST(test_refused)
{
	const struct mc_script_turn no[] = {T(GREETING_CAPS),
					    T("a002 NO [UNAVAILABLE] TLS not ready\r\n"), END};
	const struct mc_script_turn bad[] = {T(GREETING), T(CAPS),
					     T("a002 BAD Unknown command\r\n"), END};

	imap_fail(no, SENT_STARTTLS, "starttls.refused",
		  "the server refused STARTTLS: \"a002 NO [UNAVAILABLE] TLS not ready\"");
	imap_fail(bad, SENT_BOTH, "starttls.refused",
		  "the server refused STARTTLS: \"a002 BAD Unknown command\"");
}
END_TEST

START_TEST(test_capability_refused)
{
	const struct mc_script_turn t[] = {T(GREETING), T("a001 BAD Error in IMAP command\r\n"),
					   END};

	imap_fail(t, SENT_CAPA, "protocol.unexpected",
		  "the server refused CAPABILITY: \"a001 BAD Error in IMAP command\"");
}
END_TEST

/* ---- hostile greetings --------------------------------------------- */

/* RFC 3501 section 6.2.1: no STARTTLS once authenticated; never go on in plaintext. */
START_TEST(test_preauth)
{
	const struct mc_script_turn t[] = {
	    T("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] Logged in as "
	      "joe\r\n"),
	    END};
	const struct mc_script_turn lower[] = {T("* preauth hi\r\n"), END};

	imap_fail(t, "", "starttls.preauth",
		  "the server greeted with PREAUTH: the session is already authenticated in "
		  "plaintext, where STARTTLS is not allowed (RFC 3501 section 6.2.1): "
		  "\"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] Logged in as joe\"");
	imap_fail(lower, "", "starttls.preauth",
		  "the server greeted with PREAUTH: the session is already authenticated in "
		  "plaintext, where STARTTLS is not allowed (RFC 3501 section 6.2.1): "
		  "\"* preauth hi\"");
}
END_TEST

START_TEST(test_bye)
{
	const struct mc_script_turn greet[] = {T("* BYE Too many connections from your IP\r\n"),
					       END};
	const struct mc_script_turn later[] = {T(GREETING), T("* BYE Server shutting down\r\n"),
					       END};
	const struct mc_script_turn go[] = {T(GREETING_CAPS),
					    T("* BYE Disconnected for inactivity\r\n"), END};

	imap_fail(greet, "", "protocol.unexpected",
		  "the server said BYE in its greeting: \"* BYE Too many connections from your "
		  "IP\"");
	imap_fail(later, SENT_CAPA, "protocol.unexpected",
		  "the server said BYE in its " STAGE_CAPA ": \"* BYE Server shutting down\"");
	imap_fail(go, SENT_STARTTLS, "protocol.unexpected",
		  "the server said BYE in its " STAGE_STARTTLS
		  ": \"* BYE Disconnected for inactivity\"");
}
END_TEST

START_TEST(test_not_imap)
{
	const struct mc_script_turn pop[] = {T("+OK POP3 ready\r\n"), END};
	const struct mc_script_turn tagged[] = {T("a001 OK\r\n"), END};

	imap_fail(pop, "", "protocol.unexpected",
		  "the server's greeting was not \"* OK\": \"+OK POP3 ready\"");
	imap_fail(tagged, "", "protocol.unexpected",
		  "the server's greeting was not \"* OK\": \"a001 OK\"");
}
END_TEST

/* Literals need not be read before TLS, but must not be read as lines. */
START_TEST(test_literal)
{
	const struct mc_script_turn greet[] = {T("* OK hello {5}\r\nabcde\r\n"), END};
	const struct mc_script_turn caps[] = {
	    T(GREETING), T("* CAPABILITY IMAP4rev1 {8+}\r\nSTARTTLS\r\n"), END};

	imap_fail(greet, "", "protocol.unexpected",
		  "the server's greeting ends with an IMAP literal, which is not read before "
		  "TLS: \"* OK hello {5}\"");
	imap_fail(caps, SENT_CAPA, "protocol.unexpected",
		  "the server's " STAGE_CAPA " ends with an IMAP literal, which is not read "
		  "before TLS: \"* CAPABILITY IMAP4rev1 {8+}\"");
}
END_TEST

/* Tags are compared exactly (RFC 3501 section 2.2.1). */
START_TEST(test_wrong_tag)
{
	const struct mc_script_turn upper[] = {T(GREETING), T("A001 OK\r\n"), END};
	const struct mc_script_turn other[] = {T(GREETING_CAPS), T("a001 OK Begin TLS\r\n"), END};

	imap_fail(upper, SENT_CAPA, "protocol.unexpected",
		  "the server's " STAGE_CAPA " carries a tag other than a001: \"A001 OK\"");
	imap_fail(other, SENT_STARTTLS, "protocol.unexpected",
		  "the server's " STAGE_STARTTLS " carries a tag other than a002: \"a001 OK "
		  "Begin TLS\"");
}
END_TEST

START_TEST(test_malformed)
{
	const struct mc_script_turn status[] = {T(GREETING), T("a001 MAYBE\r\n"), END};
	const struct mc_script_turn empty[] = {T(GREETING_CAPS), T("\r\n"), END};
	const struct mc_script_turn open[] = {T("* OK [CAPABILITY IMAP4rev1 STARTTLS ready\r\n"),
					      END};
	const struct mc_script_turn plus[] = {T(GREETING_CAPS), T("+ go ahead\r\n"), END};

	imap_fail(status, SENT_CAPA, "protocol.unexpected",
		  "the server's " STAGE_CAPA " has a malformed line: \"a001 MAYBE\"");
	imap_fail(empty, SENT_STARTTLS, "protocol.unexpected",
		  "the server's " STAGE_STARTTLS " has a malformed line: \"\"");
	imap_fail(open, "", "protocol.unexpected",
		  "the server's greeting has a malformed line: \"* OK [CAPABILITY IMAP4rev1 "
		  "STARTTLS ready\"");
	imap_fail(plus, SENT_STARTTLS, "protocol.unexpected",
		  "the server's " STAGE_STARTTLS " is a continuation request: \"+ go ahead\"");
}
END_TEST

/* ---- injection, bounds, EOF ---------------------------------------- */

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(GREETING_CAPS), T(GO "a003 OK LOGIN done\r\n"), END};

	imap_fail(t, SENT_STARTTLS, "starttls.injection",
		  "20 bytes followed the server's a002 OK go-ahead before TLS (response "
		  "injection): \"a003 OK LOGIN done\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(GREETING), T(CAPS), T(GO), T("*"), END};

	imap_fail(t, SENT_BOTH, "starttls.injection",
		  "1 byte followed the server's a002 OK go-ahead before TLS (response injection): "
		  "\"*\"");
}
END_TEST

START_TEST(test_too_many_untagged)
{
	static char buf[65 * 16];
	struct mc_script_turn t[] = {T(GREETING_CAPS), {buf, 0}, END};

	for (int i = 0; i < 65; i++) {
		memcpy(buf + t[1].len, "* OK noise\r\n", 12);
		t[1].len += 12;
	}
	imap_fail(t, SENT_STARTTLS, "protocol.unexpected",
		  "no tagged " STAGE_STARTTLS " after 64 untagged lines: \"* OK noise\"");
}
END_TEST

START_TEST(test_line_over_limit)
{
	static char buf[MC_LINE_MAX + 10];
	struct mc_script_turn t[] = {{buf, sizeof(buf)}, END};
	char want[MC_MSG_MAX];

	memset(buf, 'a', sizeof(buf));
	snprintf(want, sizeof(want),
		 "a line of the server's greeting is longer than %d bytes: \"%.120s...\"",
		 MC_LINE_MAX, buf);
	imap_fail(t, "", "protocol.unexpected", want);
}
END_TEST

/* Untagged lines are bounded in number before the byte bound is reached. */
START_TEST(test_reply_over_bound)
{
	static char buf[MC_DIALOGUE_MAX + 4096];
	struct mc_script_turn t[] = {T(GREETING), {buf, 0}, END};
	char line[1024];

	memset(line, 'x', sizeof(line));
	memcpy(line, "* CAPABILITY ", 13);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	while (t[1].len + sizeof(line) <= sizeof(buf)) {
		memcpy(buf + t[1].len, line, sizeof(line));
		t[1].len += sizeof(line);
	}
	imap_fail(t, SENT_CAPA, "protocol.unexpected",
		  "the server sent more than 65536 bytes before TLS (during its " STAGE_CAPA ")");
}
END_TEST

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn greeting[] = {T("* OK Dovec"), END};
	const struct mc_script_turn mid[] = {T(GREETING),
					     T("* CAPABILITY IMAP4rev1 STARTTLS\r\na0"), END};
	const struct mc_script_turn tls[] = {T(GREETING_CAPS), END};

	imap_fail(none, "", "protocol.unexpected",
		  "the server closed the connection before the end of its greeting");
	imap_fail(greeting, "", "protocol.unexpected",
		  "the server closed the connection before the end of its greeting: \"* OK "
		  "Dovec\"");
	imap_fail(mid, SENT_CAPA, "protocol.unexpected",
		  "the server closed the connection before the end of its " STAGE_CAPA ": \"a0\"");
	imap_fail(tls, SENT_STARTTLS, "protocol.unexpected",
		  "the server closed the connection before the end of its " STAGE_STARTTLS);
}
END_TEST

static Suite *proto_imap_suite(void)
{
	Suite *s = suite_create("proto-imap");
	TCase *good = tcase_create("good"), *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_path);
	tcase_add_test(good, test_capability_in_greeting);
	tcase_add_test(good, test_lowercase_atoms);
	tcase_add_test(good, test_lf_only);
	tcase_add_test(good, test_untagged_skipped);
	tcase_add_test(good, test_braces_not_literal);
	suite_add_tcase(s, good);
	tcase_add_test(hostile, test_not_offered_greeting);
	tcase_add_test(hostile, test_not_offered_command);
	tcase_add_test(hostile, test_refused);
	tcase_add_test(hostile, test_capability_refused);
	tcase_add_test(hostile, test_preauth);
	tcase_add_test(hostile, test_bye);
	tcase_add_test(hostile, test_not_imap);
	tcase_add_test(hostile, test_literal);
	tcase_add_test(hostile, test_wrong_tag);
	tcase_add_test(hostile, test_malformed);
	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_too_many_untagged);
	tcase_add_test(hostile, test_line_over_limit);
	tcase_add_test(hostile, test_reply_over_bound);
	tcase_add_test(hostile, test_eof);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_imap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

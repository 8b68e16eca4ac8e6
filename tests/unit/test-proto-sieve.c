/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ManageSieve dialogue (RFC 5804) against scripted servers (docs/design.md,
 * "STARTTLS rules every dialogue obeys"): capabilities as quoted strings
 * and literals, OK/NO/BYE, and the bounds. Every transcript runs twice,
 * each server turn in one input call and then one byte per call, and must
 * end the same way both times.
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

#define SIEVE MAILCERT_PROTO_SIEVE
#define SENT "STARTTLS\r\n"
#define EOF_MSG "the server closed the connection before the end of its greeting"

/* Dovecot 2.3.19 with Pigeonhole, as Debian 12 sends it. */
#define CAPS_BEFORE                                                                                \
	"\"IMPLEMENTATION\" \"Dovecot (Debian) Pigeonhole\"\r\n"                                   \
	"\"SIEVE\" \"fileinto reject envelope encoded-character vacation subaddress "              \
	"comparator-i;ascii-numeric relational regex imap4flags copy include variables body "      \
	"enotify environment mailbox date index ihave duplicate mime foreverypart "                \
	"extracttext\"\r\n"                                                                        \
	"\"NOTIFY\" \"mailto\"\r\n"                                                                \
	"\"SASL\" \"PLAIN\"\r\n"
#define CAPS_AFTER "\"VERSION\" \"1.0\"\r\n"
#define READY "OK \"Dovecot (Debian) ready.\"\r\n"
#define DOVECOT CAPS_BEFORE "\"STARTTLS\"\r\n" CAPS_AFTER READY
#define GO "OK \"Begin TLS negotiation now.\"\r\n"
#define NAMES "IMPLEMENTATION SIEVE NOTIFY SASL VERSION"

static void sieve_fail(const struct mc_script_turn *t, const char *sent, const char *code,
		       const char *message)
{
	mc_script_expect(SIEVE, &script_params, t, sent, MC_STEP_FAIL, code, message);
}

START_TEST(test_good_path)
{
	const struct mc_script_turn t[] = {T(DOVECOT), T(GO), END};
	/* Split inside strings, escapes and line ends. */
	const struct mc_script_turn pieces[] = {T("\"IMPLEMENTATION\" \"Dove"),
						T("cot\"\r"),
						T("\n\"STA"),
						T("RTTLS\"\r\nOK"),
						T(" \"ready\"\r\n"),
						T("OK\r"),
						T("\n"),
						END};
	/* No text, LF alone, a response code, a literal in the go-ahead. */
	const struct mc_script_turn terse[] = {T("\"STARTTLS\"\nOK\n"),
					       T("OK (TAG {3}\r\nt\r\n) {5+}\r\nready\r\n"), END};

	mc_script_expect_tls(SIEVE, &script_params, t, SENT);
	mc_script_expect_tls(SIEVE, &script_params, pieces, SENT);
	mc_script_expect_tls(SIEVE, &script_params, terse, SENT);
}
END_TEST

/* RFC 5804 section 1.7: names and responses in any case. */
START_TEST(test_lowercase)
{
	const struct mc_script_turn t[] = {
	    T("\"implementation\" \"x\"\r\n\"starttls\"\r\nok \"hi\"\r\n"), T("Ok \"go\"\r\n"),
	    END};
	const struct mc_script_turn mixed[] = {T("\"StartTls\"\r\noK\r\n"), T("ok\r\n"), END};

	mc_script_expect_tls(SIEVE, &script_params, t, SENT);
	mc_script_expect_tls(SIEVE, &script_params, mixed, SENT);
}
END_TEST

/* Section 4: a capability name or value may be a literal, which may span lines. */
START_TEST(test_literals)
{
	const struct mc_script_turn name[] = {
	    T("{8}\r\nSTARTTLS\r\n\"SIEVE\" {16}\r\nfileinto\r\nreject\r\n"
	      "OK\r\n"),
	    T(GO), END};
	const struct mc_script_turn plus[] = {T("{8+}\r\nstarttls {0}\r\n\r\nOK {4}\r\nO\nK\n\r\n"),
					      T(GO), END};

	mc_script_expect_tls(SIEVE, &script_params, name, SENT);
	mc_script_expect_tls(SIEVE, &script_params, plus, SENT);
}
END_TEST

/* A line inside a literal (or a quoted value) is data, not a capability. */
START_TEST(test_starttls_inside_string)
{
	const struct mc_script_turn lit[] = {T("\"SIEVE\" {12}\r\n\"STARTTLS\"\r\n\r\nOK\r\n"),
					     END};
	const struct mc_script_turn lit_ok[] = {T("\"SIEVE\" {16}\r\n\"STARTTLS\"\r\nOK\r\n\r\n"),
						END};
	const struct mc_script_turn quoted[] = {
	    T("\"SIEVE\" \"STARTTLS\"\r\n\"X\" \"\\\"STARTTLS\\\"\"\r\n"
	      "OK\r\n"),
	    END};

	sieve_fail(lit, "", "starttls.not-offered",
		   "the server did not advertise STARTTLS in its greeting; its capabilities: "
		   "\"SIEVE\"");
	/* The OK inside the literal does not end the greeting either. */
	sieve_fail(lit_ok, "", "protocol.unexpected", EOF_MSG);
	sieve_fail(quoted, "", "starttls.not-offered",
		   "the server did not advertise STARTTLS in its greeting; its capabilities: "
		   "\"SIEVE X\"");
}
END_TEST

/* A literal's size is checked when announced: its bytes are never awaited. */
START_TEST(test_literal_huge)
{
	const struct mc_script_turn huge[] = {T("\"SIEVE\" {4294967296}\r\n"), END};
	const struct mc_script_turn digits[] = {
	    T("\"SIEVE\" {999999999999999999999999999999+}\r\n"), END};
	const struct mc_script_turn over[] = {T("\"SIEVE\" {2033}\r\n"), END};
	const struct mc_script_turn fits[] = {T("\"SIEVE\" {2032}\r\n"), END};

	sieve_fail(huge, "", "protocol.unexpected",
		   "the server's greeting announces a literal that would take its line past 2048 "
		   "bytes: \"\\\"SIEVE\\\" {4294967296}\"");
	sieve_fail(digits, "", "protocol.unexpected",
		   "the server's greeting announces a literal that would take its line past 2048 "
		   "bytes: \"\\\"SIEVE\\\" {999999999999999999999999999999+}\"");
	/* 16 bytes before it, CRLF included: 2033 more would make 2049. */
	sieve_fail(over, "", "protocol.unexpected",
		   "the server's greeting announces a literal that would take its line past 2048 "
		   "bytes: \"\\\"SIEVE\\\" {2033}\"");
	/* 2032 fits, and is awaited (the line end then cannot fit: see below). */
	sieve_fail(fits, "", "protocol.unexpected", EOF_MSG ": \"\\\"SIEVE\\\" {2032}\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_literal_huge_filled)
{
	static char buf[MC_LINE_MAX + 64];
	struct mc_script_turn t[] = {{buf, 0}, END};
	char want[MC_MSG_MAX];
	int n = snprintf(buf, sizeof(buf), "\"SIEVE\" {2032}\r\n");

	memset(buf + n, 'x', 2032);
	memcpy(buf + n + 2032, "\r\nOK\r\n", 6);
	t[0].len = (size_t)n + 2032 + 6;
	snprintf(want, sizeof(want),
		 "a line of the server's greeting is longer than 2048 bytes: \"\\\"SIEVE\\\" "
		 "{2032}\\x0d\\x0a%.104s...\"",
		 buf + n);
	sieve_fail(t, "", "protocol.unexpected", want);
}
END_TEST

START_TEST(test_not_offered)
{
	const struct mc_script_turn t[] = {T(CAPS_BEFORE CAPS_AFTER READY), END};
	const struct mc_script_turn none[] = {T("OK\r\n"), END};

	sieve_fail(t, "", "starttls.not-offered",
		   "the server did not advertise STARTTLS in its greeting; its capabilities: "
		   "\"" NAMES "\"");
	sieve_fail(none, "", "starttls.not-offered",
		   "the server did not advertise STARTTLS in its greeting; its capabilities: \"\"");
}
END_TEST

START_TEST(test_refused)
{
	const struct mc_script_turn no[] = {T(DOVECOT), T("NO \"TLS support isn't enabled.\"\r\n"),
					    END};
	const struct mc_script_turn bye[] = {T(DOVECOT), T("bye (TRYLATER) \"Shutting down\"\r\n"),
					     END};

	sieve_fail(no, SENT, "starttls.refused",
		   "the server refused STARTTLS: \"NO \\\"TLS support isn't enabled.\\\"\"");
	sieve_fail(bye, SENT, "starttls.refused",
		   "the server refused STARTTLS: \"bye (TRYLATER) \\\"Shutting down\\\"\"");
}
END_TEST

START_TEST(test_greeting_bye)
{
	const struct mc_script_turn bye[] = {T("BYE \"Too many connections\"\r\n"), END};
	const struct mc_script_turn no[] = {T("\"STARTTLS\"\r\nNo \"Maintenance\"\r\n"), END};

	sieve_fail(bye, "", "protocol.unexpected",
		   "the server's greeting ended in BYE instead of OK: \"BYE \\\"Too many "
		   "connections\\\"\"");
	sieve_fail(no, "", "protocol.unexpected",
		   "the server's greeting ended in NO instead of OK: \"No \\\"Maintenance\\\"\"");
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(DOVECOT), T(GO "OK \"fake\"\r\n"), END};

	sieve_fail(t, SENT, "starttls.injection",
		   "11 bytes followed the server's OK go-ahead before TLS (response injection): "
		   "\"OK \\\"fake\\\"\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(DOVECOT), T(GO), T("X"), END};

	sieve_fail(
	    t, SENT, "starttls.injection",
	    "1 byte followed the server's OK go-ahead before TLS (response injection): \"X\"");
}
END_TEST

/*
 * Rule 3: the server may not answer STARTTLS before it was sent. Only in
 * one call: byte by byte, the greeting's OK is taken (and STARTTLS sent)
 * before the next byte arrives.
 */
START_TEST(test_running_ahead)
{
	const struct mc_script_turn t[] = {T(DOVECOT GO), END};
	struct mc_script_outcome o;

	mc_script_drive(&o, SIEVE, &script_params, t, 0);
	mc_script_check(&o, "whole turns", "", MC_STEP_FAIL, "protocol.unexpected",
			"the server sent 33 bytes after its greeting without waiting for the next "
			"command: \"OK \\\"Begin TLS negotiation now.\\\"\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_reply_not_response)
{
	const struct mc_script_turn t[] = {T(DOVECOT), T("\"STARTTLS\"\r\nOK\r\n"), END};

	sieve_fail(t, SENT, "protocol.unexpected",
		   "the server's reply to STARTTLS is not OK, NO or BYE: \"\\\"STARTTLS\\\"\"");
}
END_TEST

START_TEST(test_malformed)
{
	const struct mc_script_turn escape[] = {T("\"SIEVE\" \"bad\\x\"\r\n"), END};
	const struct mc_script_turn open[] = {T("\"SIEVE\" \"fileinto\r\n\"STARTTLS\"\r\nOK\r\n"),
					      END};
	const struct mc_script_turn nul[] = {{"\"SIEVE\" \"a\0b\"\r\n", 15}, END};
	const struct mc_script_turn cr[] = {T("\"STARTTLS\"\rOK\r\n"), END};
	const struct mc_script_turn brace[] = {T("\"SIEVE\" {12x}\r\n"), END};
	const struct mc_script_turn nodigit[] = {T("\"SIEVE\" {}\r\n"), END};
	const struct mc_script_turn noeol[] = {T("\"SIEVE\" {3}abc\r\n"), END};
	const struct mc_script_turn atom[] = {T("\"SIEVE\" fileinto\r\n"), END};
	const struct mc_script_turn star[] = {T("* OK IMAP4rev1\r\n"), END};
	const struct mc_script_turn empty[] = {T("\"STARTTLS\"\r\n\r\nOK\r\n"), END};
	const struct mc_script_turn ctl[] = {T("\"STARTTLS\"\r\nOK\t\"x\"\r\n"), END};
	const struct mc_script_turn reply[] = {T(DOVECOT), T("OK \"unterminated\r\n"), END};

	sieve_fail(escape, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"SIEVE\\\" \\\"bad\\\\x\"");
	sieve_fail(open, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"SIEVE\\\" "
		   "\\\"fileinto\\x0d\"");
	sieve_fail(nul, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"SIEVE\\\" \\\"a\\x00\"");
	sieve_fail(cr, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"STARTTLS\\\"\\x0dO\"");
	sieve_fail(brace, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"SIEVE\\\" {12x\"");
	sieve_fail(nodigit, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"SIEVE\\\" {}\"");
	sieve_fail(noeol, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"SIEVE\\\" {3}a\"");
	sieve_fail(atom, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"\\\"SIEVE\\\" fileinto\"");
	sieve_fail(star, "", "protocol.unexpected",
		   "the server's greeting has a line that is neither a capability nor OK, NO or "
		   "BYE: \"* OK IMAP4rev1\"");
	sieve_fail(empty, "", "protocol.unexpected",
		   "the server's greeting has a line that is neither a capability nor OK, NO or "
		   "BYE: \"\"");
	sieve_fail(ctl, "", "protocol.unexpected",
		   "the server's greeting has a malformed line: \"OK\\x09\"");
	sieve_fail(reply, SENT, "protocol.unexpected",
		   "the server's reply to STARTTLS has a malformed line: \"OK "
		   "\\\"unterminated\\x0d\"");
}
END_TEST

START_TEST(test_line_over_limit)
{
	static char buf[MC_LINE_MAX + 10];
	struct mc_script_turn t[] = {{buf, sizeof(buf)}, END};
	char want[MC_MSG_MAX];

	memcpy(buf, "\"SIEVE\" \"", 9);
	memset(buf + 9, 'a', sizeof(buf) - 9);
	snprintf(want, sizeof(want),
		 "a line of the server's greeting is longer than %d bytes: \"\\\"SIEVE\\\" "
		 "\\\"%.111s...\"",
		 MC_LINE_MAX, buf + 9);
	sieve_fail(t, "", "protocol.unexpected", want);
}
END_TEST

/* Exactly MC_LINE_MAX bytes, CRLF included, is still a line. */
START_TEST(test_line_at_limit)
{
	static char buf[MC_LINE_MAX + 32];
	struct mc_script_turn t[] = {{buf, 0}, T(GO), END};

	memcpy(buf, "\"STARTTLS\" \"", 12);
	memset(buf + 12, 'a', MC_LINE_MAX - 15);
	memcpy(buf + MC_LINE_MAX - 3, "\"\r\nOK\r\n", 7);
	t[0].len = MC_LINE_MAX + 4;
	mc_script_expect_tls(SIEVE, &script_params, t, SENT);
}
END_TEST

START_TEST(test_too_many_lines)
{
	static char buf[130 * 16];
	struct mc_script_turn t[] = {{buf, 0}, END};

	for (int i = 0; i < 129; i++)
		t[0].len += (size_t)sprintf(buf + t[0].len, "\"CAP%d\"\r\n", i);
	t[0].len += (size_t)sprintf(buf + t[0].len, "OK\r\n");
	sieve_fail(t, "", "protocol.unexpected", "the server's greeting has more than 128 lines");
}
END_TEST

START_TEST(test_dialogue_too_big)
{
	static char buf[MC_DIALOGUE_MAX + 4096];
	struct mc_script_turn t[] = {{buf, 0}, END};
	char line[2000];

	memcpy(line, "\"X\" \"", 5);
	memset(line + 5, 'x', sizeof(line) - 8);
	memcpy(line + sizeof(line) - 3, "\"\r\n", 3);
	while (t[0].len + sizeof(line) <= sizeof(buf)) {
		memcpy(buf + t[0].len, line, sizeof(line));
		t[0].len += sizeof(line);
	}
	sieve_fail(t, "", "protocol.unexpected",
		   "the server sent more than 65536 bytes before TLS (during its greeting)");
}
END_TEST

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn partial[] = {T(CAPS_BEFORE "\"STARTT"), END};
	const struct mc_script_turn in_literal[] = {T("\"SIEVE\" {10}\r\nfile"), END};
	const struct mc_script_turn before_ok[] = {T("\"STARTTLS\"\r\n"), END};
	const struct mc_script_turn reply[] = {T(DOVECOT), T("OK \"Begin"), END};
	const struct mc_script_turn after[] = {T(DOVECOT), T(GO), END};

	sieve_fail(none, "", "protocol.unexpected", EOF_MSG);
	sieve_fail(partial, "", "protocol.unexpected", EOF_MSG ": \"\\\"STARTT\"");
	sieve_fail(in_literal, "", "protocol.unexpected",
		   EOF_MSG ": \"\\\"SIEVE\\\" {10}\\x0d\\x0afile\"");
	sieve_fail(before_ok, "", "protocol.unexpected", EOF_MSG);
	sieve_fail(reply, SENT, "protocol.unexpected",
		   "the server closed the connection before the end of its reply to STARTTLS: "
		   "\"OK \\\"Begin\"");
	mc_script_expect_tls(SIEVE, &script_params, after, SENT);
}
END_TEST

static Suite *proto_sieve_suite(void)
{
	Suite *s = suite_create("proto-sieve");
	TCase *good = tcase_create("good"), *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_path);
	tcase_add_test(good, test_lowercase);
	tcase_add_test(good, test_literals);
	tcase_add_test(good, test_line_at_limit);
	suite_add_tcase(s, good);
	tcase_add_test(hostile, test_starttls_inside_string);
	tcase_add_test(hostile, test_literal_huge);
	tcase_add_test(hostile, test_literal_huge_filled);
	tcase_add_test(hostile, test_not_offered);
	tcase_add_test(hostile, test_refused);
	tcase_add_test(hostile, test_greeting_bye);
	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_running_ahead);
	tcase_add_test(hostile, test_reply_not_response);
	tcase_add_test(hostile, test_malformed);
	tcase_add_test(hostile, test_line_over_limit);
	tcase_add_test(hostile, test_too_many_lines);
	tcase_add_test(hostile, test_dialogue_too_big);
	tcase_add_test(hostile, test_eof);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_sieve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ManageSieve dialogue (RFC 5804) against scripted servers (DESIGN.md,
 * "STARTTLS rules every dialogue obeys"): capabilities as quoted strings
 * and literals, OK/NO/BYE, and the bounds. Every transcript runs twice,
 * each server turn in one input call and then one byte per call, and must
 * end the same way both times.
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
#define T(s)                                                                                       \
	{                                                                                          \
		(s), sizeof(s) - 1                                                                 \
	}
#define END                                                                                        \
	{                                                                                          \
		NULL, 0                                                                            \
	}

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
	ck_assert_msg(strcmp(o->sent, sent) == 0, "%s: sent \"%s\", expected \"%s\"", mode, o->sent,
		      sent);
	ck_assert_msg(o->step == step, "%s: step %d, expected %d (%s: %s)", mode, o->step, step,
		      o->code, o->message);
	if (step != MC_STEP_FAIL)
		return;
	ck_assert_msg(strcmp(o->code, code) == 0, "%s: code %s, expected %s", mode, o->code, code);
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

static void sieve_fail(const struct turn *t, const char *sent, const char *code,
		       const char *message)
{
	expect(SIEVE, t, sent, MC_STEP_FAIL, code, message);
}

START_TEST(test_good_path)
{
	const struct turn t[] = {T(DOVECOT), T(GO), END};
	/* Split inside strings, escapes and line ends. */
	const struct turn pieces[] = {T("\"IMPLEMENTATION\" \"Dove"),
				      T("cot\"\r"),
				      T("\n\"STA"),
				      T("RTTLS\"\r\nOK"),
				      T(" \"ready\"\r\n"),
				      T("OK\r"),
				      T("\n"),
				      END};
	/* No text, LF alone, a response code, a literal in the go-ahead. */
	const struct turn terse[] = {T("\"STARTTLS\"\nOK\n"),
				     T("OK (TAG {3}\r\nt\r\n) {5+}\r\nready\r\n"), END};

	expect_tls(SIEVE, t, SENT);
	expect_tls(SIEVE, pieces, SENT);
	expect_tls(SIEVE, terse, SENT);
}
END_TEST

/* RFC 5804 section 1.7: names and responses in any case. */
START_TEST(test_lowercase)
{
	const struct turn t[] = {T("\"implementation\" \"x\"\r\n\"starttls\"\r\nok \"hi\"\r\n"),
				 T("Ok \"go\"\r\n"), END};
	const struct turn mixed[] = {T("\"StartTls\"\r\noK\r\n"), T("ok\r\n"), END};

	expect_tls(SIEVE, t, SENT);
	expect_tls(SIEVE, mixed, SENT);
}
END_TEST

/* Section 4: a capability name or value may be a literal, which may span lines. */
START_TEST(test_literals)
{
	const struct turn name[] = {T("{8}\r\nSTARTTLS\r\n\"SIEVE\" {16}\r\nfileinto\r\nreject\r\n"
				      "OK\r\n"),
				    T(GO), END};
	const struct turn plus[] = {T("{8+}\r\nstarttls {0}\r\n\r\nOK {4}\r\nO\nK\n\r\n"), T(GO),
				    END};

	expect_tls(SIEVE, name, SENT);
	expect_tls(SIEVE, plus, SENT);
}
END_TEST

/* A line inside a literal (or a quoted value) is data, not a capability. */
START_TEST(test_starttls_inside_string)
{
	const struct turn lit[] = {T("\"SIEVE\" {12}\r\n\"STARTTLS\"\r\n\r\nOK\r\n"), END};
	const struct turn lit_ok[] = {T("\"SIEVE\" {16}\r\n\"STARTTLS\"\r\nOK\r\n\r\n"), END};
	const struct turn quoted[] = {T("\"SIEVE\" \"STARTTLS\"\r\n\"X\" \"\\\"STARTTLS\\\"\"\r\n"
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
	const struct turn huge[] = {T("\"SIEVE\" {4294967296}\r\n"), END};
	const struct turn digits[] = {T("\"SIEVE\" {999999999999999999999999999999+}\r\n"), END};
	const struct turn over[] = {T("\"SIEVE\" {2033}\r\n"), END};
	const struct turn fits[] = {T("\"SIEVE\" {2032}\r\n"), END};

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
	struct turn t[] = {{buf, 0}, END};
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
	const struct turn t[] = {T(CAPS_BEFORE CAPS_AFTER READY), END};
	const struct turn none[] = {T("OK\r\n"), END};

	sieve_fail(t, "", "starttls.not-offered",
		   "the server did not advertise STARTTLS in its greeting; its capabilities: "
		   "\"" NAMES "\"");
	sieve_fail(none, "", "starttls.not-offered",
		   "the server did not advertise STARTTLS in its greeting; its capabilities: \"\"");
}
END_TEST

START_TEST(test_refused)
{
	const struct turn no[] = {T(DOVECOT), T("NO \"TLS support isn't enabled.\"\r\n"), END};
	const struct turn bye[] = {T(DOVECOT), T("bye (TRYLATER) \"Shutting down\"\r\n"), END};

	sieve_fail(no, SENT, "starttls.refused",
		   "the server refused STARTTLS: \"NO \\\"TLS support isn't enabled.\\\"\"");
	sieve_fail(bye, SENT, "starttls.refused",
		   "the server refused STARTTLS: \"bye (TRYLATER) \\\"Shutting down\\\"\"");
}
END_TEST

START_TEST(test_greeting_bye)
{
	const struct turn bye[] = {T("BYE \"Too many connections\"\r\n"), END};
	const struct turn no[] = {T("\"STARTTLS\"\r\nNo \"Maintenance\"\r\n"), END};

	sieve_fail(bye, "", "protocol.unexpected",
		   "the server's greeting ended in BYE instead of OK: \"BYE \\\"Too many "
		   "connections\\\"\"");
	sieve_fail(no, "", "protocol.unexpected",
		   "the server's greeting ended in NO instead of OK: \"No \\\"Maintenance\\\"\"");
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct turn t[] = {T(DOVECOT), T(GO "OK \"fake\"\r\n"), END};

	sieve_fail(t, SENT, "starttls.injection",
		   "11 bytes followed the server's OK go-ahead before TLS (response injection): "
		   "\"OK \\\"fake\\\"\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct turn t[] = {T(DOVECOT), T(GO), T("X"), END};

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
	const struct turn t[] = {T(DOVECOT GO), END};
	struct outcome o;

	drive(&o, SIEVE, t, 0);
	check_outcome(&o, "whole turns", "", MC_STEP_FAIL, "protocol.unexpected",
		      "the server sent 33 bytes after its greeting without waiting for the next "
		      "command: \"OK \\\"Begin TLS negotiation now.\\\"\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_reply_not_response)
{
	const struct turn t[] = {T(DOVECOT), T("\"STARTTLS\"\r\nOK\r\n"), END};

	sieve_fail(t, SENT, "protocol.unexpected",
		   "the server's reply to STARTTLS is not OK, NO or BYE: \"\\\"STARTTLS\\\"\"");
}
END_TEST

START_TEST(test_malformed)
{
	const struct turn escape[] = {T("\"SIEVE\" \"bad\\x\"\r\n"), END};
	const struct turn open[] = {T("\"SIEVE\" \"fileinto\r\n\"STARTTLS\"\r\nOK\r\n"), END};
	const struct turn nul[] = {{"\"SIEVE\" \"a\0b\"\r\n", 15}, END};
	const struct turn cr[] = {T("\"STARTTLS\"\rOK\r\n"), END};
	const struct turn brace[] = {T("\"SIEVE\" {12x}\r\n"), END};
	const struct turn nodigit[] = {T("\"SIEVE\" {}\r\n"), END};
	const struct turn noeol[] = {T("\"SIEVE\" {3}abc\r\n"), END};
	const struct turn atom[] = {T("\"SIEVE\" fileinto\r\n"), END};
	const struct turn star[] = {T("* OK IMAP4rev1\r\n"), END};
	const struct turn empty[] = {T("\"STARTTLS\"\r\n\r\nOK\r\n"), END};
	const struct turn ctl[] = {T("\"STARTTLS\"\r\nOK\t\"x\"\r\n"), END};
	const struct turn reply[] = {T(DOVECOT), T("OK \"unterminated\r\n"), END};

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
	struct turn t[] = {{buf, sizeof(buf)}, END};
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
	struct turn t[] = {{buf, 0}, T(GO), END};

	memcpy(buf, "\"STARTTLS\" \"", 12);
	memset(buf + 12, 'a', MC_LINE_MAX - 15);
	memcpy(buf + MC_LINE_MAX - 3, "\"\r\nOK\r\n", 7);
	t[0].len = MC_LINE_MAX + 4;
	expect_tls(SIEVE, t, SENT);
}
END_TEST

START_TEST(test_too_many_lines)
{
	static char buf[130 * 16];
	struct turn t[] = {{buf, 0}, END};

	for (int i = 0; i < 129; i++)
		t[0].len += (size_t)sprintf(buf + t[0].len, "\"CAP%d\"\r\n", i);
	t[0].len += (size_t)sprintf(buf + t[0].len, "OK\r\n");
	sieve_fail(t, "", "protocol.unexpected", "the server's greeting has more than 128 lines");
}
END_TEST

START_TEST(test_dialogue_too_big)
{
	static char buf[MC_DIALOGUE_MAX + 4096];
	struct turn t[] = {{buf, 0}, END};
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
	const struct turn none[] = {END};
	const struct turn partial[] = {T(CAPS_BEFORE "\"STARTT"), END};
	const struct turn in_literal[] = {T("\"SIEVE\" {10}\r\nfile"), END};
	const struct turn before_ok[] = {T("\"STARTTLS\"\r\n"), END};
	const struct turn reply[] = {T(DOVECOT), T("OK \"Begin"), END};
	const struct turn after[] = {T(DOVECOT), T(GO), END};

	sieve_fail(none, "", "protocol.unexpected", EOF_MSG);
	sieve_fail(partial, "", "protocol.unexpected", EOF_MSG ": \"\\\"STARTT\"");
	sieve_fail(in_literal, "", "protocol.unexpected",
		   EOF_MSG ": \"\\\"SIEVE\\\" {10}\\x0d\\x0afile\"");
	sieve_fail(before_ok, "", "protocol.unexpected", EOF_MSG);
	sieve_fail(reply, SENT, "protocol.unexpected",
		   "the server closed the connection before the end of its reply to STARTTLS: "
		   "\"OK \\\"Begin\"");
	expect_tls(SIEVE, after, SENT);
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

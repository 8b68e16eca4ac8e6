/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SMTP and LMTP dialogues against scripted servers (docs/design.md, "STARTTLS
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

static void expect_fail(const struct mc_script_turn *t, const char *sent, const char *code,
			const char *message)
{
	mc_script_expect(MAILCERT_PROTO_SMTP, &script_params, t, sent, MC_STEP_FAIL, code, message);
}

#define GREETING "220 mx.example.com ESMTP\r\n"
#define EHLO_OK "250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
#define SENT_EHLO "EHLO " HELO "\r\n"
#define SENT_BOTH SENT_EHLO "STARTTLS\r\n"

/* ---- good paths ---------------------------------------------------- */

START_TEST(test_good_path)
{
	const struct mc_script_turn t[] = {T(GREETING), T(EHLO_OK),
					   T("220 2.0.0 Ready to start TLS\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_lf_only)
{
	const struct mc_script_turn t[] = {
	    T("220 mx ESMTP\n"), T("250-mx\n250-STARTTLS\n250 SIZE\n"), T("220 go ahead\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_mixed_line_ends)
{
	const struct mc_script_turn t[] = {T("220 mx ESMTP\n"),
					   T("250-mx\r\n250-STARTTLS\n250 SIZE\r\n"),
					   T("220 go ahead\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_multiline_greeting)
{
	const struct mc_script_turn t[] = {
	    T("220-mx.example.com ESMTP\r\n220-no UCE\r\n220 welcome\r\n"), T(EHLO_OK),
	    T("220 go ahead\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

/* A greeting split over two TCP segments is still one reply. */
START_TEST(test_greeting_in_two_turns)
{
	const struct mc_script_turn t[] = {T("220-mx.example.com ESMTP\r\n22"), T("0 welcome\r\n"),
					   T(EHLO_OK), T("220 go ahead\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_bare_250_last)
{
	const struct mc_script_turn t[] = {T(GREETING), T("250-mx\r\n250-STARTTLS\r\n250\r\n"),
					   T("220 go ahead\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_keyword_case)
{
	const struct mc_script_turn t[] = {T(GREETING),
					   T("250-mx\r\n250-starttls\r\n250 size 100\r\n"),
					   T("220 go ahead\r\n"), END};
	const struct mc_script_turn t2[] = {T(GREETING), T("250-mx\r\n250 StartTLS \r\n"),
					    T("220 go ahead\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t2, SENT_BOTH);
}
END_TEST

START_TEST(test_multiline_go_ahead)
{
	const struct mc_script_turn t[] = {T(GREETING), T(EHLO_OK),
					   T("220-2.0.0 Ready\r\n220 go\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

/* The longest line allowed is MC_LINE_MAX bytes with its CRLF. */
START_TEST(test_line_at_limit)
{
	char line[MC_LINE_MAX + 1];
	struct mc_script_turn t[] = {
	    T(GREETING), {line, MC_LINE_MAX}, T("250 STARTTLS\r\n"), T("220 go\r\n"), END};

	memcpy(line, "250-", 4);
	memset(line + 4, 'k', MC_LINE_MAX - 6);
	memcpy(line + MC_LINE_MAX - 2, "\r\n", 2);
	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_reply_lines_at_limit)
{
	static char reply[MC_REPLY_LINES_MAX * 8];
	struct mc_script_turn t[] = {T(GREETING), {reply, 0}, T("220 go\r\n"), END};
	size_t n = 0;

	for (int i = 0; i < MC_REPLY_LINES_MAX - 1; i++)
		n += (size_t)sprintf(reply + n, "250-x\r\n");
	n += (size_t)sprintf(reply + n, "250 STARTTLS\r\n");
	t[1].len = n;
	mc_script_expect_tls(MAILCERT_PROTO_SMTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_lmtp_lhlo)
{
	const struct mc_script_turn t[] = {T("220 lmtp.example.com LMTP\r\n"), T(EHLO_OK),
					   T("220 go ahead\r\n"), END};
	const struct mc_script_turn refused[] = {T("220 lmtp.example.com LMTP\r\n"),
						 T("500 5.5.1 unknown command\r\n"), END};
	const struct mc_script_turn absent[] = {T("220 lmtp.example.com LMTP\r\n"),
						T("250-lmtp\r\n250 PIPELINING\r\n"), END};

	mc_script_expect_tls(MAILCERT_PROTO_LMTP, &script_params, t,
			     "LHLO " HELO "\r\nSTARTTLS\r\n");
	mc_script_expect(MAILCERT_PROTO_LMTP, &script_params, refused, "LHLO " HELO "\r\n",
			 MC_STEP_FAIL, "protocol.unexpected",
			 "the server refused LHLO: \"500 5.5.1 unknown command\"");
	mc_script_expect(
	    MAILCERT_PROTO_LMTP, &script_params, absent, "LHLO " HELO "\r\n", MC_STEP_FAIL,
	    "starttls.not-offered",
	    "the server did not advertise STARTTLS in its reply to LHLO; its keywords: "
	    "\"PIPELINING\"");
}
END_TEST

/* ---- refusals ------------------------------------------------------ */

START_TEST(test_starttls_absent)
{
	const struct mc_script_turn t[] = {
	    T(GREETING),
	    T("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	      "250-AUTH=LOGIN PLAIN\r\n250 8BITMIME\r\n"),
	    END};
	const struct mc_script_turn single[] = {T(GREETING), T("250 mx.example.com\r\n"), END};

	expect_fail(t, SENT_EHLO, "starttls.not-offered",
		    "the server did not advertise STARTTLS in its reply to EHLO; its keywords: "
		    "\"PIPELINING SIZE AUTH 8BITMIME\"");
	/* RFC 5321 section 4.1.1.1: the first line names the server, never a keyword. */
	expect_fail(single, SENT_EHLO, "starttls.not-offered",
		    "the server did not advertise STARTTLS in its reply to EHLO; its keywords: "
		    "\"\"");
}
END_TEST

/* Keywords are whole words at the start of a line, not substrings or parameters. */
START_TEST(test_starttls_not_a_whole_word)
{
	const struct mc_script_turn t[] = {
	    T(GREETING),
	    T("250-STARTTLS.example.com\r\n250-XSTARTTLSX\r\n250-STARTTLSX\r\n"
	      "250-XSTARTTLS\r\n250 AUTH PLAIN STARTTLS\r\n"),
	    END};

	expect_fail(t, SENT_EHLO, "starttls.not-offered",
		    "the server did not advertise STARTTLS in its reply to EHLO; its keywords: "
		    "\"XSTARTTLSX STARTTLSX XSTARTTLS AUTH\"");
}
END_TEST

START_TEST(test_starttls_454)
{
	const struct mc_script_turn t[] = {
	    T(GREETING), T(EHLO_OK), T("454 4.7.0 TLS not available due to local problem\r\n"),
	    END};

	expect_fail(t, SENT_BOTH, "starttls.refused",
		    "the server refused STARTTLS: \"454 4.7.0 TLS not available due to local "
		    "problem\"");
}
END_TEST

START_TEST(test_starttls_502)
{
	const struct mc_script_turn t[] = {
	    T(GREETING), T(EHLO_OK), T("502-5.5.1 command not implemented\r\n502 5.5.1 sorry\r\n"),
	    END};

	expect_fail(t, SENT_BOTH, "starttls.refused",
		    "the server refused STARTTLS: \"502-5.5.1 command not implemented\"");
}
END_TEST

START_TEST(test_starttls_other_2xx)
{
	const struct mc_script_turn t[] = {T(GREETING), T(EHLO_OK), T("250 ok\r\n"), END};

	expect_fail(t, SENT_BOTH, "starttls.refused", "the server refused STARTTLS: \"250 ok\"");
}
END_TEST

START_TEST(test_greeting_554)
{
	const struct mc_script_turn t[] = {T("554 no service\r\n"), END};
	const struct mc_script_turn multi[] = {T("554-mx.example.com\r\n554 go away\r\n"), END};

	expect_fail(t, "", "protocol.unexpected",
		    "the server's greeting was not 220: \"554 no service\"");
	expect_fail(multi, "", "protocol.unexpected",
		    "the server's greeting was not 220: \"554-mx.example.com\"");
}
END_TEST

START_TEST(test_ehlo_refused)
{
	const struct mc_script_turn t500[] = {T(GREETING), T("500 5.5.1 command unrecognized\r\n"),
					      END};
	const struct mc_script_turn t550[] = {T(GREETING),
					      T("550-5.7.1 no\r\n550 5.7.1 go away\r\n"), END};
	const struct mc_script_turn t421[] = {T(GREETING), T("421 4.3.2 shutting down\r\n"), END};

	expect_fail(t500, SENT_EHLO, "protocol.unexpected",
		    "the server refused EHLO: \"500 5.5.1 command unrecognized\"");
	expect_fail(t550, SENT_EHLO, "protocol.unexpected",
		    "the server refused EHLO: \"550-5.7.1 no\"");
	expect_fail(t421, SENT_EHLO, "protocol.unexpected",
		    "the server refused EHLO: \"421 4.3.2 shutting down\"");
}
END_TEST

/* ---- response injection (rule 1) and rule 3 ------------------------ */

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(GREETING), T(EHLO_OK),
					   T("220 go ahead\r\n250 injected\r\n"), END};
	const struct mc_script_turn one[] = {T(GREETING), T(EHLO_OK), T("220 go ahead\r\nX"), END};

	expect_fail(t, SENT_BOTH, "starttls.injection",
		    "14 bytes followed the server's 220 go-ahead before TLS (response injection): "
		    "\"250 injected\\x0d\\x0a\"");
	expect_fail(one, SENT_BOTH, "starttls.injection",
		    "1 byte followed the server's 220 go-ahead before TLS (response injection): "
		    "\"X\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(GREETING), T(EHLO_OK), T("220 go ahead\r\n"),
					   T("* OK [CAPABILITY IMAP4rev1]\r\n"), END};

	expect_fail(t, SENT_BOTH, "starttls.injection",
		    "29 bytes followed the server's 220 go-ahead before TLS (response injection): "
		    "\"* OK [CAPABILITY IMAP4rev1]\\x0d\\x0a\"");
}
END_TEST

/* Driven by hand: feeds the go-ahead, then bytes in a separate call. */
START_TEST(test_injection_direct)
{
	struct mc_dialogue_params params = {.helo = HELO};
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_SMTP, &params);
	const char *message;
	size_t len;

	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)GREETING, strlen(GREETING)),
			 MC_STEP_WRITE);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)EHLO_OK, strlen(EHLO_OK)),
			 MC_STEP_WRITE);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"220 go\r\n", 8), MC_STEP_TLS);
	ck_assert_ptr_null(mc_dialogue_failure(d, &message));
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"\0", 1), MC_STEP_FAIL);
	ck_assert_str_eq(mc_dialogue_failure(d, &message), "starttls.injection");
	ck_assert_str_eq(message, "1 byte followed the server's 220 go-ahead before TLS "
				  "(response injection): \"\\x00\"");
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	mc_dialogue_free(d);
}
END_TEST

/* docs/design.md rule 3: after STARTTLS, nothing is sent until its reply is read. */
START_TEST(test_silent_after_starttls)
{
	struct mc_dialogue_params params = {.helo = HELO};
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_SMTP, &params);
	const uint8_t *out;
	size_t len;

	ck_assert_int_eq(mc_dialogue_start(d), MC_STEP_READ);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)GREETING, strlen(GREETING)),
			 MC_STEP_WRITE);
	out = mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, strlen(SENT_EHLO));
	ck_assert_mem_eq(out, SENT_EHLO, len);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)EHLO_OK, strlen(EHLO_OK)),
			 MC_STEP_WRITE);
	out = mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 10);
	ck_assert_mem_eq(out, "STARTTLS\r\n", 10);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"220 2.0.0 Re", 12), MC_STEP_READ);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"ady\r", 4), MC_STEP_READ);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"\n", 1), MC_STEP_TLS);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	mc_dialogue_free(d);
}
END_TEST

/* A server that answers before it is asked is not waited for (one chunk only: split
 * byte by byte it is indistinguishable from a reply sent after the command). */
START_TEST(test_server_runs_ahead)
{
	const struct mc_script_turn t[] = {T("220 mx ESMTP\r\n250 ok\r\n"), END};
	struct mc_script_outcome o;

	mc_script_drive(&o, MAILCERT_PROTO_SMTP, &script_params, t, 0);
	mc_script_check(&o, "whole turns", "", MC_STEP_FAIL, "protocol.unexpected",
			"the server sent 8 bytes after its greeting without waiting for the next "
			"command: \"250 ok\\x0d\\x0a\"");
}
END_TEST

/* ---- malformed replies --------------------------------------------- */

START_TEST(test_mixed_codes)
{
	const struct mc_script_turn t[] = {T(GREETING),
					   T("250-mx\r\n250-PIPELINING\r\n220 go ahead\r\n"), END};
	const struct mc_script_turn g[] = {T("220-mx\r\n554 no\r\n"), END};

	expect_fail(t, SENT_EHLO, "protocol.unexpected",
		    "the server's reply to EHLO changed reply code midway (from 250): "
		    "\"220 go ahead\"");
	expect_fail(g, "", "protocol.unexpected",
		    "the server's greeting changed reply code midway (from 220): \"554 no\"");
}
END_TEST

START_TEST(test_malformed_lines)
{
	static const struct {
		const char *greeting, *quoted;
	} cases[] = {
	    {"2x0 mx\r\n", "2x0 mx"},
	    {"220mx\r\n", "220mx"},
	    {"22\r\n", "22"},
	    {"\r\n", ""},
	    {"SSH-2.0-OpenSSH\r\n", "SSH-2.0-OpenSSH"},
	    {"220\tmx\r\n", "220\\x09mx"},
	    {"\xff"
	     "220 mx\r\n",
	     "\\xff220 mx"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mc_script_turn t[] = {{cases[i].greeting, strlen(cases[i].greeting)},
						   END};
		char want[MC_MSG_MAX];

		snprintf(want, sizeof(want), "the server's greeting has a malformed line: \"%s\"",
			 cases[i].quoted);
		expect_fail(t, "", "protocol.unexpected", want);
	}
}
END_TEST

START_TEST(test_malformed_in_ehlo_reply)
{
	const struct mc_script_turn t[] = {T(GREETING), T("250-mx\r\nSTARTTLS\r\n250 ok\r\n"), END};

	expect_fail(t, SENT_EHLO, "protocol.unexpected",
		    "the server's reply to EHLO has a malformed line: \"STARTTLS\"");
}
END_TEST

/* Server text is quoted: escaped, and cut after MC_QUOTE_MAX bytes. */
START_TEST(test_quoting)
{
	const struct mc_script_turn t[] = {T("554 \0\x01\"\\\x7f"
					     "bad\r\n"),
					   END};
	char big[400], want[MC_MSG_MAX];
	struct mc_script_turn t2[] = {{big, 0}, END};

	expect_fail(t, "", "protocol.unexpected",
		    "the server's greeting was not 220: \"554 \\x00\\x01\\\"\\\\\\x7fbad\"");
	memcpy(big, "554 ", 4);
	memset(big + 4, 'z', 300);
	memcpy(big + 304, "\r\n", 2);
	t2[0].len = 306;
	snprintf(want, sizeof(want), "the server's greeting was not 220: \"554 %.*s...\"",
		 MC_QUOTE_MAX - 4, big + 4);
	expect_fail(t2, "", "protocol.unexpected", want);
}
END_TEST

/* ---- bounds (rule 4) ----------------------------------------------- */

START_TEST(test_line_over_limit)
{
	char line[MC_LINE_MAX + 2], want[MC_MSG_MAX];
	struct mc_script_turn t[] = {T(GREETING), {line, MC_LINE_MAX + 1}, END};

	memcpy(line, "250-", 4);
	memset(line + 4, 'k', MC_LINE_MAX - 5);
	memcpy(line + MC_LINE_MAX - 1, "\r\n", 2);
	snprintf(want, sizeof(want),
		 "a line of the server's reply to EHLO is longer than %d bytes: \"250-%.*s...\"",
		 MC_LINE_MAX, MC_QUOTE_MAX - 4, line + 4);
	expect_fail(t, SENT_EHLO, "protocol.unexpected", want);
}
END_TEST

START_TEST(test_100k_line)
{
	size_t n = 100 * 1024;
	char *line = malloc(n), want[MC_MSG_MAX];
	struct mc_script_turn t[] = {{line, n}, END};

	ck_assert_ptr_nonnull(line);
	memset(line, 'a', n);
	snprintf(want, sizeof(want),
		 "a line of the server's greeting is longer than %d bytes: \"%.*s...\"",
		 MC_LINE_MAX, MC_QUOTE_MAX, line);
	expect_fail(t, "", "protocol.unexpected", want);
	free(line);
}
END_TEST

START_TEST(test_endless_reply)
{
	size_t lines = 100000, n = lines * 7;
	char *reply = malloc(n + 1), want[MC_MSG_MAX];
	struct mc_script_turn t[] = {T(GREETING), {reply, n}, END};

	ck_assert_ptr_nonnull(reply);
	for (size_t i = 0; i < lines; i++)
		memcpy(reply + i * 7, "250-x\r\n", 7);
	snprintf(want, sizeof(want), "the server's reply to EHLO has more than %d lines",
		 MC_REPLY_LINES_MAX);
	expect_fail(t, SENT_EHLO, "protocol.unexpected", want);
	free(reply);
}
END_TEST

/* Long lines, few enough to pass MC_REPLY_LINES_MAX, still meet MC_DIALOGUE_MAX. */
START_TEST(test_dialogue_too_big)
{
	size_t lines = 64, len = 2000, n = lines * len;
	char *reply = malloc(n), want[MC_MSG_MAX];
	struct mc_script_turn t[] = {T(GREETING), {reply, n}, END};

	ck_assert_ptr_nonnull(reply);
	for (size_t i = 0; i < lines; i++) {
		memcpy(reply + i * len, "250-", 4);
		memset(reply + i * len + 4, 'k', len - 6);
		memcpy(reply + i * len + len - 2, "\r\n", 2);
	}
	snprintf(want, sizeof(want),
		 "the server sent more than %d bytes before TLS (during its reply to EHLO)",
		 MC_DIALOGUE_MAX);
	expect_fail(t, SENT_EHLO, "protocol.unexpected", want);
	free(reply);
}
END_TEST

/* ---- EOF at every stage -------------------------------------------- */

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn mid_greeting[] = {T("220 mx.exa"), END};
	const struct mc_script_turn in_greeting[] = {T("220-mx\r\n"), END};
	const struct mc_script_turn after_greeting[] = {T(GREETING), END};
	const struct mc_script_turn mid_ehlo[] = {T(GREETING), T("250-mx\r\n250-PIPE"), END};
	const struct mc_script_turn after_ehlo[] = {T(GREETING), T(EHLO_OK), END};
	const struct mc_script_turn mid_starttls[] = {T(GREETING), T(EHLO_OK), T("220 go"), END};

	expect_fail(none, "", "protocol.unexpected",
		    "the server closed the connection before the end of its greeting");
	expect_fail(mid_greeting, "", "protocol.unexpected",
		    "the server closed the connection before the end of its greeting: "
		    "\"220 mx.exa\"");
	expect_fail(in_greeting, "", "protocol.unexpected",
		    "the server closed the connection before the end of its greeting");
	expect_fail(after_greeting, SENT_EHLO, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to EHLO");
	expect_fail(mid_ehlo, SENT_EHLO, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to EHLO: "
		    "\"250-PIPE\"");
	expect_fail(after_ehlo, SENT_BOTH, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to STARTTLS");
	expect_fail(mid_starttls, SENT_BOTH, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to STARTTLS: "
		    "\"220 go\"");
}
END_TEST

START_TEST(test_eof_after_go_ahead)
{
	struct mc_dialogue_params params = {.helo = HELO};
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_SMTP, &params);
	const char *all = GREETING EHLO_OK "220 go\r\n", *message;
	size_t at[] = {strlen(GREETING), strlen(GREETING EHLO_OK), strlen(all)};

	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)all, at[0]), MC_STEP_WRITE);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)all + at[0], at[1] - at[0]),
			 MC_STEP_WRITE);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)all + at[1], at[2] - at[1]),
			 MC_STEP_TLS);
	ck_assert_int_eq(mc_dialogue_input(d, NULL, 0), MC_STEP_FAIL);
	ck_assert_str_eq(mc_dialogue_failure(d, &message), "protocol.unexpected");
	ck_assert_str_eq(message,
			 "the server closed the connection after its 220 go-ahead, before TLS");
	mc_dialogue_free(d);
}
END_TEST

/* smtp:// on an implicit-TLS port: a TLS record where the greeting belongs. */
START_TEST(test_tls_record_is_mismatch)
{
	const struct mc_script_turn t[] = {T("\x15\x03\x03\x00\x02\x02\x32"), END};

	mc_script_expect(MAILCERT_PROTO_SMTP, &script_params, t, "", MC_STEP_FAIL,
			 "protocol.mismatch",
			 "the server answered with TLS where its greeting was expected");
}
END_TEST

/* ---- the generic dialogue ------------------------------------------ */

START_TEST(test_implicit_tls)
{
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_NONE, NULL);
	const char *message;
	size_t len;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mc_dialogue_start(d), MC_STEP_TLS);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(mc_dialogue_failure(d, &message));
	ck_assert_ptr_null(message);
	/* A plaintext greeting on an implicit-TLS port (587 given as smtps). */
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)GREETING, strlen(GREETING)),
			 MC_STEP_FAIL);
	ck_assert_str_eq(mc_dialogue_failure(d, &message), "protocol.unexpected");
	ck_assert_str_eq(message, "the server sent 26 bytes of plaintext where the TLS handshake "
				  "was expected: \"220 mx.example.com ESMTP\\x0d\\x0a\"");
	mc_dialogue_free(d);

	d = mc_dialogue_new(MAILCERT_PROTO_NONE, NULL);
	ck_assert_int_eq(mc_dialogue_input(d, NULL, 0), MC_STEP_FAIL);
	ck_assert_str_eq(mc_dialogue_failure(d, &message), "protocol.unexpected");
	ck_assert_str_eq(message, "the server closed the connection before the TLS handshake");
	mc_dialogue_free(d);
}
END_TEST

START_TEST(test_supported)
{
	ck_assert(mc_dialogue_supported(MAILCERT_PROTO_NONE));
	ck_assert(mc_dialogue_supported(MAILCERT_PROTO_SMTP));
	ck_assert(mc_dialogue_supported(MAILCERT_PROTO_LMTP));
	ck_assert(!mc_dialogue_supported((mailcert_protocol)99));
	ck_assert(!mc_dialogue_supported((mailcert_protocol)-1));
}
END_TEST

START_TEST(test_new_refuses)
{
	static const char *const bad[] = {"", "a b", "a\r\nRCPT TO:<x>", "a\tb", "caf\xc3\xa9"};
	char longname[MC_MSG_MAX];
	struct mc_dialogue_params params = {.helo = NULL};
	struct mc_dialogue *d;

	ck_assert_ptr_null(mc_dialogue_new(MAILCERT_PROTO_SMTP, NULL));
	ck_assert_ptr_null(mc_dialogue_new(MAILCERT_PROTO_LMTP, &params));
	ck_assert_ptr_null(mc_dialogue_new((mailcert_protocol)99, &params));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		params.helo = bad[i];
		ck_assert_ptr_null(mc_dialogue_new(MAILCERT_PROTO_SMTP, &params));
	}
	memset(longname, 'h', 256);
	longname[256] = '\0';
	params.helo = longname;
	ck_assert_ptr_null(mc_dialogue_new(MAILCERT_PROTO_SMTP, &params));
	longname[255] = '\0';
	d = mc_dialogue_new(MAILCERT_PROTO_SMTP, &params);
	ck_assert_ptr_nonnull(d);
	mc_dialogue_free(d);
	params.helo = "[192.0.2.1]";
	d = mc_dialogue_new(MAILCERT_PROTO_SMTP, &params);
	ck_assert_ptr_nonnull(d);
	mc_dialogue_free(d);
	mc_dialogue_free(NULL);
}
END_TEST

/* ---- lines.c ------------------------------------------------------- */

START_TEST(test_lines_next)
{
	static struct mc_lines l;
	const char *text = "one\r\ntwo\nthree\r\r\nfour";
	struct mc_bytes in = {(const uint8_t *)text, strlen(text)}, line;

	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_LINE);
	ck_assert_uint_eq(line.len, 3);
	ck_assert_mem_eq(line.p, "one", 3);
	ck_assert_uint_eq(in.len, strlen("two\nthree\r\r\nfour"));
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_LINE);
	ck_assert_uint_eq(line.len, 3);
	ck_assert_mem_eq(line.p, "two", 3);
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_LINE);
	ck_assert_uint_eq(line.len, 6);
	ck_assert_mem_eq(line.p, "three\r", 6);
	ck_assert_uint_eq(in.len, 4);
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_MORE);
	ck_assert_uint_eq(in.len, 0);
	ck_assert_uint_eq(l.len, 4);
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_MORE);
	in.p = (const uint8_t *)"\n";
	in.len = 1;
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_LINE);
	ck_assert_mem_eq(line.p, "four", 4);
	ck_assert_uint_eq(line.len, 4);
	ck_assert_uint_eq(l.total, strlen(text) + 1);
}
END_TEST

START_TEST(test_lines_bounds)
{
	static struct mc_lines l;
	static uint8_t big[MC_LINE_MAX + 10];
	struct mc_bytes in = {big, sizeof(big)}, line;

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_TOO_LONG);
	ck_assert_uint_eq(line.len, MC_LINE_MAX);
	ck_assert_uint_eq(in.len, 10);
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_TOO_LONG);

	memset(&l, 0, sizeof(l));
	l.total = MC_DIALOGUE_MAX - 3;
	in.p = (const uint8_t *)"ab\n";
	in.len = 3;
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_LINE);
	ck_assert_uint_eq(l.total, MC_DIALOGUE_MAX);
	in.p = (const uint8_t *)"c";
	in.len = 1;
	ck_assert_int_eq(mc_lines_next(&l, &in, &line), MC_LINES_TOO_MUCH);
	ck_assert_uint_eq(in.len, 1);
}
END_TEST

START_TEST(test_reply_line_parse)
{
	struct mc_reply_line rl;

	ck_assert_int_eq(mc_reply_line_parse(&rl, (const uint8_t *)"250", 3), 0);
	ck_assert_uint_eq(rl.code, 250);
	ck_assert(!rl.more);
	ck_assert_uint_eq(rl.text.len, 0);
	ck_assert_int_eq(mc_reply_line_parse(&rl, (const uint8_t *)"220-mx ready", 12), 0);
	ck_assert_uint_eq(rl.code, 220);
	ck_assert(rl.more);
	ck_assert_uint_eq(rl.text.len, 8);
	ck_assert_mem_eq(rl.text.p, "mx ready", 8);
	ck_assert_int_eq(mc_reply_line_parse(&rl, (const uint8_t *)"454 ", 4), 0);
	ck_assert(!rl.more);
	ck_assert_uint_eq(rl.text.len, 0);
	ck_assert_int_eq(mc_reply_line_parse(&rl, (const uint8_t *)"25", 2), -1);
	ck_assert_int_eq(mc_reply_line_parse(&rl, (const uint8_t *)"2500", 4), -1);
	ck_assert_int_eq(mc_reply_line_parse(&rl, (const uint8_t *)"25a ok", 6), -1);
	ck_assert_int_eq(mc_reply_line_parse(&rl, (const uint8_t *)" 250 ok", 7), -1);
}
END_TEST

START_TEST(test_reply_add)
{
	struct mc_reply r = {0};
	struct mc_reply_line rl;
	const uint8_t *a = (const uint8_t *)"250-a", *b = (const uint8_t *)"250 b";

	ck_assert_int_eq(mc_reply_add(&r, &rl, a, 5), MC_REPLY_MORE);
	ck_assert_int_eq(mc_reply_add(&r, &rl, b, 5), MC_REPLY_DONE);
	ck_assert_uint_eq(r.code, 250);
	ck_assert_uint_eq(r.lines, 2);
	ck_assert_mem_eq(r.first, "250-a", 5);
	/* The next line starts a new reply. */
	ck_assert_int_eq(mc_reply_add(&r, &rl, (const uint8_t *)"220 go", 6), MC_REPLY_DONE);
	ck_assert_uint_eq(r.code, 220);
	ck_assert_uint_eq(r.lines, 1);
	ck_assert_int_eq(mc_reply_add(&r, &rl, (const uint8_t *)"220-x", 5), MC_REPLY_MORE);
	ck_assert_int_eq(mc_reply_add(&r, &rl, (const uint8_t *)"221 x", 5), MC_REPLY_MIXED);
	ck_assert_int_eq(mc_reply_add(&r, &rl, (const uint8_t *)"x", 1), MC_REPLY_MALFORMED);
}
END_TEST

START_TEST(test_word_eq)
{
	ck_assert(mc_word_eq((const uint8_t *)"StartTLS", 8, "STARTTLS"));
	ck_assert(!mc_word_eq((const uint8_t *)"STARTTLSX", 9, "STARTTLS"));
	ck_assert(!mc_word_eq((const uint8_t *)"STARTTL", 7, "STARTTLS"));
	ck_assert(!mc_word_eq((const uint8_t *)"STARTTLS\0", 9, "STARTTLS"));
	ck_assert(mc_word_eq((const uint8_t *)"", 0, ""));
}
END_TEST

static Suite *proto_smtp_suite(void)
{
	Suite *s = suite_create("proto-smtp");
	TCase *good = tcase_create("good");
	TCase *refused = tcase_create("refused");
	TCase *hostile = tcase_create("hostile");
	TCase *generic = tcase_create("dialogue");
	TCase *lines = tcase_create("lines");

	tcase_add_test(good, test_good_path);
	tcase_add_test(good, test_lf_only);
	tcase_add_test(good, test_mixed_line_ends);
	tcase_add_test(good, test_multiline_greeting);
	tcase_add_test(good, test_greeting_in_two_turns);
	tcase_add_test(good, test_bare_250_last);
	tcase_add_test(good, test_keyword_case);
	tcase_add_test(good, test_multiline_go_ahead);
	tcase_add_test(good, test_line_at_limit);
	tcase_add_test(good, test_reply_lines_at_limit);
	tcase_add_test(good, test_lmtp_lhlo);
	suite_add_tcase(s, good);

	tcase_add_test(refused, test_starttls_absent);
	tcase_add_test(refused, test_starttls_not_a_whole_word);
	tcase_add_test(refused, test_starttls_454);
	tcase_add_test(refused, test_starttls_502);
	tcase_add_test(refused, test_starttls_other_2xx);
	tcase_add_test(refused, test_greeting_554);
	tcase_add_test(refused, test_ehlo_refused);
	suite_add_tcase(s, refused);

	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_injection_direct);
	tcase_add_test(hostile, test_silent_after_starttls);
	tcase_add_test(hostile, test_server_runs_ahead);
	tcase_add_test(hostile, test_mixed_codes);
	tcase_add_test(hostile, test_malformed_lines);
	tcase_add_test(hostile, test_malformed_in_ehlo_reply);
	tcase_add_test(hostile, test_quoting);
	tcase_add_test(hostile, test_line_over_limit);
	tcase_add_test(hostile, test_100k_line);
	tcase_add_test(hostile, test_endless_reply);
	tcase_add_test(hostile, test_dialogue_too_big);
	tcase_add_test(hostile, test_eof);
	tcase_add_test(hostile, test_eof_after_go_ahead);
	suite_add_tcase(s, hostile);

	tcase_add_test(generic, test_implicit_tls);
	tcase_add_test(generic, test_tls_record_is_mismatch);
	tcase_add_test(generic, test_supported);
	tcase_add_test(generic, test_new_refuses);
	suite_add_tcase(s, generic);

	tcase_add_test(lines, test_lines_next);
	tcase_add_test(lines, test_lines_bounds);
	tcase_add_test(lines, test_reply_line_parse);
	tcase_add_test(lines, test_reply_add);
	tcase_add_test(lines, test_word_eq);
	suite_add_tcase(s, lines);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_smtp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

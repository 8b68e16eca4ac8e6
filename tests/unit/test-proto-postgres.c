/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PostgreSQL SSLRequest dialogue against scripted servers (docs/design.md,
 * "STARTTLS rules every dialogue obeys"). Every transcript runs twice, each
 * server turn in one input call and then one byte per call, and must send
 * the same bytes and end the same way both times.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "proto/dialogue.h" /* MC_PENDING_MAX */

#include "../common/script.h"

/* Length 8, code 80877103. */
#define SSL_REQUEST "\x00\x00\x00\x08\x04\xd2\x16\x2f"
#define SSL_REQUEST_LEN 8

/* Runs @t whole and byte by byte; both must send the SSLRequest and end with @step. */
static void expect(const struct mc_script_turn *t, enum mc_step step, const char *code,
		   const char *message)
{
	mc_script_expect_bytes(MAILCERT_PROTO_POSTGRES, NULL, t, SSL_REQUEST, SSL_REQUEST_LEN, step,
			       code, message);
}

static void expect_fail(const struct mc_script_turn *t, const char *code, const char *message)
{
	expect(t, MC_STEP_FAIL, code, message);
}

/* An ErrorResponse (protocol 3) as the postmaster writes it. */
#define TOO_MANY_FIELDS                                                                            \
	"SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0Fproc.c\0L362\0RInitProcess\0"
#define TOO_MANY "E\x00\x00\x00\x55" TOO_MANY_FIELDS "\0"

#define FORGED_PREFIX                                                                              \
	"the server answered SSLRequest with an error (SQLSTATE 53300) instead of 'S' or 'N'; "    \
	"sent before any authentication, its text may be forged: "

/* ---- good path ----------------------------------------------------- */

START_TEST(test_good_path)
{
	const struct mc_script_turn t[] = {T("S"), END};

	expect(t, MC_STEP_TLS, NULL, NULL);
}
END_TEST

/* The client speaks first: start is WRITE with the 8-byte SSLRequest. */
START_TEST(test_start_sends_ssl_request)
{
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_POSTGRES, NULL);
	const uint8_t *out;
	size_t len;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mc_dialogue_start(d), MC_STEP_WRITE);
	out = mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, SSL_REQUEST_LEN);
	ck_assert_mem_eq(out, SSL_REQUEST, SSL_REQUEST_LEN);
	ck_assert_str_eq(mc_dialogue_waiting_for(d), "reply to SSLRequest");
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"S", 1), MC_STEP_TLS);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(mc_dialogue_failure(d, NULL));
	mc_dialogue_free(d);
	ck_assert(mc_dialogue_supported(MAILCERT_PROTO_POSTGRES));
}
END_TEST

/* ---- refusal ------------------------------------------------------- */

START_TEST(test_refused_n)
{
	const struct mc_script_turn t[] = {T("N"), END};

	expect_fail(t, "starttls.refused",
		    "the server answered SSLRequest with 'N': it does not accept SSL connections "
		    "(ssl=off)");
}
END_TEST

/* ---- response injection (rule 1) ----------------------------------- */

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T("SX"), END};
	const struct mc_script_turn hello[] = {T("S\x16\x03\x03\x00\x7a\x02"), END};
	const struct mc_script_turn twice[] = {T("SS"), END};

	expect_fail(t, "starttls.injection",
		    "1 byte followed the server's 'S' go-ahead before TLS (response injection): "
		    "\"X\"");
	expect_fail(hello, "starttls.injection",
		    "6 bytes followed the server's 'S' go-ahead before TLS (response injection): "
		    "\"\\x16\\x03\\x03\\x00z\\x02\"");
	expect_fail(twice, "starttls.injection",
		    "1 byte followed the server's 'S' go-ahead before TLS (response injection): "
		    "\"S\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T("S"), T("N"), END};
	const struct mc_script_turn rfq[] = {T("S"), T("Z\x00\x00\x00\x05I"), END};

	expect_fail(t, "starttls.injection",
		    "1 byte followed the server's 'S' go-ahead before TLS (response injection): "
		    "\"N\"");
	/* A ReadyForQuery, as if authentication had happened over TLS. */
	expect_fail(rfq, "starttls.injection",
		    "6 bytes followed the server's 'S' go-ahead before TLS (response injection): "
		    "\"Z\\x00\\x00\\x00\\x05I\"");
}
END_TEST

/* Driven by hand: 'S', then one byte in a separate call. */
START_TEST(test_injection_direct)
{
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_POSTGRES, NULL);
	const char *message;
	size_t len;

	ck_assert_int_eq(mc_dialogue_start(d), MC_STEP_WRITE);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"S", 1), MC_STEP_TLS);
	ck_assert_ptr_null(mc_dialogue_failure(d, &message));
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"\0", 1), MC_STEP_FAIL);
	ck_assert_str_eq(mc_dialogue_failure(d, &message), "starttls.injection");
	ck_assert_str_eq(message, "1 byte followed the server's 'S' go-ahead before TLS "
				  "(response injection): \"\\x00\"");
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	mc_dialogue_free(d);
}
END_TEST

/* ---- ErrorResponse: quoted, never trusted -------------------------- */

START_TEST(test_error_v3)
{
	const struct mc_script_turn t[] = {T(TOO_MANY), END};

	ck_assert_uint_eq(sizeof(TOO_MANY) - 1, 1 + 0x55);
	expect_fail(t, "protocol.unexpected", FORGED_PREFIX "\"sorry, too many clients already\"");
}
END_TEST

/* The postmaster's fork failure is still a protocol 2 error: 'E', text, NUL. */
START_TEST(test_error_v2)
{
	const struct mc_script_turn t[] = {
	    T("Ecould not fork new process for connection: Resource temporarily unavailable\n\0"),
	    END};

	expect_fail(t, "protocol.unexpected",
		    "the server answered SSLRequest with an error instead of 'S' or 'N'; sent "
		    "before any authentication, its text may be forged: \"could not fork new "
		    "process for connection: Resource temporarily unavailable\"");
}
END_TEST

/* A man in the middle writes what it likes: it is escaped and cut, never shown raw. */
START_TEST(test_error_forged_text)
{
	static char msg[1 + 4 + 7 + 1 + 300 + 1 + 1];
	const struct mc_script_turn esc[] = {
	    T("E\x00\x00\x00\x2e"
	      "C53300\0Mpassword \"ok\"\x1b[2J\r\nLOG: trust me\0\0"),
	    END};
	struct mc_script_turn big[] = {{msg, sizeof(msg)}, END};
	char want[MC_MSG_MAX];
	size_t n = 0;

	expect_fail(esc, "protocol.unexpected",
		    FORGED_PREFIX "\"password \\\"ok\\\"\\x1b[2J\\x0d\\x0aLOG: trust me\"");
	memcpy(msg, "E\x00\x00\x01\x3a", 5); /* 4 + 7 + 302 + 1 = 314 = 0x13a */
	n = 5;
	memcpy(msg + n, "C53300\0", 7);
	n += 7;
	msg[n++] = 'M';
	memset(msg + n, 'w', 300);
	n += 300;
	msg[n++] = '\0';
	msg[n++] = '\0';
	ck_assert_uint_eq(n, sizeof(msg));
	snprintf(want, sizeof(want), FORGED_PREFIX "\"%.*s...\"", MC_QUOTE_MAX, msg + 13);
	expect_fail(big, "protocol.unexpected", want);
}
END_TEST

START_TEST(test_error_no_message)
{
	const struct mc_script_turn t[] = {T("E\x00\x00\x00\x13"
					     "SFATAL\0C53300\0\0"),
					   END};
	const struct mc_script_turn bare[] = {T("E\x00\x00\x00\x05\0"), END};
	const struct mc_script_turn bad_state[] = {T("E\x00\x00\x00\x10"
						     "C5330\"\0Mno\0\0"),
						   END};

	expect_fail(t, "protocol.unexpected",
		    "the server answered SSLRequest with an error (SQLSTATE 53300) and no text "
		    "instead of 'S' or 'N'");
	expect_fail(bare, "protocol.unexpected",
		    "the server answered SSLRequest with an error and no text instead of 'S' or "
		    "'N'");
	/* Only a well-formed SQLSTATE is repeated outside the quotes. */
	expect_fail(bad_state, "protocol.unexpected",
		    "the server answered SSLRequest with an error instead of 'S' or 'N'; sent "
		    "before any authentication, its text may be forged: \"no\"");
}
END_TEST

START_TEST(test_error_malformed)
{
	/* A field without its NUL, and a terminator before the announced end. */
	const struct mc_script_turn unterminated[] = {T("E\x00\x00\x00\x08Mabc"), END};
	const struct mc_script_turn early[] = {T("E\x00\x00\x00\x0aMab\0\0x"), END};
	const struct mc_script_turn short_len[] = {T("E\x00\x00\x00\x04"), END};

	expect_fail(unterminated, "protocol.unexpected",
		    "the server's error reply to SSLRequest is malformed: "
		    "\"E\\x00\\x00\\x00\\x08Mabc\"");
	expect_fail(early, "protocol.unexpected",
		    "the server's error reply to SSLRequest is malformed: "
		    "\"E\\x00\\x00\\x00\\x0aMab\\x00\\x00x\"");
	expect_fail(short_len, "protocol.unexpected",
		    "the server's error reply to SSLRequest announces 4 bytes (5 to 8191 are "
		    "possible)");
}
END_TEST

/* ---- odd replies ----------------------------------------------------- */

START_TEST(test_unexpected_byte)
{
	const struct mc_script_turn http[] = {T("HTTP/1.1 400 Bad Request\r\n\r\n"), END};
	const struct mc_script_turn nul[] = {T("\0"), END};
	const struct mc_script_turn lower[] = {T("s"), END};

	expect_fail(http, "protocol.unexpected",
		    "the server answered SSLRequest with byte 0x48, not 'S', 'N' or 'E': \"H\"");
	expect_fail(nul, "protocol.unexpected",
		    "the server answered SSLRequest with byte 0x00, not 'S', 'N' or 'E': "
		    "\"\\x00\"");
	expect_fail(lower, "protocol.unexpected",
		    "the server answered SSLRequest with byte 0x73, not 'S', 'N' or 'E': \"s\"");
}
END_TEST

/* An implicit-TLS port answers the SSLRequest with a TLS alert, whole or byte by byte. */
START_TEST(test_tls_alert_is_mismatch)
{
	const struct mc_script_turn t[] = {T("\x15\x03\x03\x00\x02\x02\x32"), END};

	mc_script_expect_bytes(
	    MAILCERT_PROTO_POSTGRES, NULL, t, SSL_REQUEST, SSL_REQUEST_LEN, MC_STEP_FAIL,
	    "protocol.mismatch",
	    "the server answered with TLS where its reply to SSLRequest was expected");
}
END_TEST

/* ---- bounds (rule 4) ----------------------------------------------- */

/* A protocol 2 error that never ends: bounded by MC_PENDING_MAX. */
START_TEST(test_endless_error)
{
	static char big[MC_PENDING_MAX + 100];
	struct mc_script_turn t[] = {{big, sizeof(big)}, END};
	char want[MC_MSG_MAX];

	big[0] = 'E';
	memset(big + 1, 'F', sizeof(big) - 1);
	snprintf(want, sizeof(want), "the server's reply to SSLRequest is longer than %d bytes",
		 MC_PENDING_MAX);
	expect_fail(t, "protocol.unexpected", want);
}
END_TEST

/* An ErrorResponse announcing more than the bound fails at its header. */
START_TEST(test_error_over_bound)
{
	const struct mc_script_turn huge[] = {T("E\x00\x01\x00\x00"), END};
	const struct mc_script_turn max[] = {T("E\x00\xff\xff\xff"), END};
	static char at[1 + MC_PENDING_MAX - 1];
	struct mc_script_turn at_limit[] = {{at, sizeof(at)}, END};
	char want[MC_MSG_MAX];
	size_t n = MC_PENDING_MAX - 1;

	expect_fail(huge, "protocol.unexpected",
		    "the server's error reply to SSLRequest announces 65536 bytes (5 to 8191 are "
		    "possible)");
	expect_fail(max, "protocol.unexpected",
		    "the server's error reply to SSLRequest announces 16777215 bytes (5 to 8191 "
		    "are possible)");
	/* The largest one allowed is read whole. */
	at[0] = 'E';
	at[1] = 0;
	at[2] = 0;
	at[3] = (char)(n >> 8);
	at[4] = (char)(n & 0xff);
	at[5] = 'M';
	memset(at + 6, 'm', sizeof(at) - 8);
	at[sizeof(at) - 2] = '\0';
	at[sizeof(at) - 1] = '\0';
	snprintf(want, sizeof(want),
		 "the server answered SSLRequest with an error instead of 'S' or 'N'; sent "
		 "before any authentication, its text may be forged: \"%.*s...\"",
		 MC_QUOTE_MAX, at + 6);
	expect_fail(at_limit, "protocol.unexpected", want);
}
END_TEST

/* ---- EOF at each stage --------------------------------------------- */

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn mid_error[] = {T("E\x00\x00"), END};
	const struct mc_script_turn mid_v2[] = {T("Eno more"), END};

	expect_fail(none, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to SSLRequest");
	expect_fail(mid_error, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to SSLRequest: "
		    "\"E\\x00\\x00\"");
	expect_fail(mid_v2, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to SSLRequest: "
		    "\"Eno more\"");
}
END_TEST

START_TEST(test_eof_after_go_ahead)
{
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_POSTGRES, NULL);
	const char *message;

	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"S", 1), MC_STEP_TLS);
	ck_assert_int_eq(mc_dialogue_input(d, NULL, 0), MC_STEP_FAIL);
	ck_assert_str_eq(mc_dialogue_failure(d, &message), "protocol.unexpected");
	ck_assert_str_eq(message, "the server closed the connection after its 'S' go-ahead, "
				  "before TLS");
	mc_dialogue_free(d);
}
END_TEST

static Suite *proto_postgres_suite(void)
{
	Suite *s = suite_create("proto-postgres");
	TCase *good = tcase_create("good");
	TCase *refused = tcase_create("refused");
	TCase *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_path);
	tcase_add_test(good, test_start_sends_ssl_request);
	suite_add_tcase(s, good);

	tcase_add_test(refused, test_refused_n);
	tcase_add_test(refused, test_error_v3);
	tcase_add_test(refused, test_error_v2);
	suite_add_tcase(s, refused);

	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_injection_direct);
	tcase_add_test(hostile, test_error_forged_text);
	tcase_add_test(hostile, test_error_no_message);
	tcase_add_test(hostile, test_error_malformed);
	tcase_add_test(hostile, test_unexpected_byte);
	tcase_add_test(hostile, test_tls_alert_is_mismatch);
	tcase_add_test(hostile, test_endless_error);
	tcase_add_test(hostile, test_error_over_bound);
	tcase_add_test(hostile, test_eof);
	tcase_add_test(hostile, test_eof_after_go_ahead);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_postgres_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

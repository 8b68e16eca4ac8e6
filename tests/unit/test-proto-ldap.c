/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The LDAP StartTLS dialogue against scripted servers (docs/design.md,
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

/* LDAPMessage { 1, ExtendedRequest { [0] "1.3.6.1.4.1.1466.20037" } }. */
#define REQ                                                                                        \
	"\x30\x1d\x02\x01\x01\x77\x18\x80\x16"                                                     \
	"1.3.6.1.4.1.1466.20037"
#define REQ_LEN 31

/* Runs @t whole and byte by byte; both must send the StartTLS request and end with @step. */
static void expect(const struct mc_script_turn *t, enum mc_step step, const char *code,
		   const char *message)
{
	mc_script_expect_bytes(MAILCERT_PROTO_LDAP, NULL, t, REQ, REQ_LEN, step, code, message);
}

static void expect_fail(const struct mc_script_turn *t, const char *code, const char *message)
{
	expect(t, MC_STEP_FAIL, code, message);
}

#define OID_STARTTLS "1.3.6.1.4.1.1466.20037"
#define OID_NOTICE "1.3.6.1.4.1.1466.20036"
/* slapd's answer: messageID 1, ExtendedResponse { success, "", "" }, no responseName. */
#define OK_OPENLDAP "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
/* The same with the responseName (RFC 4511 section 4.14.2 says it should be there). */
#define OK_NAMED "\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16" OID_STARTTLS
/* Active Directory writes four-byte long-form lengths. */
#define OK_AD                                                                                      \
	"\x30\x84\x00\x00\x00\x10\x02\x01\x01\x78\x84\x00\x00\x00\x07\x0a\x01\x00\x04\x00\x04\x00"

START_TEST(test_good_path)
{
	const struct mc_script_turn t[] = {T(OK_OPENLDAP), END};
	const struct mc_script_turn named[] = {T(OK_NAMED), END};
	const struct mc_script_turn ad[] = {T(OK_AD), END};
	/* With an empty responseValue and an empty controls list. */
	const struct mc_script_turn extras[] = {
	    T("\x30\x10\x02\x01\x01\x78\x09\x0a\x01\x00\x04\x00\x04\x00\x8b\x00\xa0\x00"), END};

	expect(t, MC_STEP_TLS, NULL, NULL);
	expect(named, MC_STEP_TLS, NULL, NULL);
	expect(ad, MC_STEP_TLS, NULL, NULL);
	expect(extras, MC_STEP_TLS, NULL, NULL);
}
END_TEST

START_TEST(test_start_sends_request)
{
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_LDAP, NULL);
	const uint8_t *out;
	size_t len;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mc_dialogue_start(d), MC_STEP_WRITE);
	out = mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, REQ_LEN);
	ck_assert_mem_eq(out, REQ, REQ_LEN);
	ck_assert_str_eq(mc_dialogue_waiting_for(d), "reply to StartTLS");
	ck_assert_int_eq(
	    mc_dialogue_input(d, (const uint8_t *)OK_OPENLDAP, sizeof(OK_OPENLDAP) - 1),
	    MC_STEP_TLS);
	ck_assert_ptr_null(mc_dialogue_failure(d, NULL));
	mc_dialogue_free(d);
	ck_assert(mc_dialogue_supported(MAILCERT_PROTO_LDAP));
}
END_TEST

START_TEST(test_refused)
{
	const struct mc_script_turn unavailable[] = {
	    T("\x30\x1e\x02\x01\x01\x78\x19\x0a\x01\x34\x04\x00\x04\x12TLS not configured"), END};
	const struct mc_script_turn unwilling[] = {
	    T("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x35\x04\x00\x04\x00"), END};
	const struct mc_script_turn odd[] = {
	    T("\x30\x0d\x02\x01\x01\x78\x08\x0a\x02\x00\xc8\x04\x00\x04\x00"), END};

	expect_fail(unavailable, "starttls.refused",
		    "the server refused StartTLS with result unavailable (52): \"TLS not "
		    "configured\"");
	expect_fail(unwilling, "starttls.refused",
		    "the server refused StartTLS with result unwillingToPerform (53): \"\"");
	expect_fail(odd, "starttls.refused",
		    "the server refused StartTLS with result unknown result (200): \"\"");
}
END_TEST

/* A server without the extension: protocolError, as slapd says it. */
START_TEST(test_starttls_missing)
{
	const struct mc_script_turn t[] = {
	    T("\x30\x2a\x02\x01\x01\x78\x25\x0a\x01\x02\x04\x00\x04\x1e"
	      "unsupported extended operation"),
	    END};

	expect_fail(t, "starttls.refused",
		    "the server refused StartTLS with result protocolError (2): \"unsupported "
		    "extended operation\"");
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(OK_OPENLDAP "X"), END};
	const struct mc_script_turn twice[] = {T(OK_AD OK_OPENLDAP), END};

	expect_fail(t, "starttls.injection",
		    "1 byte followed the server's StartTLS success response before TLS (response "
		    "injection): \"X\"");
	expect_fail(
	    twice, "starttls.injection",
	    "14 bytes followed the server's StartTLS success response before TLS (response "
	    "injection): \"0\\x0c\\x02\\x01\\x01x\\x07\\x0a\\x01\\x00\\x04\\x00\\x04\\x00\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(OK_NAMED), T("\x16\x03\x03"), END};

	expect_fail(t, "starttls.injection",
		    "3 bytes followed the server's StartTLS success response before TLS (response "
		    "injection): \"\\x16\\x03\\x03\"");
}
END_TEST

START_TEST(test_notice_of_disconnection)
{
	const struct mc_script_turn t[] = {
	    T("\x30\x28\x02\x01\x00\x78\x23\x0a\x01\x34\x04\x00\x04\x04"
	      "bye!\x8a\x16" OID_NOTICE),
	    END};

	expect_fail(t, "protocol.unexpected",
		    "the server answered StartTLS with a Notice of Disconnection "
		    "(1.3.6.1.4.1.1466.20036), result unavailable (52): \"bye!\"");
}
END_TEST

START_TEST(test_unexpected)
{
	const struct mc_script_turn id2[] = {
	    T("\x30\x0c\x02\x01\x02\x78\x07\x0a\x01\x00\x04\x00\x04\x00"), END};
	const struct mc_script_turn bind[] = {
	    T("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"), END};
	const struct mc_script_turn other_name[] = {
	    T("\x30\x13\x02\x01\x01\x78\x0e\x0a\x01\x00\x04\x00\x04\x00\x8a\x05"
	      "1.2.3"),
	    END};
	const struct mc_script_turn http[] = {T("HTTP/1.1 400 Bad Request\r\n\r\n"), END};

	expect_fail(id2, "protocol.unexpected",
		    "the server's reply to StartTLS has messageID 2, not 1: "
		    "\"0\\x0c\\x02\\x01\\x02x\\x07\\x0a\\x01\\x00\\x04\\x00\\x04\\x00\"");
	expect_fail(
	    bind, "protocol.unexpected",
	    "the server answered StartTLS with LDAP operation tag 0x61, not an "
	    "ExtendedResponse: \"0\\x0c\\x02\\x01\\x01a\\x07\\x0a\\x01\\x00\\x04\\x00\\x04\\x00\"");
	expect_fail(other_name, "protocol.unexpected",
		    "the server's reply to StartTLS names another extended operation: \"1.2.3\"");
	expect_fail(http, "protocol.unexpected",
		    "the server answered StartTLS with byte 0x48, not an LDAPMessage: \"H\"");
}
END_TEST

START_TEST(test_malformed)
{
	/* Junk inside the ExtendedResponse; an inner length past its parent; a negative ID. */
	const struct mc_script_turn junk[] = {
	    T("\x30\x0e\x02\x01\x01\x78\x09\x0a\x01\x00\x04\x00\x04\x00\x05\x00"), END};
	const struct mc_script_turn past[] = {
	    T("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x05"), END};
	const struct mc_script_turn neg[] = {
	    T("\x30\x0c\x02\x01\xff\x78\x07\x0a\x01\x00\x04\x00\x04\x00"), END};
	const char *pre =
	    "the server's reply to StartTLS is not a well-formed LDAP ExtendedResponse: ";
	char want[MC_MSG_MAX];

	snprintf(want, sizeof(want), "%s%s", pre,
		 "\"0\\x0e\\x02\\x01\\x01x\\x09\\x0a\\x01\\x00\\x04\\x00\\x04\\x00\\x05\\x00\"");
	expect_fail(junk, "protocol.unexpected", want);
	snprintf(want, sizeof(want), "%s%s", pre,
		 "\"0\\x0c\\x02\\x01\\x01x\\x07\\x0a\\x01\\x00\\x04\\x00\\x04\\x05\"");
	expect_fail(past, "protocol.unexpected", want);
	snprintf(want, sizeof(want), "%s%s", pre,
		 "\"0\\x0c\\x02\\x01\\xffx\\x07\\x0a\\x01\\x00\\x04\\x00\\x04\\x00\"");
	expect_fail(neg, "protocol.unexpected", want);
}
END_TEST

/* Bounds: indefinite lengths, lengths beyond MC_PENDING_MAX, length-of-length > 4. */
START_TEST(test_lengths)
{
	const struct mc_script_turn indefinite[] = {T("\x30\x80\x02\x01\x01"), END};
	const struct mc_script_turn huge[] = {T("\x30\x84\x00\x01\x00\x00\x02\x01\x01"), END};
	const struct mc_script_turn eight[] = {T("\x30\x88\x00\x00\x00\x00\x00\x00\x00\x0c"), END};
	const struct mc_script_turn just_over[] = {T("\x30\x82\x1f\xfd"), END};
	const char *msg =
	    "the server's reply to StartTLS has a length that is indefinite or beyond "
	    "8192 bytes";

	ck_assert_int_eq(MC_PENDING_MAX, 8192);
	expect_fail(indefinite, "protocol.unexpected", msg);
	expect_fail(huge, "protocol.unexpected", msg);
	expect_fail(eight, "protocol.unexpected", msg);
	expect_fail(just_over, "protocol.unexpected", msg);
}
END_TEST

/* A message as big as the buffer allows, never finished: EOF quotes its start. */
START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn half[] = {T("\x30\x0c\x02\x01\x01\x78"), END};
	const struct mc_script_turn big_open[] = {T("\x30\x82\x1f\xfc\x02\x01\x01"), END};

	expect_fail(none, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to StartTLS");
	expect_fail(half, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to StartTLS: "
		    "\"0\\x0c\\x02\\x01\\x01x\"");
	expect_fail(big_open, "protocol.unexpected",
		    "the server closed the connection before the end of its reply to StartTLS: "
		    "\"0\\x82\\x1f\\xfc\\x02\\x01\\x01\"");
}
END_TEST

/* More bytes than a message may hold: dialogue.c's buffer bound. */
START_TEST(test_oversized_stream)
{
	static char buf[MC_PENDING_MAX + 1];
	struct mc_script_turn t[] = {{buf, sizeof(buf)}, END};
	struct mc_script_outcome o;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "\x30\x82\x1f\xfc", 4);
	mc_script_drive(&o, MAILCERT_PROTO_LDAP, NULL, t, 0);
	mc_script_check_bytes(&o, "whole turns", REQ, REQ_LEN, MC_STEP_FAIL, "protocol.unexpected",
			      "the server's reply to StartTLS is longer than 8192 bytes");
}
END_TEST

START_TEST(test_tls_alert_is_mismatch)
{
	const struct mc_script_turn t[] = {T("\x15\x03\x03\x00\x02\x02\x32"), END};

	mc_script_expect_bytes(
	    MAILCERT_PROTO_LDAP, NULL, t, REQ, REQ_LEN, MC_STEP_FAIL, "protocol.mismatch",
	    "the server answered with TLS where its reply to StartTLS was expected");
}
END_TEST

static Suite *proto_ldap_suite(void)
{
	Suite *s = suite_create("proto-ldap");
	TCase *tc = tcase_create("ldap");

	tcase_add_test(tc, test_good_path);
	tcase_add_test(tc, test_start_sends_request);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_starttls_missing);
	tcase_add_test(tc, test_injection_same_chunk);
	tcase_add_test(tc, test_injection_later_call);
	tcase_add_test(tc, test_notice_of_disconnection);
	tcase_add_test(tc, test_unexpected);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_eof);
	tcase_add_test(tc, test_oversized_stream);
	tcase_add_test(tc, test_tls_alert_is_mismatch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_ldap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MySQL/MariaDB dialogue against scripted servers (docs/design.md,
 * "STARTTLS rules every dialogue obeys"): HandshakeV10 with CLIENT_SSL, the
 * SSLRequest packet, then TLS with no reply in between (WRITE_TLS). Every
 * transcript runs twice, each server turn in one input call and then one
 * byte per call, and must send the same bytes and end the same way.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "proto/dialogue.h" /* MC_PENDING_MAX */

#include "../common/script.h"

/* Header (32 bytes, sequence 1); LONG_PASSWORD | PROTOCOL_41 | SSL |
 * SECURE_CONNECTION; max packet 16 MiB; charset 33; 23 zero bytes. */
#define SSL_REQUEST                                                                                \
	"\x20\x00\x00\x01"                                                                         \
	"\x01\x8a\x00\x00"                                                                         \
	"\x00\x00\x00\x01"                                                                         \
	"\x21"                                                                                     \
	"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define SSL_REQUEST_LEN 36

/* Runs @t whole and byte by byte; both must send (@sent_request) and end alike. */
static void expect(const struct mc_script_turn *t, int sent_request, enum mc_step step,
		   const char *code, const char *message)
{
	mc_script_expect_bytes(MAILCERT_PROTO_MYSQL, NULL, t, SSL_REQUEST,
			       sent_request ? SSL_REQUEST_LEN : 0, step, code, message);
}

static void expect_tls(const struct mc_script_turn *t)
{
	expect(t, 1, MC_STEP_WRITE_TLS, NULL, NULL);
}

static void expect_fail(const struct mc_script_turn *t, int sent_request, const char *code,
			const char *message)
{
	expect(t, sent_request, MC_STEP_FAIL, code, message);
}

/* ---- greetings ----------------------------------------------------- */

#define MARIADB_VERSION "5.5.5-10.11.6-MariaDB-0+deb12u1"

/*
 * A HandshakeV10 packet into @buf: sequence @seq, server version @version,
 * lower capability bytes @caps; @full adds what follows them (charset,
 * status, upper capabilities, auth data, plugin name), as MariaDB sends.
 * Returns the packet's length.
 */
static size_t greeting(char *buf, unsigned seq, const char *version, unsigned caps, int full)
{
	size_t n = 4, payload;

	buf[n++] = 10;
	memcpy(buf + n, version, strlen(version) + 1);
	n += strlen(version) + 1;
	memcpy(buf + n, "\x2a\x00\x00\x00", 4); /* connection id */
	n += 4;
	memcpy(buf + n, "s3cr3t!!", 8); /* auth plugin data, part 1 */
	n += 8;
	buf[n++] = 0; /* filler */
	buf[n++] = (char)(caps & 0xff);
	buf[n++] = (char)(caps >> 8);
	if (full) {
		static const char rest[] = "\x2d"             /* charset utf8mb4_general_ci */
					   "\x02\x00"         /* status: autocommit */
					   "\xff\x81"         /* upper capabilities */
					   "\x15"             /* auth plugin data length */
					   "\0\0\0\0\0\0"     /* filler */
					   "\x1d\x00\x00\x00" /* MariaDB extended capabilities */
					   "0123456789ab\0"
					   "mysql_native_password";

		memcpy(buf + n, rest, sizeof(rest)); /* with its NUL */
		n += sizeof(rest);
	}
	payload = n - 4;
	buf[0] = (char)(payload & 0xff);
	buf[1] = (char)(payload >> 8);
	buf[2] = (char)(payload >> 16);
	buf[3] = (char)seq;
	return n;
}

#define CAPS_MARIADB 0xfffe /* MariaDB 10.11 with ssl: CLIENT_SSL (0x0800) set */
#define CAPS_NO_SSL (CAPS_MARIADB & ~0x0800)

/* ---- good paths ---------------------------------------------------- */

START_TEST(test_good_mariadb)
{
	static char g[256];
	struct mc_script_turn t[] = {{g, 0}, END};

	t[0].len = greeting(g, 0, MARIADB_VERSION, CAPS_MARIADB, 1);
	expect_tls(t);
}
END_TEST

/* A greeting that ends after the lower capability flags (old servers) is enough. */
START_TEST(test_good_short_greeting)
{
	static char g[256];
	struct mc_script_turn t[] = {{g, 0}, END};

	t[0].len = greeting(g, 0, "5.0.96", 0x0800, 0);
	expect_tls(t);
}
END_TEST

/* The greeting in two TCP segments, split inside the header and inside the payload. */
START_TEST(test_greeting_in_pieces)
{
	static char g[256];
	struct mc_script_turn t[] = {{g, 2}, {g + 2, 10}, {g + 12, 0}, END};
	size_t n = greeting(g, 0, "8.0.36", 0xffff, 1);

	t[2].len = n - 12;
	expect_tls(t);
}
END_TEST

/* The greeting is the go-ahead: the request is sent with WRITE_TLS and nothing is read. */
START_TEST(test_write_tls_direct)
{
	static char g[256];
	struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_MYSQL, NULL);
	size_t n = greeting(g, 0, MARIADB_VERSION, CAPS_MARIADB, 1), len;
	const uint8_t *out;
	const char *message;

	ck_assert_ptr_nonnull(d);
	ck_assert(mc_dialogue_supported(MAILCERT_PROTO_MYSQL));
	ck_assert_int_eq(mc_dialogue_start(d), MC_STEP_READ);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(mc_dialogue_waiting_for(d), "greeting");
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)g, n - 1), MC_STEP_READ);
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)g + n - 1, 1), MC_STEP_WRITE_TLS);
	out = mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, SSL_REQUEST_LEN);
	ck_assert_mem_eq(out, SSL_REQUEST, SSL_REQUEST_LEN);
	ck_assert_ptr_null(mc_dialogue_failure(d, &message));
	/* Anything the server says now is injected. */
	ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)"\x16", 1), MC_STEP_FAIL);
	ck_assert_str_eq(mc_dialogue_failure(d, &message), "starttls.injection");
	ck_assert_str_eq(message, "1 byte followed the server's greeting offering SSL before TLS "
				  "(response injection): \"\\x16\"");
	mc_dialogue_output(d, &len);
	ck_assert_uint_eq(len, 0);
	mc_dialogue_free(d);
}
END_TEST

/* ---- not offered, refused ------------------------------------------ */

START_TEST(test_ssl_not_offered)
{
	static char g[256], s[256];
	struct mc_script_turn t[] = {{g, 0}, END};
	struct mc_script_turn t2[] = {{s, 0}, END};

	t[0].len = greeting(g, 0, MARIADB_VERSION, CAPS_NO_SSL, 1);
	expect_fail(t, 0, "starttls.not-offered",
		    "the server's greeting does not offer SSL (no CLIENT_SSL capability: TLS is "
		    "not configured); its version: \"" MARIADB_VERSION "\"");
	/* The version is quoted, escaped. */
	t2[0].len = greeting(s, 0, "8.0\"\x1b[31m", 0, 0);
	expect_fail(t2, 0, "starttls.not-offered",
		    "the server's greeting does not offer SSL (no CLIENT_SSL capability: TLS is "
		    "not configured); its version: \"8.0\\\"\\x1b[31m\"");
}
END_TEST

/* MariaDB with skip-name-resolve and no account for the client's host. */
#define ERR_1130 "\xff\x6a\x04Host '127.0.0.1' is not allowed to connect to this MariaDB server"

START_TEST(test_err_host_not_allowed)
{
	static char p[256];
	struct mc_script_turn t[] = {{p, 0}, END};
	size_t n = sizeof(ERR_1130) - 1;

	memcpy(p, "\0\0\0\0", 4);
	p[0] = (char)n;
	memcpy(p + 4, ERR_1130, n);
	t[0].len = 4 + n;
	expect_fail(t, 0, "protocol.unexpected",
		    "the server refused the connection with error 1130 instead of its greeting: "
		    "\"Host '127.0.0.1' is not allowed to connect to this MariaDB server\"");
}
END_TEST

START_TEST(test_err_with_sqlstate)
{
	const struct mc_script_turn t[] = {
	    T("\x1d\x00\x00\x00\xff\x10\x04#08004Too many connections"), END};
	const struct mc_script_turn bare[] = {T("\x03\x00\x00\x00\xff\x15\x04"), END};
	const struct mc_script_turn cut[] = {T("\x02\x00\x00\x00\xff\x15"), END};

	expect_fail(t, 0, "protocol.unexpected",
		    "the server refused the connection with error 1040 instead of its greeting: "
		    "\"Too many connections\"");
	expect_fail(bare, 0, "protocol.unexpected",
		    "the server refused the connection with error 1045 instead of its greeting: "
		    "\"\"");
	expect_fail(cut, 0, "protocol.unexpected",
		    "the server sent a malformed error packet instead of its greeting: "
		    "\"\\xff\\x15\"");
}
END_TEST

/* ---- response injection (rule 1) ----------------------------------- */

/*
 * Bytes after the greeting, in its chunk. Whole, the dialogue sees them
 * before it sends anything; byte by byte, the greeting completes first and
 * the SSLRequest goes out, then the driver finds them waiting. Injection
 * either way.
 */
START_TEST(test_injection_same_chunk)
{
	static char g[256];
	struct mc_script_turn t[] = {{g, 0}, END};
	size_t n = greeting(g, 0, MARIADB_VERSION, CAPS_MARIADB, 1);
	const char *want = "7 bytes followed the server's greeting offering SSL before TLS "
			   "(response injection): \"\\x07\\x00\\x00\\x02\\x00\\x00\\x00\"";
	struct mc_script_outcome whole, bytes;

	memcpy(g + n, "\x07\x00\x00\x02\x00\x00\x00", 7); /* an OK packet */
	t[0].len = n + 7;
	mc_script_drive(&whole, MAILCERT_PROTO_MYSQL, NULL, t, 0);
	mc_script_drive(&bytes, MAILCERT_PROTO_MYSQL, NULL, t, 1);
	mc_script_check_bytes(&whole, "whole turns", SSL_REQUEST, 0, MC_STEP_FAIL,
			      "starttls.injection", want);
	mc_script_check_bytes(&bytes, "byte by byte", SSL_REQUEST, SSL_REQUEST_LEN, MC_STEP_FAIL,
			      "starttls.injection", want);
}
END_TEST

START_TEST(test_injection_later_call)
{
	static char g[256];
	struct mc_script_turn t[] = {{g, 0}, T("\x16\x03\x03\x00\x5a\x02"), END};

	t[0].len = greeting(g, 0, MARIADB_VERSION, CAPS_MARIADB, 1);
	expect_fail(t, 1, "starttls.injection",
		    "6 bytes followed the server's greeting offering SSL before TLS (response "
		    "injection): \"\\x16\\x03\\x03\\x00Z\\x02\"");
}
END_TEST

/* ---- malformed greetings --------------------------------------------- */

START_TEST(test_malformed)
{
	static char g[256];
	struct mc_script_turn t[] = {{g, 0}, END};
	const struct mc_script_turn v9[] = {T("\x05\x00\x00\x00\x09"
					      "4.0\0"),
					    END};
	const struct mc_script_turn no_nul[] = {T("\x05\x00\x00\x00\x0a"
						  "5.7x"),
						END};
	const struct mc_script_turn short_caps[] = {T("\x0a\x00\x00\x00\x0a"
						      "8.0\0\x01\x00\x00\x00\x08"),
						    END};
	const struct mc_script_turn http[] = {T("HTTP/1.1 400 Bad Request\r\n\r\n"), END};

	expect_fail(v9, 0, "protocol.unexpected",
		    "the server's greeting has protocol version 9, not 10: \"\\x094.0\\x00\"");
	expect_fail(no_nul, 0, "protocol.unexpected",
		    "the server's greeting is malformed (no end to its version): \"\\x0a5.7x\"");
	expect_fail(short_caps, 0, "protocol.unexpected",
		    "the server's greeting is malformed (too short for its capabilities): "
		    "\"\\x0a8.0\\x00\\x01\\x00\\x00\\x00\\x08\"");
	/* A sequence id other than 0: not the first packet of a connection. */
	t[0].len = greeting(g, 1, MARIADB_VERSION, CAPS_MARIADB, 1);
	expect_fail(t, 0, "protocol.unexpected", "the server's greeting has sequence id 1, not 0");
	/* Not MySQL at all: "HTTP" read as a length of 0x544854 bytes. */
	expect_fail(http, 0, "protocol.unexpected",
		    "the server's greeting announces a packet of 5526600 bytes (1 to 8188 are "
		    "possible)");
}
END_TEST

/* An implicit-TLS port answers with a TLS record, whole or byte by byte. */
START_TEST(test_tls_record_is_mismatch)
{
	const struct mc_script_turn t[] = {T("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03"), END};

	mc_script_expect_bytes(MAILCERT_PROTO_MYSQL, NULL, t, SSL_REQUEST, 0, MC_STEP_FAIL,
			       "protocol.mismatch",
			       "the server answered with TLS where its greeting was expected");
}
END_TEST

/* ---- bounds (rule 4) ----------------------------------------------- */

START_TEST(test_oversized_packet)
{
	const struct mc_script_turn huge[] = {T("\xff\xff\xff\x00"), END};
	const struct mc_script_turn over[] = {T("\xfd\x1f\x00\x00"), END};
	const struct mc_script_turn empty[] = {T("\x00\x00\x00\x00"), END};

	expect_fail(huge, 0, "protocol.unexpected",
		    "the server's greeting announces a packet of 16777215 bytes (1 to 8188 are "
		    "possible)");
	expect_fail(over, 0, "protocol.unexpected",
		    "the server's greeting announces a packet of 8189 bytes (1 to 8188 are "
		    "possible)");
	expect_fail(empty, 0, "protocol.unexpected",
		    "the server's greeting announces a packet of 0 bytes (1 to 8188 are "
		    "possible)");
}
END_TEST

/* The largest greeting allowed (MC_PENDING_MAX with its header) is read whole. */
START_TEST(test_greeting_at_limit)
{
	static char g[MC_PENDING_MAX], version[MC_PENDING_MAX];
	struct mc_script_turn t[] = {{g, 0}, END};
	size_t n;

	/* 1 + version + 1 + 13 + 2 = 8188 */
	memset(version, 'v', MC_PENDING_MAX - 4 - 17);
	n = greeting(g, 0, version, 0x0800, 0);
	ck_assert_uint_eq(n, MC_PENDING_MAX);
	t[0].len = n;
	expect_tls(t);
}
END_TEST

/*
 * A packet as long as allowed whose version string never ends, and a
 * chunk beyond the bound (whole only: byte by byte the packet completes
 * first and is malformed).
 */
START_TEST(test_endless_packet)
{
	static char g[MC_PENDING_MAX + 50];
	struct mc_script_turn t[] = {{g, MC_PENDING_MAX}, END};
	struct mc_script_turn over[] = {{g, sizeof(g)}, END};
	char want[MC_MSG_MAX];
	struct mc_script_outcome o;

	memset(g, 'v', sizeof(g));
	memcpy(g, "\xfc\x1f\x00\x00\x0a", 5);
	snprintf(want, sizeof(want),
		 "the server's greeting is malformed (no end to its version): \"\\x0a%.*s...\"",
		 MC_QUOTE_MAX - 1, g + 5);
	expect_fail(t, 0, "protocol.unexpected", want);
	mc_script_drive(&o, MAILCERT_PROTO_MYSQL, NULL, over, 0);
	snprintf(want, sizeof(want), "the server's greeting is longer than %d bytes",
		 MC_PENDING_MAX);
	mc_script_check_bytes(&o, "whole turns", SSL_REQUEST, 0, MC_STEP_FAIL,
			      "protocol.unexpected", want);
}
END_TEST

/* ---- EOF at each stage --------------------------------------------- */

START_TEST(test_eof)
{
	static char g[256];
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn header[] = {T("\x4a\x00"), END};
	const struct mc_script_turn payload[] = {T("\x4a\x00\x00\x00\x0a"
						   "10.11"),
						 END};
	struct mc_script_turn after[] = {{g, 0}, END};

	expect_fail(none, 0, "protocol.unexpected",
		    "the server closed the connection before the end of its greeting");
	expect_fail(header, 0, "protocol.unexpected",
		    "the server closed the connection before the end of its greeting: "
		    "\"J\\x00\"");
	expect_fail(payload, 0, "protocol.unexpected",
		    "the server closed the connection before the end of its greeting: "
		    "\"J\\x00\\x00\\x00\\x0a10.11\"");
	/* After the SSLRequest: the driver finds EOF where the handshake should start. */
	after[0].len = greeting(g, 0, MARIADB_VERSION, CAPS_MARIADB, 1);
	{
		struct mc_dialogue *d = mc_dialogue_new(MAILCERT_PROTO_MYSQL, NULL);
		const char *message;

		ck_assert_int_eq(mc_dialogue_input(d, (const uint8_t *)g, after[0].len),
				 MC_STEP_WRITE_TLS);
		ck_assert_int_eq(mc_dialogue_input(d, NULL, 0), MC_STEP_FAIL);
		ck_assert_str_eq(mc_dialogue_failure(d, &message), "protocol.unexpected");
		ck_assert_str_eq(message, "the server closed the connection after its greeting "
					  "offering SSL, before TLS");
		mc_dialogue_free(d);
	}
}
END_TEST

static Suite *proto_mysql_suite(void)
{
	Suite *s = suite_create("proto-mysql");
	TCase *good = tcase_create("good");
	TCase *refused = tcase_create("refused");
	TCase *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_mariadb);
	tcase_add_test(good, test_good_short_greeting);
	tcase_add_test(good, test_greeting_in_pieces);
	tcase_add_test(good, test_write_tls_direct);
	tcase_add_test(good, test_greeting_at_limit);
	suite_add_tcase(s, good);

	tcase_add_test(refused, test_ssl_not_offered);
	tcase_add_test(refused, test_err_host_not_allowed);
	tcase_add_test(refused, test_err_with_sqlstate);
	suite_add_tcase(s, refused);

	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_malformed);
	tcase_add_test(hostile, test_tls_record_is_mismatch);
	tcase_add_test(hostile, test_oversized_packet);
	tcase_add_test(hostile, test_endless_packet);
	tcase_add_test(hostile, test_eof);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_mysql_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

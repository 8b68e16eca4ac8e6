/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

static const struct {
	const char *greeting;
	unsigned port;
	const char *scheme;
} cases[] = {
	{"220 mail.test ESMTP Postfix\r\n", 465, "smtp"},
	{"220-mail.test ESMTP\r\n220 ready\r\n", 25, "smtp"},
	{"220 mail.test ESMTP\r\n", 587, "submission"},
	{"220 mail.test LMTP Dovecot ready\r\n", 2424, "lmtp"},
	{"220 ready\r\n", 24, "lmtp"},
	{"220 (vsFTPd 3.0.3)\r\n", 990, "ftp"},
	{"220 ready\r\n", 21, "ftp"},
	{"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n", 993, "imap"},
	{"* PREAUTH ready\r\n", 993, "imap"},
	{"+OK Dovecot ready.\r\n", 995, "pop3"},
	{"200 news.test InterNetNews NNRP server\r\n", 563, "nntp"},
	{"201 read only\r\n", 563, "nntp"},
	{"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n", 4190, "sieve"},
	{"<?xml version='1.0'?><stream:stream>", 5223, "xmpp"},
	{":irc.test NOTICE * :*** hello\r\n", 6697, "irc"},
	{"NOTICE AUTH :*** Looking up your hostname\r\n", 6697, "irc"},
	{"", 465, NULL},
	{"HTTP/1.1 400 Bad Request\r\n", 465, NULL},
	{"22", 465, NULL},
};

START_TEST(test_greetings)
{
	const char *got = mc_recognise_plaintext((const uint8_t *)cases[_i].greeting,
						 strlen(cases[_i].greeting), cases[_i].port);

	if (cases[_i].scheme)
		ck_assert_msg(got && strcmp(got, cases[_i].scheme) == 0, "%s: got %s",
			      cases[_i].greeting, got ? got : "NULL");
	else
		ck_assert_msg(got == NULL, "%s: got %s", cases[_i].greeting, got);
}
END_TEST

START_TEST(test_mysql_greeting)
{
	/* A HandshakeV10 packet header: length 0x4a, sequence 0, version 10. */
	static const uint8_t hello[] = {0x4a, 0x00, 0x00, 0x00, 0x0a, '5', '.', '5'};

	ck_assert_str_eq(mc_recognise_plaintext(hello, sizeof(hello), 3307), "mysql");
}
END_TEST

START_TEST(test_tls_records)
{
	static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x80};
	static const uint8_t ssl2ish[] = {0x80, 0x2e, 0x01};
	static const uint8_t text[] = "220 ok";

	ck_assert(mc_looks_like_tls(alert, sizeof(alert)));
	ck_assert(mc_looks_like_tls(hello, sizeof(hello)));
	ck_assert(!mc_looks_like_tls(alert, 2));
	ck_assert(!mc_looks_like_tls(ssl2ish, sizeof(ssl2ish)));
	ck_assert(!mc_looks_like_tls(text, sizeof(text) - 1));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recognise");
	TCase *tc = tcase_create("greetings");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_greetings, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_mysql_greeting);
	tcase_add_test(tc, test_tls_records);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

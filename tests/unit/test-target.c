/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <mailcert/mailcert.h>

#include "model/internal.h"

struct good_case {
	const char *text, *scheme_override;
	const char *scheme, *host;
	unsigned port;
	mailcert_protocol proto;
	int guessed;
	const char *canonical;
};

/* Every scheme of docs/design.md's table, with its default port and protocol. */
static const struct good_case good[] = {
	{"smtp://mail.example.com", NULL, "smtp", "mail.example.com", 25, MAILCERT_PROTO_SMTP, 0, "smtp://mail.example.com:25"},
	{"submission://mail.example.com", NULL, "submission", "mail.example.com", 587, MAILCERT_PROTO_SMTP, 0, "submission://mail.example.com:587"},
	{"smtps://mail.example.com", NULL, "smtps", "mail.example.com", 465, MAILCERT_PROTO_NONE, 0, "smtps://mail.example.com:465"},
	{"submissions://mail.example.com", NULL, "submissions", "mail.example.com", 465, MAILCERT_PROTO_NONE, 0, "submissions://mail.example.com:465"},
	{"lmtp://mx:2424", NULL, "lmtp", "mx", 2424, MAILCERT_PROTO_LMTP, 0, "lmtp://mx:2424"},
	{"lmtp://mx", NULL, "lmtp", "mx", 24, MAILCERT_PROTO_LMTP, 0, "lmtp://mx:24"},
	{"imap://h", NULL, "imap", "h", 143, MAILCERT_PROTO_IMAP, 0, "imap://h:143"},
	{"imaps://h", NULL, "imaps", "h", 993, MAILCERT_PROTO_NONE, 0, "imaps://h:993"},
	{"pop3://h", NULL, "pop3", "h", 110, MAILCERT_PROTO_POP3, 0, "pop3://h:110"},
	{"pop3s://h", NULL, "pop3s", "h", 995, MAILCERT_PROTO_NONE, 0, "pop3s://h:995"},
	{"sieve://h", NULL, "sieve", "h", 4190, MAILCERT_PROTO_SIEVE, 0, "sieve://h:4190"},
	{"nntp://h", NULL, "nntp", "h", 119, MAILCERT_PROTO_NNTP, 0, "nntp://h:119"},
	{"nntps://h", NULL, "nntps", "h", 563, MAILCERT_PROTO_NONE, 0, "nntps://h:563"},
	{"ftp://h", NULL, "ftp", "h", 21, MAILCERT_PROTO_FTP, 0, "ftp://h:21"},
	{"ftps://h", NULL, "ftps", "h", 990, MAILCERT_PROTO_NONE, 0, "ftps://h:990"},
	{"xmpp://h", NULL, "xmpp", "h", 5222, MAILCERT_PROTO_XMPP, 0, "xmpp://h:5222"},
	{"xmpp-server://h", NULL, "xmpp-server", "h", 5269, MAILCERT_PROTO_XMPP_SERVER, 0, "xmpp-server://h:5269"},
	{"xmpps://h", NULL, "xmpps", "h", 5223, MAILCERT_PROTO_NONE, 0, "xmpps://h:5223"},
	{"ldap://h", NULL, "ldap", "h", 389, MAILCERT_PROTO_LDAP, 0, "ldap://h:389"},
	{"ldaps://h", NULL, "ldaps", "h", 636, MAILCERT_PROTO_NONE, 0, "ldaps://h:636"},
	{"postgres://h", NULL, "postgres", "h", 5432, MAILCERT_PROTO_POSTGRES, 0, "postgres://h:5432"},
	{"mysql://h", NULL, "mysql", "h", 3306, MAILCERT_PROTO_MYSQL, 0, "mysql://h:3306"},
	{"irc://h", NULL, "irc", "h", 6667, MAILCERT_PROTO_IRC, 0, "irc://h:6667"},
	{"ircs://h", NULL, "ircs", "h", 6697, MAILCERT_PROTO_NONE, 0, "ircs://h:6697"},
	{"https://h", NULL, "https", "h", 443, MAILCERT_PROTO_NONE, 0, "https://h:443"},
	{"tls://h:8443", NULL, "tls", "h", 8443, MAILCERT_PROTO_NONE, 0, "tls://h:8443"},
	/* Scheme names are case-insensitive; the canonical form is lowercase. */
	{"SMTP://mail.example.com:2525", NULL, "smtp", "mail.example.com", 2525, MAILCERT_PROTO_SMTP, 0, "smtp://mail.example.com:2525"},
	/* Bare host:port takes the protocol from the port. */
	{"mail.example.com:587", NULL, "submission", "mail.example.com", 587, MAILCERT_PROTO_SMTP, 1, "submission://mail.example.com:587"},
	{"mail.example.com:465", NULL, "smtps", "mail.example.com", 465, MAILCERT_PROTO_NONE, 1, "smtps://mail.example.com:465"},
	{"mail.example.com:25", NULL, "smtp", "mail.example.com", 25, MAILCERT_PROTO_SMTP, 1, "smtp://mail.example.com:25"},
	{"[2001:db8::1]:25", NULL, "smtp", "2001:db8::1", 25, MAILCERT_PROTO_SMTP, 1, "smtp://[2001:db8::1]:25"},
	{"smtp://[::1]", NULL, "smtp", "::1", 25, MAILCERT_PROTO_SMTP, 0, "smtp://[::1]:25"},
	{"smtp://[fe80::1%eth0]", NULL, "smtp", "fe80::1%eth0", 25, MAILCERT_PROTO_SMTP, 0, "smtp://[fe80::1%eth0]:25"},
	{"192.0.2.7:993", NULL, "imaps", "192.0.2.7", 993, MAILCERT_PROTO_NONE, 1, "imaps://192.0.2.7:993"},
	/* -P overrides the scheme and completes a bare host. */
	{"mail.example.com", "submission", "submission", "mail.example.com", 587, MAILCERT_PROTO_SMTP, 0, "submission://mail.example.com:587"},
	{"smtp://mail.example.com:2525", "smtps", "smtps", "mail.example.com", 2525, MAILCERT_PROTO_NONE, 0, "smtps://mail.example.com:2525"},
	{"mail.example.com:10025", "lmtp", "lmtp", "mail.example.com", 10025, MAILCERT_PROTO_LMTP, 0, "lmtp://mail.example.com:10025"},
};

START_TEST(test_good)
{
	const struct good_case *c = &good[_i];
	mailcert_target *t = NULL;
	char err[256] = "";

	ck_assert_msg(mailcert_target_parse(&t, c->text, c->scheme_override, err, sizeof(err)) == 0,
		      "%s: %s", c->text, err);
	ck_assert_str_eq(mailcert_target_scheme(t), c->scheme);
	ck_assert_str_eq(mailcert_target_host(t), c->host);
	ck_assert_uint_eq(mailcert_target_port(t), c->port);
	ck_assert_int_eq(mailcert_target_protocol(t), c->proto);
	ck_assert_int_eq(mailcert_target_port_guessed(t), c->guessed);
	ck_assert_str_eq(mailcert_target_string(t), c->canonical);
	mailcert_target_free(t);
}
END_TEST

struct bad_case {
	const char *text, *scheme_override, *reason;
};

static const struct bad_case bad[] = {
	{"mail.example.com", NULL, "give a scheme or a port"},
	{"gopher://h", NULL, "unknown scheme \"gopher\""},
	{"h", "gopher", "unknown protocol \"gopher\""},
	{"tls://h", NULL, "the tls scheme needs a port"},
	{"h:8443", NULL, "port 8443 has no customary protocol"},
	{"smtp://h:0", NULL, "from 1 to 65535"},
	{"smtp://h:65536", NULL, "from 1 to 65535"},
	{"smtp://h:25x", NULL, "from 1 to 65535"},
	{"smtp://h:", NULL, "from 1 to 65535"},
	{"smtp://", NULL, "not a valid host"},
	{"smtp://h/path", NULL, "no path or user"},
	{"smtp://user@h", NULL, "no path or user"},
	{"2001:db8::1", NULL, "IPv6 addresses go in brackets"},
	{"smtp://[::1", NULL, "unclosed '['"},
	{"smtp://[::1]x", NULL, "unexpected text after ']'"},
	/* Found by fuzz-parse: a bracketed name printed without brackets did not parse back. */
	{"submission://[db8q112%22]:587", NULL, "brackets hold an IPv6 address"},
	{"smtp://[mail.example.com]", NULL, "brackets hold an IPv6 address"},
	{"smtp://[]", NULL, "brackets hold an IPv6 address"},
	{"smtp://h\r\nQUIT", NULL, "not a valid host"},
	{"smtp://h o", NULL, "not a valid host"},
	{"", NULL, "not a valid host"},
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad[_i];
	mailcert_target *t = (mailcert_target *)1;
	char err[256] = "";

	ck_assert_int_eq(mailcert_target_parse(&t, c->text, c->scheme_override, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err, c->reason), "%s: got \"%s\", want \"%s\"", c->text, err, c->reason);
}
END_TEST

START_TEST(test_small_error_buffer)
{
	mailcert_target *t;
	char err[8];

	ck_assert_int_eq(mailcert_target_parse(&t, "gopher://h", NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(mailcert_target_parse(&t, "gopher://h", NULL, NULL, 0), MAILCERT_E_INVALID);
}
END_TEST

/*
 * The scheme a mismatch suggests keeps the family the user chose, both
 * ways: a STARTTLS scheme on an implicit-TLS port, an implicit one on a
 * STARTTLS port that greeted as @heard (what mc_recognise_plaintext()
 * says for that greeting on that port).
 */
static const struct {
	const char *starttls, *implicit; /* the pair */
	const char *heard;               /* the greeting's protocol on @port */
	unsigned port;
} pairs[] = {
    {"smtp", "smtps", "smtp", 2525},
    {"submission", "submissions", "smtp", 2587},
    {"submission", "submissions", "submission", 587},
    {"imap", "imaps", "imap", 1143},
    {"pop3", "pop3s", "pop3", 1110},
    {"nntp", "nntps", "nntp", 1119},
    {"ftp", "ftps", "ftp", 2121},
    {"xmpp", "xmpps", "xmpp", 5222},
    {"irc", "ircs", "irc", 6667},
    {"ldap", "ldaps", "ldap", 389},
};

START_TEST(test_scheme_pairs)
{
	ck_assert_str_eq(mc_scheme_implicit(pairs[_i].starttls), pairs[_i].implicit);
	ck_assert_str_eq(mc_scheme_starttls(pairs[_i].implicit, pairs[_i].heard, pairs[_i].port),
			 pairs[_i].starttls);
}
END_TEST

START_TEST(test_scheme_suggestions)
{
	/* smtps on 587: the port says submission. */
	ck_assert_str_eq(mc_scheme_starttls("smtps", "submission", 587), "submission");
	ck_assert_str_eq(mc_scheme_starttls("smtps", "smtp", 25), "smtp");
	/* A greeting of another protocol than the family's: what was heard. */
	ck_assert_str_eq(mc_scheme_starttls("imaps", "pop3", 995), "pop3");
	ck_assert_str_eq(mc_scheme_starttls("submissions", "ftp", 2121), "ftp");
	/* No family: tls and https. */
	ck_assert_str_eq(mc_scheme_starttls("tls", "imap", 1993), "imap");
	ck_assert_str_eq(mc_scheme_starttls("https", "smtp", 443), "smtp");
	/* STARTTLS schemes with no implicit-TLS spelling of their own. */
	ck_assert_str_eq(mc_scheme_implicit("lmtp"), "tls");
	ck_assert_str_eq(mc_scheme_implicit("sieve"), "tls");
	ck_assert_str_eq(mc_scheme_implicit("xmpp-server"), "tls");
	ck_assert_str_eq(mc_scheme_implicit("postgres"), "tls");
	ck_assert_str_eq(mc_scheme_implicit("mysql"), "tls");
	ck_assert_ptr_null(mc_scheme_implicit("smtps"));
}
END_TEST

START_TEST(test_supported)
{
	static const struct {
		const char *text;
		int supported;
	} cases[] = {{"smtp://h", 1}, {"submission://h", 1}, {"lmtp://h", 1}, {"smtps://h", 1},
		     {"tls://h:1", 1}, {"imaps://h", 1}, {"ldap://h", 1}, {"irc://h", 1}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mailcert_target *t;

		ck_assert_int_eq(mailcert_target_parse(&t, cases[i].text, NULL, NULL, 0), 0);
		ck_assert_msg(mailcert_target_supported(t) == cases[i].supported, "%s", cases[i].text);
		mailcert_target_free(t);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_small_error_buffer);
	tcase_add_test(tc, test_supported);
	tcase_add_loop_test(tc, test_scheme_pairs, 0, sizeof(pairs) / sizeof(pairs[0]));
	tcase_add_test(tc, test_scheme_suggestions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

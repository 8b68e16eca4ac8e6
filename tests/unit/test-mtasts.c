/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MTA-STS and TLS-RPT text (libmailcert/mtasts.c): picking the TXT record,
 * its fields, the policy body in LF and CRLF, the bounds (32-character id,
 * max_age of a year, 16 mx lines), the MX pattern matcher, and the exact
 * reasons given for what is refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/mtasts.h"

#define ID32 "abcdefghijABCDEFGHIJ0123456789xy"
#define ID33 ID32 "z"

/* Up to four TXT records; a length of 0 means strlen (records with a NUL give theirs). */
struct txt {
	const char *rec[4];
	size_t len[4];
};

static size_t txt_prepare(const struct txt *t, size_t len[4])
{
	size_t n = 0;

	while (n < 4 && t->rec[n]) {
		len[n] = t->len[n] ? t->len[n] : strlen(t->rec[n]);
		n++;
	}
	return n;
}

static void assert_printable(const char *err)
{
	ck_assert_msg(err[0] != '\0', "empty reason");
	for (const char *p = err; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "unprintable byte 0x%02x in \"%s\"",
			      (unsigned char)*p, err);
}

/* ---- MTA-STS TXT ------------------------------------------------------ */

struct sts_good {
	struct txt t;
	const char *id;
};

static const struct sts_good sts_good[] = {
    {{{"v=STSv1; id=20160831085700Z;"}}, "20160831085700Z"},
    {{{"v=STSv1;id=abc"}}, "abc"},
    {{{"v=STSv1 ; id=abc ;  "}}, "abc"},
    {{{"v=STSv1;\tid=abc;\tfoo=bar"}}, "abc"},
    {{{"v=STSv1; foo=bar; id=X1; b.a-r_9=x:y/z"}}, "X1"},
    {{{"v=STSv1; id=" ID32}}, ID32},
    /* §3.2 keeps the first of a repeated field; taken to hold for id too. */
    {{{"v=STSv1; id=a; id=b"}}, "a"},
    /* Records not starting with exactly "v=STSv1" are not candidates. */
    {{{"v=spf1 -all", "v=STSv10; id=2", "V=STSv1; id=3", "v=STSv1; id=1"}}, "1"},
    {{{" v=STSv1; id=4", "v=STSv1;id=5", "x"}}, "5"},
};

START_TEST(test_sts_good)
{
	const struct sts_good *c = &sts_good[_i];
	size_t len[4];
	size_t n = txt_prepare(&c->t, len);
	char id[33], err[256] = "";

	memset(id, 'x', sizeof(id));
	ck_assert_msg(mc_mtasts_txt(c->t.rec, len, n, id, err, sizeof(err)) == 1, "%s: %s",
		      c->t.rec[0], err);
	ck_assert_str_eq(id, c->id);
}
END_TEST

START_TEST(test_sts_none)
{
	static const char *const recs[] = {"v=spf1 -all", NULL, "v=STSv10;id=1", "v=STSv", ""};
	static const size_t lens[] = {11, 0, 13, 6, 0};
	char id[33] = "", err[256] = "";

	ck_assert_int_eq(mc_mtasts_txt(NULL, NULL, 0, id, err, sizeof(err)), 0);
	ck_assert_int_eq(mc_mtasts_txt(recs, lens, 5, id, err, sizeof(err)), 0);
	/* The length bounds the record: "v=STSv1" cut to 6 bytes is not one. */
	ck_assert_int_eq(mc_mtasts_txt((const char *const[]){"v=STSv1;id=1"}, (size_t[]){6}, 1, id,
				       err, sizeof(err)),
			 0);
	ck_assert_str_eq(err, "");
}
END_TEST

struct bad {
	struct txt t;
	const char *reason;
};

static const struct bad sts_bad[] = {
    {{{"v=STSv1; id=" ID33}}, "id \"" ID33 "\" is not 1 to 32 letters and digits"},
    {{{"v=STSv1; id=abc-def"}}, "id \"abc-def\" is not 1 to 32 letters and digits"},
    {{{"v=STSv1; id="}}, "id \"\" is not"},
    {{{"v=STSv1; id= abc"}}, "id \" abc\" is not"},
    {{{"v=STSv1"}}, "no id field in \"v=STSv1\""},
    {{{"v=STSv1;  "}}, "no id field in \"v=STSv1;  \""},
    {{{"v=STSv1; foo=bar"}}, "no id field"},
    {{{"v=STSv1 id=1"}}, "expected \";\" after v=STSv1, found \"id=1\""},
    {{{"v=STSv1;; id=1"}}, "an empty field between two \";\" in \"v=STSv1;; id=1\""},
    {{{"v=STSv1; id"}}, "field \"id\" is not name=value"},
    {{{"v=STSv1; id=1; _x=1"}}, "field name \"_x\" is not 1 to 32 letters"},
    {{{"v=STSv1; id=1; x=a b"}}, "field x has the value \"a b\", which is not visible ASCII"},
    {{{"v=STSv1; id=1; x=a=b"}}, "field x has the value \"a=b\""},
    {{{"v=STSv1; id=1; x="}}, "field x has the value \"\""},
    {{{"v=STSv1; id=1\0x"}, {15}}, "id \"1\\x00x\" is not"},
    {{{"v=STSv1; id=1\n"}}, "id \"1\\x0a\" is not"},
    {{{"v=STSv1; id=1", "v=STSv1; id=2"}},
     "2 TXT records start with v=STSv1, there must be one: \"v=STSv1; id=1\", \"v=STSv1; "
     "id=2\""},
    {{{"v=STSv1; id=1", "v=spf1", "v=STSv1 ;id=2", "v=STSv1"}},
     "3 TXT records start with v=STSv1, there must be one: \"v=STSv1; id=1\", \"v=STSv1 "
     ";id=2\", ..."},
    /* Several, even when only one of them is valid. */
    {{{"v=STSv1; id=1", "v=STSv1"}}, "2 TXT records start with v=STSv1"},
};

START_TEST(test_sts_bad)
{
	const struct bad *c = &sts_bad[_i];
	size_t len[4];
	size_t n = txt_prepare(&c->t, len);
	char id[33] = "old", err[256] = "";

	ck_assert_int_eq(mc_mtasts_txt(c->t.rec, len, n, id, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, c->reason), "got \"%s\", want \"%s\"", err, c->reason);
	assert_printable(err);
}
END_TEST

START_TEST(test_sts_long_record_quoted_short)
{
	char rec[600], id[33], err[1024];
	const char *recs[] = {rec};
	size_t len = sizeof(rec);

	memset(rec, 0x01, sizeof(rec));
	memcpy(rec, "v=STSv1; foo=bar", 16);
	ck_assert_int_eq(mc_mtasts_txt(recs, &len, 1, id, err, sizeof(err)), -1);
	/* mc_quote() cuts at 64 source bytes: 16 + 48 * 4 escaped, then "...". */
	ck_assert_msg(strstr(err, "\\x01\\x01...\""), "%s", err);
	ck_assert_uint_lt(strlen(err), 400);
	assert_printable(err);
}
END_TEST

START_TEST(test_small_error_buffers)
{
	const char *recs[] = {"v=STSv1"};
	size_t len = 7;
	char id[33], err[8];

	ck_assert_int_eq(mc_mtasts_txt(recs, &len, 1, id, NULL, 0), -1);
	ck_assert_int_eq(mc_mtasts_txt(recs, &len, 1, id, err, sizeof(err)), -1);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(
	    mc_tlsrpt_txt((const char *const[]){"v=TLSRPTv1"}, (size_t[]){10}, 1, NULL, 0, NULL, 0),
	    -1);
}
END_TEST

/* ---- TLS-RPT TXT ------------------------------------------------------ */

struct rpt_good {
	struct txt t;
	const char *rua;
};

static const struct rpt_good rpt_good[] = {
    {{{"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"}}, "mailto:tlsrpt@example.com"},
    {{{"v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt"}},
     "https://reporting.example.com/v1/tlsrpt"},
    {{{"v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.com/x;"}},
     "mailto:a@example.com,https://r.example.com/x"},
    {{{"v=TLSRPTv1; rua=mailto:a@example.com\t,\t mailto:b@example.com"}},
     "mailto:a@example.com,mailto:b@example.com"},
    {{{"v=TLSRPTv1 ;\tfoo=bar; rua=MAILTO:a@example.com,HTTPS://r.example.com/%2c?q=1#f ; x=y"}},
     "MAILTO:a@example.com,HTTPS://r.example.com/%2c?q=1#f"},
    {{{"v=STSv1; id=1", "v=TLSRPTv10; rua=mailto:x@y", "v=TLSRPTv1;rua=mailto:a@b"}}, "mailto:a@b"},
};

START_TEST(test_rpt_good)
{
	const struct rpt_good *c = &rpt_good[_i];
	size_t len[4];
	size_t n = txt_prepare(&c->t, len);
	char rua[256], err[256] = "";

	memset(rua, 'x', sizeof(rua));
	ck_assert_msg(mc_tlsrpt_txt(c->t.rec, len, n, rua, sizeof(rua), err, sizeof(err)) == 1,
		      "%s: %s", c->t.rec[0], err);
	ck_assert_str_eq(rua, c->rua);
}
END_TEST

START_TEST(test_rpt_none)
{
	static const char *const recs[] = {"v=spf1 -all", "v=TLSRPTv2; rua=mailto:a@b", NULL};
	static const size_t lens[] = {11, 25, 0};
	char rua[64] = "old", err[256] = "";

	ck_assert_int_eq(mc_tlsrpt_txt(NULL, NULL, 0, rua, sizeof(rua), err, sizeof(err)), 0);
	ck_assert_int_eq(mc_tlsrpt_txt(recs, lens, 3, rua, sizeof(rua), err, sizeof(err)), 0);
	ck_assert_str_eq(rua, "");
	ck_assert_str_eq(err, "");
}
END_TEST

static const struct bad rpt_bad[] = {
    {{{"v=TLSRPTv1"}}, "no rua field in \"v=TLSRPTv1\""},
    {{{"v=TLSRPTv1; foo=bar"}}, "no rua field in \"v=TLSRPTv1; foo=bar\""},
    {{{"v=TLSRPTv1; rua="}}, "rua is empty"},
    {{{"v=TLSRPTv1; rua= ;"}}, "rua is empty"},
    {{{"v=TLSRPTv1; rua=http://r.example.com/"}},
     "rua URI \"http://r.example.com/\" is neither mailto: nor https://"},
    {{{"v=TLSRPTv1; rua=https:r.example.com"}}, "is neither mailto: nor https://"},
    {{{"v=TLSRPTv1; rua=tlsrpt@example.com"}}, "is neither mailto: nor https://"},
    {{{"v=TLSRPTv1; rua=x"}}, "rua URI \"x\" is neither mailto: nor https://"},
    {{{"v=TLSRPTv1; rua=mailto:"}}, "rua URI \"mailto:\" has nothing after the scheme"},
    {{{"v=TLSRPTv1; rua=mailto:a@b,,mailto:c@d"}},
     "rua \"mailto:a@b,,mailto:c@d\" has an empty URI"},
    {{{"v=TLSRPTv1; rua=mailto:a@b,"}}, "has an empty URI"},
    {{{"v=TLSRPTv1; rua=,mailto:a@b"}}, "has an empty URI"},
    {{{"v=TLSRPTv1; rua=mailto:a b@c"}}, "rua URI \"mailto:a b@c\" holds a character that"},
    {{{"v=TLSRPTv1; rua=mailto:a!b@c"}}, "must be percent-encoded"},
    {{{"v=TLSRPTv1; rua=mailto:a\x80@c"}}, "\"mailto:a\\x80@c\" holds a character"},
    {{{"v=TLSRPTv1; rua=mailto:a@b; rua=mailto:c@d"}}, "rua is given twice"},
    {{{"v=TLSRPTv1 rua=mailto:a@b"}}, "expected \";\" after v=TLSRPTv1, found \"rua=mailto:a@b\""},
    {{{"v=TLSRPTv1;rua=mailto:a@b; bad"}}, "field \"bad\" is not name=value"},
    {{{"v=TLSRPTv1;rua=mailto:a@b; x=\x7f"}}, "field x has the value \"\\x7f\""},
    {{{"v=TLSRPTv1;rua=mailto:a@b", "v=TLSRPTv1;rua=mailto:c@d"}},
     "2 TXT records start with v=TLSRPTv1, there must be one"},
};

START_TEST(test_rpt_bad)
{
	const struct bad *c = &rpt_bad[_i];
	size_t len[4];
	size_t n = txt_prepare(&c->t, len);
	char rua[64] = "old", err[256] = "";

	ck_assert_int_eq(mc_tlsrpt_txt(c->t.rec, len, n, rua, sizeof(rua), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, c->reason), "got \"%s\", want \"%s\"", err, c->reason);
	assert_printable(err);
	ck_assert_str_eq(rua, "");
}
END_TEST

START_TEST(test_rpt_truncated)
{
	const char *recs[] = {"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"};
	size_t len = strlen(recs[0]);
	char rua[10], err[64];

	memset(rua, 'x', sizeof(rua));
	ck_assert_int_eq(mc_tlsrpt_txt(recs, &len, 1, rua, sizeof(rua), err, sizeof(err)), 1);
	ck_assert_str_eq(rua, "mailto:tl");
	ck_assert_int_eq(mc_tlsrpt_txt(recs, &len, 1, rua, 1, err, sizeof(err)), 1);
	ck_assert_str_eq(rua, "");
	ck_assert_int_eq(mc_tlsrpt_txt(recs, &len, 1, NULL, 0, err, sizeof(err)), 1);
}
END_TEST

/* ---- policy bodies ---------------------------------------------------- */

static struct mc_mtasts_policy *parse_ok(const char *body, size_t len)
{
	static struct mc_mtasts_policy p;
	char err[256] = "";

	memset(&p, 0xa5, sizeof(p));
	ck_assert_msg(mc_mtasts_policy_parse(body, len, &p, err, sizeof(err)) == 0, "%s", err);
	return &p;
}

#define PARSE_OK(s) parse_ok((s), sizeof(s) - 1)

START_TEST(test_policy_lf)
{
	struct mc_mtasts_policy *p = PARSE_OK("version: STSv1\n"
					      "mode: enforce\n"
					      "mx: mail.example.com\n"
					      "mx: *.Example.NET\n"
					      "max_age: 604800\n");

	ck_assert_int_eq(p->mode, MC_MTASTS_ENFORCE);
	ck_assert_uint_eq(p->mx_len, 2);
	ck_assert_str_eq(p->mx[0], "mail.example.com");
	ck_assert_str_eq(p->mx[1], "*.example.net");
	ck_assert_int_eq(p->max_age, 604800);
	ck_assert_uint_eq(p->dup_line, 0);
}
END_TEST

START_TEST(test_policy_crlf)
{
	/* CRLF, no terminator on the last line, white space after ":" and at the ends. */
	struct mc_mtasts_policy *p = PARSE_OK("version: STSv1\r\n"
					      "mode:\ttesting  \r\n"
					      "mx:mx1.example.com\t\r\n"
					      "max_age: 86400");

	ck_assert_int_eq(p->mode, MC_MTASTS_TESTING);
	ck_assert_uint_eq(p->mx_len, 1);
	ck_assert_str_eq(p->mx[0], "mx1.example.com");
	ck_assert_int_eq(p->max_age, 86400);
	/* Both line ends in one body. */
	p = PARSE_OK("version: STSv1\nmode: testing\r\nmx: a.example\nmax_age: 1\r\n");
	ck_assert_int_eq(p->max_age, 1);
}
END_TEST

START_TEST(test_policy_order_extensions_none)
{
	/* Any order (§3.2 ABNF), extensions ignored, names case-sensitive. */
	struct mc_mtasts_policy *p = PARSE_OK("max_age: 0000086400\n"
					      "foo: bar  baz \xc3\xa9\n"
					      "Mode: whatever\n"
					      "mx: a.example\n"
					      "x.y-z_1: 1\n"
					      "mode: testing\n"
					      "version: STSv1\n");

	ck_assert_int_eq(p->mode, MC_MTASTS_TESTING);
	ck_assert_int_eq(p->max_age, 86400);
	ck_assert_uint_eq(p->mx_len, 1);
	/* mode none needs no mx. */
	p = PARSE_OK("version: STSv1\nmode: none\nmax_age: 0\n");
	ck_assert_int_eq(p->mode, MC_MTASTS_NONE);
	ck_assert_uint_eq(p->mx_len, 0);
	ck_assert_int_eq(p->max_age, 0);
}
END_TEST

START_TEST(test_policy_duplicates_first_wins)
{
	/* RFC 8461 §3.2: all but the first of a repeated field are ignored. */
	struct mc_mtasts_policy *p = PARSE_OK("version: STSv1\n"
					      "mode: testing\n"
					      "mx: a.example\n"
					      "max_age: 100\n"
					      "mode: enforce\n"
					      "max_age: 200\n"
					      "version: STSv1\n");

	ck_assert_int_eq(p->mode, MC_MTASTS_TESTING);
	ck_assert_int_eq(p->max_age, 100);
	ck_assert_uint_eq(p->dup_line, 5);
}
END_TEST

START_TEST(test_policy_bounds)
{
	char body[2048];
	size_t n;
	struct mc_mtasts_policy *p;
	struct mc_mtasts_policy q;
	char err[256];

	p = PARSE_OK("version: STSv1\nmode: none\nmax_age: 31557600\n");
	ck_assert_int_eq(p->max_age, 31557600);

	n = (size_t)snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 1\n");
	for (int i = 0; i < MC_MTASTS_MAX_MX; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "mx: mx%d.example.com\n", i);
	p = parse_ok(body, n);
	ck_assert_uint_eq(p->mx_len, 16);
	ck_assert_str_eq(p->mx[15], "mx15.example.com");

	n += (size_t)snprintf(body + n, sizeof(body) - n, "mx: mx16.example.com\n");
	ck_assert_int_eq(mc_mtasts_policy_parse(body, n, &q, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 20: more than 16 mx lines");
}
END_TEST

START_TEST(test_policy_longest_mx)
{
	/* "*." and 253 bytes: the longest pattern the 256 bytes hold. */
	char body[512], mx[256];
	struct mc_mtasts_policy q;
	char err[256];
	size_t n;
	struct mc_mtasts_policy *p;

	memset(mx, 'a', sizeof(mx));
	memcpy(mx, "*.", 2);
	for (int i = 2 + 63; i < 255; i += 64)
		mx[i] = '.';
	mx[255] = '\0';
	n = (size_t)snprintf(body, sizeof(body),
			     "version: STSv1\nmode: enforce\nmax_age: 1\nmx: %s", mx);
	p = parse_ok(body, n);
	ck_assert_str_eq(p->mx[0], mx);
	/* One more byte is too long for a DNS name. */
	n = (size_t)snprintf(body, sizeof(body), "mx: %sa\n", mx);
	ck_assert_int_eq(mc_mtasts_policy_parse(body, n, &q, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is not a host name"), "%s", err);
}
END_TEST

struct policy_bad {
	const char *body;
	size_t len; /* 0: strlen */
	const char *reason;
};

#define HEAD "version: STSv1\nmode: enforce\nmax_age: 86400\n"

static const struct policy_bad policy_bad[] = {
    {"", 0, "the policy is empty"},
    {"version: STSv1\nmode: none\nmode: enforcing\n", 0,
     "line 3: mode \"enforcing\" is not enforce, testing or none"},
    {"version: STSv1\nmode: Enforce\n", 0, "line 2: mode \"Enforce\" is not enforce"},
    {"version: STSv2\n", 0, "line 1: version \"STSv2\" is not STSv1"},
    {"version: stsv1\n", 0, "line 1: version \"stsv1\" is not STSv1"},
    {"max_age: 31557601\n", 0, "line 1: max_age 31557601 is more than 31557600 seconds (a year)"},
    {"max_age: 9999999999\n", 0, "is more than 31557600"},
    {"max_age: 00000086400\n", 0, "line 1: max_age \"00000086400\" is not 1 to 10 digits"},
    {"max_age: -1\n", 0, "max_age \"-1\" is not 1 to 10 digits"},
    {"max_age: 1d\n", 0, "max_age \"1d\" is not 1 to 10 digits"},
    {"max_age: 1 2\n", 0, "max_age \"1 2\" is not"},
    {"max_age:\n", 0, "line 1: max_age has no value"},
    {"max_age:  \r\n", 0, "line 1: max_age has no value"},
    {HEAD "mx: mail_1.example.com\n", 0,
     "line 4: mx \"mail_1.example.com\" is not a host name, or \"*.\" and one"},
    {HEAD "mx: *.\n", 0, "mx \"*.\" is not a host name"},
    {HEAD "mx: *\n", 0, "mx \"*\" is not a host name"},
    {HEAD "mx: *.*.example.com\n", 0, "is not a host name"},
    {HEAD "mx: a*.example.com\n", 0, "is not a host name"},
    {HEAD "mx: a..example.com\n", 0, "is not a host name"},
    {HEAD "mx: .example.com\n", 0, "is not a host name"},
    {HEAD "mx: -a.example.com\n", 0, "is not a host name"},
    {HEAD "mx: a-.example.com\n", 0, "is not a host name"},
    {HEAD "mx: mail.example.com.\n", 0, "is not a host name"},
    {HEAD "mx: mail example.com\n", 0, "is not a host name"},
    {HEAD "mx: [192.0.2.1]\n", 0, "is not a host name"},
    {HEAD "mx: "
	  "a123456789b123456789c123456789d123456789e123456789f123456789abcd.example\n",
     0, "is not a host name"},
    {HEAD "mx: m\xc3\xa9il.example\n", 0, "mx \"m\\xc3\\xa9il.example\" is not"},
    {"mode: enforce\nmax_age: 1\nmx: a.example\n", 0, "no version field (\"version: STSv1\")"},
    {"version: STSv1\nmax_age: 1\n", 0, "no mode field"},
    {"version: STSv1\nmode: none\n", 0, "no max_age field"},
    {HEAD, 0, "mode is enforce but there is no mx field"},
    {"version: STSv1\nmode: testing\nmax_age: 1\n", 0, "mode is testing but there is no mx field"},
    {"version: STSv1\n\nmode: none\n", 0, "line 2: empty line"},
    {"version: STSv1\nmode: none\nmax_age: 1\n\n", 0, "line 4: empty line"},
    {"version: STSv1\r\n\r\n", 0, "line 2: empty line"},
    {"version: STSv1\n mode: none\n", 0, "line 2: \" mode: none\" starts with white space"},
    {"\tversion: STSv1\n", 0, "line 1: \"\\x09version: STSv1\" starts with white space"},
    {"version STSv1\n", 0, "line 1: \"version STSv1\" is not \"name: value\""},
    {"mode : enforce\n", 0, "line 1: field name \"mode \" is not 1 to 32 letters"},
    {":x\n", 0, "line 1: field name \"\" is not"},
    {"\xef\xbb\xbfversion: STSv1\n", 0, "field name \"\\xef\\xbb\\xbfversion\" is not"},
    {"a23456789b123456789c123456789d123: x\n", 0, "field name"},
    {"foo: a\x01"
     "b\n",
     0, "line 1: the value of foo holds a control character: \"a\\x01b\""},
    {"foo: a\tb\n", 0, "holds a control character"},
    {"version: STSv1\nmode: none\rmax_age: 1\n", 0, "line 2: the value of mode holds a control"},
    {"version: STSv1\nmode: none\nmax_age: 1\r", 0, "line 3: the value of max_age holds a control"},
    {"version: STSv1\0\n", 16,
     "line 1: the value of version holds a control character: \"STSv1\\x00\""},
    {"\0", 1, "line 1: \"\\x00\" is not \"name: value\""},
};

START_TEST(test_policy_bad)
{
	const struct policy_bad *c = &policy_bad[_i];
	size_t len = c->len ? c->len : strlen(c->body);
	struct mc_mtasts_policy p;
	char err[256] = "";

	memset(&p, 0xa5, sizeof(p));
	ck_assert_int_eq(mc_mtasts_policy_parse(c->body, len, &p, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, c->reason), "got \"%s\", want \"%s\"", err, c->reason);
	assert_printable(err);
	/* A refused policy leaves nothing to use by mistake. */
	ck_assert_int_eq(p.mode, MC_MTASTS_NONE);
	ck_assert_uint_eq(p.mx_len, 0);
	ck_assert_int_eq(p.max_age, 0);
}
END_TEST

START_TEST(test_policy_too_large)
{
	size_t len = MC_MTASTS_MAX_BYTES + 1;
	char *body = malloc(len);
	struct mc_mtasts_policy p;
	char err[256];

	ck_assert_ptr_nonnull(body);
	memset(body, 'x', len);
	ck_assert_int_eq(mc_mtasts_policy_parse(body, len, &p, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the policy is 65537 bytes, more than 65536");
	ck_assert_int_eq(mc_mtasts_policy_parse(NULL, 0, &p, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the policy is empty");
	free(body);
}
END_TEST

/* ---- MX patterns ------------------------------------------------------ */

struct match_case {
	const char *pattern, *host;
	int want;
};

static const struct match_case matches[] = {
    {"mail.example.com", "mail.example.com", 1},
    {"mail.example.com", "MAIL.Example.COM", 1},
    {"mail.example.com", "mail.example.com.", 1},
    {"mail.example.com", "mail.example.com..", 0},
    {"mail.example.com", "mail.example.co", 0},
    {"mail.example.com", "xmail.example.com", 0},
    {"mail.example.com", "a.mail.example.com", 0},
    {"mail.example.com", "", 0},
    {"mail.example.com", ".", 0},
    {"*.example.com", "mail.example.com", 1},
    {"*.example.com", "MX1.EXAMPLE.COM.", 1},
    {"*.example.com", "a.b.example.com", 0},
    {"*.example.com", "example.com", 0},
    {"*.example.com", ".example.com", 0},
    {"*.example.com", "mailexample.com", 0},
    {"*.example.com", "mail.example.net", 0},
    {"*.example.com", "mail.xexample.com", 0},
    {"*.Example.COM", "mail.example.com", 1},
    {"", "", 0},
    {"", "mail.example.com", 0},
    {"*.", "a.", 0},
    {"*.", "a", 0},
};

START_TEST(test_mx_match)
{
	const struct match_case *c = &matches[_i];

	ck_assert_msg(mc_mtasts_mx_match(c->pattern, c->host) == c->want, "%s ~ %s: want %d",
		      c->pattern, c->host, c->want);
}
END_TEST

START_TEST(test_mx_match_null)
{
	ck_assert_int_eq(mc_mtasts_mx_match(NULL, "a.example"), 0);
	ck_assert_int_eq(mc_mtasts_mx_match("a.example", NULL), 0);
}
END_TEST

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	Suite *s = suite_create("mtasts");
	TCase *tc = tcase_create("mtasts");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_sts_good, 0, N(sts_good));
	tcase_add_test(tc, test_sts_none);
	tcase_add_loop_test(tc, test_sts_bad, 0, N(sts_bad));
	tcase_add_test(tc, test_sts_long_record_quoted_short);
	tcase_add_test(tc, test_small_error_buffers);
	tcase_add_loop_test(tc, test_rpt_good, 0, N(rpt_good));
	tcase_add_test(tc, test_rpt_none);
	tcase_add_loop_test(tc, test_rpt_bad, 0, N(rpt_bad));
	tcase_add_test(tc, test_rpt_truncated);
	tcase_add_test(tc, test_policy_lf);
	tcase_add_test(tc, test_policy_crlf);
	tcase_add_test(tc, test_policy_order_extensions_none);
	tcase_add_test(tc, test_policy_duplicates_first_wins);
	tcase_add_test(tc, test_policy_bounds);
	tcase_add_test(tc, test_policy_longest_mx);
	tcase_add_loop_test(tc, test_policy_bad, 0, N(policy_bad));
	tcase_add_test(tc, test_policy_too_large);
	tcase_add_loop_test(tc, test_mx_match, 0, N(matches));
	tcase_add_test(tc, test_mx_match_null);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Renderers against exact expected output. Reports are built by hand with
 * the internal API, so these tests pin the formats and nothing else: the
 * evaluator's wording of messages is its own tests' business.
 */
#define _GNU_SOURCE /* timegm */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "fixture/fixture.h"
#include "model/internal.h"
#include "render/render.h"

#define DAY 86400LL

/* "YYYY-MM-DD" at midnight UTC. */
static time_t day(const char *date)
{
	struct tm tm = {0};

	ck_assert_int_eq(sscanf(date, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday), 3);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

struct cert_spec {
	const char *subject, *issuer, *serial, *sha256, *key, *signature;
	const char *const *san;
	const char *not_before, *not_after;
};

static const char *const leaf_san[] = {"mail.test", "www.mail.test", NULL};

static const struct cert_spec leaf = {
    .subject = "CN=mail.test",
    .issuer = "CN=Test Intermediate,O=Test",
    .serial = "1a2b3c4d",
    .sha256 = "9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b",
    .key = "EC-P256",
    .signature = "ECDSA-SHA256",
    .san = leaf_san,
    .not_before = "2026-11-01",
    .not_after = "2027-02-01",
};

static const struct cert_spec intermediate = {
    .subject = "CN=Test Intermediate,O=Test",
    .issuer = "CN=Test Root,O=Test",
    .serial = "02",
    .sha256 = "94e6f02a5aca51e44a2c057e9c0f3ced80814c198de8a84b4f5cab7e06ea2094",
    .key = "RSA-2048",
    .signature = "RSA-SHA256",
    .not_before = "2026-01-01",
    .not_after = "2031-01-01",
};

/* An observation of a completed handshake, as the probe makes it. */
static mailcert_observation *served(const char *target)
{
	mailcert_observation *obs = mc_observation_new(target, "mail.test");

	ck_assert_ptr_nonnull(obs);
	snprintf(obs->peer, sizeof(obs->peer), "127.0.0.1:25");
	ck_assert_int_eq(mc_observation_set_tls(obs, "TLS1.3", "TLS_AES_128_GCM_SHA256", NULL), 0);
	obs->timings = (mailcert_timings){0.001, 0.005, 0.006, 0.012};
	return obs;
}

/* An observation of a probe refused at connect(). */
static mailcert_observation *refused(void)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");

	ck_assert_ptr_nonnull(obs);
	mc_observation_fail(obs, "connect.refused", "connection to 127.0.0.1:25 refused");
	obs->timings.total_s = 0.001;
	return obs;
}

/* A report on @obs as of @date; the report keeps its own reference to @obs. */
static mailcert_report *report_on(mailcert_observation *obs, const char *date)
{
	mailcert_report *r = mc_report_new(obs, day(date));

	ck_assert_ptr_nonnull(r);
	mailcert_observation_free(obs);
	return r;
}

/* Appends a certificate as mc_report_describe_chain() does, with thresholds 30d and 15d. */
static void add_cert(mailcert_report *r, const struct cert_spec *s)
{
	const char *strings[] = {s->subject, s->issuer, s->serial, s->sha256, s->key, s->signature};
	struct mc_cert_store *c;
	size_t nsan = 0;

	r->certs = realloc(r->certs, (r->certs_len + 1) * sizeof(*r->certs));
	ck_assert_ptr_nonnull(r->certs);
	c = memset(&r->certs[r->certs_len++], 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		c->strings[i] = strdup(strings[i]);
	while (s->san && s->san[nsan])
		nsan++;
	c->san = calloc(nsan + 1, sizeof(*c->san));
	for (size_t i = 0; i < nsan; i++)
		c->san[i] = strdup(s->san[i]);
	c->info = (mailcert_cert_info){.subject = c->strings[0],
				       .issuer = c->strings[1],
				       .serial = c->strings[2],
				       .sha256 = c->strings[3],
				       .key = c->strings[4],
				       .signature = c->strings[5],
				       .san = (const char *const *)c->san,
				       .not_before = day(s->not_before),
				       .not_after = day(s->not_after),
				       .warning_s = 30 * DAY,
				       .critical_s = 15 * DAY};
	c->info.remaining_s = (long long)(c->info.not_after - r->now);
}

/* smtp://mail.test:25 serving leaf + intermediate, name matched, as of @date. */
static mailcert_report *chain_report(const char *date)
{
	mailcert_report *r = report_on(served("smtp://mail.test:25"), date);

	add_cert(r, &leaf);
	add_cert(r, &intermediate);
	r->matched_name = strdup("mail.test");
	return r;
}

static void add_finding(mailcert_report *r, const char *code, mailcert_state severity, int cert,
			const char *message)
{
	ck_assert_int_eq(mc_report_add(r, code, severity, cert, "%s", message), 0);
}

static mailcert_report *ok_report(void)
{
	return chain_report("2026-11-28");
}

static mailcert_report *warning_report(void)
{
	mailcert_report *r = chain_report("2027-01-12");

	add_finding(r, "cert.expiring", MAILCERT_WARNING, 0,
		    "certificate 0 (CN=mail.test) expires in 20 days, on 2027-02-01");
	add_finding(r, "crypto.weak-signature", MAILCERT_WARNING, 1,
		    "certificate 1 (CN=Test Intermediate,O=Test) is signed with RSA-SHA1");
	return r;
}

/* The worst finding comes second, so the summary must look past the first. */
static mailcert_report *critical_report(void)
{
	mailcert_report *r = chain_report("2027-02-04");

	free(r->matched_name);
	r->matched_name = NULL;
	add_finding(r, "crypto.weak-signature", MAILCERT_WARNING, 1,
		    "certificate 1 (CN=Test Intermediate,O=Test) is signed with RSA-SHA1");
	add_finding(r, "cert.expired", MAILCERT_CRITICAL, 0,
		    "certificate 0 (CN=mail.test) expired 3 days ago, on 2027-02-01");
	add_finding(r, "name.mismatch", MAILCERT_CRITICAL, -1,
		    "mail.test is not among the certificate's names");
	return r;
}

static mailcert_report *failure_report(void)
{
	mailcert_report *r = report_on(refused(), "2026-11-28");

	add_finding(r, "connect.refused", MAILCERT_CRITICAL, -1,
		    "connection to 127.0.0.1:25 refused");
	return r;
}

/* A server's reply quoted in a message: '|', newline, quotes, backslash, UTF-8,
 * a byte that is not UTF-8, a terminal escape and a C1 control (CSI). */
#define HOSTILE "server said \"454 a|b\"\nCRITICAL fake: x \\ caf\xc3\xa9 \xff\x1b[2J\xc2\x9b end"

static mailcert_report *hostile_report(void)
{
	mailcert_report *r = report_on(refused(), "2026-11-28");

	add_finding(r, "starttls.refused", MAILCERT_CRITICAL, -1, HOSTILE);
	return r;
}

static char *render(const mailcert_report *r, mailcert_format format, int verbosity)
{
	char *out = NULL;

	ck_assert_int_eq(mailcert_render(&out, r, format, verbosity), 0);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Renders and compares the whole output, printing both in full on a mismatch. */
static void expect(const mailcert_report *r, mailcert_format format, int verbosity,
		   const char *want)
{
	char *got = render(r, format, verbosity);

	ck_assert_msg(strcmp(got, want) == 0, "format %d -v%d:\n--- got\n%s--- want\n%s---", format,
		      verbosity, got, want);
	free(got);
}

/* The chain as a tree: the leaf at the top, the certificate sent after it under it. */
#define OK_LEAF_TEXT                                                                               \
	"    0 CN=mail.test\n"                                                                     \
	"      issuer CN=Test Intermediate,O=Test · EC-P256 · ECDSA-SHA256\n"                    \
	"      valid 2026-11-01 → 2027-02-01 (expires in 65 days)\n"

#define OK_INTERMEDIATE_TEXT                                                                       \
	"      └─ 1 CN=Test Intermediate,O=Test\n"                                               \
	"           issuer CN=Test Root,O=Test · RSA-2048 · RSA-SHA256\n"                        \
	"           valid 2026-01-01 → 2031-01-01 (expires in 1495 days)\n"

START_TEST(test_ok_text)
{
	mailcert_report *r = ok_report();

	expect(r, MAILCERT_FORMAT_TEXT, 0,
	       "smtp://mail.test:25  OK\n"
	       "  no findings\n"
	       "  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"
	       "  name mail.test matched\n"
	       "  chain as served:\n" OK_LEAF_TEXT OK_INTERMEDIATE_TEXT);
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_ok_text_verbose)
{
	mailcert_report *r = ok_report();

	expect(r, MAILCERT_FORMAT_TEXT, 1,
	       "smtp://mail.test:25  OK\n"
	       "  no findings\n"
	       "  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"
	       "  timings connect 0.001 s · dialogue 0.005 s · handshake 0.006 s · total 0.012 s\n"
	       "  name mail.test matched\n"
	       "  chain as served:\n"
	       "    0 CN=mail.test\n"
	       "      issuer CN=Test Intermediate,O=Test · EC-P256 · ECDSA-SHA256\n"
	       "      valid 2026-11-01T00:00:00Z → 2027-02-01T00:00:00Z (expires in 65 days)\n"
	       "      serial 1a2b3c4d\n"
	       "      sha256 9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b\n"
	       "      san mail.test, www.mail.test\n"
	       "      └─ 1 CN=Test Intermediate,O=Test\n"
	       "           issuer CN=Test Root,O=Test · RSA-2048 · RSA-SHA256\n"
	       "           valid 2026-01-01T00:00:00Z → 2031-01-01T00:00:00Z (expires in 1495 days)\n"
	       "           serial 02\n"
	       "           sha256 94e6f02a5aca51e44a2c057e9c0f3ced80814c198de8a84b4f5cab7e06ea2094\n"
	       "           san (none)\n");
	mailcert_report_free(r);
}
END_TEST

/* Perfdata of a probe: the same labels at every verbosity, stages included. */
#define NAGIOS_TIMES                                                                               \
	"'time'=0.012s 'time_connect'=0.001s 'time_dialogue'=0.005s 'time_handshake'=0.006s"

#define OK_NAGIOS_LINE                                                                             \
	"MAILCERT OK - smtp://mail.test:25: certificate for mail.test valid until 2027-02-01 "     \
	"(65 days) | 'cert_remaining'=5616000s;2592000:;1296000:;0; "                              \
	"'cert_remaining_0'=5616000s;2592000:;1296000:;0; "                                        \
	"'cert_remaining_1'=129168000s;2592000:;1296000:;0; " NAGIOS_TIMES "\n"

#define OK_NAGIOS_V1                                                                               \
	"connected to 127.0.0.1:25; TLS1.3 TLS_AES_128_GCM_SHA256\n"                               \
	"name mail.test matched\n"                                                                 \
	"chain 0 CN=mail.test; issuer CN=Test Intermediate,O=Test; EC-P256; ECDSA-SHA256; valid "  \
	"2026-11-01 to 2027-02-01 (expires in 65 days)\n"                                          \
	"chain 1 CN=Test Intermediate,O=Test; issuer CN=Test Root,O=Test; RSA-2048; RSA-SHA256; "  \
	"valid 2026-01-01 to 2031-01-01 (expires in 1495 days)\n"

#define OK_NAGIOS_V2                                                                               \
	"connected to 127.0.0.1:25; TLS1.3 TLS_AES_128_GCM_SHA256\n"                               \
	"name mail.test matched\n"                                                                 \
	"chain 0 CN=mail.test; issuer CN=Test Intermediate,O=Test; EC-P256; ECDSA-SHA256; valid "  \
	"2026-11-01T00:00:00Z to 2027-02-01T00:00:00Z (expires in 65 days)\n"                      \
	"chain 0 serial 1a2b3c4d; sha256 "                                                         \
	"9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b; san mail.test, "        \
	"www.mail.test; warning below 2592000s; critical below 1296000s\n"                         \
	"chain 1 CN=Test Intermediate,O=Test; issuer CN=Test Root,O=Test; RSA-2048; RSA-SHA256; "  \
	"valid 2026-01-01T00:00:00Z to 2031-01-01T00:00:00Z (expires in 1495 days)\n"              \
	"chain 1 serial 02; sha256 "                                                               \
	"94e6f02a5aca51e44a2c057e9c0f3ced80814c198de8a84b4f5cab7e06ea2094; san (none); warning "   \
	"below 2592000s; critical below 1296000s\n"                                                \
	"evaluated at 2026-11-28T00:00:00Z\n"                                                      \
	"timings connect 0.001 s; dialogue 0.005 s; handshake 0.006 s; total 0.012 s\n"

START_TEST(test_ok_nagios)
{
	mailcert_report *r = ok_report();

	expect(r, MAILCERT_FORMAT_NAGIOS, 0, OK_NAGIOS_LINE);
	/* -v: where the chain came from, the name, a line per certificate. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 1, OK_NAGIOS_LINE OK_NAGIOS_V1);
	/* -vv: full timestamps, identity and thresholds, evaluation time, timings. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 2, OK_NAGIOS_LINE OK_NAGIOS_V2);
	/* -vvv: the plaintext dialogue; this observation recorded none. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 3, OK_NAGIOS_LINE OK_NAGIOS_V2 "no plaintext dialogue\n");
	/* More -v than there are levels is the last level. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 7, OK_NAGIOS_LINE OK_NAGIOS_V2 "no plaintext dialogue\n");
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_ok_json)
{
	mailcert_report *r = ok_report();

	expect(
	    r, MAILCERT_FORMAT_JSON, 0,
	    "{\"target\":\"smtp://mail.test:25\",\"protocol\":\"smtp\",\"host\":\"mail.test\","
	    "\"port\":25,\"peer\":\"127.0.0.1:25\",\"state\":\"OK\",\"findings\":[],"
	    "\"tls\":{\"version\":\"TLS1.3\",\"cipher\":\"TLS_AES_128_GCM_SHA256\",\"alpn\":null},"
	    "\"chain\":["
	    "{\"subject\":\"CN=mail.test\",\"issuer\":\"CN=Test Intermediate,O=Test\","
	    "\"serial\":\"1a2b3c4d\",\"not_before\":\"2026-11-01T00:00:00Z\","
	    "\"not_before_epoch\":1793491200,\"not_after\":\"2027-02-01T00:00:00Z\","
	    "\"not_after_epoch\":1801440000,\"remaining_s\":5616000,"
	    "\"sha256\":\"9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b\","
	    "\"san\":[\"mail.test\",\"www.mail.test\"],\"key\":\"EC-P256\","
	    "\"signature\":\"ECDSA-SHA256\"},"
	    "{\"subject\":\"CN=Test Intermediate,O=Test\",\"issuer\":\"CN=Test Root,O=Test\","
	    "\"serial\":\"02\",\"not_before\":\"2026-01-01T00:00:00Z\","
	    "\"not_before_epoch\":1767225600,\"not_after\":\"2031-01-01T00:00:00Z\","
	    "\"not_after_epoch\":1924992000,\"remaining_s\":129168000,"
	    "\"sha256\":\"94e6f02a5aca51e44a2c057e9c0f3ced80814c198de8a84b4f5cab7e06ea2094\","
	    "\"san\":[],\"key\":\"RSA-2048\",\"signature\":\"RSA-SHA256\"}],"
	    "\"timings\":{\"connect_s\":0.001,\"dialogue_s\":0.005,\"handshake_s\":0.006,"
	    "\"total_s\":0.012},"
	    "\"matched_name\":\"mail.test\",\"ari\":null,\"sct\":[],"
	    "\"evaluated_at\":\"2026-11-28T00:00:00Z\",\"evaluated_at_epoch\":1795824000}\n");
	mailcert_report_free(r);
}
END_TEST

/* ---- parsing the JSON back ------------------------------------------ */

static json_object *parse_json(const mailcert_report *r)
{
	char *text = render(r, MAILCERT_FORMAT_JSON, 0);
	json_tokener *tok = json_tokener_new();
	json_object *root;

	/* One line, and valid UTF-8 even to a strict parser. */
	ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	ck_assert_msg(root != NULL, "%s: %s", text,
		      json_tokener_error_desc(json_tokener_get_error(tok)));
	ck_assert_int_eq(json_object_get_type(root), json_type_object);
	json_tokener_free(tok);
	free(text);
	return root;
}

static json_object *field(json_object *obj, const char *key, json_type type)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(obj, key, &v), "no \"%s\"", key);
	ck_assert_msg(json_object_get_type(v) == type, "\"%s\" is a %s", key,
		      json_type_to_name(json_object_get_type(v)));
	return v;
}

static void expect_string(json_object *obj, const char *key, const char *want)
{
	ck_assert_str_eq(json_object_get_string(field(obj, key, json_type_string)), want);
}

static void expect_int(json_object *obj, const char *key, long long want)
{
	ck_assert_int_eq(json_object_get_int64(field(obj, key, json_type_int)), want);
}

static void expect_number(json_object *obj, const char *key, double want)
{
	ck_assert_double_eq_tol(json_object_get_double(field(obj, key, json_type_double)), want,
				1e-9);
}

static void expect_cert(json_object *c, const struct cert_spec *s, long long remaining)
{
	json_object *san = field(c, "san", json_type_array);
	size_t n = 0;

	expect_string(c, "subject", s->subject);
	expect_string(c, "issuer", s->issuer);
	expect_string(c, "serial", s->serial);
	expect_int(c, "not_before_epoch", day(s->not_before));
	expect_int(c, "not_after_epoch", day(s->not_after));
	expect_int(c, "remaining_s", remaining);
	expect_string(c, "sha256", s->sha256);
	expect_string(c, "key", s->key);
	expect_string(c, "signature", s->signature);
	while (s->san && s->san[n]) {
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(san, n)),
				 s->san[n]);
		n++;
	}
	ck_assert_uint_eq(json_object_array_length(san), n);
}

START_TEST(test_ok_json_fields)
{
	mailcert_report *r = ok_report();
	json_object *root = parse_json(r), *tls, *chain, *timings;

	expect_string(root, "target", "smtp://mail.test:25");
	expect_string(root, "protocol", "smtp");
	expect_string(root, "host", "mail.test");
	expect_int(root, "port", 25);
	expect_string(root, "peer", "127.0.0.1:25");
	expect_string(root, "state", "OK");
	ck_assert_uint_eq(json_object_array_length(field(root, "findings", json_type_array)), 0);
	tls = field(root, "tls", json_type_object);
	expect_string(tls, "version", "TLS1.3");
	expect_string(tls, "cipher", "TLS_AES_128_GCM_SHA256");
	field(tls, "alpn", json_type_null);
	chain = field(root, "chain", json_type_array);
	ck_assert_uint_eq(json_object_array_length(chain), 2);
	expect_cert(json_object_array_get_idx(chain, 0), &leaf, 65 * DAY);
	expect_string(json_object_array_get_idx(chain, 0), "not_after", "2027-02-01T00:00:00Z");
	expect_string(json_object_array_get_idx(chain, 0), "not_before", "2026-11-01T00:00:00Z");
	expect_cert(json_object_array_get_idx(chain, 1), &intermediate, 1495 * DAY);
	timings = field(root, "timings", json_type_object);
	expect_number(timings, "connect_s", 0.001);
	expect_number(timings, "dialogue_s", 0.005);
	expect_number(timings, "handshake_s", 0.006);
	expect_number(timings, "total_s", 0.012);
	expect_string(root, "matched_name", "mail.test");
	expect_string(root, "evaluated_at", "2026-11-28T00:00:00Z");
	expect_int(root, "evaluated_at_epoch", day("2026-11-28"));
	field(root, "ari", json_type_null);
	ck_assert_int_eq(json_object_array_length(field(root, "sct", json_type_array)), 0);
	ck_assert_int_eq(json_object_object_length(root), 15);
	json_object_put(root);
	mailcert_report_free(r);
}
END_TEST

/* ---- reports with findings -------------------------------------------- */

/* The warning report as text; @S is its state and severities, plain or coloured. */
#define WARNING_TEXT(S)                                                                            \
	"smtp://mail.test:25  " S##_BOLD "\n"                                                     \
	"  " S " cert.expiring: certificate 0 (CN=mail.test) expires in 20 days, on "              \
	"2027-02-01\n"                                                                            \
	"  " S " crypto.weak-signature: certificate 1 (CN=Test Intermediate,O=Test) is "           \
	"signed with RSA-SHA1\n"                                                                  \
	"  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"               \
	"  name mail.test matched\n"                                                              \
	"  chain as served:\n"                                                                    \
	"    0 CN=mail.test\n"                                                                    \
	"      issuer CN=Test Intermediate,O=Test · EC-P256 · ECDSA-SHA256\n"                    \
	"      valid 2026-11-01 → 2027-02-01 (expires in 20 days)\n"                           \
	"      └─ 1 CN=Test Intermediate,O=Test\n"                                               \
	"           issuer CN=Test Root,O=Test · RSA-2048 · RSA-SHA256\n"                        \
	"           valid 2026-01-01 → 2031-01-01 (expires in 1450 days)\n"
#define PLAIN_WARNING "WARNING "
#define PLAIN_WARNING_BOLD "WARNING"
#define COLOUR_WARNING "\033[33mWARNING\033[0m "
#define COLOUR_WARNING_BOLD "\033[1;33mWARNING\033[0m"

START_TEST(test_warning)
{
	mailcert_report *r = warning_report();

	expect(r, MAILCERT_FORMAT_TEXT, 0, WARNING_TEXT(PLAIN_WARNING));
	expect(r, MAILCERT_FORMAT_TEXT_COLOR, 0, WARNING_TEXT(COLOUR_WARNING));
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT WARNING - smtp://mail.test:25: certificate 0 (CN=mail.test) expires in 20 "
	       "days, on 2027-02-01 (and 1 more) | 'cert_remaining'=1728000s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=1728000s;2592000:;1296000:;0; "
	       "'cert_remaining_1'=125280000s;2592000:;1296000:;0; " NAGIOS_TIMES "\n"
	       "WARNING cert.expiring: certificate 0 (CN=mail.test) expires in 20 days, on "
	       "2027-02-01\n"
	       "WARNING crypto.weak-signature: certificate 1 (CN=Test Intermediate,O=Test) is "
	       "signed with RSA-SHA1\n");
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_critical)
{
	mailcert_report *r = critical_report();

	expect(r, MAILCERT_FORMAT_TEXT, 0,
	       "smtp://mail.test:25  CRITICAL\n"
	       "  WARNING  crypto.weak-signature: certificate 1 (CN=Test Intermediate,O=Test) is "
	       "signed with RSA-SHA1\n"
	       "  CRITICAL cert.expired: certificate 0 (CN=mail.test) expired 3 days ago, on "
	       "2027-02-01\n"
	       "  CRITICAL name.mismatch: mail.test is not among the certificate's names\n"
	       "  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"
	       "  chain as served:\n"
	       "    0 CN=mail.test\n"
	       "      issuer CN=Test Intermediate,O=Test · EC-P256 · ECDSA-SHA256\n"
	       "      valid 2026-11-01 → 2027-02-01 (expired 3 days ago)\n"
	       "      └─ 1 CN=Test Intermediate,O=Test\n"
	       "           issuer CN=Test Root,O=Test · RSA-2048 · RSA-SHA256\n"
	       "           valid 2026-01-01 → 2031-01-01 (expires in 1427 days)\n");
	/* In colour: the same words, the state bold, each severity in its colour. */
	expect(r, MAILCERT_FORMAT_TEXT_COLOR, 0,
	       "smtp://mail.test:25  \033[1;31mCRITICAL\033[0m\n"
	       "  \033[33mWARNING\033[0m  crypto.weak-signature: certificate 1 (CN=Test "
	       "Intermediate,O=Test) is signed with RSA-SHA1\n"
	       "  \033[31mCRITICAL\033[0m cert.expired: certificate 0 (CN=mail.test) expired 3 "
	       "days ago, on 2027-02-01\n"
	       "  \033[31mCRITICAL\033[0m name.mismatch: mail.test is not among the "
	       "certificate's names\n"
	       "  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"
	       "  chain as served:\n"
	       "    0 CN=mail.test\n"
	       "      issuer CN=Test Intermediate,O=Test · EC-P256 · ECDSA-SHA256\n"
	       "      valid 2026-11-01 → 2027-02-01 (expired 3 days ago)\n"
	       "      └─ 1 CN=Test Intermediate,O=Test\n"
	       "           issuer CN=Test Root,O=Test · RSA-2048 · RSA-SHA256\n"
	       "           valid 2026-01-01 → 2031-01-01 (expires in 1427 days)\n");
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT CRITICAL - smtp://mail.test:25: certificate 0 (CN=mail.test) expired 3 "
	       "days ago, on 2027-02-01 (and 2 more) | "
	       "'cert_remaining'=-259200s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=-259200s;2592000:;1296000:;0; "
	       "'cert_remaining_1'=123292800s;2592000:;1296000:;0; " NAGIOS_TIMES "\n"
	       "WARNING crypto.weak-signature: certificate 1 (CN=Test Intermediate,O=Test) is "
	       "signed with RSA-SHA1\n"
	       "CRITICAL cert.expired: certificate 0 (CN=mail.test) expired 3 days ago, on "
	       "2027-02-01\n"
	       "CRITICAL name.mismatch: mail.test is not among the certificate's names\n");
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_critical_json_fields)
{
	static const struct {
		const char *code, *severity;
		int cert;
	} want[] = {{"crypto.weak-signature", "WARNING", 1},
		    {"cert.expired", "CRITICAL", 0},
		    {"name.mismatch", "CRITICAL", -1}};
	mailcert_report *r = critical_report();
	json_object *root = parse_json(r), *findings;

	expect_string(root, "state", "CRITICAL");
	field(root, "matched_name", json_type_null);
	findings = field(root, "findings", json_type_array);
	ck_assert_uint_eq(json_object_array_length(findings), 3);
	for (size_t i = 0; i < 3; i++) {
		json_object *f = json_object_array_get_idx(findings, i);

		expect_string(f, "code", want[i].code);
		expect_string(f, "severity", want[i].severity);
		expect_string(f, "message",
			      mailcert_finding_message(mailcert_report_finding(r, i)));
		if (want[i].cert < 0)
			field(f, "cert", json_type_null);
		else
			expect_int(f, "cert", want[i].cert);
	}
	expect_int(json_object_array_get_idx(field(root, "chain", json_type_array), 0),
		   "remaining_s", -3 * DAY);
	json_object_put(root);
	mailcert_report_free(r);
}
END_TEST

/* ---- a failure before any certificate --------------------------------- */

#define FAILURE_NAGIOS                                                                             \
	"MAILCERT CRITICAL - smtp://mail.test:25: connection to 127.0.0.1:25 refused | "           \
	"'time'=0.001s 'time_connect'=0.000s 'time_dialogue'=0.000s 'time_handshake'=0.000s\n"     \
	"CRITICAL connect.refused: connection to 127.0.0.1:25 refused\n"

START_TEST(test_failure)
{
	mailcert_report *r = failure_report();

	expect(r, MAILCERT_FORMAT_TEXT, 0,
	       "smtp://mail.test:25  CRITICAL\n"
	       "  CRITICAL connect.refused: connection to 127.0.0.1:25 refused\n");
	expect(r, MAILCERT_FORMAT_TEXT, 1,
	       "smtp://mail.test:25  CRITICAL\n"
	       "  CRITICAL connect.refused: connection to 127.0.0.1:25 refused\n"
	       "  timings connect 0.000 s · dialogue 0.000 s · handshake 0.000 s · total 0.001 s\n");
	/* No certificate: only the time perfdata; stages not reached are 0. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 0, FAILURE_NAGIOS);
	/* -v: no chain and no connection to describe (the peer refused). */
	expect(r, MAILCERT_FORMAT_NAGIOS, 1, FAILURE_NAGIOS);
	/* -vv: the timings show where it stopped. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 2,
	       FAILURE_NAGIOS "evaluated at 2026-11-28T00:00:00Z\n"
			      "timings connect 0.000 s; dialogue 0.000 s; handshake 0.000 s; total "
			      "0.001 s\n");
	expect(r, MAILCERT_FORMAT_NAGIOS, 3,
	       FAILURE_NAGIOS "evaluated at 2026-11-28T00:00:00Z\n"
			      "timings connect 0.000 s; dialogue 0.000 s; handshake 0.000 s; total "
			      "0.001 s\n"
			      "no plaintext dialogue\n");
	expect(r, MAILCERT_FORMAT_JSON, 0,
	       "{\"target\":\"smtp://mail.test:25\",\"protocol\":\"smtp\",\"host\":\"mail.test\","
	       "\"port\":25,\"peer\":null,\"state\":\"CRITICAL\",\"findings\":[{\"code\":\"connect.refused\","
	       "\"severity\":\"CRITICAL\",\"message\":\"connection to 127.0.0.1:25 refused\","
	       "\"cert\":null}],\"tls\":{\"version\":null,\"cipher\":null,\"alpn\":null},"
	       "\"chain\":[],\"timings\":{\"connect_s\":0.000,\"dialogue_s\":0.000,"
	       "\"handshake_s\":0.000,\"total_s\":0.001},\"matched_name\":null,\"ari\":null,\"sct\":[],"
	       "\"evaluated_at\":\"2026-11-28T00:00:00Z\",\"evaluated_at_epoch\":1795824000}\n");
	mailcert_report_free(r);
}
END_TEST

/* ---- untrusted text --------------------------------------------------- */

START_TEST(test_hostile_message_nagios)
{
	mailcert_report *r = hostile_report();

	/* Two lines, '|' only before the perfdata, the newline and escapes visible. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT CRITICAL - smtp://mail.test:25: server said \"454 a\\x7cb\"\\x0aCRITICAL "
	       "fake: x \\ caf\xc3\xa9 \\xff\\x1b[2J\\xc2\\x9b end | 'time'=0.001s "
	       "'time_connect'=0.000s 'time_dialogue'=0.000s 'time_handshake'=0.000s\n"
	       "CRITICAL starttls.refused: server said \"454 a\\x7cb\"\\x0aCRITICAL fake: x \\ "
	       "caf\xc3\xa9 \\xff\\x1b[2J\\xc2\\x9b end\n");
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_hostile_message_text)
{
	mailcert_report *r = hostile_report();

	expect(r, MAILCERT_FORMAT_TEXT, 0,
	       "smtp://mail.test:25  CRITICAL\n"
	       "  CRITICAL starttls.refused: server said \"454 a|b\"\\x0aCRITICAL fake: x \\ "
	       "caf\xc3\xa9 \\xff\\x1b[2J\\xc2\\x9b end\n");
	mailcert_report_free(r);
}
END_TEST

/* Three certificates: each one indented under the one sent before it. */
START_TEST(test_text_tree)
{
	static const struct cert_spec root = {
	    .subject = "CN=Test Root,O=Test",
	    .issuer = "CN=Test Root,O=Test",
	    .serial = "01",
	    .sha256 = "00",
	    .key = "RSA-4096",
	    .signature = "RSA-SHA256",
	    .not_before = "2026-01-01",
	    .not_after = "2036-01-01",
	};
	mailcert_report *r = report_on(served("smtp://mail.test:25"), "2026-11-28");

	add_cert(r, &leaf);
	add_cert(r, &intermediate);
	add_cert(r, &root);
	expect(r, MAILCERT_FORMAT_TEXT, 0,
	       "smtp://mail.test:25  OK\n"
	       "  no findings\n"
	       "  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"
	       "  chain as served:\n" OK_LEAF_TEXT OK_INTERMEDIATE_TEXT
	       "           └─ 2 CN=Test Root,O=Test\n"
	       "                issuer CN=Test Root,O=Test · RSA-4096 · RSA-SHA256\n"
	       "                valid 2026-01-01 → 2036-01-01 (expires in 3321 days)\n");
	mailcert_report_free(r);
}
END_TEST

/* Colour adds SGR sequences of its own; the server's ESC is still written as \x1b. */
START_TEST(test_hostile_message_text_colour)
{
	mailcert_report *r = hostile_report();

	expect(r, MAILCERT_FORMAT_TEXT_COLOR, 0,
	       "smtp://mail.test:25  \033[1;31mCRITICAL\033[0m\n"
	       "  \033[31mCRITICAL\033[0m starttls.refused: server said \"454 a|b\"\\x0aCRITICAL "
	       "fake: x \\ caf\xc3\xa9 \\xff\\x1b[2J\\xc2\\x9b end\n");
	mailcert_report_free(r);
}
END_TEST

/* Several reports in colour: separated by a blank line, as in plain text; OK in green. */
START_TEST(test_text_colour_many)
{
	mailcert_report *a = failure_report(), *b = ok_report();
	const mailcert_report *both[] = {a, b};
	char *out = NULL;

	ck_assert_int_eq(mailcert_render_many(&out, both, 2, MAILCERT_FORMAT_TEXT_COLOR, 0), 0);
	ck_assert_str_eq(out, "smtp://mail.test:25  \033[1;31mCRITICAL\033[0m\n"
			      "  \033[31mCRITICAL\033[0m connect.refused: connection to "
			      "127.0.0.1:25 refused\n"
			      "\n"
			      "smtp://mail.test:25  \033[1;32mOK\033[0m\n"
			      "  no findings\n"
			      "  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"
			      "  name mail.test matched\n"
			      "  chain as served:\n" OK_LEAF_TEXT OK_INTERMEDIATE_TEXT);
	free(out);
	mailcert_report_free(a);
	mailcert_report_free(b);
}
END_TEST

START_TEST(test_hostile_message_json)
{
	mailcert_report *r = hostile_report();
	char *text = render(r, MAILCERT_FORMAT_JSON, 0);
	json_object *root = json_tokener_parse(text), *finding;

	/* json-c escapes quotes, backslash and controls; the lone 0xff byte is
	 * written as the text \xff so that the record stays UTF-8. */
	ck_assert_ptr_nonnull(strstr(text,
				     "\"message\":\"server said \\\"454 a|b\\\"\\nCRITICAL "
				     "fake: x \\\\ caf\xc3\xa9 \\\\xff\\u001b[2J\xc2\x9b end\""));
	ck_assert_ptr_nonnull(root);
	finding = json_object_array_get_idx(field(root, "findings", json_type_array), 0);
	expect_string(
	    finding, "message",
	    "server said \"454 a|b\"\nCRITICAL fake: x \\ caf\xc3\xa9 \\xff\x1b[2J\xc2\x9b end");
	json_object_put(root);
	json_object_put(parse_json(r)); /* and a strict, UTF-8 validating parser accepts it */
	free(text);
	mailcert_report_free(r);
}
END_TEST

/* Certificate names are the server's too: a DN with '|', an escaped NUL, a
 * SAN with a terminal title escape. */
START_TEST(test_hostile_names)
{
	static const char *const san[] = {"a.test\x1b]0;pwned\x07", NULL};
	static const struct cert_spec evil = {
	    .subject = "O=Example\\, Inc.+OU=Mail,CN=mx1|evil\\00.test",
	    .issuer = "CN=Evil CA\nCRITICAL x",
	    .serial = "01",
	    .sha256 = "00",
	    .key = "EC-P256",
	    .signature = "ECDSA-SHA256",
	    .san = san,
	    .not_before = "2026-11-01",
	    .not_after = "2027-02-01",
	};
	mailcert_report *r = report_on(served("smtp://mail.test:25"), "2026-11-28");

	add_cert(r, &evil);
	/* No matched name: the summary names the leaf's CN, unescaped, then made safe. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT OK - smtp://mail.test:25: certificate for mx1\\x7cevil\\x00.test valid "
	       "until 2027-02-01 (65 days) | 'cert_remaining'=5616000s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=5616000s;2592000:;1296000:;0; " NAGIOS_TIMES "\n");
	/* And in the long output of -vv: no '|', no line break, no escape sequence. */
	expect(r, MAILCERT_FORMAT_NAGIOS, 2,
	       "MAILCERT OK - smtp://mail.test:25: certificate for mx1\\x7cevil\\x00.test valid "
	       "until 2027-02-01 (65 days) | 'cert_remaining'=5616000s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=5616000s;2592000:;1296000:;0; " NAGIOS_TIMES "\n"
	       "connected to 127.0.0.1:25; TLS1.3 TLS_AES_128_GCM_SHA256\n"
	       "chain 0 O=Example\\, Inc.+OU=Mail,CN=mx1\\x7cevil\\00.test; issuer CN=Evil "
	       "CA\\x0aCRITICAL x; EC-P256; ECDSA-SHA256; valid 2026-11-01T00:00:00Z to "
	       "2027-02-01T00:00:00Z (expires in 65 days)\n"
	       "chain 0 serial 01; sha256 00; san a.test\\x1b]0;pwned\\x07; warning below "
	       "2592000s; critical below 1296000s\n"
	       "evaluated at 2026-11-28T00:00:00Z\n"
	       "timings connect 0.001 s; dialogue 0.005 s; handshake 0.006 s; total 0.012 s\n");
	expect(r, MAILCERT_FORMAT_TEXT, 1,
	       "smtp://mail.test:25  OK\n"
	       "  no findings\n"
	       "  connected to 127.0.0.1:25 · TLS1.3 TLS_AES_128_GCM_SHA256 · 0.012 s\n"
	       "  timings connect 0.001 s · dialogue 0.005 s · handshake 0.006 s · total 0.012 s\n"
	       "  chain as served:\n"
	       "    0 O=Example\\, Inc.+OU=Mail,CN=mx1|evil\\00.test\n"
	       "      issuer CN=Evil CA\\x0aCRITICAL x · EC-P256 · ECDSA-SHA256\n"
	       "      valid 2026-11-01T00:00:00Z → 2027-02-01T00:00:00Z (expires in 65 days)\n"
	       "      serial 01\n"
	       "      sha256 00\n"
	       "      san a.test\\x1b]0;pwned\\x07\n");
	mailcert_report_free(r);
}
END_TEST

/* ---- summary and perfdata details ------------------------------------- */

/* An intermediate expiring before the leaf sets cert_remaining, with its own thresholds. */
START_TEST(test_nagios_intermediate_expires_first)
{
	struct cert_spec short_intermediate = intermediate;
	mailcert_report *r = report_on(served("smtp://mail.test:25"), "2026-11-28");

	short_intermediate.not_after = "2027-01-15";
	add_cert(r, &leaf);
	add_cert(r, &short_intermediate);
	r->certs[1].info.warning_s = 20 * DAY;
	r->certs[1].info.critical_s = 10 * DAY;
	r->matched_name = strdup("mail.test");
	expect(
	    r, MAILCERT_FORMAT_NAGIOS, 0,
	    "MAILCERT OK - smtp://mail.test:25: certificate for mail.test valid until 2027-01-15 "
	    "(48 days, limited by chain certificate 1) | "
	    "'cert_remaining'=4147200s;1728000:;864000:;0; "
	    "'cert_remaining_0'=5616000s;2592000:;1296000:;0; "
	    "'cert_remaining_1'=4147200s;1728000:;864000:;0; " NAGIOS_TIMES "\n");
	mailcert_report_free(r);
}
END_TEST

/* cert.expired overridden to OK (--severity): the summary must not say "valid". */
START_TEST(test_nagios_ok_but_expired)
{
	mailcert_report *r = chain_report("2027-02-04");

	add_finding(r, "cert.expired", MAILCERT_OK, 0, "expired");
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT OK - smtp://mail.test:25: certificate for mail.test expired 2027-02-01 "
	       "(3 days ago) | 'cert_remaining'=-259200s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=-259200s;2592000:;1296000:;0; "
	       "'cert_remaining_1'=123292800s;2592000:;1296000:;0; " NAGIOS_TIMES "\n"
	       "OK cert.expired: expired\n");
	mailcert_report_free(r);
}
END_TEST

/* UNKNOWN: the state and the summary from the finding that set it. */
START_TEST(test_nagios_unknown)
{
	mailcert_report *r = ok_report();

	add_finding(r, "ocsp.stale", MAILCERT_UNKNOWN, 0, "the OCSP response could not be read");
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT UNKNOWN - smtp://mail.test:25: the OCSP response could not be read | "
	       "'cert_remaining'=5616000s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=5616000s;2592000:;1296000:;0; "
	       "'cert_remaining_1'=129168000s;2592000:;1296000:;0; " NAGIOS_TIMES "\n"
	       "UNKNOWN ocsp.stale: the OCSP response could not be read\n");
	mailcert_report_free(r);
}
END_TEST

/* -vvv: the STARTTLS dialogue a line each, the server's '|' and bytes escaped. */
START_TEST(test_nagios_transcript)
{
	static const char greeting[] = "220 mail.test ESMTP | ok\r\n";
	static const char ehlo_reply[] = "250-mail.test\r\n250 STARTTLS\r\n";
	mailcert_observation *obs = served("smtp://mail.test:25");
	mailcert_report *r;
	char *out;

	mc_observation_note(obs, 'S', greeting, sizeof(greeting) - 1);
	mc_observation_note(obs, 'C', "EHLO mailcert.invalid\r\n", 23);
	mc_observation_note(obs, 'S', ehlo_reply, sizeof(ehlo_reply) - 1);
	mc_observation_note(obs, 'C', "STARTTLS\r\n", 10);
	mc_observation_note(obs, 'S', "220 go\x1b[2J\r\n", 12);
	r = report_on(obs, "2026-11-28");
	add_cert(r, &leaf);
	r->matched_name = strdup("mail.test");
	expect(
	    r, MAILCERT_FORMAT_NAGIOS, 3,
	    "MAILCERT OK - smtp://mail.test:25: certificate for mail.test valid until 2027-02-01 "
	    "(65 days) | 'cert_remaining'=5616000s;2592000:;1296000:;0; "
	    "'cert_remaining_0'=5616000s;2592000:;1296000:;0; " NAGIOS_TIMES "\n"
	    "connected to 127.0.0.1:25; TLS1.3 TLS_AES_128_GCM_SHA256\n"
	    "name mail.test matched\n"
	    "chain 0 CN=mail.test; issuer CN=Test Intermediate,O=Test; EC-P256; ECDSA-SHA256; "
	    "valid 2026-11-01T00:00:00Z to 2027-02-01T00:00:00Z (expires in 65 days)\n"
	    "chain 0 serial 1a2b3c4d; sha256 "
	    "9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b; san mail.test, "
	    "www.mail.test; warning below 2592000s; critical below 1296000s\n"
	    "evaluated at 2026-11-28T00:00:00Z\n"
	    "timings connect 0.001 s; dialogue 0.005 s; handshake 0.006 s; total 0.012 s\n"
	    "S: 220 mail.test ESMTP \\x7c ok\n"
	    "C: EHLO mailcert.invalid\n"
	    "S: 250-mail.test\n"
	    "S: 250 STARTTLS\n"
	    "C: STARTTLS\n"
	    "S: 220 go\\x1b[2J\n");
	/* Only the first line has a '|'. */
	out = render(r, MAILCERT_FORMAT_NAGIOS, 3);
	ck_assert_ptr_null(strchr(strchr(out, '\n'), '|'));
	free(out);
	/* Below -vvv there is no transcript. */
	out = render(r, MAILCERT_FORMAT_NAGIOS, 2);
	ck_assert_ptr_null(strstr(out, "EHLO"));
	free(out);
	mailcert_report_free(r);
}
END_TEST

/* A certificate file: no time perfdata (nothing was timed), the file named at -v. */
START_TEST(test_nagios_file)
{
	mailcert_observation *obs = mc_observation_new("/etc/ssl/mail.pem", "mail.test");
	mailcert_report *r;

	ck_assert_ptr_nonnull(obs);
	obs->file = strdup("/etc/ssl/mail.pem");
	r = report_on(obs, "2026-11-28");
	add_cert(r, &leaf);
	r->matched_name = strdup("mail.test");
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT OK - /etc/ssl/mail.pem: certificate for mail.test valid until 2027-02-01 "
	       "(65 days) | 'cert_remaining'=5616000s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=5616000s;2592000:;1296000:;0;\n");
	expect(r, MAILCERT_FORMAT_NAGIOS, 3,
	       "MAILCERT OK - /etc/ssl/mail.pem: certificate for mail.test valid until 2027-02-01 "
	       "(65 days) | 'cert_remaining'=5616000s;2592000:;1296000:;0; "
	       "'cert_remaining_0'=5616000s;2592000:;1296000:;0;\n"
	       "file /etc/ssl/mail.pem\n"
	       "name mail.test matched\n"
	       "chain 0 CN=mail.test; issuer CN=Test Intermediate,O=Test; EC-P256; ECDSA-SHA256; "
	       "valid 2026-11-01T00:00:00Z to 2027-02-01T00:00:00Z (expires in 65 days)\n"
	       "chain 0 serial 1a2b3c4d; sha256 "
	       "9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b; san mail.test, "
	       "www.mail.test; warning below 2592000s; critical below 1296000s\n"
	       "evaluated at 2026-11-28T00:00:00Z\n");
	mailcert_report_free(r);

	/* No certificate and no time: no perfdata, and no '|' before nothing. */
	obs = mc_observation_new("/etc/ssl/empty.pem", "mail.test");
	ck_assert_ptr_nonnull(obs);
	obs->file = strdup("/etc/ssl/empty.pem");
	r = report_on(obs, "2026-11-28");
	expect(r, MAILCERT_FORMAT_NAGIOS, 0,
	       "MAILCERT OK - /etc/ssl/empty.pem: no certificate received\n");
	mailcert_report_free(r);
}
END_TEST

/* protocol, host and port come from the canonical target; non-URL targets give nulls. */
START_TEST(test_json_target_fields)
{
	mailcert_report *r = report_on(served("submissions://[2001:db8::1]:465"), "2026-11-28");
	json_object *root = parse_json(r);

	expect_string(root, "target", "submissions://[2001:db8::1]:465");
	expect_string(root, "protocol", "submissions");
	expect_string(root, "host", "2001:db8::1");
	expect_int(root, "port", 465);
	expect_string(root, "peer", "127.0.0.1:25");
	json_object_put(root);
	mailcert_report_free(r);

	/* The address connected to, in brackets for IPv6, as the probe formats it. */
	r = report_on(served("smtp://mail.test:25"), "2026-11-28");
	snprintf(r->obs->peer, sizeof(r->obs->peer), "[2001:db8::25]:25");
	root = parse_json(r);
	expect_string(root, "peer", "[2001:db8::25]:25");
	json_object_put(root);
	mailcert_report_free(r);

	r = report_on(served("/etc/ssl/mail.pem"), "2026-11-28");
	root = parse_json(r);
	expect_string(root, "target", "/etc/ssl/mail.pem");
	field(root, "protocol", json_type_null);
	field(root, "host", json_type_null);
	field(root, "port", json_type_null);
	json_object_put(root);
	mailcert_report_free(r);
}
END_TEST

/* show: the dialogue as noted by the probe, escaped, then the text at -v, then PEM. */
START_TEST(test_show)
{
	static const char greeting[] = "220 mx ESMTP\r\n250-x\r\n";
	static const char hostile[] = "250 \x1b[31mred\r\n";
	mailcert_report *r = ok_report();
	char *verbose, *want, *got;

	mc_observation_note(r->obs, 'S', greeting, sizeof(greeting) - 1);
	mc_observation_note(r->obs, 'C', "EHLO a\r\n", 8);
	mc_observation_note(r->obs, 'S', hostile, sizeof(hostile) - 1);
	verbose = render(r, MAILCERT_FORMAT_TEXT, 1);
	ck_assert_int_ge(asprintf(&want,
				  "plaintext dialogue:\n"
				  "  S: 220 mx ESMTP\n"
				  "  S: 250-x\n"
				  "  C: EHLO a\n"
				  "  S: 250 \\x1b[31mred\n"
				  "\n%s",
				  verbose),
			 0);
	got = render(r, MAILCERT_FORMAT_SHOW, 0);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free(verbose);
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_show_pem)
{
	static const char *const dns[] = {"mail.test", NULL};
	struct mc_fixture_cert c = {0};
	const struct mc_fixture_cert_spec spec = {.cn = "mail.test",
						  .dns = dns,
						  .not_before = day("2026-11-01"),
						  .not_after = day("2027-02-01")};
	gnutls_datum_t der, pem, back;
	mailcert_report *r = ok_report();
	char *got;

	ck_assert_int_eq(mc_fixture_cert_make(&c, &spec), 0);
	ck_assert_int_eq(mc_fixture_cert_der(&c, &der), 0);
	ck_assert_int_eq(mc_observation_add_cert(r->obs, der.data, der.size), 0);
	got = render(r, MAILCERT_FORMAT_SHOW_PEM, 0);
	/* No dialogue (implicit TLS), the text, then the PEM of what was sent. */
	ck_assert_ptr_eq(strstr(got, "smtp://mail.test:25  OK\n"), got);
	pem.data = (unsigned char *)strstr(got, "-----BEGIN CERTIFICATE-----\n");
	ck_assert_ptr_nonnull(pem.data);
	pem.size = (unsigned)strlen((char *)pem.data);
	ck_assert_str_eq(got + strlen(got) - 26, "-----END CERTIFICATE-----\n");
	ck_assert_int_eq(gnutls_pem_base64_decode2("CERTIFICATE", &pem, &back), 0);
	ck_assert_uint_eq(back.size, der.size);
	ck_assert_int_eq(memcmp(back.data, der.data, der.size), 0);
	gnutls_free(back.data);
	gnutls_free(der.data);
	free(got);
	mc_fixture_cert_clear(&c);
	mailcert_report_free(r);
}
END_TEST

/* A dialogue longer than the transcript keeps its start and says it was cut. */
START_TEST(test_transcript_bounded)
{
	mailcert_observation *obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	const char *t, *cut = "... (transcript truncated)\n";

	for (int i = 0; i < 2000; i++)
		mc_observation_note(obs, 'S', "250-PIPELINING\r\n", 16);
	t = mailcert_observation_transcript(obs);
	ck_assert_uint_lt(strlen(t), MC_TRANSCRIPT_MAX);
	ck_assert_ptr_eq(strstr(t, "S: 250-PIPELINING\n"), t);
	ck_assert_str_eq(t + strlen(t) - strlen(cut), cut);
	mc_observation_note(obs, 'C', "QUIT\r\n", 6);
	ck_assert_str_eq(t + strlen(t) - strlen(cut), cut);
	mailcert_observation_free(obs);
}
END_TEST

START_TEST(test_render_errors)
{
	mailcert_report *r = ok_report();
	char *out = (char *)1;

	ck_assert_int_eq(mailcert_render(NULL, r, MAILCERT_FORMAT_TEXT, 0), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_render(&out, NULL, MAILCERT_FORMAT_TEXT, 0), MAILCERT_E_INVALID);
	ck_assert_ptr_null(out);
	out = (char *)1;
	ck_assert_int_eq(mailcert_render(&out, r, (mailcert_format)99, 0), MAILCERT_E_INVALID);
	ck_assert_ptr_null(out);
	mailcert_report_free(r);
}
END_TEST

/* ---- shared helpers --------------------------------------------------- */

/* clang-format off */
static const struct {
	const char *in;
	unsigned flags;
	const char *out;
} clean_cases[] = {
	{"plain text", MC_CLEAN_CONTROLS | MC_CLEAN_PIPE, "plain text"},
	{"a|b\tc\r\n\x7f", 0, "a|b\tc\r\n\x7f"},
	{"a|b\tc\r\n\x7f", MC_CLEAN_CONTROLS, "a|b\\x09c\\x0d\\x0a\\x7f"},
	{"a|b", MC_CLEAN_PIPE, "a\\x7cb"},
	{"\xc3\xa9\xe2\x86\x92\xf0\x9f\x94\x92", MC_CLEAN_CONTROLS, "\xc3\xa9\xe2\x86\x92\xf0\x9f\x94\x92"},
	{"\xc2\x9b\xc2\xa0", MC_CLEAN_CONTROLS, "\\xc2\\x9b\xc2\xa0"}, /* C1 control, then NBSP */
	{"\xc2\x9b", 0, "\xc2\x9b"},
	{"\xc0\xaf", 0, "\\xc0\\xaf"},               /* overlong '/' */
	{"\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},      /* surrogate U+D800 */
	{"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"}, /* above U+10FFFF */
	{"\xe2\x82", 0, "\\xe2\\x82"},               /* cut short */
	{"\xe2\x82x", 0, "\\xe2\\x82x"},
	{"\xf5\x80", 0, "\\xf5\\x80"},
	{"back\\slash \"q\"", MC_CLEAN_CONTROLS | MC_CLEAN_PIPE, "back\\slash \"q\""},
	{"", MC_CLEAN_CONTROLS, ""},
};
/* clang-format on */

START_TEST(test_clean)
{
	struct mc_buf b = {0};

	mc_buf_clean(&b, clean_cases[_i].in, clean_cases[_i].flags);
	ck_assert_int_eq(b.failed, 0);
	ck_assert_str_eq(b.data ? b.data : "", clean_cases[_i].out);
	free(b.data);
}
END_TEST

START_TEST(test_duration)
{
	static const struct {
		long long seconds;
		const char *text;
	} cases[] = {{0, "0 seconds"},
		     {1, "1 second"},
		     {59, "59 seconds"},
		     {60, "1 minute"},
		     {3599, "59 minutes"},
		     {3600, "1 hour"},
		     {86399, "23 hours"},
		     {86400, "1 day"},
		     {65 * DAY + 3600, "65 days"},
		     {-3 * DAY, "3 days"},
		     {LLONG_MIN, "106751991167300 days"}};
	char out[MC_DURATION_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mc_render_duration(out, cases[i].seconds);
		ck_assert_str_eq(out, cases[i].text);
	}
}
END_TEST

START_TEST(test_time_and_seconds)
{
	char t[MC_TIME_MAX], s[MC_SECONDS_MAX];

	mc_render_time(t, 0, MC_TIME_ISO);
	ck_assert_str_eq(t, "1970-01-01T00:00:00Z");
	mc_render_time(t, day("2027-02-01") + 3599, MC_TIME_DATE);
	ck_assert_str_eq(t, "2027-02-01");
	mc_render_time(t, (time_t)1000000000000000000LL, MC_TIME_ISO); /* beyond gmtime's years */
	ck_assert_str_eq(t, "@1000000000000000000");
	mc_render_seconds(s, 1.5);
	ck_assert_str_eq(s, "1.500");
	mc_render_seconds(s, 0.0004);
	ck_assert_str_eq(s, "0.000");
	mc_render_seconds(s, -0.25);
	ck_assert_str_eq(s, "-0.250");
	mc_render_seconds(s, NAN);
	ck_assert_str_eq(s, "0.000");
}
END_TEST

/* ---- Prometheus ---------------------------------------------------- */

#define PROM_HEAD_SUCCESS                                                                          \
	"# HELP mailcert_probe_success Whether the check reached the certificate chain (1) or "   \
	"failed before (0).\n"                                                                     \
	"# TYPE mailcert_probe_success gauge\n"
#define PROM_HEAD_DURATION                                                                         \
	"# HELP mailcert_probe_duration_seconds Wall time of the whole check.\n"                  \
	"# TYPE mailcert_probe_duration_seconds gauge\n"
#define PROM_HEAD_STATE                                                                            \
	"# HELP mailcert_state The check's verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, as "  \
	"the exit status.\n"                                                                       \
	"# TYPE mailcert_state gauge\n"
#define PROM_HEAD_VERSION                                                                          \
	"# HELP mailcert_tls_version_info The negotiated TLS version, as a label.\n"              \
	"# TYPE mailcert_tls_version_info gauge\n"
#define PROM_HEAD_NOT_AFTER                                                                        \
	"# HELP mailcert_cert_not_after_timestamp_seconds End of validity of each certificate "   \
	"as sent (position 0 is the leaf).\n"                                                      \
	"# TYPE mailcert_cert_not_after_timestamp_seconds gauge\n"
#define PROM_HEAD_NOT_BEFORE                                                                       \
	"# HELP mailcert_cert_not_before_timestamp_seconds Start of validity of each "            \
	"certificate as sent (position 0 is the leaf).\n"                                          \
	"# TYPE mailcert_cert_not_before_timestamp_seconds gauge\n"
#define PROM_HEAD_FINDING                                                                          \
	"# HELP mailcert_finding Findings of the check by code and severity, counted.\n"          \
	"# TYPE mailcert_finding gauge\n"

#define PROM_CERT_LABELS_LEAF                                                                      \
	"{target=\"smtp://mail.test:25\",position=\"0\",subject=\"CN=mail.test\",sha256="         \
	"\"9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b\"}"
#define PROM_CERT_LABELS_INTER                                                                     \
	"{target=\"smtp://mail.test:25\",position=\"1\",subject=\"CN=Test Intermediate,O=Test\","  \
	"sha256=\"94e6f02a5aca51e44a2c057e9c0f3ced80814c198de8a84b4f5cab7e06ea2094\"}"

START_TEST(test_prometheus_warning)
{
	mailcert_report *r = warning_report();

	/* A second finding with the same code and severity is counted, not repeated. */
	add_finding(r, "crypto.weak-signature", MAILCERT_WARNING, 0,
		    "certificate 0 (CN=mail.test) is signed with RSA-SHA1");
	expect(r, MAILCERT_FORMAT_PROMETHEUS, 0,
	       PROM_HEAD_SUCCESS "mailcert_probe_success{target=\"smtp://mail.test:25\"} 1\n"
	       PROM_HEAD_DURATION
	       "mailcert_probe_duration_seconds{target=\"smtp://mail.test:25\"} 0.012\n"
	       PROM_HEAD_STATE "mailcert_state{target=\"smtp://mail.test:25\"} 1\n"
	       PROM_HEAD_VERSION
	       "mailcert_tls_version_info{target=\"smtp://mail.test:25\",version=\"TLS1.3\"} 1\n"
	       PROM_HEAD_NOT_AFTER
	       "mailcert_cert_not_after_timestamp_seconds" PROM_CERT_LABELS_LEAF " 1801440000\n"
	       "mailcert_cert_not_after_timestamp_seconds" PROM_CERT_LABELS_INTER " 1924992000\n"
	       PROM_HEAD_NOT_BEFORE
	       "mailcert_cert_not_before_timestamp_seconds" PROM_CERT_LABELS_LEAF " 1793491200\n"
	       "mailcert_cert_not_before_timestamp_seconds" PROM_CERT_LABELS_INTER " 1767225600\n"
	       PROM_HEAD_FINDING
	       "mailcert_finding{target=\"smtp://mail.test:25\",code=\"cert.expiring\","
	       "severity=\"warning\"} 1\n"
	       "mailcert_finding{target=\"smtp://mail.test:25\",code=\"crypto.weak-signature\","
	       "severity=\"warning\"} 2\n");
	mailcert_report_free(r);
}
END_TEST

/* The leaf's renewal window (--ari): a JSON object, two Prometheus families after the rest. */
/* The leaf's SCTs in JSON: each source, a valid one, an invalid one, one not verified (null). */
START_TEST(test_sct_json)
{
	mailcert_report *r = ok_report();
	unsigned char id[32];
	char *out;

	for (int i = 0; i < 32; i++)
		id[i] = (unsigned char)i;
	ck_assert_int_eq(mc_report_add_sct(r, id, "Test \"log\" 1", 1795820400123LL, "embedded", 1), 0);
	ck_assert_int_eq(mc_report_add_sct(r, id, NULL, 1795820400007LL, "tls", -1), 0);
	ck_assert_int_eq(mc_report_add_sct(r, id, "Test log 2", 1795820400000LL, "ocsp", 0), 0);
	out = render(r, MAILCERT_FORMAT_JSON, 0);
	ck_assert_msg(
	    strstr(out, "\"ari\":null,\"sct\":["
			"{\"log_id\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"log_name\":"
			"\"Test \\\"log\\\" 1\",\"timestamp\":\"2026-11-27T23:00:00.123Z\",\"source\":"
			"\"embedded\",\"valid\":true},"
			"{\"log_id\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"log_name\":null,"
			"\"timestamp\":\"2026-11-27T23:00:00.007Z\",\"source\":\"tls\",\"valid\":null},"
			"{\"log_id\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"log_name\":"
			"\"Test log 2\",\"timestamp\":\"2026-11-27T23:00:00.000Z\",\"source\":\"ocsp\","
			"\"valid\":false}],\"evaluated_at\""),
	    "%s", out);
	free(out);
	ck_assert_uint_eq(mailcert_report_sct_count(r), 3);
	ck_assert_ptr_null(mailcert_report_sct(r, 3));
	mailcert_report_free(r);
}
END_TEST

START_TEST(test_ari_outputs)
{
	mailcert_report *r = ok_report();
	const struct mc_ari ari = {.done = 1,
				   .known = 1,
				   .start = 1800000000,
				   .end = 1800172800,
				   .explanation = "https://ca.test/why?a=\"b\"",
				   .fetched_at = 1795820400};
	char *out;

	static const char prom_tail[] =
	    PROM_HEAD_FINDING
	    "# HELP mailcert_ari_window_start_timestamp_seconds Start of the window in which the "
	    "leaf's CA suggests renewing it (ARI).\n"
	    "# TYPE mailcert_ari_window_start_timestamp_seconds gauge\n"
	    "mailcert_ari_window_start_timestamp_seconds{target=\"smtp://mail.test:25\"} "
	    "1800000000\n"
	    "# HELP mailcert_ari_window_end_timestamp_seconds End of the window in which the "
	    "leaf's CA suggests renewing it (ARI).\n"
	    "# TYPE mailcert_ari_window_end_timestamp_seconds gauge\n"
	    "mailcert_ari_window_end_timestamp_seconds{target=\"smtp://mail.test:25\"} 1800172800\n";

	ck_assert_int_eq(mc_report_set_ari(r, &ari), 0);
	out = render(r, MAILCERT_FORMAT_JSON, 0);
	ck_assert_msg(strstr(out, "\"matched_name\":\"mail.test\",\"ari\":{\"start\":"
				  "\"2027-01-15T08:00:00Z\",\"end\":\"2027-01-17T08:00:00Z\","
				  "\"explanation_url\":\"https://ca.test/why?a=\\\"b\\\"\","
				  "\"fetched_at\":\"2026-11-27T23:00:00Z\"},\"sct\":[],\"evaluated_at\""),
		      "%s", out);
	free(out);
	out = render(r, MAILCERT_FORMAT_PROMETHEUS, 0);
	ck_assert_msg(strlen(out) >= strlen(prom_tail) &&
			  strcmp(out + strlen(out) - strlen(prom_tail), prom_tail) == 0,
		      "%s", out);
	free(out);
	mailcert_report_free(r);
}
END_TEST

/* Two targets, one failed: each family once, with a sample per target. */
START_TEST(test_prometheus_many)
{
	const mailcert_report *rs[2] = {ok_report(), failure_report()};
	char *out = NULL;

	ck_assert_int_eq(mailcert_render_many(&out, rs, 2, MAILCERT_FORMAT_PROMETHEUS, 0), 0);
	ck_assert_str_eq(
	    out, PROM_HEAD_SUCCESS "mailcert_probe_success{target=\"smtp://mail.test:25\"} 1\n"
				   "mailcert_probe_success{target=\"smtp://mail.test:25\"} 0\n"
	    PROM_HEAD_DURATION
	    "mailcert_probe_duration_seconds{target=\"smtp://mail.test:25\"} 0.012\n"
	    "mailcert_probe_duration_seconds{target=\"smtp://mail.test:25\"} 0.001\n"
	    PROM_HEAD_STATE "mailcert_state{target=\"smtp://mail.test:25\"} 0\n"
			    "mailcert_state{target=\"smtp://mail.test:25\"} 2\n"
	    PROM_HEAD_VERSION
	    "mailcert_tls_version_info{target=\"smtp://mail.test:25\",version=\"TLS1.3\"} 1\n"
	    PROM_HEAD_NOT_AFTER
	    "mailcert_cert_not_after_timestamp_seconds" PROM_CERT_LABELS_LEAF " 1801440000\n"
	    "mailcert_cert_not_after_timestamp_seconds" PROM_CERT_LABELS_INTER " 1924992000\n"
	    PROM_HEAD_NOT_BEFORE
	    "mailcert_cert_not_before_timestamp_seconds" PROM_CERT_LABELS_LEAF " 1793491200\n"
	    "mailcert_cert_not_before_timestamp_seconds" PROM_CERT_LABELS_INTER " 1767225600\n"
	    PROM_HEAD_FINDING
	    "mailcert_finding{target=\"smtp://mail.test:25\",code=\"connect.refused\","
	    "severity=\"critical\"} 1\n");
	free(out);
	/* Nagios speaks for one check: several reports are refused. */
	ck_assert_int_eq(mailcert_render_many(&out, rs, 2, MAILCERT_FORMAT_NAGIOS, 0),
			 MAILCERT_E_INVALID);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(mailcert_render_many(&out, rs, 0, MAILCERT_FORMAT_JSON, 0),
			 MAILCERT_E_INVALID);
	mailcert_report_free((mailcert_report *)rs[0]);
	mailcert_report_free((mailcert_report *)rs[1]);
}
END_TEST

/* Certificate text in labels: quotes, backslash and newline escaped, bad UTF-8
 * as \xNN, and the value cut to 256 bytes without splitting a character. */
START_TEST(test_prometheus_hostile_labels)
{
	mailcert_report *r = report_on(served("smtp://mail.test:25"), "2026-11-28");
	struct cert_spec s = leaf;
	char subject[400], *out, *line, *end;

	memset(subject, 'a', sizeof(subject));
	memcpy(subject, "CN=\"x\\y\nz\xff", 10);
	/* é at 249: cleaning writes \x0a and \xff, 6 bytes more, so it sits
	 * across the cut at 256 of the cleaned value. */
	memcpy(subject + 249, "\xc3\xa9", 2);
	subject[sizeof(subject) - 1] = '\0';
	s.subject = subject;
	add_cert(r, &s);
	out = render(r, MAILCERT_FORMAT_PROMETHEUS, 0);
	line = strstr(out, "mailcert_cert_not_after_timestamp_seconds{");
	ck_assert_ptr_nonnull(line);
	end = strchr(line, '\n');
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	ck_assert_ptr_nonnull(strstr(line, ",subject=\"CN=\\\"x\\\\y\\\\x0az\\\\xffaaa"));
	ck_assert_ptr_null(strstr(line, "\xc3"));
	ck_assert_ptr_nonnull(strstr(line, "aaa\",sha256=\""));
	free(out);
	mailcert_report_free(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Consistency verdicts (include/mailcert/consistency.h), built by hand */

static const mailcert_consistency_port old_ports[] = {{"smtp", 25, MAILCERT_OK, NULL},
						      {"submission", 587, MAILCERT_OK, NULL}};
static const mailcert_consistency_port new_ports[] = {{"imaps", 993, MAILCERT_OK, NULL}};
static const mailcert_consistency_port closed_ports[] = {
    {"sieve", 4190, MAILCERT_OK, "connect.refused"}};
static const mailcert_consistency_port failed_ports[] = {
    {"pop3", 110, MAILCERT_CRITICAL, "connect.timeout"}, {"pop3s", 995, MAILCERT_UNKNOWN, NULL}};

#define MISMATCH_MESSAGE                                                                           \
	"mail.test: 2 different leaf certificates: smtp (25), submission (587) serve SHA-256 "     \
	"9f91161f43433e49... CN=mail.test, expires 2027-02-01; imaps (993) serves SHA-256 "        \
	"94e6f02a5aca51e4... CN=mail.test, expires 2027-11-26; older certificate still served "    \
	"on smtp (25), submission (587): renewed elsewhere, not reloaded or redeployed here?; "    \
	"closed: sieve (4190); no certificate: pop3 (110) connect.timeout, pop3s (995) UNKNOWN"

/* A mismatch with every list filled, and a verdict for another host's RSA handshakes. */
static void consistency_pair(mailcert_consistency c[2], mailcert_consistency_leaf leaves[2])
{
	leaves[0] = (mailcert_consistency_leaf){leaf.sha256, "CN=mail.test", day("2027-02-01"),
						old_ports, 2};
	leaves[1] = (mailcert_consistency_leaf){intermediate.sha256, "CN=mail.test",
						day("2027-11-26"), new_ports, 1};
	c[0] = (mailcert_consistency){.host = "mail.test",
				      .code = "scan.leaf-mismatch",
				      .state = MAILCERT_WARNING,
				      .message = MISMATCH_MESSAGE,
				      .leaves = leaves,
				      .n_leaves = 2,
				      .closed = closed_ports,
				      .n_closed = 1,
				      .failed = failed_ports,
				      .n_failed = 2};
	c[1] = (mailcert_consistency){.host = "mx.test",
				      .key_type = MAILCERT_KEY_RSA,
				      .code = "scan.no-leaf",
				      .state = MAILCERT_OK,
				      .message = "mx.test (RSA): no port served a certificate"};
}

static char *render_verdicts(const mailcert_consistency *c, size_t n, mailcert_format format)
{
	const mailcert_consistency *list[4];
	char *out = NULL;

	for (size_t i = 0; i < n; i++)
		list[i] = &c[i];
	ck_assert_int_eq(mailcert_render_consistency(&out, list, n, format), 0);
	ck_assert_ptr_nonnull(out);
	return out;
}

static void expect_verdicts(const mailcert_consistency *c, size_t n, mailcert_format format,
			    const char *want)
{
	char *got = render_verdicts(c, n, format);

	ck_assert_msg(strcmp(got, want) == 0, "format %d:\n--- got\n%s--- want\n%s---", format, got,
		      want);
	free(got);
}

START_TEST(test_consistency_text)
{
	mailcert_consistency c[2];
	mailcert_consistency_leaf leaves[2];

	consistency_pair(c, leaves);
	expect_verdicts(c, 2, MAILCERT_FORMAT_TEXT,
			"WARNING scan.leaf-mismatch: " MISMATCH_MESSAGE "\n"
			"OK scan.no-leaf: mx.test (RSA): no port served a certificate\n");
	/* No colour in a verdict's line. */
	expect_verdicts(c, 1, MAILCERT_FORMAT_TEXT_COLOR,
			"WARNING scan.leaf-mismatch: " MISMATCH_MESSAGE "\n");
}
END_TEST

START_TEST(test_consistency_nagios)
{
	mailcert_consistency c[2];
	mailcert_consistency_leaf leaves[2];

	consistency_pair(c, leaves);
	expect_verdicts(c, 2, MAILCERT_FORMAT_NAGIOS,
			"WARNING scan.leaf-mismatch: " MISMATCH_MESSAGE "\n"
			"OK scan.no-leaf: mx.test (RSA): no port served a certificate\n");
}
END_TEST

START_TEST(test_consistency_json)
{
	mailcert_consistency c[2];
	mailcert_consistency_leaf leaves[2];

	consistency_pair(c, leaves);
	expect_verdicts(
	    c, 2, MAILCERT_FORMAT_JSON,
	    "{\"consistency\":{\"host\":\"mail.test\",\"key_type\":null,\"state\":\"WARNING\","
	    "\"code\":\"scan.leaf-mismatch\",\"message\":\"" MISMATCH_MESSAGE "\",\"leaves\":["
	    "{\"sha256\":\"9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b\","
	    "\"subject\":\"CN=mail.test\",\"not_after\":\"2027-02-01T00:00:00Z\",\"ports\":["
	    "{\"service\":\"smtp\",\"port\":25},{\"service\":\"submission\",\"port\":587}]},"
	    "{\"sha256\":\"94e6f02a5aca51e44a2c057e9c0f3ced80814c198de8a84b4f5cab7e06ea2094\","
	    "\"subject\":\"CN=mail.test\",\"not_after\":\"2027-11-26T00:00:00Z\",\"ports\":["
	    "{\"service\":\"imaps\",\"port\":993}]}],"
	    "\"closed\":[{\"service\":\"sieve\",\"port\":4190}],"
	    "\"failed\":[{\"service\":\"pop3\",\"port\":110,\"code\":\"connect.timeout\"},"
	    "{\"service\":\"pop3s\",\"port\":995,\"code\":\"\"}]}}\n"
	    "{\"consistency\":{\"host\":\"mx.test\",\"key_type\":\"RSA\",\"state\":\"OK\","
	    "\"code\":\"scan.no-leaf\",\"message\":\"mx.test (RSA): no port served a "
	    "certificate\",\"leaves\":[],\"closed\":[],\"failed\":[]}}\n");
}
END_TEST

START_TEST(test_consistency_prometheus)
{
	mailcert_consistency c[2];
	mailcert_consistency_leaf leaves[2];

	consistency_pair(c, leaves);
	expect_verdicts(c, 2, MAILCERT_FORMAT_PROMETHEUS,
			"# HELP mailcert_scan_leaf_certificates Distinct leaf certificates served "
			"on the open mail ports of a host (1: consistent)\n"
			"# TYPE mailcert_scan_leaf_certificates gauge\n"
			"mailcert_scan_leaf_certificates{host=\"mail.test\"} 2\n"
			"mailcert_scan_leaf_certificates{host=\"mx.test\",key_type=\"RSA\"} 0\n");
}
END_TEST

/* Quotes, a backslash, a newline, a '|', a terminal escape and a byte that is not UTF-8. */
#define HOSTILE_SUBJECT "CN=\"x\\y\nz|w\x1b[2J\xff"

START_TEST(test_consistency_hostile)
{
	mailcert_consistency c[2];
	mailcert_consistency_leaf leaves[2];
	json_object *root, *o;
	char *out;

	consistency_pair(c, leaves);
	leaves[0].subject = HOSTILE_SUBJECT;
	c[0].host = "a\"b\\c\nd\xff";
	c[0].message = "m: " HOSTILE_SUBJECT;
	expect_verdicts(c, 1, MAILCERT_FORMAT_TEXT,
			"WARNING scan.leaf-mismatch: m: CN=\"x\\y\\x0az|w\\x1b[2J\\xff\n");
	expect_verdicts(c, 1, MAILCERT_FORMAT_NAGIOS,
			"WARNING scan.leaf-mismatch: m: CN=\"x\\y\\x0az\\x7cw\\x1b[2J\\xff\n");
	out = render_verdicts(c, 1, MAILCERT_FORMAT_JSON);
	ck_assert_ptr_nonnull(strstr(out, "\"host\":\"a\\\"b\\\\c\\nd\\\\xff\","));
	ck_assert_ptr_nonnull(
	    strstr(out, "\"message\":\"m: CN=\\\"x\\\\y\\nz|w\\u001b[2J\\\\xff\","));
	ck_assert_ptr_nonnull(strstr(out, "\"subject\":\"CN=\\\"x\\\\y\\nz|w\\u001b[2J\\\\xff\","));
	ck_assert_ptr_null(strchr(out, '\xff'));
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	root = json_tokener_parse(out);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_object_object_get_ex(root, "consistency", &o));
	ck_assert(json_object_object_get_ex(o, "host", &o));
	ck_assert_str_eq(json_object_get_string(o), "a\"b\\c\nd\\xff");
	json_object_put(root);
	free(out);
	expect_verdicts(c, 1, MAILCERT_FORMAT_PROMETHEUS,
			"# HELP mailcert_scan_leaf_certificates Distinct leaf certificates served "
			"on the open mail ports of a host (1: consistent)\n"
			"# TYPE mailcert_scan_leaf_certificates gauge\n"
			"mailcert_scan_leaf_certificates{host=\"a\\\"b\\\\c\\\\x0ad\\\\xff\"} 2\n");
}
END_TEST

START_TEST(test_consistency_errors)
{
	mailcert_consistency c[2];
	mailcert_consistency_leaf leaves[2];
	const mailcert_consistency *list[2] = {&c[0], NULL};
	char *out = (char *)"x";

	consistency_pair(c, leaves);
	ck_assert_int_eq(mailcert_render_consistency(NULL, list, 1, MAILCERT_FORMAT_TEXT),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_render_consistency(&out, NULL, 1, MAILCERT_FORMAT_TEXT),
			 MAILCERT_E_INVALID);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(mailcert_render_consistency(&out, list, 0, MAILCERT_FORMAT_TEXT),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_render_consistency(&out, list, 2, MAILCERT_FORMAT_TEXT),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_render_consistency(&out, list, 1, MAILCERT_FORMAT_SHOW),
			 MAILCERT_E_INVALID);
	ck_assert_ptr_null(out);
}
END_TEST
int main(void)
{
	Suite *s = suite_create("render");
	TCase *formats = tcase_create("formats"), *helpers = tcase_create("helpers");
	SRunner *sr;
	int failed;

	tcase_add_test(formats, test_ok_text);
	tcase_add_test(formats, test_ok_text_verbose);
	tcase_add_test(formats, test_ok_nagios);
	tcase_add_test(formats, test_ok_json);
	tcase_add_test(formats, test_ok_json_fields);
	tcase_add_test(formats, test_warning);
	tcase_add_test(formats, test_critical);
	tcase_add_test(formats, test_critical_json_fields);
	tcase_add_test(formats, test_failure);
	tcase_add_test(formats, test_hostile_message_nagios);
	tcase_add_test(formats, test_hostile_message_text);
	tcase_add_test(formats, test_hostile_message_text_colour);
	tcase_add_test(formats, test_text_colour_many);
	tcase_add_test(formats, test_text_tree);
	tcase_add_test(formats, test_hostile_message_json);
	tcase_add_test(formats, test_hostile_names);
	tcase_add_test(formats, test_nagios_intermediate_expires_first);
	tcase_add_test(formats, test_nagios_ok_but_expired);
	tcase_add_test(formats, test_nagios_unknown);
	tcase_add_test(formats, test_nagios_transcript);
	tcase_add_test(formats, test_nagios_file);
	tcase_add_test(formats, test_json_target_fields);
	tcase_add_test(formats, test_render_errors);
	tcase_add_test(formats, test_show);
	tcase_add_test(formats, test_show_pem);
	tcase_add_test(formats, test_transcript_bounded);
	tcase_add_test(formats, test_prometheus_warning);
	tcase_add_test(formats, test_prometheus_many);
	tcase_add_test(formats, test_ari_outputs);
	tcase_add_test(formats, test_sct_json);
	tcase_add_test(formats, test_prometheus_hostile_labels);
	tcase_add_test(formats, test_consistency_text);
	tcase_add_test(formats, test_consistency_nagios);
	tcase_add_test(formats, test_consistency_json);
	tcase_add_test(formats, test_consistency_prometheus);
	tcase_add_test(formats, test_consistency_hostile);
	tcase_add_test(formats, test_consistency_errors);
	tcase_add_loop_test(helpers, test_clean, 0, sizeof(clean_cases) / sizeof(clean_cases[0]));
	tcase_add_test(helpers, test_duration);
	tcase_add_test(helpers, test_time_and_seconds);
	suite_add_tcase(s, formats);
	suite_add_tcase(s, helpers);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

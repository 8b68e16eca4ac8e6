/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Certificate Transparency: the SCT parsers (model/sct.c) on crafted and
 * hostile bytes, the log list reader (model/ctlog.c), and the evaluation
 * (checks/ct.c) of leaves made here whose SCTs test logs sign here: the
 * SCT list is added to a certificate already signed, which is then signed
 * again, so the TBS the logs signed is the first signature's, read with a
 * reader of this file's own, not the one under test.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "../common/evaluation.h"
#include "model/ctlog.h"
#include "model/sct.h"

/* ---- bytes --------------------------------------------------------------- */

struct bytes {
	unsigned char b[8192];
	size_t n;
};

static void put(struct bytes *o, const void *p, size_t n)
{
	ck_assert_uint_le(o->n + n, sizeof(o->b));
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put_u(struct bytes *o, unsigned long long v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		unsigned char c = (unsigned char)(v >> (8 * i));

		put(o, &c, 1);
	}
}

/* A DER TLV of @tag around @body (short or two-byte lengths: all this test needs). */
static void der(struct bytes *o, unsigned tag, const struct bytes *body)
{
	put_u(o, tag, 1);
	if (body->n < 0x80) {
		put_u(o, body->n, 1);
	} else {
		put_u(o, 0x82, 1);
		put_u(o, body->n, 2);
	}
	put(o, body->b, body->n);
}

/* The TBSCertificate of a certificate's DER: the first element of its SEQUENCE. */
static struct bytes tbs_of(const gnutls_datum_t *cert)
{
	struct bytes t = {.n = 0};
	const unsigned char *p = cert->data;
	size_t hdr = (p[1] & 0x80) ? 2 + (p[1] & 0x7f) : 2, len, h;

	p += hdr;
	h = (p[1] & 0x80) ? 2 + (p[1] & 0x7f) : 2;
	len = h == 2 ? p[1] : h == 3 ? p[2] : ((size_t)p[2] << 8 | p[3]);
	put(&t, p, h + len);
	return t;
}

/* ---- test logs ------------------------------------------------------------ */

struct log {
	gnutls_privkey_t key;
	gnutls_datum_t spki;
	unsigned char id[32];
};

static struct log logs[4]; /* a1, a2 of "Op A"; b1 of "Op B"; x of no list */
static char list_path[] = "/tmp/test-ct-XXXXXX";

static void log_make(struct log *l)
{
	gnutls_pubkey_t pub;

	ck_assert_int_ge(gnutls_privkey_init(&l->key), 0);
	ck_assert_int_ge(gnutls_privkey_generate(l->key, GNUTLS_PK_ECDSA,
						 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
			 0);
	ck_assert_int_ge(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_ge(gnutls_pubkey_import_privkey(pub, l->key, 0, 0), 0);
	ck_assert_int_ge(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &l->spki), 0);
	gnutls_pubkey_deinit(pub);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, l->spki.data, l->spki.size, l->id);
}

static char *b64(const void *p, size_t n)
{
	gnutls_datum_t in = {(unsigned char *)p, (unsigned)n}, out;
	char *s;

	ck_assert_int_ge(gnutls_base64_encode2(&in, &out), 0);
	s = strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return s;
}

static void log_entry(FILE *f, const char *name, const struct log *l, const char *state,
		      const char *comma)
{
	char *id = b64(l->id, 32), *key = b64(l->spki.data, l->spki.size);

	fprintf(f,
		"{\"description\": \"%s\", \"log_id\": \"%s\", \"key\": \"%s\", \"url\": "
		"\"https://ct.invalid/\", \"mmd\": 86400, \"state\": {\"%s\": {\"timestamp\": "
		"\"2026-01-01T00:00:00Z\"}}}%s",
		name, id, key, state, comma);
	free(id);
	free(key);
}

/* Unchecked fixture: keys and files made once, before the tests fork. */
static void setup(void)
{
	int fd;
	FILE *f;

	ev_pki_setup();
	for (size_t i = 0; i < 4; i++)
		log_make(&logs[i]);
	fd = mkstemp(list_path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("{\"version\": \"1\", \"operators\": [{\"name\": \"Op A\", \"logs\": [", f);
	log_entry(f, "log a1", &logs[0], "usable", ",");
	log_entry(f, "log a2", &logs[1], "qualified", "");
	fputs("]}, {\"name\": \"Op B\", \"logs\": [], \"tiled_logs\": [", f);
	log_entry(f, "log b1", &logs[2], "readonly", "");
	fputs("]}]}\n", f);
	fclose(f);
}

static void teardown(void)
{
	unlink(list_path);
	for (size_t i = 0; i < 4; i++) {
		gnutls_privkey_deinit(logs[i].key);
		gnutls_free(logs[i].spki.data);
	}
	ev_pki_teardown();
}

/* One SCT of @l over the precert entry (@issuer_key_hash) or the x509 entry, serialized. */
static void sct(struct bytes *out, const struct log *l, unsigned long long ts,
		const struct bytes *entry, const unsigned char *issuer_key_hash, int tamper)
{
	struct bytes s = {.n = 0};
	gnutls_datum_t data, sig;

	put_u(&s, 0, 1);
	put_u(&s, 0, 1);
	put_u(&s, ts, 8);
	put_u(&s, issuer_key_hash ? 1 : 0, 2);
	if (issuer_key_hash)
		put(&s, issuer_key_hash, 32);
	put_u(&s, entry->n, 3);
	put(&s, entry->b, entry->n);
	put_u(&s, 0, 2);
	data = (gnutls_datum_t){s.b, (unsigned)s.n};
	ck_assert_int_ge(gnutls_privkey_sign_data(l->key, GNUTLS_DIG_SHA256, 0, &data, &sig), 0);
	if (tamper)
		sig.data[sig.size - 1] ^= 1;
	put_u(out, 1 + 32 + 8 + 2 + 2 + 2 + sig.size, 2);
	put_u(out, 0, 1);
	put(out, l->id, 32);
	put_u(out, ts, 8);
	put_u(out, 0, 2);
	put_u(out, 4, 1);
	put_u(out, 3, 1);
	put_u(out, sig.size, 2);
	put(out, sig.data, sig.size);
	gnutls_free(sig.data);
}

static void list_of(struct bytes *out, const struct bytes *scts)
{
	put_u(out, scts->n, 2);
	put(out, scts->b, scts->n);
}

static void issuer_key_hash(const struct mc_fixture_cert *issuer, unsigned char out[32])
{
	gnutls_pubkey_t pub;
	gnutls_datum_t spki;

	ck_assert_int_ge(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_ge(gnutls_pubkey_import_x509(pub, issuer->crt, 0), 0);
	ck_assert_int_ge(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki), 0);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, out);
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
}

#define TS ((unsigned long long)(NOW - 3600) * 1000ULL + 123)

/*
 * @leaf (issued by ev_inter, @days long) with the SCTs of logs @which
 * (indexes into logs[]; the last one tampered when @tamper) embedded.
 */
static void leaf_with_scts(struct mc_fixture_cert *leaf, double days, const int *which, size_t n,
			   int tamper, struct bytes *tbs_out)
{
	static const char *const dns[] = {"mail.test", NULL};
	struct bytes scts = {.n = 0}, list = {.n = 0}, ext = {.n = 0};
	unsigned char ikh[32];
	gnutls_datum_t der0;

	ev_make_leaf(leaf, "mail.test", dns, NULL, &ev_inter, days);
	ck_assert_int_ge(gnutls_x509_crt_export2(leaf->crt, GNUTLS_X509_FMT_DER, &der0), 0);
	*tbs_out = tbs_of(&der0);
	gnutls_free(der0.data);
	issuer_key_hash(&ev_inter, ikh);
	for (size_t i = 0; i < n; i++)
		sct(&scts, &logs[which[i]], TS, tbs_out, ikh, tamper && i == n - 1);
	list_of(&list, &scts);
	der(&ext, 0x04, &list);
	ck_assert_int_ge(gnutls_x509_crt_set_extension_by_oid(leaf->crt, MC_SCT_CERT_OID, ext.b,
							      ext.n, 0),
			 0);
	ck_assert_int_ge(gnutls_x509_crt_sign2(leaf->crt, ev_inter.crt, ev_inter.key,
					       GNUTLS_DIG_SHA256, 0),
			 0);
}

static mailcert_policy *ct_policy(void)
{
	mailcert_policy *p = ev_policy();
	char err[512];

	ck_assert_int_eq(mailcert_policy_set_ct(p, MAILCERT_CT_REQUIRE), 0);
	ck_assert_msg(mailcert_policy_set_ct_log_list(p, list_path, err, sizeof(err)) == 0, "%s",
		      err);
	return p;
}

/* ---- the parsers ------------------------------------------------------------ */

START_TEST(test_precert_tbs)
{
	static const int ab[] = {0, 2};
	struct mc_fixture_cert leaf;
	struct bytes tbs;
	gnutls_datum_t der1;
	unsigned char *got;
	size_t got_len;
	char why[200];

	leaf_with_scts(&leaf, 90, ab, 2, 0, &tbs);
	ck_assert_int_ge(gnutls_x509_crt_export2(leaf.crt, GNUTLS_X509_FMT_DER, &der1), 0);
	ck_assert_int_eq(mc_sct_precert_tbs(der1.data, der1.size, &got, &got_len, why, sizeof(why)),
			 0);
	ck_assert_uint_eq(got_len, tbs.n);
	ck_assert_mem_eq(got, tbs.b, tbs.n);
	free(got);
	/* Cut anywhere, it is refused, never read past. */
	for (size_t cut = 0; cut < der1.size; cut += 7) {
		unsigned char *copy = malloc(cut ? cut : 1);

		memcpy(copy, der1.data, cut);
		ck_assert_int_eq(mc_sct_precert_tbs(copy, cut, &got, &got_len, why, sizeof(why)), -1);
		ck_assert_ptr_null(got);
		free(copy);
	}
	gnutls_free(der1.data);
	/* A certificate without the extension. */
	ck_assert_int_ge(gnutls_x509_crt_export2(ev_root.crt, GNUTLS_X509_FMT_DER, &der1), 0);
	ck_assert_int_eq(mc_sct_precert_tbs(der1.data, der1.size, &got, &got_len, why, sizeof(why)),
			 -1);
	ck_assert_str_eq(why, "the certificate has no SCT list extension");
	gnutls_free(der1.data);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

START_TEST(test_list_hostile)
{
	/* One SCT: v1, id 0x11…, ts 1, ext "ab", sha256/ecdsa, sig "xyz". */
	static const unsigned char one[] = {
	    0x00, 0x36, 0x00, 0x34, 0x00, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0,    0,    0,    0,    0,
	    0,    0,    1,    0x00, 0x02, 'a',  'b',  4,    3,    0x00, 0x03, 'x',  'y',  'z'};
	struct mc_sct s[MC_MAX_SCT];
	size_t n = 0, dropped = 0;
	unsigned char buf[sizeof(one)];
	char why[200];

	ck_assert_int_eq(mc_sct_list_parse(one, sizeof(one), MC_SCT_TLS, s, MC_MAX_SCT, &n, &dropped,
					   why, sizeof(why)),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(s[0].timestamp, 1);
	ck_assert_uint_eq(s[0].ext_len, 2);
	ck_assert_mem_eq(s[0].ext, "ab", 2);
	ck_assert_uint_eq(s[0].sig_len, 3);
	ck_assert_mem_eq(s[0].sig, "xyz", 3);
	/* Every truncation is refused. */
	for (size_t cut = 0; cut < sizeof(one); cut++) {
		n = 0;
		ck_assert_int_eq(mc_sct_list_parse(one, cut, MC_SCT_TLS, s, MC_MAX_SCT, &n, &dropped,
						   why, sizeof(why)),
				 -1);
	}
	/* A signature length past the SCT's end. */
	memcpy(buf, one, sizeof(one));
	buf[sizeof(one) - 4] = 4;
	n = 0;
	ck_assert_int_eq(
	    mc_sct_list_parse(buf, sizeof(buf), MC_SCT_TLS, s, MC_MAX_SCT, &n, &dropped, why, sizeof(why)),
	    -1);
	ck_assert_str_eq(why, "an SCT's signature does not end where the SCT does");
	/* An extensions length past it. */
	memcpy(buf, one, sizeof(one));
	buf[45] = 0x40;
	ck_assert_int_eq(
	    mc_sct_list_parse(buf, sizeof(buf), MC_SCT_TLS, s, MC_MAX_SCT, &n, &dropped, why, sizeof(why)),
	    -1);
	/* Version 2 is skipped, not parsed (RFC 6962 §3.3). */
	memcpy(buf, one, sizeof(one));
	buf[4] = 1;
	n = 0;
	ck_assert_int_eq(
	    mc_sct_list_parse(buf, sizeof(buf), MC_SCT_TLS, s, MC_MAX_SCT, &n, &dropped, why, sizeof(why)),
	    0);
	ck_assert_uint_eq(n, 0);
	/* The bound: beyond MC_MAX_SCT they are counted, not kept. */
	n = MC_MAX_SCT;
	ck_assert_int_eq(mc_sct_list_parse(one, sizeof(one), MC_SCT_TLS, s, MC_MAX_SCT, &n, &dropped,
					   why, sizeof(why)),
			 0);
	ck_assert_uint_eq(dropped, 1);
	/* An empty list. */
	ck_assert_int_eq(mc_sct_list_parse((const unsigned char *)"\0\0", 2, MC_SCT_TLS, s,
					   MC_MAX_SCT, &n, &dropped, why, sizeof(why)),
			 -1);
}
END_TEST

/* An OCSP response with one SingleResponse of status @status_tag (0x80 good, 0xa1 revoked). */
static void ocsp(struct bytes *out, unsigned status_tag, const struct bytes *list)
{
	struct bytes e = {.n = 0}, v = {.n = 0}, vv = {.n = 0}, exts = {.n = 0}, w = {.n = 0},
		     single = {.n = 0}, singles = {.n = 0}, tbs = {.n = 0}, tbsd = {.n = 0},
		     basic = {.n = 0}, basicd = {.n = 0}, rb = {.n = 0}, rbd = {.n = 0},
		     wrap = {.n = 0}, resp = {.n = 0}, t = {.n = 0}, s = {.n = 0};
	static const unsigned char oid[] = {0x06, 0x0a, 0x2b, 6, 1, 4, 1, 0xd6, 0x79, 2, 4, 5};
	static const unsigned char basic_oid[] = {0x06, 0x09, 0x2b, 6, 1, 5, 5, 7, 0x30, 1, 1};
	static const unsigned char gt[] = {0x18, 0x0f, '2', '0', '2', '6', '1', '1', '2',
					   '8', '0', '0', '0', '0', '0', '0', 'Z'};
	static const unsigned char certid[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	static const unsigned char revoked[] = {0xa1, 0x11, 0x18, 0x0f, '2', '0', '2', '6', '1',
						'1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z'};

	der(&v, 0x04, list);
	put(&e, oid, sizeof(oid));
	der(&e, 0x04, &v);
	der(&vv, 0x30, &e);
	der(&exts, 0x30, &vv);
	der(&w, 0xa1, &exts);
	put(&single, certid, sizeof(certid));
	if (status_tag == 0xa1)
		put(&single, revoked, sizeof(revoked));
	else
		put(&single, "\x80\x00", 2);
	put(&single, gt, sizeof(gt));
	put(&single, w.b, w.n);
	der(&singles, 0x30, &single);
	put(&t, "\xa2\x02\x04\x00", 4); /* responderID byKey, empty */
	put(&t, gt, sizeof(gt));
	der(&t, 0x30, &singles);
	der(&tbsd, 0x30, &t);
	put(&tbs, tbsd.b, tbsd.n);
	put(&tbs, "\x30\x00\x03\x01\x00", 5); /* algorithm, signature: not read */
	der(&basicd, 0x30, &tbs);
	put(&basic, basic_oid, sizeof(basic_oid));
	der(&basic, 0x04, &basicd);
	der(&rb, 0x30, &basic);
	der(&rbd, 0xa0, &rb);
	put(&s, "\x0a\x01\x00", 3);
	put(&s, rbd.b, rbd.n);
	der(&resp, 0x30, &s);
	(void)wrap;
	*out = resp;
}

START_TEST(test_ocsp_list)
{
	struct bytes list = {.n = 0}, resp;
	const unsigned char *l;
	size_t ll;

	put(&list, "\x00\x03xyz", 5);
	for (unsigned tag = 0x80; tag <= 0xa1; tag += 0x21) {
		ocsp(&resp, tag, &list);
		ck_assert_int_eq(mc_sct_from_ocsp(resp.b, resp.n, &l, &ll), 1);
		ck_assert_uint_eq(ll, list.n);
		ck_assert_mem_eq(l, list.b, list.n);
		for (size_t cut = 0; cut < resp.n; cut++)
			ck_assert_int_le(mc_sct_from_ocsp(resp.b, cut, &l, &ll), 0);
	}
	/* An error status has no responseBytes: no list, not an error. */
	ck_assert_int_eq(mc_sct_from_ocsp((const unsigned char *)"\x30\x03\x0a\x01\x06", 5, &l, &ll),
			 0);
}
END_TEST

START_TEST(test_loglist_hostile)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{}",
	    "{\"operators\": {}}",
	    "{\"operators\": []}",
	    "{\"operators\": [1]}",
	    "{\"operators\": [{\"name\": \"x\", \"logs\": {}}]}",
	    "{\"operators\": [{\"name\": \"x\", \"logs\": [{\"key\": \"AAAA\"}]}]}",
	    "{\"operators\": [{\"name\": \"x\", \"logs\": [{\"log_id\": \"AAAA\", \"key\": \"!!\"}]}]}",
	    "{\"operators\": [{\"name\": \"x\", \"logs\": [{\"log_id\": \"AAAA\", \"key\": \"AAAA\"}]}]}",
	    "{\"operators\": []} trailing",
	};
	struct mc_ct_loglist *list;
	char why[400];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(mc_ct_loglist_parse(bad[i], strlen(bad[i]), &list, why, sizeof(why)) ==
				  MAILCERT_E_INVALID,
			      "%s", bad[i]);
		ck_assert_ptr_null(list);
		ck_assert_msg(why[0], "no reason for %s", bad[i]);
	}
}
END_TEST

START_TEST(test_loglist_file)
{
	FILE *f = fopen(list_path, "r");
	char buf[16384], why[400];
	size_t n = fread(buf, 1, sizeof(buf), f);
	struct mc_ct_loglist *list;
	const struct mc_ct_log *l;

	fclose(f);
	ck_assert_int_eq(mc_ct_loglist_parse(buf, n, &list, why, sizeof(why)), 0);
	ck_assert_uint_eq(list->n, 3);
	ck_assert_uint_eq(list->operators_n, 2);
	l = mc_ct_loglist_find(list, logs[2].id);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l->name, "log b1");
	ck_assert_str_eq(list->operators[l->op], "Op B");
	ck_assert_str_eq(mc_ct_state_name(l->state), "readonly");
	ck_assert_ptr_null(mc_ct_loglist_find(list, logs[3].id));
	mc_ct_loglist_free(list);
	/* A log_id that is not its key's hash. */
	{
		char *id = b64(logs[0].id, 32), *other = b64(logs[1].id, 32), *p = strstr(buf, id);

		ck_assert_ptr_nonnull(p);
		memcpy(p, other, strlen(other));
		ck_assert_int_eq(mc_ct_loglist_parse(buf, n, &list, why, sizeof(why)),
				 MAILCERT_E_INVALID);
		ck_assert_contains(why, "the log_id of the log \"log a1\" is not the SHA-256 of its key");
		free(id);
		free(other);
	}
}
END_TEST

/* ---- the evaluation ------------------------------------------------------------ */

static const struct {
	const char *name;
	int logs[3];
	size_t n;
	int tamper;
	double days;
	const char *codes;
	mailcert_state state;
	const char *message; /* in the first finding's, or NULL */
} cases[] = {
    {"two operators", {0, 2}, 2, 0, 90, "", MAILCERT_OK, NULL},
    {"one operator", {0, 1}, 2, 0, 90, "ct.too-few ", MAILCERT_WARNING,
     "valid SCTs from 2 logs of 1 operator embedded"},
    {"tampered", {0, 2}, 2, 1, 90, "ct.invalid ct.too-few ", MAILCERT_CRITICAL,
     "the SCT of the log \"log b1\" embedded in the certificate, dated 2026-11-28 09:00:00 UTC, "
     "is not valid: its signature does not verify with the log's key"},
    {"unknown log", {0, 3}, 2, 0, 90, "ct.unknown-log ct.too-few ", MAILCERT_WARNING,
     "which the log list does not name"},
    {"200 days, two", {0, 2}, 2, 0, 200, "ct.too-few ", MAILCERT_WARNING,
     "asks for 3 embedded (for a certificate valid more than 180 days)"},
    {"200 days, three", {0, 1, 2}, 3, 0, 200, "", MAILCERT_OK, NULL},
};

START_TEST(test_embedded)
{
	struct mc_fixture_cert leaf;
	struct bytes tbs;
	mailcert_policy *p = ct_policy();
	mailcert_report *r;
	const mailcert_sct *s;

	leaf_with_scts(&leaf, cases[_i].days, cases[_i].logs, cases[_i].n, cases[_i].tamper, &tbs);
	r = ev_check("mail.test", (const struct mc_fixture_cert *const[]){&leaf, &ev_inter}, 2, p);
	ck_assert_codes(r, cases[_i].codes, cases[_i].state);
	if (cases[_i].message)
		ck_assert_contains(r->findings[0].message, cases[_i].message);
	ck_assert_uint_eq(mailcert_report_sct_count(r), cases[_i].n);
	s = mailcert_report_sct(r, 0);
	ck_assert_str_eq(s->source, "embedded");
	ck_assert_str_eq(s->log_name, "log a1");
	ck_assert_int_eq(s->timestamp_ms, (long long)TS);
	ck_assert_int_eq(s->valid, 1);
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

/* SCTs over the certificate, as a server sends them in TLS; where it applies. */
START_TEST(test_tls_and_scope)
{
	static const char *const dns[] = {"mail.test", NULL};
	struct mc_fixture_cert leaf;
	struct bytes entry = {.n = 0}, scts = {.n = 0}, list = {.n = 0};
	gnutls_datum_t d;
	mailcert_policy *p = ct_policy(), *plain = ev_policy();
	mailcert_observation *obs;
	mailcert_report *r;

	ev_make_leaf(&leaf, "mail.test", dns, NULL, &ev_inter, 90);
	ck_assert_int_ge(gnutls_x509_crt_export2(leaf.crt, GNUTLS_X509_FMT_DER, &d), 0);
	put(&entry, d.data, d.size);
	gnutls_free(d.data);
	sct(&scts, &logs[0], TS, &entry, NULL, 0);
	sct(&scts, &logs[2], TS, &entry, NULL, 0);
	list_of(&list, &scts);
	obs = ev_observe("smtp://mail.test:25", "mail.test",
			 (const struct mc_fixture_cert *const[]){&leaf, &ev_inter}, 2);
	ck_assert_int_eq(mc_observation_set_sct_tls(obs, list.b, list.n), 0);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, NOW), 0);
	ck_assert_codes(r, "", MAILCERT_OK);
	ck_assert_str_eq(mailcert_report_sct(r, 1)->source, "tls");
	ck_assert_int_eq(mailcert_report_sct(r, 1)->valid, 1);
	mailcert_report_free(r);
	/* Without a log list: listed, not verified, nothing judged for a private CA. */
	ck_assert_int_eq(mailcert_evaluate(&r, obs, plain, NOW), 0);
	ck_assert_codes(r, "", MAILCERT_OK);
	ck_assert_int_eq(mailcert_report_sct(r, 0)->valid, -1);
	ck_assert_ptr_null(mailcert_report_sct(r, 0)->log_name);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	/* No SCTs: ct.missing with --ct, nothing for a private CA by default, nothing when off. */
	r = ev_check("mail.test", (const struct mc_fixture_cert *const[]){&leaf, &ev_inter}, 2, p);
	ck_assert_codes(r, "ct.missing ", MAILCERT_WARNING);
	mailcert_report_free(r);
	r = ev_check("mail.test", (const struct mc_fixture_cert *const[]){&leaf, &ev_inter}, 2,
		     plain);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_ct(p, MAILCERT_CT_OFF), 0);
	r = ev_check("mail.test", (const struct mc_fixture_cert *const[]){&leaf, &ev_inter}, 2, p);
	ck_assert_codes(r, "", MAILCERT_OK);
	mailcert_report_free(r);
	ck_assert_int_eq(mailcert_policy_set_ct(p, (mailcert_ct)7), MAILCERT_E_INVALID);
	mailcert_policy_free(p);
	mailcert_policy_free(plain);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ct");
	TCase *tc = tcase_create("ct");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_precert_tbs);
	tcase_add_test(tc, test_list_hostile);
	tcase_add_test(tc, test_ocsp_list);
	tcase_add_test(tc, test_loglist_hostile);
	tcase_add_test(tc, test_loglist_file);
	tcase_add_loop_test(tc, test_embedded, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_tls_and_scope);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DANE: checks/dane.c judging TLSA records against chains made here, the
 * records given inline (--tlsa) or as a DNS lookup recorded in the
 * check's evidence; the rollover's next keys and issuers (checks/dane_next.c)
 * and the records to publish (model/tlsakey.c); and the parsers it stands on: mc_tlsa_parse_text() and
 * mc_tlsa_parse_rdata() (model/tlsa.c), mc_dns_server_parse() and the
 * RDATA parsers of model/dnsrr.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "../common/evaluation.h"
#include "model/dnsrr.h"

#define RECORD_MAX 4096 /* "U S M HEX" of a whole test certificate (ECDSA, ~500 bytes) */
#define HOST "mail.test"
#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

/* Beside ev_root → ev_inter: a PKI that ev_policy() does not trust. */
static struct mc_fixture_cert other_root, other_inter;

static void pki_setup(void)
{
	ev_pki_setup();
	ev_make_ca(&other_root, "Other Root", NULL, 3650);
	ev_make_ca(&other_inter, "Other Intermediate", &other_root, 1000);
}

static void pki_teardown(void)
{
	mc_fixture_cert_clear(&other_inter);
	mc_fixture_cert_clear(&other_root);
	ev_pki_teardown();
}

/* ---- helpers ------------------------------------------------------- */

/* The TLSA record "USAGE SELECTOR MTYPE HEX" for @c, as --tlsa takes it. */
static void record(char out[RECORD_MAX], const struct mc_fixture_cert *c, unsigned usage,
		   unsigned selector, unsigned mtype)
{
	unsigned char digest[64];
	const unsigned char *bytes = digest;
	gnutls_datum_t d;
	gnutls_pubkey_t key;
	size_t n;
	int k;

	/* Selector 0 is the whole certificate, 1 its SubjectPublicKeyInfo. */
	if (selector == 0) {
		ck_assert_int_eq(mc_fixture_cert_der(c, &d), 0);
	} else {
		ck_assert_int_eq(gnutls_pubkey_init(&key), 0);
		ck_assert_int_eq(gnutls_pubkey_import_x509(key, c->crt, 0), 0);
		ck_assert_int_eq(gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &d), 0);
		gnutls_pubkey_deinit(key);
	}
	if (mtype == 0) {
		bytes = d.data;
		n = d.size;
	} else {
		n = mtype == 1 ? 32 : 64;
		ck_assert_int_eq(
		    gnutls_hash_fast(mtype == 1 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512, d.data,
				     d.size, digest),
		    0);
	}
	k = snprintf(out, RECORD_MAX, "%u %u %u ", usage, selector, mtype);
	ck_assert_uint_lt((size_t)k + 2 * n, RECORD_MAX);
	for (size_t i = 0; i < n; i++)
		sprintf(out + k + 2 * i, "%02x", bytes[i]);
	gnutls_free(d.data);
}

/* Evaluates @obs with @ev (NULL: none) and frees both (the report keeps a reference to @obs). */
static mailcert_report *evaluate_with(mailcert_observation *obs, struct mc_evidence *ev,
				      const mailcert_policy *p)
{
	mailcert_report *r = NULL;

	ck_assert_int_eq(mc_evaluate_evidence(&r, obs, ev, p, NOW), 0);
	mailcert_observation_free(obs);
	mc_evidence_free(ev);
	return r;
}

static mailcert_report *evaluate(mailcert_observation *obs, const mailcert_policy *p)
{
	return evaluate_with(obs, NULL, p);
}

/* The first finding @code of @r, or NULL. */
static const mailcert_finding *finding(const mailcert_report *r, const char *code)
{
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		if (strcmp(mailcert_finding_code(f), code) == 0)
			return f;
	}
	return NULL;
}

/* Asserts the findings of @r ("a b ", in order) and its state, naming the case @name. */
static void assert_codes(const char *name, const mailcert_report *r, const char *codes,
			 mailcert_state state)
{
	char got[1024];

	ev_codes(got, sizeof(got), r);
	ck_assert_msg(strcmp(got, codes) == 0, "%s: findings: want [%s], got [%s]", name, codes,
		      got);
	ck_assert_msg(mailcert_report_state(r) == state, "%s: state %s, want %s", name,
		      mailcert_state_name(mailcert_report_state(r)), mailcert_state_name(state));
}

/* ---- checks/dane.c ------------------------------------------------- */

enum leaf_kind { LEAF_GOOD, LEAF_SELF_SIGNED, LEAF_EXPIRED, LEAF_WRONG_NAME };

/* Whom a chain element or a record is of. */
enum who { NOBODY, LEAF, INTER, OTHER_INTER, OTHER_ROOT };

struct tlsa {
	enum who of;
	unsigned char usage, selector, mtype;
};

#define MOOT "moot for DANE"
#define EE_MATCH "the TLSA record 3 1 1 (DANE-EE) given with --tlsa matches the leaf"
#define EE_MOOT MOOT ": a DANE-EE TLSA record"
#define TA_MATCH                                                                                   \
	"the TLSA record 2 0 1 (DANE-TA) given with --tlsa matches the chain certificate, and "    \
	"the chain leads to it"
#define TA_MOOT MOOT ": the chain leads to the trust anchor of a DANE-TA TLSA record"
#define TLS "tls://" HOST ":443"

/* clang-format off */
#define EE_SELECTOR(s, m)                                                                          \
	{.name = "EE 3 " #s " " #m, .tlsa = {{LEAF, 3, s, m}}, .codes = "dane.match ",             \
	 .about = {"dane.match", 0}, .msg = {{"dane.match", "the TLSA record 3 " #s " " #m " (DANE-EE)"}}}
#define UNUSABLE_RAW(why, u, s, m, len)                                                            \
	{.name = why, .dns = {.done = 1, .status = MC_DNS_SECURE, .raw = {u, s, m, len}},          \
	 .codes = "dane.unusable ", .state = MAILCERT_WARNING,                                     \
	 .msg = {{"dane.unusable", "none of the 1 TLSA records at _25._tcp.mail.test is usable here"}}}
/* clang-format on */

static const struct dane_case {
	const char *name;
	enum leaf_kind kind;
	enum who chain[2];   /* sent after the leaf, the first its issuer; none: INTER */
	const char *target;  /* NULL: smtp://mail.test:25 */
	struct tlsa tlsa[2]; /* given with --tlsa */
	struct {
		int done, status; /* a lookup is recorded, with this outcome */
		const char *why;
		struct tlsa rr; /* in the answer */
		struct {
			unsigned char usage, selector, mtype; /* usage 0: none */
			size_t len;
		} raw; /* in the answer, unchecked: what the parser would refuse */
		size_t malformed;
	} dns;
	const char *lowered; /* --severity lowered=warning */
	const char *codes;   /* every finding, in order; NULL: not checked */
	mailcert_state state;
	struct {
		const char *code;
		int cert;
	} about; /* the chain element a finding is about */
	struct {
		const char *code;
		mailcert_state state;
	} sev[2];
	struct {
		const char *code, *part;
	} msg[3];
	struct {
		const char *code, *before, *after;
	} quotes;             /* a message that quotes the leaf's own 3 1 1 record */
	const char *not_moot; /* a finding DANE must leave standing */
} dane_cases[] = {
    /* clang-format off */
    /* RFC 7672 §3.1.1: DANE-EE authenticates the leaf's key whatever PKIX says... */
    {.name = "EE, trusted chain", .tlsa = {{LEAF, 3, 1, 1}}, .codes = "dane.match ",
     .about = {"dane.match", 0}, .msg = {{"dane.match", EE_MATCH}}},
    {.name = "EE, self-signed leaf", .kind = LEAF_SELF_SIGNED, .tlsa = {{LEAF, 3, 1, 1}},
     .codes = "trust.self-signed dane.match ", .about = {"dane.match", 0},
     .sev = {{"trust.self-signed", MAILCERT_OK}},
     .msg = {{"dane.match", EE_MATCH}, {"trust.self-signed", EE_MOOT}}},
    {.name = "EE, expired leaf", .kind = LEAF_EXPIRED, .tlsa = {{LEAF, 3, 1, 1}},
     .codes = "cert.expired dane.match ", .about = {"dane.match", 0},
     .sev = {{"cert.expired", MAILCERT_OK}},
     .msg = {{"dane.match", EE_MATCH}, {"cert.expired", EE_MOOT}}},
    {.name = "EE, wrong name", .kind = LEAF_WRONG_NAME, .tlsa = {{LEAF, 3, 1, 1}},
     .codes = "name.mismatch dane.match ", .about = {"dane.match", 0},
     .sev = {{"name.mismatch", MAILCERT_OK}},
     .msg = {{"dane.match", EE_MATCH}, {"name.mismatch", EE_MOOT}}},
    /* ...and without the record the same chains fail: what it lowered was real. */
    {.name = "no lookup and no --tlsa: no DANE finding", .codes = ""},
    {.name = "no record, self-signed leaf", .kind = LEAF_SELF_SIGNED,
     .codes = "trust.self-signed ", .state = MAILCERT_CRITICAL},
    {.name = "no record, expired leaf", .kind = LEAF_EXPIRED,
     .codes = "cert.expired ", .state = MAILCERT_CRITICAL},
    {.name = "no record, wrong name", .kind = LEAF_WRONG_NAME,
     .codes = "name.mismatch ", .state = MAILCERT_CRITICAL},
    /* Every selector and matching type (RFC 6698 §2.1.2, §2.1.3). */
    EE_SELECTOR(1, 1),
    EE_SELECTOR(0, 1),
    EE_SELECTOR(1, 2),
    EE_SELECTOR(1, 0),
    EE_SELECTOR(0, 0),
    EE_SELECTOR(0, 2),
    /* One record that matches is enough: another key's beside it spoils nothing. */
    {.name = "EE, the second record matches", .tlsa = {{OTHER_INTER, 3, 1, 1}, {LEAF, 3, 1, 1}},
     .codes = "dane.match "},
    /* A mismatch names the record that would match the key served. */
    {.name = "EE mismatch", .tlsa = {{OTHER_INTER, 3, 1, 1}},
     .codes = "dane.mismatch ", .state = MAILCERT_CRITICAL, .about = {"dane.mismatch", -1},
     .sev = {{"dane.mismatch", MAILCERT_CRITICAL}},
     .msg = {{"dane.mismatch", "none of the 1 usable TLSA records given with --tlsa matches the chain"}},
     .quotes = {"dane.mismatch", "(\"", "\")"}},
    {.name = "--severity dane.mismatch=warning", .tlsa = {{OTHER_INTER, 3, 1, 1}},
     .lowered = "dane.mismatch", .codes = "dane.mismatch ", .state = MAILCERT_WARNING,
     .sev = {{"dane.mismatch", MAILCERT_WARNING}}},

    /* RFC 7672 §3.1.2: DANE-TA makes trust moot, not the dates or names. */
    {.name = "TA 2 0 1 of an untrusted intermediate", .chain = {OTHER_INTER},
     .tlsa = {{OTHER_INTER, 2, 0, 1}}, .codes = "trust.untrusted dane.match ",
     .about = {"dane.match", 1}, .sev = {{"trust.untrusted", MAILCERT_OK}},
     .msg = {{"dane.match", TA_MATCH}, {"trust.untrusted", TA_MOOT}}},
    {.name = "TA 2 1 1 of the root, sent too", .chain = {OTHER_INTER, OTHER_ROOT},
     .tlsa = {{OTHER_ROOT, 2, 1, 1}}, .about = {"dane.match", 2},
     .sev = {{"trust.untrusted", MAILCERT_OK}}, .msg = {{"dane.match", "2 1 1 (DANE-TA)"}}},
    /*
     * RFC 7671 §5.2.2: a digest matches only a certificate the client has,
     * so unless every DANE-TA record is "2 1 0" the TA must be sent; the
     * match lowers chain.root-included, whose advice would break DANE.
     */
    {.name = "TA 2 0 1 of the root: sending it is needed", .chain = {OTHER_INTER, OTHER_ROOT},
     .tlsa = {{OTHER_ROOT, 2, 0, 1}}, .codes = "trust.untrusted chain.root-included dane.match ",
     .about = {"chain.root-included", 2}, .sev = {{"chain.root-included", MAILCERT_OK}}},
    {.name = "TA, expired leaf", .kind = LEAF_EXPIRED, .chain = {OTHER_INTER},
     .tlsa = {{OTHER_INTER, 2, 0, 1}}, .codes = "cert.expired trust.untrusted dane.match ",
     .state = MAILCERT_CRITICAL,
     .sev = {{"cert.expired", MAILCERT_CRITICAL}, {"trust.untrusted", MAILCERT_OK}},
     .not_moot = "cert.expired"},
    {.name = "TA, wrong name", .kind = LEAF_WRONG_NAME, .chain = {OTHER_INTER},
     .tlsa = {{OTHER_INTER, 2, 0, 1}}, .codes = "trust.untrusted name.mismatch dane.match ",
     .state = MAILCERT_CRITICAL, .sev = {{"name.mismatch", MAILCERT_CRITICAL}}},
    /* A CA certificate in the chain that did not issue it is no trust anchor of it. */
    {.name = "TA of an unrelated CA in the chain", .chain = {INTER, OTHER_ROOT},
     .tlsa = {{OTHER_ROOT, 2, 0, 1}}, .codes = "chain.extra dane.mismatch ",
     .state = MAILCERT_CRITICAL, .sev = {{"dane.mismatch", MAILCERT_CRITICAL}}},
    /* A trust anchor issues: a TA record of the leaf itself matches nothing. */
    {.name = "TA of the leaf", .tlsa = {{LEAF, 2, 0, 1}, {LEAF, 2, 1, 1}},
     .codes = "dane.mismatch ", .state = MAILCERT_CRITICAL,
     .msg = {{"dane.mismatch", "none of the 2 usable TLSA records"}}},

    /* RFC 7672 §3.1.3: SMTP ignores usages 0 and 1... */
    {.name = "PKIX usages on smtp://", .tlsa = {{LEAF, 1, 1, 1}, {INTER, 0, 0, 1}},
     .codes = "dane.unusable ", .state = MAILCERT_WARNING,
     .msg = {{"dane.unusable", "none of the 2 TLSA records given with --tlsa is usable here"},
    	 {"dane.unusable", "usages 0 and 1, which SMTP ignores (RFC 7672 §3.1.3)"}},
     .quotes = {"dane.unusable", "\"", "\""}},
    /* ...elsewhere they count, and need PKIX to pass as well (RFC 6698 §2.1.1). */
    {.name = "PKIX-EE on tls://, trusted chain", .target = TLS, .tlsa = {{LEAF, 1, 0, 1}},
     .codes = "dane.match ", .about = {"dane.match", 0}, .msg = {{"dane.match", "(PKIX-EE)"}}},
    {.name = "PKIX-TA on tls://, trusted chain", .target = TLS, .tlsa = {{INTER, 0, 0, 1}},
     .codes = "dane.match ", .about = {"dane.match", 1}, .msg = {{"dane.match", "(PKIX-TA)"}}},
    {.name = "PKIX-EE on tls://, untrusted chain", .chain = {OTHER_INTER}, .target = TLS,
     .tlsa = {{LEAF, 1, 0, 1}}, .codes = "trust.untrusted dane.mismatch ",
     .state = MAILCERT_CRITICAL, .sev = {{"trust.untrusted", MAILCERT_CRITICAL}}},
    {.name = "PKIX-TA on tls://, untrusted chain", .chain = {OTHER_INTER}, .target = TLS,
     .tlsa = {{OTHER_INTER, 0, 0, 1}}, .codes = "trust.untrusted dane.mismatch ",
     .state = MAILCERT_CRITICAL, .sev = {{"trust.untrusted", MAILCERT_CRITICAL}}},

    /* Unknown parameters, or data of the wrong length for its type: unusable (RFC 7671 §4). */
    {.name = "on tls://, unusable does not blame SMTP", .target = TLS,
     .dns = {.done = 1, .status = MC_DNS_SECURE, .raw = {3, 2, 1, 32}},
     .codes = "dane.unusable ", .state = MAILCERT_WARNING,
     .msg = {{"dane.unusable", "(unknown parameters)"}}},
    UNUSABLE_RAW("selector 2", 3, 2, 1, 32),
    UNUSABLE_RAW("matching type 3", 3, 1, 3, 32),
    UNUSABLE_RAW("usage 4", 4, 1, 1, 32),
    UNUSABLE_RAW("usage 255", 255, 1, 1, 32),
    UNUSABLE_RAW("SHA-256 of 31 bytes", 3, 1, 1, 31),
    UNUSABLE_RAW("SHA-256 of 33 bytes", 3, 1, 1, 33),
    UNUSABLE_RAW("SHA-512 of 32 bytes", 3, 1, 2, 32),
    UNUSABLE_RAW("full data of no bytes", 3, 1, 0, 0),
    /* Records whose data did not parse count in the message, and are not usable. */
    {.name = "malformed records only", .dns = {.done = 1, .status = MC_DNS_SECURE, .malformed = 2},
     .codes = "dane.unusable ", .state = MAILCERT_WARNING,
     .msg = {{"dane.unusable", "none of the 2 TLSA records"}}},

    /* RFC 7672 §2.2: only a validated answer binds senders; a bogus or failed one defers mail. */
    {.name = "lookup bogus", .dns = {.done = 1, .status = MC_DNS_BOGUS, .why = "signature expired",
     .rr = {LEAF, 3, 1, 1}}, .codes = "dane.bogus ", .state = MAILCERT_CRITICAL,
     .sev = {{"dane.bogus", MAILCERT_CRITICAL}}, .msg = {{"dane.bogus", "the TLSA records at "
     "_25._tcp.mail.test fail DNSSEC validation (signature expired)"}}},
    {.name = "lookup failed", .dns = {.done = 1, .status = MC_DNS_FAILED, .why = "SERVFAIL"},
     .codes = "dane.lookup-failed ", .state = MAILCERT_CRITICAL,
     .sev = {{"dane.lookup-failed", MAILCERT_CRITICAL}},
     .msg = {{"dane.lookup-failed", "the TLSA lookup of _25._tcp.mail.test failed (SERVFAIL)"}}},
    {.name = "lookup insecure, with records",
     .dns = {.done = 1, .status = MC_DNS_INSECURE, .rr = {LEAF, 3, 1, 1}},
     .codes = "dane.none ", .sev = {{"dane.none", MAILCERT_OK}}, .msg = {{"dane.none", "no DANE: "
     "_25._tcp.mail.test is not in a DNSSEC-signed zone, so senders ignore its TLSA records"}}},
    {.name = "lookup insecure, no records", .dns = {.done = 1, .status = MC_DNS_INSECURE},
     .codes = "dane.none ", .sev = {{"dane.none", MAILCERT_OK}},
     .msg = {{"dane.none", "is not in a DNSSEC-signed zone"}}},
    {.name = "lookup secure, no records", .dns = {.done = 1, .status = MC_DNS_SECURE},
     .codes = "dane.none ", .sev = {{"dane.none", MAILCERT_OK}},
     .msg = {{"dane.none", "no DANE: DNSSEC proves there is no TLSA record at _25._tcp.mail.test"}}},
    {.name = "lookup secure, a matching record",
     .dns = {.done = 1, .status = MC_DNS_SECURE, .rr = {LEAF, 3, 1, 1}},
     .codes = "dane.match ", .sev = {{"dane.match", MAILCERT_OK}}, .msg = {{"dane.match",
     "the TLSA record 3 1 1 (DANE-EE) at _25._tcp.mail.test matches the leaf"}}},
    {.name = "lookup of an IP address", .dns = {.done = 1, .status = MC_DANE_NO_NAME},
     .codes = "dane.none ", .sev = {{"dane.none", MAILCERT_OK}},
     .msg = {{"dane.none", "no DANE: the target is an IP address, which has no TLSA name"}}},
    {.name = "lookup unchecked",
     .dns = {.done = 1, .status = MC_DANE_UNCHECKED, .why = "no DNSSEC trust anchor"},
     .codes = "dane.unchecked ", .state = MAILCERT_UNKNOWN,
     .sev = {{"dane.unchecked", MAILCERT_UNKNOWN}},
     .msg = {{"dane.unchecked", "DANE could not be checked: no DNSSEC trust anchor"}}},

    /* Records given with --tlsa are judged instead of those DNS returned... */
    {.name = "--tlsa wins over a bogus lookup", .tlsa = {{LEAF, 3, 1, 1}},
     .dns = {.done = 1, .status = MC_DNS_BOGUS, .why = "signature expired"},
     .codes = "dane.match ", .msg = {{"dane.match", "given with --tlsa"}}},
    /* ...so dane.unusable counts them alone, not the lookup's malformed ones. */
    {.name = "--tlsa unusable, beside malformed DNS records", .tlsa = {{LEAF, 1, 1, 1}},
     .dns = {.done = 1, .status = MC_DNS_SECURE, .malformed = 2},
     .codes = "dane.unusable ", .state = MAILCERT_WARNING,
     .msg = {{"dane.unusable", "none of the 1 TLSA records given with --tlsa is usable here"}}},
    /* clang-format on */
};

/* A leaf for mail.test issued by @issuer, spoilt as @kind says. */
static void make_leaf(struct mc_fixture_cert *c, enum leaf_kind kind,
		      const struct mc_fixture_cert *issuer)
{
	static const char *const good[] = {HOST, NULL}, *const wrong[] = {"other.test", NULL};
	const struct mc_fixture_cert_spec spec = {
	    .cn = kind == LEAF_WRONG_NAME ? "other.test" : HOST,
	    .dns = kind == LEAF_WRONG_NAME ? wrong : good,
	    .issuer = kind == LEAF_SELF_SIGNED ? NULL : issuer,
	    .not_before = NOW - (kind == LEAF_EXPIRED ? 100 : 10) * DAY,
	    .not_after = kind == LEAF_EXPIRED ? NOW - DAY : NOW + 80 * DAY};

	ev_make(c, &spec);
}

/* The lookup of _25._tcp.mail.test that a check's TLSA stage would record in @ev. */
static void record_lookup(struct mc_evidence *ev, const struct dane_case *c,
			  const struct mc_fixture_cert *const *who)
{
	struct mc_dane_lookup *l = &ev->dane;
	char rec[RECORD_MAX], err[256];

	l->done = 1;
	l->status = c->dns.status;
	snprintf(l->name, sizeof(l->name), "_25._tcp.%s", HOST);
	snprintf(l->why, sizeof(l->why), "%s", c->dns.why ? c->dns.why : "");
	l->malformed = c->dns.malformed;
	if (c->dns.rr.of) {
		record(rec, who[c->dns.rr.of], c->dns.rr.usage, c->dns.rr.selector,
		       c->dns.rr.mtype);
		ck_assert_msg(mc_tlsa_parse_text(&l->rr[l->n++], rec, err, sizeof(err)) == 0, "%s",
			      err);
	}
	if (c->dns.raw.usage) {
		struct mc_tlsa *t = &l->rr[l->n++];

		*t = (struct mc_tlsa){.usage = c->dns.raw.usage,
				      .selector = c->dns.raw.selector,
				      .mtype = c->dns.raw.mtype,
				      .data = malloc(c->dns.raw.len),
				      .len = c->dns.raw.len};
		ck_assert_ptr_nonnull(t->data);
		memset(t->data, 0xab, t->len);
	}
}

START_TEST(test_dane)
{
	const struct dane_case *c = &dane_cases[_i];
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *who[] = {NULL, &leaf, &ev_inter, &other_inter, &other_root};
	const struct mc_fixture_cert *chain[3] = {&leaf, who[c->chain[0] ? c->chain[0] : INTER],
						  who[c->chain[1]]};
	size_t n = c->kind == LEAF_SELF_SIGNED ? 1 : c->chain[1] ? 3 : 2;
	char rec[RECORD_MAX], mine[RECORD_MAX], want[RECORD_MAX + 256], err[256];
	mailcert_policy *p = ev_policy();
	mailcert_observation *obs;
	struct mc_evidence *ev;
	const mailcert_finding *f;
	mailcert_report *r;
	const char *msg;

	make_leaf(&leaf, c->kind, chain[1]);
	record(mine, &leaf, 3, 1, 1);
	for (int i = 0; i < N(c->tlsa) && c->tlsa[i].of; i++) {
		const struct tlsa *t = &c->tlsa[i];

		record(rec, who[t->of], t->usage, t->selector, t->mtype);
		ck_assert_msg(mailcert_policy_add_tlsa(p, rec, err, sizeof(err)) == 0, "%s: %s",
			      rec, err);
	}
	if (c->lowered)
		ck_assert_int_eq(mailcert_policy_set_severity(p, c->lowered, MAILCERT_WARNING), 0);
	obs = ev_observe(c->target ? c->target : "smtp://" HOST ":25", HOST, chain, n);
	ev = mc_evidence_new();
	ck_assert_ptr_nonnull(ev);
	if (c->dns.done)
		record_lookup(ev, c, who);
	r = evaluate_with(obs, ev, p);

	if (c->codes)
		assert_codes(c->name, r, c->codes, c->state);
	if (c->about.code) {
		f = finding(r, c->about.code);
		ck_assert_msg(f && mailcert_finding_cert(f) == c->about.cert,
			      "%s: %s is about certificate %d, want %d", c->name, c->about.code,
			      f ? mailcert_finding_cert(f) : -2, c->about.cert);
	}
	for (int i = 0; i < N(c->sev) && c->sev[i].code; i++) {
		f = finding(r, c->sev[i].code);
		ck_assert_msg(f && mailcert_finding_severity(f) == c->sev[i].state,
			      "%s: %s is %s, want %s", c->name, c->sev[i].code,
			      f ? mailcert_state_name(mailcert_finding_severity(f)) : "absent",
			      mailcert_state_name(c->sev[i].state));
	}
	for (int i = 0; i < N(c->msg) && c->msg[i].code; i++) {
		msg = ev_message(r, c->msg[i].code);
		ck_assert_msg(msg && strstr(msg, c->msg[i].part),
			      "%s: %s says \"%s\"\n  not \"%s\"", c->name, c->msg[i].code,
			      msg ? msg : "(absent)", c->msg[i].part);
	}
	if (c->quotes.code) {
		snprintf(want, sizeof(want), "%s%s%s", c->quotes.before, mine, c->quotes.after);
		msg = ev_message(r, c->quotes.code);
		ck_assert_msg(msg && strstr(msg, want), "%s: %s says \"%s\"\n  not \"%s\"", c->name,
			      c->quotes.code, msg ? msg : "(absent)", want);
	}
	if (c->not_moot) {
		msg = ev_message(r, c->not_moot);
		ck_assert_msg(msg && !strstr(msg, MOOT), "%s: %s says \"%s\"", c->name, c->not_moot,
			      msg ? msg : "(absent)");
	}
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

/* A failure before any certificate: no DANE judgement either. */
START_TEST(test_no_chain)
{
	char rec[RECORD_MAX], err[256];
	mailcert_observation *obs = ev_observe("smtp://" HOST ":25", HOST, NULL, 0);
	mailcert_policy *p = ev_policy();
	mailcert_report *r;

	record(rec, &ev_inter, 3, 1, 1);
	ck_assert_int_eq(mailcert_policy_add_tlsa(p, rec, err, sizeof(err)), 0);
	mc_observation_fail(obs, "tcp.refused", "connection refused");
	r = evaluate(obs, p);
	assert_codes("no chain", r, "tcp.refused ", MAILCERT_CRITICAL);
	mailcert_report_free(r);
	mailcert_policy_free(p);
}
END_TEST

/* ---- the policy setters ---------------------------------------------- */

START_TEST(test_policy_setters)
{
	mailcert_policy *p;
	char err[256], rec[RECORD_MAX];

	ck_assert_int_eq(mailcert_policy_new(&p), 0);
	record(rec, &ev_inter, 3, 1, 1);
	ck_assert_int_eq(mailcert_policy_add_tlsa(NULL, rec, err, sizeof(err)), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_tlsa(p, NULL, err, sizeof(err)), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_tlsa(p, "3 1 1 00", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_str_eq(err, "matching type 1 needs 32 bytes (SHA-256) of data, not 1 bytes");
	for (int i = 0; i < MC_MAX_TLSA; i++)
		ck_assert_int_eq(mailcert_policy_add_tlsa(p, rec, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_add_tlsa(p, rec, err, sizeof(err)), MAILCERT_E_INVALID);
	ck_assert_str_eq(err, "at most 16 TLSA records");

	ck_assert_int_eq(mailcert_policy_set_dane(NULL, 1), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_set_dane(p, 1), 0);

	ck_assert_int_eq(mailcert_policy_set_resolver(p, "127.0.0.1:5353", err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_set_resolver(p, "[::1]:53", err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_set_resolver(p, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_set_resolver(p, "ns.example", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_str_eq(err, "\"ns.example\" is not an IP address with an optional port "
			      "(127.0.0.1, 127.0.0.1:5353, [::1]:53)");
	ck_assert_int_eq(mailcert_policy_set_resolver(NULL, "127.0.0.1", err, sizeof(err)),
			 MAILCERT_E_INVALID);

	ck_assert_int_eq(mailcert_policy_set_trust_anchor(p, ev_ca_path, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_set_trust_anchor(p, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(
	    mailcert_policy_set_trust_anchor(p, "/nonexistent/anchor.key", err, sizeof(err)),
	    MAILCERT_E_IO);
	ck_assert_str_eq(err, "cannot read the trust anchor file \"/nonexistent/anchor.key\": No "
			      "such file or directory");
	ck_assert_int_eq(mailcert_policy_set_trust_anchor(NULL, NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	mailcert_policy_free(p);
}
END_TEST

/* ---- rollovers: checks/dane_next.c, model/tlsakey.c -------------------- */

/*
 * The next renewal's key: an ECDSA leaf (next_ec), an RSA one (next_rsa),
 * and the intermediate it will chain to (other_inter). Each case publishes
 * records (--tlsa, or a lookup's answer) for the served chain (leaf ←
 * ev_inter) and some of these, and names next keys and issuers as files.
 */
static struct mc_fixture_cert next_ec, next_rsa;

enum next_who { N_NONE, N_LEAF, N_INTER, N_NEXT_EC, N_NEXT_RSA, N_OTHER_INTER, N_OTHER_ROOT };
/* How a next key is given: its certificate, its private key, or a chain file with its issuer. */
enum next_form { F_CERT, F_KEY, F_CHAIN };

static const struct next_case {
	const char *name;
	struct {
		enum next_who of;
		unsigned char usage, selector, mtype;
	} tlsa[3];
	struct {
		int done, status; /* the records are a lookup's, with this outcome; else --tlsa */
	} dns;
	const char *key_type;        /* the handshake offered only this key type (--all-keys) */
	enum next_who keys[2];       /* --next-key files */
	enum next_form form;
	enum next_who issuers[2];    /* --next-issuer files */
	const char *codes;
	mailcert_state state;
	struct {
		enum next_who of;
		unsigned usage;
	} want[2]; /* the records dane.next-key-missing asks for, in order */
} next_cases[] = {
    /* clang-format off */
    {.name = "next key published beside the current one",
     .tlsa = {{N_LEAF, 3, 1, 1}, {N_NEXT_EC, 3, 1, 1}}, .keys = {N_NEXT_EC},
     .codes = "dane.match "},
    {.name = "next key missing", .tlsa = {{N_LEAF, 3, 1, 1}}, .keys = {N_NEXT_EC},
     .codes = "dane.match dane.next-key-missing ", .state = MAILCERT_WARNING,
     .want = {{N_NEXT_EC, 3}}},
    {.name = "next key given as its private key", .tlsa = {{N_LEAF, 3, 1, 1}, {N_NEXT_EC, 3, 1, 1}},
     .keys = {N_NEXT_EC}, .form = F_KEY, .codes = "dane.match "},
    {.name = "private key, missing", .tlsa = {{N_LEAF, 3, 1, 1}}, .keys = {N_NEXT_EC},
     .form = F_KEY, .codes = "dane.match dane.next-key-missing ", .state = MAILCERT_WARNING,
     .want = {{N_NEXT_EC, 3}}},
    /* A record of the whole next certificate names it, and SHA-512 counts too. */
    {.name = "next certificate named by 3 0 1", .tlsa = {{N_LEAF, 3, 1, 1}, {N_NEXT_EC, 3, 0, 1}},
     .keys = {N_NEXT_EC}, .codes = "dane.match "},
    {.name = "next key named by 3 1 2", .tlsa = {{N_LEAF, 3, 1, 1}, {N_NEXT_EC, 3, 1, 2}},
     .keys = {N_NEXT_EC}, .form = F_KEY, .codes = "dane.match "},
    /* A bare key has no certificate for a 3 0 x record to name. */
    {.name = "a bare key is not named by 3 0 1", .tlsa = {{N_LEAF, 3, 1, 1}, {N_NEXT_EC, 3, 0, 1}},
     .keys = {N_NEXT_EC}, .form = F_KEY, .codes = "dane.match dane.next-key-missing ",
     .state = MAILCERT_WARNING, .want = {{N_NEXT_EC, 3}}},
    /* A DANE-TA record of the next key is no DANE-EE record of it. */
    {.name = "next key only in a 2 1 1 record", .tlsa = {{N_LEAF, 3, 1, 1}, {N_NEXT_EC, 2, 1, 1}},
     .keys = {N_NEXT_EC}, .codes = "dane.match dane.next-key-missing ", .state = MAILCERT_WARNING},
    /* Key reuse (certbot --reuse-key): the current record already names it. */
    {.name = "the next key is the current one", .tlsa = {{N_LEAF, 3, 1, 1}}, .keys = {N_LEAF},
     .codes = "dane.match "},
    {.name = "two next keys, one missing",
     .tlsa = {{N_LEAF, 3, 1, 1}, {N_NEXT_EC, 3, 1, 1}}, .keys = {N_NEXT_EC, N_NEXT_RSA},
     .codes = "dane.match dane.next-key-missing ", .state = MAILCERT_WARNING,
     .want = {{N_NEXT_RSA, 3}}},
    /* The current key unpublished and the next too: both records are asked for. */
    {.name = "mismatch, next key missing too", .tlsa = {{N_OTHER_INTER, 3, 1, 1}},
     .keys = {N_NEXT_EC}, .codes = "dane.mismatch dane.next-key-missing ",
     .state = MAILCERT_CRITICAL, .want = {{N_NEXT_EC, 3}}},
    {.name = "mismatch, next key published", .tlsa = {{N_NEXT_EC, 3, 1, 1}},
     .keys = {N_NEXT_EC}, .codes = "dane.mismatch ", .state = MAILCERT_CRITICAL},
    /* Records from DNS are judged the same way. */
    {.name = "lookup: next key missing", .tlsa = {{N_LEAF, 3, 1, 1}}, .dns = {1, MC_DNS_SECURE},
     .keys = {N_NEXT_EC}, .codes = "dane.match dane.next-key-missing ",
     .state = MAILCERT_WARNING, .want = {{N_NEXT_EC, 3}}},
    /* Nothing to judge: no finding beyond the one that says why. */
    {.name = "lookup insecure", .tlsa = {{N_LEAF, 3, 1, 1}}, .dns = {1, MC_DNS_INSECURE},
     .keys = {N_NEXT_EC}, .issuers = {N_OTHER_INTER}, .codes = "dane.none "},
    {.name = "lookup: no records", .dns = {1, MC_DNS_SECURE}, .keys = {N_NEXT_EC},
     .codes = "dane.none "},
    {.name = "lookup failed", .dns = {1, MC_DNS_FAILED}, .keys = {N_NEXT_EC},
     .codes = "dane.lookup-failed ", .state = MAILCERT_CRITICAL},
    {.name = "lookup bogus", .tlsa = {{N_LEAF, 3, 1, 1}}, .dns = {1, MC_DNS_BOGUS},
     .keys = {N_NEXT_EC}, .codes = "dane.bogus ", .state = MAILCERT_CRITICAL},
    {.name = "no usable record", .tlsa = {{N_LEAF, 1, 1, 1}}, .keys = {N_NEXT_EC},
     .codes = "dane.unusable ", .state = MAILCERT_WARNING},
    {.name = "no DANE at all", .keys = {N_NEXT_EC}, .issuers = {N_OTHER_INTER}, .codes = ""},
    /* --all-keys: an RSA next key is the RSA report's, not the ECDSA one's. */
    {.name = "ECDSA report, RSA next key", .tlsa = {{N_LEAF, 3, 1, 1}}, .key_type = "ECDSA",
     .keys = {N_NEXT_RSA}, .codes = "dane.match "},
    {.name = "ECDSA report, ECDSA next key", .tlsa = {{N_LEAF, 3, 1, 1}}, .key_type = "ECDSA",
     .keys = {N_NEXT_RSA, N_NEXT_EC}, .codes = "dane.match dane.next-key-missing ",
     .state = MAILCERT_WARNING, .want = {{N_NEXT_EC, 3}}},
    {.name = "RSA report, RSA next key", .tlsa = {{N_LEAF, 3, 1, 1}}, .key_type = "RSA",
     .keys = {N_NEXT_RSA, N_NEXT_EC}, .codes = "dane.match dane.next-key-missing ",
     .state = MAILCERT_WARNING, .want = {{N_NEXT_RSA, 3}}},
    /* DANE-TA: the next issuer needs a 2 x x record of its own. */
    {.name = "next issuer published", .tlsa = {{N_INTER, 2, 0, 1}, {N_OTHER_INTER, 2, 1, 1}},
     .issuers = {N_OTHER_INTER}, .codes = "dane.match "},
    {.name = "next issuer named by its certificate", .tlsa = {{N_INTER, 2, 0, 1},
     {N_OTHER_INTER, 2, 0, 2}}, .issuers = {N_OTHER_INTER}, .codes = "dane.match "},
    {.name = "next issuer missing", .tlsa = {{N_INTER, 2, 0, 1}}, .issuers = {N_OTHER_INTER},
     .codes = "dane.match dane.next-key-missing ", .state = MAILCERT_WARNING,
     .want = {{N_OTHER_INTER, 2}}},
    /* A 3 1 1 of the issuer's key is no trust anchor record. */
    {.name = "next issuer only in a 3 1 1 record", .tlsa = {{N_INTER, 2, 0, 1},
     {N_OTHER_INTER, 3, 1, 1}}, .issuers = {N_OTHER_INTER},
     .codes = "dane.match dane.next-key-missing ", .state = MAILCERT_WARNING,
     .want = {{N_OTHER_INTER, 2}}},
    {.name = "3 1 1 + 2 1 1, next key and issuer both missing",
     .tlsa = {{N_LEAF, 3, 1, 1}, {N_INTER, 2, 1, 1}}, .keys = {N_NEXT_EC},
     .issuers = {N_OTHER_INTER, N_INTER}, .codes = "dane.match dane.next-key-missing "
     "dane.next-key-missing ", .state = MAILCERT_WARNING,
     .want = {{N_NEXT_EC, 3}, {N_OTHER_INTER, 2}}},
    /* clang-format on */
};

static void next_pki_setup(void)
{
	static const char *const dns[] = {HOST, NULL};

	pki_setup();
	ev_make(&next_ec, &(struct mc_fixture_cert_spec){.cn = HOST, .dns = dns,
							 .issuer = &other_inter,
							 .not_before = NOW - DAY,
							 .not_after = NOW + 90 * DAY});
	ev_make(&next_rsa, &(struct mc_fixture_cert_spec){.cn = HOST, .dns = dns,
							  .issuer = &other_inter,
							  .pk = GNUTLS_PK_RSA, .bits = 2048,
							  .not_before = NOW - DAY,
							  .not_after = NOW + 90 * DAY});
}

static void next_pki_teardown(void)
{
	mc_fixture_cert_clear(&next_rsa);
	mc_fixture_cert_clear(&next_ec);
	pki_teardown();
}

#define TMP_TEMPLATE "/tmp/mailcert-test-dane-XXXXXX"

/* A new temporary file holding @c as @form says (F_CHAIN: followed by @issuer), PEM; its path. */
static void write_pem(char path[sizeof(TMP_TEMPLATE)], const struct mc_fixture_cert *c,
		      enum next_form form, const struct mc_fixture_cert *issuer)
{
	gnutls_datum_t d;
	FILE *f;
	int fd;

	memcpy(path, TMP_TEMPLATE, sizeof(TMP_TEMPLATE));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	if (form == F_KEY)
		ck_assert_int_eq(gnutls_x509_privkey_export2(c->key, GNUTLS_X509_FMT_PEM, &d), 0);
	else
		ck_assert_int_eq(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &d), 0);
	ck_assert_uint_eq(fwrite(d.data, 1, d.size, f), d.size);
	gnutls_free(d.data);
	if (form == F_CHAIN) {
		ck_assert_int_eq(gnutls_x509_crt_export2(issuer->crt, GNUTLS_X509_FMT_PEM, &d), 0);
		ck_assert_uint_eq(fwrite(d.data, 1, d.size, f), d.size);
		gnutls_free(d.data);
	}
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_next)
{
	const struct next_case *c = &next_cases[_i];
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *who[] = {NULL,      &leaf,       &ev_inter,  &next_ec,
					       &next_rsa, &other_inter, &other_root};
	const struct mc_fixture_cert *chain[2] = {&leaf, &ev_inter};
	char rec[RECORD_MAX], err[512], path[sizeof(TMP_TEMPLATE)];
	mailcert_policy *p = ev_policy();
	mailcert_observation *obs;
	struct mc_evidence *ev = mc_evidence_new();
	mailcert_report *r;
	size_t found = 0;

	ck_assert_ptr_nonnull(ev);
	make_leaf(&leaf, LEAF_GOOD, &ev_inter);
	if (c->dns.done) {
		ev->dane.done = 1;
		ev->dane.status = c->dns.status;
		snprintf(ev->dane.name, sizeof(ev->dane.name), "_25._tcp.%s", HOST);
		snprintf(ev->dane.why, sizeof(ev->dane.why), "SERVFAIL");
	}
	for (int i = 0; i < N(c->tlsa) && c->tlsa[i].of; i++) {
		record(rec, who[c->tlsa[i].of], c->tlsa[i].usage, c->tlsa[i].selector,
		       c->tlsa[i].mtype);
		if (c->dns.done)
			ck_assert_int_eq(
			    mc_tlsa_parse_text(&ev->dane.rr[ev->dane.n++], rec, err, sizeof(err)),
			    0);
		else
			ck_assert_int_eq(mailcert_policy_add_tlsa(p, rec, err, sizeof(err)), 0);
	}
	for (int i = 0; i < N(c->keys) && c->keys[i]; i++) {
		write_pem(path, who[c->keys[i]], c->form, &other_inter);
		ck_assert_msg(mailcert_policy_add_next_key(p, path, err, sizeof(err)) == 0, "%s",
			      err);
		unlink(path); /* read by the setter: the evaluation reads no file */
	}
	for (int i = 0; i < N(c->issuers) && c->issuers[i]; i++) {
		write_pem(path, who[c->issuers[i]], F_CERT, NULL);
		ck_assert_msg(mailcert_policy_add_next_issuer(p, path, err, sizeof(err)) == 0,
			      "%s", err);
		unlink(path);
	}
	obs = ev_observe("smtp://" HOST ":25", HOST, chain, 2);
	obs->key_type = c->key_type;
	r = evaluate_with(obs, ev, p);
	assert_codes(c->name, r, c->codes, c->state);

	/* Each missing key's message gives its record, computed here independently. */
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);
		char want[RECORD_MAX + 16];

		if (strcmp(mailcert_finding_code(f), "dane.next-key-missing") != 0)
			continue;
		ck_assert_int_eq(mailcert_finding_severity(f), MAILCERT_WARNING);
		ck_assert_int_eq(mailcert_finding_cert(f), -1);
		if (found < (size_t)N(c->want) && c->want[found].of) {
			record(rec, who[c->want[found].of], c->want[found].usage, 1, 1);
			snprintf(want, sizeof(want), "publish \"%s\"", rec);
			ck_assert_msg(strstr(mailcert_finding_message(f), want),
				      "%s: \"%s\"\n  does not contain %s", c->name,
				      mailcert_finding_message(f), want);
		}
		found++;
	}
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

/* The message in full: where the records come from, which key, what to publish and why. */
START_TEST(test_next_messages)
{
	struct mc_fixture_cert leaf;
	const struct mc_fixture_cert *chain[2] = {&leaf, &ev_inter};
	char rec[RECORD_MAX], key311[RECORD_MAX], ta211[RECORD_MAX], err[512];
	char key_path[sizeof(TMP_TEMPLATE)], ca_path[sizeof(TMP_TEMPLATE)], want[2 * RECORD_MAX];
	mailcert_policy *p = ev_policy();
	mailcert_report *r;

	make_leaf(&leaf, LEAF_GOOD, &ev_inter);
	record(rec, &leaf, 3, 1, 1);
	ck_assert_int_eq(mailcert_policy_add_tlsa(p, rec, err, sizeof(err)), 0);
	write_pem(key_path, &next_rsa, F_KEY, NULL);
	write_pem(ca_path, &other_inter, F_CERT, NULL);
	ck_assert_int_eq(mailcert_policy_add_next_key(p, key_path, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_add_next_issuer(p, ca_path, err, sizeof(err)), 0);
	r = evaluate(ev_observe("smtp://" HOST ":25", HOST, chain, 2), p);
	record(key311, &next_rsa, 3, 1, 1);
	record(ta211, &other_inter, 2, 1, 1);
	snprintf(want, sizeof(want),
		 "no TLSA record given with --tlsa names the next key (RSA-2048, from \"%s\"): "
		 "publish \"%s\" beside the current records now, and deploy the renewal only "
		 "once the old RRset's TTL has passed, or DANE senders will refuse the server "
		 "after it",
		 key_path, key311);
	ck_assert_str_eq(mailcert_finding_message(mailcert_report_finding(r, 1)), want);
	snprintf(want, sizeof(want),
		 "no DANE-TA record given with --tlsa names the next issuer (CN=Other "
		 "Intermediate, the certificate of \"%s\"): publish \"%s\" beside the current "
		 "records before the renewal chains to it, or DANE senders will refuse the "
		 "server after it",
		 ca_path, ta211);
	ck_assert_str_eq(mailcert_finding_message(mailcert_report_finding(r, 2)), want);
	unlink(key_path);
	unlink(ca_path);
	mailcert_report_free(r);
	mailcert_policy_free(p);
	mc_fixture_cert_clear(&leaf);
}
END_TEST

START_TEST(test_next_setters)
{
	char err[512], path[sizeof(TMP_TEMPLATE)];
	mailcert_policy *p = ev_policy();
	FILE *f;

	ck_assert_int_eq(mailcert_policy_add_next_key(NULL, "x", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_next_key(p, NULL, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_next_issuer(NULL, "x", err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_add_next_key(p, "/nonexistent/next.pem", err, sizeof(err)),
			 MAILCERT_E_IO);
	ck_assert_str_eq(err, "cannot read the next key file \"/nonexistent/next.pem\": No such "
			      "file or directory");
	memcpy(path, TMP_TEMPLATE, sizeof(TMP_TEMPLATE));
	f = fdopen(mkstemp(path), "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a key\n", f);
	fclose(f);
	ck_assert_int_eq(mailcert_policy_add_next_issuer(p, path, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_contains(err, "the next issuer file \"");
	ck_assert_contains(err, "\" holds neither a certificate nor a key");
	unlink(path);

	write_pem(path, &next_ec, F_KEY, NULL);
	for (int i = 0; i < MC_MAX_NEXT_KEYS; i++)
		ck_assert_int_eq(mailcert_policy_add_next_key(p, path, err, sizeof(err)), 0);
	ck_assert_int_eq(mailcert_policy_add_next_key(p, path, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_str_eq(err, "at most 8 next key files");
	unlink(path);
	mailcert_policy_free(p);
}
END_TEST

/* mailcert_tlsa_for_file(): the records of a chain, a leaf alone, a key. */
START_TEST(test_tlsa_for_file)
{
	char path[sizeof(TMP_TEMPLATE)], ee[RECORD_MAX], ta[RECORD_MAX], want[2 * RECORD_MAX + 2];
	char err[512], *out = NULL;

	record(ee, &next_rsa, 3, 1, 1);
	record(ta, &other_inter, 2, 1, 1);
	write_pem(path, &next_rsa, F_CHAIN, &other_inter);
	ck_assert_int_eq(mailcert_tlsa_for_file(&out, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s\n%s\n", ee, ta);
	ck_assert_str_eq(out, want);
	free(out);
	unlink(path);

	/* A certificate that is not the leaf's issuer gives no 2 1 1. */
	write_pem(path, &next_rsa, F_CHAIN, &ev_inter);
	ck_assert_int_eq(mailcert_tlsa_for_file(&out, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s\n", ee);
	ck_assert_str_eq(out, want);
	free(out);
	unlink(path);

	for (enum next_form form = F_CERT; form <= F_KEY; form++) {
		write_pem(path, &next_rsa, form, NULL);
		ck_assert_int_eq(mailcert_tlsa_for_file(&out, path, err, sizeof(err)), 0);
		ck_assert_str_eq(out, want);
		free(out);
		unlink(path);
	}

	ck_assert_int_eq(mailcert_tlsa_for_file(NULL, path, err, sizeof(err)), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_tlsa_for_file(&out, NULL, err, sizeof(err)), MAILCERT_E_INVALID);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(mailcert_tlsa_for_file(&out, path, err, sizeof(err)), MAILCERT_E_IO);
	ck_assert_ptr_null(out);
}
END_TEST

/* ---- mc_tlsa_parse_text / _rdata ------------------------------------ */

#define SHA256_HEX "0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"

static const struct text_good {
	const char *text;
	unsigned usage, selector, mtype;
	size_t len;
	unsigned char first, last;
} text_good[] = {
    {"3 1 1 " SHA256_HEX, 3, 1, 1, 32, 0x0c, 0xd6},
    {"3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6", 3, 1, 1, 32, 0x0c,
     0xd6},
    {"2 0 1 0c72ac70 b745ac19 998811b1 31d662c9\tac69dbdb e7cb23e5 b514b566 64c5d3d6", 2, 0, 1, 32,
     0x0c, 0xd6},
    {"  3\t1  1   " SHA256_HEX "  ", 3, 1, 1, 32, 0x0c, 0xd6},
    {"3 0 0 3082", 3, 0, 0, 2, 0x30, 0x82},
    {"3 1 2 " SHA256_HEX SHA256_HEX, 3, 1, 2, 64, 0x0c, 0xd6},
    /* Unknown parameters parse; the check calls them unusable. */
    {"4 2 3 ab", 4, 2, 3, 1, 0xab, 0xab},
    {"255 255 255 ab", 255, 255, 255, 1, 0xab, 0xab},
};

START_TEST(test_parse_text_good)
{
	const struct text_good *c = &text_good[_i];
	struct mc_tlsa t;
	char err[256] = "";

	ck_assert_msg(mc_tlsa_parse_text(&t, c->text, err, sizeof(err)) == 0, "%s: %s", c->text,
		      err);
	ck_assert_uint_eq(t.usage, c->usage);
	ck_assert_uint_eq(t.selector, c->selector);
	ck_assert_uint_eq(t.mtype, c->mtype);
	ck_assert_uint_eq(t.len, c->len);
	ck_assert_uint_eq(t.data[0], c->first);
	ck_assert_uint_eq(t.data[t.len - 1], c->last);
	free(t.data);
}
END_TEST

#define SYNTAX "a TLSA record is \"USAGE SELECTOR MTYPE HEX\", e.g. \"3 1 1 0c72ac70…\""

static const struct text_bad {
	const char *text;
	const char *err; /* exact, or NULL: any */
} text_bad[] = {
    {"", SYNTAX},
    {"3", SYNTAX},
    {"3 1", SYNTAX},
    {"3 1 1", SYNTAX},
    {"3 1 1" SHA256_HEX, NULL},
    {"256 1 1 " SHA256_HEX, SYNTAX},
    {"3 1 256 " SHA256_HEX, SYNTAX},
    {"-1 1 1 " SHA256_HEX, SYNTAX},
    {"x 1 1 " SHA256_HEX, SYNTAX},
    {"3,1,1 " SHA256_HEX, SYNTAX},
    {"3 1 1 abc", "the TLSA data has an odd number of hex digits"},
    {"3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3dz",
     "the TLSA data is not hexadecimal"},
    {"3 1 1 0x0c72", "the TLSA data is not hexadecimal"},
    {"3 1 1 " SHA256_HEX "\n", "the TLSA data is not hexadecimal"},
    {"3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3",
     "matching type 1 needs 32 bytes (SHA-256) of data, not 31 bytes"},
    {"3 1 2 " SHA256_HEX, "matching type 2 needs 64 bytes (SHA-512) of data, not 32 bytes"},
    {"3 1 0 ", "matching type 0 needs some bytes of data, not 0 bytes"},
    {"3 1 1 ", NULL},
};

START_TEST(test_parse_text_bad)
{
	const struct text_bad *c = &text_bad[_i];
	struct mc_tlsa t;
	char err[256] = "";

	ck_assert_msg(mc_tlsa_parse_text(&t, c->text, err, sizeof(err)) == -1, "\"%s\" parsed",
		      c->text);
	ck_assert_ptr_null(t.data);
	ck_assert_msg(err[0], "\"%s\": no reason", c->text);
	if (c->err)
		ck_assert_str_eq(err, c->err);
}
END_TEST

/* Data beyond MC_TLSA_DATA_MAX bytes is refused, not truncated. */
START_TEST(test_parse_text_too_long)
{
	size_t digits = 2 * MC_TLSA_DATA_MAX + 2;
	char *text = malloc(digits + 7), err[256] = "";
	struct mc_tlsa t;

	ck_assert_ptr_nonnull(text);
	memcpy(text, "3 0 0 ", 6);
	memset(text + 6, 'a', digits);
	text[6 + digits] = '\0';
	ck_assert_int_eq(mc_tlsa_parse_text(&t, text, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the TLSA data is too long");
	text[6 + digits - 2] = '\0'; /* exactly MC_TLSA_DATA_MAX bytes */
	ck_assert_int_eq(mc_tlsa_parse_text(&t, text, err, sizeof(err)), 0);
	ck_assert_uint_eq(t.len, MC_TLSA_DATA_MAX);
	free(t.data);
	free(text);
}
END_TEST

START_TEST(test_parse_rdata)
{
	static const unsigned char ok[] = {3, 1, 1, 0xde, 0xad};
	struct mc_tlsa t;

	ck_assert_int_eq(mc_tlsa_parse_rdata(&t, ok, sizeof(ok)), 0);
	ck_assert_uint_eq(t.usage, 3);
	ck_assert_uint_eq(t.selector, 1);
	ck_assert_uint_eq(t.mtype, 1);
	ck_assert_uint_eq(t.len, 2);
	ck_assert_uint_eq(t.data[0], 0xde);
	ck_assert_uint_eq(t.data[1], 0xad);
	free(t.data);
	/* No association data: malformed. */
	ck_assert_int_eq(mc_tlsa_parse_rdata(&t, ok, 3), -1);
	ck_assert_ptr_null(t.data);
	ck_assert_int_eq(mc_tlsa_parse_rdata(&t, ok, 0), -1);
}
END_TEST

/* ---- mc_dns_server_parse --------------------------------------------- */

static const struct server_case {
	const char *in, *out; /* out NULL: refused */
	size_t size;          /* of the output; 0: 80 */
} server_cases[] = {
    {"127.0.0.1", "127.0.0.1@53"},
    {"127.0.0.1:5353", "127.0.0.1@5353"},
    {"192.0.2.1:65535", "192.0.2.1@65535"},
    {"[::1]:53", "::1@53"},
    {"[2001:db8::1]:5353", "2001:db8::1@5353"},
    {"[::1]", "::1@53"},
    {"::1", "::1@53"},
    {"2001:db8::53", "2001:db8::53@53"},
    {"", NULL},
    {"host", NULL},
    {"ns.example:53", NULL},
    {"1.2.3.4:0", NULL},
    {"1.2.3.4:70000", NULL},
    {"1.2.3.4:", NULL},
    {"1.2.3.4:-53", NULL},
    {"1.2.3.4:+53", NULL},
    {"1.2.3.4:53x", NULL},
    {"1.2.3", NULL},
    {"1.2.3.4.5", NULL},
    {"[::1", NULL},
    {"[::1]x", NULL},
    {"[::1]:", NULL},
    {"[]:53", NULL},
    {"::1]:53", NULL},
    {"[host]:53", NULL},
    {"1.2.3.4 ", NULL},
    /* A bounded output: too small is a refusal, not a cut address. */
    {"127.0.0.1", NULL, 12},
    {"10.0.0.1", "10.0.0.1@53", 12},
};

START_TEST(test_server_parse)
{
	const struct server_case *c = &server_cases[_i];
	char out[80];
	int rc = mc_dns_server_parse(c->in, out, c->size ? c->size : sizeof(out));

	if (!c->out) {
		ck_assert_msg(rc == -1, "\"%s\" accepted as \"%s\"", c->in, out);
		return;
	}
	ck_assert_msg(rc == 0, "\"%s\" refused", c->in);
	ck_assert_str_eq(out, c->out);
}
END_TEST

/* ---- dnsrr.c ------------------------------------------------------- */

#define R(s) (const unsigned char *)(s), sizeof(s) - 1

static const struct name_case {
	const char *name;
	const unsigned char *rdata;
	size_t len;
	const char *out; /* NULL: refused */
	size_t off, end; /* where the name starts, and ends (0: at len) */
} name_cases[] = {
    {"three labels", R("\004mail\007example\003com\000"), "mail.example.com"},
    {"upper case folded", R("\004MAIL\007ExAmPlE\003COM\000"), "mail.example.com"},
    {"digits, hyphen, underscore", R("\004_25_\004_tcp\005a-b-9\000"), "_25_._tcp.a-b-9"},
    {"the root", R("\000"), ""},
    {"at an offset, more data after", R("\x00\x0a\x02mx\x04test\x00\xff\xff"), "mx.test", 2, 11},
    /* RFC 1035 §4.1.4: compression has no place in RDATA taken alone. */
    {"a compression pointer", R("\004mail\300\014"), NULL},
    {"a pointer first", R("\300\014"), NULL},
    {"label type 0x40", R("\100abc"), NULL},
    {"a label past the end", R("\004mail\007exam"), NULL},
    {"no root label", R("\004mail"), NULL},
    {"empty input", R(""), NULL},
    /* Host names only (RFC 952, RFC 2181 §11 aside): nothing to quote later. */
    {"a space", R("\004ma l\000"), NULL},
    {"a dot inside a label", R("\003a.b\000"), NULL},
    {"a NUL inside a label", R("\003a\000b\000"), NULL},
    {"a high byte", R("\003a\303b\000"), NULL},
    {"a slash", R("\003a/b\000"), NULL},
    {"an asterisk", R("\001*\007example\000"), NULL},
};

START_TEST(test_rr_name)
{
	const struct name_case *c = &name_cases[_i];
	char out[MC_DNS_NAME_MAX];
	size_t off = c->off;
	int rc = mc_rr_name(c->rdata, c->len, &off, out);

	if (!c->out) {
		ck_assert_msg(rc == -1, "%s: accepted as \"%s\"", c->name, out);
		ck_assert_uint_eq(off, c->off);
		return;
	}
	ck_assert_msg(rc == 0, "%s: refused", c->name);
	ck_assert_str_eq(out, c->out);
	ck_assert_uint_eq(off, c->end ? c->end : c->len);
}
END_TEST

/* "\004mail\007example\003com\000" from "mail.example.com" (test input, not checked). */
static size_t wire(unsigned char *out, const char *name)
{
	size_t w = 0;

	while (*name) {
		size_t l = strcspn(name, ".");

		out[w++] = (unsigned char)l;
		memcpy(out + w, name, l);
		w += l;
		name += l;
		if (*name == '.')
			name++;
	}
	out[w++] = 0;
	return w;
}

/* Label and name lengths: 63 and 253 are the limits (RFC 1035 §2.3.4). */
START_TEST(test_rr_name_limits)
{
	unsigned char rdata[400];
	char name[300], out[MC_DNS_NAME_MAX];
	size_t len, off;

	/* A 63-byte label, and one of 64 (whose length byte is 0x40, a reserved type). */
	memset(name, 'a', 63);
	name[63] = '\0';
	len = wire(rdata, name);
	off = 0;
	ck_assert_int_eq(mc_rr_name(rdata, len, &off, out), 0);
	ck_assert_str_eq(out, name);
	memset(name, 'a', 64);
	name[64] = '\0';
	len = wire(rdata, name);
	off = 0;
	ck_assert_int_eq(mc_rr_name(rdata, len, &off, out), -1);

	/* 63.63.63.61: 253 characters, 255 bytes in wire form. */
	memset(name, 'b', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	len = wire(rdata, name);
	ck_assert_uint_eq(len, 255);
	off = 0;
	ck_assert_int_eq(mc_rr_name(rdata, len, &off, out), 0);
	ck_assert_str_eq(out, name);
	ck_assert_uint_eq(off, 255);

	/* 63.63.63.62: 254 characters, one too many. */
	memset(name, 'b', 254);
	name[63] = name[127] = name[191] = '.';
	name[254] = '\0';
	len = wire(rdata, name);
	off = 0;
	ck_assert_int_eq(mc_rr_name(rdata, len, &off, out), -1);

	/* Many one-letter labels: the text bound stops it before the label count does. */
	for (size_t i = 0; i < 150; i++) {
		rdata[2 * i] = 1;
		rdata[2 * i + 1] = 'x';
	}
	rdata[300] = 0;
	off = 0;
	ck_assert_int_eq(mc_rr_name(rdata, 301, &off, out), -1);
	/* 127 of them: 253 characters, fine. */
	rdata[254] = 0;
	off = 0;
	ck_assert_int_eq(mc_rr_name(rdata, 255, &off, out), 0);
	ck_assert_uint_eq(strlen(out), 253);
}
END_TEST

#define MX "\000\012\003mx1\007example\003com\000"

static const struct mx_case {
	const char *name;
	const unsigned char *rdata;
	size_t len;
	int pref;         /* -1: refused */
	const char *host; /* NULL: not checked */
} mx_cases[] = {
    {"preference 10", R(MX), 10, "mx1.example.com"},
    /* RFC 7505: preference 0 and the root. */
    {"null MX", R("\x00\x00\x00"), 0, ""},
    {"preference 65535", R("\xff\xff\x00"), 65535, NULL},
    {"empty", R(""), -1},
    {"no host", (const unsigned char *)MX, 2, -1},
    {"truncated host", (const unsigned char *)MX, sizeof(MX) - 2, -1},
    {"trailing bytes", R("\x00\x0a\x02mx\x00\x00"), -1},
    {"a bad host name", R("\x00\x0a\x02m x\x00"), -1},
};

START_TEST(test_rr_mx)
{
	const struct mx_case *c = &mx_cases[_i];
	char host[MC_DNS_NAME_MAX];
	unsigned pref = 0;
	int rc = mc_rr_mx(c->rdata, c->len, &pref, host);

	if (c->pref < 0) {
		ck_assert_msg(rc == -1, "%s: accepted", c->name);
		return;
	}
	ck_assert_msg(rc == 0, "%s: refused", c->name);
	ck_assert_uint_eq(pref, (unsigned)c->pref);
	if (c->host)
		ck_assert_str_eq(host, c->host);
}
END_TEST

#define TWO "\x07v=STSv1\x0c; id=2026011"

static const struct txt_case {
	const char *name;
	const unsigned char *rdata;
	size_t len, size; /* size: of the output */
	int used;         /* -1: refused */
	const char *out;  /* compared up to used, and its NUL */
} txt_cases[] = {
    {"two strings, joined", R(TWO), 64, 19, "v=STSv1; id=2026011"},
    {"empty strings skipped", R("\000\003abc\000"), 64, 3, "abc"},
    /* A NUL in the text is kept; used says how much is real. */
    {"a NUL in the text", R("\003a\000z"), 64, 3, "a\0z"},
    {"no strings at all", R(""), 64, 0, ""},
    {"one empty string", R("\000"), 64, 0, ""},
    {"a length past the end", R("\005abc"), 64, -1},
    {"a length past the end of a second string", (const unsigned char *)TWO, 5, 64, -1},
    /* The output bound: 19 bytes need 20. */
    {"19 bytes in 20", R(TWO), 20, 19, "v=STSv1; id=2026011"},
    {"19 bytes in 19", R(TWO), 19, -1},
    {"19 bytes in 8", R(TWO), 8, -1},
    {"19 bytes in none", R(TWO), 0, -1},
};

START_TEST(test_rr_txt)
{
	const struct txt_case *c = &txt_cases[_i];
	char out[64];
	size_t used = 99;
	int rc = mc_rr_txt(c->rdata, c->len, out, c->size, &used);

	if (c->used < 0) {
		ck_assert_msg(rc == -1, "%s: accepted", c->name);
		return;
	}
	ck_assert_msg(rc == 0, "%s: refused", c->name);
	ck_assert_uint_eq(used, (size_t)c->used);
	ck_assert_msg(memcmp(out, c->out, used + 1) == 0, "%s: got \"%s\"", c->name, out);
}
END_TEST

#define V4 "\300\000\002\001"
#define V6 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1"

static const struct addr_case {
	const char *name;
	const char *rdata;
	size_t len;
	int type;
	size_t size;     /* of the output */
	const char *out; /* NULL: refused */
} addr_cases[] = {
    {"A", V4, 4, MC_RR_A, 64, "192.0.2.1"},
    {"AAAA", V6, 16, MC_RR_AAAA, 64, "2001:db8::1"},
    {"16 bytes as A", V6, 16, MC_RR_A, 64, NULL},
    {"4 bytes as AAAA", V4, 4, MC_RR_AAAA, 64, NULL},
    {"A of 3 bytes", V4, 3, MC_RR_A, 64, NULL},
    {"AAAA of 15 bytes", V6, 15, MC_RR_AAAA, 64, NULL},
    {"A of no bytes", V4, 0, MC_RR_A, 64, NULL},
    /* An output too small for the text. */
    {"192.0.2.1 in 9 bytes", V4, 4, MC_RR_A, 9, NULL},
    {"192.0.2.1 in 10 bytes", V4, 4, MC_RR_A, 10, "192.0.2.1"},
};

START_TEST(test_rr_addr)
{
	const struct addr_case *c = &addr_cases[_i];
	char out[64];
	int rc = mc_rr_addr((const unsigned char *)c->rdata, c->len, c->type, out, c->size);

	if (!c->out) {
		ck_assert_msg(rc == -1, "%s: accepted as \"%s\"", c->name, out);
		return;
	}
	ck_assert_msg(rc == 0, "%s: refused", c->name);
	ck_assert_str_eq(out, c->out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dane");
	TCase *tc = tcase_create("check");
	TCase *parse = tcase_create("parse");
	TCase *next = tcase_create("rollover");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_loop_test(tc, test_dane, 0, N(dane_cases));
	tcase_add_test(tc, test_no_chain);
	tcase_add_test(tc, test_policy_setters);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(next, next_pki_setup, next_pki_teardown);
	tcase_add_loop_test(next, test_next, 0, N(next_cases));
	tcase_add_test(next, test_next_messages);
	tcase_add_test(next, test_next_setters);
	tcase_add_test(next, test_tlsa_for_file);
	suite_add_tcase(s, next);

	tcase_add_loop_test(parse, test_parse_text_good, 0, N(text_good));
	tcase_add_loop_test(parse, test_parse_text_bad, 0, N(text_bad));
	tcase_add_test(parse, test_parse_text_too_long);
	tcase_add_test(parse, test_parse_rdata);
	tcase_add_loop_test(parse, test_server_parse, 0, N(server_cases));
	tcase_add_loop_test(parse, test_rr_name, 0, N(name_cases));
	tcase_add_test(parse, test_rr_name_limits);
	tcase_add_loop_test(parse, test_rr_mx, 0, N(mx_cases));
	tcase_add_loop_test(parse, test_rr_txt, 0, N(txt_cases));
	tcase_add_loop_test(parse, test_rr_addr, 0, N(addr_cases));
	suite_add_tcase(s, parse);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

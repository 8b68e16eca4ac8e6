/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private structures shared by the library's files and its unit tests.
 * Nothing here is installed or exported.
 */
#ifndef MAILCERT_INTERNAL_H
#define MAILCERT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <regex.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <mailcert/mailcert.h>

#include "model/sct.h"
#include "model/util.h"

/* Bounds on what a server can make us keep (docs/design.md rule 4). */
#define MC_MAX_CHAIN 32         /* certificates kept from one handshake */
#define MC_MAX_OCSP 8           /* stapled responses kept */
#define MC_TRANSCRIPT_MAX 8192  /* the plaintext dialogue as shown by `mailcert show` */
#define MC_MAX_FILE_KEYS 2      /* private keys with one certificate file: in it, and --key */
#define MC_MAX_CRL_FETCH 8      /* CRL distribution points fetched for one check (--crl-fetch) */
#define MC_MAX_TLSA 16          /* TLSA records kept, from DNS or --tlsa */
#define MC_TLSA_DATA_MAX 8192   /* association data of one record (a full certificate) */

/* ---- targets ------------------------------------------------------ */

/* The implicit-TLS scheme for a STARTTLS scheme ("smtp" → "smtps"), or NULL. */
const char *mc_scheme_implicit(const char *scheme);

/*
 * The STARTTLS scheme to suggest when @implicit's port greeted in plaintext
 * like @heard (mc_recognise_plaintext()'s answer for @port): the partner
 * in @implicit's family ("submissions" → "submission", "imaps" → "imap")
 * when it speaks @heard's protocol, else @heard. Static strings.
 */
const char *mc_scheme_starttls(const char *implicit, const char *heard, unsigned port);

/* ---- DANE ------------------------------------------------------------ */

/* One TLSA record (RFC 6698): certificate usage, selector, matching type, data. */
struct mc_tlsa {
	unsigned char usage, selector, mtype;
	unsigned char *data; /* malloc'ed */
	size_t len;
};

/* "3 1 1 HEX" (--tlsa; spaces inside HEX allowed) → @out; 0 or -1 with a reason in @err. */
int mc_tlsa_parse_text(struct mc_tlsa *out, const char *text, char *err, size_t errlen);
/* TLSA RDATA from DNS → @out; 0 or -1 when malformed. */
int mc_tlsa_parse_rdata(struct mc_tlsa *out, const unsigned char *rdata, size_t len);

/* What a TLSA lookup found (--dane; dane.c): the records and how sure DNS is of them. */
struct mc_dane_lookup {
	int done;      /* a lookup was made */
	char name[300]; /* "_25._tcp.mx.example.com" */
	int status;    /* enum mc_dns_status (dns.h), or one of these: */
#define MC_DANE_NO_NAME (-1)   /* the target is an IP address */
#define MC_DANE_UNCHECKED (-2) /* no resolver could be set up: why says why */
	int nxdomain;
	char why[256]; /* status BOGUS or FAILED: why, printable */
	struct mc_tlsa rr[MC_MAX_TLSA];
	size_t n;
	size_t malformed; /* records whose data did not parse, or beyond MC_MAX_TLSA */
};

void mc_dane_lookup_clear(struct mc_dane_lookup *l);

/*
 * A key the TLSA records must name before a rollover (--next-key,
 * --next-issuer), or whose records --tlsa-for prints, as read from its
 * file by model/tlsakey.c. All data its own.
 */
struct mc_tlsa_key {
	char *path;                 /* as given, for messages */
	gnutls_datum_t spki;        /* DER SubjectPublicKeyInfo */
	gnutls_datum_t cert;        /* DER certificate; data NULL for a bare key */
	gnutls_datum_t issuer_spki; /* of a certificate in the file that issued @cert, or NULL */
	int pk;                     /* gnutls_pk_algorithm_t */
	char desc[32];              /* "RSA-2048", "EC-P256" */
};

#define MC_MAX_NEXT_KEYS 8 /* --next-key and --next-issuer files, each */

/* ---- observation --------------------------------------------------- */

struct mailcert_observation {
	int refs; /* reports hold a reference; see mc_observation_ref() */
	char *target;     /* "scheme://host:port" */
	const char *key_type; /* "RSA", "ECDSA": the handshake offered only these (static), or NULL */
	char *host;       /* the default name to check */
	char peer[64];
	const char *failure_code; /* static string, NULL when a chain was received */
	char failure_msg[MC_MSG_MAX];
	gnutls_datum_t chain[MC_MAX_CHAIN];
	size_t chain_len;
	size_t chain_dropped; /* certificates sent beyond MC_MAX_CHAIN, not kept */
	gnutls_datum_t ocsp[MC_MAX_OCSP];
	size_t ocsp_len;
	gnutls_datum_t sct_tls; /* the TLS signed_certificate_timestamp extension's SCT list */
	char *tls_version;
	char *tls_cipher;
	char *tls_alpn;
	mailcert_timings timings;
	char transcript[MC_TRANSCRIPT_MAX]; /* "C: …" / "S: …" lines, escaped */
	size_t transcript_len;
	int transcript_cut;
	/* File mode (file.c): the certificate file read, NULL for a probe, and
	 * the private keys found with it, each by its public half's SHA-256
	 * key ID, compared with the leaf by checks/deploy.c. */
	char *file;
	char *domain; /* mailcert_domain_evaluate(): the mail domain judged, else NULL */
	/* What the deprecated mailcert_policy_fetch_crls()/_tlsa() gathered
	 * (engine/legacy.c), read by mailcert_evaluate(); NULL otherwise. */
	struct mc_evidence *legacy;
	size_t domain_hosts; /* and its MX hosts with an mx.summary (one per address) */
	struct mc_file_key {
		char *path;
		unsigned char id[32];
		size_t id_len; /* 0: GnuTLS could not compute it */
		char desc[32]; /* "RSA-2048", "EC-P256" */
	} keys[MC_MAX_FILE_KEYS];
	size_t keys_len;
};

/* ---- ACME Renewal Information (RFC 9773; model/ari.c) ----------------- */

#define MC_ARI_MAX_BYTES (64u << 10) /* an answer larger is no answer */

/* What the CA says of when to renew the leaf, or why that is not known. */
struct mc_ari {
	int done;  /* it was asked for (--ari) */
	int known; /* a window came: @start, @end, @explanation */
	time_t start, end;
	char explanation[512]; /* explanationURL, an http(s) URL safe to print, or "" */
	time_t fetched_at;     /* when the answer came from the CA (a cached one's time) */
	char url[768];         /* the renewalInfo URL asked, or "" */
	char why[512];         /* not known: why, printable */
};

/*
 * The RFC 9773 certID of @leaf: base64url of its Authority Key
 * Identifier, ".", base64url of its serial number's bytes. 0; -1 with
 * the reason in @why (no AKI keyIdentifier).
 */
int mc_ari_cert_id(gnutls_x509_crt_t leaf, char *out, size_t outlen, char *why, size_t whylen);

/*
 * An ACME directory (RFC 8555 §7.1.1) of @len bytes: its renewalInfo URL
 * (an https URL safe to print) into @out. 0; -1 with the reason in @why.
 */
int mc_ari_directory(const char *body, size_t len, char *out, size_t outlen, char *why,
		     size_t whylen);

/*
 * A renewalInfo answer (RFC 9773 §4.2) of @len bytes into @out's start,
 * end and explanation. 0; -1 with the reason in @why (not JSON, no
 * suggestedWindow, a time that is not RFC 3339, an end before the start).
 */
int mc_ari_parse(const char *body, size_t len, struct mc_ari *out, char *why, size_t whylen);

/* The directory of a CA mailcert knows by the leaf's issuer DN (Let's Encrypt, Google), or NULL. */
const char *mc_ari_known_directory(const char *issuer_dn);

/* ---- evidence ------------------------------------------------------ */

/*
 * What a check gathered after its handshake (engine/): the CRLs of the
 * chain's distribution points and the TLSA lookup. The evaluation reads it
 * beside the observation; neither changes once handed over.
 */
struct mc_evidence {
	/* CRLs fetched from distribution points (engine/crl_stage.c), or why not. */
	struct mc_crl_fetch {
		char *url;
		int cert;           /* chain element whose distribution point it is */
		gnutls_datum_t der; /* the CRL (DER), data NULL when it could not be had */
		char *error;        /* why it could not be fetched, or NULL */
	} crl[MC_MAX_CRL_FETCH];
	size_t crl_len;
	struct mc_dane_lookup dane; /* the TLSA lookup (engine/tlsa_stage.c) */
	struct mc_ari ari;          /* the leaf's renewal window (engine/ari_stage.c) */
	/* --compare-acme: the ACME client's store as read for this check, a
	 * reference (engine/check.c); NULL: the policy's, read when it was
	 * set, and when reading it again failed, why. */
	struct mailcert_acme_store *acme;
	char acme_why[512];
};

/* An empty evidence; NULL when out of memory. */
struct mc_evidence *mc_evidence_new(void);
/* Frees @ev and everything in it; NULL is a no-op. */
void mc_evidence_free(struct mc_evidence *ev);

/* A new empty observation of @target (copied), expecting @host by default. */
mailcert_observation *mc_observation_new(const char *target, const char *host);
mailcert_observation *mc_observation_ref(const mailcert_observation *obs);
/* Records why the probe stopped; @code must be a static string. */
void mc_observation_fail(mailcert_observation *obs, const char *code, const char *fmt, ...)
	MC_PRINTF(3, 4);
/* Copies one certificate / OCSP response; beyond the bounds they are dropped. */
int mc_observation_add_cert(mailcert_observation *obs, const void *der, size_t len);
int mc_observation_add_ocsp(mailcert_observation *obs, const void *der, size_t len);
/* Keeps the SCT list the server sent in its TLS extension (RFC 6962 §3.3), a copy. */
int mc_observation_set_sct_tls(mailcert_observation *obs, const void *list, size_t len);
/* Appends what @who ('C' client, 'S' server) sent to the transcript, a line each, escaped. */
void mc_observation_note(mailcert_observation *obs, char who, const void *data, size_t len);
int mc_observation_set_tls(mailcert_observation *obs, const char *version, const char *cipher,
			   const char *alpn);

/* ---- policy -------------------------------------------------------- */

/* A remaining-validity threshold as parsed from "30d", "33%", "@10:20", "renewal", … */
struct mc_threshold {
	enum {
		MC_TH_SECONDS,
		MC_TH_PERCENT,
		MC_TH_RANGE,
		MC_TH_LIFETIME, /* the default: follows the certificate's lifetime */
		MC_TH_RENEWAL,  /* "renewal": the ARI window's start, else 1/3 of the lifetime */
	} kind;
	long long seconds;   /* MC_TH_SECONDS: alert when remaining < seconds; MC_TH_LIFETIME:
				the same for a lifetime of MC_LONG_LIFETIME or more */
	double percent;      /* MC_TH_PERCENT: alert when remaining < percent of lifetime */
	int share;           /* MC_TH_LIFETIME (shorter), MC_TH_RENEWAL: alert when less than
				1/share of the lifetime remains */
	/* MC_TH_RANGE (Nagios): alert when remaining is outside [lo, hi],
	 * or inside it when @inside ("@" prefix). Missing ends are infinite. */
	int inside, has_lo, has_hi;
	long long lo, hi;
};

/* A lifetime this long keeps the fixed thresholds: 30 and 15 days. */
#define MC_LONG_LIFETIME (90 * 86400LL)

/* The default threshold: warning (@critical 0) or critical, following the lifetime. */
struct mc_threshold mc_threshold_default(int critical);

/*
 * The policy's warning (@critical 0) or critical threshold as it applies
 * to chain element @index: "renewal" is the leaf's renewal point, so a CA
 * certificate, which no ACME client renews, keeps the default.
 */
struct mc_threshold mc_threshold_for(const mailcert_policy *policy, size_t index, int critical);

/* Parses @spec; 0 or MAILCERT_E_INVALID with a reason in @err. Pure. */
int mc_threshold_parse(struct mc_threshold *out, const char *spec, char *err, size_t errlen);
/* Whether @remaining seconds of a certificate living @lifetime seconds alerts. */
int mc_threshold_alerts(const struct mc_threshold *th, long long remaining, long long lifetime);
/* The threshold as a seconds value for perfdata: remaining below it alerts. */
long long mc_threshold_seconds(const struct mc_threshold *th, long long lifetime);

struct mailcert_policy {
	char **names;
	size_t names_len;
	struct mc_threshold warning, critical;
	int allow_self_signed;
	/*
	 * Trust: the system store, loaded by mailcert_policy_new(), until an
	 * explicit source is added (which replaces it); or nothing until then
	 * with MAILCERT_POLICY_NO_SYSTEM_TRUST. Never loaded by an evaluation.
	 */
	gnutls_x509_trust_list_t trust;
	int trust_explicit; /* a source was added: the default is gone */
	int trust_system;   /* the system store is in @trust (1), or failed to load (-1) */
	unsigned trust_sources; /* CA files and directories in @trust */
	/* --compare-file (checks/deploy.c): the leaf of that file, DER
	 * (malloc'ed), and its path; data NULL when unset. */
	gnutls_datum_t compare_leaf;
	char *compare_file;
	/* --compare-acme (checks/deploy.c): the store as read when set; a
	 * check reads it again as evidence (engine/check.c). NULL when unset. */
	struct mailcert_acme_store *acme;
	/* Crypto minimums (checks/crypto.c); 0 means the default. */
	unsigned min_rsa_bits; /* RSA and DSA modulus; default 2048 */
	unsigned min_ec_bits;  /* ECDSA curve size, EdDSA; default 256 */
	int min_tls;           /* 10, 11, 12, 13 for TLS 1.0 … 1.3; default 12 */
	/* Expectations on the leaf (checks/expect.c); unset when NULL / 0. */
	regex_t *issuer_re, *subject_re; /* compiled when set */
	char *issuer_text, *subject_text; /* as given, for messages */
	char *serial;                     /* lowercase hex without leading zeros */
	unsigned char (*pins)[32];        /* SHA-256 of the certificate or of its SPKI */
	size_t pins_len;
	/* Severity overrides by finding code (severity.c); the last one given wins. */
	struct mc_severity {
		char *code;
		mailcert_state state;
	} *severities;
	size_t severities_len;
	/* Revocation: CRLs of --crl, parsed when added, with their paths; --crl-fetch. */
	gnutls_x509_crl_t *crls;
	char **crl_paths;
	size_t crls_len;
	int crl_fetch;
	/* DANE: records given with --tlsa (used instead of DNS), --dane, and
	 * the resolver and trust anchor of DNSSEC lookups (NULL: defaults). */
	struct mc_tlsa tlsa[MC_MAX_TLSA];
	size_t tlsa_len;
	int dane;
	/* Rollovers (checks/dane_next.c): keys and issuers the records must
	 * also name, read when added. */
	struct mc_tlsa_key next_keys[MC_MAX_NEXT_KEYS], next_issuers[MC_MAX_NEXT_KEYS];
	size_t next_keys_len, next_issuers_len;
	char *resolver, *trust_anchor;
	/* --ca-file / --ca-dir as given, for HTTPS fetches by libcurl (MTA-STS) */
	char *ca_file, *ca_dir;
	/* --ari: the leaf's renewal window; --acme-directory (NULL: known by issuer) */
	int ari;
	char *acme_directory;
	/* --max-validity (checks/maxvalidity.c) */
	enum {
		MC_MAXV_AUTO, /* the CA/B calendar for a chain the system store trusts */
		MC_MAXV_CABF, /* the CA/B calendar, always */
		MC_MAXV_DAYS, /* @max_validity_days, always */
		MC_MAXV_OFF,
	} max_validity;
	unsigned max_validity_days;
	/* Certificate Transparency (checks/ct.c): --ct / check_mailcert's
	 * --ignore-sct, and the log list of --ct-log-list, parsed when set
	 * (NULL: SCTs are listed, not verified). */
	mailcert_ct ct;
	struct mc_ct_loglist *ct_logs;
};

/* The trust list to verify against; lives as long as @policy. */
gnutls_x509_trust_list_t mc_policy_trust(const mailcert_policy *policy);

/* ---- report -------------------------------------------------------- */

struct mailcert_finding {
	const char *code; /* static string */
	mailcert_state severity;
	int cert;
	char *message;
};

struct mc_cert_store {
	mailcert_cert_info info;
	char *strings[8]; /* owned backing of info's strings */
	char **san;       /* owned, NULL terminated */
};

struct mailcert_report {
	mailcert_observation *obs; /* a reference */
	time_t now;
	mailcert_ari_window ari; /* when @ari_known: what checks/ari.c read */
	int ari_known;
	mailcert_state state;
	struct mailcert_finding *findings;
	size_t findings_len, findings_cap;
	struct mc_cert_store *certs;
	size_t certs_len;
	char *matched_name;
	/* The leaf's SCTs (checks/ct.c), MC_MAX_SCT at most, allocated with the first. */
	struct mc_report_sct {
		mailcert_sct pub; /* its strings point into the two below */
		char log_id[48];
		char log_name[128];
	} *scts;
	size_t scts_len;
};

mailcert_report *mc_report_new(const mailcert_observation *obs, time_t now);
/* The worse of two states in the report's ranking: CRITICAL, UNKNOWN, WARNING, OK. */
mailcert_state mc_state_worse(mailcert_state state, mailcert_state severity);
/* Keeps the leaf's renewal window (@ari known) for the renderers; -1 when out of memory. */
int mc_report_set_ari(mailcert_report *report, const struct mc_ari *ari);
/* Keeps one SCT for the renderers: @source static, @log_name NULL or printable; -1 when out of memory. */
int mc_report_add_sct(mailcert_report *report, const unsigned char log_id[32],
		      const char *log_name, long long timestamp_ms, const char *source, int valid);
/* Recomputes the report's state from its findings, after severities changed. */
void mc_report_restate(mailcert_report *report);
/* Appends a finding and raises the state; @code must be a static string. */
int mc_report_add(mailcert_report *report, const char *code, mailcert_state severity, int cert,
		  const char *fmt, ...) MC_PRINTF(5, 6);
/* Fills report->certs from parsed certificates (facts only, no judgement). */
int mc_report_describe_chain(mailcert_report *report, gnutls_x509_crt_t *crts, size_t n,
			     const mailcert_policy *policy);

/* ---- evaluation ---------------------------------------------------- */

/* What every check family reads and writes. */
struct mc_eval {
	int publicly_trusted; /* the chain verified against the system store alone (checks/trust.c) */
	const mailcert_observation *obs;
	const struct mc_evidence *evidence; /* never NULL: empty when nothing was gathered */
	const mailcert_policy *policy;
	time_t now;
	gnutls_x509_crt_t *crts; /* the chain as sent, parsed */
	size_t n;
	mailcert_report *report;
};

/*
 * How findings name chain element @i: its role and CN, e.g. "leaf
 * CN=mail.test", "intermediate CN=Test CA", "root …"; quoted, written to
 * @dst (MC_LABEL_MAX is enough). Needs the report's certs described.
 */
#define MC_LABEL_MAX 512
void mc_cert_label(char *dst, size_t len, const struct mc_eval *ev, size_t i); /* describe.c */

int mc_check_validity(struct mc_eval *ev); /* checks/validity.c */
int mc_check_trust(struct mc_eval *ev);    /* checks/trust.c */
int mc_check_names(struct mc_eval *ev);    /* checks/names.c */
int mc_check_deploy(struct mc_eval *ev);   /* checks/deploy.c */

/* The first certificate of the PEM or DER file @path, DER, malloc'ed into
 * @der (file.c); MAILCERT_E_IO / _INVALID with a reason naming the file. */
int mc_file_leaf(const char *path, gnutls_datum_t *der, char *err, size_t errlen);
int mc_check_revocation(struct mc_eval *ev); /* checks/revocation.c */

/* Self-issued, or itself in @trust (may be NULL): never asked about revocation (checks/revocation.c). */
int mc_is_trust_anchor(gnutls_x509_trust_list_t trust, gnutls_x509_crt_t crt);
int mc_check_crypto(struct mc_eval *ev);   /* checks/crypto.c */
int mc_check_chain(struct mc_eval *ev);    /* checks/chain.c */
int mc_check_expect(struct mc_eval *ev);   /* checks/expect.c */
int mc_check_ari(struct mc_eval *ev);      /* checks/ari.c */
int mc_check_max_validity(struct mc_eval *ev); /* checks/maxvalidity.c */
int mc_check_ct(struct mc_eval *ev);       /* checks/ct.c */
int mc_check_dane(struct mc_eval *ev);     /* checks/dane.c */

/* Whether TLSA record @t counts for @ev's target (checks/dane.c; RFC 7672 §3.1.3 for SMTP). */
int mc_dane_usable(const struct mc_eval *ev, const struct mc_tlsa *t);

/*
 * dane.next-key-missing for each --next-key and --next-issuer that none
 * of the usable records @rr[0..@n) names; @where says where they come
 * from ("at _25._tcp.mx.example"). checks/dane_next.c.
 */
int mc_check_dane_next(struct mc_eval *ev, const struct mc_tlsa *rr, size_t n, const char *where);

/*
 * mailcert_evaluate() with the evidence a check gathered (@evidence; NULL
 * for none): the one evaluation, pure, that every front end reaches.
 */
int mc_evaluate_evidence(mailcert_report **out, const mailcert_observation *obs,
			 const struct mc_evidence *evidence, const mailcert_policy *policy,
			 time_t now);

/*
 * Lowers finding @i of @report to OK, its message extended by "; @why",
 * and recomputes the report's state (report.c). For checks that find a
 * finding moot, as DANE makes PKIX trust moot.
 */
int mc_report_relax(mailcert_report *report, size_t i, const char *why);

/* model/leafid.c: the syntax of --serial and --pin; 0 or MAILCERT_E_INVALID. */
int mc_serial_normalize(char **out, const char *hex);
int mc_pin_parse(unsigned char out[32], const char *pin);

/* target.c: the @i-th scheme a target may name ("smtp"), NULL past the
 * last; static. cli/gen-completion.c lists them for the shell. */
const char *mc_scheme_name(size_t i);

/* severity.c: whether @code is syntactically a finding code; the overrides applied. */
int mc_code_ok(const char *code);
void mc_severity_apply(mailcert_report *report, const mailcert_policy *policy);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policies: what a good certificate must satisfy. A policy is built once
 * and may be used for any number of evaluations.
 */
#ifndef MAILCERT_POLICY_H
#define MAILCERT_POLICY_H

#include <mailcert/common.h>
#include <mailcert/observation.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_policy mailcert_policy;

/*
 * Creates a policy with the defaults: warning under 30 days, critical under
 * 15 days (a third and a sixth of the lifetime for a certificate of less
 * than 90 days), the system trust store, self-signed not accepted, the
 * CA/B Forum's maximum validity for publicly trusted chains, names = the
 * target host. The system store is read now (some 10 ms), so that no
 * evaluation reads a file; the first CA file or directory added replaces
 * it. Free with mailcert_policy_free().
 *
 * A policy is configuration: build it with the setters below, then share
 * it, read-only, among any number of evaluations and checks, in any
 * threads. The setters themselves are not for concurrent use.
 */
MAILCERT_EXPORT int mailcert_policy_new(mailcert_policy **out);

/* mailcert_policy_new() flags. */
enum {
	/*
	 * Do not read the system trust store: trust nothing until
	 * mailcert_policy_add_ca_file(), _add_ca_dir() or
	 * _add_system_trust() says what to trust. For a program that knows
	 * its CAs, or will add the store itself, and would waste the load.
	 */
	MAILCERT_POLICY_NO_SYSTEM_TRUST = 1 << 0,
};

/*
 * mailcert_policy_new() with MAILCERT_POLICY_* @flags. MAILCERT_E_INVALID
 * for an unknown flag. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_new_flags(mailcert_policy **out, unsigned flags);

/* Frees @policy; NULL is a no-op. Reports made with it stay valid. */
MAILCERT_EXPORT void mailcert_policy_free(mailcert_policy *policy);

/*
 * Adds a name the leaf must be valid for (DNS name or IP address), matched
 * per RFC 6125. Every name added must match; each one that does not is a
 * name.mismatch of its own. Copied. Without any, the target host is
 * expected.
 */
MAILCERT_EXPORT int mailcert_policy_add_name(mailcert_policy *policy, const char *name);

/*
 * Sets the warning (@critical = 0) or critical (@critical != 0) threshold
 * of remaining validity, from the CLI syntax: "30" or "30d" (days), "12h",
 * "900s", "33%" (of each certificate's lifetime), a Nagios range such as
 * "30:" or "@10:20" whose ends take the same units (days by default), or
 * "renewal": the start of the leaf's ARI window when it is known
 * (mailcert_policy_set_ari()), else a third of the lifetime left.
 * Without one, a threshold follows each certificate's lifetime: 30 days
 * (warning) and 15 (critical) for a lifetime of 90 days or more, else a
 * third and a sixth of it. Returns MAILCERT_E_INVALID with a reason in
 * @err for bad syntax.
 */
MAILCERT_EXPORT int mailcert_policy_set_threshold(mailcert_policy *policy, int critical,
						  const char *spec, char *err, unsigned errlen);

/*
 * Trust the CAs in a PEM file, or in every file of a directory, instead of
 * the system store (unless mailcert_policy_add_system_trust() is also
 * called). The files are read now: a missing or unparsable file is
 * MAILCERT_E_IO with a reason naming it in @err.
 */
MAILCERT_EXPORT int mailcert_policy_add_ca_file(mailcert_policy *policy, const char *path,
						char *err, unsigned errlen);
MAILCERT_EXPORT int mailcert_policy_add_ca_dir(mailcert_policy *policy, const char *path,
					       char *err, unsigned errlen);

/*
 * Adds the system trust store (the default when no CA is given), read
 * now; kept beside the CA files and directories added. MAILCERT_E_IO when
 * it cannot be read.
 */
MAILCERT_EXPORT int mailcert_policy_add_system_trust(mailcert_policy *policy);

/* A self-signed leaf is then not a finding. */
MAILCERT_EXPORT int mailcert_policy_set_allow_self_signed(mailcert_policy *policy, int allow);

/*
 * The served leaf must be the first certificate of the PEM or DER file
 * @path (--compare-file): when it is not, deploy.mismatch (WARNING) says
 * which of the two is newer by notBefore, e.g. a renewed certificate on
 * disk that the daemon has not reloaded. The file is read now and its leaf
 * copied, so evaluations stay free of I/O. Default: no comparison; setting
 * again replaces, NULL unsets. A file that cannot be read is MAILCERT_E_IO,
 * one without a valid certificate MAILCERT_E_INVALID, with a reason naming
 * it in @err.
 */
MAILCERT_EXPORT int mailcert_policy_set_compare_file(mailcert_policy *policy, const char *path,
						     char *err, unsigned errlen);

/*
 * The served leaf must be the newest certificate of the ACME client's
 * lineage for the checked name, in the store at @path (--compare-acme; a
 * certbot, acme.sh or lego directory or a Traefik acme.json, see
 * include/mailcert/acme.h). When it is not, deploy.mismatch (WARNING)
 * names the lineage and when it was renewed, and whether the server still
 * serves the lineage's previous certificate; when no lineage covers the
 * name (the policy's names, else the target's host), deploy.not-in-store
 * (WARNING). The store is read now, which reports a bad @path at once as
 * mailcert_acme_store_open() does; a check (include/mailcert/check.h)
 * reads it again when it runs (an engine keeps what it read for a
 * minute), so a long-running program sees renewals; when it cannot, the
 * check uses this copy and says so (deploy.store-unreadable, OK). NULL
 * unsets. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_set_compare_acme(mailcert_policy *policy, const char *path,
						     char *err, unsigned errlen);

/*
 * Sets a minimum key size, from the syntax of --min-key-bits: "N" or
 * "rsa:N" for RSA and DSA keys (modulus bits), "ec:N" for elliptic-curve
 * keys (ECDSA curve size: P-256 is 256, P-384 384; Ed25519 counts as 256).
 * Defaults: RSA/DSA 2048, EC 256; setting one leaves the other as it was.
 * A certificate of the chain (not a self-signed trust anchor) below its
 * minimum is crypto.weak-key. Returns MAILCERT_E_INVALID with a reason in
 * @err for bad syntax or a size out of range (1 to 16384).
 */
MAILCERT_EXPORT int mailcert_policy_set_min_key_bits(mailcert_policy *policy, const char *spec,
						     char *err, unsigned errlen);

/*
 * Sets the lowest acceptable negotiated TLS version: "1.0", "1.1", "1.2"
 * (the default) or "1.3" ("TLS1.2" is accepted too). A handshake that
 * ends at an older version is tls.version. Returns MAILCERT_E_INVALID
 * with a reason in @err for anything else.
 */
MAILCERT_EXPORT int mailcert_policy_set_min_tls(mailcert_policy *policy, const char *version,
						char *err, unsigned errlen);

/*
 * Expectations on the leaf. The issuer's or the subject's DN as RFC 4514
 * writes it ("CN=R3,O=Let's Encrypt,C=US") must match @regex, a POSIX
 * extended regular expression, unanchored (issuer.mismatch,
 * subject.mismatch). Compiled now: a bad expression is MAILCERT_E_INVALID
 * with regerror()'s reason in @err. Setting again replaces; NULL unsets.
 */
MAILCERT_EXPORT int mailcert_policy_set_issuer(mailcert_policy *policy, const char *regex,
					       char *err, unsigned errlen);
MAILCERT_EXPORT int mailcert_policy_set_subject(mailcert_policy *policy, const char *regex,
						char *err, unsigned errlen);

/*
 * The leaf's serial number must be @hex (serial.mismatch), compared as an
 * integer: case, colons and leading zeros do not matter ("0x" is allowed).
 * MAILCERT_E_INVALID when @hex is not hexadecimal. NULL unsets.
 */
MAILCERT_EXPORT int mailcert_policy_set_serial(mailcert_policy *policy, const char *hex);

/*
 * Adds a pin, "sha256:" and the SHA-256 digest in base64 (as HPKP and
 * check_ssl_cert write SPKI pins) or hex (colons allowed). The leaf's
 * certificate or its SubjectPublicKeyInfo must have one of the digests
 * added (pin.mismatch); several allow a backup key. MAILCERT_E_INVALID
 * for any other syntax.
 */
MAILCERT_EXPORT int mailcert_policy_add_pin(mailcert_policy *policy, const char *pin);

/*
 * Overrides the severity of every finding with @code: MAILCERT_OK,
 * MAILCERT_WARNING or MAILCERT_CRITICAL. A finding set to OK stays in the
 * report, with severity OK, but does not raise its state. Any code is
 * accepted, including codes this version does not emit, as long as it has
 * the form of one (lowercase letters, digits and '-', dot-separated);
 * else MAILCERT_E_INVALID. The last override of a code wins. Copied.
 */
MAILCERT_EXPORT int mailcert_policy_set_severity(mailcert_policy *policy, const char *code,
						 mailcert_state state);

/*
 * Adds the CRLs of a file (--crl): PEM, one or more "X509 CRL" blocks, or
 * one DER CRL. Read and parsed now: a missing, unreadable or malformed file
 * is MAILCERT_E_IO with a reason naming it in @err. A CRL is used for a
 * chain certificate when it names that certificate's issuer and its
 * signature verifies with the issuer's key (else crl.invalid); a listed
 * serial number is crl.revoked, a nextUpdate past is crl.stale. Trust
 * anchors are never looked up. None by default; repeatable.
 */
MAILCERT_EXPORT int mailcert_policy_add_crl_file(mailcert_policy *policy, const char *path,
						 char *err, unsigned errlen);

/*
 * Whether a check fetches the CRLs of the chain's distribution points
 * (--crl-fetch; include/mailcert/check.h): of every certificate but trust
 * anchors, over HTTP(S), cached by URL in $XDG_CACHE_HOME/mailcert/crl/
 * (else ~/.cache/mailcert/crl/) until their nextUpdate, so that a large
 * CRL is not downloaded at every run; at most 8 URLs and 32 MiB per CRL,
 * within the check's timeout. A failure is crl.unavailable. Off by
 * default.
 */
MAILCERT_EXPORT int mailcert_policy_set_crl_fetch(mailcert_policy *policy, int fetch);

/*
 * Whether a check asks the leaf's CA when to renew it (--ari): ACME
 * Renewal Information (RFC 9773), fetched over HTTPS (trusting the system
 * store and the policy's CA file) from the renewalInfo URL of the CA's
 * ACME directory, and cached until the CA's Retry-After. A window that
 * has opened is ari.window-open (WARNING), one that has passed
 * ari.window-passed (CRITICAL); no answer is ari.unavailable (OK).
 * mailcert_report_ari() gives the window. Off by default. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_set_ari(mailcert_policy *policy, int ari);

/*
 * The ACME directory whose renewalInfo URL --ari asks (an https URL);
 * NULL: the one mailcert knows for the leaf's issuer (Let's Encrypt,
 * Google Trust Services; docs/short-lived.md). MAILCERT_E_INVALID with a
 * reason in @err for anything but an https URL. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_set_acme_directory(mailcert_policy *policy, const char *url,
						       char *err, unsigned errlen);

/*
 * The longest validity the leaf may have (--max-validity), as "DAYS" or
 * "cabf": the maximum of the CA/Browser Forum's Baseline Requirements in
 * force at the leaf's notBefore (ballot SC-081: 398 days before
 * 2026-03-15, 200 from then, 100 from 2027-03-15, 47 from 2029-03-15), or
 * "off". A longer one is cert.validity-too-long (WARNING). By default the
 * calendar applies to chains the system trust store verifies and to no
 * other (a private CA makes its own rules). MAILCERT_E_INVALID with a
 * reason in @err for anything else. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_set_max_validity(mailcert_policy *policy, const char *spec,
						     char *err, unsigned errlen);

/* Whether a leaf must carry SCTs (Certificate Transparency, RFC 6962). */
typedef enum mailcert_ct {
	MAILCERT_CT_AUTO,    /* when the system trust store verifies its chain (the default) */
	MAILCERT_CT_REQUIRE, /* always, private CAs too (--ct) */
	MAILCERT_CT_OFF,     /* never; SCTs are still listed and verified */
} mailcert_ct;

/*
 * When a leaf without SCTs is ct.missing (WARNING) and one with too few
 * is ct.too-few. MAILCERT_E_INVALID for another value. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_set_ct(mailcert_policy *policy, mailcert_ct mode);

/*
 * Certificate Transparency logs (--ct-log-list): the v3 log list JSON
 * file at @path (Chrome's log_list.json, Apple's current_log_list.json),
 * read and parsed now; NULL forgets it. With it, each SCT's signature is
 * verified against its log's key (ct.invalid, CRITICAL), an SCT of a log
 * not in the list is ct.unknown-log (OK), and the valid SCTs are counted
 * by Chrome's CT policy (ct.too-few, WARNING). MAILCERT_E_IO or
 * MAILCERT_E_INVALID with a reason naming the file in @err. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_set_ct_log_list(mailcert_policy *policy, const char *path,
						    char *err, unsigned errlen);

/*
 * Deprecated since 0.2, kept for one release: use a check
 * (mailcert_check_run(), or mailcert_engine_add_check() for many), whose
 * stages fetch the CRLs without blocking anything else.
 *
 * Fetches, blocking for at most @timeout_ms, what a check would for
 * mailcert_policy_set_crl_fetch(), and attaches it to @obs for a later
 * mailcert_evaluate() — the one change ever made to an observation after
 * its probe. 0, or MAILCERT_E_NOMEM / MAILCERT_E_INVALID. Without the
 * setting, or when the probe failed, it does nothing.
 */
MAILCERT_EXPORT MAILCERT_DEPRECATED int mailcert_policy_fetch_crls(const mailcert_policy *policy,
								    mailcert_observation *obs,
								    unsigned timeout_ms);

/*
 * DANE (RFC 6698, RFC 7672 for SMTP). A TLSA record given inline
 * (--tlsa): "USAGE SELECTOR MTYPE HEX", e.g. "3 1 1 0c72ac70…", trusted
 * as if it came from DNSSEC-validated DNS. With one or more, the DNS is
 * not asked. MAILCERT_E_INVALID with a reason in @err when malformed;
 * repeatable, at most 16.
 *
 * When a record matches, it authenticates the server as RFC 7672 says:
 * DANE-EE (3) makes the leaf's names, validity dates and PKIX trust moot
 * (those findings are kept, lowered to OK, with the reason); DANE-TA (2)
 * makes the chain lead to the matched certificate instead of a CA of the
 * trust store, names and dates still count. PKIX-TA (0) and PKIX-EE (1)
 * add the match to PKIX trust; RFC 7672 makes them unusable for SMTP.
 * No usable record matching is dane.mismatch (CRITICAL).
 */
MAILCERT_EXPORT int mailcert_policy_add_tlsa(mailcert_policy *policy, const char *record,
					     char *err, unsigned errlen);

/*
 * Whether a check looks up the TLSA records of its target in DNS (--dane):
 * at _PORT._tcp.HOST, validated with DNSSEC, beside its probe. DNS trouble
 * is a finding: dane.bogus, dane.lookup-failed, and a resolver that cannot
 * be set up (no trust anchor) dane.unchecked (UNKNOWN). Records given with
 * mailcert_policy_add_tlsa() are used instead. Off by default.
 */
MAILCERT_EXPORT int mailcert_policy_set_dane(mailcert_policy *policy, int dane);

/*
 * The resolver DNSSEC lookups are sent to ("127.0.0.1", "127.0.0.1:5353",
 * "[::1]:53"); it must pass DNSSEC records through (libunbound validates
 * them itself). NULL: those of /etc/resolv.conf. MAILCERT_E_INVALID with
 * a reason when not an address.
 */
MAILCERT_EXPORT int mailcert_policy_set_resolver(mailcert_policy *policy, const char *address,
						 char *err, unsigned errlen);

/*
 * The DNSSEC trust anchor: a file of DS or DNSKEY records in zone-file
 * form. NULL: the root key of dns-root-data (/usr/share/dns/root.key).
 * MAILCERT_E_IO with a reason when it cannot be read.
 */
MAILCERT_EXPORT int mailcert_policy_set_trust_anchor(mailcert_policy *policy, const char *path,
						     char *err, unsigned errlen);

/*
 * DANE rollovers (docs/domain.md, "DANE rollovers"): the key the next
 * renewal will use (--next-key), from the PEM or DER file @path: a
 * certificate or chain (its first certificate's key), a private key or a
 * PUBLIC KEY block. Whenever there are usable TLSA records to judge (given
 * with mailcert_policy_add_tlsa() or found by a DNSSEC lookup), one of the
 * usage that names the leaf (DANE-EE; PKIX-EE where it is usable) must
 * name this key too, else dane.next-key-missing (WARNING) gives the
 * "3 1 1 HEX" record to publish. No records, a lookup that failed or an
 * unsigned zone make no such finding: the DANE finding that says so is
 * enough. When the observation's handshake offered one key type
 * (mailcert_probe_set_key_type(), --all-keys), an RSA or ECDSA key is
 * judged in that key type's report only.
 *
 * The file is read now and its key kept, so evaluations stay free of I/O;
 * repeatable, at most 8. MAILCERT_E_IO when it cannot be read,
 * MAILCERT_E_INVALID when it holds no certificate or key (or beyond 8),
 * each with a reason naming the file in @err. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_add_next_key(mailcert_policy *policy, const char *path,
						 char *err, unsigned errlen);

/*
 * The same for the issuer the next certificate will chain to
 * (--next-issuer), for DANE-TA: a record of the usage that names a trust
 * anchor (DANE-TA; PKIX-TA where it is usable) must name the certificate
 * (or key) of @path, else dane.next-key-missing gives the "2 1 1 HEX"
 * record to publish. Repeatable (a CA that picks among several
 * intermediates needs a record for each), at most 8. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_policy_add_next_issuer(mailcert_policy *policy, const char *path,
						    char *err, unsigned errlen);

/*
 * Deprecated since 0.2, kept for one release: use a check
 * (include/mailcert/check.h), whose TLSA lookup runs beside its probe.
 *
 * Looks up, blocking for at most @timeout_ms, what a check would for
 * mailcert_policy_set_dane(), and attaches it to @obs for a later
 * mailcert_evaluate() — the one change ever made to an observation after
 * its probe. 0; MAILCERT_E_NOMEM; MAILCERT_E_INVALID for NULL arguments.
 * Does nothing for an observation without a chain or of a file.
 */
MAILCERT_EXPORT MAILCERT_DEPRECATED int mailcert_policy_fetch_tlsa(const mailcert_policy *policy,
								    mailcert_observation *obs,
								    unsigned timeout_ms);

#ifdef __cplusplus
}
#endif

#endif

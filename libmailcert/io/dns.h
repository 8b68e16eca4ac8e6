/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DNS with DNSSEC validation, for DANE and the mail-domain checks: a thin
 * layer over libunbound (dns.c), and the parsers of the record data it
 * returns (dnsrr.c, pure, fuzzed). Not installed.
 */
#ifndef MAILCERT_DNS_H
#define MAILCERT_DNS_H

#include <stddef.h>

#define MC_DNS_MAX_RR 32    /* records kept from one answer */
#define MC_DNS_NAME_MAX 254 /* a name in text form, with its NUL */

enum { MC_RR_A = 1, MC_RR_MX = 15, MC_RR_TXT = 16, MC_RR_AAAA = 28, MC_RR_TLSA = 52 };

enum mc_dns_status {
	MC_DNS_SECURE,   /* validated: the answer (or its absence) is proven */
	MC_DNS_INSECURE, /* no DNSSEC chain of trust covers the name */
	MC_DNS_BOGUS,    /* signatures that should be there fail to validate */
	MC_DNS_FAILED,   /* no usable answer: SERVFAIL, timeout, no resolver */
};

struct mc_dns_answer {
	enum mc_dns_status status;
	int nxdomain;   /* the name does not exist (else: no data of this type when n = 0) */
	size_t n;       /* records in rr[] */
	size_t dropped; /* records beyond MC_DNS_MAX_RR, not kept */
	struct {
		unsigned char *data; /* RDATA in wire form, malloc'ed */
		size_t len;
	} rr[MC_DNS_MAX_RR];
	char why[256]; /* BOGUS or FAILED: the reason, printable */
};

struct mc_dns;

/*
 * A resolver context. @server is "ADDR", "ADDR:PORT" or "[ADDR6]:PORT", a
 * resolver to send queries to (it must pass DNSSEC records through), or
 * NULL for those of /etc/resolv.conf. @anchor is a file of DS or DNSKEY
 * records (unbound's trust-anchor-file format), or NULL for the root key
 * of the dns-root-data package. NULL with a reason in @err. Free with
 * mc_dns_free().
 */
struct mc_dns *mc_dns_new(const char *server, const char *anchor, char *err, size_t errlen);
void mc_dns_free(struct mc_dns *dns);

/*
 * Looks up @name/@type, validating, until @deadline_ms (mc_now_ms()
 * clock). Always fills @out (clear it with mc_dns_answer_clear()); a
 * failure to get an answer is out->status MC_DNS_FAILED. Returns 0, or
 * MAILCERT_E_NOMEM.
 */
int mc_dns_query(struct mc_dns *dns, const char *name, int type, long long deadline_ms,
		 struct mc_dns_answer *out);
void mc_dns_answer_clear(struct mc_dns_answer *a);

/* "127.0.0.1:53" → "127.0.0.1@53" (unbound's form); 0, or -1 when malformed. */
int mc_dns_server_parse(const char *server, char *out, size_t outlen);

/* ---- record data (dnsrr.c): pure, bounded by @len ------------------ */

/*
 * A domain name as people write it ("Example.COM."), checked and written
 * to @out as mc_rr_name() writes names: lowercase, no final dot, labels of
 * 1-63 letters, digits, '-' and '_'. 0, or -1 when it is not one.
 */
int mc_dns_name_text(const char *in, char out[MC_DNS_NAME_MAX]);

/*
 * A domain name in uncompressed wire form at @rdata[*off], as lowercase
 * dotted text without the final dot ("mail.example.com"; "" for the
 * root). Only letters, digits, '-' and '_' are accepted in labels, so the
 * text is safe in messages and as a host to connect to. *@off moves past
 * the name. 0, or -1 when malformed.
 */
int mc_rr_name(const unsigned char *rdata, size_t len, size_t *off, char out[MC_DNS_NAME_MAX]);

/* MX: preference and exchange. 0, or -1 when malformed. */
int mc_rr_mx(const unsigned char *rdata, size_t len, unsigned *pref, char host[MC_DNS_NAME_MAX]);

/*
 * TXT: the character-strings joined, as RFC 8461 and RFC 8460 read a
 * record. @out gets at most @outlen - 1 bytes and a NUL (the text may
 * itself hold NULs: *@outlen_used says how much is real). 0, or -1 when
 * malformed or longer than @outlen - 1.
 */
int mc_rr_txt(const unsigned char *rdata, size_t len, char *out, size_t outlen, size_t *used);

/* A and AAAA as text. 0, or -1 when the length is wrong. */
int mc_rr_addr(const unsigned char *rdata, size_t len, int type, char *out, size_t outlen);

struct mc_dane_lookup;
/* The TLSA records of _@port._tcp.@host into @out (dane.c). 0 or MAILCERT_E_NOMEM. */
int mc_dane_lookup(struct mc_dns *dns, const char *host, unsigned port, long long deadline,
		   struct mc_dane_lookup *out);

#endif

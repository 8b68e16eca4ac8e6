/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DNS answers as the lookups (io/dns.c) hand them over, and the parsers of
 * their record data (dnsrr.c): pure, bounded by each record's length,
 * fuzzed. Not installed.
 */
#ifndef MAILCERT_DNSRR_H
#define MAILCERT_DNSRR_H

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

/* Frees the records of @a and empties it. */
void mc_dns_answer_clear(struct mc_dns_answer *a);

/* "127.0.0.1:53" → "127.0.0.1@53" (unbound's form); 0, or -1 when malformed. */
int mc_dns_server_parse(const char *server, char *out, size_t outlen);

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

#endif

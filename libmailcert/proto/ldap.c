/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LDAP StartTLS (RFC 4511 section 4.14, OID 1.3.6.1.4.1.1466.20037): the
 * client speaks first with an ExtendedRequest; the server answers one
 * ExtendedResponse (section 4.12), resultCode success meaning go ahead.
 * The reply is BER (X.690) read with a small, strictly bounded reader:
 * one-byte tags, definite lengths in short or long form (Active Directory
 * writes 0x84 and four length bytes), nothing indefinite, nothing beyond
 * the message or MC_PENDING_MAX, and only the fixed shape of an
 * LDAPMessage carrying an ExtendedResponse, so nothing recurses.
 */
#include <string.h>

#include "dialogue.h"

#define STARTTLS_OID "1.3.6.1.4.1.1466.20037"
#define NOTICE_OID "1.3.6.1.4.1.1466.20036" /* Notice of Disconnection, section 4.4.1 */

/* LDAPMessage { messageID 1, [APPLICATION 23] { [0] STARTTLS_OID } }. */
static const uint8_t starttls_request[] = {
    0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.', '3', '.', '6', '.', '1',
    '.',  '4',  '.',  '1',  '.',  '1',  '4',  '6',  '6',  '.', '2', '0', '0', '3', '7'};

#define TAG_SEQUENCE 0x30
#define TAG_INTEGER 0x02
#define TAG_ENUMERATED 0x0a
#define TAG_OCTET_STRING 0x04
#define TAG_EXTENDED_RESPONSE 0x78 /* [APPLICATION 24], constructed */
#define TAG_REFERRAL 0xa3          /* [3], constructed */
#define TAG_RESPONSE_NAME 0x8a     /* [10], primitive */
#define TAG_RESPONSE_VALUE 0x8b    /* [11], primitive */
#define TAG_CONTROLS 0xa0          /* [0], constructed */

struct tlv {
	uint8_t tag;
	const uint8_t *value;
	size_t len;
	size_t total; /* tag, length and value */
};

enum ber_rc { BER_OK, BER_MORE, BER_BAD };

/*
 * One TLV at @p. BER_MORE when @len ends inside it (only possible for the
 * outer message; inside a complete message the caller takes it as BAD).
 */
static enum ber_rc ber_read(const uint8_t *p, size_t len, struct tlv *t)
{
	size_t hdr = 2, n = 0;

	if (len < 2)
		return BER_MORE;
	t->tag = p[0];
	if ((p[0] & 0x1f) == 0x1f) /* high tag numbers: none in LDAP */
		return BER_BAD;
	if (p[1] < 0x80) {
		n = p[1];
	} else {
		size_t k = p[1] & 0x7f;

		if (k == 0 || k > 4) /* indefinite, or longer than any message here */
			return BER_BAD;
		hdr = 2 + k;
		if (len < hdr)
			return BER_MORE;
		for (size_t i = 0; i < k; i++)
			n = n << 8 | p[2 + i];
	}
	if (n > MC_PENDING_MAX - hdr)
		return BER_BAD;
	if (len - hdr < n)
		return BER_MORE;
	t->value = p + hdr;
	t->len = n;
	t->total = hdr + n;
	return BER_OK;
}

/* The next TLV inside a complete value; -1 when malformed or past the end. */
static int ber_next(const uint8_t **p, size_t *len, struct tlv *t)
{
	if (ber_read(*p, *len, t) != BER_OK)
		return -1;
	*p += t->total;
	*len -= t->total;
	return 0;
}

/* A non-negative INTEGER or ENUMERATED of at most 4 bytes; -1 otherwise. */
static long ber_uint(const struct tlv *t)
{
	unsigned long v = 0;

	if (t->len < 1 || t->len > 4 || (t->value[0] & 0x80))
		return -1;
	for (size_t i = 0; i < t->len; i++)
		v = v << 8 | t->value[i];
	return (long)v;
}

static const char *result_name(long code)
{
	static const struct {
		long code;
		const char *name;
	} names[] = {
	    {0, "success"},
	    {1, "operationsError"},
	    {2, "protocolError"},
	    {3, "timeLimitExceeded"},
	    {4, "sizeLimitExceeded"},
	    {7, "authMethodNotSupported"},
	    {8, "strongerAuthRequired"},
	    {10, "referral"},
	    {11, "adminLimitExceeded"},
	    {12, "unavailableCriticalExtension"},
	    {13, "confidentialityRequired"},
	    {14, "saslBindInProgress"},
	    {48, "inappropriateAuthentication"},
	    {49, "invalidCredentials"},
	    {50, "insufficientAccessRights"},
	    {51, "busy"},
	    {52, "unavailable"},
	    {53, "unwillingToPerform"},
	    {54, "loopDetect"},
	    {80, "other"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].code == code)
			return names[i].name;
	}
	return "unknown result";
}

static const char *ldap_stage(const struct mc_dialogue *d)
{
	(void)d;
	return "reply to StartTLS";
}

/* The client speaks first (section 4.14.1). */
static enum mc_step ldap_start(struct mc_dialogue *d)
{
	return mc_dialogue_send_bytes(d, starttls_request, sizeof(starttls_request));
}

static int oid_is(const struct tlv *t, const char *oid)
{
	return t->len == strlen(oid) && memcmp(t->value, oid, t->len) == 0;
}

struct ext_response {
	long result;
	struct tlv diag;
	int has_name;
	struct tlv name;
};

/* The ExtendedResponse body; -1 when malformed. */
static int parse_response(const struct tlv *op, struct ext_response *r)
{
	const uint8_t *p = op->value;
	size_t len = op->len;
	struct tlv t;

	memset(r, 0, sizeof(*r));
	if (ber_next(&p, &len, &t) < 0 || t.tag != TAG_ENUMERATED || (r->result = ber_uint(&t)) < 0)
		return -1;
	if (ber_next(&p, &len, &t) < 0 || t.tag != TAG_OCTET_STRING) /* matchedDN */
		return -1;
	if (ber_next(&p, &len, &r->diag) < 0 || r->diag.tag != TAG_OCTET_STRING)
		return -1;
	if (len > 0 && p[0] == TAG_REFERRAL && ber_next(&p, &len, &t) < 0)
		return -1;
	if (len > 0 && p[0] == TAG_RESPONSE_NAME) {
		if (ber_next(&p, &len, &r->name) < 0)
			return -1;
		r->has_name = 1;
	}
	if (len > 0 && p[0] == TAG_RESPONSE_VALUE && ber_next(&p, &len, &t) < 0)
		return -1;
	return len == 0 ? 0 : -1;
}

static enum mc_step malformed(struct mc_dialogue *d, const uint8_t *p, size_t len)
{
	return mc_dialogue_fail(d, "protocol.unexpected", p, len,
				"the server's reply to StartTLS is not a well-formed LDAP "
				"ExtendedResponse");
}

static enum mc_step judge(struct mc_dialogue *d, const uint8_t *msg, size_t msg_len,
			  const struct tlv *outer)
{
	const uint8_t *p = outer->value;
	size_t len = outer->len;
	struct ext_response r;
	struct tlv id, op, t;
	long msgid;

	if (ber_next(&p, &len, &id) < 0 || id.tag != TAG_INTEGER || (msgid = ber_uint(&id)) < 0 ||
	    ber_next(&p, &len, &op) < 0)
		return malformed(d, msg, msg_len);
	/* Optional controls [0], then nothing. */
	if (len > 0 && (ber_next(&p, &len, &t) < 0 || t.tag != TAG_CONTROLS || len > 0))
		return malformed(d, msg, msg_len);
	if (op.tag != TAG_EXTENDED_RESPONSE)
		return mc_dialogue_fail(d, "protocol.unexpected", msg, msg_len,
					"the server answered StartTLS with LDAP operation tag "
					"0x%02x, not an ExtendedResponse",
					op.tag);
	if (parse_response(&op, &r) < 0)
		return malformed(d, msg, msg_len);
	if (msgid == 0 && r.has_name && oid_is(&r.name, NOTICE_OID))
		return mc_dialogue_fail(d, "protocol.unexpected", r.diag.value, r.diag.len,
					"the server answered StartTLS with a Notice of "
					"Disconnection (" NOTICE_OID "), result %s (%ld)",
					result_name(r.result), r.result);
	if (msgid != 1)
		return mc_dialogue_fail(d, "protocol.unexpected", msg, msg_len,
					"the server's reply to StartTLS has messageID %ld, not 1",
					msgid);
	if (r.has_name && !oid_is(&r.name, STARTTLS_OID))
		return mc_dialogue_fail(d, "protocol.unexpected", r.name.value, r.name.len,
					"the server's reply to StartTLS names another extended "
					"operation");
	if (r.result != 0)
		return mc_dialogue_fail(d, "starttls.refused", r.diag.value, r.diag.len,
					"the server refused StartTLS with result %s (%ld)",
					result_name(r.result), r.result);
	return MC_STEP_TLS;
}

static size_t ldap_bytes(struct mc_dialogue *d, const uint8_t *p, size_t len, enum mc_step *step)
{
	struct tlv outer;

	if (p[0] != TAG_SEQUENCE) {
		*step = mc_dialogue_fail(d, "protocol.unexpected", p, 1,
					 "the server answered StartTLS with byte 0x%02x, not an "
					 "LDAPMessage",
					 p[0]);
		return len;
	}
	switch (ber_read(p, len, &outer)) {
	case BER_MORE:
		return 0;
	case BER_BAD:
		*step = mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					 "the server's reply to StartTLS has a length that is "
					 "indefinite or beyond %d bytes",
					 MC_PENDING_MAX);
		return len;
	default:
		break;
	}
	*step = judge(d, p, outer.total, &outer);
	/* Exactly the message: dialogue.c judges anything after it. */
	return outer.total;
}

const struct mc_proto_ops mc_ldap_ops = {
    .go_ahead = "StartTLS success response",
    .start = ldap_start,
    .bytes = ldap_bytes,
    .stage = ldap_stage,
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SCT lists and what their signatures cover; see sct.h. */
#include <stdlib.h>
#include <string.h>

#include "model/sct.h"
#include "model/util.h"

/* ---- DER, as far as this file needs it --------------------------------- */

/* One TLV of a DER buffer: its tag byte, its value, and where it ends. */
struct tlv {
	unsigned tag;
	const unsigned char *start; /* the first byte of the tag */
	const unsigned char *val;
	size_t len;
	const unsigned char *end; /* one past the value */
};

/*
 * Reads the TLV at *@p within [@p, @lim): single-byte tags (all this file
 * meets), definite lengths of at most four bytes. 0 and *@p moved past it;
 * -1 when it does not fit.
 */
static int tlv_read(const unsigned char **p, const unsigned char *lim, struct tlv *t)
{
	const unsigned char *q = *p;
	size_t len = 0;

	if (lim - q < 2 || (q[0] & 0x1f) == 0x1f)
		return -1;
	t->start = q;
	t->tag = q[0];
	if (q[1] < 0x80) {
		len = q[1];
		q += 2;
	} else {
		unsigned k = q[1] & 0x7f;

		if (k == 0 || k > 4 || (size_t)(lim - q) < 2 + k)
			return -1;
		for (unsigned i = 0; i < k; i++)
			len = len << 8 | q[2 + i];
		q += 2 + k;
	}
	if ((size_t)(lim - q) < len)
		return -1;
	t->val = q;
	t->len = len;
	t->end = q + len;
	*p = t->end;
	return 0;
}

/* The DER length octets of @len into @out (5 bytes is enough); their count. */
static size_t der_len(unsigned char *out, size_t len)
{
	size_t k = 0;

	if (len < 0x80) {
		out[0] = (unsigned char)len;
		return 1;
	}
	for (size_t l = len; l; l >>= 8)
		k++;
	out[0] = (unsigned char)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		out[1 + i] = (unsigned char)(len >> (8 * (k - 1 - i)));
	return 1 + k;
}

/* Whether the OBJECT IDENTIFIER @t is the dotted OID whose DER value is @oid (@n bytes). */
static int oid_is(const struct tlv *t, const unsigned char *oid, size_t n)
{
	return t->tag == 0x06 && t->len == n && memcmp(t->val, oid, n) == 0;
}

/* 1.3.6.1.4.1.11129.2.4.2 (certificate) and .5 (OCSP), DER value bytes. */
static const unsigned char OID_CERT_SCT[] = {0x2b, 6, 1, 4, 1, 0xd6, 0x79, 2, 4, 2};
static const unsigned char OID_OCSP_SCT[] = {0x2b, 6, 1, 4, 1, 0xd6, 0x79, 2, 4, 5};
/* 1.3.6.1.5.5.7.48.1.1: id-pkix-ocsp-basic */
static const unsigned char OID_OCSP_BASIC[] = {0x2b, 6, 1, 5, 5, 7, 0x30, 1, 1};

/* ---- TLS-encoded SCT lists ------------------------------------------------ */

static size_t u16(const unsigned char *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static int parse_one(const unsigned char *p, size_t len, struct mc_sct *s, char *why,
		     size_t whylen)
{
	size_t off = 1 + 32 + 8;

	/* version(1) log_id(32) timestamp(8) extensions<0..2^16-1> hash(1) sig(1) signature<0..2^16-1> */
	if (len < off + 2) {
		mc_set_error(why, whylen, "an SCT of %zu bytes is too short", len);
		return -1;
	}
	memcpy(s->log_id, p + 1, 32);
	s->timestamp = 0;
	for (int i = 0; i < 8; i++)
		s->timestamp = s->timestamp << 8 | p[33 + i];
	s->ext_len = u16(p + off);
	off += 2;
	if (len - off < s->ext_len + 4) {
		mc_set_error(why, whylen, "an SCT's extensions run past its end");
		return -1;
	}
	s->ext = p + off;
	off += s->ext_len;
	s->hash_alg = p[off];
	s->sig_alg = p[off + 1];
	s->sig_len = u16(p + off + 2);
	off += 4;
	if (len - off != s->sig_len) {
		mc_set_error(why, whylen, "an SCT's signature does not end where the SCT does");
		return -1;
	}
	s->sig = p + off;
	return 0;
}

int mc_sct_list_parse(const unsigned char *p, size_t len, enum mc_sct_source source,
		      struct mc_sct *out, size_t max, size_t *n, size_t *dropped, char *why,
		      size_t whylen)
{
	size_t total, off = 2;

	if (len < 2 || (total = u16(p)) != len - 2) {
		mc_set_error(why, whylen, "the SCT list's length does not match its %zu bytes", len);
		return -1;
	}
	if (total == 0) {
		mc_set_error(why, whylen, "the SCT list is empty");
		return -1;
	}
	while (off < len) {
		size_t one;
		struct mc_sct s = {.source = source};

		if (len - off < 2 || (one = u16(p + off)) > len - off - 2 || one == 0) {
			mc_set_error(why, whylen, "an SCT's length runs past the end of its list");
			return -1;
		}
		off += 2;
		if (p[off] == 0) { /* v1; other versions are skipped */
			if (parse_one(p + off, one, &s, why, whylen) < 0)
				return -1;
			if (*n < max)
				out[(*n)++] = s;
			else
				(*dropped)++;
		}
		off += one;
	}
	return 0;
}

int mc_sct_unwrap(const unsigned char *p, size_t len, const unsigned char **list,
		  size_t *list_len)
{
	const unsigned char *q = p;
	struct tlv t;

	if (tlv_read(&q, p + len, &t) < 0 || t.tag != 0x04 || t.end != p + len)
		return -1;
	*list = t.val;
	*list_len = t.len;
	return 0;
}

/* ---- the precertificate ------------------------------------------------------ */

int mc_sct_precert_tbs(const unsigned char *der, size_t len, unsigned char **out,
		       size_t *outlen, char *why, size_t whylen)
{
	const unsigned char *p = der;
	struct tlv cert, tbs, field, exts_wrap, exts, ext, sct = {0};
	unsigned char hdr_tbs[6], hdr_wrap[6], hdr_exts[6];
	size_t n_tbs, n_wrap, n_exts, exts_len, wrap_len, tbs_len, others = 0;
	unsigned char *o;

	*out = NULL;
	if (tlv_read(&p, der + len, &cert) < 0 || cert.tag != 0x30)
		goto bad;
	p = cert.val;
	if (tlv_read(&p, cert.end, &tbs) < 0 || tbs.tag != 0x30)
		goto bad;
	/* The TBS's fields up to extensions [3], the last one. */
	p = tbs.val;
	exts_wrap.tag = 0;
	while (p < tbs.end) {
		if (tlv_read(&p, tbs.end, &field) < 0)
			goto bad;
		if (field.tag == 0xa3) {
			exts_wrap = field;
			break;
		}
	}
	if (exts_wrap.tag != 0xa3)
		goto none;
	if (exts_wrap.end != tbs.end) /* extensions are the TBS's last field */
		goto bad;
	p = exts_wrap.val;
	if (tlv_read(&p, exts_wrap.end, &exts) < 0 || exts.tag != 0x30 || p != exts_wrap.end)
		goto bad;
	for (p = exts.val; p < exts.end;) {
		const unsigned char *q;
		struct tlv oid;

		if (tlv_read(&p, exts.end, &ext) < 0 || ext.tag != 0x30)
			goto bad;
		q = ext.val;
		if (tlv_read(&q, ext.end, &oid) < 0)
			goto bad;
		if (oid_is(&oid, OID_CERT_SCT, sizeof(OID_CERT_SCT))) {
			if (sct.start) {
				mc_set_error(why, whylen, "the certificate has two SCT list extensions");
				return -1;
			}
			sct = ext;
		} else {
			others++;
		}
	}
	if (!sct.start)
		goto none;
	exts_len = exts.len - (size_t)(sct.end - sct.start);
	n_exts = der_len(hdr_exts + 1, exts_len) + 1;
	hdr_exts[0] = 0x30;
	wrap_len = n_exts + exts_len;
	n_wrap = der_len(hdr_wrap + 1, wrap_len) + 1;
	hdr_wrap[0] = 0xa3;
	/* The fields before [3], then [3] unless the SCT list was all of it. */
	tbs_len = (size_t)(exts_wrap.start - tbs.val) + (others ? n_wrap + wrap_len : 0);
	n_tbs = der_len(hdr_tbs + 1, tbs_len) + 1;
	hdr_tbs[0] = 0x30;
	o = malloc(n_tbs + tbs_len);
	if (!o) {
		mc_set_error(why, whylen, "out of memory");
		return -1;
	}
	*out = o;
	memcpy(o, hdr_tbs, n_tbs);
	o += n_tbs;
	memcpy(o, tbs.val, (size_t)(exts_wrap.start - tbs.val));
	o += exts_wrap.start - tbs.val;
	if (others) {
		memcpy(o, hdr_wrap, n_wrap);
		o += n_wrap;
		memcpy(o, hdr_exts, n_exts);
		o += n_exts;
		memcpy(o, exts.val, (size_t)(sct.start - exts.val));
		o += sct.start - exts.val;
		memcpy(o, sct.end, (size_t)(exts.end - sct.end));
		o += exts.end - sct.end;
	}
	*outlen = (size_t)(o - *out);
	return 0;
none:
	mc_set_error(why, whylen, "the certificate has no SCT list extension");
	return -1;
bad:
	mc_set_error(why, whylen, "the certificate's DER could not be read");
	return -1;
}

/* ---- OCSP ------------------------------------------------------------------ */

/* The SCT extension among the Extensions SEQUENCE @exts: 1 and its list, 0, -1. */
static int find_ocsp_ext(const struct tlv *exts, const unsigned char **list, size_t *list_len)
{
	const unsigned char *p = exts->val;
	struct tlv ext, oid, v;

	while (p < exts->end) {
		const unsigned char *q;

		if (tlv_read(&p, exts->end, &ext) < 0 || ext.tag != 0x30)
			return -1;
		q = ext.val;
		if (tlv_read(&q, ext.end, &oid) < 0)
			return -1;
		if (!oid_is(&oid, OID_OCSP_SCT, sizeof(OID_OCSP_SCT)))
			continue;
		if (tlv_read(&q, ext.end, &v) < 0)
			return -1;
		if (v.tag == 0x01 && tlv_read(&q, ext.end, &v) < 0) /* critical */
			return -1;
		if (v.tag != 0x04 || mc_sct_unwrap(v.val, v.len, list, list_len) < 0)
			return -1;
		return 1;
	}
	return 0;
}

int mc_sct_from_ocsp(const unsigned char *der, size_t len, const unsigned char **list,
		     size_t *list_len)
{
	const unsigned char *p = der, *q;
	struct tlv resp, status, bytes_wrap, bytes, type, octets, basic, tbs, f, responses, single;

	/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ... } */
	if (tlv_read(&p, der + len, &resp) < 0 || resp.tag != 0x30)
		return -1;
	p = resp.val;
	if (tlv_read(&p, resp.end, &status) < 0 || status.tag != 0x0a)
		return -1;
	if (p == resp.end)
		return 0; /* no responseBytes: an error status */
	if (tlv_read(&p, resp.end, &bytes_wrap) < 0 || bytes_wrap.tag != 0xa0)
		return -1;
	q = bytes_wrap.val;
	if (tlv_read(&q, bytes_wrap.end, &bytes) < 0 || bytes.tag != 0x30)
		return -1;
	q = bytes.val;
	if (tlv_read(&q, bytes.end, &type) < 0 || !oid_is(&type, OID_OCSP_BASIC, sizeof(OID_OCSP_BASIC)))
		return 0;
	if (tlv_read(&q, bytes.end, &octets) < 0 || octets.tag != 0x04)
		return -1;
	/* BasicOCSPResponse ::= SEQUENCE { tbsResponseData SEQUENCE { [0] version OPTIONAL,
	 * responderID, producedAt, responses SEQUENCE OF SingleResponse, ... }, ... } */
	q = octets.val;
	if (tlv_read(&q, octets.end, &basic) < 0 || basic.tag != 0x30)
		return -1;
	q = basic.val;
	if (tlv_read(&q, basic.end, &tbs) < 0 || tbs.tag != 0x30)
		return -1;
	q = tbs.val;
	if (tlv_read(&q, tbs.end, &f) < 0)
		return -1;
	if (f.tag == 0xa0 && tlv_read(&q, tbs.end, &f) < 0) /* version, then responderID */
		return -1;
	if (tlv_read(&q, tbs.end, &f) < 0 || f.tag != 0x18) /* producedAt */
		return -1;
	if (tlv_read(&q, tbs.end, &responses) < 0 || responses.tag != 0x30)
		return -1;
	/* SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, [0] nextUpdate
	 * OPTIONAL, [1] singleExtensions OPTIONAL } */
	for (q = responses.val; q < responses.end;) {
		const unsigned char *r;

		if (tlv_read(&q, responses.end, &single) < 0 || single.tag != 0x30)
			return -1;
		/* certID, certStatus (whose revoked is [1] too), thisUpdate; then the optional ones. */
		r = single.val;
		for (int k = 0; k < 3; k++)
			if (tlv_read(&r, single.end, &f) < 0)
				return -1;
		while (r < single.end) {
			if (tlv_read(&r, single.end, &f) < 0)
				return -1;
			if (f.tag == 0xa1) {
				const unsigned char *s = f.val;
				struct tlv exts;
				int found;

				if (tlv_read(&s, f.end, &exts) < 0 || exts.tag != 0x30)
					return -1;
				found = find_ocsp_ext(&exts, list, list_len);
				if (found)
					return found;
			}
		}
	}
	return 0;
}

/* ---- signed data --------------------------------------------------------------- */

int mc_sct_signed_data(const struct mc_sct *sct, const unsigned char *entry, size_t entry_len,
		       const unsigned char *issuer_key_hash, unsigned char **out, size_t *outlen)
{
	size_t n = 1 + 1 + 8 + 2 + (issuer_key_hash ? 32 : 0) + 3 + entry_len + 2 + sct->ext_len;
	unsigned char *o;

	*out = NULL;
	if (entry_len > 0xffffff)
		return -1;
	o = malloc(n);
	if (!o)
		return -1;
	*out = o;
	*o++ = 0; /* sct_version v1 */
	*o++ = 0; /* signature_type certificate_timestamp */
	for (int i = 7; i >= 0; i--)
		*o++ = (unsigned char)(sct->timestamp >> (8 * i));
	*o++ = 0;
	*o++ = issuer_key_hash ? 1 : 0; /* entry_type: x509_entry, precert_entry */
	if (issuer_key_hash) {
		memcpy(o, issuer_key_hash, 32);
		o += 32;
	}
	*o++ = (unsigned char)(entry_len >> 16);
	*o++ = (unsigned char)(entry_len >> 8);
	*o++ = (unsigned char)entry_len;
	memcpy(o, entry, entry_len);
	o += entry_len;
	*o++ = (unsigned char)(sct->ext_len >> 8);
	*o++ = (unsigned char)sct->ext_len;
	if (sct->ext_len)
		memcpy(o, sct->ext, sct->ext_len);
	*outlen = n;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for DNS record data (libmailcert/model/dnsrr.c) and the DANE
 * inputs (libmailcert/model/tlsa.c): the input is RDATA as libunbound
 * hands it over, fed to every record parser, and, as a NUL-terminated
 * string, a --tlsa record and a --resolver address.
 *
 * The RDATA is copied to a buffer of exactly its length, so that
 * AddressSanitizer sees a read past its end. Besides memory errors it
 * checks what the callers rely on: a name is plain lowercase host-name
 * text that encodes back to the bytes it was read from, every output is
 * NUL-terminated inside its buffer, an address reads back as the same
 * bytes, a TLSA record keeps its data and has the length its matching
 * type needs, and a resolver address parses back to itself.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/dnsrr.h"
#include "model/internal.h"

#define MAX_INPUT 4096 /* RDATA is at most 65535 bytes, but nothing here loops on more */

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * @name (filled with 0xff before the call) is a plain name that encodes
 * to exactly @wire[0..len), up to case.
 */
static void check_name(const char name[MC_DNS_NAME_MAX], const unsigned char *wire, size_t len)
{
	const char *end = memchr(name, '\0', MC_DNS_NAME_MAX);
	size_t n, o = 0;

	require(end);
	n = (size_t)(end - name);
	require(n <= 253);
	for (size_t i = 0; i <= n;) {
		size_t l = strcspn(name + i, ".");

		/* Labels of 1 to 63 characters; "" (the root) is one empty name. */
		require(l <= 63 && (l > 0 || n == 0));
		require(o + 1 + l <= len && wire[o] == l);
		for (size_t k = 0; k < l; k++) {
			require(name_char(name[i + k]));
			require(lower(wire[o + 1 + k]) == (unsigned char)name[i + k]);
		}
		o += 1 + l;
		i += l + 1;
		if (l == 0)
			break;
	}
	if (n > 0) {
		require(o < len && wire[o] == 0);
		o++;
	}
	require(o == len);
}

static void names(const unsigned char *rr, size_t size)
{
	char name[MC_DNS_NAME_MAX];
	size_t off = 0;

	/* A sequence of names, as in a record holding several. */
	while (off < size) {
		size_t before = off;

		memset(name, 0xff, sizeof(name));
		if (mc_rr_name(rr, size, &off, name) < 0) {
			require(off == before);
			break;
		}
		require(off > before && off <= size);
		check_name(name, rr + before, off - before);
	}
}

static void mx(const unsigned char *rr, size_t size)
{
	char host[MC_DNS_NAME_MAX];
	unsigned pref = 70000;

	memset(host, 0xff, sizeof(host));
	if (mc_rr_mx(rr, size, &pref, host) < 0)
		return;
	require(size >= 3);
	require(pref == ((unsigned)rr[0] << 8 | rr[1]));
	check_name(host, rr + 2, size - 2);
}

static void txt(const unsigned char *rr, size_t size)
{
	static const size_t outlens[] = {1, 16, 256, MAX_INPUT + 1};
	char out[MAX_INPUT + 2];

	for (size_t k = 0; k < sizeof(outlens) / sizeof(outlens[0]); k++) {
		size_t outlen = outlens[k], used = (size_t)-1, w = 0;

		memset(out, 0xff, sizeof(out));
		if (mc_rr_txt(rr, size, out, outlen, &used) < 0) {
			require((unsigned char)out[outlen] == 0xff);
			continue;
		}
		require(used < outlen && out[used] == '\0');
		require((unsigned char)out[outlen] == 0xff);
		/* The strings, joined in order. */
		for (size_t o = 0; o < size; o += 1 + rr[o]) {
			require(o + 1 + rr[o] <= size);
			require(memcmp(out + w, rr + o + 1, rr[o]) == 0);
			w += rr[o];
		}
		require(w == used);
	}
}

static void addr(const unsigned char *rr, size_t size)
{
	char out[64];
	unsigned char back[16];

	memset(out, 0xff, sizeof(out));
	if (mc_rr_addr(rr, size, MC_RR_A, out, sizeof(out)) == 0) {
		require(size == 4 && memchr(out, '\0', sizeof(out)));
		require(inet_pton(AF_INET, out, back) == 1 && memcmp(back, rr, 4) == 0);
	} else {
		require(size != 4);
	}
	memset(out, 0xff, sizeof(out));
	if (mc_rr_addr(rr, size, MC_RR_AAAA, out, sizeof(out)) == 0) {
		require(size == 16 && memchr(out, '\0', sizeof(out)));
		require(inet_pton(AF_INET6, out, back) == 1 && memcmp(back, rr, 16) == 0);
	} else {
		require(size != 16);
	}
	/* Too small an output is a refusal, never a cut address. */
	if (size == 4 && mc_rr_addr(rr, size, MC_RR_A, out, 8) == 0)
		require(strlen(out) < 8);
}

static void tlsa_rdata(const unsigned char *rr, size_t size)
{
	struct mc_tlsa t;

	if (mc_tlsa_parse_rdata(&t, rr, size) < 0) {
		require(t.data == NULL);
		require(size < 4 || size - 3 > MC_TLSA_DATA_MAX);
		return;
	}
	require(t.usage == rr[0] && t.selector == rr[1] && t.mtype == rr[2]);
	require(t.len == size - 3 && memcmp(t.data, rr + 3, t.len) == 0);
	free(t.data);
}

/* An error message: ends inside @err, one line (UTF-8 allowed: "…"). */
static void check_reason(const char *err, size_t len)
{
	const char *end = memchr(err, '\0', len);

	require(end && end > err);
	for (const char *p = err; p < end; p++)
		require((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void tlsa_text(const char *text)
{
	struct mc_tlsa t;
	char err[256];

	memset(err, 0xff, sizeof(err));
	if (mc_tlsa_parse_text(&t, text, err, sizeof(err)) < 0) {
		require(t.data == NULL);
		check_reason(err, sizeof(err));
		return;
	}
	require((t.len > 0 || t.mtype > 2) && t.len <= MC_TLSA_DATA_MAX);
	require(t.mtype != 1 || t.len == 32);
	require(t.mtype != 2 || t.len == 64);
	free(t.data);
}

static void server(const char *text)
{
	char out[80], again[80], input[96];
	const char *at;
	int v6;

	memset(out, 0xff, sizeof(out));
	if (mc_dns_server_parse(text, out, sizeof(out)) < 0)
		return;
	require(memchr(out, '\0', sizeof(out)));
	at = strrchr(out, '@');
	require(at && at > out);
	require(atol(at + 1) >= 1 && atol(at + 1) <= 65535);
	/* "ADDR@PORT" written back as input parses to itself. */
	v6 = memchr(out, ':', (size_t)(at - out)) != NULL;
	snprintf(input, sizeof(input), "%s%.*s%s:%s", v6 ? "[" : "", (int)(at - out), out,
		 v6 ? "]" : "", at + 1);
	require(mc_dns_server_parse(input, again, sizeof(again)) == 0);
	require(strcmp(out, again) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *rr;
	char *text;

	if (size > MAX_INPUT)
		return 0;
	rr = malloc(size); /* malloc(0) too: ASan then flags any read */
	text = malloc(size + 1);
	require((rr || size == 0) && text);
	memcpy(rr, data, size);
	memcpy(text, data, size);
	text[size] = '\0'; /* an embedded NUL just ends the text sooner */

	names(rr, size);
	mx(rr, size);
	txt(rr, size);
	addr(rr, size);
	tlsa_rdata(rr, size);
	tlsa_text(text);
	server(text);

	free(text);
	free(rr);
	return 0;
}

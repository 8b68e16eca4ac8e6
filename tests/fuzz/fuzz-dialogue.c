/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the dialogues: the server's bytes, fed in pieces.
 *
 * The first input byte steers the run, the rest is what the server sends:
 *   bits 0-1  protocol: 0 implicit TLS, 1 SMTP, 2 LMTP, 3 the next byte
 *             names it (its value mod 16 is a mailcert_protocol: '3' IMAP,
 *             '4' POP3, … '=' IRC; its bit 4 sets the unadvertised
 *             parameter, so 'C' is a POP3 that sends STLS without CAPA)
 *   bit 2     pieces end at each LF (so replies line up with the commands
 *             and the fuzzer reaches STARTTLS), else sizes from bits 3-7
 *   bits 3-7  seed of the piece sizes; 0 feeds everything in one call
 * Seeds in corpus/dialogue/ start with a printable steering byte, e.g. '%'
 * (SMTP, by line) or '&' (LMTP, by line), so they stay plain text.
 *
 * Besides memory errors, it checks that the machine stays consistent: a
 * failure is final and unchanged, output only comes with WRITE, anything
 * after TLS fails, and EOF always ends in a failure; for SMTP and LMTP also
 * that output is one CRLF-terminated line, nothing is sent after STARTTLS
 * and TLS only follows STARTTLS.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto/proto.h"

struct run {
	struct mc_dialogue *d;
	mailcert_protocol proto;
	enum mc_step step;
	int sent_starttls;
	const char *code;
	char *message; /* a copy, once failed */
};

static void check_output(struct run *r)
{
	size_t len;
	const uint8_t *out = mc_dialogue_output(r->d, &len);

	if (r->step != MC_STEP_WRITE && r->step != MC_STEP_WRITE_TLS) {
		require(len == 0);
		return;
	}
	if (r->proto != MAILCERT_PROTO_SMTP && r->proto != MAILCERT_PROTO_LMTP)
		return;
	require(!r->sent_starttls);
	require(len >= 2 && out[len - 2] == '\r' && out[len - 1] == '\n');
	require(!memchr(out, '\n', len - 1) && !memchr(out, '\r', len - 2));
	r->sent_starttls = len == 10 && memcmp(out, "STARTTLS\r\n", 10) == 0;
}

static void check_failure(struct run *r)
{
	const char *message, *code = mc_dialogue_failure(r->d, &message);

	if (r->step != MC_STEP_FAIL) {
		require(!code && !message);
		return;
	}
	require(code && message && strlen(message) < 512);
	for (const char *c = message; *c; c++)
		require(*c >= 0x20 && *c < 0x7f);
	if (r->code) {
		require(strcmp(code, r->code) == 0 && strcmp(message, r->message) == 0);
		return;
	}
	r->code = code;
	r->message = strdup(message);
	require(r->message);
}

static void feed(struct run *r, const uint8_t *p, size_t len)
{
	enum mc_step before = r->step;
	int go = before == MC_STEP_TLS || before == MC_STEP_WRITE_TLS;

	r->step = mc_dialogue_input(r->d, p, len);
	if (before == MC_STEP_FAIL || go || len == 0)
		require(r->step == MC_STEP_FAIL);
	if (go && len > 0 && r->proto != MAILCERT_PROTO_NONE)
		require(strcmp(mc_dialogue_failure(r->d, NULL), "starttls.injection") == 0);
	if (r->step == MC_STEP_TLS &&
	    (r->proto == MAILCERT_PROTO_SMTP || r->proto == MAILCERT_PROTO_LMTP))
		require(r->sent_starttls);
	check_output(r);
	check_failure(r);
}

static size_t next_piece(const uint8_t *p, size_t len, int by_line, uint32_t *seed)
{
	const uint8_t *lf;

	if (by_line) {
		lf = memchr(p, '\n', len);
		return lf ? (size_t)(lf - p) + 1 : len;
	}
	if (*seed == 0)
		return len;
	*seed = *seed * 1103515245u + 12345u;
	/* Mostly small pieces, sometimes large ones, to cross every boundary. */
	return 1 + (*seed >> 16) % ((*seed >> 8) % 4 == 0 ? 4096 : 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mailcert_protocol protos[] = {MAILCERT_PROTO_NONE, MAILCERT_PROTO_SMTP,
						   MAILCERT_PROTO_LMTP, MAILCERT_PROTO_SMTP};
	struct mc_dialogue_params params = {.helo = "fuzz.example", .domain = "fuzz.example"};
	struct run r = {0};
	uint32_t seed;
	int by_line;

	if (size < 1)
		return 0;
	r.proto = protos[data[0] & 3];
	by_line = data[0] & 4;
	seed = data[0] >> 3;
	if ((data[0] & 3) == 3 && size >= 2) {
		r.proto = (mailcert_protocol)(data[1] % 16);
		params.unadvertised = data[1] & 0x10;
		if (!mc_dialogue_supported(r.proto))
			r.proto = MAILCERT_PROTO_SMTP;
		data++;
		size--;
	}
	data++;
	size--;

	/* The wrong-port diagnosis reads the same untrusted first bytes. */
	(void)mc_recognise_plaintext(data, size, seed);
	(void)mc_looks_like_tls(data, size);

	r.d = mc_dialogue_new(r.proto, &params);
	require(r.d);
	r.step = mc_dialogue_start(r.d);
	if (r.proto == MAILCERT_PROTO_NONE)
		require(r.step == MC_STEP_TLS);
	check_output(&r);
	check_failure(&r);
	while (size > 0) {
		size_t n = next_piece(data, size, by_line, &seed);

		if (n > size)
			n = size;
		feed(&r, data, n);
		data += n;
		size -= n;
	}
	feed(&r, NULL, 0);
	feed(&r, (const uint8_t *)"x", 1);
	free(r.message);
	mc_dialogue_free(r.d);
	return 0;
}

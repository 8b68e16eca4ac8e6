/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MySQL and MariaDB TLS (MySQL client/server protocol, "Connection Phase"):
 * the server greets with a HandshakeV10 packet whose capability flags say
 * CLIENT_SSL, the client answers with an SSLRequest packet (a
 * HandshakeResponse41 cut after its fixed part) and starts TLS at once:
 * the server sends nothing in between, so its greeting is the go-ahead and
 * the request is written with WRITE_TLS. A server that will not talk to
 * this host sends an ERR packet instead of the greeting.
 *
 * Every packet: a 3-byte little-endian payload length, a sequence id, the
 * payload.
 */
#include <string.h>

#include "dialogue.h"

#define HEADER_LEN 4
#define GREETING_MAX (MC_PENDING_MAX - HEADER_LEN) /* no greeting comes near */

/* Capability flags ("Capability Flags" in the protocol documentation). */
#define CLIENT_LONG_PASSWORD 0x00000001u
#define CLIENT_PROTOCOL_41 0x00000200u
#define CLIENT_SSL 0x00000800u
#define CLIENT_SECURE_CONNECTION 0x00008000u

#define SSL_REQUEST_LEN 32
#define CHARSET_UTF8 33 /* utf8_general_ci, as openssl s_client -starttls mysql sends */

/* HandshakeV10 after the server version: connection id, auth data part 1, filler. */
#define BEFORE_CAPABILITIES (4 + 8 + 1)

static const char *mysql_stage(const struct mc_dialogue *d)
{
	(void)d;
	return "greeting";
}

/* The server speaks first. */
static enum mc_step mysql_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_READ;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * The SSLRequest: header (length 32, sequence 1), capability flags, max
 * packet size, character set, 23 reserved zero bytes. Then TLS, unanswered.
 */
static enum mc_step send_ssl_request(struct mc_dialogue *d)
{
	uint8_t pkt[HEADER_LEN + SSL_REQUEST_LEN] = {SSL_REQUEST_LEN, 0, 0, 1};
	enum mc_step step;

	put_le32(pkt + 4,
		 CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION);
	put_le32(pkt + 8, 1u << 24); /* max packet size: 16 MiB */
	pkt[12] = CHARSET_UTF8;
	step = mc_dialogue_send_bytes(d, pkt, sizeof(pkt));
	return step == MC_STEP_WRITE ? MC_STEP_WRITE_TLS : step;
}

/* ERR_Packet: 0xff, error code, ["#" SQLSTATE, when the server assumes a 4.1 client], text. */
static enum mc_step err_packet(struct mc_dialogue *d, const uint8_t *p, size_t len)
{
	unsigned code;

	if (len < 3)
		return mc_dialogue_fail(d, "protocol.unexpected", p, len,
					"the server sent a malformed error packet instead of its "
					"greeting");
	code = p[1] | (unsigned)p[2] << 8;
	p += 3;
	len -= 3;
	if (len >= 6 && p[0] == '#') {
		p += 6;
		len -= 6;
	}
	return mc_dialogue_fail(d, "protocol.unexpected", p, len,
				"the server refused the connection with error %u instead of its "
				"greeting",
				code);
}

/* HandshakeV10: version 10, server version NUL, then the fixed fields. */
static enum mc_step greeting(struct mc_dialogue *d, const uint8_t *p, size_t len)
{
	const uint8_t *nul;
	size_t version_len, caps_at;
	unsigned caps;

	if (p[0] != 10)
		return mc_dialogue_fail(d, "protocol.unexpected", p, len,
					"the server's greeting has protocol version %u, not 10",
					p[0]);
	nul = memchr(p + 1, 0, len - 1);
	if (!nul)
		return mc_dialogue_fail(
		    d, "protocol.unexpected", p, len,
		    "the server's greeting is malformed (no end to its version)");
	version_len = (size_t)(nul - (p + 1));
	caps_at = 1 + version_len + 1 + BEFORE_CAPABILITIES;
	if (len < caps_at + 2)
		return mc_dialogue_fail(d, "protocol.unexpected", p, len,
					"the server's greeting is malformed (too short for its "
					"capabilities)");
	caps = p[caps_at] | (unsigned)p[caps_at + 1] << 8;
	if (!(caps & CLIENT_SSL))
		return mc_dialogue_fail(d, "starttls.not-offered", p + 1, version_len,
					"the server's greeting does not offer SSL (no CLIENT_SSL "
					"capability: TLS is not configured); its version");
	return send_ssl_request(d);
}

static size_t mysql_bytes(struct mc_dialogue *d, const uint8_t *p, size_t len, enum mc_step *step)
{
	size_t n;

	if (len < HEADER_LEN)
		return 0;
	n = p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
	if (n == 0 || n > GREETING_MAX) {
		*step =
		    mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
				     "the server's greeting announces a packet of %zu bytes (1 to "
				     "%d are possible)",
				     n, GREETING_MAX);
		return len;
	}
	if (p[3] != 0) {
		*step = mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					 "the server's greeting has sequence id %u, not 0", p[3]);
		return len;
	}
	if (len < HEADER_LEN + n)
		return 0;
	if (p[HEADER_LEN] == 0xff)
		*step = err_packet(d, p + HEADER_LEN, n);
	else
		*step = greeting(d, p + HEADER_LEN, n);
	return HEADER_LEN + n;
}

const struct mc_proto_ops mc_mysql_ops = {
	.go_ahead = "greeting offering SSL",
	.start = mysql_start,
	.bytes = mysql_bytes,
	.stage = mysql_stage,
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of DNS record data as libunbound returns it (wire form, names
 * uncompressed). The bytes come from the network: every read is bounded
 * by the record's length, and names are kept only when they are plain
 * host names, so they are safe to print and to connect to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dnsrr.h"

static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int mc_dns_name_text(const char *in, char out[MC_DNS_NAME_MAX])
{
	size_t n = strlen(in), label = 0;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= MC_DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (!name_char(c) || ++label > 63) {
			return -1;
		}
		out[i] = (char)c;
	}
	out[n] = '\0';
	return label > 0 ? 0 : -1;
}

int mc_rr_name(const unsigned char *rdata, size_t len, size_t *off, char out[MC_DNS_NAME_MAX])
{
	size_t o = *off, w = 0;

	/* At most 127 labels fit in 255 octets; the bound makes the loop finite. */
	for (int labels = 0; labels < 128; labels++) {
		size_t l;

		if (o >= len)
			return -1;
		l = rdata[o++];
		if (l == 0) {
			out[w] = '\0';
			*off = o;
			return 0;
		}
		/* 0xC0: a compression pointer, which RDATA from libunbound never has. */
		if (l > 63 || l > len - o || w + l + 1 >= MC_DNS_NAME_MAX)
			return -1;
		if (w)
			out[w++] = '.';
		for (size_t i = 0; i < l; i++) {
			unsigned char c = rdata[o + i];

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (!name_char(c))
				return -1;
			out[w++] = (char)c;
		}
		o += l;
	}
	return -1;
}

int mc_rr_mx(const unsigned char *rdata, size_t len, unsigned *pref, char host[MC_DNS_NAME_MAX])
{
	size_t off = 2;

	if (len < 3)
		return -1;
	*pref = (unsigned)rdata[0] << 8 | rdata[1];
	return mc_rr_name(rdata, len, &off, host) == 0 && off == len ? 0 : -1;
}

int mc_rr_txt(const unsigned char *rdata, size_t len, char *out, size_t outlen, size_t *used)
{
	size_t w = 0;

	if (outlen == 0)
		return -1;
	for (size_t o = 0; o < len;) {
		size_t l = rdata[o++];

		if (l > len - o || l >= outlen - w)
			return -1;
		memcpy(out + w, rdata + o, l);
		w += l;
		o += l;
	}
	out[w] = '\0';
	*used = w;
	return 0;
}

int mc_rr_addr(const unsigned char *rdata, size_t len, int type, char *out, size_t outlen)
{
	int af = type == MC_RR_A ? AF_INET : AF_INET6;

	if (len != (af == AF_INET ? 4u : 16u))
		return -1;
	return inet_ntop(af, rdata, out, (socklen_t)outlen) ? 0 : -1;
}

void mc_dns_answer_clear(struct mc_dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->rr[i].data);
	memset(a, 0, sizeof(*a));
}

int mc_dns_server_parse(const char *server, char *out, size_t outlen)
{
	char host[64];
	const char *port = NULL, *end;
	unsigned char buf[16];
	size_t hlen;
	char *stop;
	long p = 53;

	if (server[0] == '[') {
		end = strchr(server, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return -1;
		hlen = (size_t)(end - server - 1);
		server++;
		if (end[1] == ':')
			port = end + 2;
	} else {
		end = strchr(server, ':');
		/* Two colons or more: an IPv6 address without a port. */
		if (end && strchr(end + 1, ':'))
			end = NULL;
		hlen = end ? (size_t)(end - server) : strlen(server);
		if (end)
			port = end + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, server, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
		return -1;
	if (port) {
		errno = 0;
		p = strtol(port, &stop, 10);
		if (*port < '0' || *port > '9' || *stop || errno || p < 1 || p > 65535)
			return -1;
	}
	return snprintf(out, outlen, "%s@%ld", host, p) < (int)outlen ? 0 : -1;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* vasprintf, strndup */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/internal.h"
#include "proto/proto.h"

struct mailcert_target {
	const struct scheme *scheme;
	char *host;
	unsigned port;
	int port_guessed;
	char *string;
};

struct scheme {
	const char *name;
	mailcert_protocol proto;
	unsigned port; /* 0: no customary port, one must be given */
	const char *implicit; /* the implicit-TLS scheme of a STARTTLS one */
};

/* docs/design.md's protocol table. For a bare host:port the first scheme with
 * that port wins, so the more common spelling comes first. */
static const struct scheme schemes[] = {
	{"smtp", MAILCERT_PROTO_SMTP, 25, "smtps"},
	{"submission", MAILCERT_PROTO_SMTP, 587, "submissions"},
	{"smtps", MAILCERT_PROTO_NONE, 465, NULL},
	{"submissions", MAILCERT_PROTO_NONE, 465, NULL},
	{"lmtp", MAILCERT_PROTO_LMTP, 24, "tls"},
	{"imap", MAILCERT_PROTO_IMAP, 143, "imaps"},
	{"imaps", MAILCERT_PROTO_NONE, 993, NULL},
	{"pop3", MAILCERT_PROTO_POP3, 110, "pop3s"},
	{"pop3s", MAILCERT_PROTO_NONE, 995, NULL},
	{"sieve", MAILCERT_PROTO_SIEVE, 4190, "tls"},
	{"nntp", MAILCERT_PROTO_NNTP, 119, "nntps"},
	{"nntps", MAILCERT_PROTO_NONE, 563, NULL},
	{"ftp", MAILCERT_PROTO_FTP, 21, "ftps"},
	{"ftps", MAILCERT_PROTO_NONE, 990, NULL},
	{"xmpp", MAILCERT_PROTO_XMPP, 5222, "xmpps"},
	{"xmpp-server", MAILCERT_PROTO_XMPP_SERVER, 5269, "tls"},
	{"xmpps", MAILCERT_PROTO_NONE, 5223, NULL},
	{"ldap", MAILCERT_PROTO_LDAP, 389, "ldaps"},
	{"ldaps", MAILCERT_PROTO_NONE, 636, NULL},
	{"postgres", MAILCERT_PROTO_POSTGRES, 5432, "tls"},
	{"mysql", MAILCERT_PROTO_MYSQL, 3306, "tls"},
	{"irc", MAILCERT_PROTO_IRC, 6667, "ircs"},
	{"ircs", MAILCERT_PROTO_NONE, 6697, NULL},
	{"https", MAILCERT_PROTO_NONE, 443, NULL},
	{"tls", MAILCERT_PROTO_NONE, 0, NULL},
};

#define N_SCHEMES (sizeof(schemes) / sizeof(schemes[0]))

const char *mc_scheme_name(size_t i)
{
	return i < N_SCHEMES ? schemes[i].name : NULL;
}

static const struct scheme *scheme_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < N_SCHEMES; i++)
		if (strlen(schemes[i].name) == len && strncasecmp(schemes[i].name, name, len) == 0)
			return &schemes[i];
	return NULL;
}

static const struct scheme *scheme_by_port(unsigned port)
{
	for (size_t i = 0; i < N_SCHEMES; i++)
		if (schemes[i].port == port)
			return &schemes[i];
	return NULL;
}

static int parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* Brackets hold an IPv6 address, with an optional zone id ("fe80::1%eth0"). */
static int valid_ipv6(const char *h)
{
	unsigned char addr[16];
	char buf[64];
	size_t n = strcspn(h, "%");

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

static int valid_host(const char *h, int bracketed)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253)
		return 0;
	for (; *h; h++) {
		unsigned char c = (unsigned char)*h;

		/* Letters, digits and the separators of names and addresses;
		 * '%' for IPv6 zone ids. Anything else is a typo or an attack
		 * on whatever prints the target later. */
		if (!isalnum(c) && c != '.' && c != '-' && c != '_' &&
		    !(bracketed && (c == ':' || c == '%')))
			return 0;
	}
	return 1;
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port" into @host and @port text. */
static int split_authority(const char *a, char **host, const char **port, int *bracketed,
			   char *err, size_t errlen)
{
	const char *colon;

	*bracketed = a[0] == '[';
	if (*bracketed) {
		const char *close = strchr(a, ']');

		if (!close) {
			mc_set_error(err, errlen, "unclosed '[' in \"%s\"", a);
			return MAILCERT_E_INVALID;
		}
		if (close[1] != '\0' && close[1] != ':') {
			mc_set_error(err, errlen, "unexpected text after ']' in \"%s\"", a);
			return MAILCERT_E_INVALID;
		}
		*host = strndup(a + 1, (size_t)(close - a - 1));
		*port = close[1] == ':' ? close + 2 : NULL;
		return *host ? 0 : MAILCERT_E_NOMEM;
	}
	colon = strchr(a, ':');
	if (colon && strchr(colon + 1, ':')) {
		mc_set_error(err, errlen, "IPv6 addresses go in brackets: [%s]", a);
		return MAILCERT_E_INVALID;
	}
	*host = colon ? strndup(a, (size_t)(colon - a)) : strdup(a);
	*port = colon ? colon + 1 : NULL;
	return *host ? 0 : MAILCERT_E_NOMEM;
}

static int build(mailcert_target **out, const char *text, const char *scheme_override,
		 char *err, size_t errlen)
{
	const char *sep = strstr(text, "://");
	const char *authority = sep ? sep + 3 : text;
	const struct scheme *scheme = NULL;
	mailcert_target *t;
	const char *port_text;
	int bracketed, rc;

	if (sep) {
		scheme = scheme_by_name(text, (size_t)(sep - text));
		if (!scheme && !scheme_override) {
			mc_set_error(err, errlen,
				     "unknown scheme \"%.*s\" in \"%s\" (see mailcert --help for the list)",
				     (int)(sep - text > 32 ? 32 : sep - text), text, text);
			return MAILCERT_E_INVALID;
		}
	}
	if (scheme_override) {
		scheme = scheme_by_name(scheme_override, strlen(scheme_override));
		if (!scheme) {
			mc_set_error(err, errlen, "unknown protocol \"%s\" (see mailcert --help)",
				     scheme_override);
			return MAILCERT_E_INVALID;
		}
	}
	if (strchr(authority, '/') || strchr(authority, '@') || strchr(authority, '?')) {
		mc_set_error(err, errlen, "\"%s\": a target is SCHEME://HOST[:PORT], no path or user",
			     text);
		return MAILCERT_E_INVALID;
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		return MAILCERT_E_NOMEM;
	rc = split_authority(authority, &t->host, &port_text, &bracketed, err, errlen);
	if (rc < 0)
		goto fail;
	rc = MAILCERT_E_INVALID;
	if (bracketed && !valid_ipv6(t->host)) {
		mc_set_error(err, errlen, "\"%s\": brackets hold an IPv6 address", text);
		goto fail;
	}
	if (!valid_host(t->host, bracketed)) {
		mc_set_error(err, errlen, "\"%s\": not a valid host name or address", text);
		goto fail;
	}
	if (port_text && parse_port(port_text, &t->port) < 0) {
		mc_set_error(err, errlen, "\"%s\": the port must be a number from 1 to 65535", text);
		goto fail;
	}
	if (!scheme && t->port) {
		scheme = scheme_by_port(t->port);
		t->port_guessed = 1;
		if (!scheme) {
			mc_set_error(err, errlen,
				     "\"%s\": port %u has no customary protocol; give a scheme, "
				     "e.g. tls://%s or smtp://%s",
				     text, t->port, authority, authority);
			goto fail;
		}
	}
	if (!scheme) {
		mc_set_error(err, errlen,
			     "\"%s\": give a scheme or a port, e.g. submission://%s or %s:587", text,
			     authority, authority);
		goto fail;
	}
	if (!t->port)
		t->port = scheme->port;
	if (!t->port) {
		mc_set_error(err, errlen, "\"%s\": the %s scheme needs a port, e.g. %s://%s:443",
			     text, scheme->name, scheme->name, authority);
		goto fail;
	}
	t->scheme = scheme;
	t->string = mc_asprintf(strchr(t->host, ':') ? "%s://[%s]:%u" : "%s://%s:%u", scheme->name,
				t->host, t->port);
	if (!t->string) {
		rc = MAILCERT_E_NOMEM;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	mailcert_target_free(t);
	return rc;
}

MAILCERT_EXPORT int mailcert_target_parse(mailcert_target **out, const char *text,
					  const char *scheme, char *err, unsigned errlen)
{
	if (!out || !text) {
		mc_set_error(err, errlen, "no target given");
		return MAILCERT_E_INVALID;
	}
	*out = NULL;
	return build(out, text, scheme, err, errlen);
}

MAILCERT_EXPORT void mailcert_target_free(mailcert_target *t)
{
	if (!t)
		return;
	free(t->host);
	free(t->string);
	free(t);
}

MAILCERT_EXPORT const char *mailcert_target_string(const mailcert_target *t)
{
	return t->string;
}

MAILCERT_EXPORT const char *mailcert_target_scheme(const mailcert_target *t)
{
	return t->scheme->name;
}

MAILCERT_EXPORT const char *mailcert_target_host(const mailcert_target *t)
{
	return t->host;
}

MAILCERT_EXPORT unsigned mailcert_target_port(const mailcert_target *t)
{
	return t->port;
}

MAILCERT_EXPORT mailcert_protocol mailcert_target_protocol(const mailcert_target *t)
{
	return t->scheme->proto;
}

MAILCERT_EXPORT int mailcert_target_port_guessed(const mailcert_target *t)
{
	return t->port_guessed;
}

const char *mc_scheme_implicit(const char *name)
{
	const struct scheme *s = scheme_by_name(name, strlen(name));

	return s ? s->implicit : NULL;
}

const char *mc_scheme_starttls(const char *implicit, const char *heard, unsigned port)
{
	const struct scheme *said = scheme_by_name(heard, strlen(heard));
	const struct scheme *partner = NULL;

	/* The user's family (submissions → submission), unless the greeting is
	 * another protocol's ("tls" is every protocol's partner). */
	for (size_t i = 0; i < N_SCHEMES && said && !partner; i++)
		if (schemes[i].implicit && strcmp(schemes[i].implicit, implicit) == 0 &&
		    schemes[i].proto == said->proto)
			partner = &schemes[i];
	if (!partner)
		return heard;
	/* On the other spelling's own port, that one: smtps on 587 is submission. */
	return partner->port != port && said->port == port ? said->name : partner->name;
}

MAILCERT_EXPORT int mailcert_target_supported(const mailcert_target *t)
{
	return mc_dialogue_supported(t->scheme->proto);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The blocking probe: one connection driven through the same sans-I/O
 * dialogue and TLS step that a non-blocking engine would drive.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "net.h"
#include "proto/proto.h"
#include "tls.h"

#define DEFAULT_HELO "mailcert.invalid"
#define DEFAULT_TIMEOUT_MS 10000

struct mailcert_probe {
	char *target;
	char *host;
	unsigned port;
	mailcert_protocol proto;
	const char *scheme;
	int supported;
	char *sni;     /* NULL: the host unless it is an address */
	char *helo;
	char *xmpp_domain;
	char *connect_to;
	mailcert_family family;
	unsigned timeout_ms;
	unsigned flags; /* MAILCERT_PROBE_* */
	mailcert_key_type key_type;
};

/* PostgreSQL 17 direct TLS (protocol.sgml, "Direct SSL"): the ALPN it requires. */
#define POSTGRES_ALPN "postgresql"

static int direct_tls(const mailcert_probe *p)
{
	return p->flags & MAILCERT_PROBE_DIRECT_TLS;
}

MAILCERT_EXPORT int mailcert_probe_new(mailcert_probe **out, const mailcert_target *target)
{
	mailcert_probe *p;

	if (!out || !target)
		return MAILCERT_E_INVALID;
	p = calloc(1, sizeof(*p));
	if (!p)
		return MAILCERT_E_NOMEM;
	p->target = mc_strdup(mailcert_target_string(target));
	p->host = mc_strdup(mailcert_target_host(target));
	p->port = mailcert_target_port(target);
	p->proto = mailcert_target_protocol(target);
	p->scheme = mailcert_target_scheme(target);
	p->supported = mailcert_target_supported(target);
	p->timeout_ms = DEFAULT_TIMEOUT_MS;
	if (!p->target || !p->host) {
		mailcert_probe_free(p);
		return MAILCERT_E_NOMEM;
	}
	*out = p;
	return 0;
}

MAILCERT_EXPORT void mailcert_probe_free(mailcert_probe *p)
{
	if (!p)
		return;
	free(p->target);
	free(p->host);
	free(p->sni);
	free(p->helo);
	free(p->xmpp_domain);
	free(p->connect_to);
	free(p);
}

static int replace(char **slot, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return MAILCERT_E_NOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

MAILCERT_EXPORT int mailcert_probe_set_sni(mailcert_probe *p, const char *sni)
{
	return replace(&p->sni, sni);
}

MAILCERT_EXPORT int mailcert_probe_set_helo(mailcert_probe *p, const char *helo)
{
	/* The name goes on the wire inside a command line: CR, LF or spaces
	 * in it would let a caller smuggle a second command. */
	if (helo && (!*helo || strpbrk(helo, " \t\r\n") || strlen(helo) > 255))
		return MAILCERT_E_INVALID;
	return replace(&p->helo, helo);
}

MAILCERT_EXPORT int mailcert_probe_set_xmpp_domain(mailcert_probe *p, const char *domain)
{
	/* It goes into an XML attribute: keep to what a domain name can hold. */
	if (domain && (!*domain || strlen(domain) > 255 || strpbrk(domain, " \t\r\n<>&'\"")))
		return MAILCERT_E_INVALID;
	return replace(&p->xmpp_domain, domain);
}

MAILCERT_EXPORT int mailcert_probe_set_connect_to(mailcert_probe *p, const char *address)
{
	return replace(&p->connect_to, address);
}

MAILCERT_EXPORT int mailcert_probe_set_family(mailcert_probe *p, mailcert_family family)
{
	if (family != MAILCERT_FAMILY_ANY && family != MAILCERT_FAMILY_INET &&
	    family != MAILCERT_FAMILY_INET6)
		return MAILCERT_E_INVALID;
	p->family = family;
	return 0;
}

MAILCERT_EXPORT int mailcert_probe_set_timeout_ms(mailcert_probe *p, unsigned timeout_ms)
{
	if (timeout_ms == 0)
		return MAILCERT_E_INVALID;
	p->timeout_ms = timeout_ms;
	return 0;
}

MAILCERT_EXPORT int mailcert_probe_set_flags(mailcert_probe *p, unsigned flags)
{
	if (flags & ~(unsigned)(MAILCERT_PROBE_DIRECT_TLS | MAILCERT_PROBE_UNADVERTISED))
		return MAILCERT_E_INVALID;
	if ((flags & MAILCERT_PROBE_DIRECT_TLS) && p->proto != MAILCERT_PROTO_POSTGRES)
		return MAILCERT_E_INVALID;
	if ((flags & MAILCERT_PROBE_UNADVERTISED) && p->proto != MAILCERT_PROTO_POP3)
		return MAILCERT_E_INVALID;
	p->flags = flags;
	return 0;
}

MAILCERT_EXPORT int mailcert_probe_set_key_type(mailcert_probe *p, mailcert_key_type type)
{
	if (!p || (type != MAILCERT_KEY_ANY && type != MAILCERT_KEY_RSA &&
		   type != MAILCERT_KEY_ECDSA))
		return MAILCERT_E_INVALID;
	p->key_type = type;
	return 0;
}

static const char *key_type_name(mailcert_key_type type)
{
	return type == MAILCERT_KEY_RSA ? "RSA" : type == MAILCERT_KEY_ECDSA ? "ECDSA" : "any";
}

/* RFC 6066 section 3: literal addresses are not sent as server names. */
static const char *effective_sni(const mailcert_probe *p)
{
	unsigned char buf[16];

	if (p->sni)
		return p->sni;
	if (inet_pton(AF_INET, p->host, buf) == 1 || inet_pton(AF_INET6, p->host, buf) == 1)
		return NULL;
	return p->host;
}

/* "scheme://host:port", brackets around an IPv6 host. */
static void url(char *dst, size_t len, const char *scheme, const mailcert_probe *p)
{
	snprintf(dst, len, strchr(p->host, ':') ? "%s://[%s]:%u" : "%s://%s:%u", scheme, p->host,
		 p->port);
}

/* A STARTTLS port that answers like an implicit-TLS one: name the scheme to use. */
static void suggest_implicit(const mailcert_probe *p, mailcert_observation *obs, const char *why)
{
	const char *implicit = mc_scheme_implicit(p->scheme);
	char use[300];

	url(use, sizeof(use), implicit ? implicit : "tls", p);
	mc_observation_fail(obs, "protocol.mismatch", "%s: port %u speaks implicit TLS; use %s", why,
			    p->port, use);
}

/* An implicit-TLS port that greeted in plaintext: name the STARTTLS scheme to use. */
static int suggest_starttls(const mailcert_probe *p, mailcert_observation *obs, int fd,
			    struct mc_tls_first *first)
{
	const char *scheme;
	char use[300], quoted[160];
	size_t line = 0;
	ssize_t n;

	if (first->len == 0 || mc_looks_like_tls(first->bytes, first->len))
		return 0;
	/* GnuTLS stopped at the first 5 bytes; the rest of the greeting is
	 * usually waiting, and makes a better quote. */
	n = mc_net_read_pending(fd, first->bytes + first->len, sizeof(first->bytes) - first->len);
	if (n > 0)
		first->len += (size_t)n;
	scheme = mc_recognise_plaintext(first->bytes, first->len, p->port);
	while (line < first->len && first->bytes[line] != '\r' && first->bytes[line] != '\n')
		line++;
	mc_quote(quoted, sizeof(quoted), first->bytes, line, 80);
	if (!scheme) {
		mc_observation_fail(obs, "protocol.mismatch",
				    "port %u answered in plaintext, not TLS (\"%s\"); check it with "
				    "the scheme of its protocol's STARTTLS",
				    p->port, quoted);
		return 1;
	}
	url(use, sizeof(use), scheme, p);
	mc_observation_fail(obs, "protocol.mismatch",
			    "port %u greets in plaintext (\"%s\"), so it speaks %s with STARTTLS, "
			    "not implicit TLS; use %s",
			    p->port, quoted, scheme, use);
	return 1;
}

/* A server before PostgreSQL 17 takes a ClientHello for a malformed startup packet. */
static void explain_direct(mailcert_observation *obs)
{
	char msg[MC_MSG_MAX];
	const char *code = mailcert_observation_failure(obs, NULL);

	if (!code || strcmp(code, "timeout") == 0)
		return;
	snprintf(msg, sizeof(msg), "%s", obs->failure_msg);
	mc_observation_fail(obs, code,
			    "%s; direct TLS needs PostgreSQL 17 or later, while SSLRequest "
			    "(the default) works with every version",
			    msg);
}

static double seconds_since(int64_t start_us)
{
	return (double)(mc_now_us() - start_us) / 1e6;
}

/*
 * Drives the dialogue until it says TLS (0) or stops (1, the reason recorded
 * in @obs). Returns SILENT when a server that should greet first said
 * nothing for half the timeout: it may be waiting for a ClientHello.
 */
#define SILENT 2

static int run_dialogue(const mailcert_probe *p, int fd, int64_t deadline, mailcert_observation *obs)
{
	struct mc_dialogue_params params = {
	    .helo = p->helo ? p->helo : DEFAULT_HELO,
	    .domain = p->xmpp_domain ? p->xmpp_domain : p->host,
	    .unadvertised = !!(p->flags & MAILCERT_PROBE_UNADVERTISED)};
	mailcert_protocol proto = direct_tls(p) ? MAILCERT_PROTO_NONE : p->proto;
	struct mc_dialogue *d = mc_dialogue_new(proto, &params);
	uint8_t buf[4096];
	enum mc_step step;
	int64_t patience = mc_now_ms() + p->timeout_ms / 2;
	int rc = 1, heard;

	if (!d)
		return MAILCERT_E_NOMEM;
	step = mc_dialogue_start(d);
	/* Only a protocol whose server speaks first can be silent. */
	heard = step != MC_STEP_READ;
	for (;;) {
		const char *code, *msg;
		size_t len;
		ssize_t n;

		switch (step) {
		case MC_STEP_WRITE:
		case MC_STEP_WRITE_TLS: {
			const uint8_t *out = mc_dialogue_output(d, &len);

			int wrc = mc_net_write_all(fd, out, len, deadline);

			if (wrc == MC_NET_TIMEOUT) {
				mc_observation_fail(obs, "timeout",
						    "the %s server accepted nothing more within the "
						    "timeout of %.1f s", p->scheme, p->timeout_ms / 1000.0);
				goto out;
			}
			if (wrc == MC_NET_OK)
				mc_observation_note(obs, 'C', out, len);
			if (wrc != MC_NET_OK) {
				mc_observation_fail(obs, "protocol.unexpected",
						    "the %s server closed the connection during the "
						    "plaintext dialogue", p->scheme);
				goto out;
			}
			/* Every command is followed by its reply (rule 3); a
			 * WRITE_TLS command by the handshake (MySQL's SSLRequest). */
			step = step == MC_STEP_WRITE_TLS ? MC_STEP_TLS : MC_STEP_READ;
			break;
		}
		case MC_STEP_READ:
			n = mc_net_read(fd, buf, sizeof(buf), heard ? deadline : patience);
			if (n == MC_NET_TIMEOUT && !heard) {
				rc = SILENT;
				goto out;
			}
			heard = 1;
			if (n > 0)
				mc_observation_note(obs, 'S', buf, (size_t)n);
			if (n == MC_NET_TIMEOUT) {
				const char *why = mc_dialogue_silence(d);

				mc_observation_fail(obs, "timeout",
						    "no %s from the %s server within the timeout of "
						    "%.1f s%s%s",
						    mc_dialogue_waiting_for(d), p->scheme,
						    p->timeout_ms / 1000.0, why ? ": " : "",
						    why ? why : "");
				goto out;
			}
			step = mc_dialogue_input(d, buf, n > 0 ? (size_t)n : 0);
			break;
		case MC_STEP_TLS:
			/* Implicit TLS has no go-ahead: a plaintext greeting already
			 * waiting is left for the handshake, which records it for
			 * suggest_starttls(). */
			if (proto == MAILCERT_PROTO_NONE) {
				rc = 0;
				goto out;
			}
			/* DESIGN.md rule 1: bytes already waiting after the go-ahead are
			 * injected; the dialogue turns them into starttls.injection. */
			n = mc_net_read_pending(fd, buf, sizeof(buf));
			if (n > 0)
				mc_observation_note(obs, 'S', buf, (size_t)n);
			if (n == 0) {
				rc = 0;
				goto out;
			}
			step = mc_dialogue_input(d, buf, n > 0 ? (size_t)n : 0);
			break;
		case MC_STEP_FAIL:
			code = mc_dialogue_failure(d, &msg);
			if (strcmp(code, "protocol.mismatch") == 0)
				suggest_implicit(p, obs, msg);
			else
				mc_observation_fail(obs, code, "%s", msg);
			goto out;
		}
	}
out:
	mc_dialogue_free(d);
	return rc;
}

/*
 * The server never greeted, so a TLS handshake was tried: if TLS answered
 * (a handshake, or at least a TLS record), the port speaks implicit TLS.
 */
static void diagnose_silence(const mailcert_probe *p, mailcert_observation *obs, int rc,
			     const struct mc_tls_first *first)
{
	char why[200];

	snprintf(why, sizeof(why), "the %s server sent no greeting within %.1f s but answered a TLS "
		 "handshake", p->scheme, p->timeout_ms / 2000.0);
	if (rc == 0 || mc_looks_like_tls(first->bytes, first->len)) {
		suggest_implicit(p, obs, why);
		return;
	}
	if (first->len > 0) {
		mc_observation_fail(obs, "timeout",
				    "the %s server sent its greeting only after %.1f s, too late to "
				    "tell it from an implicit-TLS port; raise -t for a slow server",
				    p->scheme, p->timeout_ms / 2000.0);
		return;
	}
	mc_observation_fail(obs, "timeout",
			    "no greeting from the %s server within the timeout of %.1f s, and no "
			    "answer to a TLS handshake either",
			    p->scheme, p->timeout_ms / 1000.0);
}

/* One connection offering @key_type's algorithms, ending at @deadline (ms, monotonic). */
static int probe_once(mailcert_probe *p, mailcert_key_type key_type, int64_t deadline,
		      mailcert_observation **out)
{
	mailcert_observation *obs;
	int64_t start, stage;
	struct mc_tls_first first = {.len = 0};
	const char *code = NULL;
	char msg[MC_MSG_MAX];
	int fd = -1, rc, silent;

	if (!p || !out)
		return MAILCERT_E_INVALID;
	obs = mc_observation_new(p->target, p->host);
	if (!obs)
		return MAILCERT_E_NOMEM;
	/* A restricted handshake sees one of the server's certificates: say which. */
	if (key_type)
		obs->key_type = key_type_name(key_type);
	if (!p->supported) {
		mc_observation_fail(obs, "protocol.unsupported",
				    "the %s dialogue is not implemented in this version of mailcert",
				    p->scheme);
		goto done;
	}
	start = mc_now_us();

	if (mc_net_connect(p->connect_to ? p->connect_to : p->host, p->port, p->family, deadline,
			   &fd, obs->peer, sizeof(obs->peer), &code, msg, sizeof(msg)) != MC_NET_OK) {
		mc_observation_fail(obs, code, "%s", msg);
		goto timed;
	}
	obs->timings.connect_s = seconds_since(start);

	stage = mc_now_us();
	silent = rc = run_dialogue(p, fd, deadline, obs);
	obs->timings.dialogue_s = seconds_since(stage);
	if (rc == MAILCERT_E_NOMEM)
		goto nomem;
	if (rc != 0 && rc != SILENT)
		goto timed;

	stage = mc_now_us();
	rc = mc_tls_handshake(fd, effective_sni(p), direct_tls(p) ? POSTGRES_ALPN : NULL, key_type,
			      deadline, obs, &first);
	obs->timings.handshake_s = seconds_since(stage);
	if (rc == MAILCERT_E_NOMEM)
		goto nomem;
	if (silent == SILENT)
		diagnose_silence(p, obs, rc, &first);
	else if (rc != 0 && p->proto == MAILCERT_PROTO_NONE)
		suggest_starttls(p, obs, fd, &first);
	else if (rc != 0 && direct_tls(p))
		explain_direct(obs);
	else if (rc == 0 && obs->chain_len == 0)
		mc_observation_fail(obs, "tls.handshake", "the server sent no certificate");
timed:
	obs->timings.total_s = seconds_since(start);
done:
	if (fd >= 0)
		close(fd);
	*out = obs;
	return 0;
nomem:
	close(fd);
	mailcert_observation_free(obs);
	return MAILCERT_E_NOMEM;
}

/* The leaf's key algorithm as GnuTLS names it ("RSA", "EC/ECDSA", …), and its key type in *@type. */
static const char *leaf_key(const mailcert_observation *obs, mailcert_key_type *type)
{
	gnutls_x509_crt_t crt;
	const char *name = NULL;
	int pk;

	*type = MAILCERT_KEY_ANY;
	if (obs->chain_len == 0 || gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &obs->chain[0], GNUTLS_X509_FMT_DER) >= 0) {
		pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
		name = gnutls_pk_get_name((gnutls_pk_algorithm_t)pk);
		if (pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS)
			*type = MAILCERT_KEY_RSA;
		else if (pk == GNUTLS_PK_ECDSA)
			*type = MAILCERT_KEY_ECDSA;
	}
	gnutls_x509_crt_deinit(crt);
	return name;
}

/*
 * A restricted handshake failed: is it because the server has no
 * certificate of that type? Ask it without the restriction, within what
 * is left of the timeout; a certificate of another type settles it.
 */
static int explain_key_type(mailcert_probe *p, mailcert_observation *obs, int64_t deadline)
{
	mailcert_observation *plain = NULL;
	mailcert_key_type other;
	const char *other_name;
	char why[MC_MSG_MAX];
	int rc;

	if (!obs->failure_code || strcmp(obs->failure_code, "tls.handshake") != 0 ||
	    mc_now_ms() >= deadline)
		return 0;
	rc = probe_once(p, MAILCERT_KEY_ANY, deadline, &plain);
	if (rc < 0)
		return rc;
	other_name = leaf_key(plain, &other);
	if (!plain->failure_code && other_name && other != p->key_type) {
		snprintf(why, sizeof(why), "%s", obs->failure_msg);
		mc_observation_fail(obs, "tls.key-type-absent",
				    "the server has no %s certificate: offered only %s signature "
				    "algorithms, it failed the handshake (%s); without that "
				    "restriction it serves a certificate with key type %s",
				    key_type_name(p->key_type), key_type_name(p->key_type), why,
				    other_name);
	}
	mailcert_observation_free(plain);
	return 0;
}

MAILCERT_EXPORT int mailcert_probe_run(mailcert_probe *p, mailcert_observation **out)
{
	int64_t deadline;
	int rc;

	if (!p || !out)
		return MAILCERT_E_INVALID;
	deadline = mc_now_ms() + p->timeout_ms;
	rc = probe_once(p, p->key_type, deadline, out);
	if (rc < 0 || p->key_type == MAILCERT_KEY_ANY || !*out || (*out)->chain_len > 0)
		return rc;
	rc = explain_key_type(p, *out, deadline);
	if (rc < 0) {
		mailcert_observation_free(*out);
		*out = NULL;
	}
	return rc;
}

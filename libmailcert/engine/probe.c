/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A probe: its settings, and its run (resolve, connect, the sans-I/O
 * dialogue, the TLS step, the diagnosis of what went wrong) as steps that
 * never wait, driven by the engine (engine.c). mailcert_probe_run() is a
 * one-probe engine (blocking.c), so a single check and a scan take the
 * same steps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/internal.h"
#include "io/net.h"
#include "proto/proto.h"
#include "io/resolve.h"
#include "engine/run.h"
#include "io/tls.h"

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
	int busy; /* a run has it (mc_run_new() to mc_run_free()) */
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

const char *mc_probe_host(const mailcert_probe *p)
{
	return p->host;
}

unsigned mc_probe_port(const mailcert_probe *p)
{
	return p->port;
}

unsigned mc_probe_timeout_ms(const mailcert_probe *p)
{
	return p->timeout_ms;
}

static const char *key_type_name(mailcert_key_type type)
{
	return type == MAILCERT_KEY_RSA ? "RSA" : type == MAILCERT_KEY_ECDSA ? "ECDSA" : "any";
}

/* RFC 6066 section 3: literal addresses are not sent as server names. */
static const char *effective_sni(const mailcert_probe *p)
{
	if (p->sni)
		return p->sni;
	if (mc_is_ip_literal(p->host))
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
	scheme = mc_scheme_starttls(p->scheme, scheme, p->port);
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
 * One probe's run, as the engine drives it: each attempt resolves,
 * connects, holds the plaintext dialogue and handshakes, never waiting
 * itself: when the socket or the resolver has nothing for it, it tells
 * the engine what to wait for (struct mc_wait) and is advanced again.
 * A restricted key type whose handshake failed gets a second, unrestricted
 * attempt within the same deadline (mailcert_probe_set_key_type()).
 */
enum run_state {
	RUN_START,     /* a new attempt */
	RUN_RESOLVE,   /* waiting for the resolver */
	RUN_CONNECT,   /* connecting to addrs[next_addr] */
	RUN_DIALOGUE,  /* the plaintext dialogue, at @step */
	RUN_HANDSHAKE, /* the TLS handshake */
	RUN_DONE,
};

/* What a step says to mc_run_advance(): go on at once, or wait as told. */
enum { RUN_GO, RUN_WAIT };

struct mc_run {
	mailcert_probe *p;
	struct mc_resolver *resolver;
	int started;
	int64_t deadline; /* ms, monotonic: the whole probe, retry included */
	enum run_state state;
	mailcert_key_type key_type;       /* this attempt's restriction */
	mailcert_observation *obs;        /* this attempt's */
	mailcert_observation *restricted; /* the failed restricted attempt, during the retry */
	int64_t start_us, stage_us;
	struct mc_lookup *lookup;
	const struct mc_addr *addrs; /* the lookup's */
	size_t n_addrs, next_addr;
	int fd;
	int connect_err;
	/* The dialogue. */
	struct mc_dialogue *d;
	mailcert_protocol proto; /* MAILCERT_PROTO_NONE for direct TLS */
	enum mc_step step;
	int heard;        /* the server said something (or was not to speak first) */
	int silent;       /* ... or did not within half the timeout: try TLS */
	int64_t patience; /* ms: until when a server that should greet may be silent */
	size_t sent;      /* bytes of the current command sent */
	/* The handshake. */
	struct mc_tls *tls;
	struct mc_tls_first first;
	uint8_t buf[4096];
};

/* Releases what one attempt holds (not its observation). */
static void attempt_clear(struct mc_run *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	mc_lookup_free(r->lookup);
	r->lookup = NULL;
	r->addrs = NULL;
	r->n_addrs = r->next_addr = 0;
	r->connect_err = 0;
	mc_dialogue_free(r->d);
	r->d = NULL;
	mc_tls_free(r->tls);
	r->tls = NULL;
	r->heard = r->silent = 0;
	r->sent = 0;
	r->first.len = 0;
}

static int run_nomem(struct mc_run *r)
{
	attempt_clear(r);
	mailcert_observation_free(r->obs);
	mailcert_observation_free(r->restricted);
	r->obs = r->restricted = NULL;
	r->state = RUN_DONE;
	return RUN_GO;
}

/*
 * The unrestricted retry ended (as @plain): if it completed a handshake
 * with a certificate of another type, the server has no certificate of
 * the type asked for.
 */
static void explain_key_type(const mailcert_probe *p, mailcert_observation *obs,
			     const mailcert_observation *plain)
{
	mailcert_key_type other;
	const char *other_name = leaf_key(plain, &other);
	char why[MC_MSG_MAX];

	if (!plain->failure_code && other_name && other != p->key_type) {
		snprintf(why, sizeof(why), "%s", obs->failure_msg);
		mc_observation_fail(obs, "tls.key-type-absent",
				    "the server has no %s certificate: offered only %s signature "
				    "algorithms, it failed the handshake (%s); without that "
				    "restriction it serves a certificate with key type %s",
				    key_type_name(p->key_type), key_type_name(p->key_type), why,
				    other_name);
	}
}

/* An attempt ended (@timed: record its total time); the run ends, or retries unrestricted. */
static int attempt_end(struct mc_run *r, int timed)
{
	mailcert_observation *obs = r->obs;

	if (timed)
		obs->timings.total_s = seconds_since(r->start_us);
	attempt_clear(r);
	r->state = RUN_DONE;
	if (r->restricted) {
		explain_key_type(r->p, r->restricted, obs);
		mailcert_observation_free(obs);
		r->obs = r->restricted;
		r->restricted = NULL;
	} else if (r->key_type != MAILCERT_KEY_ANY && obs->chain_len == 0 && obs->failure_code &&
		   strcmp(obs->failure_code, "tls.handshake") == 0 && mc_now_ms() < r->deadline) {
		/* Is it because the server has no certificate of that type? Ask
		 * it without the restriction, within what is left of the timeout. */
		r->restricted = obs;
		r->obs = NULL;
		r->key_type = MAILCERT_KEY_ANY;
		r->state = RUN_START;
	}
	return RUN_GO;
}

static int attempt_start(struct mc_run *r)
{
	const mailcert_probe *p = r->p;
	const char *host = p->connect_to ? p->connect_to : p->host;

	r->obs = mc_observation_new(p->target, p->host);
	if (!r->obs)
		return run_nomem(r);
	/* A restricted handshake sees one of the server's certificates: say which. */
	if (r->key_type)
		r->obs->key_type = key_type_name(r->key_type);
	if (!p->supported) {
		mc_observation_fail(
		    r->obs, "protocol.unsupported",
		    "the %s dialogue is not implemented in this version of mailcert", p->scheme);
		return attempt_end(r, 0);
	}
	r->start_us = mc_now_us();
	if (mc_net_invalid_name(host)) {
		mc_observation_fail(
		    r->obs, "dns.failed",
		    "cannot resolve %s: names under .invalid never resolve (RFC 6761)", host);
		return attempt_end(r, 1);
	}
	r->lookup = mc_lookup_start(r->resolver, host, p->port, p->family);
	if (!r->lookup)
		return run_nomem(r);
	r->state = RUN_RESOLVE;
	return RUN_GO;
}

static int resolving(struct mc_run *r, struct mc_wait *w)
{
	const mailcert_probe *p = r->p;
	const char *host = p->connect_to ? p->connect_to : p->host;
	const char *error;

	if (!mc_lookup_result(r->lookup, &r->addrs, &r->n_addrs, &error)) {
		if (mc_now_ms() >= r->deadline) {
			mc_observation_fail(
			    r->obs, "timeout",
			    "cannot resolve %s: no answer from the resolver within the "
			    "timeout of %.1f s",
			    host, p->timeout_ms / 1000.0);
			return attempt_end(r, 1);
		}
		*w = (struct mc_wait){.fd = -1, .until = r->deadline};
		return RUN_WAIT;
	}
	if (r->n_addrs == 0) {
		mc_observation_fail(r->obs, "dns.failed", "cannot resolve %s%s: %s", host,
				    p->family == 4   ? " (IPv4)"
				    : p->family == 6 ? " (IPv6)"
						     : "",
				    error);
		return attempt_end(r, 1);
	}
	r->next_addr = 0;
	r->state = RUN_CONNECT;
	return RUN_GO;
}

/* Connected: the dialogue starts. */
static int connected(struct mc_run *r)
{
	const mailcert_probe *p = r->p;
	struct mc_dialogue_params params = {.helo = p->helo ? p->helo : DEFAULT_HELO,
					    .domain = p->xmpp_domain ? p->xmpp_domain : p->host,
					    .unadvertised =
						!!(p->flags & MAILCERT_PROBE_UNADVERTISED)};

	r->obs->timings.connect_s = seconds_since(r->start_us);
	r->stage_us = mc_now_us();
	r->proto = direct_tls(p) ? MAILCERT_PROTO_NONE : p->proto;
	r->d = mc_dialogue_new(r->proto, &params);
	if (!r->d)
		return run_nomem(r);
	r->step = mc_dialogue_start(r->d);
	/* Only a protocol whose server speaks first can be silent. */
	r->heard = r->step != MC_STEP_READ;
	r->patience = mc_now_ms() + p->timeout_ms / 2;
	r->state = RUN_DIALOGUE;
	return RUN_GO;
}

/* No address answered: say why the last one did not (@timed_out, else errno @err). */
static int connect_failed(struct mc_run *r, int timed_out, int err)
{
	char msg[MC_MSG_MAX];
	const char *code = mc_net_connect_failure(timed_out, err, r->obs->peer, msg, sizeof(msg));

	r->obs->peer[0] = '\0';
	mc_observation_fail(r->obs, code, "%s", msg);
	return attempt_end(r, 1);
}

/* Each address in turn, until one connects, all fail, or the deadline passes. */
static int connecting(struct mc_run *r, short revents, struct mc_wait *w)
{
	int err = 0;

	if (r->fd >= 0) {
		if (!revents) {
			if (mc_now_ms() >= r->deadline)
				return connect_failed(r, 1, ETIMEDOUT);
			goto wait;
		}
		if (mc_net_connect_finish(r->fd, &err) == MC_NET_OK)
			return connected(r);
		close(r->fd);
		r->fd = -1;
		r->connect_err = err;
		r->next_addr++;
	}
	while (r->next_addr < r->n_addrs) {
		const struct mc_addr *a = &r->addrs[r->next_addr];
		int rc;

		mc_net_format_peer((const struct sockaddr *)&a->sa, r->obs->peer,
				   sizeof(r->obs->peer));
		rc = mc_net_connect_start((const struct sockaddr *)&a->sa, a->len, &r->fd, &err);
		if (rc == MC_NET_OK)
			return connected(r);
		if (rc == MC_NET_PENDING) {
			if (mc_now_ms() >= r->deadline)
				return connect_failed(r, 1, ETIMEDOUT);
			goto wait;
		}
		r->connect_err = err;
		r->next_addr++;
	}
	return connect_failed(r, 0, r->connect_err);
wait:
	*w = (struct mc_wait){.fd = r->fd, .events = POLLOUT, .until = r->deadline};
	return RUN_WAIT;
}

/* The dialogue said TLS (@failed 0), possibly after the server's silence, or stopped (1). */
static int dialogue_end(struct mc_run *r, int failed)
{
	const mailcert_probe *p = r->p;

	r->obs->timings.dialogue_s = seconds_since(r->stage_us);
	mc_dialogue_free(r->d);
	r->d = NULL;
	if (failed)
		return attempt_end(r, 1);
	r->stage_us = mc_now_us();
	r->tls = mc_tls_new(r->fd, effective_sni(p), direct_tls(p) ? POSTGRES_ALPN : NULL,
			    r->key_type, &r->first);
	if (!r->tls)
		return run_nomem(r);
	r->state = RUN_HANDSHAKE;
	return RUN_GO;
}

/* Sends the current command; then its reply is read (rule 3), or for WRITE_TLS the handshake
 * follows. */
static int dialogue_write(struct mc_run *r, struct mc_wait *w)
{
	const mailcert_probe *p = r->p;
	size_t len;
	const uint8_t *out = mc_dialogue_output(r->d, &len);

	while (r->sent < len) {
		ssize_t n = mc_net_send(r->fd, out + r->sent, len - r->sent);

		if (n < 0) {
			mc_observation_fail(r->obs, "protocol.unexpected",
					    "the %s server closed the connection during the "
					    "plaintext dialogue",
					    p->scheme);
			return dialogue_end(r, 1);
		}
		if (n == 0) {
			if (mc_now_ms() >= r->deadline) {
				mc_observation_fail(
				    r->obs, "timeout",
				    "the %s server accepted nothing more within the "
				    "timeout of %.1f s",
				    p->scheme, p->timeout_ms / 1000.0);
				return dialogue_end(r, 1);
			}
			*w = (struct mc_wait){.fd = r->fd, .events = POLLOUT, .until = r->deadline};
			return RUN_WAIT;
		}
		r->sent += (size_t)n;
	}
	mc_observation_note(r->obs, 'C', out, len);
	r->sent = 0;
	r->step = r->step == MC_STEP_WRITE_TLS ? MC_STEP_TLS : MC_STEP_READ;
	return RUN_GO;
}

/*
 * Reads what the server sent. A server that should greet first and says
 * nothing for half the timeout may be waiting for a ClientHello: the
 * handshake is tried (r->silent) to tell.
 */
static int dialogue_read(struct mc_run *r, struct mc_wait *w)
{
	const mailcert_probe *p = r->p;
	ssize_t n = mc_net_read_pending(r->fd, r->buf, sizeof(r->buf));

	if (n == 0) {
		/* The patience never outlasts the deadline. */
		int64_t limit = r->heard || r->patience > r->deadline ? r->deadline : r->patience;
		const char *why;

		if (mc_now_ms() < limit) {
			*w = (struct mc_wait){.fd = r->fd, .events = POLLIN, .until = limit};
			return RUN_WAIT;
		}
		if (!r->heard) {
			r->silent = 1;
			return dialogue_end(r, 0);
		}
		why = mc_dialogue_silence(r->d);
		mc_observation_fail(r->obs, "timeout",
				    "no %s from the %s server within the timeout of %.1f s%s%s",
				    mc_dialogue_waiting_for(r->d), p->scheme,
				    p->timeout_ms / 1000.0, why ? ": " : "", why ? why : "");
		return dialogue_end(r, 1);
	}
	r->heard = 1;
	if (n > 0)
		mc_observation_note(r->obs, 'S', r->buf, (size_t)n);
	/* EOF and errors alike are the end of what the server says. */
	r->step = mc_dialogue_input(r->d, r->buf, n > 0 ? (size_t)n : 0);
	return RUN_GO;
}

static int dialogue(struct mc_run *r, struct mc_wait *w)
{
	const char *code, *msg;
	ssize_t n;

	switch (r->step) {
	case MC_STEP_WRITE:
	case MC_STEP_WRITE_TLS:
		return dialogue_write(r, w);
	case MC_STEP_READ:
		return dialogue_read(r, w);
	case MC_STEP_TLS:
		/* Implicit TLS has no go-ahead: a plaintext greeting already
		 * waiting is left for the handshake, which records it for
		 * suggest_starttls(). */
		if (r->proto == MAILCERT_PROTO_NONE)
			return dialogue_end(r, 0);
		/* docs/design.md rule 1: bytes already waiting after the go-ahead are
		 * injected; the dialogue turns them into starttls.injection. */
		n = mc_net_read_pending(r->fd, r->buf, sizeof(r->buf));
		if (n > 0)
			mc_observation_note(r->obs, 'S', r->buf, (size_t)n);
		if (n == 0)
			return dialogue_end(r, 0);
		r->step = mc_dialogue_input(r->d, r->buf, n > 0 ? (size_t)n : 0);
		return RUN_GO;
	case MC_STEP_FAIL:
	default:
		code = mc_dialogue_failure(r->d, &msg);
		if (strcmp(code, "protocol.mismatch") == 0)
			suggest_implicit(r->p, r->obs, msg);
		else
			mc_observation_fail(r->obs, code, "%s", msg);
		return dialogue_end(r, 1);
	}
}

static int handshaking(struct mc_run *r, struct mc_wait *w)
{
	const mailcert_probe *p = r->p;
	mailcert_observation *obs = r->obs;
	short events = 0;
	int rc = mc_tls_step(r->tls, r->deadline, obs, &events);

	if (rc == MC_TLS_AGAIN) {
		*w = (struct mc_wait){.fd = r->fd, .events = events, .until = r->deadline};
		return RUN_WAIT;
	}
	if (rc < 0)
		return run_nomem(r);
	obs->timings.handshake_s = seconds_since(r->stage_us);
	if (r->silent)
		diagnose_silence(p, obs, rc, &r->first);
	else if (rc != 0 && p->proto == MAILCERT_PROTO_NONE)
		suggest_starttls(p, obs, r->fd, &r->first);
	else if (rc != 0 && direct_tls(p))
		explain_direct(obs);
	else if (rc == 0 && obs->chain_len == 0)
		mc_observation_fail(obs, "tls.handshake", "the server sent no certificate");
	return attempt_end(r, 1);
}

struct mc_run *mc_run_new(mailcert_probe *p, struct mc_resolver *resolver, int *err)
{
	struct mc_run *r;

	*err = MAILCERT_E_INVALID;
	if (!p || p->busy)
		return NULL;
	*err = MAILCERT_E_NOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->p = p;
	r->resolver = resolver;
	r->fd = -1;
	r->key_type = p->key_type;
	r->state = RUN_START;
	p->busy = 1;
	*err = 0;
	return r;
}

int mc_run_advance(struct mc_run *r, short revents, struct mc_wait *w)
{
	if (!r->started) {
		r->started = 1;
		r->deadline = mc_now_ms() + r->p->timeout_ms;
	}
	for (;;) {
		int rc = RUN_GO;

		switch (r->state) {
		case RUN_START:
			rc = attempt_start(r);
			break;
		case RUN_RESOLVE:
			rc = resolving(r, w);
			break;
		case RUN_CONNECT:
			rc = connecting(r, revents, w);
			break;
		case RUN_DIALOGUE:
			rc = dialogue(r, w);
			break;
		case RUN_HANDSHAKE:
			rc = handshaking(r, w);
			break;
		case RUN_DONE:
			return 1;
		}
		if (rc == RUN_WAIT)
			return 0;
		/* What the socket said applied to the step that waited for it. */
		revents = 0;
	}
}

int mc_run_lookup_done(const struct mc_run *r)
{
	const struct mc_addr *addrs;
	const char *error;
	size_t n;

	return r->state == RUN_RESOLVE && mc_lookup_result(r->lookup, &addrs, &n, &error);
}

mailcert_observation *mc_run_take(struct mc_run *r)
{
	mailcert_observation *obs = r->obs;

	r->obs = NULL;
	return obs;
}

void mc_run_free(struct mc_run *r)
{
	if (!r)
		return;
	attempt_clear(r);
	mailcert_observation_free(r->obs);
	mailcert_observation_free(r->restricted);
	r->p->busy = 0;
	free(r);
}

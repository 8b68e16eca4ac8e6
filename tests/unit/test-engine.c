/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine on loopback: many probes at once against scripted servers
 * and the fixture SMTP server, each with its own outcome; the cap; the
 * deadlines; the caller's-loop face against run() and against the
 * one-probe mailcert_probe_run(); probes added from a callback; an engine
 * freed with probes still pending (run it under valgrind:
 * `meson test --setup valgrind engine`).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/mockserver.h"
#include "fixture/fixture.h"
#include "model/internal.h"
#include "io/net.h"
#include "io/resolve.h"
#include "engine/run.h"

#define DAY 86400
#define MAX_PROBES 80

/* One probe's target, what it must end with, and what it did. */
struct expect {
	char url[96];
	unsigned timeout_ms;
	const char *code; /* NULL: a chain, no failure */
	char part[300];   /* a part of the message that must be there */
	size_t chain;     /* certificates expected with no failure */
	struct mock_server *mock;
	int closed_fd; /* closed_port()'s, or 0 */
	/* Filled in by the callback. */
	mailcert_observation *obs;
	int calls;
	int64_t done_ms;
	size_t running_at_done;
};

struct scenario {
	struct expect e[MAX_PROBES];
	size_t n;
	mailcert_engine *engine;
	unsigned cap;
	int64_t start_ms;
	size_t max_running; /* at any callback */
	/* The fixture server and its certificates, shared by the good probes. */
	struct mc_fixture_cert root, leaf;
	struct mc_fixture_smtpd *smtpd;
	unsigned smtpd_port;
};

#define GREET                                                                                      \
	{                                                                                          \
		MOCK_SEND, "220 mx.test ESMTP\r\n", 0                                              \
	}
#define EHLO                                                                                       \
	{                                                                                          \
		MOCK_EXPECT, "EHLO mailcert.invalid", 0                                            \
	}
#define CAPS                                                                                       \
	{                                                                                          \
		MOCK_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0                                    \
	}
#define STLS                                                                                       \
	{                                                                                          \
		MOCK_EXPECT, "STARTTLS", 0                                                         \
	}

static const struct mock_step injection[] = {GREET,
					     EHLO,
					     CAPS,
					     STLS,
					     {MOCK_SEND, "220 go ahead\r\n250-injected\r\n", 0},
					     {MOCK_END, NULL, 0}};
static const struct mock_step not_offered[] = {
    GREET, EHLO, {MOCK_SEND, "250-mx.test\r\n250 SIZE 1000\r\n", 0}, {MOCK_END, NULL, 0}};
static const struct mock_step refused[] = {GREET,
					   EHLO,
					   CAPS,
					   STLS,
					   {MOCK_SEND, "454 4.7.0 TLS not available\r\n", 0},
					   {MOCK_END, NULL, 0}};
static const struct mock_step silent[] = {{MOCK_SLEEP, NULL, 10000}, {MOCK_END, NULL, 0}};
static const struct mock_step greets[] = {GREET, {MOCK_RECV, NULL, 0}, {MOCK_END, NULL, 0}};
static const struct mock_step tls_alert[] = {
    {MOCK_RECV, NULL, 0}, {MOCK_SEND, "\x15\x03\x03\x00\x02\x02\x28", 7}, {MOCK_END, NULL, 0}};

static struct expect *next(struct scenario *s)
{
	ck_assert_uint_lt(s->n, MAX_PROBES);
	return &s->e[s->n++];
}

static struct expect *add_mock(struct scenario *s, const char *scheme,
			       const struct mock_step *steps, const char *code)
{
	struct expect *e = next(s);
	unsigned port;

	e->mock = mock_start(steps, &port);
	ck_assert_ptr_nonnull(e->mock);
	snprintf(e->url, sizeof(e->url), "%s://mail.test:%u", scheme, port);
	e->code = code;
	return e;
}

/*
 * A port where nothing listens, held: bound but not listening, it refuses
 * connections, and no other server (a parallel test's) can take it.
 * Close *@fd when done.
 */
static unsigned closed_port(int *fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(*fd, 0);
	ck_assert_int_eq(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static void add_injection(struct scenario *s)
{
	snprintf(add_mock(s, "smtp", injection, "starttls.injection")->part, sizeof(s->e[0].part),
		 "injected");
}

static void add_not_offered(struct scenario *s)
{
	snprintf(add_mock(s, "smtp", not_offered, "starttls.not-offered")->part,
		 sizeof(s->e[0].part), "STARTTLS");
}

static void add_refused(struct scenario *s)
{
	snprintf(add_mock(s, "submission", refused, "starttls.refused")->part, sizeof(s->e[0].part),
		 "454 4.7.0 TLS not available");
}

/* Silent: no greeting for half the timeout, then no answer to a ClientHello either. */
static void add_silent(struct scenario *s, unsigned timeout_ms)
{
	struct expect *e = add_mock(s, "smtp", silent, "timeout");

	e->timeout_ms = timeout_ms;
	snprintf(e->part, sizeof(e->part),
		 "no greeting from the smtp server within the timeout of %.1f s, and no answer "
		 "to a TLS handshake either",
		 timeout_ms / 1000.0);
}

static void add_closed(struct scenario *s)
{
	struct expect *e = next(s);
	unsigned port = closed_port(&e->closed_fd);

	snprintf(e->url, sizeof(e->url), "smtp://mail.test:%u", port);
	e->code = "connect.refused";
	snprintf(e->part, sizeof(e->part),
		 "127.0.0.1:%u refused the connection (nothing listens there?)", port);
}

/* smtps:// on a STARTTLS port: the greeting names the scheme to use. */
static void add_implicit_on_starttls(struct scenario *s)
{
	struct expect *e = add_mock(s, "smtps", greets, "protocol.mismatch");
	unsigned port = (unsigned)atoi(strrchr(e->url, ':') + 1);

	snprintf(e->part, sizeof(e->part),
		 "port %u greets in plaintext (\"220 mx.test ESMTP\"), so it speaks smtp with "
		 "STARTTLS, not implicit TLS; use smtp://mail.test:%u",
		 port, port);
}

/* submission:// on an implicit-TLS port: silence, then TLS answers. */
static void add_starttls_on_implicit(struct scenario *s)
{
	struct expect *e = add_mock(s, "submission", tls_alert, "protocol.mismatch");
	unsigned port = (unsigned)atoi(strrchr(e->url, ':') + 1);

	e->timeout_ms = 1000;
	snprintf(e->part, sizeof(e->part),
		 "the submission server sent no greeting within 0.5 s but answered a TLS "
		 "handshake: port %u speaks implicit TLS; use submissions://mail.test:%u",
		 port, port);
}

static void start_smtpd(struct scenario *s)
{
	static const char *const dns[] = {"mail.test", NULL};
	time_t now = time(NULL);
	const struct mc_fixture_cert_spec root_spec = {
	    .cn = "Engine Root", .is_ca = 1, .not_before = now - DAY, .not_after = now + 365 * DAY};
	const struct mc_fixture_cert_spec leaf_spec = {.cn = "mail.test",
						       .dns = dns,
						       .issuer = &s->root,
						       .not_before = now - DAY,
						       .not_after = now + 90 * DAY};
	const struct mc_fixture_cert *chain[2];

	ck_assert_int_eq(mc_fixture_cert_make(&s->root, &root_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_make(&s->leaf, &leaf_spec), 0);
	chain[0] = &s->leaf;
	chain[1] = &s->root;
	ck_assert_int_eq(mc_fixture_smtpd_start(&s->smtpd, &s->smtpd_port, chain, 2, &s->leaf), 0);
}

static void add_good(struct scenario *s)
{
	struct expect *e = next(s);

	if (!s->smtpd)
		start_smtpd(s);
	snprintf(e->url, sizeof(e->url), "smtp://mail.test:%u", s->smtpd_port);
	e->chain = 2;
}

static void done(mailcert_probe *p, mailcert_observation *obs, void *user)
{
	struct expect *e = user;

	mailcert_probe_free(p);
	e->obs = obs;
	e->calls++;
	e->done_ms = mc_now_ms();
}

/* The callback of the scenarios driven by an engine: also watches the cap. */
static struct scenario *current;

static void done_capped(mailcert_probe *p, mailcert_observation *obs, void *user)
{
	struct expect *e = user;
	size_t running = mc_engine_running(current->engine);

	done(p, obs, user);
	e->running_at_done = running;
	if (running > current->max_running)
		current->max_running = running;
}

static mailcert_probe *make_probe(const struct expect *e)
{
	mailcert_target *t = NULL;
	mailcert_probe *p = NULL;
	char err[256];

	ck_assert_msg(mailcert_target_parse(&t, e->url, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	mailcert_target_free(t);
	ck_assert_int_eq(mailcert_probe_set_connect_to(p, "127.0.0.1"), 0);
	if (e->timeout_ms)
		ck_assert_int_eq(mailcert_probe_set_timeout_ms(p, e->timeout_ms), 0);
	return p;
}

static void add_all(struct scenario *s)
{
	ck_assert_int_eq(mailcert_engine_new(&s->engine, s->cap), 0);
	current = s;
	for (size_t i = 0; i < s->n; i++)
		ck_assert_int_eq(
		    mailcert_engine_add(s->engine, make_probe(&s->e[i]), done_capped, &s->e[i]), 0);
	ck_assert_uint_eq(mailcert_engine_pending(s->engine), s->n);
	s->start_ms = mc_now_ms();
}

/* The caller's loop: fds, timeout, poll, process, as examples/engine-poll.c does. */
static void caller_loop(mailcert_engine *e)
{
	struct pollfd fds[256];

	while (mailcert_engine_pending(e) > 0) {
		size_t n = mailcert_engine_fds(e, fds, 256);
		int t = mailcert_engine_timeout_ms(e), ready;

		ck_assert_uint_le(n, 256);
		ck_assert_int_ge(t, 0);
		ready = poll(fds, n, t);
		ck_assert_int_ge(ready, 0);
		ck_assert_int_eq(mailcert_engine_process(e, fds, ready > 0 ? n : 0), 0);
	}
	ck_assert_int_eq(mailcert_engine_timeout_ms(e), -1);
	ck_assert_uint_eq(mailcert_engine_fds(e, fds, 256), 0);
}

/* Each probe ended once, as expected; the scripted servers saw what they expected. */
static void check_all(struct scenario *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct expect *e = &s->e[i];
		const char *code, *msg = NULL;
		char want_target[128];

		ck_assert_msg(e->calls == 1, "%s: %d callbacks", e->url, e->calls);
		ck_assert_ptr_nonnull(e->obs);
		/* Its own observation, not a neighbour's. */
		snprintf(want_target, sizeof(want_target), "%s", e->url);
		ck_assert_str_eq(mailcert_observation_target(e->obs), want_target);
		code = mailcert_observation_failure(e->obs, &msg);
		if (!e->code) {
			ck_assert_msg(!code, "%s: %s: %s", e->url, code, msg);
			ck_assert_uint_eq(mailcert_observation_chain_length(e->obs), e->chain);
		} else {
			ck_assert_msg(code && strcmp(code, e->code) == 0, "%s: want %s, got %s: %s",
				      e->url, e->code, code ? code : "none", code ? msg : "");
			ck_assert_msg(strstr(msg, e->part), "%s: message \"%s\" lacks \"%s\"",
				      e->url, msg, e->part);
			ck_assert_uint_eq(mailcert_observation_chain_length(e->obs), 0);
		}
	}
}

static void clear(struct scenario *s)
{
	for (size_t i = 0; i < s->n; i++) {
		char line[512];
		int failed;

		mailcert_observation_free(s->e[i].obs);
		s->e[i].obs = NULL;
		if (s->e[i].closed_fd > 0)
			close(s->e[i].closed_fd);
		if (!s->e[i].mock)
			continue;
		failed = mock_stop(s->e[i].mock, line, sizeof(line));
		ck_assert_msg(failed == 0, "%s: script step %d failed, last line \"%s\"",
			      s->e[i].url, failed, line);
	}
	mailcert_engine_free(s->engine);
	mc_fixture_smtpd_stop(s->smtpd);
	mc_fixture_cert_clear(&s->leaf);
	mc_fixture_cert_clear(&s->root);
	free(s);
}

static struct scenario *scenario_new(unsigned cap)
{
	struct scenario *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->cap = cap;
	return s;
}

/* 60 probes with mixed outcomes under a cap of 16: each gets its own. */
START_TEST(test_many_mixed)
{
	struct scenario *s = scenario_new(16);

	for (int i = 0; i < 6; i++) {
		add_good(s);
		add_injection(s);
		add_not_offered(s);
		add_refused(s);
		add_closed(s);
		add_injection(s);
		add_silent(s, 600);
		add_implicit_on_starttls(s);
		add_refused(s);
		add_closed(s);
	}
	ck_assert_uint_ge(s->n, 50);
	add_all(s);
	ck_assert_int_eq(mailcert_engine_run(s->engine), 0);
	ck_assert_uint_eq(mailcert_engine_pending(s->engine), 0);
	check_all(s);
	/* The cap held at every callback and overall, and was used. */
	ck_assert_uint_le(s->max_running, 16);
	ck_assert_uint_eq(mc_engine_peak(s->engine), 16);
	/* A good probe's observation is complete: peer, TLS, timings. */
	for (size_t i = 0; i < s->n; i++) {
		char peer[64];

		if (s->e[i].code)
			continue;
		snprintf(peer, sizeof(peer), "127.0.0.1:%u", s->smtpd_port);
		ck_assert_str_eq(mailcert_observation_peer(s->e[i].obs), peer);
		ck_assert_ptr_nonnull(mailcert_observation_tls_version(s->e[i].obs));
		ck_assert_double_gt(mailcert_observation_timings(s->e[i].obs).handshake_s, 0);
		ck_assert_ptr_nonnull(
		    strstr(mailcert_observation_transcript(s->e[i].obs), "C: STARTTLS"));
	}
	clear(s);
}
END_TEST

/* A silent server's probe ends by its own deadline and holds up nobody else. */
START_TEST(test_deadlines)
{
	struct scenario *s = scenario_new(0);
	int64_t first_silent = -1, last_fast = -1;

	for (int i = 0; i < 4; i++)
		add_silent(s, 1500);
	for (int i = 0; i < 10; i++) {
		add_injection(s);
		add_not_offered(s);
		add_closed(s);
	}
	add_all(s);
	ck_assert_int_eq(mailcert_engine_run(s->engine), 0);
	check_all(s);
	for (size_t i = 0; i < s->n; i++) {
		const struct expect *e = &s->e[i];
		double total = mailcert_observation_timings(e->obs).total_s;

		if (e->timeout_ms) {
			/* The deadline holds: its timeout and a small margin. */
			ck_assert_msg(total >= 1.45 && total < 2.0, "silent probe took %.3f s",
				      total);
			ck_assert_int_lt(e->done_ms - s->start_ms, 2000);
			if (first_silent < 0 || e->done_ms < first_silent)
				first_silent = e->done_ms;
		} else if (e->done_ms > last_fast) {
			last_fast = e->done_ms;
		}
	}
	/* Every other probe finished while the silent ones still waited. */
	ck_assert_int_lt(last_fast, first_silent);
	ck_assert_int_lt(last_fast - s->start_ms, 1000);
	clear(s);
}
END_TEST

/* The observation as text without the ports, which differ between runs. */
static void summary(char *dst, size_t len, const mailcert_observation *obs)
{
	const char *msg = NULL, *code = mailcert_observation_failure(obs, &msg);
	char raw[4096];
	size_t j = 0;

	snprintf(raw, sizeof(raw), "%s | %s | %zu | %s | %s", code ? code : "-", code ? msg : "-",
		 mailcert_observation_chain_length(obs), mailcert_observation_peer(obs),
		 mailcert_observation_transcript(obs));
	for (const char *p = raw; *p && j + 1 < len; p++) {
		if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
			dst[j++] = ':';
			while (p[1] >= '0' && p[1] <= '9')
				p++;
			continue;
		}
		/* "port 12345": the number of a port, in a message. */
		if (strncmp(p, "port ", 5) == 0 && p[5] >= '0' && p[5] <= '9') {
			for (const char *w = "port N"; *w && j + 1 < len; w++)
				dst[j++] = *w;
			p += 5;
			while (p[1] >= '0' && p[1] <= '9')
				p++;
			continue;
		}
		dst[j++] = *p;
	}
	dst[j] = '\0';
}

/* Every kind of outcome once, for comparing the ways to drive the engine. */
static struct scenario *one_of_each(unsigned cap)
{
	struct scenario *s = scenario_new(cap);

	add_good(s);
	add_injection(s);
	add_not_offered(s);
	add_refused(s);
	add_closed(s);
	add_silent(s, 400);
	add_implicit_on_starttls(s);
	add_starttls_on_implicit(s);
	return s;
}

/*
 * The same targets through run(), through the caller's loop and through
 * the one-probe mailcert_probe_run(): the same observations.
 */
START_TEST(test_caller_loop_same_as_run)
{
	struct scenario *a = one_of_each(0), *b, *c;
	char sa[8192], sb[8192], sc[8192];

	/* Each set of scripted servers made just before its run: they wait 5 s at most. */
	add_all(a);
	ck_assert_int_eq(mailcert_engine_run(a->engine), 0);
	check_all(a);
	b = one_of_each(3);
	add_all(b);
	ck_assert_int_eq(mailcert_engine_timeout_ms(b->engine), 0); /* waiting to start */
	caller_loop(b->engine);
	check_all(b);
	ck_assert_uint_le(b->max_running, 3);
	c = one_of_each(0);
	for (size_t i = 0; i < c->n; i++) {
		mailcert_probe *p = make_probe(&c->e[i]);

		ck_assert_int_eq(mailcert_probe_run(p, &c->e[i].obs), 0);
		c->e[i].calls = 1;
		mailcert_probe_free(p);
	}
	check_all(c);
	for (size_t i = 0; i < a->n; i++) {
		summary(sa, sizeof(sa), a->e[i].obs);
		summary(sb, sizeof(sb), b->e[i].obs);
		summary(sc, sizeof(sc), c->e[i].obs);
		ck_assert_str_eq(sa, sb);
		ck_assert_str_eq(sa, sc);
	}
	clear(a);
	clear(b);
	clear(c);
}
END_TEST

/* A callback adds a probe: it runs in the same run(). */
struct chain_ctx {
	mailcert_engine *engine;
	struct expect *second;
	int added;
};

static void done_then_add(mailcert_probe *p, mailcert_observation *obs, void *user)
{
	struct chain_ctx *ctx = user;

	mailcert_probe_free(p);
	mailcert_observation_free(obs);
	ck_assert_int_eq(
	    mailcert_engine_add(ctx->engine, make_probe(ctx->second), done, ctx->second), 0);
	ctx->added = 1;
}

START_TEST(test_add_from_callback)
{
	struct scenario *s = scenario_new(1);
	struct chain_ctx ctx = {0};
	struct expect first = {0};
	int fd;
	unsigned port = closed_port(&fd);

	add_injection(s);
	ck_assert_int_eq(mailcert_engine_new(&s->engine, 1), 0);
	snprintf(first.url, sizeof(first.url), "smtp://mail.test:%u", port);
	ctx.engine = s->engine;
	ctx.second = &s->e[0];
	ck_assert_int_eq(mailcert_engine_add(s->engine, make_probe(&first), done_then_add, &ctx),
			 0);
	ck_assert_int_eq(mailcert_engine_run(s->engine), 0);
	ck_assert_int_eq(ctx.added, 1);
	check_all(s);
	close(fd);
	clear(s);
}
END_TEST

/*
 * A DNS server on 127.0.0.1 for the resolver (c-ares): it answers every
 * A question with 127.0.0.1 and every other with no record, or, when
 * @mute, nothing at all.
 */
struct dns_server {
	int fd, stop[2], mute;
	pthread_t thread;
	char csv[64];
};

static void dns_answer(int fd, const uint8_t *q, size_t len, const struct sockaddr *from,
		       socklen_t fromlen)
{
	static const uint8_t answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1};
	uint8_t r[600];
	size_t end = 12, n;
	int is_a;

	if (len < 12 + 5 || len > sizeof(r) - sizeof(answer))
		return;
	while (end < len && q[end] != 0)
		end += q[end] + 1u;
	end += 5; /* the root label, type, class */
	if (end > len)
		return;
	is_a = q[end - 4] == 0 && q[end - 3] == 1;
	memcpy(r, q, end);
	r[2] = 0x81; /* a response, recursion desired */
	r[3] = 0x80; /* recursion available, no error */
	r[6] = 0;
	r[7] = is_a;
	r[8] = r[9] = r[10] = r[11] = 0;
	n = end;
	if (is_a) {
		memcpy(r + n, answer, sizeof(answer));
		n += sizeof(answer);
	}
	(void)!sendto(fd, r, n, 0, from, fromlen);
}

static void *dns_run(void *arg)
{
	struct dns_server *d = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = d->fd, .events = POLLIN},
				      {.fd = d->stop[0], .events = POLLIN}};
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		uint8_t q[600];
		ssize_t n;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			return NULL;
		n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fromlen);
		if (n > 0 && !d->mute)
			dns_answer(d->fd, q, (size_t)n, (struct sockaddr *)&from, fromlen);
	}
}

static struct dns_server *dns_start(int mute)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	struct dns_server *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	d->mute = mute;
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(d->fd, 0);
	ck_assert_int_eq(bind(d->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(d->fd, (struct sockaddr *)&sa, &len), 0);
	ck_assert_int_eq(pipe(d->stop), 0);
	ck_assert_int_eq(pthread_create(&d->thread, NULL, dns_run, d), 0);
	snprintf(d->csv, sizeof(d->csv), "127.0.0.1:%u", ntohs(sa.sin_port));
	mc_resolver_test_servers = d->csv;
	return d;
}

static void dns_stop(struct dns_server *d)
{
	mc_resolver_test_servers = NULL;
	(void)!write(d->stop[1], "x", 1);
	pthread_join(d->thread, NULL);
	close(d->fd);
	close(d->stop[0]);
	close(d->stop[1]);
	free(d);
}

/* A probe of @url as given (no --connect-to): the name goes to the resolver. */
static mailcert_probe *name_probe(const char *url, unsigned timeout_ms)
{
	mailcert_target *t;
	mailcert_probe *p;

	ck_assert_int_eq(mailcert_target_parse(&t, url, NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	mailcert_target_free(t);
	ck_assert_int_eq(mailcert_probe_set_timeout_ms(p, timeout_ms), 0);
	return p;
}

/* Names resolved through c-ares while other probes run: its sockets are the engine's too. */
START_TEST(test_resolver)
{
	struct scenario *s = scenario_new(0);
	struct dns_server *dns = dns_start(0);
	struct expect *e;
	mailcert_probe *p;
	const char *msg;
	char url[96], peer[64];
	unsigned port;

	add_injection(s);
	add_closed(s);
	ck_assert_int_eq(mailcert_engine_new(&s->engine, 0), 0);
	current = s;
	/* The injecting server, by name: mail.test resolves to 127.0.0.1 here. */
	e = &s->e[0];
	port = (unsigned)atoi(strrchr(e->url, ':') + 1);
	ck_assert_int_eq(mailcert_engine_add(s->engine, name_probe(e->url, 3000), done_capped, e),
			 0);
	ck_assert_int_eq(
	    mailcert_engine_add(s->engine, make_probe(&s->e[1]), done_capped, &s->e[1]), 0);
	caller_loop(s->engine);
	check_all(s);
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", port);
	ck_assert_str_eq(mailcert_observation_peer(e->obs), peer);
	/* -6: the name has no IPv6 address. */
	snprintf(url, sizeof(url), "smtp://mail.test:%u", port);
	p = name_probe(url, 3000);
	ck_assert_int_eq(mailcert_probe_set_family(p, MAILCERT_FAMILY_INET6), 0);
	mailcert_observation_free(e->obs);
	e->obs = NULL;
	ck_assert_int_eq(mailcert_probe_run(p, &e->obs), 0);
	mailcert_probe_free(p);
	ck_assert_str_eq(mailcert_observation_failure(e->obs, &msg), "dns.failed");
	ck_assert_msg(strstr(msg, "cannot resolve mail.test (IPv6): "), "%s", msg);
	dns_stop(dns);
	clear(s);
}
END_TEST

/* A resolver that never answers: the probe's deadline still holds. */
START_TEST(test_resolver_silent)
{
	struct dns_server *dns = dns_start(1);
	mailcert_observation *obs;
	mailcert_probe *p = name_probe("smtp://mx.example:25", 500);
	const char *msg;

	ck_assert_int_eq(mailcert_probe_run(p, &obs), 0);
	ck_assert_str_eq(mailcert_observation_failure(obs, &msg), "timeout");
	ck_assert_str_eq(msg, "cannot resolve mx.example: no answer from the resolver within the "
			      "timeout of 0.5 s");
	ck_assert_double_lt(mailcert_observation_timings(obs).total_s, 0.8);
	mailcert_observation_free(obs);
	mailcert_probe_free(p);
	dns_stop(dns);
}
END_TEST

/* Freed with probes running, waiting and resolving: no callback, nothing leaks. */
static void never(mailcert_probe *p, mailcert_observation *obs, void *user)
{
	(void)p;
	(void)obs;
	(void)user;
	ck_abort_msg("a callback ran for a probe of a freed engine");
}

START_TEST(test_free_pending)
{
	struct scenario *s = scenario_new(3);
	struct dns_server *dns = dns_start(1);
	mailcert_probe *probes[8];
	mailcert_target *t;
	struct pollfd fds[64];
	size_t n = 0;

	for (int i = 0; i < 5; i++)
		add_silent(s, 5000);
	add_injection(s);
	ck_assert_int_eq(mailcert_engine_new(&s->engine, 3), 0);
	/* First, a name for a resolver that never answers: freed while it asks. */
	probes[n] = name_probe("smtp://mx.example:25", 5000);
	ck_assert_int_eq(mailcert_engine_add(s->engine, probes[n], never, NULL), 0);
	n++;
	for (size_t i = 0; i < s->n; i++) {
		probes[n] = make_probe(&s->e[i]);
		ck_assert_int_eq(mailcert_engine_add(s->engine, probes[n], never, NULL), 0);
		n++;
	}
	ck_assert_int_eq(
	    mailcert_target_parse(&t, "smtp://mx.mailcert-engine-test.example", NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&probes[n], t), 0);
	mailcert_target_free(t);
	/* The same probe twice is refused while it is pending. */
	ck_assert_int_eq(mailcert_engine_add(s->engine, probes[n], never, NULL), 0);
	ck_assert_int_eq(mailcert_engine_add(s->engine, probes[n], never, NULL),
			 MAILCERT_E_INVALID);
	n++;
	for (int round = 0; round < 5; round++) {
		size_t k = mailcert_engine_fds(s->engine, fds, 64);

		ck_assert_int_ge(poll(fds, k, 20), 0);
		ck_assert_int_eq(mailcert_engine_process(s->engine, fds, k), 0);
	}
	ck_assert_uint_eq(mailcert_engine_pending(s->engine), n);
	ck_assert_uint_eq(mc_engine_running(s->engine), 3);
	ck_assert_uint_ge(mailcert_engine_fds(s->engine, fds, 64), 3); /* the resolver's too */
	mailcert_engine_free(s->engine);
	s->engine = NULL;
	dns_stop(dns);
	/* The probes are the caller's still. */
	for (size_t i = 0; i < n; i++)
		mailcert_probe_free(probes[i]);
	/* The mocks saw clients go away; only the injection one may not have run at all. */
	for (size_t i = 0; i < s->n; i++) {
		mock_stop(s->e[i].mock, NULL, 0);
		s->e[i].mock = NULL;
	}
	clear(s);
}
END_TEST

START_TEST(test_api_edges)
{
	mailcert_engine *e;
	struct pollfd fds[4];

	ck_assert_int_eq(mailcert_engine_new(NULL, 0), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_engine_new(&e, 0), 0);
	ck_assert_uint_eq(mailcert_engine_pending(e), 0);
	ck_assert_int_eq(mailcert_engine_timeout_ms(e), -1);
	ck_assert_uint_eq(mailcert_engine_fds(e, fds, 4), 0);
	ck_assert_int_eq(mailcert_engine_process(e, NULL, 0), 0);
	ck_assert_int_eq(mailcert_engine_run(e), 0);
	ck_assert_int_eq(mailcert_engine_add(e, NULL, done, NULL), MAILCERT_E_INVALID);
	mailcert_engine_free(e);
	mailcert_engine_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("loopback");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_api_edges);
	tcase_add_test(tc, test_many_mixed);
	tcase_add_test(tc, test_deadlines);
	tcase_add_test(tc, test_caller_loop_same_as_run);
	tcase_add_test(tc, test_add_from_callback);
	tcase_add_test(tc, test_free_pending);
	tcase_add_test(tc, test_resolver);
	tcase_add_test(tc, test_resolver_silent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floor of the benchmarks (tests/bench/README.md): the least a program
 * must do to obtain a mail server's certificate, so that mailcert's cost
 * can be stated as a fraction of it. In one process and one thread:
 * non-blocking connect, the shortest STARTTLS dialogue that works against
 * Postfix and Dovecot (no bounds, no checks beyond the reply code), a
 * non-blocking GnuTLS handshake with one shared credentials structure and
 * the default priorities, the peer's certificates fetched, a close_notify
 * sent (as mailcert does), close. No verification, no evaluation, no
 * report: everything mailcert does beyond this is its overhead.
 *
 * usage: floor [-c CONCURRENCY] [-n CHECKS] [-H SNI] PROTO:PORT...
 *   PROTO is submission (or smtp), smtps, imap or imaps; checks go
 *   round-robin over the targets on 127.0.0.1, at most CONCURRENCY at
 *   once (default 1: one after the other), CHECKS in all (default 100).
 *
 * Output, one line each: "total CHECKS ok OK failed F wall_ms W rate R"
 * then per target "PROTO:PORT n N median_ms M p90_ms P" (the latency of
 * one check: from socket() to the handshake's end).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

enum kind { SMTP, SMTPS, IMAP, IMAPS };

enum state { CONNECTING, GREETING, EHLO, STARTTLS, HANDSHAKE };

struct target {
	const char *name;
	enum kind kind;
	unsigned short port;
	double *lat;
	size_t nlat;
};

struct conn {
	int fd; /* -1: free slot */
	struct target *t;
	enum state st;
	gnutls_session_t s;
	char buf[4096];
	size_t len;
	double start;
	short events;
};

static gnutls_certificate_credentials_t cred;
static const char *sni = "mail.test";
static size_t ok, failed;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void finish(struct conn *c, int good)
{
	if (good) {
		c->t->lat[c->t->nlat++] = now_ms() - c->start;
		ok++;
	} else {
		failed++;
	}
	if (c->s) {
		if (good)
			gnutls_bye(c->s, GNUTLS_SHUT_WR);
		gnutls_deinit(c->s);
		c->s = NULL;
	}
	close(c->fd);
	c->fd = -1;
}

static int start(struct conn *c, struct target *t)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(t->port)};

	c->t = t;
	c->len = 0;
	c->s = NULL;
	c->start = now_ms();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	c->st = CONNECTING;
	c->events = POLLOUT;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		finish(c, 0);
		return -1;
	}
	return 0;
}

static int send_str(struct conn *c, const char *s)
{
	/* A few bytes into an empty socket buffer: never partial on loopback. */
	return send(c->fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s) ? 0 : -1;
}

static void begin_tls(struct conn *c)
{
	c->st = HANDSHAKE;
	if (gnutls_init(&c->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_set_default_priority(c->s) < 0 ||
	    gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, cred) < 0 ||
	    gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, sni, strlen(sni)) < 0) {
		finish(c, 0);
		return;
	}
	gnutls_transport_set_int(c->s, c->fd);
}

static void handshake(struct conn *c)
{
	int rc = gnutls_handshake(c->s);
	unsigned n = 0;

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		c->events = gnutls_record_get_direction(c->s) ? POLLOUT : POLLIN;
		return;
	}
	if (rc < 0) {
		fprintf(stderr, "floor: %s: %s\n", c->t->name, gnutls_strerror(rc));
		finish(c, 0);
		return;
	}
	finish(c, gnutls_certificate_get_peers(c->s, &n) != NULL && n > 0);
}

/* Whether the buffer holds a line starting with @prefix; drops the lines before it. */
static int have_line(struct conn *c, const char *prefix)
{
	char *p = c->buf, *end = c->buf + c->len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		if ((size_t)(nl - p) >= strlen(prefix) && !memcmp(p, prefix, strlen(prefix))) {
			c->len = 0;
			return 1;
		}
		p = nl + 1;
	}
	memmove(c->buf, p, (size_t)(end - p));
	c->len = (size_t)(end - p);
	return 0;
}

static void dialogue(struct conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	int imap = c->t->kind == IMAP;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || c->len + (size_t)n >= sizeof(c->buf) - 1) {
		finish(c, 0);
		return;
	}
	c->len += (size_t)n;
	switch (c->st) {
	case GREETING:
		if (!have_line(c, imap ? "* OK" : "220 "))
			return;
		c->st = imap ? STARTTLS : EHLO;
		if (send_str(c, imap ? "a STARTTLS\r\n" : "EHLO floor.invalid\r\n") < 0)
			finish(c, 0);
		return;
	case EHLO:
		if (!have_line(c, "250 "))
			return;
		c->st = STARTTLS;
		if (send_str(c, "STARTTLS\r\n") < 0)
			finish(c, 0);
		return;
	case STARTTLS:
		if (!have_line(c, imap ? "a OK" : "220 "))
			return;
		begin_tls(c);
		if (c->fd >= 0)
			handshake(c);
		return;
	default:
		finish(c, 0);
	}
}

static void step(struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	switch (c->st) {
	case CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			finish(c, 0);
			return;
		}
		if (c->t->kind == SMTPS || c->t->kind == IMAPS) {
			begin_tls(c);
			if (c->fd >= 0)
				handshake(c);
		} else {
			c->st = GREETING;
			c->events = POLLIN;
		}
		return;
	case HANDSHAKE:
		handshake(c);
		return;
	default:
		dialogue(c);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int parse_target(struct target *t, char *arg)
{
	char *colon = strrchr(arg, ':');

	if (!colon)
		return -1;
	*colon = '\0';
	t->name = arg;
	if (!strcmp(arg, "submission") || !strcmp(arg, "smtp"))
		t->kind = SMTP;
	else if (!strcmp(arg, "smtps"))
		t->kind = SMTPS;
	else if (!strcmp(arg, "imap"))
		t->kind = IMAP;
	else if (!strcmp(arg, "imaps"))
		t->kind = IMAPS;
	else
		return -1;
	t->port = (unsigned short)atoi(colon + 1);
	return t->port ? 0 : -1;
}

int main(int argc, char **argv)
{
	size_t conc = 1, total = 100, started = 0, ntargets, running = 0;
	struct target *targets;
	struct conn *conns;
	struct pollfd *pfd;
	double t0, wall;
	int opt;

	while ((opt = getopt(argc, argv, "c:n:H:")) != -1) {
		switch (opt) {
		case 'c':
			conc = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			total = strtoul(optarg, NULL, 10);
			break;
		case 'H':
			sni = optarg;
			break;
		default:
			goto usage;
		}
	}
	ntargets = (size_t)(argc - optind);
	if (!ntargets || !conc || !total)
		goto usage;
	targets = calloc(ntargets, sizeof(*targets));
	conns = calloc(conc, sizeof(*conns));
	pfd = calloc(conc, sizeof(*pfd));
	if (!targets || !conns || !pfd)
		return 1;
	for (size_t i = 0; i < ntargets; i++) {
		if (parse_target(&targets[i], argv[optind + (int)i]) < 0)
			goto usage;
		targets[i].lat = calloc(total, sizeof(double));
	}
	for (size_t i = 0; i < conc; i++)
		conns[i].fd = -1;
	if (gnutls_global_init() < 0 || gnutls_certificate_allocate_credentials(&cred) < 0)
		return 1;

	t0 = now_ms();
	for (;;) {
		size_t n = 0;

		for (size_t i = 0; i < conc; i++) {
			if (conns[i].fd < 0 && started < total) {
				started++;
				start(&conns[i], &targets[(started - 1) % ntargets]);
			}
		}
		running = 0;
		for (size_t i = 0; i < conc; i++) {
			pfd[i].fd = conns[i].fd;
			pfd[i].events = conns[i].events;
			pfd[i].revents = 0;
			running += conns[i].fd >= 0;
		}
		if (!running)
			break;
		n = (size_t)poll(pfd, conc, 10000);
		if (n == 0) {
			fprintf(stderr, "floor: nothing happened for 10 s\n");
			return 1;
		}
		for (size_t i = 0; i < conc; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents)
				step(&conns[i]);
	}
	wall = now_ms() - t0;

	printf("total %zu ok %zu failed %zu wall_ms %.1f rate %.1f\n", total, ok, failed, wall,
	       ok * 1e3 / wall);
	for (size_t i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];

		if (!t->nlat) {
			printf("%s:%u n 0\n", t->name, t->port);
			continue;
		}
		qsort(t->lat, t->nlat, sizeof(double), cmp);
		printf("%s:%u n %zu median_ms %.2f p90_ms %.2f\n", t->name, t->port, t->nlat,
		       t->lat[t->nlat / 2], t->lat[t->nlat * 9 / 10]);
	}
	gnutls_certificate_free_credentials(cred);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: floor [-c CONCURRENCY] [-n CHECKS] [-H SNI] PROTO:PORT...\n");
	return 2;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mockserver.h"

#define WAIT_MS 5000

struct mock_server {
	const struct mock_step *steps;
	int listen_fd, stop[2];
	pthread_t thread;
	int failed_step;
	char got[512];
	struct mock_capture cap;
};

/* recv() that keeps what the client sent, for mock_stop_capture(). */
static ssize_t take(struct mock_server *m, int fd, void *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len, 0);

	if (n > 0) {
		size_t room = sizeof(m->cap.bytes) - m->cap.len;
		size_t k = (size_t)n < room ? (size_t)n : room;

		memcpy(m->cap.bytes + m->cap.len, buf, k);
		m->cap.len += k;
		m->cap.total += (size_t)n;
	}
	return n;
}

static int wait_in(struct mock_server *m, int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = m->stop[0], .events = POLLIN}};

	return poll(p, 2, WAIT_MS) > 0 && !p[1].revents;
}

static int read_line(struct mock_server *m, int fd)
{
	size_t n = 0;

	while (n + 1 < sizeof(m->got)) {
		if (!wait_in(m, fd) || take(m, fd, m->got + n, 1) != 1)
			break;
		if (m->got[n] == '\n') {
			m->got[n > 0 && m->got[n - 1] == '\r' ? n - 1 : n] = '\0';
			return 1;
		}
		n++;
	}
	m->got[n] = '\0';
	return 0;
}

/* Waits until @fd can take more; 0 on stop or after WAIT_MS. */
static int wait_out(struct mock_server *m, int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = m->stop[0], .events = POLLIN}};

	return poll(p, 2, WAIT_MS) > 0 && !p[1].revents;
}

/* Sends @len bytes; 0 when the client went away (or we are stopped). */
static int send_all(struct mock_server *m, int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (!wait_out(m, fd))
			return 0;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

/* MOCK_FLOOD: @unit again and again, @total bytes; 0 when the client hung up first. */
static int flood(struct mock_server *m, int fd, const char *unit, size_t total)
{
	static char chunk[65536];
	size_t ulen = strlen(unit), clen = 0;

	/* Whole units in a chunk, so that every send ends on a unit's boundary. */
	while (clen + ulen <= sizeof(chunk)) {
		memcpy(chunk + clen, unit, ulen);
		clen += ulen;
	}
	while (total > 0) {
		size_t n = total < clen ? total : clen;

		if (!send_all(m, fd, chunk, n))
			return 0;
		total -= n;
	}
	return 1;
}

/* MOCK_DRIP: one byte per second; 0 when the client hung up (or we are stopped). */
static int drip(struct mock_server *m, int fd, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		struct pollfd p = {.fd = m->stop[0], .events = POLLIN};

		if (send(fd, data + i, 1, MSG_NOSIGNAL) != 1)
			return 0;
		if (poll(&p, 1, 1000) != 0)
			return 0;
	}
	return 1;
}

static void *run(void *arg)
{
	struct mock_server *m = arg;
	int fd, i;
	char sink[4096];

	if (!wait_in(m, m->listen_fd) || (fd = accept(m->listen_fd, NULL, NULL)) < 0) {
		m->failed_step = 1;
		return NULL;
	}
	for (i = 0; m->steps[i].op != MOCK_END; i++) {
		const struct mock_step *s = &m->steps[i];
		size_t len = s->len ? s->len : (s->data ? strlen(s->data) : 0);

		if (s->op == MOCK_SEND && send(fd, s->data, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
		if (s->op == MOCK_EXPECT && (!read_line(m, fd) || strcmp(m->got, s->data) != 0))
			break;
		if (s->op == MOCK_RECV && (!wait_in(m, fd) || take(m, fd, sink, sizeof(sink)) <= 0))
			break;
		if (s->op == MOCK_READ) {
			size_t got = 0;
			ssize_t n = 1;

			while (got < s->len && n > 0 && wait_in(m, fd))
				if ((n = take(m, fd, sink + got, s->len - got)) > 0)
					got += (size_t)n;
			if (got < s->len || (s->data && memcmp(sink, s->data, s->len) != 0))
				break;
		}
		if (s->op == MOCK_MARK)
			m->cap.mark = m->cap.total;
		/* A client that stops reading and hangs up is what these test. */
		if ((s->op == MOCK_FLOOD && !flood(m, fd, s->data, s->len)) ||
		    (s->op == MOCK_DRIP && !drip(m, fd, s->data, len))) {
			i = -1;
			break;
		}
		if (s->op == MOCK_RESET) {
			struct linger l = {.l_onoff = 1, .l_linger = 0};

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(fd);
			return NULL;
		}
		if (s->op == MOCK_SLEEP) {
			struct pollfd p = {.fd = m->stop[0], .events = POLLIN};

			poll(&p, 1, (int)s->len);
		}
		if (s->op == MOCK_CLOSE) {
			close(fd);
			return NULL;
		}
	}
	if (i >= 0 && m->steps[i].op != MOCK_END)
		m->failed_step = i + 1;
	/* Hold the connection (draining) until the client closes or we are stopped. */
	while (wait_in(m, fd) && take(m, fd, sink, sizeof(sink)) > 0)
		;
	/* Stopped: what the client sent before closing still counts. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0)
		while (take(m, fd, sink, sizeof(sink)) > 0)
			;
	close(fd);
	return NULL;
}

struct mock_server *mock_start(const struct mock_step *steps, unsigned *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	struct mock_server *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->steps = steps;
	m->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->listen_fd < 0 || bind(m->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(m->listen_fd, 4) < 0 || getsockname(m->listen_fd, (struct sockaddr *)&sa, &len) < 0 ||
	    pipe2(m->stop, O_CLOEXEC) < 0 || pthread_create(&m->thread, NULL, run, m) != 0) {
		free(m);
		return NULL;
	}
	*port = ntohs(sa.sin_port);
	return m;
}

int mock_stop(struct mock_server *m, char *got, size_t gotlen)
{
	return mock_stop_capture(m, got, gotlen, NULL);
}

int mock_stop_capture(struct mock_server *m, char *got, size_t gotlen, struct mock_capture *cap)
{
	int failed;

	(void)!write(m->stop[1], "x", 1);
	pthread_join(m->thread, NULL);
	failed = m->failed_step;
	if (got)
		snprintf(got, gotlen, "%s", m->got);
	if (cap)
		*cap = m->cap;
	close(m->listen_fd);
	close(m->stop[0]);
	close(m->stop[1]);
	free(m);
	return failed;
}

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
};

static int wait_in(struct mock_server *m, int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = m->stop[0], .events = POLLIN}};

	return poll(p, 2, WAIT_MS) > 0 && !p[1].revents;
}

static int read_line(struct mock_server *m, int fd)
{
	size_t n = 0;

	while (n + 1 < sizeof(m->got)) {
		if (!wait_in(m, fd) || recv(fd, m->got + n, 1, 0) != 1)
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
		if (s->op == MOCK_RECV && (!wait_in(m, fd) || recv(fd, sink, sizeof(sink), 0) <= 0))
			break;
		if (s->op == MOCK_SLEEP) {
			struct pollfd p = {.fd = m->stop[0], .events = POLLIN};

			poll(&p, 1, (int)s->len);
		}
		if (s->op == MOCK_CLOSE) {
			close(fd);
			return NULL;
		}
	}
	if (m->steps[i].op != MOCK_END)
		m->failed_step = i + 1;
	/* Hold the connection (draining) until the client closes or we are stopped. */
	while (wait_in(m, fd) && recv(fd, sink, sizeof(sink), 0) > 0)
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
	int failed;

	(void)!write(m->stop[1], "x", 1);
	pthread_join(m->thread, NULL);
	failed = m->failed_step;
	if (got)
		snprintf(got, gotlen, "%s", m->got);
	close(m->listen_fd);
	close(m->stop[0]);
	close(m->stop[1]);
	free(m);
	return failed;
}

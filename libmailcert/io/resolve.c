/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "io/resolve.h"
#include "model/util.h"

struct mc_resolver {
	ares_channel channel; /* NULL until a name needs it */
	int channel_failed;   /* ares_init_options() failed: its status */
	struct pollfd *socks; /* c-ares's sockets and what each waits for */
	size_t socks_len, socks_cap;
	size_t running; /* lookups c-ares has not answered yet */
};

struct mc_lookup {
	struct mc_resolver *r;
	unsigned port;
	int done;
	int abandoned; /* freed by its owner while c-ares still had it */
	struct mc_addr *addrs;
	size_t n;
	const char *error;
	char error_buf[128];
};

const char *mc_resolver_test_servers;

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status = ARES_SUCCESS;

/* ares_library_init() is not thread-safe in c-ares 1.18: once per process. */
static void library_init(void)
{
	library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* c-ares opens, closes and re-aims sockets: keep the list the engine watches. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct mc_resolver *r = data;
	short events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
	size_t i;

	for (i = 0; i < r->socks_len && r->socks[i].fd != fd; i++)
		;
	if (!events) {
		if (i < r->socks_len)
			r->socks[i] = r->socks[--r->socks_len];
		return;
	}
	if (i == r->socks_len) {
		if (r->socks_len == r->socks_cap) {
			size_t cap = r->socks_cap ? 2 * r->socks_cap : 8;
			struct pollfd *grown = realloc(r->socks, cap * sizeof(*grown));

			/* Without room the socket goes unwatched; its query then
			 * ends by c-ares's own timeout, never hangs. */
			if (!grown)
				return;
			r->socks = grown;
			r->socks_cap = cap;
		}
		r->socks_len++;
	}
	r->socks[i] = (struct pollfd){.fd = fd, .events = events};
}

struct mc_resolver *mc_resolver_new(void)
{
	return calloc(1, sizeof(struct mc_resolver));
}

void mc_resolver_free(struct mc_resolver *r)
{
	if (!r)
		return;
	/* Calls every pending callback with ARES_EDESTRUCTION. */
	if (r->channel)
		ares_destroy(r->channel);
	free(r->socks);
	free(r);
}

static ares_channel channel(struct mc_resolver *r)
{
	struct ares_options opts = {.sock_state_cb = sock_state, .sock_state_cb_data = r};

	if (r->channel || r->channel_failed)
		return r->channel;
	pthread_once(&library_once, library_init);
	if (library_status != ARES_SUCCESS) {
		r->channel_failed = library_status;
		return NULL;
	}
	r->channel_failed = ares_init_options(&r->channel, &opts, ARES_OPT_SOCK_STATE_CB);
	if (r->channel_failed == ARES_SUCCESS && mc_resolver_test_servers)
		r->channel_failed =
		    ares_set_servers_ports_csv(r->channel, mc_resolver_test_servers);
	if (r->channel_failed != ARES_SUCCESS) {
		if (r->channel)
			ares_destroy(r->channel);
		r->channel = NULL;
	}
	return r->channel;
}

static void set_port(struct mc_addr *a, unsigned port)
{
	if (a->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&a->sa)->sin_port = htons((uint16_t)port);
}

/* Copies @len-byte @sa into @q's list, with @q's port. */
static int add_addr(struct mc_lookup *q, const struct sockaddr *sa, size_t len)
{
	struct mc_addr *grown;

	if (len > sizeof(grown->sa) || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return 0;
	grown = realloc(q->addrs, (q->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	q->addrs = grown;
	memset(&grown[q->n], 0, sizeof(grown[q->n]));
	memcpy(&grown[q->n].sa, sa, len);
	grown[q->n].len = (socklen_t)len;
	set_port(&grown[q->n], q->port);
	q->n++;
	return 0;
}

static void answered(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct mc_lookup *q = arg;

	(void)timeouts;
	if (q->abandoned) {
		ares_freeaddrinfo(res);
		free(q);
		return;
	}
	q->r->running--;
	q->done = 1;
	if (status == ARES_SUCCESS && res) {
		for (const struct ares_addrinfo_node *ai = res->nodes; ai; ai = ai->ai_next) {
			if (add_addr(q, ai->ai_addr, ai->ai_addrlen) < 0) {
				q->error = "out of memory";
				break;
			}
		}
		if (!q->error && q->n == 0)
			q->error = "no address";
	} else {
		q->error = ares_strerror(status);
	}
	if (q->error)
		q->n = 0;
	ares_freeaddrinfo(res);
}

/*
 * An address literal, through getaddrinfo as before c-ares: it does not
 * block. No AI_ADDRCONFIG: the user named the address, and asking the
 * kernel which families are configured costs a netlink round trip per
 * probe (docs/performance.md); an unreachable one fails at connect.
 */
static void literal(struct mc_lookup *q, const char *host, int family)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *list = NULL;
	int gai;

	hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
	q->done = 1;
	gai = getaddrinfo(host, NULL, &hints, &list);
	if (gai != 0) {
		snprintf(q->error_buf, sizeof(q->error_buf), "%s",
			 gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		q->error = q->error_buf;
		return;
	}
	for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		if (add_addr(q, ai->ai_addr, ai->ai_addrlen) < 0) {
			q->error = "out of memory";
			q->n = 0;
			break;
		}
	}
	freeaddrinfo(list);
	if (!q->error && q->n == 0)
		q->error = "no address";
}

struct mc_lookup *mc_lookup_start(struct mc_resolver *r, const char *host, unsigned port,
				  int family)
{
	struct ares_addrinfo_hints hints = {.ai_socktype = SOCK_STREAM};
	struct mc_lookup *q = calloc(1, sizeof(*q));
	ares_channel ch;

	if (!q)
		return NULL;
	q->r = r;
	q->port = port;
	if (mc_is_ip_literal(host)) {
		literal(q, host, family);
		return q;
	}
	ch = channel(r);
	if (!ch) {
		q->done = 1;
		snprintf(q->error_buf, sizeof(q->error_buf), "the resolver cannot start: %s",
			 ares_strerror(r->channel_failed));
		q->error = q->error_buf;
		return q;
	}
	hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
	r->running++;
	/* May answer at once (/etc/hosts, a bad name): @answered then ran. */
	ares_getaddrinfo(ch, host, NULL, &hints, answered, q);
	return q;
}

int mc_lookup_result(const struct mc_lookup *q, const struct mc_addr **addrs, size_t *n,
		     const char **error)
{
	if (!q->done)
		return 0;
	*addrs = q->addrs;
	*n = q->n;
	*error = q->error;
	return 1;
}

void mc_lookup_free(struct mc_lookup *q)
{
	if (!q)
		return;
	free(q->addrs);
	q->addrs = NULL;
	q->n = 0;
	if (!q->done) {
		/* c-ares still holds it: its callback frees it. */
		q->r->running--;
		q->abandoned = 1;
		return;
	}
	free(q);
}

size_t mc_resolver_fds(const struct mc_resolver *r, struct pollfd *fds, size_t max)
{
	for (size_t i = 0; i < r->socks_len && i < max; i++)
		fds[i] = r->socks[i];
	return r->socks_len;
}

int mc_resolver_timeout_ms(const struct mc_resolver *r)
{
	struct timeval tv, *next;

	if (!r->channel || r->running == 0)
		return -1;
	next = ares_timeout(r->channel, NULL, &tv);
	if (!next)
		return -1;
	/* Rounded up: waking a millisecond early would only find nothing to do. */
	return (int)(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
}

int mc_resolver_owns(const struct mc_resolver *r, int fd)
{
	for (size_t i = 0; i < r->socks_len; i++)
		if (r->socks[i].fd == fd)
			return 1;
	return 0;
}

void mc_resolver_process(struct mc_resolver *r, const struct pollfd *fds, size_t n)
{
	if (!r->channel)
		return;
	for (size_t i = 0; i < n; i++) {
		short ev = fds[i].revents;

		if (!ev || !mc_resolver_owns(r, fds[i].fd))
			continue;
		ares_process_fd(r->channel,
				ev & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD,
				ev & (POLLOUT | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD);
	}
	/* Expired timers: retries, the next server, giving up. */
	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

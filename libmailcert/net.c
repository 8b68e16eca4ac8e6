/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "net.h"

int64_t mc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mc_now_ms(void)
{
	return mc_now_us() / 1000;
}

int mc_net_wait(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline_ms - mc_now_ms();
		int n;

		if (left <= 0)
			return MC_NET_TIMEOUT;
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return MC_NET_OK;
		if (n == 0)
			return MC_NET_TIMEOUT;
		if (errno != EINTR)
			return MC_NET_ERROR;
	}
}

static void format_peer(const struct sockaddr *sa, char *peer, size_t peerlen)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(peer, peerlen, "[%s]:%u", host, port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(peer, peerlen, "%s:%u", host, port);
	}
}

/* One address: non-blocking connect, then wait for the outcome. */
static int connect_one(const struct addrinfo *ai, int64_t deadline_ms, int *fd, int *err)
{
	socklen_t len = sizeof(*err);
	int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       ai->ai_protocol);
	int rc;

	if (s < 0) {
		*err = errno;
		return MC_NET_ERROR;
	}
	if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
		goto done;
	if (errno != EINPROGRESS) {
		*err = errno;
		close(s);
		return MC_NET_ERROR;
	}
	rc = mc_net_wait(s, POLLOUT, deadline_ms);
	if (rc != MC_NET_OK) {
		*err = rc == MC_NET_TIMEOUT ? ETIMEDOUT : errno;
		close(s);
		return rc;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, err, &len) < 0 || *err != 0) {
		if (*err == 0)
			*err = errno;
		close(s);
		return MC_NET_ERROR;
	}
done:
	*fd = s;
	return MC_NET_OK;
}

/* RFC 6761 section 6.4: resolvers should answer "invalid" names negatively at once. */
static int is_invalid_tld(const char *host)
{
	size_t n = strlen(host);

	if (n && host[n - 1] == '.')
		n--;
	return (n == 7 && strncasecmp(host, "invalid", 7) == 0) ||
	       (n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0);
}

int mc_net_connect(const char *host, unsigned port, int family, int64_t deadline_ms, int *fd,
		   char *peer, size_t peerlen, const char **code, char *msg, size_t msglen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *list = NULL;
	char service[8];
	int err = 0, rc = MC_NET_ERROR, gai;

	hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
	snprintf(service, sizeof(service), "%u", port);
	if (is_invalid_tld(host)) {
		*code = "dns.failed";
		mc_set_error(msg, msglen, "cannot resolve %s: names under .invalid never resolve "
			     "(RFC 6761)", host);
		return MC_NET_ERROR;
	}
	/* getaddrinfo cannot be bounded; the engine of a later release
	 * resolves asynchronously. */
	gai = getaddrinfo(host, service, &hints, &list);
	if (gai != 0) {
		*code = "dns.failed";
		mc_set_error(msg, msglen, "cannot resolve %s%s: %s", host,
			     family == 4 ? " (IPv4)" : family == 6 ? " (IPv6)" : "",
			     gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return MC_NET_ERROR;
	}
	for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		format_peer(ai->ai_addr, peer, peerlen);
		rc = connect_one(ai, deadline_ms, fd, &err);
		if (rc == MC_NET_OK || rc == MC_NET_TIMEOUT)
			break;
	}
	freeaddrinfo(list);
	if (rc == MC_NET_OK)
		return rc;
	if (rc == MC_NET_TIMEOUT || err == ETIMEDOUT) {
		*code = "connect.timeout";
		mc_set_error(msg, msglen, "no answer from %s within the timeout (filtered port?)",
			     peer);
	} else if (err == ECONNREFUSED) {
		*code = "connect.refused";
		mc_set_error(msg, msglen, "%s refused the connection (nothing listens there?)",
			     peer);
	} else {
		*code = "connect.failed";
		mc_set_error(msg, msglen, "cannot connect to %s: %s", peer, strerror(err));
	}
	peer[0] = '\0';
	return rc;
}

ssize_t mc_net_read(int fd, void *buf, size_t len, int64_t deadline_ms)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		int rc;

		if (n > 0)
			return n;
		if (n == 0)
			return MC_NET_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return MC_NET_ERROR;
		rc = mc_net_wait(fd, POLLIN, deadline_ms);
		if (rc != MC_NET_OK)
			return rc;
	}
}

int mc_net_write_all(int fd, const void *buf, size_t len, int64_t deadline_ms)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return MC_NET_ERROR;
		int rc = mc_net_wait(fd, POLLOUT, deadline_ms);
		if (rc != MC_NET_OK)
			return rc;
	}
	return MC_NET_OK;
}

ssize_t mc_net_read_pending(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n > 0)
			return n;
		if (n == 0)
			return MC_NET_EOF;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : MC_NET_ERROR;
	}
}

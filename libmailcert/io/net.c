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

#include "model/internal.h"
#include "io/net.h"

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

void mc_net_format_peer(const struct sockaddr *sa, char *peer, size_t peerlen)
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

int mc_net_connect_start(const struct sockaddr *sa, socklen_t len, int *fd, int *err)
{
	int s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0) {
		*err = errno;
		return MC_NET_ERROR;
	}
	*fd = s;
	if (connect(s, sa, len) == 0)
		return MC_NET_OK;
	if (errno == EINPROGRESS)
		return MC_NET_PENDING;
	*err = errno;
	close(s);
	*fd = -1;
	return MC_NET_ERROR;
}

int mc_net_connect_finish(int fd, int *err)
{
	socklen_t len = sizeof(*err);

	*err = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0 || *err != 0) {
		if (*err == 0)
			*err = errno;
		return MC_NET_ERROR;
	}
	return MC_NET_OK;
}

/* RFC 6761 section 6.4: resolvers should answer "invalid" names negatively at once. */
int mc_net_invalid_name(const char *host)
{
	size_t n = strlen(host);

	if (n && host[n - 1] == '.')
		n--;
	return (n == 7 && strncasecmp(host, "invalid", 7) == 0) ||
	       (n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0);
}

const char *mc_net_connect_failure(int timed_out, int err, const char *peer, char *msg,
				   size_t msglen)
{
	if (timed_out || err == ETIMEDOUT) {
		mc_set_error(msg, msglen, "no answer from %s within the timeout (filtered port?)",
			     peer);
		return "connect.timeout";
	}
	if (err == ECONNREFUSED) {
		mc_set_error(msg, msglen, "%s refused the connection (nothing listens there?)",
			     peer);
		return "connect.refused";
	}
	mc_set_error(msg, msglen, "cannot connect to %s: %s", peer, strerror(err));
	return "connect.failed";
}

int mc_net_routable(const char *addr)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(25)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(25)};
	const struct sockaddr *sa;
	socklen_t len;
	int fd, rc, err;

	if (inet_pton(AF_INET, addr, &in4.sin_addr) == 1) {
		sa = (const struct sockaddr *)&in4;
		len = sizeof(in4);
	} else if (inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1) {
		sa = (const struct sockaddr *)&in6;
		len = sizeof(in6);
	} else {
		return 1;
	}
	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno != EAFNOSUPPORT; /* a kernel without IPv6 */
	rc = connect(fd, sa, len);
	err = errno;
	close(fd);
	return rc == 0 || (err != ENETUNREACH && err != EHOSTUNREACH && err != EADDRNOTAVAIL);
}

ssize_t mc_net_send(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : MC_NET_ERROR;
	}
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

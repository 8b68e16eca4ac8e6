/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Non-blocking sockets and the monotonic clock: connect, send, read what
 * is waiting. Nothing here waits; the engine (engine.c) does, bounded by
 * each probe's deadline.
 */
#ifndef MAILCERT_NET_H
#define MAILCERT_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Milliseconds on the monotonic clock. */
int64_t mc_now_ms(void);
/* The same in microseconds, for the stage timings a fast handshake would round to 0. */
int64_t mc_now_us(void);

enum mc_net_result {
	MC_NET_OK = 0,
	MC_NET_TIMEOUT = -1,
	MC_NET_ERROR = -2, /* errno says why */
	MC_NET_EOF = -3,
	MC_NET_PENDING = 1, /* a connect in progress: wait until writable */
};

/* Whether @host is under .invalid, which never resolves (RFC 6761 section 6.4). */
int mc_net_invalid_name(const char *host);

/* "192.0.2.1:25", "[2001:db8::1]:25" into @peer. */
void mc_net_format_peer(const struct sockaddr *sa, char *peer, size_t peerlen);

/*
 * Starts a non-blocking connect to @sa: MC_NET_OK (connected at once) or
 * MC_NET_PENDING (wait until *@fd is writable, then
 * mc_net_connect_finish()) with the socket in *@fd; MC_NET_ERROR with
 * errno in *@err and no socket.
 */
int mc_net_connect_start(const struct sockaddr *sa, socklen_t len, int *fd, int *err);

/* The outcome of a pending connect once @fd is writable: MC_NET_OK, or MC_NET_ERROR with *@err. */
int mc_net_connect_finish(int fd, int *err);

/*
 * The finding code (static) and the message for a connection to @peer
 * that failed with errno @err, or that ran out of time (@timed_out).
 */
const char *mc_net_connect_failure(int timed_out, int err, const char *peer, char *msg,
				   size_t msglen);

/*
 * Whether this machine has a route to the IP address @addr (text): the
 * kernel's answer to a UDP connect(), which sends nothing. 0 when it has
 * none (no IPv6 on this machine, say); 1 otherwise, also for errors that
 * say nothing of routes, so the connection itself tells what is wrong.
 */
int mc_net_routable(const char *addr);

/* Sends what the socket takes now: the count, 0 when it would block, or MC_NET_ERROR. */
ssize_t mc_net_send(int fd, const void *buf, size_t len);

/* Reads bytes already waiting without blocking: count, 0 for none, MC_NET_EOF, MC_NET_ERROR. */
ssize_t mc_net_read_pending(int fd, void *buf, size_t len);

#endif

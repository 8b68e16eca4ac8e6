/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sockets with deadlines: resolve, connect, read, write. Every wait is
 * bounded by an absolute deadline on the monotonic clock.
 */
#ifndef MAILCERT_NET_H
#define MAILCERT_NET_H

#include <stddef.h>
#include <stdint.h>
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
};

/*
 * Resolves @host (family 0, 4 or 6) and connects to the first address that
 * answers before @deadline_ms, non-blocking. On MC_NET_OK *@fd is a connected
 * non-blocking socket and @peer names the address ("[::1]:25"). Otherwise
 * @code is set to a finding code and @msg explains.
 */
int mc_net_connect(const char *host, unsigned port, int family, int64_t deadline_ms, int *fd,
		   char *peer, size_t peerlen, const char **code, char *msg, size_t msglen);

/* Reads what is available (at least one byte) before the deadline; returns the count or a result. */
ssize_t mc_net_read(int fd, void *buf, size_t len, int64_t deadline_ms);

/* Writes all of @buf before the deadline. */
int mc_net_write_all(int fd, const void *buf, size_t len, int64_t deadline_ms);

/* Waits until @fd is readable (@events POLLIN) or writable (POLLOUT), bounded. */
int mc_net_wait(int fd, short events, int64_t deadline_ms);

/* Reads bytes already waiting without blocking: count, 0 for none, MC_NET_EOF, MC_NET_ERROR. */
ssize_t mc_net_read_pending(int fd, void *buf, size_t len);

#endif

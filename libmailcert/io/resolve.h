/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Name resolution that never blocks: address literals at once through
 * getaddrinfo(AI_NUMERICHOST), names through c-ares, whose sockets and
 * timers the engine watches beside the probes' own.
 */
#ifndef MAILCERT_RESOLVE_H
#define MAILCERT_RESOLVE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct mc_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct mc_resolver;
struct mc_lookup;

/* A resolver; the c-ares channel is made on the first name to resolve. NULL: no memory. */
struct mc_resolver *mc_resolver_new(void);

/* Frees @r; lookups still running end as failed (their owners still free them). */
void mc_resolver_free(struct mc_resolver *r);

/*
 * Starts resolving @host for TCP port @port, family 0 (any), 4 or 6.
 * The lookup may be finished on return (a literal). NULL: no memory.
 */
struct mc_lookup *mc_lookup_start(struct mc_resolver *r, const char *host, unsigned port,
				  int family);

/*
 * 0 while running; else 1, with the addresses in order of preference in
 * *@addrs (*@n of them, living as long as @q), or *@n 0 and the reason in
 * *@error (static or living as long as @q).
 */
int mc_lookup_result(const struct mc_lookup *q, const struct mc_addr **addrs, size_t *n,
		     const char **error);

/* Frees @q, abandoning it if still running; NULL is a no-op. */
void mc_lookup_free(struct mc_lookup *q);

/* The resolver's sockets to watch: as mailcert_engine_fds(). */
size_t mc_resolver_fds(const struct mc_resolver *r, struct pollfd *fds, size_t max);

/* Milliseconds until c-ares wants mc_resolver_process() for a timer; -1 for none. */
int mc_resolver_timeout_ms(const struct mc_resolver *r);

/* Whether @fd is one of the resolver's sockets. */
int mc_resolver_owns(const struct mc_resolver *r, int fd);

/*
 * Lets c-ares read and write its sockets that @fds (as polled) say are
 * ready, and handle its expired timers; finished lookups say so through
 * mc_lookup_result().
 */
void mc_resolver_process(struct mc_resolver *r, const struct pollfd *fds, size_t n);

/* Test hook: the DNS servers ("127.0.0.1:5353") of channels made from now on; NULL: the system's.
 */
extern const char *mc_resolver_test_servers;

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine: runs (probe.c) waiting in line, running under the cap, or
 * finished and awaiting their callback; the descriptors and timers they
 * and the resolver wait for; the poll loop of mailcert_engine_run().
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

#include "model/internal.h"
#include "io/net.h"
#include "io/resolve.h"
#include "engine/run.h"

#define DEFAULT_CONCURRENCY 64

struct job {
	struct job *prev, *next;
	mailcert_probe *probe;
	mailcert_engine_done_fn done;
	void *user;
	struct mc_run *run;
	struct mc_wait wait; /* while running */
	short revents;       /* what polling wait.fd returned, not yet acted on */
};

struct list {
	struct job *head, *tail;
	size_t len;
};

struct mailcert_engine {
	unsigned cap;
	struct list queued, running, finished;
	size_t peak;
	struct job **by_fd; /* running jobs by the descriptor they wait on */
	size_t by_fd_len;
	struct mc_resolver *resolver;
};

static void list_push(struct list *l, struct job *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->len++;
}

static void list_remove(struct list *l, struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
	l->len--;
}

MAILCERT_EXPORT int mailcert_engine_new(mailcert_engine **out, unsigned max_concurrent)
{
	mailcert_engine *e;

	if (!out)
		return MAILCERT_E_INVALID;
	e = calloc(1, sizeof(*e));
	if (!e)
		return MAILCERT_E_NOMEM;
	e->cap = max_concurrent ? max_concurrent : DEFAULT_CONCURRENCY;
	e->resolver = mc_resolver_new();
	if (!e->resolver) {
		free(e);
		return MAILCERT_E_NOMEM;
	}
	*out = e;
	return 0;
}

static void free_list(struct list *l)
{
	struct job *j, *next;

	for (j = l->head; j; j = next) {
		next = j->next;
		mc_run_free(j->run);
		free(j);
	}
}

MAILCERT_EXPORT void mailcert_engine_free(mailcert_engine *e)
{
	if (!e)
		return;
	/* The runs first: they abandon their lookups, which the resolver then frees. */
	free_list(&e->queued);
	free_list(&e->running);
	free_list(&e->finished);
	mc_resolver_free(e->resolver);
	free(e->by_fd);
	free(e);
}

MAILCERT_EXPORT int mailcert_engine_add(mailcert_engine *e, mailcert_probe *probe,
					mailcert_engine_done_fn done, void *user)
{
	struct job *j;
	int err;

	if (!e || !probe || !done)
		return MAILCERT_E_INVALID;
	j = calloc(1, sizeof(*j));
	if (!j)
		return MAILCERT_E_NOMEM;
	j->run = mc_run_new(probe, e->resolver, &err);
	if (!j->run) {
		free(j);
		return err;
	}
	j->probe = probe;
	j->done = done;
	j->user = user;
	j->wait.fd = -1;
	/* It starts in mailcert_engine_process(), never inside this call:
	 * a probe that ends at once must not call back into the caller here. */
	list_push(&e->queued, j);
	return 0;
}

MAILCERT_EXPORT size_t mailcert_engine_pending(const mailcert_engine *e)
{
	return e ? e->queued.len + e->running.len + e->finished.len : 0;
}

size_t mc_engine_running(const mailcert_engine *e)
{
	return e->running.len;
}

size_t mc_engine_peak(const mailcert_engine *e)
{
	return e->peak;
}

/* Files @j under its descriptor; without memory for the index, lookups fall back to a search. */
static void watch(mailcert_engine *e, struct job *j)
{
	size_t fd = (size_t)j->wait.fd;

	if (j->wait.fd < 0)
		return;
	if (fd >= e->by_fd_len) {
		size_t len = fd < 64 ? 128 : 2 * fd;
		struct job **grown = realloc(e->by_fd, len * sizeof(*grown));

		if (!grown)
			return;
		for (size_t i = e->by_fd_len; i < len; i++)
			grown[i] = NULL;
		e->by_fd = grown;
		e->by_fd_len = len;
	}
	e->by_fd[fd] = j;
}

static void unwatch(mailcert_engine *e, struct job *j)
{
	if (j->wait.fd >= 0 && (size_t)j->wait.fd < e->by_fd_len && e->by_fd[j->wait.fd] == j)
		e->by_fd[j->wait.fd] = NULL;
	j->wait.fd = -1;
}

static struct job *job_of_fd(const mailcert_engine *e, int fd)
{
	if (fd < 0)
		return NULL;
	if ((size_t)fd < e->by_fd_len)
		return e->by_fd[fd];
	for (struct job *j = e->running.head; j; j = j->next)
		if (j->wait.fd == fd)
			return j;
	return NULL;
}

/* Advances @j until it waits again or finishes. */
static void advance(mailcert_engine *e, struct job *j)
{
	short revents = j->revents;

	j->revents = 0;
	unwatch(e, j);
	if (mc_run_advance(j->run, revents, &j->wait)) {
		j->wait.fd = -1;
		list_remove(&e->running, j);
		list_push(&e->finished, j);
		return;
	}
	watch(e, j);
}

/* Starts waiting probes while there is room under the cap. */
static void start_queued(mailcert_engine *e)
{
	while (e->queued.head && e->running.len < e->cap) {
		struct job *j = e->queued.head;

		list_remove(&e->queued, j);
		list_push(&e->running, j);
		if (e->running.len > e->peak)
			e->peak = e->running.len;
		advance(e, j);
	}
}

/* Runs the callbacks of finished probes, in the order they finished. */
static void deliver(mailcert_engine *e)
{
	struct job *j;

	while ((j = e->finished.head)) {
		mailcert_observation *obs = mc_run_take(j->run);

		list_remove(&e->finished, j);
		/* The probe is the caller's again before its callback, which may
		 * free it or add it anew. */
		mc_run_free(j->run);
		j->done(j->probe, obs, j->user);
		free(j);
	}
}

MAILCERT_EXPORT size_t mailcert_engine_fds(mailcert_engine *e, struct pollfd *fds, size_t max)
{
	size_t n;

	if (!e)
		return 0;
	n = mc_resolver_fds(e->resolver, fds, max);
	for (struct job *j = e->running.head; j; j = j->next) {
		if (j->wait.fd < 0)
			continue;
		if (n < max)
			fds[n] = (struct pollfd){.fd = j->wait.fd, .events = j->wait.events};
		n++;
	}
	return n;
}

MAILCERT_EXPORT int mailcert_engine_timeout_ms(const mailcert_engine *e)
{
	int64_t now, soonest = -1;
	int resolver;

	if (!e || mailcert_engine_pending(e) == 0)
		return -1;
	if (e->finished.head || (e->queued.head && e->running.len < e->cap))
		return 0;
	now = mc_now_ms();
	for (const struct job *j = e->running.head; j; j = j->next) {
		int64_t left = j->wait.until - now;

		if (j->revents || mc_run_lookup_done(j->run) || left <= 0)
			return 0;
		if (soonest < 0 || left < soonest)
			soonest = left;
	}
	resolver = mc_resolver_timeout_ms(e->resolver);
	if (resolver >= 0 && (soonest < 0 || resolver < soonest))
		soonest = resolver;
	return soonest > INT_MAX ? INT_MAX : (int)soonest;
}

MAILCERT_EXPORT int mailcert_engine_process(mailcert_engine *e, const struct pollfd *fds, size_t n)
{
	if (!e || (n && !fds))
		return MAILCERT_E_INVALID;
	/* Who each readiness is for, before any run closes or opens a socket
	 * whose number the kernel could hand out again. */
	for (size_t i = 0; i < n; i++) {
		struct job *j = fds[i].revents ? job_of_fd(e, fds[i].fd) : NULL;

		if (j)
			j->revents |= fds[i].revents;
	}
	mc_resolver_process(e->resolver, fds, n);
	start_queued(e);
	do {
		int64_t now = mc_now_ms();
		struct job *j, *next;

		for (j = e->running.head; j; j = next) {
			next = j->next;
			if (j->revents || now >= j->wait.until || mc_run_lookup_done(j->run))
				advance(e, j);
		}
		start_queued(e);
		/* Callbacks may add probes: start those, and deliver what ends at once. */
		deliver(e);
		start_queued(e);
	} while (e->finished.head);
	return 0;
}

MAILCERT_EXPORT int mailcert_engine_run(mailcert_engine *e)
{
	struct pollfd *fds = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!e)
		return MAILCERT_E_INVALID;
	while (mailcert_engine_pending(e) > 0) {
		size_t n = mailcert_engine_fds(e, fds, cap);
		int ready;

		if (n > cap) {
			struct pollfd *grown = realloc(fds, n * sizeof(*grown));

			if (!grown) {
				rc = MAILCERT_E_NOMEM;
				break;
			}
			fds = grown;
			cap = n;
			n = mailcert_engine_fds(e, fds, cap);
		}
		ready = poll(fds, (nfds_t)n, mailcert_engine_timeout_ms(e));
		if (ready < 0 && errno != EINTR) {
			rc = errno == ENOMEM ? MAILCERT_E_NOMEM : MAILCERT_E_IO;
			break;
		}
		if (ready < 0)
			continue;
		rc = mailcert_engine_process(e, fds, ready > 0 ? n : 0);
		if (rc < 0)
			break;
	}
	free(fds);
	return rc;
}

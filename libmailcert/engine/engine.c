/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine: jobs waiting in line, probing under the cap, waiting for
 * their stages, or finished and awaiting their callback; the descriptors
 * and timers they, the resolver and the stages wait for; the poll loop of
 * mailcert_engine_run().
 *
 * A job is a bare probe (mailcert_engine_add()), a check (a probe, then
 * its stages and its evaluation: check.c) or a mail domain's lookups
 * (domain_lookup.c, stages alone). The cap counts jobs probing: a check
 * waiting for a lookup or a fetch holds no connection, and must not keep
 * other checks from connecting.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

#include "engine/run.h"
#include "engine/stages.h"
#include "io/net.h"
#include "io/resolve.h"

#include <mailcert/domain.h>

#define DEFAULT_CONCURRENCY 64

enum job_kind { JOB_PROBE, JOB_CHECK, JOB_DOMAIN };

struct list {
	struct job *head, *tail;
	size_t len;
};

struct job {
	struct job *prev, *next;
	struct list *list; /* the one it is on */
	enum job_kind kind;
	mailcert_probe *probe;
	mailcert_check *check;
	struct mc_domain_job *domain;
	union {
		mailcert_engine_done_fn probe;
		mailcert_check_done_fn check;
		mailcert_domain_done_fn domain;
	} done;
	void *user;
	struct mc_run *run;  /* while probing */
	struct mc_wait wait; /* while probing */
	short revents;       /* what polling wait.fd returned, not yet acted on */
	mailcert_observation *obs;
};

struct mailcert_engine {
	unsigned cap;
	struct list queued, running, staging, finished;
	size_t peak;
	struct job **by_fd; /* running jobs by the descriptor they wait on */
	size_t by_fd_len;
	struct mc_resolver *resolver;
	struct mc_stages *stages;
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
	j->list = l;
}

static void list_remove(struct job *j)
{
	struct list *l = j->list;

	if (j->prev)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
	j->list = NULL;
	l->len--;
}

static void move(struct job *j, struct list *to)
{
	list_remove(j);
	list_push(to, j);
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
	e->stages = mc_stages_new();
	if (!e->resolver || !e->stages) {
		mc_resolver_free(e->resolver);
		mc_stages_free(e->stages);
		free(e);
		return MAILCERT_E_NOMEM;
	}
	*out = e;
	return 0;
}

/* Lets go of everything @j holds, without its callback; the caller still owns its probe. */
static void job_free(struct job *j)
{
	mc_run_free(j->run);
	mailcert_observation_free(j->obs);
	if (j->check) {
		mc_check_abandon(j->check);
		mc_check_attach(j->check, NULL, NULL);
	}
	mc_domain_job_free(j->domain);
	free(j);
}

static void free_list(struct list *l)
{
	while (l->head) {
		struct job *j = l->head;

		list_remove(j);
		job_free(j);
	}
}

MAILCERT_EXPORT void mailcert_engine_free(mailcert_engine *e)
{
	if (!e)
		return;
	/* The jobs first: they abandon their lookups, which the resolver and
	 * the stages then free. */
	free_list(&e->queued);
	free_list(&e->running);
	free_list(&e->staging);
	free_list(&e->finished);
	mc_resolver_free(e->resolver);
	mc_stages_free(e->stages);
	free(e->by_fd);
	free(e);
}

/* A new job of @kind on the queue; NULL when out of memory. */
static struct job *job_add(mailcert_engine *e, enum job_kind kind, void *user)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->kind = kind;
	j->user = user;
	j->wait.fd = -1;
	/* It starts in mailcert_engine_process(), never inside the call that
	 * adds it: a job that ends at once must not call back into its caller. */
	list_push(&e->queued, j);
	return j;
}

/* The run of @probe for a new job; 0, or the error (the job then not added). */
static int job_add_probe(mailcert_engine *e, mailcert_probe *probe, enum job_kind kind,
			 void *user, struct job **out)
{
	struct job *j;
	struct mc_run *run;
	int err;

	run = mc_run_new(probe, e->resolver, &err);
	if (!run)
		return err;
	j = job_add(e, kind, user);
	if (!j) {
		mc_run_free(run);
		return MAILCERT_E_NOMEM;
	}
	j->run = run;
	j->probe = probe;
	*out = j;
	return 0;
}

MAILCERT_EXPORT int mailcert_engine_add(mailcert_engine *e, mailcert_probe *probe,
					mailcert_engine_done_fn done, void *user)
{
	struct job *j = NULL;
	int rc;

	if (!e || !probe || !done)
		return MAILCERT_E_INVALID;
	rc = job_add_probe(e, probe, JOB_PROBE, user, &j);
	if (rc == 0)
		j->done.probe = done;
	return rc;
}

MAILCERT_EXPORT int mailcert_engine_add_check(mailcert_engine *e, mailcert_check *check,
					      mailcert_check_done_fn done, void *user)
{
	struct job *j = NULL;
	int rc;

	if (!e || !check || !done || mc_check_attached(check))
		return MAILCERT_E_INVALID;
	rc = job_add_probe(e, mc_check_probe(check), JOB_CHECK, user, &j);
	if (rc < 0)
		return rc;
	j->check = check;
	j->done.check = done;
	mc_check_attach(check, e, j);
	return 0;
}

MAILCERT_EXPORT int mailcert_engine_add_domain(mailcert_engine *e, const char *domain,
					       const mailcert_policy *policy,
					       mailcert_family family, unsigned timeout_ms,
					       mailcert_domain_done_fn done, void *user, char *err,
					       unsigned errlen)
{
	struct mc_domain_job *dj;
	struct job *j;
	int rc;

	if (!e || !domain || !policy || !done)
		return MAILCERT_E_INVALID;
	dj = mc_domain_job_new(domain, policy, family, timeout_ms, err, errlen, &rc);
	if (!dj)
		return rc;
	/* Set up now, so that a resolver that cannot be is said here. */
	rc = mc_domain_job_begin(dj, e->stages, err, errlen);
	j = rc == 0 ? job_add(e, JOB_DOMAIN, user) : NULL;
	if (!j) {
		mc_domain_job_free(dj);
		return rc < 0 ? rc : MAILCERT_E_NOMEM;
	}
	j->domain = dj;
	j->done.domain = done;
	move(j, &e->staging);
	return 0;
}

void mc_engine_cancel(mailcert_engine *e, void *job)
{
	struct job *j = job;

	if (j->list == &e->running && j->wait.fd >= 0 && (size_t)j->wait.fd < e->by_fd_len &&
	    e->by_fd[j->wait.fd] == j)
		e->by_fd[j->wait.fd] = NULL;
	list_remove(j);
	job_free(j);
}

MAILCERT_EXPORT size_t mailcert_engine_pending(const mailcert_engine *e)
{
	return e ? e->queued.len + e->running.len + e->staging.len + e->finished.len : 0;
}

MAILCERT_EXPORT size_t mailcert_engine_probing(const mailcert_engine *e)
{
	return e ? e->queued.len + e->running.len : 0;
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

/* @j's probe ended: a bare probe is done; a check goes on to the stages that need the chain. */
static void probed(mailcert_engine *e, struct job *j)
{
	mailcert_observation *obs = mc_run_take(j->run);

	mc_run_free(j->run);
	j->run = NULL;
	j->wait.fd = -1;
	if (j->kind == JOB_PROBE) {
		j->obs = obs;
		move(j, &e->finished);
		return;
	}
	/* Out of memory shows as a NULL report; the check's state says so. */
	mc_check_probed(j->check, e->stages, obs);
	move(j, &e->staging);
}

/* Advances @j's probe until it waits again or finishes. */
static void advance(mailcert_engine *e, struct job *j)
{
	short revents = j->revents;

	j->revents = 0;
	unwatch(e, j);
	if (mc_run_advance(j->run, revents, &j->wait)) {
		probed(e, j);
		return;
	}
	watch(e, j);
}

/* Starts waiting jobs while there is room under the cap. */
static void start_queued(mailcert_engine *e)
{
	while (e->queued.head && e->running.len < e->cap) {
		struct job *j = e->queued.head;

		move(j, &e->running);
		if (e->running.len > e->peak)
			e->peak = e->running.len;
		/* A check that cannot start its stages still probes: its report
		 * then says what memory allowed. */
		if (j->check)
			mc_check_begin(j->check, e->stages);
		advance(e, j);
	}
}

/* Jobs whose stages are done (or out of time) are finished. */
static void end_stages(mailcert_engine *e)
{
	int64_t now = mc_now_ms(), until;
	struct job *j, *next;

	for (j = e->staging.head; j; j = next) {
		next = j->next;
		if (j->check ? !mc_check_waiting(j->check, now, &until)
			     : !mc_domain_job_waiting(j->domain, now, &until))
			move(j, &e->finished);
	}
}

/* Runs the callbacks of finished jobs, in the order they finished. */
static void deliver(mailcert_engine *e)
{
	struct job *j;

	while ((j = e->finished.head)) {
		list_remove(j);
		/* The probe (and the check) are the caller's again before the
		 * callback, which may free them or add them anew. */
		switch (j->kind) {
		case JOB_PROBE:
			j->done.probe(j->probe, j->obs, j->user);
			j->obs = NULL;
			break;
		case JOB_CHECK: {
			mailcert_report *report = mc_check_end(j->check);

			mc_check_attach(j->check, NULL, NULL);
			j->done.check(j->check, report, j->user);
			j->check = NULL;
			break;
		}
		case JOB_DOMAIN: {
			mailcert_domain *d = mc_domain_job_end(j->domain);

			j->domain = NULL;
			j->done.domain(d, j->user);
			break;
		}
		}
		job_free(j);
	}
}

MAILCERT_EXPORT size_t mailcert_engine_fds(mailcert_engine *e, struct pollfd *fds, size_t max)
{
	size_t n;

	if (!e)
		return 0;
	n = mc_resolver_fds(e->resolver, fds, max);
	n += mc_stages_fds(e->stages, n < max ? fds + n : NULL, n < max ? max - n : 0);
	for (struct job *j = e->running.head; j; j = j->next) {
		if (j->wait.fd < 0)
			continue;
		if (n < max)
			fds[n] = (struct pollfd){.fd = j->wait.fd, .events = j->wait.events};
		n++;
	}
	return n;
}

/* Makes @soonest the sooner of itself and @left (ms; -1 is none). */
static void sooner(int64_t *soonest, int64_t left)
{
	if (left >= 0 && (*soonest < 0 || left < *soonest))
		*soonest = left;
}

MAILCERT_EXPORT int mailcert_engine_timeout_ms(const mailcert_engine *e)
{
	int64_t now, until, soonest = -1;

	if (!e || mailcert_engine_pending(e) == 0)
		return -1;
	if (e->finished.head || (e->queued.head && e->running.len < e->cap))
		return 0;
	now = mc_now_ms();
	for (const struct job *j = e->running.head; j; j = j->next) {
		int64_t left = j->wait.until - now;

		if (j->revents || mc_run_lookup_done(j->run) || left <= 0)
			return 0;
		sooner(&soonest, left);
	}
	for (const struct job *j = e->staging.head; j; j = j->next) {
		if (j->check ? !mc_check_waiting(j->check, now, &until)
			     : !mc_domain_job_waiting(j->domain, now, &until))
			return 0;
		sooner(&soonest, until - now);
	}
	sooner(&soonest, mc_resolver_timeout_ms(e->resolver));
	sooner(&soonest, mc_stages_timeout_ms(e->stages));
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
	mc_stages_process(e->stages, fds, n);
	start_queued(e);
	do {
		int64_t now = mc_now_ms();
		struct job *j, *next;

		for (j = e->running.head; j; j = next) {
			next = j->next;
			if (j->revents || now >= j->wait.until || mc_run_lookup_done(j->run))
				advance(e, j);
		}
		end_stages(e);
		start_queued(e);
		/* Callbacks may add jobs: start those, and deliver what ends at once. */
		deliver(e);
		start_queued(e);
		end_stages(e);
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

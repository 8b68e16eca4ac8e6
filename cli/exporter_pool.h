/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MAILCERT_CLI_EXPORTER_POOL_H
#define MAILCERT_CLI_EXPORTER_POOL_H

#include <pthread.h>

/*
 * Long-lived threads that run the exporter's probes. A probe must not run
 * on the connection's own thread: GnuTLS (3.7) keeps a random generator
 * state for every thread that ever used it until gnutls_global_deinit(),
 * so with a thread per connection the exporter grew by each probe (about
 * 230 bytes, measured). Here the threads, and that state, are at most
 * @max_threads, started when first needed and kept until
 * exporter_pool_stop().
 */
struct exporter_pool {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t work;  /* a job was queued, or stopping */
	struct exporter_job *head, *tail;
	pthread_t *threads;
	unsigned count, max;
	unsigned idle;   /* threads not running a job */
	unsigned queued; /* jobs waiting for a thread */
	int stopping;
};

/* 0, or -1 when out of memory. */
int exporter_pool_init(struct exporter_pool *pool, unsigned max_threads);

/*
 * Runs @fn(@arg) on a thread of the pool and waits for it to return. The
 * caller keeps at most max_threads calls running at once (the exporter's
 * probe slots), so a job never waits for another to end. 0, or -1 when no
 * thread could be started (then @fn did not run).
 */
int exporter_pool_run(struct exporter_pool *pool, void (*fn)(void *), void *arg);

/* Ends and joins the threads; no exporter_pool_run() may be in progress. */
void exporter_pool_stop(struct exporter_pool *pool);

#endif

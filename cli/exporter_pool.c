/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "exporter_pool.h"

struct exporter_job {
	void (*fn)(void *);
	void *arg;
	int done;
	pthread_cond_t ended; /* done was set */
	struct exporter_job *next;
};

static void *worker(void *cls)
{
	struct exporter_pool *pool = cls;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct exporter_job *job;

		while (!pool->head && !pool->stopping)
			pthread_cond_wait(&pool->work, &pool->lock);
		if (!pool->head)
			break; /* stopping, and nothing left */
		job = pool->head;
		pool->head = job->next;
		if (!pool->head)
			pool->tail = NULL;
		pool->queued--;
		pool->idle--;
		pthread_mutex_unlock(&pool->lock);
		job->fn(job->arg);
		pthread_mutex_lock(&pool->lock);
		job->done = 1;
		pthread_cond_signal(&job->ended);
		pool->idle++;
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int exporter_pool_init(struct exporter_pool *pool, unsigned max_threads)
{
	*pool = (struct exporter_pool){.max = max_threads};
	pool->threads = calloc(max_threads, sizeof(*pool->threads));
	if (!pool->threads)
		return -1;
	if (pthread_mutex_init(&pool->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&pool->work, NULL) != 0) {
		pthread_mutex_destroy(&pool->lock);
		goto fail;
	}
	return 0;
fail:
	free(pool->threads);
	return -1;
}

int exporter_pool_run(struct exporter_pool *pool, void (*fn)(void *), void *arg)
{
	struct exporter_job job = {.fn = fn, .arg = arg};
	int rc = 0;

	if (pthread_cond_init(&job.ended, NULL) != 0)
		return -1;
	pthread_mutex_lock(&pool->lock);
	/* A new thread counts as idle from its creation, so none is started twice for one job. */
	if (pool->queued + 1 > pool->idle && pool->count < pool->max) {
		if (pthread_create(&pool->threads[pool->count], NULL, worker, pool) == 0) {
			pool->count++;
			pool->idle++;
		} else if (!pool->count) {
			rc = -1;
		}
	}
	if (rc == 0) {
		pool->queued++;
		if (pool->tail)
			pool->tail->next = &job;
		else
			pool->head = &job;
		pool->tail = &job;
		pthread_cond_signal(&pool->work);
		while (!job.done)
			pthread_cond_wait(&job.ended, &pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	pthread_cond_destroy(&job.ended);
	return rc;
}

void exporter_pool_stop(struct exporter_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->count; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
}

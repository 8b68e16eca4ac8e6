/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exporter's probe threads (cli/exporter_pool.c): jobs run on the
 * pool's threads, never the caller's; threads are reused, never more than
 * the maximum, and as many run at once as callers ask for.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "../../cli/exporter_pool.h"

struct job {
	pthread_t ran_on;
	pthread_barrier_t *together; /* waited on inside the job, if set */
	int *counter;                /* incremented under counter_lock, if set */
};

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static void job_run(void *cls)
{
	struct job *job = cls;

	job->ran_on = pthread_self();
	if (job->together)
		pthread_barrier_wait(job->together);
	if (job->counter) {
		pthread_mutex_lock(&counter_lock);
		++*job->counter;
		pthread_mutex_unlock(&counter_lock);
	}
}

START_TEST(test_one_thread_reused)
{
	struct exporter_pool pool;
	pthread_t first = pthread_self();

	ck_assert_int_eq(exporter_pool_init(&pool, 8), 0);
	for (int i = 0; i < 100; i++) {
		struct job job = {0};

		ck_assert_int_eq(exporter_pool_run(&pool, job_run, &job), 0);
		ck_assert(!pthread_equal(job.ran_on, pthread_self()));
		if (i == 0)
			first = job.ran_on;
		ck_assert(pthread_equal(job.ran_on, first));
	}
	ck_assert_uint_eq(pool.count, 1);
	exporter_pool_stop(&pool);
}
END_TEST

/* Callers that each run @rounds jobs, with the barrier and counter given. */
struct caller {
	struct exporter_pool *pool;
	pthread_barrier_t *together;
	int *counter;
	int rounds;
	int failed;
};

static void *caller_run(void *cls)
{
	struct caller *c = cls;

	for (int i = 0; i < c->rounds; i++) {
		struct job job = {.together = c->together, .counter = c->counter};

		if (exporter_pool_run(c->pool, job_run, &job) != 0)
			c->failed++;
	}
	return NULL;
}

static int run_callers(struct exporter_pool *pool, unsigned callers, int rounds,
		       pthread_barrier_t *together, int *counter)
{
	pthread_t t[16];
	struct caller c[16];
	int failed = 0;

	ck_assert_uint_le(callers, 16);
	for (unsigned i = 0; i < callers; i++) {
		c[i] = (struct caller){pool, together, counter, rounds, 0};
		ck_assert_int_eq(pthread_create(&t[i], NULL, caller_run, &c[i]), 0);
	}
	for (unsigned i = 0; i < callers; i++) {
		pthread_join(t[i], NULL);
		failed += c[i].failed;
	}
	return failed;
}

/* Four callers, four threads: each job waits for the other three, so they
 * must all run at once (the test times out otherwise). */
START_TEST(test_as_many_at_once_as_callers)
{
	struct exporter_pool pool;
	pthread_barrier_t together;
	int counter = 0;

	ck_assert_int_eq(pthread_barrier_init(&together, NULL, 4), 0);
	ck_assert_int_eq(exporter_pool_init(&pool, 4), 0);
	ck_assert_int_eq(run_callers(&pool, 4, 50, &together, &counter), 0);
	ck_assert_int_eq(counter, 200);
	ck_assert_uint_eq(pool.count, 4);
	exporter_pool_stop(&pool);
	pthread_barrier_destroy(&together);
}
END_TEST

/* More callers than threads: the jobs wait their turn, all run, and the
 * threads stay at the maximum. */
START_TEST(test_never_more_than_max)
{
	struct exporter_pool pool;
	int counter = 0;

	ck_assert_int_eq(exporter_pool_init(&pool, 3), 0);
	ck_assert_int_eq(run_callers(&pool, 12, 200, NULL, &counter), 0);
	ck_assert_int_eq(counter, 12 * 200);
	ck_assert_uint_le(pool.count, 3);
	ck_assert_uint_ge(pool.count, 1);
	ck_assert_uint_eq(pool.queued, 0);
	ck_assert_uint_eq(pool.idle, pool.count);
	exporter_pool_stop(&pool);
}
END_TEST

START_TEST(test_stop_unused)
{
	struct exporter_pool pool;

	ck_assert_int_eq(exporter_pool_init(&pool, 1024), 0);
	ck_assert_uint_eq(pool.count, 0);
	exporter_pool_stop(&pool);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exporter-pool");
	TCase *tc = tcase_create("exporter-pool");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_one_thread_reused);
	tcase_add_test(tc, test_as_many_at_once_as_callers);
	tcase_add_test(tc, test_never_more_than_max);
	tcase_add_test(tc, test_stop_unused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

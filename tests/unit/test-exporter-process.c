/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exporter's process_* series: /proc/PID/stat parsing, reading, rendering. */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../cli/exporter_process.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* A line of /proc/PID/stat (proc(5)): utime 250, stime 150, vsize
 * 161300480, rss 1185 pages. */
#define STAT_TAIL                                                                          \
	" S 1 4242 4242 0 -1 4194560 1290 0 0 0 250 150 0 0 20 0 3 0 98765 161300480 1185 "  \
	"18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n"

START_TEST(test_parse_stat)
{
	struct exporter_process p = {0};

	ck_assert_int_eq(exporter_process_parse_stat("4242 (mailcert)" STAT_TAIL, 4096, 100, &p),
			 0);
	ck_assert_double_eq_tol(p.cpu_s, 4.0, 1e-9);
	ck_assert_int_eq(p.virtual_bytes, 161300480);
	ck_assert_int_eq(p.resident_bytes, 1185LL * 4096);
}
END_TEST

/* The command name is the process's to choose: ") 1 2 3 (" in it must not
 * shift the fields. */
START_TEST(test_parse_stat_hostile_name)
{
	struct exporter_process p = {0};

	ck_assert_int_eq(
	    exporter_process_parse_stat("4242 (a) 9 9 9 (b)" STAT_TAIL, 4096, 100, &p), 0);
	ck_assert_int_eq(p.virtual_bytes, 161300480);
	ck_assert_int_eq(p.resident_bytes, 1185LL * 4096);
}
END_TEST

START_TEST(test_parse_stat_bad)
{
	static const char *const bad[] = {
	    "",
	    "4242 mailcert S 1",
	    "4242 (mailcert) S 1 4242 4242 0 -1 4194560 1290 0 0 0 250 150\n",
	    "4242 (mailcert) S 1 4242 4242 0 -1 4194560 1290 0 0 0 x 150 0 0 20 0 3 0 98765 "
	    "161300480 1185\n",
	    "4242 (mailcert) S 1 4242 4242 0 -1 4194560 1290 0 0 0 250 150 0 0 20 0 3 0 98765 "
	    "161300480 99999999999999999999999\n",
	};
	struct exporter_process p = {.cpu_s = -1, .resident_bytes = -1, .virtual_bytes = -1};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(exporter_process_parse_stat(bad[i], 4096, 100, &p) == -1, "%s", bad[i]);
		ck_assert_int_eq(p.resident_bytes, -1);
		ck_assert_int_eq(p.virtual_bytes, -1);
	}
	ck_assert_int_eq(exporter_process_parse_stat("1 (a)" STAT_TAIL, 0, 100, &p), -1);
}
END_TEST

static long long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long long n = -1; /* the directory's own */

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* This process, read: every value there, and the ones we can know exact. */
START_TEST(test_read_self)
{
	struct exporter_process p;
	struct rlimit rl;
	long long before;
	void *big;

	exporter_process_read(&p);
	ck_assert_double_ge(p.cpu_s, 0);
	ck_assert_int_gt(p.resident_bytes, 0);
	ck_assert_int_ge(p.virtual_bytes, p.resident_bytes);
	ck_assert_int_eq(p.open_fds, count_fds());
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_eq(p.max_fds, (long long)rl.rlim_cur);
	/* valgrind's allocator replaces glibc's, whose mallinfo2() then counts
	 * nothing: the heap is the plain and ASan builds' to check. */
	if (RUNNING_ON_VALGRIND)
		return;
	ck_assert_int_gt(p.heap_inuse, 0);

	/* 4 MiB more in use while allocated, and not after. */
	before = p.heap_inuse;
	big = malloc(4 << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 1, 4 << 20);
	exporter_process_read(&p);
	ck_assert_int_ge(p.heap_inuse, before + (4 << 20));
	free(big);
	exporter_process_read(&p);
	ck_assert_int_lt(p.heap_inuse, before + (4 << 20));
}
END_TEST

START_TEST(test_render)
{
	const struct exporter_process p = {4.0, 4853760, 161300480, 8, 1024, 176800};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	exporter_process_render(f, &p, 1796675980);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(
	    out,
	    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
	    "# TYPE process_cpu_seconds_total counter\n"
	    "process_cpu_seconds_total 4.00\n"
	    "# HELP process_max_fds Maximum number of open file descriptors.\n"
	    "# TYPE process_max_fds gauge\n"
	    "process_max_fds 1024\n"
	    "# HELP process_open_fds Number of open file descriptors.\n"
	    "# TYPE process_open_fds gauge\n"
	    "process_open_fds 8\n"
	    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	    "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes 4853760\n"
	    "# HELP process_start_time_seconds Start time of the process since unix epoch in "
	    "seconds.\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds 1796675980\n"
	    "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
	    "# TYPE process_virtual_memory_bytes gauge\n"
	    "process_virtual_memory_bytes 161300480\n"
	    "# HELP mailcert_exporter_heap_inuse_bytes Bytes of the heap in use: glibc's "
	    "mallinfo2() over all arenas (freed blocks in its per-thread caches count as in use), "
	    "or AddressSanitizer's allocator's count.\n"
	    "# TYPE mailcert_exporter_heap_inuse_bytes gauge\n"
	    "mailcert_exporter_heap_inuse_bytes 176800\n");
	free(out);
}
END_TEST

/* A value that could not be read is left out, not written as -1. */
START_TEST(test_render_unread)
{
	const struct exporter_process p = {-1, -1, -1, -1, -1, -1};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	exporter_process_render(f, &p, 1796675980);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(out, "# HELP process_start_time_seconds Start time of the process since "
			      "unix epoch in seconds.\n"
			      "# TYPE process_start_time_seconds gauge\n"
			      "process_start_time_seconds 1796675980\n");
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exporter-process");
	TCase *tc = tcase_create("process");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_stat);
	tcase_add_test(tc, test_parse_stat_hostile_name);
	tcase_add_test(tc, test_parse_stat_bad);
	tcase_add_test(tc, test_read_self);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_render_unread);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

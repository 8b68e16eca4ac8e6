/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MAILCERT_CLI_EXPORTER_PROCESS_H
#define MAILCERT_CLI_EXPORTER_PROCESS_H

#include <stdio.h>
#include <time.h>

/*
 * The exporter's own health, as Prometheus client libraries export it
 * (process_* series), plus the heap in use: read at scrape time, so that
 * a monitor (and the load test) sees memory and descriptors without a
 * debugger attached to the process. A value that could not be read is -1
 * and its series is left out, as client_golang does.
 */
struct exporter_process {
	double cpu_s;             /* user + system CPU time */
	long long resident_bytes; /* RSS */
	long long virtual_bytes;  /* VSZ */
	long long open_fds;
	long long max_fds;    /* the soft RLIMIT_NOFILE */
	long long heap_inuse; /* mallinfo2(), or the sanitizer allocator's count under ASan */
};

/*
 * Reads @text, the contents of /proc/PID/stat, into @out's cpu_s,
 * resident_bytes and virtual_bytes, with @page_size bytes a page and
 * @ticks clock ticks a second. 0, or -1 when @text does not have the
 * fields (proc(5)); @out is then untouched.
 */
int exporter_process_parse_stat(const char *text, long page_size, long ticks,
				struct exporter_process *out);

/* Reads this process's values now; those that cannot be read are -1. */
void exporter_process_read(struct exporter_process *out);

/* Writes the series of @p to @f in the text exposition format. */
void exporter_process_render(FILE *f, const struct exporter_process *p, time_t started);

#endif

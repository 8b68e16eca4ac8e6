/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exporter's process_* series and heap in use, read from /proc/self. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define EXPORTER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXPORTER_ASAN 1
#endif
#endif
#ifdef EXPORTER_ASAN
/* The sanitizer runtime's, declared here: gcc does not install clang's
 * <sanitizer/allocator_interface.h>. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "exporter_process.h"

int exporter_process_parse_stat(const char *text, long page_size, long ticks,
				struct exporter_process *out)
{
	/* The command name (field 2) is in parentheses and may hold anything,
	 * ") " included: the fields start after its last ')'. */
	const char *p = strrchr(text, ')');
	unsigned long long utime = 0, stime = 0, vsize = 0;
	long long rss = 0;
	char *end;

	if (!p || page_size <= 0 || ticks <= 0)
		return -1;
	p++;
	/* Field 3 (state) is the first after it; utime is 14, stime 15, vsize
	 * 23, rss 24 (proc(5)). */
	for (int field = 3; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -1;
		if (field == 3) {
			p++;
			continue;
		}
		errno = 0;
		if (field == 24) {
			rss = strtoll(p, &end, 10);
		} else {
			unsigned long long v = strtoull(p, &end, 10);

			if (field == 14)
				utime = v;
			else if (field == 15)
				stime = v;
			else if (field == 23)
				vsize = v;
		}
		if (end == p || errno || (*end != ' ' && *end != '\n' && *end != '\0'))
			return -1;
		p = end;
	}
	out->cpu_s = (double)(utime + stime) / (double)ticks;
	out->virtual_bytes = (long long)vsize;
	out->resident_bytes = rss * page_size;
	return 0;
}

/* Open descriptors, not counting the one that lists them. */
static long long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

static long long heap_inuse(void)
{
#ifdef EXPORTER_ASAN
	return (long long)__sanitizer_get_current_allocated_bytes();
#else
	/* Every arena's allocated chunks, and the chunks mmap()ed alone. */
	struct mallinfo2 mi = mallinfo2();

	return (long long)(mi.uordblks + mi.hblkhd);
#endif
}

void exporter_process_read(struct exporter_process *out)
{
	char text[1024];
	struct rlimit rl;
	ssize_t n = -1;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	*out = (struct exporter_process){-1, -1, -1, -1, -1, -1};
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	if (n > 0) {
		text[n] = '\0';
		exporter_process_parse_stat(text, sysconf(_SC_PAGESIZE), sysconf(_SC_CLK_TCK), out);
	}
	out->open_fds = open_fds();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		out->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (long long)rl.rlim_cur;
	out->heap_inuse = heap_inuse();
}

static void gauge(FILE *f, const char *name, const char *type, const char *help, long long v)
{
	if (v >= 0)
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", name, help, name, type, name, v);
}

void exporter_process_render(FILE *f, const struct exporter_process *p, time_t started)
{
	if (p->cpu_s >= 0)
		fprintf(f,
			"# HELP process_cpu_seconds_total Total user and system CPU time spent in "
			"seconds.\n"
			"# TYPE process_cpu_seconds_total counter\n"
			"process_cpu_seconds_total %.2f\n",
			p->cpu_s);
	gauge(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
	      p->max_fds);
	gauge(f, "process_open_fds", "gauge", "Number of open file descriptors.", p->open_fds);
	gauge(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	      p->resident_bytes);
	gauge(f, "process_start_time_seconds", "gauge",
	      "Start time of the process since unix epoch in seconds.", (long long)started);
	gauge(f, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
	      p->virtual_bytes);
	gauge(f, "mailcert_exporter_heap_inuse_bytes", "gauge",
	      "Bytes of the heap in use: glibc's mallinfo2() over all arenas (freed blocks in "
	      "its per-thread caches count as in use), or AddressSanitizer's allocator's count.",
	      p->heap_inuse);
}

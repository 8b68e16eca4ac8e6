/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `mailcert exporter`: the Prometheus multi-target exporter pattern (as
 * blackbox_exporter): Prometheus asks /probe?target=URL[&module=NAME], the
 * exporter probes that target then and answers with the report in the
 * text exposition format. /metrics gives the exporter's own figures.
 *
 * HTTP is libmicrohttpd with a thread per connection: a probe blocks for
 * up to its timeout, and a thread of its own keeps it from holding up
 * /metrics or other probes. The probe itself runs on one of at most
 * --max-concurrent long-lived threads (exporter_pool.h says why), the
 * connection's thread waiting for it. Connections are limited (MHD
 * refuses more); probes are counted, and one beyond --max-concurrent is
 * answered 503 at once rather than queued, so a burst of scrapes cannot
 * pile up threads that all time out. Each probe ends before Prometheus gives up on the
 * scrape: its timeout is the module's -t, cut to the scrape timeout that
 * Prometheus sends (X-Prometheus-Scrape-Timeout-Seconds) less a margin.
 *
 * The policy of a module is built once at startup and shared by the
 * probes read-only (mailcert_policy is safe for that: see policy.h).
 */
#define _GNU_SOURCE /* open_memstream */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli.h"
#include "exporter.h"
#include "exporter_pool.h"
#include "exporter_process.h"
#include "exporter_query.h"

static const char exporter_intro[] =
    "Usage: mailcert exporter --listen ADDR:PORT [--config FILE] [OPTIONS]\n"
    "\n"
    "A Prometheus exporter for many targets (the multi-target pattern of\n"
    "blackbox_exporter): Prometheus scrapes\n"
    "  /probe?target=smtp://mail.example.com:25[&module=NAME]\n"
    "and the exporter checks that target then, answering with its metrics in\n"
    "the text exposition format (as mailcert check -f prometheus).\n"
    "\n"
    "  /probe     the check; a missing or bad target or module is HTTP 400\n"
    "  /metrics   the exporter's own metrics (probes, requests, in flight)\n"
    "  /          a page naming these\n";

static const char exporter_outro[] =
    "\n"
    "The connection and policy options are the defaults of every probe, and a\n"
    "module overrides them. -t bounds each probe (default 10 s), and so does\n"
    "Prometheus's scrape timeout. --at takes only an offset (+30d): each probe is\n"
    "judged as of its own time plus the offset.\n"
    "\n"
    "Example:\n"
    "  mailcert exporter --listen 127.0.0.1:9154 --config /etc/mailcert/exporter.conf\n"
    "  curl 'http://127.0.0.1:9154/probe?target=submission://mail.example.com'\n";

#define MAX_CONCURRENT_DEFAULT 16
#define MAX_CONCURRENT_MAX 1024
/* Connections beyond the probes: /metrics, and the 503s themselves. */
#define SPARE_CONNECTIONS 64
/* A client's idle time allowed beyond the longest probe (MHD does not
 * count the time the handler runs as the client's). */
#define IDLE_SECONDS 30

/* Outcomes counted in mailcert_exporter_probes_total{result}. */
enum { RESULT_OK, RESULT_WARNING, RESULT_CRITICAL, RESULT_UNKNOWN, RESULT_ERROR, RESULT_COUNT };
static const char *const result_names[RESULT_COUNT] = {"ok", "warning", "critical", "unknown",
						       "error"};
/* Status codes counted in mailcert_exporter_requests_total{code}. */
static const unsigned codes[] = {200, 400, 404, 405, 500, 503};
#define CODE_COUNT (sizeof(codes) / sizeof(codes[0]))

struct exporter {
	struct exporter_config config;
	unsigned max_concurrent;
	time_t started;
	struct exporter_pool pool; /* runs the probes */
	pthread_mutex_t lock;      /* guards the figures below */
	unsigned in_flight;
	unsigned long long probes[RESULT_COUNT];
	unsigned long long requests[CODE_COUNT];
};

/* ------------------------------------------------------------------------ */
/* Answers */

static void count_request(struct exporter *e, unsigned code)
{
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < CODE_COUNT; i++)
		if (codes[i] == code)
			e->requests[i]++;
	pthread_mutex_unlock(&e->lock);
}

/* Queues @len bytes of @body (taken: freed by MHD) with @code and @type. */
static enum MHD_Result answer(struct exporter *e, struct MHD_Connection *conn, unsigned code,
			      const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/*
	 * One request per connection: with a thread per connection, idle
	 * keep-alive connections (Prometheus keeps one per target) would
	 * hold threads and fill the connection limit.
	 */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (code == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ok = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	count_request(e, code);
	return ok;
}

/* A text/plain answer: the reason, one line. */
static enum MHD_Result answer_text(struct exporter *e, struct MHD_Connection *conn, unsigned code,
				   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result answer_text(struct exporter *e, struct MHD_Connection *conn, unsigned code,
				   const char *fmt, ...)
{
	va_list ap;
	char *body = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	return answer(e, conn, code, "text/plain; charset=utf-8", body, (size_t)n);
}

#define EXPOSITION "text/plain; version=0.0.4; charset=utf-8"

/* ------------------------------------------------------------------------ */
/* /probe */

/* Takes a probe slot; 0 when --max-concurrent are already running. */
static int slot_take(struct exporter *e)
{
	int ok;

	pthread_mutex_lock(&e->lock);
	ok = e->in_flight < e->max_concurrent;
	if (ok)
		e->in_flight++;
	pthread_mutex_unlock(&e->lock);
	return ok;
}

static void slot_give(struct exporter *e, int result)
{
	pthread_mutex_lock(&e->lock);
	e->in_flight--;
	e->probes[result]++;
	pthread_mutex_unlock(&e->lock);
}

static int result_of(mailcert_report *const *reports, size_t n)
{
	int state = MAILCERT_OK;

	for (size_t i = 0; i < n; i++)
		state = worse(state, (int)mailcert_report_state(reports[i]));
	switch (state) {
	case MAILCERT_OK:
		return RESULT_OK;
	case MAILCERT_WARNING:
		return RESULT_WARNING;
	case MAILCERT_CRITICAL:
		return RESULT_CRITICAL;
	default:
		return RESULT_UNKNOWN;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * When MHD accepted a connection (monotonic ms), as its socket context:
 * under load a request waits for its thread, and that wait is part of
 * the scrape timeout too.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		int64_t *t = malloc(sizeof(*t));

		if (t)
			*t = now_ms();
		*ctx = t;
	} else {
		free(*ctx);
		*ctx = NULL;
	}
}

/* The probe's budget less the time since the connection was accepted (at least 1 ms). */
static void budget_less_wait(struct MHD_Connection *conn, unsigned *ms)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const int64_t *accepted = ci ? ci->socket_context : NULL;
	int64_t waited;

	if (!accepted)
		return;
	waited = now_ms() - *accepted;
	if (waited > 0)
		*ms = waited < (int64_t)*ms ? *ms - (unsigned)waited : 1;
}

/* One probe's check (two with --all-keys), run on a thread of the pool. */
struct probe_job {
	const struct exporter_query *q;
	mailcert_report *reports[2];
	size_t n;
	int rc;
};

static void probe_job_run(void *cls)
{
	struct probe_job *job = cls;
	const struct exporter_query *q = job->q;

	job->rc = check_probe(&q->run, q->probe, time(NULL) + q->module->at_offset, job->reports,
			      &job->n);
}

static enum MHD_Result probe(struct exporter *e, struct MHD_Connection *conn)
{
	const char *text = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "target");
	const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "module");
	const char *scrape =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, EXPORTER_SCRAPE_HEADER);
	struct exporter_query q;
	struct probe_job job = {.q = &q, .rc = MAILCERT_E_NOMEM};
	char reason[EXPORTER_TARGET_MAX + 1024], *body = NULL;
	int rc, result = RESULT_ERROR;
	enum MHD_Result ok;

	rc = exporter_query_parse(&e->config, text, name, scrape, &q, reason, sizeof(reason));
	if (rc != 0) {
		ok = answer_text(e, conn, (unsigned)rc, "%s", reason);
		goto out;
	}
	if (scrape) { /* Prometheus's clock started when it connected */
		budget_less_wait(conn, &q.run.timeout_ms);
		mailcert_probe_set_timeout_ms(q.probe, q.run.timeout_ms);
	}
	if (!slot_take(e)) {
		ok = answer_text(e, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "%u probes are running already (--max-concurrent); try again\n",
				 e->max_concurrent);
		goto out;
	}
	rc = exporter_pool_run(&e->pool, probe_job_run, &job) < 0 ? MAILCERT_E_NOMEM : job.rc;
	if (rc >= 0) {
		rc = mailcert_render_many(&body, (const mailcert_report *const *)job.reports, job.n,
					  MAILCERT_FORMAT_PROMETHEUS, 0);
		result = result_of(job.reports, job.n);
		if (rc < 0)
			result = RESULT_ERROR;
	}
	slot_give(e, result);
	for (size_t i = 0; i < job.n; i++)
		mailcert_report_free(job.reports[i]);
	if (rc < 0) {
		free(body);
		ok = answer_text(e, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s: internal failure\n",
				 q.shown);
		goto out;
	}
	ok = answer(e, conn, MHD_HTTP_OK, EXPOSITION, body, strlen(body));
out:
	exporter_query_clear(&q);
	return ok;
}

/* ------------------------------------------------------------------------ */
/* /metrics and / */

static enum MHD_Result metrics(struct exporter *e, struct MHD_Connection *conn)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	unsigned long long probes[RESULT_COUNT], requests[CODE_COUNT];
	struct exporter_process self;
	unsigned in_flight;

	if (!f)
		return MHD_NO;
	pthread_mutex_lock(&e->lock);
	memcpy(probes, e->probes, sizeof(probes));
	memcpy(requests, e->requests, sizeof(requests));
	in_flight = e->in_flight;
	pthread_mutex_unlock(&e->lock);

	fputs("# HELP mailcert_exporter_probes_total Probes run, by result: the worst state "
	      "of the probe's reports, or error (internal failure).\n"
	      "# TYPE mailcert_exporter_probes_total counter\n",
	      f);
	for (int i = 0; i < RESULT_COUNT; i++)
		fprintf(f, "mailcert_exporter_probes_total{result=\"%s\"} %llu\n", result_names[i],
			probes[i]);
	fprintf(f,
		"# HELP mailcert_exporter_probes_in_flight Probes running now.\n"
		"# TYPE mailcert_exporter_probes_in_flight gauge\n"
		"mailcert_exporter_probes_in_flight %u\n"
		"# HELP mailcert_exporter_max_concurrent_probes Probes allowed at once "
		"(--max-concurrent); more are answered 503.\n"
		"# TYPE mailcert_exporter_max_concurrent_probes gauge\n"
		"mailcert_exporter_max_concurrent_probes %u\n",
		in_flight, e->max_concurrent);
	fputs("# HELP mailcert_exporter_requests_total HTTP requests answered, by status code.\n"
	      "# TYPE mailcert_exporter_requests_total counter\n",
	      f);
	for (size_t i = 0; i < CODE_COUNT; i++)
		fprintf(f, "mailcert_exporter_requests_total{code=\"%u\"} %llu\n", codes[i],
			requests[i]);
	fprintf(f,
		"# HELP mailcert_exporter_build_info The mailcert version serving.\n"
		"# TYPE mailcert_exporter_build_info gauge\n"
		"mailcert_exporter_build_info{version=\"%s\"} 1\n",
		mailcert_version());
	exporter_process_read(&self);
	exporter_process_render(f, &self, e->started);
	if (fclose(f) != 0) {
		free(body);
		return MHD_NO;
	}
	return answer(e, conn, MHD_HTTP_OK, EXPOSITION, body, len);
}

static enum MHD_Result index_page(struct exporter *e, struct MHD_Connection *conn)
{
	char known[512];

	exporter_module_names(&e->config, known, sizeof(known));
	return answer_text(e, conn, MHD_HTTP_OK,
			   "mailcert exporter %s\n"
			   "\n"
			   "/probe?target=URL[&module=NAME]  check URL (e.g. "
			   "smtp://mail.example.com:25) now, metrics in the Prometheus text "
			   "format\n"
			   "/metrics                         the exporter's own metrics\n"
			   "\n"
			   "%s\n",
			   mailcert_version(), known);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	static int seen;
	struct exporter *e = cls;

	(void)version;
	(void)upload;
	/* The first call is for the headers alone; answer on the second. */
	if (!*state) {
		*state = &seen;
		return MHD_YES;
	}
	if (*upload_size) { /* a body is not expected: ignore it */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(e, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n");
	if (strcmp(url, "/probe") == 0)
		return probe(e, conn);
	if (strcmp(url, "/metrics") == 0)
		return metrics(e, conn);
	if (strcmp(url, "/") == 0)
		return index_page(e, conn);
	return answer_text(e, conn, MHD_HTTP_NOT_FOUND, "not found: try /, /probe or /metrics\n");
}

/* ------------------------------------------------------------------------ */
/* Startup */

/* --listen ADDR:PORT, [V6]:PORT or :PORT → @ss. 0, or a usage error. */
static int parse_listen(const char *arg, struct sockaddr_storage *ss, int *dual)
{
	char host[256];
	const char *colon = strrchr(arg, ':'), *port;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	size_t hlen;
	char *end;
	long p;

	if (!colon)
		goto bad;
	port = colon + 1;
	p = strtol(port, &end, 10);
	if (end == port || *end || p < 1 || p > 65535)
		goto bad;
	hlen = (size_t)(colon - arg);
	if (hlen >= 2 && arg[0] == '[' && arg[hlen - 1] == ']') {
		arg++;
		hlen -= 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else if (memchr(arg, ':', hlen)) {
		goto bad; /* an IPv6 address needs its brackets */
	}
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(hlen ? host : NULL, port, &hints, &ai) != 0 || !ai)
		goto bad;
	/* No address: every IPv6 and IPv4 address (dual stack). */
	if (!hlen) {
		struct sockaddr_in6 any = {.sin6_family = AF_INET6,
					   .sin6_port = htons((uint16_t)p),
					   .sin6_addr = IN6ADDR_ANY_INIT};

		memcpy(ss, &any, sizeof(any));
		*dual = 1;
	} else {
		memcpy(ss, ai->ai_addr, ai->ai_addrlen);
		*dual = 0;
	}
	freeaddrinfo(ai);
	return 0;
bad:
	return usage_error("exporter ",
			   "--listen \"%s\": use ADDR:PORT, e.g. 127.0.0.1:9154, [::1]:9154 or "
			   ":9154",
			   arg);
}

static int parse_max(const char *arg, unsigned *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end || v < 1 || v > MAX_CONCURRENT_MAX)
		return usage_error("exporter ",
				   "--max-concurrent takes a number from 1 to %d, not \"%s\"",
				   MAX_CONCURRENT_MAX, arg);
	*out = (unsigned)v;
	return 0;
}

/*
 * Seconds a connection may be idle: enough for the longest probe of any
 * module and a slow client, so that no answer is cut off, yet a client
 * that connects and says nothing does not hold a thread for ever.
 */
static unsigned idle_timeout(const struct exporter_config *cfg)
{
	unsigned ms = 0;

	for (size_t i = 0; i < cfg->len; i++)
		if (cfg->modules[i].run.timeout_ms > ms)
			ms = cfg->modules[i].run.timeout_ms;
	return 2 * (ms / 1000 + 1) + IDLE_SECONDS; /* --crl-fetch may take as long again */
}

/* Waits for SIGINT or SIGTERM (blocked in every thread since startup). */
static void wait_for_signal(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) != 0)
		;
}

int cmd_exporter(int argc, char **argv)
{
	struct exporter e = {.max_concurrent = MAX_CONCURRENT_DEFAULT, .started = time(NULL)};
	struct sockaddr_storage ss = {0};
	int dual = 0;
	const char *config = NULL;
	struct MHD_Daemon *d;
	sigset_t set;
	char where[INET6_ADDRSTRLEN + 16] = "";
	struct mc_getopt getopts;
	int c, idx = 0, rc = EXIT_USAGE, listen_given = 0;

	if (exporter_config_init(&e.config) < 0) {
		fputs("mailcert: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	mc_getopt_init(&getopts, MC_CMD_EXPORTER);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, getopts.shorts, getopts.longs, &idx)) != -1) {
		if (IS_POLICY_OPTION(c) || IS_PROBE_OPTION(c)) {
			if (exporter_config_default(&e.config, c, optarg))
				goto out;
			continue;
		}
		switch (c) {
		case OPT_LISTEN:
			if (parse_listen(optarg, &ss, &dual))
				goto out;
			snprintf(where, sizeof(where), "%s", optarg);
			listen_given = 1;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_MAX_CONCURRENT:
			if (parse_max(optarg, &e.max_concurrent))
				goto out;
			break;
		case 'h':
			mc_help(stdout, MC_CMD_EXPORTER, exporter_intro, exporter_outro);
			rc = 0;
			goto out;
		default: /* ':' or '?' */
			option_error("exporter ", c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		usage_error("exporter ",
			    "the exporter takes no target (\"%s\"): Prometheus names it, "
			    "/probe?target=URL",
			    argv[optind]);
		goto out;
	}
	if (!listen_given) {
		usage_error("exporter ",
			    "--listen ADDR:PORT is required, e.g. --listen 127.0.0.1:9154");
		goto out;
	}
	if (config && exporter_config_load(&e.config, config))
		goto out;
	exporter_config_ready(&e.config);
	if (exporter_pool_init(&e.pool, e.max_concurrent) < 0) {
		fputs("mailcert: out of memory\n", stderr);
		goto out;
	}
	if (pthread_mutex_init(&e.lock, NULL) != 0) {
		fputs("mailcert: out of memory\n", stderr);
		exporter_pool_stop(&e.pool);
		goto out;
	}
	/*
	 * Signals go to the sigwait() below: block them before MHD's threads
	 * exist so they inherit the mask. A peer gone mid-answer must not kill
	 * the process.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/*
	 * MHD_USE_ITC: a connection's thread, when it ends, wakes the polling
	 * thread to close its socket. Without it the socket stays open and
	 * counted until the next connection arrives: after a burst, the
	 * descriptors stayed held, every connection beyond the limit was
	 * closed unanswered, and so was the first one after the burst
	 * (tests/integration/test-exporter-load.sh).
	 */
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				 MHD_USE_ERROR_LOG | MHD_USE_ITC |
				 (dual                       ? MHD_USE_DUAL_STACK
				  : ss.ss_family == AF_INET6 ? MHD_USE_IPv6
							     : 0),
			     0, NULL, NULL, handle, &e, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned)(e.max_concurrent + SPARE_CONNECTIONS),
			     MHD_OPTION_CONNECTION_TIMEOUT, idle_timeout(&e.config),
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mailcert: exporter: cannot listen on %s: %s\n", where,
			errno ? strerror(errno) : "failed");
		pthread_mutex_destroy(&e.lock);
		exporter_pool_stop(&e.pool);
		goto out;
	}
	fprintf(stderr, "mailcert: exporter listening on %s (%zu module%s)\n", where,
		e.config.len - 1, e.config.len == 2 ? "" : "s");
	wait_for_signal(&set);
	fputs("mailcert: exporter stopping\n", stderr);
	MHD_stop_daemon(d); /* waits for the connections' threads, so for their probes */
	exporter_pool_stop(&e.pool);
	pthread_mutex_destroy(&e.lock);
	rc = 0;
out:
	exporter_config_free(&e.config);
	return rc;
}

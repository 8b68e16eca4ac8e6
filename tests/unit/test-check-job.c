/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks (include/mailcert/check.h) on loopback: the fixture SMTP server,
 * a DNS "resolver" that never answers (a UDP and a TCP socket nobody
 * reads), and an HTTP server that answers CRL requests after a delay.
 * What must hold: a check's stages wait in the engine beside everything
 * else, so checks whose lookups hang end together at their one deadline,
 * not one after another, and say the lookup timed out, never the server;
 * one CRL wanted by many checks is fetched once, then taken from the
 * cache; a check can be cancelled wherever it is; a mail domain's lookups
 * are a job of the engine too. Run it under valgrind as well
 * (`meson test --setup valgrind check-job`).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/mockserver.h"
#include "engine/run.h"
#include "fixture/fixture.h"
#include "io/net.h"
#include "model/internal.h"

#include <mailcert/domain.h>

#define DAY 86400
#define HOST "mail.example.net" /* not under .test, which libunbound answers itself */
#define MAX_CHECKS 16
/* A DS record of the root zone: the trust anchor libunbound needs to start. */
#define ROOT_DS ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"

static char dir[64];
static struct mc_fixture_cert root, leaf;
static struct mc_fixture_smtpd *smtpd;
static unsigned smtpd_port;
static char ca_path[128], anchor_path[128];

/* ---- a resolver that never answers ---------------------------------- */

struct silent {
	int udp, tcp;
	unsigned port;
};

static void silent_start(struct silent *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	s->udp = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(s->udp, 0);
	ck_assert_int_eq(bind(s->udp, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s->udp, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	/* Over TCP too: a refused connection would be an answer (SERVFAIL). */
	s->tcp = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s->tcp, 0);
	ck_assert_int_eq(bind(s->tcp, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->tcp, 64), 0);
}

/* Sends @p's DNS lookups to @s; with --dane. */
static void dane_through(mailcert_policy *p, const struct silent *s)
{
	char resolver[32];

	snprintf(resolver, sizeof(resolver), "127.0.0.1:%u", s->port);
	ck_assert_int_eq(mailcert_policy_set_dane(p, 1), 0);
	ck_assert_int_eq(mailcert_policy_set_resolver(p, resolver, NULL, 0), 0);
	ck_assert_int_eq(mailcert_policy_set_trust_anchor(p, anchor_path, NULL, 0), 0);
}

static void silent_stop(struct silent *s)
{
	close(s->udp);
	close(s->tcp);
}

/* ---- an HTTP server that answers after a delay ---------------------- */

struct slow_http {
	int fd;
	unsigned port;
	unsigned delay_ms;
	gnutls_datum_t body;
	int requests, stop;
	pthread_t thread;
};

static void *slow_http_serve(void *arg)
{
	struct slow_http *h = arg;

	for (;;) {
		char req[4096], head[256];
		size_t got = 0;
		int c = accept(h->fd, NULL, NULL);

		if (c < 0 || __atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
			if (c >= 0)
				close(c);
			return NULL;
		}
		while (got < sizeof(req) - 1) {
			ssize_t n = read(c, req + got, sizeof(req) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		__atomic_add_fetch(&h->requests, 1, __ATOMIC_RELEASE);
		/* The delay, or until the client gives up (its socket reads EOF). */
		if (poll(&(struct pollfd){.fd = c, .events = POLLIN}, 1, (int)h->delay_ms) != 0) {
			close(c);
			continue;
		}
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\n"
			 "Content-Length: %u\r\nConnection: close\r\n\r\n",
			 h->body.size);
		/* A client that gave up is no error here. */
		if (send(c, head, strlen(head), MSG_NOSIGNAL) > 0)
			(void)!send(c, h->body.data, h->body.size, MSG_NOSIGNAL);
		close(c);
	}
}

static void slow_http_start(struct slow_http *h, unsigned delay_ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	gnutls_x509_crl_t crl;
	time_t now = time(NULL);

	h->delay_ms = delay_ms;
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(h->fd, 0);
	ck_assert_int_eq(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
	ck_assert_int_eq(listen(h->fd, 64), 0);
	h->port = ntohs(a.sin_port);
	/* The root's CRL, revoking nothing, valid for a week. */
	ck_assert_int_eq(gnutls_x509_crl_init(&crl), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_version(crl, 2), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_this_update(crl, now - DAY), 0);
	ck_assert_int_eq(gnutls_x509_crl_set_next_update(crl, now + 7 * DAY), 0);
	ck_assert_int_eq(gnutls_x509_crl_sign2(crl, root.crt, root.key, GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, &h->body), 0);
	gnutls_x509_crl_deinit(crl);
	ck_assert_int_eq(pthread_create(&h->thread, NULL, slow_http_serve, h), 0);
}

static void slow_http_stop(struct slow_http *h)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)h->port)};

	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	/* Wakes accept(). */
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		ck_abort_msg("cannot wake the HTTP server");
	close(c);
	pthread_join(h->thread, NULL);
	close(h->fd);
	gnutls_free(h->body.data);
}

/* ---- the PKI, the SMTP server, the CRL URL -------------------------- */

/*
 * The leaf names a CRL at http://127.0.0.1:@crl_port/root.crl; the port
 * of each test's HTTP server is picked by the kernel, so the leaf is made
 * for it.
 */
static void serve(unsigned crl_port)
{
	static const char *const dns[] = {HOST, NULL};
	time_t now = time(NULL);
	char url[64];
	struct mc_fixture_cert_spec ls = {.cn = HOST,
					  .dns = dns,
					  .not_before = now - DAY,
					  .not_after = now + 90 * DAY,
					  .issuer = &root};
	const struct mc_fixture_cert *chain[] = {&leaf, &root};

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/root.crl", crl_port);
	ls.crl_url = crl_port ? url : NULL;
	ck_assert_int_eq(mc_fixture_cert_make(&leaf, &ls), 0);
	ck_assert_int_eq(mc_fixture_smtpd_start(&smtpd, &smtpd_port, chain, 1, &leaf), 0);
}

static void setup(void)
{
	static const char *const none[] = {NULL};
	time_t now = time(NULL);
	const struct mc_fixture_cert_spec rs = {.cn = "Check Job Root",
						.dns = none,
						.not_before = now - DAY,
						.not_after = now + 3650 * DAY,
						.is_ca = 1};
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/mailcert-check-job.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ca_path, sizeof(ca_path), "%s/root.pem", dir);
	snprintf(anchor_path, sizeof(anchor_path), "%s/root.key", dir);
	ck_assert_int_eq(mc_fixture_cert_make(&root, &rs), 0);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&root, ca_path), 0);
	f = fopen(anchor_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(ROOT_DS, f);
	fclose(f);
	/* The CRL cache of these tests, not the user's. */
	setenv("XDG_CACHE_HOME", dir, 1);
}

static void teardown(void)
{
	char cmd[128];

	mc_fixture_smtpd_stop(smtpd);
	smtpd = NULL;
	mc_fixture_cert_clear(&leaf);
	mc_fixture_cert_clear(&root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- checks --------------------------------------------------------- */

struct job {
	mailcert_target *target;
	mailcert_probe *probe;
	mailcert_check *check;
	mailcert_report *report;
	int calls;
	int64_t done_ms;
};

static mailcert_policy *policy(void)
{
	mailcert_policy *p;

	ck_assert_int_eq(mailcert_policy_new_flags(&p, MAILCERT_POLICY_NO_SYSTEM_TRUST), 0);
	ck_assert_int_eq(mailcert_policy_add_ca_file(p, ca_path, NULL, 0), 0);
	return p;
}

static void make_job(struct job *j, const mailcert_policy *p, unsigned timeout_ms)
{
	char url[64];

	snprintf(url, sizeof(url), "smtp://" HOST ":%u", smtpd_port);
	memset(j, 0, sizeof(*j));
	ck_assert_int_eq(mailcert_target_parse(&j->target, url, NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&j->probe, j->target), 0);
	ck_assert_int_eq(mailcert_probe_set_connect_to(j->probe, "127.0.0.1"), 0);
	ck_assert_int_eq(mailcert_probe_set_timeout_ms(j->probe, timeout_ms), 0);
	ck_assert_int_eq(mailcert_check_new(&j->check, j->probe, p), 0);
}

static void free_job(struct job *j)
{
	mailcert_report_free(j->report);
	mailcert_check_free(j->check);
	mailcert_probe_free(j->probe);
	mailcert_target_free(j->target);
}

static void job_done(mailcert_check *check, mailcert_report *report, void *user)
{
	struct job *j = user;

	ck_assert_ptr_eq(check, j->check);
	j->report = report;
	j->calls++;
	j->done_ms = mc_now_ms();
}

/* The finding @code of @r, or NULL. */
static const mailcert_finding *finding(const mailcert_report *r, const char *code)
{
	for (size_t i = 0; r && i < mailcert_report_finding_count(r); i++)
		if (strcmp(mailcert_finding_code(mailcert_report_finding(r, i)), code) == 0)
			return mailcert_report_finding(r, i);
	return NULL;
}

/* No stage asked for: a check is its probe and its evaluation. */
START_TEST(test_run_plain)
{
	mailcert_policy *p = policy();
	struct job j;

	serve(0);
	make_job(&j, p, 5000);
	ck_assert_int_eq(mailcert_check_run(j.check, &j.report), 0);
	ck_assert_msg(mailcert_report_state(j.report) == MAILCERT_OK, "%zu findings, first %s",
		      mailcert_report_finding_count(j.report),
		      mailcert_report_finding_count(j.report)
			  ? mailcert_finding_message(mailcert_report_finding(j.report, 0))
			  : "");
	ck_assert_str_eq(mailcert_report_matched_name(j.report), HOST);
	/* --at: judged as of the time set, not the clock. */
	mailcert_report_free(j.report);
	ck_assert_int_eq(mailcert_check_set_now(j.check, time(NULL) + 100 * DAY), 0);
	ck_assert_int_eq(mailcert_check_run(j.check, &j.report), 0);
	ck_assert_ptr_nonnull(finding(j.report, "cert.expired"));
	free_job(&j);
	mailcert_policy_free(p);
}
END_TEST

/*
 * --compare-acme: the policy read the store when it was set, but a check
 * reads it again, so a program that runs for long (the exporter) sees a
 * renewal written after it started: the served leaf is then the
 * previous certificate. A store gone since is a note, and the policy's
 * copy is used.
 */
START_TEST(test_acme_store_read_again)
{
	static const char *const dns[] = {HOST, NULL};
	const struct mc_fixture_cert_spec rs = {.cn = HOST,
						.dns = dns,
						.not_before = time(NULL) - 3600,
						.not_after = time(NULL) + 90 * DAY,
						.issuer = &root};
	mailcert_policy *p = policy();
	struct mc_fixture_cert renewed;
	char store[128], crt[160], cmd[200], err[512];
	struct job j;

	serve(0);
	snprintf(store, sizeof(store), "%s/certificates", dir);
	snprintf(crt, sizeof(crt), "%s/" HOST ".crt", store);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", store);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&leaf, crt), 0);
	ck_assert_msg(mailcert_policy_set_compare_acme(p, store, err, sizeof(err)) == 0, "%s", err);
	make_job(&j, p, 5000);
	ck_assert_int_eq(mailcert_check_run(j.check, &j.report), 0);
	ck_assert_ptr_null(finding(j.report, "deploy.mismatch"));
	mailcert_report_free(j.report);
	/* Renewed on disk after the policy was made. */
	ck_assert_int_eq(mc_fixture_cert_make(&renewed, &rs), 0);
	ck_assert_int_eq(unlink(crt), 0);
	ck_assert_int_eq(mc_fixture_cert_append_pem(&renewed, crt), 0);
	ck_assert_int_eq(mailcert_check_run(j.check, &j.report), 0);
	ck_assert_msg(finding(j.report, "deploy.mismatch"), "the check judged the store as it was");
	ck_assert_int_eq(mailcert_report_state(j.report), MAILCERT_WARNING);
	mailcert_report_free(j.report);
	/* Gone: the policy's copy, and a note saying so. */
	snprintf(cmd, sizeof(cmd), "rm -r %s", store);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(mailcert_check_run(j.check, &j.report), 0);
	ck_assert_ptr_null(finding(j.report, "deploy.mismatch"));
	ck_assert_ptr_nonnull(finding(j.report, "deploy.store-unreadable"));
	snprintf(err, sizeof(err),
		 "cannot read the ACME store \"%s\": No such file or directory; compared with the "
		 "lego store as it was read at startup",
		 store);
	ck_assert_str_eq(mailcert_finding_message(finding(j.report, "deploy.store-unreadable")), err);
	ck_assert_int_eq(mailcert_report_state(j.report), MAILCERT_OK);
	mc_fixture_cert_clear(&renewed);
	free_job(&j);
	mailcert_policy_free(p);
}
END_TEST

/*
 * Eight checks whose TLSA lookups go to a resolver that never answers, at
 * once: they end together at their deadline (one timeout, not eight),
 * each saying the lookup timed out and none that the server did; while
 * they wait, no probe counts against the cap and the resolver's
 * descriptor is among those to poll.
 */
START_TEST(test_dane_silent_resolver)
{
	/*
	 * Long enough for eight probes of a busy machine (under valgrind,
	 * beside other tests) to end before it; one after another would be
	 * eight of it.
	 */
	enum { N = 8, TIMEOUT = 4000 };
	mailcert_policy *p = policy();
	mailcert_engine *e;
	struct silent s;
	struct job jobs[N];
	int64_t start;
	int saw_waiting = 0;

	serve(0);
	silent_start(&s);
	dane_through(p, &s);
	ck_assert_int_eq(mailcert_engine_new(&e, 4), 0);
	for (int i = 0; i < N; i++) {
		make_job(&jobs[i], p, TIMEOUT);
		ck_assert_int_eq(mailcert_engine_add_check(e, jobs[i].check, job_done, &jobs[i]), 0);
	}
	ck_assert_uint_eq(mailcert_engine_probing(e), N);
	start = mc_now_ms();
	while (mailcert_engine_pending(e) > 0) {
		struct pollfd fds[64];
		size_t n = mailcert_engine_fds(e, fds, 64);
		int ready;

		ck_assert_uint_le(n, 64);
		if (mailcert_engine_probing(e) == 0 && mailcert_engine_pending(e) == N) {
			/* Every probe done, every lookup waiting: the cap of 4 let all in. */
			ck_assert_uint_ge(n, 1);
			saw_waiting = 1;
		}
		ready = poll(fds, n, mailcert_engine_timeout_ms(e));
		ck_assert_int_ge(ready, 0);
		ck_assert_int_eq(mailcert_engine_process(e, fds, ready > 0 ? n : 0), 0);
	}
	ck_assert_msg(saw_waiting, "never saw every check waiting for its lookup alone");
	for (int i = 0; i < N; i++) {
		const mailcert_finding *f = finding(jobs[i].report, "dane.lookup-failed");

		ck_assert_int_eq(jobs[i].calls, 1);
		ck_assert_msg(f, "check %d: no dane.lookup-failed", i);
		ck_assert_msg(strstr(mailcert_finding_message(f), "no answer from the resolver within "
								   "the timeout"),
			      "check %d: %s", i, mailcert_finding_message(f));
		ck_assert_ptr_null(finding(jobs[i].report, "timeout"));
		ck_assert_uint_eq(mailcert_report_cert_count(jobs[i].report), 1);
		/* One deadline for all: not before it, and not one after another. */
		ck_assert_int_ge(jobs[i].done_ms - start, TIMEOUT - 50);
		ck_assert_int_lt(jobs[i].done_ms - start, 3 * TIMEOUT);
		free_job(&jobs[i]);
	}
	mailcert_engine_free(e);
	silent_stop(&s);
	mailcert_policy_free(p);
}
END_TEST

/* Runs @n jobs of @p in one engine; the milliseconds it took. */
static int64_t run_all(struct job *jobs, int n, const mailcert_policy *p, unsigned timeout_ms)
{
	mailcert_engine *e;
	int64_t start = mc_now_ms();

	ck_assert_int_eq(mailcert_engine_new(&e, 0), 0);
	for (int i = 0; i < n; i++) {
		make_job(&jobs[i], p, timeout_ms);
		ck_assert_int_eq(mailcert_engine_add_check(e, jobs[i].check, job_done, &jobs[i]), 0);
	}
	ck_assert_int_eq(mailcert_engine_run(e), 0);
	mailcert_engine_free(e);
	return mc_now_ms() - start;
}

/*
 * Eight checks want the same CRL from a server that takes 1.5 s to
 * answer: one request, shared, so all end after one delay; then the cache
 * answers without a request at all.
 */
START_TEST(test_crl_shared_and_cached)
{
	enum { N = 8 };
	mailcert_policy *p = policy();
	struct slow_http h = {0};
	struct job jobs[N];
	int64_t took;

	slow_http_start(&h, 1500);
	serve(h.port);
	ck_assert_int_eq(mailcert_policy_set_crl_fetch(p, 1), 0);
	took = run_all(jobs, N, p, 8000);
	/* One request: the sharing; the time adds only that it was waited for. */
	ck_assert_int_eq(__atomic_load_n(&h.requests, __ATOMIC_ACQUIRE), 1);
	ck_assert_int_ge(took, 1500);
	for (int i = 0; i < N; i++) {
		ck_assert_msg(mailcert_report_state(jobs[i].report) == MAILCERT_OK, "check %d: %s", i,
			      mailcert_report_finding_count(jobs[i].report)
				  ? mailcert_finding_message(mailcert_report_finding(jobs[i].report, 0))
				  : "");
		free_job(&jobs[i]);
	}
	/* The cache, until the CRL's nextUpdate: no second request. */
	run_all(jobs, N, p, 8000);
	ck_assert_int_eq(__atomic_load_n(&h.requests, __ATOMIC_ACQUIRE), 1);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(mailcert_report_state(jobs[i].report), MAILCERT_OK);
		free_job(&jobs[i]);
	}
	slow_http_stop(&h);
	mailcert_policy_free(p);
}
END_TEST

/* A CRL server slower than the check's timeout: crl.unavailable at the deadline. */
START_TEST(test_crl_too_slow)
{
	mailcert_policy *p = policy();
	struct slow_http h = {0};
	struct job j;
	const mailcert_finding *f;
	int64_t took;

	/* Room for the probe on a busy machine; the server answers long after. */
	slow_http_start(&h, 20000);
	serve(h.port);
	ck_assert_int_eq(mailcert_policy_set_crl_fetch(p, 1), 0);
	took = run_all(&j, 1, p, 3000);
	ck_assert_int_ge(took, 3000 - 50);
	ck_assert_int_lt(took, 10000);
	f = finding(j.report, "crl.unavailable");
	ck_assert_msg(f, "no crl.unavailable");
	ck_assert_msg(strstr(mailcert_finding_message(f), "http://127.0.0.1:"), "%s",
		      mailcert_finding_message(f));
	ck_assert_ptr_null(finding(j.report, "timeout"));
	ck_assert_int_eq(mailcert_report_state(j.report), MAILCERT_WARNING);
	free_job(&j);
	slow_http_stop(&h);
	mailcert_policy_free(p);
}
END_TEST

/*
 * Cancelled while waiting to start, while its lookup waits, or freed
 * while in the engine: no callback; the others finish.
 */
START_TEST(test_cancel)
{
	mailcert_policy *p = policy();
	mailcert_engine *e;
	struct silent s;
	struct job jobs[4];

	serve(0);
	silent_start(&s);
	dane_through(p, &s);
	ck_assert_int_eq(mailcert_engine_new(&e, 1), 0);
	for (int i = 0; i < 4; i++) {
		make_job(&jobs[i], p, 3000);
		ck_assert_int_eq(mailcert_check_cancel(jobs[i].check), MAILCERT_E_STATE);
		ck_assert_int_eq(mailcert_engine_add_check(e, jobs[i].check, job_done, &jobs[i]), 0);
	}
	ck_assert_int_eq(mailcert_engine_add_check(e, jobs[0].check, job_done, &jobs[0]),
			 MAILCERT_E_INVALID);
	/* Still waiting for a slot (the cap is 1). */
	ck_assert_int_eq(mailcert_check_cancel(jobs[3].check), 0);
	ck_assert_int_eq(mailcert_check_set_now(jobs[2].check, 1), MAILCERT_E_STATE);
	/* Until the first is in its stage, then cancel it there. */
	while (mailcert_engine_probing(e) == 3) {
		struct pollfd fds[16];
		size_t n = mailcert_engine_fds(e, fds, 16);
		int ready = poll(fds, n, mailcert_engine_timeout_ms(e));

		ck_assert_int_eq(mailcert_engine_process(e, fds, ready > 0 ? n : 0), 0);
	}
	ck_assert_int_eq(mailcert_check_cancel(jobs[0].check), 0);
	ck_assert_int_eq(mailcert_check_cancel(jobs[0].check), MAILCERT_E_STATE);
	/* Freed while in the engine: it leaves it first. */
	mailcert_check_free(jobs[1].check);
	jobs[1].check = NULL;
	ck_assert_uint_eq(mailcert_engine_pending(e), 1);
	ck_assert_int_eq(mailcert_engine_run(e), 0);
	ck_assert_int_eq(jobs[0].calls, 0);
	ck_assert_int_eq(jobs[1].calls, 0);
	ck_assert_int_eq(jobs[2].calls, 1);
	ck_assert_int_eq(jobs[3].calls, 0);
	ck_assert_ptr_nonnull(finding(jobs[2].report, "dane.lookup-failed"));
	/* A cancelled check runs again, from the start. */
	ck_assert_int_eq(mailcert_engine_add_check(e, jobs[0].check, job_done, &jobs[0]), 0);
	ck_assert_int_eq(mailcert_engine_run(e), 0);
	ck_assert_int_eq(jobs[0].calls, 1);
	for (int i = 0; i < 4; i++)
		free_job(&jobs[i]);
	mailcert_engine_free(e);
	silent_stop(&s);
	mailcert_policy_free(p);
}
END_TEST

/* An engine freed with checks in every state: they are the caller's again, untouched. */
START_TEST(test_engine_freed)
{
	mailcert_policy *p = policy();
	mailcert_engine *e;
	struct silent s;
	struct job jobs[3];

	serve(0);
	silent_start(&s);
	dane_through(p, &s);
	ck_assert_int_eq(mailcert_engine_new(&e, 1), 0);
	for (int i = 0; i < 3; i++) {
		make_job(&jobs[i], p, 5000);
		ck_assert_int_eq(mailcert_engine_add_check(e, jobs[i].check, job_done, &jobs[i]), 0);
	}
	while (mailcert_engine_probing(e) == 3) {
		struct pollfd fds[16];
		size_t n = mailcert_engine_fds(e, fds, 16);
		int ready = poll(fds, n, mailcert_engine_timeout_ms(e));

		ck_assert_int_eq(mailcert_engine_process(e, fds, ready > 0 ? n : 0), 0);
	}
	mailcert_engine_free(e);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(jobs[i].calls, 0);
		ck_assert_int_eq(mailcert_check_cancel(jobs[i].check), MAILCERT_E_STATE);
		free_job(&jobs[i]);
	}
	silent_stop(&s);
	mailcert_policy_free(p);
}
END_TEST

static void domain_done(mailcert_domain *d, void *user)
{
	*(mailcert_domain **)user = d;
}

/* A mail domain's lookups in the engine: a silent resolver costs one deadline. */
START_TEST(test_domain_silent_resolver)
{
	mailcert_policy *p = policy();
	mailcert_engine *e;
	mailcert_domain *d = NULL;
	mailcert_report *r;
	struct silent s;
	char resolver[32], err[256];
	int64_t start, took;

	silent_start(&s);
	snprintf(resolver, sizeof(resolver), "127.0.0.1:%u", s.port);
	ck_assert_int_eq(mailcert_policy_set_resolver(p, resolver, NULL, 0), 0);
	ck_assert_int_eq(mailcert_policy_set_trust_anchor(p, anchor_path, NULL, 0), 0);
	ck_assert_int_eq(mailcert_engine_new(&e, 0), 0);
	ck_assert_int_eq(mailcert_engine_add_domain(e, "not a domain", p, MAILCERT_FAMILY_ANY, 2000,
						    domain_done, &d, err, sizeof(err)),
			 MAILCERT_E_INVALID);
	ck_assert_str_eq(err, "\"not a domain\" is not a domain name");
	start = mc_now_ms();
	ck_assert_int_eq(mailcert_engine_add_domain(e, "example.net", p, MAILCERT_FAMILY_ANY, 2000,
						    domain_done, &d, err, sizeof(err)),
			 0);
	ck_assert_ptr_null(d); /* never from inside the call */
	ck_assert_int_eq(mailcert_engine_run(e), 0);
	took = mc_now_ms() - start;
	ck_assert_ptr_nonnull(d);
	/* One deadline for its several lookups, not one each. */
	ck_assert_int_ge(took, 2000 - 50);
	ck_assert_int_lt(took, 2 * 2000);
	ck_assert_str_eq(mailcert_domain_name(d), "example.net");
	ck_assert_uint_eq(mailcert_domain_mx_count(d), 0);
	ck_assert_int_eq(mailcert_domain_evaluate(&r, d, NULL, p, time(NULL)), 0);
	ck_assert_msg(strstr(mailcert_finding_message(mailcert_report_finding(r, 0)),
			     "no answer from the resolver within the timeout"),
		      "%s", mailcert_finding_message(mailcert_report_finding(r, 0)));
	mailcert_report_free(r);
	mailcert_domain_free(d);
	mailcert_engine_free(e);
	silent_stop(&s);
	mailcert_policy_free(p);
}
END_TEST

/* The deprecated blocking fetches still work, and do nothing unless asked. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
START_TEST(test_deprecated_fetches)
{
	mailcert_policy *p = policy();
	struct slow_http h = {0};
	mailcert_observation *obs;
	mailcert_report *r;
	struct job j;

	slow_http_start(&h, 0);
	serve(h.port);
	make_job(&j, p, 5000);
	ck_assert_int_eq(mailcert_probe_run(j.probe, &obs), 0);
	ck_assert_int_eq(mailcert_policy_fetch_crls(p, obs, 1000), 0);
	ck_assert_int_eq(mailcert_policy_fetch_tlsa(p, obs, 1000), 0);
	ck_assert_ptr_null(obs->legacy);
	ck_assert_int_eq(mailcert_policy_fetch_crls(NULL, obs, 1000), MAILCERT_E_INVALID);
	ck_assert_int_eq(mailcert_policy_set_crl_fetch(p, 1), 0);
	ck_assert_int_eq(mailcert_policy_fetch_crls(p, obs, 5000), 0);
	ck_assert_int_eq(__atomic_load_n(&h.requests, __ATOMIC_ACQUIRE), 1);
	ck_assert_ptr_nonnull(obs->legacy);
	ck_assert_uint_eq(obs->legacy->crl_len, 1);
	ck_assert_ptr_nonnull(obs->legacy->crl[0].der.data);
	ck_assert_int_eq(mailcert_evaluate(&r, obs, p, time(NULL)), 0);
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_OK);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	free_job(&j);
	slow_http_stop(&h);
	mailcert_policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check-job");
	TCase *tc = tcase_create("check");
	SRunner *sr;
	int failed;

	gnutls_global_init();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_run_plain);
	tcase_add_test(tc, test_acme_store_read_again);
	tcase_add_test(tc, test_dane_silent_resolver);
	tcase_add_test(tc, test_crl_shared_and_cached);
	tcase_add_test(tc, test_crl_too_slow);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_engine_freed);
	tcase_add_test(tc, test_domain_silent_resolver);
	tcase_add_test(tc, test_deprecated_fetches);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	gnutls_global_deinit();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Many targets at once from your own poll() loop: the engine says which
 * descriptors to watch and for how long, the loop polls, the engine
 * advances. One JSON line per target is printed as each completes.
 *
 *   cc engine-poll.c $(pkg-config --cflags --libs mailcert) -o engine-poll
 *   ./engine-poll smtp://mx1.example.com submissions://mx2.example.com:465
 *   ./engine-poll --connect-to 127.0.0.1 -t 3000 -c 10 --ca-file ca.pem smtp://mail.test:2525
 *
 * Exits 0 when every target was checked (whatever the verdicts), 3 when
 * one could not be (a bad argument, no memory).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailcert/mailcert.h>

struct context {
	mailcert_policy *policy;
	int failed; /* a result could not be evaluated */
};

/* @s as a JSON string (RFC 8259 section 7), or null. */
static void json_string(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* The engine calls this as each probe completes: evaluate, print, free. */
static void done(mailcert_probe *probe, mailcert_observation *obs, void *user)
{
	struct context *ctx = user;
	mailcert_report *report = NULL;
	const char *code, *message = NULL;

	mailcert_probe_free(probe);
	if (!obs || mailcert_evaluate(&report, obs, ctx->policy, time(NULL)) < 0) {
		ctx->failed = 1;
		mailcert_observation_free(obs);
		return;
	}
	code = mailcert_observation_failure(obs, &message);
	fputs("{\"target\":", stdout);
	json_string(mailcert_observation_target(obs));
	fputs(",\"peer\":", stdout);
	json_string(*mailcert_observation_peer(obs) ? mailcert_observation_peer(obs) : NULL);
	fputs(",\"state\":", stdout);
	json_string(mailcert_state_name(mailcert_report_state(report)));
	fputs(",\"failure\":", stdout);
	json_string(code);
	fputs(",\"message\":", stdout);
	json_string(code ? message : NULL);
	printf(",\"chain\":%zu,\"tls\":", mailcert_observation_chain_length(obs));
	json_string(mailcert_observation_tls_version(obs));
	printf(",\"seconds\":%.3f}\n", mailcert_observation_timings(obs).total_s);
	/* One line per result, as it arrives, even into a pipe. */
	fflush(stdout);
	mailcert_report_free(report);
	mailcert_observation_free(obs);
}

/* Parses @url into a probe with the options given, and adds it to @engine. */
static int add(mailcert_engine *engine, const char *url, const char *connect_to,
	       unsigned timeout_ms, struct context *ctx)
{
	mailcert_target *target = NULL;
	mailcert_probe *probe = NULL;
	char err[256];
	int rc = mailcert_target_parse(&target, url, NULL, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	rc = mailcert_probe_new(&probe, target);
	mailcert_target_free(target); /* the probe keeps its own copy */
	if (rc == 0)
		rc = mailcert_probe_set_connect_to(probe, connect_to);
	if (rc == 0 && timeout_ms)
		rc = mailcert_probe_set_timeout_ms(probe, timeout_ms);
	if (rc == 0)
		rc = mailcert_engine_add(engine, probe, done, ctx);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", url, mailcert_strerror(rc));
		mailcert_probe_free(probe);
	}
	return rc;
}

/* The caller's own loop: what mailcert_engine_run() would do, in the open. */
static int loop(mailcert_engine *engine)
{
	struct pollfd *fds = NULL;
	size_t room = 0;

	while (mailcert_engine_pending(engine) > 0) {
		size_t n = mailcert_engine_fds(engine, fds, room);
		int ready;

		if (n > room) {
			struct pollfd *more = realloc(fds, n * sizeof(*more));

			if (!more)
				break;
			fds = more;
			room = n;
			n = mailcert_engine_fds(engine, fds, room);
		}
		/* A real program would watch its own descriptors here too. */
		ready = poll(fds, n, mailcert_engine_timeout_ms(engine));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0 || mailcert_engine_process(engine, fds, ready > 0 ? n : 0) < 0)
			break;
	}
	free(fds);
	return mailcert_engine_pending(engine) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *connect_to = NULL, *ca_file = NULL;
	unsigned timeout_ms = 0, concurrency = 0;
	struct context ctx = {0};
	mailcert_engine *engine = NULL;
	char err[256];
	int i, status = 3, targets = 0;

	if (mailcert_policy_new(&ctx.policy) < 0 || mailcert_engine_new(&engine, 0) < 0)
		goto out;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--connect-to") == 0 && i + 1 < argc) {
			connect_to = argv[++i];
		} else if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc) {
			ca_file = argv[++i];
			if (mailcert_policy_add_ca_file(ctx.policy, ca_file, err, sizeof(err)) <
			    0) {
				fprintf(stderr, "%s\n", err);
				goto out;
			}
		} else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
			timeout_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			/* The cap is the engine's: make it again with this one. */
			if (targets > 0)
				goto usage;
			concurrency = (unsigned)strtoul(argv[++i], NULL, 10);
			mailcert_engine_free(engine);
			engine = NULL;
			if (mailcert_engine_new(&engine, concurrency) < 0)
				goto out;
		} else if (argv[i][0] == '-') {
			goto usage;
		} else {
			if (add(engine, argv[i], connect_to, timeout_ms, &ctx) < 0)
				goto out;
			targets++;
		}
	}
	if (targets == 0)
		goto usage;
	if (loop(engine) == 0 && !ctx.failed)
		status = 0;
	goto out;
usage:
	fprintf(stderr,
		"usage: %s [--connect-to ADDR] [--ca-file FILE] [-t MS] [-c N] TARGET...\n"
		"(options apply to the targets after them; -c before any target)\n",
		argv[0]);
out:
	/* After an error, probes still pending are dropped without their callback. */
	mailcert_engine_free(engine);
	mailcert_policy_free(ctx.policy);
	return status;
}

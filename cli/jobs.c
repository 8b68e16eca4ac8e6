/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Targets into checks, and checks run: what every command shares between
 * parsing its options and printing. A check is the library's whole job
 * (include/mailcert/check.h): probe, stages, evaluation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int parse_check_target(const struct check_run *run, const char *text, mailcert_target **out,
		       char *err, size_t errlen)
{
	*out = NULL;
	if (mailcert_target_parse(out, text, run->protocol, err, errlen) < 0)
		return MAILCERT_E_INVALID;
	if (!mailcert_target_supported(*out)) {
		snprintf(err, errlen,
			 "%s: the %s protocol (STARTTLS) is not implemented in mailcert %s yet",
			 text, mailcert_target_scheme(*out), mailcert_version());
		mailcert_target_free(*out);
		*out = NULL;
		return MAILCERT_E_INVALID;
	}
	return 0;
}

int make_probe(const struct check_run *run, const mailcert_target *target, const char *text,
	       mailcert_probe **out, char *err, size_t errlen)
{
	mailcert_probe *probe = NULL;
	int rc = MAILCERT_E_INVALID;

	*out = NULL;
	if (mailcert_probe_new(&probe, target) < 0 ||
	    mailcert_probe_set_sni(probe, run->sni) < 0 ||
	    mailcert_probe_set_connect_to(probe, run->connect_to) < 0 ||
	    mailcert_probe_set_family(probe, run->family) < 0 ||
	    mailcert_probe_set_timeout_ms(probe, run->timeout_ms) < 0) {
		mailcert_probe_free(probe);
		return MAILCERT_E_NOMEM;
	}
	if (mailcert_probe_set_helo(probe, run->helo) < 0)
		snprintf(err, errlen, "--helo \"%s\": one word of at most 255 characters",
			 run->helo);
	else if (mailcert_probe_set_xmpp_domain(probe, run->xmpp_domain) < 0)
		snprintf(err, errlen, "--xmpp-domain \"%s\": not a domain name", run->xmpp_domain);
	else if (mailcert_probe_set_flags(probe, run->probe_flags) < 0)
		snprintf(err, errlen, "%s: %s", text,
			 (run->probe_flags & MAILCERT_PROBE_DIRECT_TLS) &&
				 mailcert_target_protocol(target) != MAILCERT_PROTO_POSTGRES
			     ? "--direct-tls applies to postgres:// targets only"
			     : "--force-starttls applies to pop3:// targets only");
	else
		rc = 0;
	if (rc < 0)
		mailcert_probe_free(probe);
	else
		*out = probe;
	return rc;
}

int make_check(const struct check_run *run, const mailcert_target *target, const char *text,
	       mailcert_key_type key_type, time_t now, struct cli_check *out, char *err,
	       size_t errlen)
{
	int rc = make_probe(run, target, text, &out->probe, err, errlen);

	out->check = NULL;
	out->report = NULL;
	if (rc == 0 && key_type)
		rc = mailcert_probe_set_key_type(out->probe, key_type);
	if (rc == 0)
		rc = mailcert_check_new(&out->check, out->probe, run->policy);
	if (rc == 0)
		rc = mailcert_check_set_now(out->check, now);
	if (rc < 0)
		cli_check_clear(out);
	return rc;
}

void cli_check_clear(struct cli_check *c)
{
	mailcert_report_free(c->report);
	mailcert_check_free(c->check);
	mailcert_probe_free(c->probe);
	c->report = NULL;
	c->check = NULL;
	c->probe = NULL;
}

size_t key_types(const struct check_run *run, mailcert_key_type types[2])
{
	if (!run->all_keys) {
		types[0] = run->key_type;
		return 1;
	}
	types[0] = MAILCERT_KEY_RSA;
	types[1] = MAILCERT_KEY_ECDSA;
	return 2;
}

int check_probe(const struct check_run *run, mailcert_probe *probe, time_t now,
		mailcert_report *reports[2], size_t *n)
{
	mailcert_key_type types[2];
	size_t count = key_types(run, types);
	mailcert_check *check = NULL;
	int rc = mailcert_check_new(&check, probe, run->policy);

	*n = 0;
	if (rc == 0)
		rc = mailcert_check_set_now(check, now);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if (run->all_keys || run->key_type)
			rc = mailcert_probe_set_key_type(probe, types[i]);
		if (rc == 0)
			rc = mailcert_check_run(check, &reports[*n]);
		if (rc == 0)
			++*n;
	}
	mailcert_check_free(check);
	if (rc < 0) {
		while (*n > 0)
			mailcert_report_free(reports[--*n]);
	}
	return rc;
}

/* ---- every target at once, printed in order ------------------------- */

struct batch;

/* One report to print: a target's check for one key type, in argument order. */
struct slot {
	struct batch *b;
	const char *text;
	struct cli_check c;
	int state; /* once done: the report's, or EXIT_USAGE */
	int done;
};

struct batch {
	struct output *o;
	struct slot *slots;
	size_t n, printed;
};

/* Prints the slots that are done, in order, up to the first still waiting. */
static void flush(struct batch *b)
{
	while (b->printed < b->n && b->slots[b->printed].done) {
		struct slot *s = &b->slots[b->printed++];

		if (!s->c.report)
			continue;
		if (output_report(b->o, s->c.report) < 0) { /* takes the report */
			s->state = EXIT_USAGE;
			fprintf(stderr, "mailcert: %s: internal failure (out of memory?)\n", s->text);
		}
		s->c.report = NULL;
	}
}

static void slot_done(mailcert_check *check, mailcert_report *report, void *user)
{
	struct slot *s = user;

	(void)check;
	s->done = 1;
	s->c.report = report;
	if (report) {
		s->state = (int)mailcert_report_state(report);
	} else {
		s->state = EXIT_USAGE;
		fprintf(stderr, "mailcert: %s: internal failure (out of memory?)\n", s->text);
	}
	flush(s->b);
}

/*
 * Parses @text and adds its checks (one per key type) to @e, into @slots;
 * a target that is not one is said on stderr and its slot is UNKNOWN.
 * 0, or MAILCERT_E_NOMEM.
 */
static int add_target(const struct check_run *run, mailcert_engine *e, struct batch *b,
		      const char *text, struct slot *slots, mailcert_target **target)
{
	mailcert_key_type types[2];
	size_t count = key_types(run, types);
	char err[512];
	int rc;

	for (size_t k = 0; k < count; k++)
		slots[k] = (struct slot){.b = b, .text = text, .state = EXIT_USAGE, .done = 1};
	if (parse_check_target(run, text, target, err, sizeof(err)) < 0) {
		usage_error("check ", "%s", err);
		return 0;
	}
	if (mailcert_target_port_guessed(*target) && run->format == MAILCERT_FORMAT_TEXT)
		fprintf(stderr, "mailcert: %s: port %u, so checking as %s\n", text,
			mailcert_target_port(*target), mailcert_target_string(*target));
	for (size_t k = 0; k < count; k++) {
		rc = make_check(run, *target, text, types[k], run->now, &slots[k].c, err,
				sizeof(err));
		if (rc == MAILCERT_E_INVALID) {
			usage_error("check ", "%s", err);
			return 0;
		}
		if (rc == 0)
			rc = mailcert_engine_add_check(e, slots[k].c.check, slot_done, &slots[k]);
		if (rc < 0)
			return rc;
		slots[k].done = 0;
	}
	return 0;
}

int check_targets(const struct check_run *run, char *const *targets, int count)
{
	mailcert_key_type types[2];
	size_t per = key_types(run, types), n = (size_t)count * per;
	struct slot *slots = calloc(n ? n : 1, sizeof(*slots));
	mailcert_target **parsed = calloc((size_t)count + 1, sizeof(*parsed));
	mailcert_engine *e = NULL;
	struct output o;
	struct batch b = {.o = &o, .slots = slots, .n = n};
	int state = MAILCERT_OK, rc;

	if (!slots || !parsed || mailcert_engine_new(&e, (unsigned)n) < 0) {
		rc = nomem();
		goto out;
	}
	if (output_open(&o, run->format, run->verbosity, run->output)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* Every target at once: the wall time is the slowest one's, not the sum. */
	rc = 0;
	for (int i = 0; rc == 0 && i < count; i++)
		rc = add_target(run, e, &b, targets[i], &slots[(size_t)i * per], &parsed[i]);
	if (rc == 0)
		rc = mailcert_engine_run(e);
	for (size_t i = 0; rc < 0 && i < n; i++) {
		if (!slots[i].done) {
			slots[i].state = EXIT_USAGE;
			slots[i].done = 1;
		}
	}
	flush(&b); /* targets refused after the last check ended */
	for (size_t i = 0; i < n; i++)
		state = worse(state, slots[i].state);
	if (rc < 0)
		state = nomem();
	/* Output that could not be written is a failed run, whatever it said. */
	rc = output_close(&o) ? EXIT_USAGE : state;
out:
	mailcert_engine_free(e);
	for (size_t i = 0; slots && i < n; i++)
		cli_check_clear(&slots[i].c);
	for (int i = 0; parsed && i < count; i++)
		mailcert_target_free(parsed[i]);
	free(slots);
	free(parsed);
	return rc;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON: one object on one line (a JSON Lines record), as docs/json.md describes it.
 * json-c writes keys in insertion order, so the output is stable. Strings
 * pass through mc_buf_clean() without flags: json-c escapes control
 * characters itself, but leaves bytes >= 0x80 alone, and JSON must be UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "render.h"

/* Plain: one line. No slash escape: "smtp://…" rather than "smtp:\/\/…". */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct jctx {
	/* json-c returns NULL when out of memory, and adding NULL to an object
	 * stores a JSON null: the sticky flag keeps the two apart. */
	int failed;
	struct mc_buf scratch; /* for cleaning strings */
};

/*
 * Adds @val (owned; NULL is a JSON null) to @obj under @key, which must be
 * a string literal: json-c keeps the pointer instead of a copy, which also
 * avoids json-c 0.16 leaking its copy when the insertion runs out of memory.
 */
static void add(struct jctx *j, json_object *obj, const char *key, json_object *val)
{
	if (!obj || json_object_object_add_ex(obj, key, val, JSON_C_OBJECT_ADD_CONSTANT_KEY) < 0) {
		json_object_put(val);
		j->failed = 1;
	}
}

/* Adds @val, which json-c returned NULL for when out of memory. */
static void set(struct jctx *j, json_object *obj, const char *key, json_object *val)
{
	if (val)
		add(j, obj, key, val);
	else
		j->failed = 1;
}

static void push(struct jctx *j, json_object *array, json_object *val)
{
	if (!val) {
		j->failed = 1;
		return;
	}
	if (!array || json_object_array_add(array, val) < 0) {
		json_object_put(val);
		j->failed = 1;
	}
}

static void set_null(struct jctx *j, json_object *obj, const char *key)
{
	add(j, obj, key, NULL);
}

/* A new JSON string of @s (not NULL), made valid UTF-8; NULL when out of memory. */
static json_object *new_string(struct jctx *j, const char *s)
{
	j->scratch.len = 0;
	mc_buf_clean(&j->scratch, s, 0);
	if (j->scratch.failed)
		return NULL;
	return json_object_new_string_len(j->scratch.data ? j->scratch.data : "",
					  (int)j->scratch.len);
}

/* @s as a string, or null when @s is NULL. */
static void set_string(struct jctx *j, json_object *obj, const char *key, const char *s)
{
	if (s)
		set(j, obj, key, new_string(j, s));
	else
		set_null(j, obj, key);
}

static void set_int(struct jctx *j, json_object *obj, const char *key, long long v)
{
	set(j, obj, key, json_object_new_int64(v));
}

/* Seconds with three decimals, written by us: json-c's "%.17g" prints 0.012 as
 * 0.012000000000000001. */
static void set_seconds(struct jctx *j, json_object *obj, const char *key, double seconds)
{
	char s[MC_SECONDS_MAX];

	mc_render_seconds(s, seconds);
	set(j, obj, key, json_object_new_double_s(seconds, s));
}

/* A timestamp as ISO-8601 UTC under @key and as seconds under @epoch_key (docs/json.md). */
static void set_time(struct jctx *j, json_object *obj, const char *key, const char *epoch_key,
		     time_t t)
{
	char iso[MC_TIME_MAX];

	mc_render_time(iso, t, MC_TIME_ISO);
	set_string(j, obj, key, iso);
	set_int(j, obj, epoch_key, (long long)t);
}

/*
 * target, protocol, host, port, peer. The observation keeps only the canonical
 * "scheme://host:port", which the target parser reads back exactly.
 * Certificates from a file (`mailcert file`) give the path as the target
 * and "file" as the protocol, with no host or port.
 */
static void json_target(struct jctx *j, json_object *root, const mailcert_observation *obs)
{
	const char *text = mailcert_observation_target(obs);
	mailcert_target *t = NULL;
	int rc;

	/* Certificates read from a file: the path, protocol "file", no host or port. */
	if (mailcert_observation_file(obs)) {
		set_string(j, root, "target", mailcert_observation_file(obs));
		set_string(j, root, "protocol", "file");
		set_null(j, root, "host");
		set_null(j, root, "port");
		set_null(j, root, "peer");
		return;
	}
	/* A mail domain's own report (`mailcert domain`): no port, protocol "domain". */
	if (mailcert_observation_domain(obs)) {
		set_string(j, root, "target", mailcert_observation_domain(obs));
		set_string(j, root, "protocol", "domain");
		set_string(j, root, "host", mailcert_observation_domain(obs));
		set_null(j, root, "port");
		set_null(j, root, "peer");
		return;
	}
	rc = mailcert_target_parse(&t, text, NULL, NULL, 0);
	if (rc == MAILCERT_E_NOMEM)
		j->failed = 1;
	set_string(j, root, "target", text);
	set_string(j, root, "protocol", t ? mailcert_target_scheme(t) : NULL);
	set_string(j, root, "host", t ? mailcert_target_host(t) : NULL);
	if (t)
		set_int(j, root, "port", mailcert_target_port(t));
	else
		set_null(j, root, "port");
	/* The address connected to: what tells apart the reports of one host's
	 * addresses (`mailcert domain`, `scan --mail-ports`). */
	set_string(j, root, "peer",
		   mailcert_observation_peer(obs)[0] ? mailcert_observation_peer(obs) : NULL);
	mailcert_target_free(t);
	if (mailcert_observation_key_type(obs))
		set_string(j, root, "key_type", mailcert_observation_key_type(obs));
}

static json_object *json_findings(struct jctx *j, const mailcert_report *r)
{
	json_object *array = json_object_new_array();
	size_t n = mailcert_report_finding_count(r);

	for (size_t i = 0; i < n; i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);
		json_object *o = json_object_new_object();

		set_string(j, o, "code", mailcert_finding_code(f));
		set_string(j, o, "severity", mailcert_state_name(mailcert_finding_severity(f)));
		set_string(j, o, "message", mailcert_finding_message(f));
		if (mailcert_finding_cert(f) >= 0)
			set_int(j, o, "cert", mailcert_finding_cert(f));
		else
			set_null(j, o, "cert");
		push(j, array, o);
	}
	return array;
}

static json_object *json_tls(struct jctx *j, const mailcert_observation *obs)
{
	json_object *o = json_object_new_object();

	set_string(j, o, "version", mailcert_observation_tls_version(obs));
	set_string(j, o, "cipher", mailcert_observation_tls_cipher(obs));
	set_string(j, o, "alpn", mailcert_observation_tls_alpn(obs));
	return o;
}

static json_object *json_san(struct jctx *j, const char *const *san)
{
	json_object *array = json_object_new_array();

	for (size_t i = 0; san && san[i]; i++)
		push(j, array, new_string(j, san[i]));
	return array;
}

static json_object *json_cert(struct jctx *j, const mailcert_cert_info *c)
{
	json_object *o = json_object_new_object();

	set_string(j, o, "subject", c->subject);
	set_string(j, o, "issuer", c->issuer);
	set_string(j, o, "serial", c->serial);
	set_time(j, o, "not_before", "not_before_epoch", c->not_before);
	set_time(j, o, "not_after", "not_after_epoch", c->not_after);
	set_int(j, o, "remaining_s", c->remaining_s);
	set_string(j, o, "sha256", c->sha256);
	set(j, o, "san", json_san(j, c->san));
	set_string(j, o, "key", c->key);
	set_string(j, o, "signature", c->signature);
	return o;
}

static json_object *json_chain(struct jctx *j, const mailcert_report *r)
{
	json_object *array = json_object_new_array();
	size_t n = mailcert_report_cert_count(r);

	for (size_t i = 0; i < n; i++)
		push(j, array, json_cert(j, mailcert_report_cert(r, i)));
	return array;
}

static json_object *json_timings(struct jctx *j, const mailcert_observation *obs)
{
	mailcert_timings t = mailcert_observation_timings(obs);
	json_object *o = json_object_new_object();

	set_seconds(j, o, "connect_s", t.connect_s);
	set_seconds(j, o, "dialogue_s", t.dialogue_s);
	set_seconds(j, o, "handshake_s", t.handshake_s);
	set_seconds(j, o, "total_s", t.total_s);
	return o;
}

/* The leaf's renewal window (--ari): {"start", "end", "explanation_url", "fetched_at"}. */
static json_object *json_ari(struct jctx *j, const mailcert_report *r)
{
	const mailcert_ari_window *w = mailcert_report_ari(r);
	json_object *o = json_object_new_object();
	char iso[MC_TIME_MAX];

	mc_render_time(iso, w->start, MC_TIME_ISO);
	set_string(j, o, "start", iso);
	mc_render_time(iso, w->end, MC_TIME_ISO);
	set_string(j, o, "end", iso);
	set_string(j, o, "explanation_url", w->explanation_url[0] ? w->explanation_url : NULL);
	mc_render_time(iso, w->fetched_at, MC_TIME_ISO);
	set_string(j, o, "fetched_at", iso);
	return o;
}

/* The leaf's SCTs: [{"log_id", "log_name", "timestamp", "source", "valid"}]. */
static json_object *json_scts(struct jctx *j, const mailcert_report *r)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < mailcert_report_sct_count(r); i++) {
		const mailcert_sct *s = mailcert_report_sct(r, i);
		json_object *o = json_object_new_object();
		char iso[MC_TIME_MAX], ms[MC_TIME_MAX + 8];
		long long sec = s->timestamp_ms / 1000;

		set_string(j, o, "log_id", s->log_id);
		set_string(j, o, "log_name", s->log_name);
		/* Milliseconds, as the log gave them: "2027-01-20T12:00:00.123Z". */
		mc_render_time(iso, (time_t)sec, MC_TIME_ISO);
		snprintf(ms, sizeof(ms), "%.*s.%03lldZ", (int)strlen(iso) - 1, iso,
			 s->timestamp_ms - sec * 1000);
		set_string(j, o, "timestamp", ms);
		set_string(j, o, "source", s->source);
		if (s->valid < 0)
			set_null(j, o, "valid");
		else
			set(j, o, "valid", json_object_new_boolean(s->valid));
		push(j, arr, o);
	}
	return arr;
}

void mc_render_json(struct mc_buf *b, const mailcert_report *r)
{
	const mailcert_observation *obs = mailcert_report_observation(r);
	json_object *root = json_object_new_object();
	struct jctx j = {0};
	const char *text;

	json_target(&j, root, obs);
	set_string(&j, root, "state", mailcert_state_name(mailcert_report_state(r)));
	set(&j, root, "findings", json_findings(&j, r));
	set(&j, root, "tls", json_tls(&j, obs));
	set(&j, root, "chain", json_chain(&j, r));
	set(&j, root, "timings", json_timings(&j, obs));
	set_string(&j, root, "matched_name", mailcert_report_matched_name(r));
	if (mailcert_report_ari(r))
		set(&j, root, "ari", json_ari(&j, r));
	else
		set_null(&j, root, "ari");
	set(&j, root, "sct", json_scts(&j, r));
	set_time(&j, root, "evaluated_at", "evaluated_at_epoch", mailcert_report_now(r));
	/* Out of memory here is caught only in part: json-c 0.16's serializer
	 * ignores some failures to grow its buffer and returns text with a
	 * piece missing. Everything before this line fails cleanly. */
	text = j.failed ? NULL : json_object_to_json_string_ext(root, JSON_FLAGS);
	if (text) {
		mc_buf_puts(b, text);
		mc_buf_puts(b, "\n");
	} else {
		b->failed = 1;
	}
	json_object_put(root);
	free(j.scratch.data);
}

/* [{"service", "port"(, "code")}]: "code" is the failure code, "" when none. */
static json_object *json_ports(struct jctx *j, const mailcert_consistency_port *ports, size_t n,
			       int with_failure)
{
	json_object *array = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		set_string(j, o, "service", ports[i].service);
		set_int(j, o, "port", ports[i].port);
		if (with_failure)
			set_string(j, o, "code", ports[i].failure ? ports[i].failure : "");
		push(j, array, o);
	}
	return array;
}

void mc_render_consistency_json(struct mc_buf *b, const mailcert_consistency *c)
{
	json_object *root = json_object_new_object(), *o = json_object_new_object();
	json_object *leaves = json_object_new_array();
	struct jctx j = {0};
	const char *text;

	set_string(&j, o, "host", c->host);
	set_string(&j, o, "key_type",
		   c->key_type == MAILCERT_KEY_RSA     ? "RSA"
		   : c->key_type == MAILCERT_KEY_ECDSA ? "ECDSA"
						       : NULL);
	set_string(&j, o, "state", mailcert_state_name(c->state));
	set_string(&j, o, "code", c->code);
	set_string(&j, o, "message", c->message);
	for (size_t l = 0; l < c->n_leaves; l++) {
		json_object *leaf = json_object_new_object();
		char iso[MC_TIME_MAX];

		mc_render_time(iso, c->leaves[l].not_after, MC_TIME_ISO);
		set_string(&j, leaf, "sha256", c->leaves[l].sha256);
		set_string(&j, leaf, "subject", c->leaves[l].subject);
		set_string(&j, leaf, "not_after", iso);
		set(&j, leaf, "ports", json_ports(&j, c->leaves[l].ports, c->leaves[l].n_ports, 0));
		push(&j, leaves, leaf);
	}
	set(&j, o, "leaves", leaves);
	set(&j, o, "closed", json_ports(&j, c->closed, c->n_closed, 0));
	set(&j, o, "failed", json_ports(&j, c->failed, c->n_failed, 1));
	set(&j, root, "consistency", o);
	text = j.failed ? NULL : json_object_to_json_string_ext(root, JSON_FLAGS);
	if (text) {
		mc_buf_puts(b, text);
		mc_buf_puts(b, "\n");
	} else {
		b->failed = 1;
	}
	json_object_put(root);
	free(j.scratch.data);
}

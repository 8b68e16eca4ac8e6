/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --ari: the window in which the leaf's CA suggests renewing it (ACME
 * Renewal Information, RFC 9773), fetched through the engine's HTTP stage
 * once the chain is in: the CA's ACME directory for its renewalInfo URL,
 * then that URL with the leaf's certID. Both answers are cached on disk
 * (engine/cache.h): the directory for a day, the renewal information
 * until the CA's Retry-After, so a monitor asks no more often than the CA
 * wants. HTTPS only, trusting the system store and --ca-file, 64 KiB at
 * most. checks/ari.c judges what it recorded; model/ari.c parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/cache.h"
#include "engine/gather.h"
#include "io/net.h"

#define SYSTEM_CA_DIR "/etc/ssl/certs"
#define DIRECTORY_TTL 86400 /* seconds a cached directory is used */
#define RETRY_DEFAULT 21600 /* no Retry-After: ask again in 6 hours */
#define RETRY_MIN 60
#define RETRY_MAX 86400

static void got_info(void *user, const char *why, const struct mc_http_response *resp);

/* Starts a GET of @url; 1, or 0 with the reason in the record when it cannot. */
static int get(struct mc_ari_stage *s, const char *url, mc_get_done_fn done)
{
	const struct mc_http_request req = {.url = url,
					    .ca_file = s->p->ca_file,
					    .ca_dir = s->p->ca_dir ? s->p->ca_dir : SYSTEM_CA_DIR,
					    .max_bytes = MC_ARI_MAX_BYTES,
					    .timeout_ms = s->deadline - mc_now_ms()};
	char why[256];

	s->get = mc_stages_get(s->st, &req, done, s, why, sizeof(why));
	if (!s->get)
		snprintf(s->out->why, sizeof(s->out->why), "%s", why);
	return s->get != NULL;
}

/* The renewal information cached at @path while the CA's Retry-After lasts: 1 when used. */
static int from_cache(struct mc_ari *out, const char *path)
{
	gnutls_datum_t d;
	long long fetched, until;
	char why[256], *body;
	int used = 0;

	if (mc_cache_read(path, MC_ARI_MAX_BYTES + 64, &d) < 0)
		return 0;
	body = memchr(d.data, '\n', d.size);
	if (body && sscanf((char *)d.data, "%lld %lld", &fetched, &until) == 2 &&
	    until > (long long)time(NULL) &&
	    mc_ari_parse(body + 1, d.size - (size_t)(body + 1 - (char *)d.data), out, why,
			 sizeof(why)) == 0) {
		out->known = 1;
		out->fetched_at = (time_t)fetched;
		used = 1;
	}
	free(d.data);
	return used;
}

/* Keeps a renewalInfo answer at @path until the time the CA said to ask again. */
static void to_cache(const char *path, const struct mc_http_response *resp, time_t fetched)
{
	long retry = resp->retry_after < 0 ? RETRY_DEFAULT : resp->retry_after;
	char head[64];
	size_t n;
	char *all;

	retry = retry < RETRY_MIN ? RETRY_MIN : retry > RETRY_MAX ? RETRY_MAX : retry;
	n = (size_t)snprintf(head, sizeof(head), "%lld %lld\n", (long long)fetched,
			     (long long)fetched + retry);
	all = malloc(n + resp->len);
	if (!all)
		return;
	memcpy(all, head, n);
	memcpy(all + n, resp->body, resp->len);
	mc_cache_store(path, all, n + resp->len);
	free(all);
}

/* The directory gave the renewalInfo URL @base: the leaf's window, cached or fetched. */
static int ask_info(struct mc_ari_stage *s, const char *base)
{
	struct mc_ari *out = s->out;
	char path[4300];

	snprintf(out->url, sizeof(out->url), "%s%s%s", base,
		 base[0] && base[strlen(base) - 1] == '/' ? "" : "/", s->cert_id);
	if (mc_cache_path(path, sizeof(path), "ari", out->url, ".json") == 0 &&
	    from_cache(out, path))
		return 0;
	return get(s, out->url, got_info);
}

static void got_info(void *user, const char *why, const struct mc_http_response *resp)
{
	struct mc_ari_stage *s = user;
	struct mc_ari *out = s->out;
	char reason[256], path[4300];

	s->get = NULL;
	if (resp->status == 404)
		snprintf(out->why, sizeof(out->why),
			 "the CA has no renewal information for this certificate (HTTP 404 at %.300s)",
			 out->url);
	else if (why)
		snprintf(out->why, sizeof(out->why), "%.300s: %.200s", out->url, why);
	else if (mc_ari_parse((const char *)resp->body, resp->len, out, reason, sizeof(reason)) < 0)
		snprintf(out->why, sizeof(out->why), "%.300s: %.200s", out->url, reason);
	else {
		out->known = 1;
		out->fetched_at = time(NULL);
		if (mc_cache_path(path, sizeof(path), "ari", out->url, ".json") == 0)
			to_cache(path, resp, out->fetched_at);
	}
	s->done(s->user);
}

static void got_directory(void *user, const char *why, const struct mc_http_response *resp)
{
	struct mc_ari_stage *s = user;
	char base[768], reason[256], path[4300];

	s->get = NULL;
	if (why) {
		snprintf(s->out->why, sizeof(s->out->why), "the ACME directory %.300s: %.180s",
			 s->directory, why);
	} else if (mc_ari_directory((const char *)resp->body, resp->len, base, sizeof(base),
				    reason, sizeof(reason)) < 0) {
		snprintf(s->out->why, sizeof(s->out->why), "%.300s: %.200s", s->directory, reason);
	} else {
		if (mc_cache_path(path, sizeof(path), "ari", s->directory, ".directory") == 0)
			mc_cache_store(path, resp->body, resp->len);
		if (ask_info(s, base))
			return; /* asked: got_info() ends the stage */
	}
	s->done(s->user);
}

/* The renewalInfo URL from a directory cached less than a day ago, into @base: 1 when used. */
static int cached_directory(const char *directory, char *base, size_t len)
{
	char path[4300], why[256];
	gnutls_datum_t d;
	struct stat st;
	int used = 0;

	if (mc_cache_path(path, sizeof(path), "ari", directory, ".directory") < 0 ||
	    stat(path, &st) < 0 || st.st_mtime + DIRECTORY_TTL < time(NULL) ||
	    mc_cache_read(path, MC_ARI_MAX_BYTES, &d) < 0)
		return 0;
	used = mc_ari_directory((const char *)d.data, d.size, base, len, why, sizeof(why)) == 0;
	free(d.data);
	return used;
}

/* The leaf's certID and the directory to ask; 0, or -1 with the reason in @s->out. */
static int identify(struct mc_ari_stage *s, const mailcert_observation *obs)
{
	gnutls_x509_crt_t leaf;
	gnutls_datum_t dn = {NULL, 0};
	const char *known = NULL;
	char issuer[256] = "";
	int rc = -1;

	if (gnutls_x509_crt_init(&leaf) < 0)
		return -1;
	if (gnutls_x509_crt_import(leaf, &obs->chain[0], GNUTLS_X509_FMT_DER) < 0) {
		snprintf(s->out->why, sizeof(s->out->why), "the leaf is not a valid certificate");
	} else if (mc_ari_cert_id(leaf, s->cert_id, sizeof(s->cert_id), s->out->why,
				  sizeof(s->out->why)) == 0) {
		if (gnutls_x509_crt_get_issuer_dn3(leaf, &dn, 0) >= 0) {
			mc_quote(issuer, sizeof(issuer), dn.data, dn.size, 120);
			known = mc_ari_known_directory((const char *)dn.data);
		}
		if (s->p->acme_directory || known) {
			snprintf(s->directory, sizeof(s->directory), "%s",
				 s->p->acme_directory ? s->p->acme_directory : known);
			rc = 0;
		} else {
			snprintf(s->out->why, sizeof(s->out->why),
				 "mailcert knows no ACME directory of the leaf's issuer (%s); give "
				 "the CA's with --acme-directory URL",
				 issuer);
		}
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(leaf);
	return rc;
}

int mc_ari_stage_start(struct mc_ari_stage *s, struct mc_stages *st, const mailcert_policy *p,
		       const mailcert_observation *obs, int64_t deadline, struct mc_ari *out,
		       mc_stage_done_fn done, void *user)
{
	char base[768];

	*s = (struct mc_ari_stage){
	    .st = st, .p = p, .out = out, .deadline = deadline, .done = done, .user = user};
	if (!p->ari || obs->failure_code || obs->chain_len == 0)
		return 0;
	*out = (struct mc_ari){.done = 1};
	if (identify(s, obs) < 0)
		return 0;
	if (cached_directory(s->directory, base, sizeof(base)))
		return ask_info(s, base);
	return get(s, s->directory, got_directory);
}

void mc_ari_stage_cancel(struct mc_ari_stage *s)
{
	mc_get_cancel(s->get);
	s->get = NULL;
}

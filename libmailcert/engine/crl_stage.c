/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --crl-fetch: the CRLs of the chain's distribution points, fetched with
 * libcurl through the engine (a stage: stages.h) and recorded in the
 * check's evidence, so that the evaluation stays pure
 * (checks/revocation.c judges them against its `now`). A CRL that several
 * checks of a run want at once is fetched once.
 *
 * CRLs are cached by URL (the file is named by the URL's SHA-256) under
 * $XDG_CACHE_HOME/mailcert/crl/ or ~/.cache/mailcert/crl/, and a cached
 * CRL is used without a request until its nextUpdate (by the real clock):
 * a 9 MB CRL must not be downloaded at every run (check_ssl_cert #567).
 * A CRL without nextUpdate is kept for CACHE_DEFAULT. When a fetch fails,
 * an expired cached copy is still used, and the failure recorded.
 *
 * The URLs come from the server's certificates: only http and https (also
 * after redirects), bounded in number, size and time, and quoted-safe
 * before they reach a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "engine/cache.h"
#include "engine/gather.h"
#include "io/net.h"

#define CRL_MAX_BYTES (32u << 20) /* a CRL larger than this is refused */
#define URL_MAX 1024
#define CACHE_DEFAULT 3600 /* seconds a CRL without nextUpdate is reused */

/* http(s), printable, no quote or backslash: safe in a message as is. */
static int url_ok(const char *url, size_t len)
{
	if (len == 0 || len > URL_MAX)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (url[i] <= ' ' || url[i] >= 0x7f || url[i] == '"' || url[i] == '\\')
			return 0;
	return 1;
}

/*
 * Parses @raw (DER, or PEM) as a CRL and replaces it by its DER encoding
 * (malloc'ed); *@next gets its nextUpdate. 0, or -1 when it is no CRL.
 */
static int normalize_crl(gnutls_datum_t *raw, time_t *next)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t der = {NULL, 0};
	int rc;

	if (gnutls_x509_crl_init(&crl) < 0)
		return -1;
	rc = gnutls_x509_crl_import(crl, raw, GNUTLS_X509_FMT_DER);
	if (rc < 0)
		rc = gnutls_x509_crl_import(crl, raw, GNUTLS_X509_FMT_PEM);
	if (rc >= 0)
		rc = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, &der);
	if (rc >= 0)
		*next = gnutls_x509_crl_get_next_update(crl);
	gnutls_x509_crl_deinit(crl);
	if (rc < 0)
		return -1;
	free(raw->data);
	raw->data = malloc(der.size);
	raw->size = der.size;
	if (raw->data)
		memcpy(raw->data, der.data, der.size);
	gnutls_free(der.data);
	return raw->data ? 0 : -1;
}

/* ---- one distribution point ---------------------------------------- */

/* A fetch a check waits for: the evidence entry it fills. */
struct crl_wait {
	struct mc_get *get;
	struct mc_crl_fetch *f;
	char path[4300]; /* the cache file, "" when there is no cache */
	mc_stage_done_fn done;
	void *user;
};

static void fetched(void *user, const char *why, const struct mc_http_response *resp)
{
	struct crl_wait *w = user;
	struct mc_crl_fetch *f = w->f;
	gnutls_datum_t fresh = {NULL, 0};
	time_t next;

	w->get = NULL;
	if (!why) {
		fresh.data = malloc(resp->len);
		fresh.size = (unsigned)resp->len;
		if (!fresh.data)
			why = "out of memory";
		else
			memcpy(fresh.data, resp->body, resp->len);
	}
	if (!why && normalize_crl(&fresh, &next) < 0) {
		free(fresh.data);
		why = "the answer is not a CRL (DER or PEM)";
	}
	if (why) {
		/* An expired cached copy stays: better than nothing, crl.stale says so. */
		f->error = mc_strdup(why);
	} else {
		free(f->der.data);
		f->der = fresh;
		if (w->path[0])
			mc_cache_store(w->path, fresh.data, fresh.size);
	}
	w->done(w->user);
}

/*
 * Records the CRL of @url for chain element @cert in a new entry of @ev:
 * from the cache while current (0), else waits for it (1).
 */
static int fetch_one(struct mc_crl_stage *s, struct mc_stages *stages,
		     struct mc_evidence *ev, const char *url, int cert, int64_t deadline,
		     mc_stage_done_fn done, void *user)
{
	struct mc_crl_fetch *f = &ev->crl[ev->crl_len];
	struct mc_http_request req = {.url = url,
				      .follow_redirects = 1,
				      .max_bytes = CRL_MAX_BYTES,
				      .timeout_ms = deadline - mc_now_ms()};
	struct crl_wait *w = calloc(1, sizeof(*w));
	char why[256];
	time_t next = (time_t)-1;
	struct stat st;

	*f = (struct mc_crl_fetch){.url = mc_strdup(url), .cert = cert};
	if (!w || !f->url) {
		free(w);
		free(f->url);
		return MAILCERT_E_NOMEM;
	}
	ev->crl_len++;
	if (mc_cache_path(w->path, sizeof(w->path), "crl", url, ".crl") < 0)
		w->path[0] = '\0';
	if (w->path[0] && stat(w->path, &st) == 0 && mc_cache_read(w->path, CRL_MAX_BYTES, &f->der) == 0) {
		if (normalize_crl(&f->der, &next) == 0) {
			time_t until = next != (time_t)-1 ? next : st.st_mtime + CACHE_DEFAULT;

			if (until > time(NULL)) {
				free(w);
				return 0;
			}
		} else {
			free(f->der.data);
			f->der.data = NULL;
		}
	}
	w->f = f;
	w->done = done;
	w->user = user;
	w->get = mc_stages_get(stages, &req, fetched, w, why, sizeof(why));
	if (!w->get) {
		f->error = mc_strdup(why);
		free(w);
		return f->error ? 0 : MAILCERT_E_NOMEM;
	}
	s->waits[s->n++] = w;
	return 1;
}

/* Whether @url was already recorded. */
static int seen(const struct mc_evidence *ev, const char *url)
{
	for (size_t i = 0; i < ev->crl_len; i++)
		if (strcmp(ev->crl[i].url, url) == 0)
			return 1;
	return 0;
}

int mc_crl_stage_start(struct mc_crl_stage *s, struct mc_stages *st, const mailcert_policy *p,
		       const mailcert_observation *obs, int64_t deadline,
		       struct mc_evidence *ev, mc_stage_done_fn done, void *user)
{
	gnutls_x509_trust_list_t trust = mc_policy_trust(p);
	int started = 0, rc = 0;

	*s = (struct mc_crl_stage){0};
	if (!p->crl_fetch || obs->failure_code)
		return 0;
	for (size_t i = 0; rc >= 0 && i < obs->chain_len; i++) {
		gnutls_x509_crt_t crt;

		if (gnutls_x509_crt_init(&crt) < 0) {
			rc = MAILCERT_E_NOMEM;
			break;
		}
		if (gnutls_x509_crt_import(crt, &obs->chain[i], GNUTLS_X509_FMT_DER) < 0 ||
		    mc_is_trust_anchor(trust, crt)) {
			gnutls_x509_crt_deinit(crt);
			continue;
		}
		/* The http(s) distribution points, until the bound. */
		for (unsigned seq = 0; rc >= 0 && seq < 16 && ev->crl_len < MC_MAX_CRL_FETCH; seq++) {
			char url[URL_MAX + 1];
			size_t len = sizeof(url) - 1;
			unsigned reasons = 0, critical = 0;
			int type = gnutls_x509_crt_get_crl_dist_points(crt, seq, url, &len, &reasons,
								       &critical);

			if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				break;
			if (type != GNUTLS_SAN_URI || !url_ok(url, len))
				continue;
			url[len] = '\0';
			if (seen(ev, url))
				continue;
			rc = fetch_one(s, st, ev, url, (int)i, deadline, done, user);
			started += rc > 0;
		}
		gnutls_x509_crt_deinit(crt);
	}
	if (rc < 0) {
		mc_crl_stage_cancel(s);
		return rc;
	}
	return started;
}

void mc_crl_stage_cancel(struct mc_crl_stage *s)
{
	for (size_t i = 0; i < s->n; i++) {
		mc_get_cancel(s->waits[i]->get);
		free(s->waits[i]);
	}
	s->n = 0;
}

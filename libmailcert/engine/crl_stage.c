/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --crl-fetch: the CRLs of the chain's distribution points, fetched with
 * libcurl and recorded in the observation, so that the evaluation stays
 * pure (checks/revocation.c judges them against its `now`).
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

#include "io/http.h"
#include "model/internal.h"
#include "io/net.h"

#define CRL_MAX_BYTES (32u << 20) /* a CRL larger than this is refused */
#define URL_MAX 1024
#define CACHE_DEFAULT 3600 /* seconds a CRL without nextUpdate is reused */

void mc_observation_free_crls(mailcert_observation *obs)
{
	for (size_t i = 0; i < obs->crl_fetch_len; i++) {
		free(obs->crl_fetch[i].url);
		free(obs->crl_fetch[i].der.data);
		free(obs->crl_fetch[i].error);
	}
	obs->crl_fetch_len = 0;
}

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

/* ---- cache --------------------------------------------------------- */

static int mkdir_one(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* $XDG_CACHE_HOME/mailcert/crl or ~/.cache/mailcert/crl, created; 0, or -1 for no cache. */
static int cache_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	/* The XDG spec: a relative path is invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(out, len, "%s", xdg);
	else if (home && home[0] == '/')
		n = snprintf(out, len, "%s/.cache", home);
	else
		return -1;
	if (n < 0 || (size_t)n + sizeof("/mailcert/crl") > len || mkdir_one(out) < 0)
		return -1;
	strcat(out, "/mailcert");
	if (mkdir_one(out) < 0)
		return -1;
	strcat(out, "/crl");
	return mkdir_one(out);
}

/* The cache file of @url: DIR/<sha256 of the URL>.crl. */
static int cache_path(char *out, size_t len, const char *url)
{
	unsigned char digest[32];
	char hex[65], dir[4096];

	if (cache_dir(dir, sizeof(dir)) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, url, strlen(url), digest) < 0)
		return -1;
	mc_hex(hex, digest, sizeof(digest));
	return snprintf(out, len, "%s/%s.crl", dir, hex) < (int)len ? 0 : -1;
}

/* Reads at most CRL_MAX_BYTES of @path into a malloc'ed datum. */
static int read_file(const char *path, gnutls_datum_t *out)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int rc = -1;

	out->data = NULL;
	if (!f)
		return -1;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (unsigned long long)st.st_size <= CRL_MAX_BYTES) {
		out->size = (unsigned)st.st_size;
		out->data = malloc(out->size);
		if (out->data && fread(out->data, 1, out->size, f) == out->size)
			rc = 0;
	}
	fclose(f);
	if (rc < 0) {
		free(out->data);
		out->data = NULL;
	}
	return rc;
}

/* Writes @der to @path through a temporary file, so readers never see half a CRL. */
static void cache_store(const char *path, const gnutls_datum_t *der)
{
	char tmp[4200];
	int fd;
	ssize_t n = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return;
	fd = mkstemp(tmp);
	if (fd < 0)
		return;
	for (size_t off = 0; off < der->size && n >= 0; off += (size_t)n)
		n = write(fd, der->data + off, der->size - off);
	if (close(fd) < 0 || n < 0 || rename(tmp, path) < 0)
		unlink(tmp);
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

/* GETs @url within @timeout_ms into @out (malloc'ed); NULL, or why not (malloc'ed). */
static char *download(const char *url, long long timeout_ms, gnutls_datum_t *out)
{
	struct mc_http_request req = {.url = url,
				      .follow_redirects = 1,
				      .max_bytes = CRL_MAX_BYTES,
				      .timeout_ms = timeout_ms};
	struct mc_http_response resp;
	char *why = mc_http_get(&req, &resp);

	out->data = NULL;
	if (why)
		return why;
	out->data = resp.body;
	out->size = (unsigned)resp.len;
	return NULL;
}

/* ---- one distribution point ---------------------------------------- */

/* Records the CRL of @url for chain element @cert: from the cache while current, else fetched. */
static int fetch_one(mailcert_observation *obs, const char *url, int cert, long long deadline)
{
	struct mc_crl_fetch *f = &obs->crl_fetch[obs->crl_fetch_len];
	gnutls_datum_t cached = {NULL, 0}, fresh = {NULL, 0};
	char path[4300];
	time_t next = (time_t)-1;
	int have_path = cache_path(path, sizeof(path), url) == 0;
	struct stat st;

	*f = (struct mc_crl_fetch){.url = mc_strdup(url), .cert = cert};
	if (!f->url)
		return MAILCERT_E_NOMEM;
	obs->crl_fetch_len++;
	if (have_path && stat(path, &st) == 0 && read_file(path, &cached) == 0) {
		if (normalize_crl(&cached, &next) == 0) {
			time_t until = next != (time_t)-1 ? next : st.st_mtime + CACHE_DEFAULT;

			if (until > time(NULL)) {
				f->der = cached;
				return 0;
			}
		} else {
			free(cached.data);
			cached.data = NULL;
		}
	}
	f->error = download(url, deadline - mc_now_ms(), &fresh);
	if (!f->error && normalize_crl(&fresh, &next) < 0) {
		free(fresh.data);
		fresh.data = NULL;
		f->error = mc_strdup("the answer is not a CRL (DER or PEM)");
	}
	if (f->error) {
		f->der = cached; /* expired, but better than nothing: crl.stale says so */
		return 0;
	}
	free(cached.data);
	f->der = fresh;
	if (have_path)
		cache_store(path, &fresh);
	return 0;
}

/* Whether @url was already recorded. */
static int seen(const mailcert_observation *obs, const char *url)
{
	for (size_t i = 0; i < obs->crl_fetch_len; i++)
		if (strcmp(obs->crl_fetch[i].url, url) == 0)
			return 1;
	return 0;
}

/* The http(s) distribution points of @crt, fetched until the bound or the deadline. */
static int fetch_cert(mailcert_observation *obs, gnutls_x509_crt_t crt, int i, long long deadline)
{
	for (unsigned seq = 0; seq < 16 && obs->crl_fetch_len < MC_MAX_CRL_FETCH; seq++) {
		char url[URL_MAX + 1];
		size_t len = sizeof(url) - 1;
		unsigned reasons = 0, critical = 0;
		int type =
		    gnutls_x509_crt_get_crl_dist_points(crt, seq, url, &len, &reasons, &critical);
		int rc;

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type != GNUTLS_SAN_URI || !url_ok(url, len))
			continue;
		url[len] = '\0';
		if (seen(obs, url))
			continue;
		rc = fetch_one(obs, url, i, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_fetch_crls(const mailcert_policy *policy,
					       mailcert_observation *obs, unsigned timeout_ms)
{
	gnutls_x509_trust_list_t trust;
	long long deadline = mc_now_ms() + timeout_ms;
	int rc = 0;

	if (!policy || !obs)
		return MAILCERT_E_INVALID;
	if (!policy->crl_fetch || obs->failure_code)
		return 0;
	trust = mc_policy_trust(policy);
	for (size_t i = 0; rc >= 0 && i < obs->chain_len; i++) {
		gnutls_x509_crt_t crt;

		if (gnutls_x509_crt_init(&crt) < 0)
			return MAILCERT_E_NOMEM;
		if (gnutls_x509_crt_import(crt, &obs->chain[i], GNUTLS_X509_FMT_DER) >= 0 &&
		    !mc_is_trust_anchor(trust, crt))
			rc = fetch_cert(obs, crt, (int)i, deadline);
		gnutls_x509_crt_deinit(crt);
	}
	return rc;
}

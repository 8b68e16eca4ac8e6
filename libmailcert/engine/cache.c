/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stages' on-disk cache (cache.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "engine/cache.h"
#include "model/util.h"

static int mkdir_one(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* $XDG_CACHE_HOME/mailcert/@kind or ~/.cache/mailcert/@kind, created; 0, or -1 for no cache. */
static int cache_dir(char *out, size_t len, const char *kind)
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
	if (n < 0 || (size_t)n + sizeof("/mailcert/") + strlen(kind) > len || mkdir_one(out) < 0)
		return -1;
	strcat(out, "/mailcert");
	if (mkdir_one(out) < 0)
		return -1;
	strcat(out, "/");
	strcat(out, kind);
	return mkdir_one(out);
}

int mc_cache_path(char *out, size_t len, const char *kind, const char *key, const char *suffix)
{
	unsigned char digest[32];
	char hex[65], dir[4096];

	if (cache_dir(dir, sizeof(dir), kind) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, key, strlen(key), digest) < 0)
		return -1;
	mc_hex(hex, digest, sizeof(digest));
	return snprintf(out, len, "%s/%s%s", dir, hex, suffix) < (int)len ? 0 : -1;
}

int mc_cache_read(const char *path, size_t max, gnutls_datum_t *out)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int rc = -1;

	out->data = NULL;
	if (!f)
		return -1;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (unsigned long long)st.st_size <= max) {
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

void mc_cache_store(const char *path, const void *data, size_t len)
{
	char tmp[4200];
	int fd;
	ssize_t n = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return;
	fd = mkstemp(tmp);
	if (fd < 0)
		return;
	for (size_t off = 0; off < len && n >= 0; off += (size_t)n)
		n = write(fd, (const char *)data + off, len - off);
	if (close(fd) < 0 || n < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

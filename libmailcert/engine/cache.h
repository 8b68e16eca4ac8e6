/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The on-disk cache of what the stages fetch (CRLs, ACME renewal
 * information): $XDG_CACHE_HOME/mailcert/KIND/ (else ~/.cache/...), one
 * file per URL named by its SHA-256, written whole or not at all. A large
 * CRL must not be downloaded at every run (check_ssl_cert #567), nor a CA
 * asked again before its Retry-After. Not installed.
 */
#ifndef MAILCERT_CACHE_H
#define MAILCERT_CACHE_H

#include <stddef.h>

#include <gnutls/gnutls.h>

/*
 * The cache file of @key under KIND (created, mode 0700), with @suffix:
 * DIR/<sha256 of @key>@suffix. 0, or -1 when there is no cache (no
 * $HOME, a directory that cannot be made).
 */
int mc_cache_path(char *out, size_t len, const char *kind, const char *key, const char *suffix);

/* Reads @path, a regular file of 1 to @max bytes, into @out (malloc'ed). 0 or -1. */
int mc_cache_read(const char *path, size_t max, gnutls_datum_t *out);

/* Writes @len bytes to @path through a temporary file, so readers never see half of it. */
void mc_cache_store(const char *path, const void *data, size_t len);

#endif

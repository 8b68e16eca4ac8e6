/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Certificate chains and private keys from files or from memory
 * (model/certfile.c), for `mailcert file`, --compare-file and the ACME
 * stores (model/acmestore.c). Everything a struct mc_file holds is its
 * own, freed by mc_file_clear().
 */
#ifndef MC_MODEL_CERTFILE_H
#define MC_MODEL_CERTFILE_H

#include "model/internal.h"

/* What a certificate or key file holds. */
struct mc_file {
	gnutls_datum_t certs[MC_MAX_CHAIN]; /* DER, malloc'ed */
	size_t ncerts;
	gnutls_x509_privkey_t key; /* the private key, or NULL */
	char labels[128];          /* the PEM labels seen, for "holds no certificate" */
	int skip_keys;             /* only the certificates are wanted */
};

/* What mc_file_load() must find: a key; a certificate (a key may come
 * with it); a certificate, with keys skipped unread. */
enum { MC_WANT_KEY, MC_WANT_CERT, MC_WANT_CERT_ONLY };

/*
 * Reads the PEM or DER file @path into @f or, when @mem is not NULL,
 * parses @mem (then @path only names it in messages, as the "@what
 * \"@path\""). MAILCERT_E_IO when it cannot be read, MAILCERT_E_INVALID
 * when it does not hold what @want asks, each with a reason in @err.
 */
int mc_file_load(struct mc_file *f, const char *path, const gnutls_datum_t *mem, const char *what,
		 int want, char *err, size_t errlen);
void mc_file_clear(struct mc_file *f);

/* Reads all of @path, at most @max bytes, NUL-terminated, into @out (malloc'ed). */
int mc_read_file(const char *path, const char *what, size_t max, gnutls_datum_t *out, char *err,
		 size_t errlen);

/* @key's public key ID and description, read from @path, into @k (its path malloc'ed). */
int mc_file_key_set(struct mc_file_key *k, gnutls_x509_privkey_t key, const char *path);

/* A file-mode observation of @file: the chain @chain[@n] and the keys @keys[@nkeys], copied. */
int mc_observation_from_chain(mailcert_observation **out, const char *file,
			      const gnutls_datum_t *chain, size_t n, const struct mc_file_key *keys,
			      size_t nkeys);

#endif

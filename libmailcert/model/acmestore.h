/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An ACME client's store as read (model/acmestore.c; the public side is
 * include/mailcert/acme.h). A store never changes once read: several
 * threads may read it, and it is shared by counting references (the
 * policy's, a check's evidence, an engine's cache). It holds each
 * lineage's certificates and its key's public half, never a private key.
 */
#ifndef MC_MODEL_ACMESTORE_H
#define MC_MODEL_ACMESTORE_H

#include <mailcert/acme.h>

#include "model/internal.h"

#define MC_ACME_MAX_LINEAGES 4096
#define MC_ACME_MAX_OLDER 64          /* certbot's archive: the newest ones kept */
#define MC_ACME_MAX_NAMES 100         /* names of a certificate kept for matching */
#define MC_ACME_JSON_MAX (64u << 20)  /* an acme.json larger is not read */

enum mc_acme_kind { MC_ACME_CERTBOT, MC_ACME_ACMESH, MC_ACME_LEGO, MC_ACME_TRAEFIK };

struct mc_acme_lineage {
	char *name;   /* printable */
	char *source; /* where the newest chain was read: a file, or "acme.json#RESOLVER/MAIN" */
	char *error;  /* it could not be read: why, and nothing below is set */
	char *note;   /* it was read, but its key could not be: why */
	gnutls_datum_t chain[MC_MAX_CHAIN]; /* the newest, leaf first, DER */
	size_t chain_len;
	struct mc_file_key key; /* key.path NULL: no key read */
	time_t not_before;      /* of the newest leaf */
	int pk;                 /* its public key algorithm (gnutls_pk_algorithm_t) */
	char **names;           /* its DNS names (lowercase) and IP addresses */
	size_t names_len;
	/* Earlier leaves of the lineage (certbot's archive), newest first. */
	struct mc_acme_old {
		gnutls_datum_t der;
		char *source;
	} *older;
	size_t older_len;
};

struct mailcert_acme_store {
	int refs;
	enum mc_acme_kind kind;
	char *path;
	struct mc_acme_lineage *lineages;
	size_t len, cap;
};

/* An empty store of @kind read from @path; NULL when out of memory. */
mailcert_acme_store *mc_acme_store_alloc(enum mc_acme_kind kind, const char *path);
/* One more reference to @s (freed by mailcert_acme_store_free() at the last one). */
mailcert_acme_store *mc_acme_store_ref(const mailcert_acme_store *s);

/*
 * Adds the lineages of the Traefik acme.json @json (@len bytes) to @s.
 * Untrusted input, bounded: MAILCERT_E_INVALID with the reason in @err
 * when it is not an acme.json; an entry that is broken becomes a lineage
 * with an error.
 */
int mc_acme_traefik_parse(mailcert_acme_store *s, const char *json, size_t len, char *err,
			  size_t errlen);

/* Whether @l's newest certificate is for @name: a DNS name (a wildcard covers one label) or an IP. */
int mc_acme_covers(const struct mc_acme_lineage *l, const char *name);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An ACME client's own state: the certificates it keeps on disk, one
 * lineage per certificate it renews. mailcert reads four stores:
 *
 *   certbot   its config directory (/etc/letsencrypt): live/NAME/ links
 *             into archive/NAME/ (whose older certN.pem are the
 *             certificates NAME had before), renewal/NAME.conf
 *   acme.sh   its home (~/.acme.sh): NAME/ or NAME_ecc/ with NAME.cer,
 *             NAME.key and fullchain.cer
 *   lego      its directory (.lego) or its certificates/ directory:
 *             NAME.crt (the chain), NAME.key
 *   Traefik   its acme.json (the store Docker-Mailserver reads with
 *             SSL_TYPE=letsencrypt): per resolver, Certificates[] with
 *             domain.main, domain.sans, certificate and key (base64 PEM)
 *
 * A store is read whole when opened and never changes after: one opened
 * store may be read from several threads. It keeps each lineage's
 * certificates and the public half of its key, never the private key.
 *
 *   mailcert_acme_store_open(&store, "/etc/letsencrypt", err, sizeof(err));
 *   for (i = 0; i < mailcert_acme_store_count(store); i++)
 *       mailcert_observation_from_acme(&obs, store, i, err, sizeof(err))
 *       → mailcert_evaluate() as for a file (`mailcert file --acme`)
 *
 * Comparing what servers serve with a store is a policy setting,
 * mailcert_policy_set_compare_acme() (include/mailcert/policy.h).
 */
#ifndef MAILCERT_ACME_H
#define MAILCERT_ACME_H

#include <stddef.h>

#include <mailcert/common.h>
#include <mailcert/observation.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_acme_store mailcert_acme_store;

/*
 * Reads the store at @path, whichever of the four it is (a file is a
 * Traefik acme.json; a directory is told by what it holds). On success
 * *@out is the caller's, to free with mailcert_acme_store_free(). A store
 * that cannot be read is MAILCERT_E_IO; a path that is none of the four,
 * or a malformed acme.json, MAILCERT_E_INVALID; each with a reason naming
 * the path in @err. A lineage that cannot be read does not fail the
 * store: mailcert_observation_from_acme() says why. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_acme_store_open(mailcert_acme_store **out, const char *path,
					     char *err, unsigned errlen);
MAILCERT_EXPORT void mailcert_acme_store_free(mailcert_acme_store *store);

/* "certbot", "acme.sh", "lego" or "Traefik"; static. Since: 0.2. */
MAILCERT_EXPORT const char *mailcert_acme_store_kind(const mailcert_acme_store *store);

/* Its lineages, in the order of their names. Since: 0.2. */
MAILCERT_EXPORT size_t mailcert_acme_store_count(const mailcert_acme_store *store);

/*
 * Why lineage @index's key was not compared with its certificate (it
 * could not be read, e.g. a privkey.pem only root may read), or NULL.
 * Lives as long as @store. Since: 0.2.
 */
MAILCERT_EXPORT const char *mailcert_acme_lineage_note(const mailcert_acme_store *store,
						       size_t index);

/*
 * Lineage @index's name: certbot's and lego's file name, acme.sh's
 * directory name ("mail.example.com_ecc"), or Traefik's
 * "RESOLVER/MAIN-DOMAIN"; NULL past the end. Lives as long as @store.
 * Since: 0.2.
 */
MAILCERT_EXPORT const char *mailcert_acme_lineage_name(const mailcert_acme_store *store,
						       size_t index);

/*
 * Lineage @index's newest chain and its key, as mailcert_observation_from_file()
 * reads a file: evaluate it for expiry, trust, chain and
 * deploy.key-mismatch. Its target and file are where the chain was read
 * ("/etc/letsencrypt/live/NAME/fullchain.pem", "acme.json#RESOLVER/MAIN").
 * On success *@out is the caller's. A lineage that could not be read is
 * MAILCERT_E_INVALID with the reason in @err. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_observation_from_acme(mailcert_observation **out,
						   const mailcert_acme_store *store, size_t index,
						   char *err, unsigned errlen);

#ifdef __cplusplus
}
#endif

#endif

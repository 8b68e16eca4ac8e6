/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A key as DANE names it (model/tlsakey.c): the public key, and the
 * certificate when there is one, of a --next-key, --next-issuer or
 * --tlsa-for file; whether a TLSA record names it; the record to publish
 * for it.
 */
#ifndef MC_MODEL_TLSAKEY_H
#define MC_MODEL_TLSAKEY_H

#include "model/internal.h"

/* TLSA certificate usages (RFC 6698 §2.1.1, names of RFC 7218). */
enum { PKIX_TA, PKIX_EE, DANE_TA, DANE_EE };

/* "3 1 1 " and 64 hex digits, and room to spare. */
#define MC_TLSA_RECORD_MAX 80

/*
 * Reads the PEM or DER file @path (named in messages as the "@what"):
 * a certificate or chain (the first certificate's key; a certificate in
 * it that issued the first is @k->issuer_spki), a private key (PEM, any
 * kind, or DER) or a PUBLIC KEY block. MAILCERT_E_IO when it cannot be
 * read, MAILCERT_E_INVALID when it holds none of them, each with a reason
 * naming the file in @err; MAILCERT_E_NOMEM. On success @k owns its data:
 * free with mc_tlsa_key_clear().
 */
int mc_tlsa_key_load(struct mc_tlsa_key *k, const char *path, const char *what, char *err,
		     size_t errlen);

/* Frees what @k holds and zeroes it. */
void mc_tlsa_key_clear(struct mc_tlsa_key *k);

/*
 * "@usage 1 1 HEX": the record naming @spki (a DER SubjectPublicKeyInfo)
 * by its SHA-256, into @out; "" when GnuTLS cannot hash.
 */
void mc_tlsa_record_text(char *out, size_t len, unsigned usage, const gnutls_datum_t *spki);

/*
 * Whether the data of record @t (its selector and matching type, not its
 * usage) names @selected, the certificate (selector 0) or SPKI (1) it
 * stands for. A matching type other than 0, 1 or 2 names nothing.
 */
int mc_tlsa_data_matches(const struct mc_tlsa *t, const gnutls_datum_t *selected);

/* Whether record @t names key @k: its certificate (selector 0, when it has one) or its SPKI. */
int mc_tlsa_names_key(const struct mc_tlsa *t, const struct mc_tlsa_key *k);

#endif

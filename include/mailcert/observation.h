/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Observations: everything a probe saw — the chain as sent, TLS
 * parameters, stapled OCSP, timings — or why it stopped before TLS.
 * An observation is immutable once made.
 */
#ifndef MAILCERT_OBSERVATION_H
#define MAILCERT_OBSERVATION_H

#include <stddef.h>
#include <mailcert/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_observation mailcert_observation;

/* Frees @obs; NULL is a no-op. Reports made from it stay valid. */
MAILCERT_EXPORT void mailcert_observation_free(mailcert_observation *obs);

/* The target as "scheme://host:port"; lives as long as @obs. */
MAILCERT_EXPORT const char *mailcert_observation_target(const mailcert_observation *obs);

/*
 * Reads a certificate chain from a file on disk instead of a server, for
 * mailcert_evaluate() like a probe's observation (`mailcert file`).
 * @path is PEM (every CERTIFICATE block in order, leaf first; other
 * blocks are skipped, and one private key may sit among the certificates,
 * as in Postfix's smtpd_tls_chain_files) or one DER certificate. A private
 * key in that file, and the one in @key_path (PEM or DER; NULL for none),
 * are recorded so that the evaluation reports deploy.key-mismatch when one
 * does not belong to the leaf. The observation's target is @path, it has
 * no host (so no name is checked unless the policy names one), no peer,
 * no TLS parameters, zero timings. On success *@out is the caller's, to
 * free with mailcert_observation_free(). A file that cannot be read is
 * MAILCERT_E_IO; an empty or malformed one, a certificate file without a
 * certificate, a key file without a key, or an encrypted key is
 * MAILCERT_E_INVALID; each with a reason naming the file in @err.
 */
MAILCERT_EXPORT int mailcert_observation_from_file(mailcert_observation **out, const char *path,
						   const char *key_path, char *err,
						   unsigned errlen);

/* The certificate file of an observation made by mailcert_observation_from_file(),
 * NULL for a probe's; lives as long as @obs. */
MAILCERT_EXPORT const char *mailcert_observation_file(const mailcert_observation *obs);

/*
 * "RSA" or "ECDSA" when the handshake offered only that key type's
 * signature algorithms (mailcert_probe_set_key_type()), so the chain is
 * the server's certificate of that type; NULL otherwise. Static.
 */
MAILCERT_EXPORT const char *mailcert_observation_key_type(const mailcert_observation *obs);

/* The address connected to ("127.0.0.1:25", "[::1]:25"), or "" before a connection. */
MAILCERT_EXPORT const char *mailcert_observation_peer(const mailcert_observation *obs);

/*
 * Why the probe stopped before a certificate was received, or NULL when
 * it was. *@code is a finding code ("connect.refused",
 * "starttls.injection", …), *@message one line for people. Both live as
 * long as @obs; either pointer argument may be NULL.
 */
MAILCERT_EXPORT const char *mailcert_observation_failure(const mailcert_observation *obs,
							 const char **message);

/* Number of certificates the server sent (0 after a failure). */
MAILCERT_EXPORT size_t mailcert_observation_chain_length(const mailcert_observation *obs);

/*
 * The DER of certificate @index in the order sent (0 = leaf). A borrowed
 * view: *@der lives as long as @obs. Returns MAILCERT_E_INVALID for an
 * index out of range.
 */
MAILCERT_EXPORT int mailcert_observation_cert_der(const mailcert_observation *obs, size_t index,
						  const unsigned char **der, size_t *der_len);

/* Stapled OCSP responses (DER), borrowed like certificates. */
MAILCERT_EXPORT size_t mailcert_observation_ocsp_count(const mailcert_observation *obs);
MAILCERT_EXPORT int mailcert_observation_ocsp_der(const mailcert_observation *obs, size_t index,
						  const unsigned char **der, size_t *der_len);

/* "TLS1.3", the cipher suite name, the ALPN protocol (NULL if none); live as long as @obs. */
MAILCERT_EXPORT const char *mailcert_observation_tls_version(const mailcert_observation *obs);
MAILCERT_EXPORT const char *mailcert_observation_tls_cipher(const mailcert_observation *obs);
MAILCERT_EXPORT const char *mailcert_observation_tls_alpn(const mailcert_observation *obs);

/*
 * The plaintext dialogue before TLS, one line per line sent or received:
 * "C: EHLO mailcert.invalid", "S: 250-mail.test"; the server's bytes
 * escaped as \xNN, long lines and a long dialogue cut. "" for implicit TLS.
 * Lives as long as @obs.
 */
MAILCERT_EXPORT const char *mailcert_observation_transcript(const mailcert_observation *obs);

/* Stage durations in seconds; a stage not reached is 0. */
typedef struct mailcert_timings {
	double connect_s;
	double dialogue_s;
	double handshake_s;
	double total_s;
} mailcert_timings;

MAILCERT_EXPORT mailcert_timings mailcert_observation_timings(const mailcert_observation *obs);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TLS step: a GnuTLS client handshake on an already connected socket,
 * then the evidence (chain as sent, stapled OCSP, version, cipher) copied
 * into the observation. Nothing is verified here: a bad chain must still
 * be seen, so verification is the evaluator's job.
 */
#ifndef MAILCERT_TLS_H
#define MAILCERT_TLS_H

#include <stdint.h>

#include "internal.h"

/* The first bytes the server sent during the handshake: plaintext there
 * means a STARTTLS port was checked as implicit TLS. */
struct mc_tls_first {
	uint8_t bytes[128];
	size_t len;
};

/*
 * Handshakes on non-blocking @fd, sending @sni unless NULL or empty and
 * offering the ALPN protocol @alpn unless NULL, offering only the
 * signature algorithms of @key_type unless MAILCERT_KEY_ANY, before @deadline_ms
 * (monotonic). Returns 0 with the evidence in @obs, 1 with
 * the failure recorded in @obs (tls.handshake, timeout), or
 * MAILCERT_E_NOMEM. @first, if not NULL, receives the server's first bytes.
 */
int mc_tls_handshake(int fd, const char *sni, const char *alpn, mailcert_key_type key_type,
		     int64_t deadline_ms, mailcert_observation *obs, struct mc_tls_first *first);

#endif

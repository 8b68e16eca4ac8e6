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

#include "model/internal.h"

/* The first bytes the server sent during the handshake: plaintext there
 * means a STARTTLS port was checked as implicit TLS. */
struct mc_tls_first {
	uint8_t bytes[128];
	size_t len;
};

/*
 * A client handshake on connected non-blocking @fd, run by mc_tls_step()
 * as the socket allows: it sends @sni unless NULL or empty, offers the
 * ALPN protocol @alpn unless NULL, and only the signature algorithms of
 * @key_type unless MAILCERT_KEY_ANY. @first, if not NULL, receives the
 * server's first bytes and must outlive the session. NULL when memory
 * ran out. Free with mc_tls_free().
 */
struct mc_tls *mc_tls_new(int fd, const char *sni, const char *alpn, mailcert_key_type key_type,
			  struct mc_tls_first *first);

#define MC_TLS_AGAIN 2

/*
 * Advances the handshake as far as the socket allows. Returns 0 with the
 * evidence in @obs; 1 with the failure recorded in @obs (tls.handshake,
 * or timeout when @deadline_ms, monotonic, has passed); MC_TLS_AGAIN with
 * *@events set to POLLIN or POLLOUT: call again when @fd is ready for it;
 * or MAILCERT_E_NOMEM.
 */
int mc_tls_step(struct mc_tls *t, int64_t deadline_ms, mailcert_observation *obs, short *events);

void mc_tls_free(struct mc_tls *t);

#endif

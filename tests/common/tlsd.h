/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An implicit-TLS server on 127.0.0.1 for the hostile suite: it sends
 * exactly the certificates it is given, in that order — a chain no sane
 * daemon would load (100 certificates, loops, duplicates) — which
 * gnutls_certificate_set_x509_key() would sort, check or refuse.
 */
#ifndef MAILCERT_TEST_TLSD_H
#define MAILCERT_TEST_TLSD_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct mc_test_tlsd;

/*
 * Serves @ders[0..n) (DER, copied) with the leaf's private key @key
 * (copied), one connection at a time, on an ephemeral port (*@port).
 * Returns 0 or a negative GnuTLS code.
 */
int mc_test_tlsd_start(struct mc_test_tlsd **out, unsigned *port, const gnutls_datum_t *ders,
		       size_t n, gnutls_x509_privkey_t key);
/* Stops the thread and frees everything; NULL is a no-op. */
void mc_test_tlsd_stop(struct mc_test_tlsd *s);

#endif

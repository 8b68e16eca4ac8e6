/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Probes: one connection to one target — resolve, connect, the plaintext
 * dialogue, the TLS handshake — producing an observation.
 */
#ifndef MAILCERT_PROBE_H
#define MAILCERT_PROBE_H

#include <mailcert/common.h>
#include <mailcert/target.h>
#include <mailcert/observation.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_probe mailcert_probe;

/* Address family for resolution. */
typedef enum mailcert_family {
	MAILCERT_FAMILY_ANY = 0,
	MAILCERT_FAMILY_INET = 4,
	MAILCERT_FAMILY_INET6 = 6,
} mailcert_family;

/*
 * Creates a probe of @target. The probe keeps its own copy of the target;
 * the caller still owns @target. Free the probe with mailcert_probe_free().
 */
MAILCERT_EXPORT int mailcert_probe_new(mailcert_probe **out, const mailcert_target *target);

/* Frees @probe; NULL is a no-op. */
MAILCERT_EXPORT void mailcert_probe_free(mailcert_probe *probe);

/*
 * Setters. Strings are copied. Defaults: SNI = the target host unless it is
 * an IP literal (then none); EHLO name = "mailcert.invalid"; connect to the
 * target host; any family; timeout 10000 ms for the whole probe.
 * Passing NULL restores the default. An empty @sni sends no SNI.
 */
MAILCERT_EXPORT int mailcert_probe_set_sni(mailcert_probe *probe, const char *sni);
MAILCERT_EXPORT int mailcert_probe_set_helo(mailcert_probe *probe, const char *helo);
/* The XMPP domain sent as the stream's "to" (default: the target host). */
MAILCERT_EXPORT int mailcert_probe_set_xmpp_domain(mailcert_probe *probe, const char *domain);
MAILCERT_EXPORT int mailcert_probe_set_connect_to(mailcert_probe *probe, const char *address);
MAILCERT_EXPORT int mailcert_probe_set_family(mailcert_probe *probe, mailcert_family family);
MAILCERT_EXPORT int mailcert_probe_set_timeout_ms(mailcert_probe *probe, unsigned timeout_ms);

/* Ways to depart from the protocol's usual upgrade; none by default. */
enum {
	/*
	 * PostgreSQL only: TLS from the first byte with ALPN "postgresql"
	 * (PostgreSQL 17's sslnegotiation=direct) instead of SSLRequest.
	 */
	MAILCERT_PROBE_DIRECT_TLS = 1 << 0,
	/*
	 * POP3 only: send STLS although the server lists no capabilities (no
	 * CAPA). Off by default: a missing upgrade is what a downgrade attack
	 * looks like, so trying anyway is the user's decision.
	 */
	MAILCERT_PROBE_UNADVERTISED = 1 << 1,
};

/*
 * Sets the MAILCERT_PROBE_* @flags, replacing earlier ones.
 * MAILCERT_E_INVALID for an unknown flag or one the target's protocol
 * has no use for.
 */
MAILCERT_EXPORT int mailcert_probe_set_flags(mailcert_probe *probe, unsigned flags);

/* The key types a handshake can be restricted to. */
typedef enum mailcert_key_type {
	MAILCERT_KEY_ANY = 0,
	MAILCERT_KEY_RSA = 1,
	MAILCERT_KEY_ECDSA = 2,
} mailcert_key_type;

/*
 * Restricts the handshake to a certificate of @type (default
 * MAILCERT_KEY_ANY: whatever the server prefers) by offering only that
 * type's signature algorithms, and in TLS 1.2 and older its key
 * exchanges: a server holding both an RSA and an ECDSA certificate then
 * shows the one asked for, in TLS 1.3 too. The observation's target reads
 * "smtp://host:25 (RSA)" / "(ECDSA)". When the restricted handshake fails,
 * the probe connects once more without the restriction, within the same
 * timeout: if the server then completes a handshake with a certificate of
 * another type, the failure becomes tls.key-type-absent (the server has
 * no certificate of @type; evaluated as OK), else it stays tls.handshake.
 * MAILCERT_E_INVALID for an unknown @type.
 */
MAILCERT_EXPORT int mailcert_probe_set_key_type(mailcert_probe *probe, mailcert_key_type type);

/*
 * Runs the probe to completion, blocking for at most the timeout.
 * On success (0) *@out is a new observation, the caller's to free with
 * mailcert_observation_free(). Network and protocol failures are not
 * errors: they are recorded in the observation (see
 * mailcert_observation_failure()) and become findings when evaluated.
 * Errors are only MAILCERT_E_NOMEM and MAILCERT_E_INVALID.
 */
MAILCERT_EXPORT int mailcert_probe_run(mailcert_probe *probe, mailcert_observation **out);

#ifdef __cplusplus
}
#endif

#endif

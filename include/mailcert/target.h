/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Targets: what to connect to and how TLS starts there.
 */
#ifndef MAILCERT_TARGET_H
#define MAILCERT_TARGET_H

#include <mailcert/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The protocol spoken before TLS. Values are ABI: never renumbered. */
typedef enum mailcert_protocol {
	MAILCERT_PROTO_NONE = 0, /* implicit TLS from the first byte */
	MAILCERT_PROTO_SMTP = 1, /* STARTTLS after EHLO (smtp, submission) */
	MAILCERT_PROTO_LMTP = 2, /* STARTTLS after LHLO */
	MAILCERT_PROTO_IMAP = 3,
	MAILCERT_PROTO_POP3 = 4,
	MAILCERT_PROTO_SIEVE = 5,
	MAILCERT_PROTO_NNTP = 6,
	MAILCERT_PROTO_FTP = 7,
	MAILCERT_PROTO_XMPP = 8,
	MAILCERT_PROTO_XMPP_SERVER = 9,
	MAILCERT_PROTO_LDAP = 10,
	MAILCERT_PROTO_POSTGRES = 11,
	MAILCERT_PROTO_MYSQL = 12,
	MAILCERT_PROTO_IRC = 13,
} mailcert_protocol;

typedef struct mailcert_target mailcert_target;

/*
 * Parses "SCHEME://HOST[:PORT]", "HOST:PORT" or "HOST" (IPv6 literals in
 * brackets). Without a scheme, the scheme comes from @scheme if not NULL,
 * else from the port (25 → smtp, 465 → smtps, …); a bare host without
 * either is an error. @scheme, when given, also overrides a scheme in @text.
 *
 * On success *@out is a new target, the caller's to free with
 * mailcert_target_free(). On failure returns MAILCERT_E_INVALID and, if
 * @err is not NULL, writes a one-line reason (at most @errlen bytes, NUL
 * terminated).
 */
MAILCERT_EXPORT int mailcert_target_parse(mailcert_target **out, const char *text,
					  const char *scheme, char *err, unsigned errlen);

/* Frees @target; NULL is a no-op. */
MAILCERT_EXPORT void mailcert_target_free(mailcert_target *target);

/* The canonical form "scheme://host:port"; lives as long as @target. */
MAILCERT_EXPORT const char *mailcert_target_string(const mailcert_target *target);

/* The scheme as written or inferred ("submission", "smtps", …); lives as long as @target. */
MAILCERT_EXPORT const char *mailcert_target_scheme(const mailcert_target *target);

/* The host without brackets; lives as long as @target. */
MAILCERT_EXPORT const char *mailcert_target_host(const mailcert_target *target);

MAILCERT_EXPORT unsigned mailcert_target_port(const mailcert_target *target);

MAILCERT_EXPORT mailcert_protocol mailcert_target_protocol(const mailcert_target *target);

/* Non-zero when the scheme was inferred from the port (the CLI says so). */
MAILCERT_EXPORT int mailcert_target_port_guessed(const mailcert_target *target);

/*
 * Whether the scheme is implemented in this build (schemes of later
 * protocols parse, so that errors can name them, but are not yet probed).
 */
MAILCERT_EXPORT int mailcert_target_supported(const mailcert_target *target);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is the same certificate served everywhere? The leaf consistency of one
 * host's endpoints (its mail ports, as `mailcert scan --mail-ports`
 * checks them): which leaf each open endpoint serves, grouped by the
 * SHA-256 of its DER, which endpoints are closed or gave no certificate,
 * and a verdict.
 *
 *   report → mailcert_endpoint (what the judgement needs, copied)
 *   endpoints of one host → mailcert_consistency_judge() → verdict
 *
 * The first step lets a program that checks many endpoints at once free
 * each report as soon as it has printed it. The judgement is pure: no
 * I/O, no clock; the same endpoints give the same verdict.
 */
#ifndef MAILCERT_CONSISTENCY_H
#define MAILCERT_CONSISTENCY_H

#include <stddef.h>
#include <time.h>
#include <mailcert/common.h>
#include <mailcert/probe.h>
#include <mailcert/render.h>
#include <mailcert/report.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One endpoint's result, as the judgement needs it. Opaque. */
typedef struct mailcert_endpoint mailcert_endpoint;

/*
 * What the judgement needs of @report, copied: its target (service and
 * port), state, failure code and leaf (SHA-256, subject, notAfter).
 * @report stays the caller's and may be freed at once. On success
 * *@out is the caller's to free with mailcert_endpoint_free().
 * MAILCERT_E_INVALID when @report is not of a network target (a file);
 * MAILCERT_E_NOMEM.
 */
MAILCERT_EXPORT int mailcert_endpoint_new(mailcert_endpoint **out, const mailcert_report *report);

/*
 * An endpoint that was never checked (an option that does not fit it):
 * its canonical target "scheme://host:port" and the state it was given.
 * The judgement lists it among the endpoints that gave no certificate.
 * *@out as for mailcert_endpoint_new(). MAILCERT_E_INVALID when @target
 * does not parse; MAILCERT_E_NOMEM.
 */
MAILCERT_EXPORT int mailcert_endpoint_new_unchecked(mailcert_endpoint **out, const char *target,
						    mailcert_state state);

/* Frees @endpoint; NULL is a no-op. */
MAILCERT_EXPORT void mailcert_endpoint_free(mailcert_endpoint *endpoint);

/* Flags of mailcert_consistency_judge() and mailcert_endpoint_closed(). */
enum {
	/*
	 * A refused connection (connect.refused) is a failure like any
	 * other. Without it, a refused endpoint is closed: listed apart,
	 * expected (few hosts run every mail service), never a failure.
	 */
	MAILCERT_CONSISTENCY_REQUIRE_OPEN = 1,
};

/* Non-zero when the judgement under @flags counts @endpoint as closed. */
MAILCERT_EXPORT int mailcert_endpoint_closed(const mailcert_endpoint *endpoint, unsigned flags);

/* An endpoint as the verdict lists it. */
typedef struct mailcert_consistency_port {
	const char *service; /* the target's scheme: "smtp", "imaps", … */
	unsigned port;
	mailcert_state state;
	const char *failure; /* the failure code ("connect.timeout"), or NULL */
} mailcert_consistency_port;

/* A distinct leaf and the endpoints serving it, in the order given. */
typedef struct mailcert_consistency_leaf {
	const char *sha256;  /* lowercase hex of the DER */
	const char *subject; /* RFC 4514; control bytes as '?', at most 200 bytes then "..." */
	time_t not_after;
	const mailcert_consistency_port *ports;
	size_t n_ports;
} mailcert_consistency_leaf;

/*
 * The verdict on one host. Owned by the library: read it, free it with
 * mailcert_consistency_free(); every pointer in it lives as long as it.
 */
typedef struct mailcert_consistency {
	const char *host;
	mailcert_key_type key_type; /* the handshakes' restriction; 0: none */
	/*
	 * "scan.leaf-mismatch" (WARNING): the open endpoints serve more than
	 * one leaf. "scan.leaf-consistent" (OK): one leaf on every open
	 * endpoint. "scan.no-leaf" (OK): none served a certificate (each
	 * endpoint's own report says why).
	 */
	const char *code;
	mailcert_state state;
	/* One line for people, "HOST[ (RSA)]: …", naming which endpoints
	 * serve which leaf; at most 4095 bytes. */
	const char *message;
	const mailcert_consistency_leaf *leaves; /* in order of first appearance */
	size_t n_leaves;
	const mailcert_consistency_port *closed; /* refused, see the flags */
	size_t n_closed;
	const mailcert_consistency_port *failed; /* open, but no certificate */
	size_t n_failed;
} mailcert_consistency;

/*
 * Judges the @n endpoints of @host (listed in the verdict in this order),
 * checked with handshakes restricted to @key_type (0: none; it names the
 * verdict, "mail.example.com (RSA)": give one key type's endpoints per
 * call). @flags: MAILCERT_CONSISTENCY_*. Pure. On success *@out is the
 * caller's to free with mailcert_consistency_free(). MAILCERT_E_INVALID,
 * MAILCERT_E_NOMEM.
 */
MAILCERT_EXPORT int mailcert_consistency_judge(mailcert_consistency **out, const char *host,
					       mailcert_key_type key_type,
					       const mailcert_endpoint *const *endpoints, size_t n,
					       unsigned flags);

/* Frees @c; NULL is a no-op. */
MAILCERT_EXPORT void mailcert_consistency_free(mailcert_consistency *c);

/*
 * Renders @n verdicts (n >= 1) as one output. TEXT and NAGIOS: one line
 * each, "WARNING scan.leaf-mismatch: MESSAGE" (NAGIOS also escapes '|',
 * which would start performance data); JSON: one line each,
 * {"consistency":{"host", "key_type", "state", "code", "message",
 * "leaves":[{"sha256", "subject", "not_after", "ports":[{"service",
 * "port"}]}], "closed":[…], "failed":[{"service", "port", "code"}]}};
 * PROMETHEUS: the gauge family mailcert_scan_leaf_certificates, one
 * sample per verdict labelled host (and key_type), valued by the number
 * of distinct leaves. Untrusted text is escaped for each format. On
 * success *@out is a NUL-terminated string ending in a newline, the
 * caller's to free(). MAILCERT_E_INVALID (another format), MAILCERT_E_NOMEM.
 */
MAILCERT_EXPORT int mailcert_render_consistency(char **out, const mailcert_consistency *const *c,
						size_t n, mailcert_format format);

#ifdef __cplusplus
}
#endif

#endif

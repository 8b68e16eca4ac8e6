/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policies: what a good certificate must satisfy. A policy is built once
 * and may be used for any number of evaluations.
 */
#ifndef MAILCERT_POLICY_H
#define MAILCERT_POLICY_H

#include <mailcert/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mailcert_policy mailcert_policy;

/*
 * Creates a policy with the defaults: warning under 30 days, critical under
 * 15 days, the system trust store, self-signed not accepted, names = the
 * target host. Free with mailcert_policy_free().
 */
MAILCERT_EXPORT int mailcert_policy_new(mailcert_policy **out);

/* Frees @policy; NULL is a no-op. Reports made with it stay valid. */
MAILCERT_EXPORT void mailcert_policy_free(mailcert_policy *policy);

/*
 * Adds a name the leaf must be valid for (DNS name or IP address), matched
 * per RFC 6125. Any one matching is enough. Copied. Without any, the
 * target host is expected.
 */
MAILCERT_EXPORT int mailcert_policy_add_name(mailcert_policy *policy, const char *name);

/*
 * Sets the warning (@critical = 0) or critical (@critical != 0) threshold
 * of remaining validity, from the CLI syntax: "30" or "30d" (days), "12h",
 * "900s", "33%" (of each certificate's lifetime), or a Nagios range such as
 * "30:" or "@10:20" whose ends take the same units (days by default).
 * Returns MAILCERT_E_INVALID with a reason in @err for bad syntax.
 */
MAILCERT_EXPORT int mailcert_policy_set_threshold(mailcert_policy *policy, int critical,
						  const char *spec, char *err, unsigned errlen);

/*
 * Trust the CAs in a PEM file, or in every file of a directory, instead of
 * the system store (unless mailcert_policy_add_system_trust() is also
 * called). The files are read now: a missing or unparsable file is
 * MAILCERT_E_IO with a reason naming it in @err.
 */
MAILCERT_EXPORT int mailcert_policy_add_ca_file(mailcert_policy *policy, const char *path,
						char *err, unsigned errlen);
MAILCERT_EXPORT int mailcert_policy_add_ca_dir(mailcert_policy *policy, const char *path,
					       char *err, unsigned errlen);

/* Adds the system trust store (the default when no CA is given). */
MAILCERT_EXPORT int mailcert_policy_add_system_trust(mailcert_policy *policy);

/* A self-signed leaf is then not a finding. */
MAILCERT_EXPORT int mailcert_policy_set_allow_self_signed(mailcert_policy *policy, int allow);

#ifdef __cplusplus
}
#endif

#endif

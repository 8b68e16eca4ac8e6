/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DANE records to publish: the TLSA records that name a certificate or
 * key, for an operator to stage in DNS before deploying it (docs/domain.md,
 * "DANE rollovers"). Checking published records against a server is the
 * policy's (mailcert_policy_add_tlsa(), _set_dane(), _add_next_key()).
 */
#ifndef MAILCERT_TLSA_H
#define MAILCERT_TLSA_H

#include <mailcert/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The TLSA records that name the certificate or key in the file @path
 * (PEM or DER; `mailcert file --tlsa-for`), one per line, each ended by
 * '\n':
 *
 *   "3 1 1 HEX"  DANE-EE, the SHA-256 of the SubjectPublicKeyInfo of the
 *                file's first certificate, or of the key (a private key,
 *                or a PUBLIC KEY block);
 *   "2 1 1 HEX"  DANE-TA, the same of the certificate in the file that
 *                issued the first one (a chain file); absent when the file
 *                holds no issuer of it (a bare key, a leaf alone).
 *
 * The hex digits are lowercase. The file is read now. On success *@out
 * is the caller's to free(). MAILCERT_E_IO when the file cannot be read,
 * MAILCERT_E_INVALID when it holds no certificate or key (or @out or
 * @path is NULL), each with a reason naming the file in @err;
 * MAILCERT_E_NOMEM. Since: 0.2.
 */
MAILCERT_EXPORT int mailcert_tlsa_for_file(char **out, const char *path, char *err,
					   unsigned errlen);

#ifdef __cplusplus
}
#endif

#endif

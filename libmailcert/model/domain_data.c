/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A mail domain's lookups as found (domain_data.h): the public accessors. */
#include <stdlib.h>

#include "model/domain_data.h"
#include "model/internal.h"

#include <mailcert/domain.h>

MAILCERT_EXPORT void mailcert_domain_free(mailcert_domain *d)
{
	if (!d)
		return;
	free(d->sts_body);
	free(d->sts_error);
	free(d);
}

MAILCERT_EXPORT const char *mailcert_domain_name(const mailcert_domain *d)
{
	return d ? d->name : NULL;
}

MAILCERT_EXPORT size_t mailcert_domain_mx_count(const mailcert_domain *d)
{
	return d ? d->mx_len : 0;
}

MAILCERT_EXPORT const char *mailcert_domain_mx_host(const mailcert_domain *d, size_t i)
{
	return d && i < d->mx_len ? d->mx[i].host : NULL;
}

MAILCERT_EXPORT const char *mailcert_domain_mx_address(const mailcert_domain *d, size_t i)
{
	return d && i < d->mx_len && d->mx[i].addr[0] ? d->mx[i].addr : NULL;
}

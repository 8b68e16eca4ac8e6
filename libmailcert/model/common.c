/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "model/internal.h"

MAILCERT_EXPORT const char *mailcert_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case MAILCERT_E_NOMEM:
		return "out of memory";
	case MAILCERT_E_INVALID:
		return "invalid argument";
	case MAILCERT_E_IO:
		return "file could not be read";
	case MAILCERT_E_TLS:
		return "TLS library error";
	case MAILCERT_E_UNSUPPORTED:
		return "not supported in this version";
	case MAILCERT_E_STATE:
		return "call made in the wrong state";
	}
	return "unknown error";
}

MAILCERT_EXPORT const char *mailcert_state_name(mailcert_state state)
{
	switch (state) {
	case MAILCERT_OK:
		return "OK";
	case MAILCERT_WARNING:
		return "WARNING";
	case MAILCERT_CRITICAL:
		return "CRITICAL";
	case MAILCERT_UNKNOWN:
		break;
	}
	return "UNKNOWN";
}

MAILCERT_EXPORT const char *mailcert_version(void)
{
	return MAILCERT_VERSION_STRING;
}

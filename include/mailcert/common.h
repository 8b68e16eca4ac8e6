/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmailcert — shared definitions: export macro, error codes, states.
 */
#ifndef MAILCERT_COMMON_H
#define MAILCERT_COMMON_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define MAILCERT_EXPORT __attribute__((visibility("default")))
#else
#define MAILCERT_EXPORT
#endif

/* Marks a function kept for one release after its replacement came. */
#if defined(__GNUC__)
#define MAILCERT_DEPRECATED __attribute__((deprecated))
#else
#define MAILCERT_DEPRECATED
#endif

/*
 * Error codes returned by API calls. 0 is success, every error is negative.
 * The values are part of the ABI and are never renumbered.
 * A certificate problem is never an error code: it is a finding in a report.
 */
enum {
	MAILCERT_E_NOMEM = -1,    /* allocation failed */
	MAILCERT_E_INVALID = -2,  /* an argument is malformed; see the detail */
	MAILCERT_E_IO = -3,       /* a file could not be read */
	MAILCERT_E_TLS = -4,      /* GnuTLS failed outside a handshake */
	MAILCERT_E_UNSUPPORTED = -5, /* valid, but not implemented yet */
	MAILCERT_E_STATE = -6,    /* call made at the wrong time */
};

/*
 * Returns a static English description of an error code.
 * Never NULL; unknown codes give "unknown error".
 */
MAILCERT_EXPORT const char *mailcert_strerror(int code);

/* The monitoring-plugin states; the numeric values are the exit codes. */
typedef enum mailcert_state {
	MAILCERT_OK = 0,
	MAILCERT_WARNING = 1,
	MAILCERT_CRITICAL = 2,
	MAILCERT_UNKNOWN = 3,
} mailcert_state;

/* "OK", "WARNING", "CRITICAL", "UNKNOWN"; static storage. */
MAILCERT_EXPORT const char *mailcert_state_name(mailcert_state state);

/* The library's version, e.g. "0.1.0"; static storage. */
MAILCERT_EXPORT const char *mailcert_version(void);

#ifdef __cplusplus
}
#endif

#endif

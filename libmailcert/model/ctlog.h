/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Certificate Transparency log list in the v3 JSON format that Chrome
 * and Apple publish (log_list.json: operators[].logs[] and .tiled_logs[],
 * each with log_id, key, description and state): the logs an SCT can
 * come from, their keys, operators and states.
 *
 * Pure: the caller reads the file (mailcert_policy_set_ct_log_list()).
 */
#ifndef MAILCERT_CTLOG_H
#define MAILCERT_CTLOG_H

#include <stddef.h>
#include <time.h>

#include <gnutls/abstract.h>

#define MC_CT_LIST_MAX_BYTES (8u << 20) /* Chrome's list is about 100 KB */
#define MC_CT_MAX_LOGS 1024

/* RFC 6962 has no states; these are the log list's, in its words. */
enum mc_ct_state {
	MC_CT_PENDING,
	MC_CT_QUALIFIED,
	MC_CT_USABLE,
	MC_CT_READONLY,
	MC_CT_RETIRED,
	MC_CT_REJECTED,
	MC_CT_UNKNOWN_STATE, /* none given, or one this reader does not know */
};

struct mc_ct_log {
	unsigned char id[32]; /* SHA-256 of the key's SubjectPublicKeyInfo */
	char name[128];       /* its description, printable */
	size_t op;            /* index of its operator in the list's @operators */
	gnutls_pubkey_t key;
	enum mc_ct_state state;
	time_t state_since; /* the state's timestamp, 0 when none */
};

struct mc_ct_loglist {
	struct mc_ct_log *logs;
	size_t n;
	char (*operators)[128]; /* names, printable */
	size_t operators_n;
};

/*
 * Parses the log list @json of @len bytes into *@out (free with
 * mc_ct_loglist_free()). A log whose log_id is not the SHA-256 of its key,
 * or whose key does not parse, makes the list an error: a list that lies
 * about one log is not to be trusted about others. 0; MAILCERT_E_INVALID
 * with the reason in @why, naming the log; MAILCERT_E_NOMEM.
 */
int mc_ct_loglist_parse(const char *json, size_t len, struct mc_ct_loglist **out, char *why,
			size_t whylen);
void mc_ct_loglist_free(struct mc_ct_loglist *list);

/* The log whose ID is @id, or NULL; lives as long as @list. */
const struct mc_ct_log *mc_ct_loglist_find(const struct mc_ct_loglist *list,
					   const unsigned char id[32]);

/* The state's name in the log list ("usable", …). */
const char *mc_ct_state_name(enum mc_ct_state state);

#endif

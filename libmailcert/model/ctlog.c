/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The v3 CT log list; see ctlog.h. */
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "mailcert/common.h"
#include "model/ctlog.h"
#include "model/jsondoc.h"
#include "model/util.h"

static const char *const state_names[] = {
    [MC_CT_PENDING] = "pending",   [MC_CT_QUALIFIED] = "qualified", [MC_CT_USABLE] = "usable",
    [MC_CT_READONLY] = "readonly", [MC_CT_RETIRED] = "retired",     [MC_CT_REJECTED] = "rejected",
    [MC_CT_UNKNOWN_STATE] = "unknown",
};

const char *mc_ct_state_name(enum mc_ct_state state)
{
	return state_names[state];
}

void mc_ct_loglist_free(struct mc_ct_loglist *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		gnutls_pubkey_deinit(list->logs[i].key);
	free(list->logs);
	free(list->operators);
	free(list);
}

const struct mc_ct_log *mc_ct_loglist_find(const struct mc_ct_loglist *list,
					   const unsigned char id[32])
{
	for (size_t i = 0; list && i < list->n; i++)
		if (memcmp(list->logs[i].id, id, 32) == 0)
			return &list->logs[i];
	return NULL;
}

/* Base64 @b64 decoded into @out, malloc'ed by GnuTLS; -1 when it is not base64. */
static int b64(const char *b64, gnutls_datum_t *out)
{
	gnutls_datum_t in = {(unsigned char *)b64, (unsigned)strlen(b64)};

	out->data = NULL;
	return gnutls_base64_decode2(&in, out) < 0 ? -1 : 0;
}

/* The state object {"usable": {"timestamp": "…"}}: its one key names the state. */
static void read_state(json_object *state, struct mc_ct_log *log)
{
	json_object_iter it;

	log->state = MC_CT_UNKNOWN_STATE;
	if (!state || !json_object_is_type(state, json_type_object))
		return;
	json_object_object_foreachC(state, it)
	{
		for (size_t s = 0; s < MC_CT_UNKNOWN_STATE; s++)
			if (strcmp(it.key, state_names[s]) == 0) {
				const char *ts = json_object_is_type(it.val, json_type_object)
						     ? mc_json_string(it.val, "timestamp")
						     : NULL;

				log->state = (enum mc_ct_state)s;
				if (!ts || mc_rfc3339(ts, &log->state_since) < 0)
					log->state_since = 0;
				return;
			}
	}
}

static int read_log(json_object *o, struct mc_ct_log *log, char *why, size_t whylen)
{
	const char *desc = mc_json_string(o, "description"), *id = mc_json_string(o, "log_id"),
		   *key = mc_json_string(o, "key");
	gnutls_datum_t id_der = {0}, key_der = {0};
	unsigned char hash[32];
	json_object *state = NULL;
	char qname[200];
	int rc = MAILCERT_E_INVALID;

	mc_quote(log->name, sizeof(log->name), desc ? desc : "", desc ? strlen(desc) : 0, 100);
	mc_quote(qname, sizeof(qname), desc ? desc : "?", desc ? strlen(desc) : 1, 100);
	if (!id || !key) {
		mc_set_error(why, whylen, "the log \"%s\" has no %s", qname, id ? "key" : "log_id");
		return rc;
	}
	if (b64(key, &key_der) < 0 || gnutls_pubkey_init(&log->key) < 0) {
		mc_set_error(why, whylen, "the key of the log \"%s\" is not base64", qname);
		goto out;
	}
	if (gnutls_pubkey_import(log->key, &key_der, GNUTLS_X509_FMT_DER) < 0) {
		mc_set_error(why, whylen,
			     "the key of the log \"%s\" is not a SubjectPublicKeyInfo GnuTLS reads",
			     qname);
		goto out;
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, key_der.data, key_der.size, hash);
	if (b64(id, &id_der) < 0 || id_der.size != 32 || memcmp(id_der.data, hash, 32) != 0) {
		mc_set_error(why, whylen,
			     "the log_id of the log \"%s\" is not the SHA-256 of its key (RFC 6962 "
			     "§3.2): the list is damaged",
			     qname);
		goto out;
	}
	memcpy(log->id, hash, 32);
	json_object_object_get_ex(o, "state", &state);
	read_state(state, log);
	rc = 0;
out:
	gnutls_free(id_der.data);
	gnutls_free(key_der.data);
	return rc;
}

/* The logs of @arr (an operator's "logs" or "tiled_logs") appended to @list. */
static int read_logs(struct mc_ct_loglist *list, json_object *arr, size_t op, char *why,
		     size_t whylen)
{
	size_t n;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		mc_set_error(why, whylen, "the logs of the operator \"%s\" are not a list",
			     list->operators[op]);
		return MAILCERT_E_INVALID;
	}
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		struct mc_ct_log *log;
		int rc;

		if (list->n == MC_CT_MAX_LOGS) {
			mc_set_error(why, whylen, "the list names more than %d logs",
				     MC_CT_MAX_LOGS);
			return MAILCERT_E_INVALID;
		}
		if (!json_object_is_type(o, json_type_object)) {
			mc_set_error(why, whylen, "a log of the operator \"%s\" is not an object",
				     list->operators[op]);
			return MAILCERT_E_INVALID;
		}
		log = &list->logs[list->n];
		memset(log, 0, sizeof(*log));
		log->op = op;
		rc = read_log(o, log, why, whylen);
		if (rc < 0) {
			gnutls_pubkey_deinit(log->key);
			return rc;
		}
		list->n++;
	}
	return 0;
}

int mc_ct_loglist_parse(const char *json, size_t len, struct mc_ct_loglist **out, char *why,
			size_t whylen)
{
	json_object *doc = mc_json_doc(json, len, MC_CT_LIST_MAX_BYTES, "log list", why, whylen);
	json_object *ops = NULL;
	struct mc_ct_loglist *list = NULL;
	size_t nops;
	int rc = MAILCERT_E_INVALID;

	*out = NULL;
	if (!doc)
		return MAILCERT_E_INVALID;
	if (!json_object_object_get_ex(doc, "operators", &ops) ||
	    !json_object_is_type(ops, json_type_array)) {
		mc_set_error(why, whylen,
			     "the log list has no \"operators\" list: not a v3 log list (Chrome's "
			     "log_list.json, Apple's current_log_list.json)");
		goto out;
	}
	nops = json_object_array_length(ops);
	list = calloc(1, sizeof(*list));
	if (!list || !(list->logs = calloc(MC_CT_MAX_LOGS, sizeof(*list->logs))) ||
	    !(list->operators = calloc(nops ? nops : 1, sizeof(*list->operators)))) {
		rc = MAILCERT_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < nops; i++) {
		json_object *op = json_object_array_get_idx(ops, i), *logs = NULL, *tiled = NULL;
		const char *name;

		if (!json_object_is_type(op, json_type_object)) {
			mc_set_error(why, whylen, "an operator of the log list is not an object");
			goto out;
		}
		name = mc_json_string(op, "name");
		mc_quote(list->operators[i], sizeof(list->operators[i]), name ? name : "",
			 name ? strlen(name) : 0, 100);
		list->operators_n = i + 1;
		json_object_object_get_ex(op, "logs", &logs);
		json_object_object_get_ex(op, "tiled_logs", &tiled);
		if ((rc = read_logs(list, logs, i, why, whylen)) < 0 ||
		    (rc = read_logs(list, tiled, i, why, whylen)) < 0)
			goto out;
	}
	if (list->n == 0) {
		mc_set_error(why, whylen, "the log list names no log");
		rc = MAILCERT_E_INVALID;
		goto out;
	}
	*out = list;
	list = NULL;
	rc = 0;
out:
	mc_ct_loglist_free(list);
	json_object_put(doc);
	return rc;
}

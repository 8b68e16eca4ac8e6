/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict, bounded JSON documents; see jsondoc.h. */
#include <string.h>

#include "model/jsondoc.h"
#include "model/util.h"

json_object *mc_json_doc(const char *body, size_t len, size_t max, const char *what, char *why,
			 size_t whylen)
{
	json_tokener *tok;
	json_object *doc;

	if (len == 0 || len > max) {
		mc_set_error(why, whylen, "the %s is %s", what, len ? "too large" : "empty");
		return NULL;
	}
	tok = json_tokener_new_ex(16);
	if (!tok) {
		mc_set_error(why, whylen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	doc = json_tokener_parse_ex(tok, body, (int)len);
	/* One document and nothing after it but white space (counted: @body
	 * need not end in a NUL). */
	for (size_t i = doc ? json_tokener_get_parse_end(tok) : len; i < len; i++)
		if (!strchr(" \t\r\n", body[i]) || body[i] == '\0') {
			json_object_put(doc);
			doc = NULL;
			break;
		}
	json_tokener_free(tok);
	if (!doc || !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		mc_set_error(why, whylen, "the %s is not a JSON object", what);
		return NULL;
	}
	return doc;
}

const char *mc_json_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

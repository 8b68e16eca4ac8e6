/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small JSON documents that came from the network or a file someone else
 * writes (ARI answers, ACME directories, CT log lists): read strictly, with
 * a byte bound and a depth bound, through json-c.
 */
#ifndef MAILCERT_JSONDOC_H
#define MAILCERT_JSONDOC_H

#include <stddef.h>

#include <json.h>

/*
 * @body (@len bytes, at most @max) as a JSON object: one document, UTF-8,
 * nothing after it but white space, nested at most 16 deep. The caller
 * puts it; NULL with the reason in @why, which names the document @what.
 */
json_object *mc_json_doc(const char *body, size_t len, size_t max, const char *what, char *why,
			 size_t whylen);

/* The string member @key of @obj, or NULL; lives as long as @obj. */
const char *mc_json_string(json_object *obj, const char *key);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the CT log list reader (libmailcert/model/ctlog.c):
 * the input is a log list JSON file, copied to a buffer of exactly its
 * length. Besides memory errors it checks what the verifier relies on: a
 * parsed list has at least one log and at most MC_CT_MAX_LOGS, each with
 * a key, an operator in the list and a printable name, findable by its
 * ID; a refusal is one line without control characters (UTF-8 "§" may
 * cite an RFC; what came from the file is quoted to ASCII).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mailcert/common.h"
#include "model/ctlog.h"

static void printable(const char *s, size_t max, int empty_ok)
{
	const char *end = memchr(s, '\0', max);

	require(end && (empty_ok || end > s));
	for (const char *p = s; p < end; p++)
		require((unsigned char)*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_ct_loglist *list = NULL;
	char *buf = malloc(size ? size : 1), why[400] = "";
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = mc_ct_loglist_parse(buf, size, &list, why, sizeof(why));
	if (rc < 0) {
		require(!list && (rc == MAILCERT_E_INVALID || rc == MAILCERT_E_NOMEM));
		printable(why, sizeof(why), 0);
	} else {
		require(list && list->n >= 1 && list->n <= MC_CT_MAX_LOGS);
		for (size_t i = 0; i < list->n; i++) {
			require(list->logs[i].key && list->logs[i].op < list->operators_n);
			printable(list->logs[i].name, sizeof(list->logs[i].name), 1);
			require(mc_ct_loglist_find(list, list->logs[i].id));
			mc_ct_state_name(list->logs[i].state);
		}
	}
	mc_ct_loglist_free(list);
	free(buf);
	return 0;
}

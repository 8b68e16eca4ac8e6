/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every libFuzzer target here shares: the entry point's prototype
 * and require(), which turns a broken invariant into a crash libFuzzer
 * reports (assert() would vanish under NDEBUG).
 */
#ifndef MAILCERT_FUZZ_H
#define MAILCERT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#endif

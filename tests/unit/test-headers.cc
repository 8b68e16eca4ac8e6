/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public headers must compile alone, pedantic, in C99 and in C++. */
#include <mailcert/mailcert.h>

#if !MAILCERT_CHECK_VERSION(0, 1, 0)
#error "version macros disagree with the project version"
#endif

int main(void)
{
	return sizeof(MAILCERT_VERSION_STRING) > 1 ? 0 : 1;
}

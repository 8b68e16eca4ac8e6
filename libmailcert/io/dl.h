/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Libraries loaded on first use instead of linked: libcurl (http.c) and
 * libunbound (dns.c) serve opt-in checks, and linking them would make
 * every process that links libmailcert load them at startup
 * (docs/performance.md measures what that costs).
 */
#ifndef MAILCERT_DL_H
#define MAILCERT_DL_H

#include <stddef.h>

/* A function to find: its name, and where its address goes. */
struct mc_dl_sym {
	const char *name;
	void **slot;
};

/*
 * Opens the first of the NULL-terminated @sonames that loads and fills
 * every slot of @syms. 0; or -1 with the reason in @err, naming the
 * Debian @package to install. The library stays loaded for the life of
 * the process.
 */
int mc_dl_load(const char *const *sonames, const char *package, const struct mc_dl_sym *syms,
	       size_t n, char *err, size_t errlen);

#endif

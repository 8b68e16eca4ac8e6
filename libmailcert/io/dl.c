/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <stdio.h>

#include "io/dl.h"

int mc_dl_load(const char *const *sonames, const char *package, const struct mc_dl_sym *syms,
	       size_t n, char *err, size_t errlen)
{
	void *h = NULL;

	for (size_t i = 0; !h && sonames[i]; i++)
		h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "%s could not be loaded (%s); install the %s package",
			 sonames[0], dlerror(), package);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errlen, "the %s found lacks %s(); install the %s package",
				 sonames[0], syms[i].name, package);
			return -1;
		}
	}
	return 0;
}

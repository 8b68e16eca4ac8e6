/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policies: expected names, expiry thresholds and the trust store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define DAY 86400LL

MAILCERT_EXPORT int mailcert_policy_new(mailcert_policy **out)
{
	mailcert_policy *p;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return MAILCERT_E_NOMEM;
	p->warning = (struct mc_threshold){.kind = MC_TH_SECONDS, .seconds = 30 * DAY};
	p->critical = (struct mc_threshold){.kind = MC_TH_SECONDS, .seconds = 15 * DAY};
	if (gnutls_x509_trust_list_init(&p->trust, 0) < 0) {
		free(p);
		return MAILCERT_E_NOMEM;
	}
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		gnutls_x509_trust_list_deinit(p->trust, 1);
		free(p);
		return MAILCERT_E_NOMEM;
	}
	*out = p;
	return 0;
}

MAILCERT_EXPORT void mailcert_policy_free(mailcert_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->names_len; i++)
		free(p->names[i]);
	free(p->names);
	gnutls_x509_trust_list_deinit(p->trust, 1);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* A name goes into messages and GnuTLS's matcher: no spaces or control bytes. */
static int name_ok(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		if (*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

MAILCERT_EXPORT int mailcert_policy_add_name(mailcert_policy *p, const char *name)
{
	char **names, *copy;

	if (!p || !name_ok(name))
		return MAILCERT_E_INVALID;
	names = realloc(p->names, (p->names_len + 1) * sizeof(*names));
	if (!names)
		return MAILCERT_E_NOMEM;
	p->names = names;
	copy = strdup(name);
	if (!copy)
		return MAILCERT_E_NOMEM;
	p->names[p->names_len++] = copy;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_threshold(mailcert_policy *p, int critical,
						  const char *spec, char *err, unsigned errlen)
{
	if (!p)
		return MAILCERT_E_INVALID;
	return mc_threshold_parse(critical ? &p->critical : &p->warning, spec, err, errlen);
}

MAILCERT_EXPORT int mailcert_policy_set_allow_self_signed(mailcert_policy *p, int allow)
{
	if (!p)
		return MAILCERT_E_INVALID;
	p->allow_self_signed = allow != 0;
	return 0;
}

/* "cannot read the CA file "PATH": WHY", with the path quoted; returns MAILCERT_E_IO. */
static int path_error(char *err, size_t errlen, const char *verb, const char *what,
		      const char *path, const char *why)
{
	char q[4 * 200 + 4];

	mc_quote(q, sizeof(q), path, strlen(path), 200);
	mc_set_error(err, errlen, "cannot %s the CA %s \"%s\": %s", verb, what, q, why);
	return MAILCERT_E_IO;
}

/* The count GnuTLS reports for a trust source, as an API result with a reason. */
static int trust_result(int added, const char *what, const char *path, char *err, size_t errlen)
{
	if (added == 0 || added == GNUTLS_E_NO_CERTIFICATE_FOUND)
		return path_error(err, errlen, "load", what, path,
				  "it holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
	if (added < 0)
		return path_error(err, errlen, "load", what, path, gnutls_strerror(added));
	return 0;
}

/*
 * GnuTLS says only "Error while reading file", or for a directory nothing
 * at all; ask the system first, to name the real cause.
 */
static int check_path(const char *path, int is_dir, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		return path_error(err, errlen, "read", what, path, strerror(errno));
	if (is_dir && !S_ISDIR(st.st_mode))
		return path_error(err, errlen, "read", what, path, "not a directory");
	if (!is_dir && S_ISDIR(st.st_mode))
		return path_error(err, errlen, "read", what, path, "a directory, not a file");
	return 0;
}

/* Explicit sources replace the system store; they are loaded at once. */
static int add_trust(mailcert_policy *p, const char *path, int is_dir, char *err, size_t errlen)
{
	const char *what = is_dir ? "directory" : "file";
	int added;

	if (!p || !path)
		return MAILCERT_E_INVALID;
	if (check_path(path, is_dir, what, err, errlen) < 0)
		return MAILCERT_E_IO;
	pthread_mutex_lock(&p->lock);
	if (is_dir)
		added = gnutls_x509_trust_list_add_trust_dir(p->trust, path, NULL,
							     GNUTLS_X509_FMT_PEM, 0, 0);
	else
		added = gnutls_x509_trust_list_add_trust_file(p->trust, path, NULL,
							      GNUTLS_X509_FMT_PEM, 0, 0);
	p->trust_explicit = 1;
	pthread_mutex_unlock(&p->lock);
	return trust_result(added, what, path, err, errlen);
}

MAILCERT_EXPORT int mailcert_policy_add_ca_file(mailcert_policy *p, const char *path, char *err,
						unsigned errlen)
{
	return add_trust(p, path, 0, err, errlen);
}

MAILCERT_EXPORT int mailcert_policy_add_ca_dir(mailcert_policy *p, const char *path, char *err,
					       unsigned errlen)
{
	return add_trust(p, path, 1, err, errlen);
}

/* Called with the lock held. */
static int load_system_trust(mailcert_policy *p)
{
	int rc;

	if (p->trust_loaded)
		return 0;
	rc = gnutls_x509_trust_list_add_system_trust(p->trust, 0, 0);
	if (rc < 0)
		return MAILCERT_E_IO;
	p->trust_loaded = 1;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_add_system_trust(mailcert_policy *p)
{
	int rc;

	if (!p)
		return MAILCERT_E_INVALID;
	pthread_mutex_lock(&p->lock);
	p->trust_explicit = 1;
	rc = load_system_trust(p);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/*
 * The policy is shared, read-only, by evaluations that may run in several
 * threads; the lazy load of the system store is the one write, hence the
 * lock and the cast.
 */
gnutls_x509_trust_list_t mc_policy_trust(const mailcert_policy *policy)
{
	mailcert_policy *p = (mailcert_policy *)policy;
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (!p->trust_explicit)
		rc = load_system_trust(p);
	pthread_mutex_unlock(&p->lock);
	return rc < 0 ? NULL : p->trust;
}

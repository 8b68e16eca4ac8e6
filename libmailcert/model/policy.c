/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policies: expected names, expiry thresholds and the trust store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/certfile.h"
#include "model/ctlog.h"
#include "model/internal.h"
#include "model/tlsakey.h"


MAILCERT_EXPORT int mailcert_policy_new_flags(mailcert_policy **out, unsigned flags)
{
	mailcert_policy *p;

	if (!out || (flags & ~(unsigned)MAILCERT_POLICY_NO_SYSTEM_TRUST))
		return MAILCERT_E_INVALID;
	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return MAILCERT_E_NOMEM;
	p->warning = mc_threshold_default(0);
	p->critical = mc_threshold_default(1);
	if (gnutls_x509_trust_list_init(&p->trust, 0) < 0) {
		free(p);
		return MAILCERT_E_NOMEM;
	}
	/* Now, not in an evaluation, which must not read files. A store that
	 * cannot be read is the evaluation's finding (trust.untrusted). */
	if (!(flags & MAILCERT_POLICY_NO_SYSTEM_TRUST))
		p->trust_system = gnutls_x509_trust_list_add_system_trust(p->trust, 0, 0) >= 0 ? 1 : -1;
	*out = p;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_new(mailcert_policy **out)
{
	return mailcert_policy_new_flags(out, 0);
}

/*
 * Replaces *@re (and its text) by @regex compiled as POSIX ERE, or unsets
 * it when @regex is NULL. On a bad expression nothing changes.
 */
static int set_regex(regex_t **re, char **text, const char *regex, char *err, size_t errlen)
{
	regex_t *compiled = NULL;
	char *copy = NULL;
	int rc;

	if (regex) {
		compiled = malloc(sizeof(*compiled));
		copy = strdup(regex);
		if (!compiled || !copy) {
			free(compiled);
			free(copy);
			return MAILCERT_E_NOMEM;
		}
		rc = regcomp(compiled, regex, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];

			regerror(rc, compiled, why, sizeof(why));
			mc_set_error(err, errlen, "\"%.64s\" is not a valid extended regular expression: %s",
				     regex, why);
			free(compiled);
			free(copy);
			return MAILCERT_E_INVALID;
		}
	}
	if (*re)
		regfree(*re);
	free(*re);
	free(*text);
	*re = compiled;
	*text = copy;
	return 0;
}

MAILCERT_EXPORT void mailcert_policy_free(mailcert_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->names_len; i++)
		free(p->names[i]);
	free(p->names);
	set_regex(&p->issuer_re, &p->issuer_text, NULL, NULL, 0);
	set_regex(&p->subject_re, &p->subject_text, NULL, NULL, 0);
	free(p->serial);
	free(p->pins);
	for (size_t i = 0; i < p->severities_len; i++)
		free(p->severities[i].code);
	free(p->severities);
	free(p->compare_leaf.data);
	free(p->compare_file);
	mailcert_acme_store_free(p->acme);
	for (size_t i = 0; i < p->crls_len; i++) {
		gnutls_x509_crl_deinit(p->crls[i]);
		free(p->crl_paths[i]);
	}
	free(p->crls);
	free(p->crl_paths);
	for (size_t i = 0; i < p->tlsa_len; i++)
		free(p->tlsa[i].data);
	for (size_t i = 0; i < p->next_keys_len; i++)
		mc_tlsa_key_clear(&p->next_keys[i]);
	for (size_t i = 0; i < p->next_issuers_len; i++)
		mc_tlsa_key_clear(&p->next_issuers[i]);
	free(p->resolver);
	free(p->trust_anchor);
	free(p->ca_file);
	free(p->ca_dir);
	free(p->acme_directory);
	mc_ct_loglist_free(p->ct_logs);
	gnutls_x509_trust_list_deinit(p->trust, 1);
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

MAILCERT_EXPORT int mailcert_policy_set_compare_file(mailcert_policy *p, const char *path,
						     char *err, unsigned errlen)
{
	gnutls_datum_t leaf = {NULL, 0};
	char *copy = NULL;
	int rc;

	if (!p)
		return MAILCERT_E_INVALID;
	if (path) {
		rc = mc_file_leaf(path, &leaf, err, errlen);
		if (rc < 0)
			return rc;
		copy = strdup(path);
		if (!copy) {
			free(leaf.data);
			return MAILCERT_E_NOMEM;
		}
	}
	free(p->compare_leaf.data);
	free(p->compare_file);
	p->compare_leaf = leaf;
	p->compare_file = copy;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_compare_acme(mailcert_policy *p, const char *path,
						     char *err, unsigned errlen)
{
	mailcert_acme_store *store = NULL;
	int rc;

	if (!p)
		return MAILCERT_E_INVALID;
	if (path && (rc = mailcert_acme_store_open(&store, path, err, errlen)) < 0)
		return rc;
	mailcert_acme_store_free(p->acme);
	p->acme = store;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_ct(mailcert_policy *p, mailcert_ct mode)
{
	if (!p || (mode != MAILCERT_CT_AUTO && mode != MAILCERT_CT_REQUIRE && mode != MAILCERT_CT_OFF))
		return MAILCERT_E_INVALID;
	p->ct = mode;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_ct_log_list(mailcert_policy *p, const char *path,
						    char *err, unsigned errlen)
{
	struct mc_ct_loglist *list = NULL;
	gnutls_datum_t json = {0};
	char why[400], qpath[300];
	int rc;

	if (!p)
		return MAILCERT_E_INVALID;
	if (path) {
		rc = mc_read_file(path, "log list", MC_CT_LIST_MAX_BYTES, &json, err, errlen);
		if (rc < 0)
			return rc;
		rc = mc_ct_loglist_parse((const char *)json.data, json.size, &list, why, sizeof(why));
		free(json.data);
		if (rc < 0) {
			mc_quote(qpath, sizeof(qpath), path, strlen(path), 120);
			mc_set_error(err, errlen,
				     "\"%s\": %s; give the v3 log list JSON, e.g. "
				     "https://www.gstatic.com/ct/log_list/v3/log_list.json",
				     qpath, why);
			return rc;
		}
	}
	mc_ct_loglist_free(p->ct_logs);
	p->ct_logs = list;
	return 0;
}

/* "N", "rsa:N" or "ec:N" (--min-key-bits); 0 or MAILCERT_E_INVALID with a reason. */
MAILCERT_EXPORT int mailcert_policy_set_min_key_bits(mailcert_policy *p, const char *spec,
						     char *err, unsigned errlen)
{
	const char *num = spec;
	unsigned *slot;
	unsigned long v;
	char *end;

	if (!p || !spec)
		return MAILCERT_E_INVALID;
	slot = &p->min_rsa_bits;
	if (strncasecmp(spec, "rsa:", 4) == 0) {
		num = spec + 4;
	} else if (strncasecmp(spec, "ec:", 3) == 0) {
		num = spec + 3;
		slot = &p->min_ec_bits;
	}
	errno = 0;
	v = *num >= '0' && *num <= '9' ? strtoul(num, &end, 10) : 0;
	if (v == 0 || errno || *end || v > 16384) {
		mc_set_error(err, errlen,
			     "\"%.64s\" is not a key size: use N or rsa:N (RSA and DSA bits) or "
			     "ec:N (curve bits), N from 1 to 16384",
			     spec);
		return MAILCERT_E_INVALID;
	}
	*slot = (unsigned)v;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_min_tls(mailcert_policy *p, const char *version, char *err,
						unsigned errlen)
{
	static const char *const names[] = {"1.0", "1.1", "1.2", "1.3"};
	const char *v = version;

	if (!p || !version)
		return MAILCERT_E_INVALID;
	if (strncasecmp(v, "tls", 3) == 0)
		v += v[3] == 'v' || v[3] == 'V' ? 4 : 3;
	for (int i = 0; i < 4; i++)
		if (strcmp(v, names[i]) == 0) {
			p->min_tls = 10 + i;
			return 0;
		}
	mc_set_error(err, errlen, "\"%.64s\" is not a TLS version: use 1.0, 1.1, 1.2 or 1.3",
		     version);
	return MAILCERT_E_INVALID;
}

MAILCERT_EXPORT int mailcert_policy_set_issuer(mailcert_policy *p, const char *regex, char *err,
					       unsigned errlen)
{
	if (!p)
		return MAILCERT_E_INVALID;
	return set_regex(&p->issuer_re, &p->issuer_text, regex, err, errlen);
}

MAILCERT_EXPORT int mailcert_policy_set_subject(mailcert_policy *p, const char *regex, char *err,
						unsigned errlen)
{
	if (!p)
		return MAILCERT_E_INVALID;
	return set_regex(&p->subject_re, &p->subject_text, regex, err, errlen);
}

MAILCERT_EXPORT int mailcert_policy_set_serial(mailcert_policy *p, const char *hex)
{
	char *serial = NULL;
	int rc;

	if (!p)
		return MAILCERT_E_INVALID;
	if (hex && (rc = mc_serial_normalize(&serial, hex)) < 0)
		return rc;
	free(p->serial);
	p->serial = serial;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_add_pin(mailcert_policy *p, const char *pin)
{
	unsigned char digest[32], (*pins)[32];

	if (!p || !pin || mc_pin_parse(digest, pin) < 0)
		return MAILCERT_E_INVALID;
	pins = realloc(p->pins, (p->pins_len + 1) * sizeof(*pins));
	if (!pins)
		return MAILCERT_E_NOMEM;
	memcpy(pins[p->pins_len++], digest, sizeof(digest));
	p->pins = pins;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_severity(mailcert_policy *p, const char *code,
						 mailcert_state state)
{
	struct mc_severity *list;
	char *copy;

	if (!p || !mc_code_ok(code) ||
	    (state != MAILCERT_OK && state != MAILCERT_WARNING && state != MAILCERT_CRITICAL))
		return MAILCERT_E_INVALID;
	for (size_t i = 0; i < p->severities_len; i++)
		if (strcmp(p->severities[i].code, code) == 0) {
			p->severities[i].state = state;
			return 0;
		}
	list = realloc(p->severities, (p->severities_len + 1) * sizeof(*list));
	if (!list)
		return MAILCERT_E_NOMEM;
	p->severities = list;
	copy = strdup(code);
	if (!copy)
		return MAILCERT_E_NOMEM;
	list[p->severities_len++] = (struct mc_severity){.code = copy, .state = state};
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

/*
 * The first explicit source replaces the system store that
 * mailcert_policy_new() loaded; the sources are loaded at once.
 */
static int make_explicit(mailcert_policy *p)
{
	gnutls_x509_trust_list_t fresh;

	if (p->trust_explicit)
		return 0;
	if (p->trust_system) {
		if (gnutls_x509_trust_list_init(&fresh, 0) < 0)
			return MAILCERT_E_NOMEM;
		gnutls_x509_trust_list_deinit(p->trust, 1);
		p->trust = fresh;
		p->trust_system = 0;
	}
	p->trust_explicit = 1;
	return 0;
}

static int add_trust(mailcert_policy *p, const char *path, int is_dir, char *err, size_t errlen)
{
	const char *what = is_dir ? "directory" : "file";
	int added;

	if (!p || !path)
		return MAILCERT_E_INVALID;
	if (check_path(path, is_dir, what, err, errlen) < 0)
		return MAILCERT_E_IO;
	if (make_explicit(p) < 0)
		return MAILCERT_E_NOMEM;
	if (is_dir)
		added = gnutls_x509_trust_list_add_trust_dir(p->trust, path, NULL,
							     GNUTLS_X509_FMT_PEM, 0, 0);
	else
		added = gnutls_x509_trust_list_add_trust_file(p->trust, path, NULL,
							      GNUTLS_X509_FMT_PEM, 0, 0);
	/* libcurl takes one CA file and one directory (MTA-STS fetches): the last given. */
	if (added > 0) {
		char **keep = is_dir ? &p->ca_dir : &p->ca_file, *copy = mc_strdup(path);

		p->trust_sources++;
		if (!copy)
			return MAILCERT_E_NOMEM;
		free(*keep);
		*keep = copy;
	}
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

/* "cannot load the CRL file "PATH": WHY", with the path quoted; returns MAILCERT_E_IO. */
static int crl_error(char *err, size_t errlen, const char *path, const char *why)
{
	char q[4 * 200 + 4];

	mc_quote(q, sizeof(q), path, strlen(path), 200);
	mc_set_error(err, errlen, "cannot load the CRL file \"%s\": %s", q, why);
	return MAILCERT_E_IO;
}

/* Keeps @n parsed CRLs of @path (taking them over), or frees them on failure. */
static int keep_crls(mailcert_policy *p, const char *path, gnutls_x509_crl_t *crls, unsigned n)
{
	gnutls_x509_crl_t *c = realloc(p->crls, (p->crls_len + n) * sizeof(*c));
	char **paths = c ? realloc(p->crl_paths, (p->crls_len + n) * sizeof(*paths)) : NULL;

	if (c)
		p->crls = c;
	if (paths)
		p->crl_paths = paths;
	for (unsigned i = 0; i < n; i++) {
		char *copy = paths ? strdup(path) : NULL;

		if (!copy) {
			for (unsigned j = i; j < n; j++)
				gnutls_x509_crl_deinit(crls[j]);
			return MAILCERT_E_NOMEM;
		}
		p->crls[p->crls_len] = crls[i];
		p->crl_paths[p->crls_len++] = copy;
	}
	return 0;
}

/* Whether @data holds a PEM CRL header (it may hold text before it). */
static int has_pem_crl(const unsigned char *data, size_t len)
{
	static const char header[] = "-----BEGIN X509 CRL-----";

	for (size_t i = 0; i + sizeof(header) - 1 <= len; i++)
		if (memcmp(data + i, header, sizeof(header) - 1) == 0)
			return 1;
	return 0;
}

/* A CRL file of --crl: PEM (one or more "X509 CRL" blocks) or DER. */
MAILCERT_EXPORT int mailcert_policy_add_crl_file(mailcert_policy *p, const char *path, char *err,
						 unsigned errlen)
{
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crl_t *list = NULL, one = NULL;
	unsigned n = 0;
	struct stat st;
	int rc;

	if (!p || !path)
		return MAILCERT_E_INVALID;
	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		return crl_error(err, errlen, path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return crl_error(err, errlen, path, "a directory, not a file");
	rc = gnutls_load_file(path, &data);
	if (rc < 0)
		return crl_error(err, errlen, path, gnutls_strerror(rc));
	if (has_pem_crl(data.data, data.size)) {
		rc = gnutls_x509_crl_list_import2(&list, &n, &data, GNUTLS_X509_FMT_PEM, 0);
	} else {
		rc = gnutls_x509_crl_init(&one);
		if (rc >= 0)
			rc = gnutls_x509_crl_import(one, &data, GNUTLS_X509_FMT_DER);
		if (rc < 0 && one)
			gnutls_x509_crl_deinit(one);
		if (rc >= 0) {
			list = &one;
			n = 1;
		}
	}
	gnutls_free(data.data);
	if (rc < 0 || n == 0)
		return crl_error(err, errlen, path,
				 rc < 0 ? gnutls_strerror(rc)
					: "it holds no CRL (PEM \"-----BEGIN X509 CRL-----\" or DER)");
	rc = keep_crls(p, path, list, n);
	if (list != &one)
		gnutls_free(list);
	return rc;
}

MAILCERT_EXPORT int mailcert_policy_set_ari(mailcert_policy *p, int ari)
{
	if (!p)
		return MAILCERT_E_INVALID;
	p->ari = ari != 0;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_acme_directory(mailcert_policy *p, const char *url,
						       char *err, unsigned errlen)
{
	char *copy = NULL;

	if (!p)
		return MAILCERT_E_INVALID;
	if (url) {
		size_t n = strlen(url);

		for (size_t i = 0; i < n; i++)
			if (url[i] <= ' ' || url[i] >= 0x7f || url[i] == '"' || url[i] == '\\')
				n = 0;
		if (n <= 8 || n > 700 || strncmp(url, "https://", 8) != 0) {
			mc_set_error(err, errlen,
				     "\"%.64s\" is not an https URL, e.g. "
				     "https://acme-v02.api.letsencrypt.org/directory",
				     url);
			return MAILCERT_E_INVALID;
		}
		if (!(copy = mc_strdup(url)))
			return MAILCERT_E_NOMEM;
	}
	free(p->acme_directory);
	p->acme_directory = copy;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_max_validity(mailcert_policy *p, const char *spec,
						     char *err, unsigned errlen)
{
	unsigned long days;
	char *end;

	if (!p || !spec)
		return MAILCERT_E_INVALID;
	if (strcmp(spec, "cabf") == 0) {
		p->max_validity = MC_MAXV_CABF;
		return 0;
	}
	if (strcmp(spec, "off") == 0) {
		p->max_validity = MC_MAXV_OFF;
		return 0;
	}
	days = *spec >= '0' && *spec <= '9' ? strtoul(spec, &end, 10) : 0;
	if (days == 0 || days > 3650 || *end) {
		mc_set_error(err, errlen,
			     "\"%.64s\" is not a validity: give the most days a certificate may be "
			     "valid for (1 to 3650), cabf (the CA/Browser Forum's calendar) or off",
			     spec);
		return MAILCERT_E_INVALID;
	}
	p->max_validity = MC_MAXV_DAYS;
	p->max_validity_days = (unsigned)days;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_set_crl_fetch(mailcert_policy *p, int fetch)
{
	if (!p)
		return MAILCERT_E_INVALID;
	p->crl_fetch = fetch != 0;
	return 0;
}

MAILCERT_EXPORT int mailcert_policy_add_system_trust(mailcert_policy *p)
{
	if (!p)
		return MAILCERT_E_INVALID;
	if (!p->trust_explicit && p->trust_system) {
		p->trust_explicit = 1; /* what mailcert_policy_new() loaded stays */
		return p->trust_system > 0 ? 0 : MAILCERT_E_IO;
	}
	p->trust_explicit = 1;
	if (p->trust_system > 0)
		return 0;
	p->trust_system = gnutls_x509_trust_list_add_system_trust(p->trust, 0, 0) >= 0 ? 1 : -1;
	return p->trust_system > 0 ? 0 : MAILCERT_E_IO;
}

gnutls_x509_trust_list_t mc_policy_trust(const mailcert_policy *p)
{
	/* The system store alone, and it could not be read: no trust at all. */
	return p->trust_system < 0 && p->trust_sources == 0 ? NULL : p->trust;
}

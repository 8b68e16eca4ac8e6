/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACME clients' stores on disk (include/mailcert/acme.h): which of the
 * four layouts a path is, and each lineage's newest chain, key and, for
 * certbot, the certificates it had before. Read once; files through
 * model/certfile.c, so their bounds and messages are those of `mailcert
 * file`. An acme.json is untrusted input as a server's bytes are (it is
 * written by another program, often in another container): bounded in
 * size, depth and entries, and every name from it is quoted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "model/acmestore.h"
#include "model/certfile.h"

#define PATH_CHARS 200 /* characters of a path quoted in a message */
#define NAME_CHARS 128 /* characters of a name from a store, quoted */
#define JSON_DEPTH 16  /* an acme.json nests five deep */
#define DIR_ENTRIES_MAX 100000 /* entries of one directory looked at */

static const char *const kind_names[] = {"certbot", "acme.sh", "lego", "Traefik"};

/* ---- the store ------------------------------------------------------ */

mailcert_acme_store *mc_acme_store_alloc(enum mc_acme_kind kind, const char *path)
{
	mailcert_acme_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refs = 1;
	s->kind = kind;
	s->path = mc_strdup(path);
	if (!s->path) {
		free(s);
		return NULL;
	}
	return s;
}

mailcert_acme_store *mc_acme_store_ref(const mailcert_acme_store *s)
{
	mailcert_acme_store *m = (mailcert_acme_store *)s;

	if (m)
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	return m;
}

static void lineage_clear(struct mc_acme_lineage *l)
{
	free(l->name);
	free(l->source);
	free(l->error);
	free(l->note);
	for (size_t i = 0; i < l->chain_len; i++)
		free(l->chain[i].data);
	free(l->key.path);
	for (size_t i = 0; i < l->names_len; i++)
		free(l->names[i]);
	free(l->names);
	for (size_t i = 0; i < l->older_len; i++) {
		free(l->older[i].der.data);
		free(l->older[i].source);
	}
	free(l->older);
}

MAILCERT_EXPORT void mailcert_acme_store_free(mailcert_acme_store *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < s->len; i++)
		lineage_clear(&s->lineages[i]);
	free(s->lineages);
	free(s->path);
	free(s);
}

/* A new lineage named @raw (quoted for printing), read from @source; NULL when out of memory. */
static struct mc_acme_lineage *lineage_add(mailcert_acme_store *s, const char *raw,
					   const char *source, char *err, size_t errlen)
{
	struct mc_acme_lineage *l;
	char q[4 * NAME_CHARS + 4];

	if (s->len == MC_ACME_MAX_LINEAGES) {
		mc_set_error(err, errlen, "the %s store holds more than %d lineages", kind_names[s->kind],
			     MC_ACME_MAX_LINEAGES);
		return NULL;
	}
	if (s->len == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct mc_acme_lineage *n = realloc(s->lineages, cap * sizeof(*n));

		if (!n)
			goto nomem;
		s->lineages = n;
		s->cap = cap;
	}
	l = &s->lineages[s->len];
	memset(l, 0, sizeof(*l));
	mc_quote(q, sizeof(q), raw, strlen(raw), NAME_CHARS);
	l->name = mc_strdup(q);
	l->source = mc_strdup(source);
	if (!l->name || !l->source) {
		lineage_clear(l);
		goto nomem;
	}
	s->len++;
	return l;
nomem:
	mc_set_error(err, errlen, "out of memory");
	return NULL;
}

/* Why lineage_add() returned NULL. */
static int add_failed(const mailcert_acme_store *s)
{
	return s->len == MC_ACME_MAX_LINEAGES ? MAILCERT_E_INVALID : MAILCERT_E_NOMEM;
}

static int fail_lineage(struct mc_acme_lineage *l, const char *why)
{
	l->error = mc_strdup(why);
	return l->error ? 0 : MAILCERT_E_NOMEM;
}

/* @name, lowercase and without a final dot, appended to @l's names. */
static int add_name(struct mc_acme_lineage *l, const char *name, size_t len)
{
	char *copy;

	if (l->names_len == MC_ACME_MAX_NAMES || len == 0)
		return 0;
	if (name[len - 1] == '.')
		len--;
	copy = malloc(len + 1);
	if (!copy)
		return MAILCERT_E_NOMEM;
	for (size_t i = 0; i < len; i++)
		copy[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	copy[len] = '\0';
	if (!l->names) {
		l->names = calloc(MC_ACME_MAX_NAMES, sizeof(*l->names));
		if (!l->names) {
			free(copy);
			return MAILCERT_E_NOMEM;
		}
	}
	l->names[l->names_len++] = copy;
	return 0;
}

/* The leaf's DNS names and IP addresses (its CN when it has no DNS name), for matching. */
static int leaf_names(struct mc_acme_lineage *l, gnutls_x509_crt_t crt)
{
	int rc = 0, dns = 0;

	for (unsigned i = 0; rc == 0 && l->names_len < MC_ACME_MAX_NAMES; i++) {
		char buf[256], ip[INET6_ADDRSTRLEN];
		size_t size = sizeof(buf) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_SAN_DNSNAME && size < sizeof(buf) && !memchr(buf, '\0', size)) {
			rc = add_name(l, buf, size);
			dns = 1;
		} else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16) &&
			   inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip, sizeof(ip))) {
			rc = add_name(l, ip, strlen(ip));
		}
	}
	if (rc == 0 && !dns) {
		char cn[256];
		size_t size = sizeof(cn);

		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &size) >=
			0 &&
		    size > 0 && !memchr(cn, '\0', size))
			rc = add_name(l, cn, size);
	}
	return rc;
}

/* Moves the chain read into @f to @l as its newest: the leaf's start, key type and names. */
static int take_chain(struct mc_acme_lineage *l, struct mc_file *f)
{
	gnutls_x509_crt_t crt;
	int rc;

	for (size_t i = 0; i < f->ncerts; i++) {
		l->chain[i] = f->certs[i];
		f->certs[i].data = NULL;
	}
	l->chain_len = f->ncerts;
	f->ncerts = 0;
	if (gnutls_x509_crt_init(&crt) < 0)
		return MAILCERT_E_NOMEM;
	/* mc_file_load() imported it once already. */
	rc = gnutls_x509_crt_import(crt, &l->chain[0], GNUTLS_X509_FMT_DER);
	if (rc >= 0) {
		l->not_before = gnutls_x509_crt_get_activation_time(crt);
		l->pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
		rc = leaf_names(l, crt);
	} else {
		rc = MAILCERT_E_INVALID;
	}
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/*
 * Reads @l's chain (from @chain_path, or @chain_mem naming it so) and its
 * key (likewise): an unreadable chain is the lineage's error, an
 * unreadable key its note.
 */
static int read_lineage(struct mc_acme_lineage *l, const char *chain_path,
			const gnutls_datum_t *chain_mem, const char *key_path,
			const gnutls_datum_t *key_mem)
{
	struct mc_file f;
	char why[1024];
	int rc;

	rc = mc_file_load(&f, chain_path, chain_mem, "certificate file", MC_WANT_CERT_ONLY, why,
			  sizeof(why));
	if (rc == MAILCERT_E_NOMEM)
		return rc;
	if (rc < 0)
		return fail_lineage(l, why);
	rc = take_chain(l, &f);
	mc_file_clear(&f);
	if (rc < 0)
		return rc;
	if (!key_path)
		return 0;
	rc = mc_file_load(&f, key_path, key_mem, "key file", MC_WANT_KEY, why, sizeof(why));
	if (rc == MAILCERT_E_NOMEM)
		return rc;
	if (rc < 0) {
		l->note = mc_asprintf("its key was not compared with its certificate: %s", why);
		return l->note ? 0 : MAILCERT_E_NOMEM;
	}
	rc = mc_file_key_set(&l->key, f.key, key_path);
	mc_file_clear(&f);
	return rc;
}

/* A lineage @name whose chain and key are the files @chain and @key; it into *@out. */
static int add_files(mailcert_acme_store *s, const char *name, const char *chain, const char *key,
		     struct mc_acme_lineage **out, char *err, size_t errlen)
{
	struct mc_acme_lineage *l = lineage_add(s, name, chain, err, errlen);

	*out = l;
	return l ? read_lineage(l, chain, NULL, key, NULL) : add_failed(s);
}

/* ---- directories ---------------------------------------------------- */

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether @name ends with @suffix (and has something before it). */
static int ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char **v;
	size_t len;
};

static void names_clear(struct names *n)
{
	for (size_t i = 0; i < n->len; i++)
		free(n->v[i]);
	free(n->v);
	memset(n, 0, sizeof(*n));
}

/*
 * The entries of directory @dir for which @want(@dir, entry, @arg) holds,
 * sorted; "." and ".." never. MAILCERT_E_IO when it cannot be read.
 */
static int list_dir(const char *dir, int (*want)(const char *dir, const char *name, void *arg),
		    void *arg, struct names *out, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t seen = 0, cap = 0;
	char q[4 * PATH_CHARS + 4];

	memset(out, 0, sizeof(*out));
	mc_quote(q, sizeof(q), dir, strlen(dir), PATH_CHARS);
	if (!d) {
		mc_set_error(err, errlen, "cannot read the directory \"%s\": %s", q, strerror(errno));
		return MAILCERT_E_IO;
	}
	while ((e = readdir(d)) && seen++ < DIR_ENTRIES_MAX) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    !want(dir, e->d_name, arg))
			continue;
		if (out->len == MC_ACME_MAX_LINEAGES + 1)
			break; /* the caller says there are too many */
		if (out->len == cap) {
			char **n = realloc(out->v, (cap ? 2 * cap : 16) * sizeof(*n));

			if (!n)
				goto nomem;
			out->v = n;
			cap = cap ? 2 * cap : 16;
		}
		if (!(out->v[out->len] = mc_strdup(e->d_name)))
			goto nomem;
		out->len++;
	}
	closedir(d);
	if (out->len)
		qsort(out->v, out->len, sizeof(*out->v), by_name);
	return 0;
nomem:
	closedir(d);
	names_clear(out);
	mc_set_error(err, errlen, "out of memory");
	return MAILCERT_E_NOMEM;
}

static int want_dir(const char *dir, const char *name, void *arg)
{
	char path[4096];

	(void)arg;
	return snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) && is_dir(path);
}

/* A file @dir/@name whose name ends with the suffix @arg. */
static int want_suffix(const char *dir, const char *name, void *arg)
{
	char path[4096];

	return ends_with(name, arg) &&
	       snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) && is_file(path);
}

/* ---- certbot -------------------------------------------------------- */

/* certN.pem: N, else 0. */
static unsigned long archive_number(const char *name)
{
	char *end;
	unsigned long n;

	if (strncmp(name, "cert", 4) != 0 || name[4] < '1' || name[4] > '9')
		return 0;
	n = strtoul(name + 4, &end, 10);
	return strcmp(end, ".pem") == 0 ? n : 0;
}

static int want_archive(const char *dir, const char *name, void *arg)
{
	return archive_number(name) > 0 && want_suffix(dir, name, arg);
}

static int by_number_desc(const void *a, const void *b)
{
	unsigned long x = archive_number(*(char *const *)a), y = archive_number(*(char *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The leaves of archive/NAME/certN.pem other than the newest, newest first. */
static int certbot_older(struct mc_acme_lineage *l, const char *archive)
{
	struct names files;
	char why[1024];
	int rc = list_dir(archive, want_archive, ".pem", &files, why, sizeof(why));

	if (rc == MAILCERT_E_NOMEM)
		return rc;
	if (rc < 0 || files.len == 0)
		return 0; /* no history: nothing to tell the previous certificate by */
	qsort(files.v, files.len, sizeof(*files.v), by_number_desc);
	l->older = calloc(files.len < MC_ACME_MAX_OLDER ? files.len : MC_ACME_MAX_OLDER,
			  sizeof(*l->older));
	if (!l->older)
		rc = MAILCERT_E_NOMEM;
	for (size_t i = 0; rc == 0 && i < files.len && l->older_len < MC_ACME_MAX_OLDER; i++) {
		char *path = mc_asprintf("%s/%s", archive, files.v[i]);
		struct mc_file f;

		if (!path) {
			rc = MAILCERT_E_NOMEM;
			break;
		}
		if (mc_file_load(&f, path, NULL, "certificate file", MC_WANT_CERT_ONLY, why,
				 sizeof(why)) < 0) {
			free(path); /* an unreadable old one tells nothing */
			continue;
		}
		if (f.certs[0].size == l->chain[0].size &&
		    memcmp(f.certs[0].data, l->chain[0].data, f.certs[0].size) == 0) {
			free(path);
		} else {
			l->older[l->older_len].der = f.certs[0];
			l->older[l->older_len].source = path;
			f.certs[0].data = NULL;
			l->older_len++;
		}
		mc_file_clear(&f);
	}
	names_clear(&files);
	return rc;
}

static int read_certbot(mailcert_acme_store *s, char *err, size_t errlen)
{
	char *live = mc_asprintf("%s/live", s->path), *renewal = mc_asprintf("%s/renewal", s->path);
	struct names lineages = {0}, confs = {0};
	int rc;

	if (!live || !renewal) {
		rc = MAILCERT_E_NOMEM;
		goto out;
	}
	rc = list_dir(live, want_dir, NULL, &lineages, err, errlen);
	/* renewal/ may be missing (a copy of live/ and archive/ alone). */
	if (rc == 0 && is_dir(renewal))
		rc = list_dir(renewal, want_suffix, ".conf", &confs, err, errlen);
	for (size_t i = 0; rc == 0 && i < lineages.len; i++) {
		char *dir = mc_asprintf("%s/%s", live, lineages.v[i]);
		char *chain = mc_asprintf("%s/fullchain.pem", dir ? dir : "");
		char *key = mc_asprintf("%s/privkey.pem", dir ? dir : "");
		char *archive = mc_asprintf("%s/archive/%s", s->path, lineages.v[i]);
		struct mc_acme_lineage *l = NULL;

		rc = dir && chain && key && archive
			 ? add_files(s, lineages.v[i], chain, key, &l, err, errlen)
			 : MAILCERT_E_NOMEM;
		if (rc == 0 && !l->error)
			rc = certbot_older(l, archive);
		free(dir);
		free(chain);
		free(key);
		free(archive);
	}
	/* A renewal configuration whose live/ directory is gone: certbot cannot renew it. */
	for (size_t i = 0; rc == 0 && i < confs.len; i++) {
		char *name = mc_strdup(confs.v[i]), *dir, *conf;
		struct mc_acme_lineage *l;

		if (!name) {
			rc = MAILCERT_E_NOMEM;
			break;
		}
		name[strlen(name) - 5] = '\0';
		dir = mc_asprintf("%s/%s", live, name);
		conf = mc_asprintf("%s/%s", renewal, confs.v[i]);
		if (dir && conf && !is_dir(dir)) {
			l = lineage_add(s, name, conf, err, errlen);
			rc = !l ? add_failed(s)
				: fail_lineage(l, "renewal/ configures it, but live/ has no directory "
						  "for it: certbot cannot renew it (see `certbot "
						  "certificates`)");
		} else if (!dir || !conf) {
			rc = MAILCERT_E_NOMEM;
		}
		free(name);
		free(dir);
		free(conf);
	}
out:
	names_clear(&lineages);
	names_clear(&confs);
	free(live);
	free(renewal);
	return rc;
}

/* ---- acme.sh -------------------------------------------------------- */

/* NAME/ or NAME_ecc/ holding NAME.cer: a lineage of acme.sh. */
static char *acmesh_base(const char *dir, const char *name)
{
	size_t n = strlen(name);
	char *base = mc_strdup(name), *cer;
	int ok;

	if (!base)
		return NULL;
	if (ends_with(base, "_ecc"))
		base[n - 4] = '\0';
	cer = mc_asprintf("%s/%s/%s.cer", dir, name, base);
	ok = cer && is_file(cer);
	free(cer);
	if (!ok) {
		free(base);
		return NULL;
	}
	return base;
}

static int want_acmesh(const char *dir, const char *name, void *arg)
{
	char *base;

	(void)arg;
	if (!want_dir(dir, name, NULL) || !(base = acmesh_base(dir, name)))
		return 0;
	free(base);
	return 1;
}

static int read_acmesh(mailcert_acme_store *s, const struct names *dirs, char *err,
		       size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < dirs->len; i++) {
		char *base = acmesh_base(s->path, dirs->v[i]);
		char *full = mc_asprintf("%s/%s/fullchain.cer", s->path, dirs->v[i]);
		char *cer = mc_asprintf("%s/%s/%s.cer", s->path, dirs->v[i], base ? base : "");
		char *key = mc_asprintf("%s/%s/%s.key", s->path, dirs->v[i], base ? base : "");
		struct mc_acme_lineage *l;

		/* fullchain.cer holds the chain; NAME.cer is the leaf alone. */
		rc = base && full && cer && key
			 ? add_files(s, dirs->v[i], is_file(full) ? full : cer, key, &l, err, errlen)
			 : MAILCERT_E_NOMEM;
		free(base);
		free(full);
		free(cer);
		free(key);
	}
	return rc;
}

/* ---- lego ----------------------------------------------------------- */

/* NAME.crt, not NAME.issuer.crt. */
static int want_lego(const char *dir, const char *name, void *arg)
{
	return want_suffix(dir, name, arg) && !ends_with(name, ".issuer.crt");
}

static int read_lego(mailcert_acme_store *s, const char *dir, const struct names *crts,
		     char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < crts->len; i++) {
		char *name = mc_strdup(crts->v[i]), *chain, *key;
		struct mc_acme_lineage *l;

		if (!name)
			return MAILCERT_E_NOMEM;
		name[strlen(name) - 4] = '\0';
		chain = mc_asprintf("%s/%s", dir, crts->v[i]);
		key = mc_asprintf("%s/%s.key", dir, name);
		rc = chain && key ? add_files(s, name, chain, key, &l, err, errlen) : MAILCERT_E_NOMEM;
		free(name);
		free(chain);
		free(key);
	}
	return rc;
}

/* ---- Traefik's acme.json -------------------------------------------- */

/* Member @key of object @obj, its case ignored (Traefik 1 wrote "Certificates", 2 "certificates" too). */
static json_object *member(json_object *obj, const char *key)
{
	if (!json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

static const char *member_string(json_object *obj, const char *key)
{
	json_object *v = member(obj, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The base64 of PEM that acme.json keeps, decoded; NULL data when it is not base64. */
static int unbase64(const char *text, gnutls_datum_t *out)
{
	const gnutls_datum_t in = {(unsigned char *)text, (unsigned)strlen(text)};

	out->data = NULL;
	out->size = 0;
	return gnutls_base64_decode2(&in, out) < 0 ? -1 : 0;
}

/* One element of Certificates[] of resolver @resolver ("" for Traefik 1's one). */
static int traefik_entry(mailcert_acme_store *s, json_object *entry, const char *resolver,
			 size_t index, char *err, size_t errlen)
{
	const char *main = member_string(member(entry, "domain"), "main");
	const char *cert = member_string(entry, "certificate"), *key = member_string(entry, "key");
	char number[24], *name, *source;
	gnutls_datum_t cert_pem = {NULL, 0}, key_pem = {NULL, 0};
	struct mc_acme_lineage *l = NULL;
	int rc;

	snprintf(number, sizeof(number), "#%zu", index + 1);
	name = mc_asprintf("%s%s%s", resolver, *resolver ? "/" : "", main && *main ? main : number);
	source = name ? mc_asprintf("%s#%s", s->path, name) : NULL;
	if (name && source)
		l = lineage_add(s, name, source, err, errlen);
	free(name);
	free(source);
	if (!l)
		return add_failed(s);
	/* What messages print of it: the quoted name. */
	free(l->source);
	if (!(l->source = mc_asprintf("%s#%s", s->path, l->name)))
		return MAILCERT_E_NOMEM;
	if (!json_object_is_type(entry, json_type_object))
		return fail_lineage(l, "its entry in Certificates is not a JSON object");
	if (!cert || !*cert)
		return fail_lineage(l, "its entry has no \"certificate\"");
	if (unbase64(cert, &cert_pem) < 0)
		return fail_lineage(l, "its \"certificate\" is not base64");
	if (key && *key && unbase64(key, &key_pem) < 0) {
		gnutls_free(cert_pem.data);
		return fail_lineage(l, "its \"key\" is not base64");
	}
	rc = read_lineage(l, l->source, &cert_pem, key && *key ? l->source : NULL, &key_pem);
	gnutls_free(cert_pem.data);
	gnutls_free(key_pem.data);
	return rc;
}

/* Certificates[] of one resolver. */
static int traefik_resolver(mailcert_acme_store *s, json_object *certs, const char *resolver,
			    char *err, size_t errlen)
{
	size_t n;
	int rc = 0;

	char q[4 * NAME_CHARS + 4];

	if (json_object_is_type(certs, json_type_null))
		return 0; /* a resolver that has issued nothing yet */
	if (!json_object_is_type(certs, json_type_array)) {
		mc_quote(q, sizeof(q), resolver, strlen(resolver), NAME_CHARS);
		mc_set_error(err, errlen, "its Certificates%s%s%s is not a JSON array",
			     *resolver ? " of resolver \"" : "", q, *resolver ? "\"" : "");
		return MAILCERT_E_INVALID;
	}
	n = json_object_array_length(certs);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = traefik_entry(s, json_object_array_get_idx(certs, i), resolver, i, err, errlen);
	return rc;
}

int mc_acme_traefik_parse(mailcert_acme_store *s, const char *json, size_t len, char *err,
			  size_t errlen)
{
	json_tokener *tok;
	json_object *doc, *certs;
	char qpath[4 * PATH_CHARS + 4], why[512];
	int rc = 0, resolvers = 0;

	mc_quote(qpath, sizeof(qpath), s->path, strlen(s->path), PATH_CHARS);
	if (len > MC_ACME_JSON_MAX) {
		mc_set_error(err, errlen, "the acme.json \"%s\" is larger than %u MiB", qpath,
			     MC_ACME_JSON_MAX >> 20);
		return MAILCERT_E_INVALID;
	}
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return MAILCERT_E_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, json, (int)len);
	if (!doc) {
		mc_set_error(err, errlen, "\"%s\" is not JSON (%s): not a Traefik acme.json", qpath,
			     json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		return MAILCERT_E_INVALID;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		mc_set_error(err, errlen, "\"%s\" is not a JSON object: not a Traefik acme.json",
			     qpath);
		return MAILCERT_E_INVALID;
	}
	why[0] = '\0';
	if ((certs = member(doc, "Certificates"))) {
		/* Traefik 1: one store, Account and Certificates at the top. */
		rc = traefik_resolver(s, certs, "", why, sizeof(why));
		resolvers = 1;
	} else {
		json_object_object_foreach(doc, resolver, value)
		{
			if (rc < 0 || !(certs = member(value, "Certificates")))
				continue;
			rc = traefik_resolver(s, certs, resolver, why, sizeof(why));
			resolvers++;
		}
	}
	json_object_put(doc);
	if (rc == 0 && resolvers == 0) {
		mc_set_error(err, errlen,
			     "\"%s\" has no Certificates, at the top (Traefik 1) or in a "
			     "resolver's object (Traefik 2 and later): not a Traefik acme.json",
			     qpath);
		return MAILCERT_E_INVALID;
	}
	if (rc < 0 && why[0])
		mc_set_error(err, errlen, "the acme.json \"%s\": %s", qpath, why);
	else if (rc == MAILCERT_E_NOMEM)
		mc_set_error(err, errlen, "out of memory");
	return rc;
}

static int read_traefik(mailcert_acme_store *s, char *err, size_t errlen)
{
	gnutls_datum_t data = {NULL, 0};
	int rc = mc_read_file(s->path, "Traefik acme.json", MC_ACME_JSON_MAX, &data, err, errlen);

	if (rc < 0)
		return rc;
	rc = mc_acme_traefik_parse(s, (const char *)data.data, data.size, err, errlen);
	free(data.data);
	return rc;
}

/* ---- which store ---------------------------------------------------- */

static int by_lineage_name(const void *a, const void *b)
{
	return strcmp(((const struct mc_acme_lineage *)a)->name,
		      ((const struct mc_acme_lineage *)b)->name);
}

/* What a directory holds tells which client wrote it. */
static int read_dir(const char *path, mailcert_acme_store **out, char *err, size_t errlen)
{
	char *live = mc_asprintf("%s/live", path), *lego = mc_asprintf("%s/certificates", path);
	char *json = mc_asprintf("%s/acme.json", path), *account = mc_asprintf("%s/account.conf", path);
	char *cert = mc_asprintf("%s/fullchain.pem", path);
	char q[4 * PATH_CHARS + 4];
	struct names found = {0};
	mailcert_acme_store *s = NULL;
	int rc = MAILCERT_E_NOMEM;

	mc_quote(q, sizeof(q), path, strlen(path), PATH_CHARS);
	if (!live || !lego || !json || !account || !cert)
		goto out;
	if (is_dir(live)) {
		if ((s = mc_acme_store_alloc(MC_ACME_CERTBOT, path)))
			rc = read_certbot(s, err, errlen);
	} else if (is_dir(lego)) {
		rc = list_dir(lego, want_lego, ".crt", &found, err, errlen);
		if (rc == 0 && !(s = mc_acme_store_alloc(MC_ACME_LEGO, path)))
			rc = MAILCERT_E_NOMEM;
		if (rc == 0)
			rc = read_lego(s, lego, &found, err, errlen);
	} else if (is_file(json)) {
		/* Docker-Mailserver mounts Traefik's acme.json in /etc/letsencrypt. */
		if ((s = mc_acme_store_alloc(MC_ACME_TRAEFIK, json)))
			rc = read_traefik(s, err, errlen);
	} else if ((rc = list_dir(path, want_lego, ".crt", &found, err, errlen)) == 0 &&
		   found.len > 0) {
		/* lego's certificates/ directory itself. */
		if ((s = mc_acme_store_alloc(MC_ACME_LEGO, path)))
			rc = read_lego(s, path, &found, err, errlen);
		else
			rc = MAILCERT_E_NOMEM;
	} else if (rc == 0) {
		names_clear(&found);
		rc = list_dir(path, want_acmesh, NULL, &found, err, errlen);
		if (rc == 0 && (found.len > 0 || is_file(account))) {
			if ((s = mc_acme_store_alloc(MC_ACME_ACMESH, path)))
				rc = read_acmesh(s, &found, err, errlen);
			else
				rc = MAILCERT_E_NOMEM;
		} else if (rc == 0 && is_file(cert)) {
			/* live/NAME/fullchain.pem: a lineage, not the store. */
			mc_set_error(err, errlen,
				     "\"%s\" is one certbot lineage's directory; give certbot's "
				     "config directory, the one holding live/ (e.g. /etc/letsencrypt), "
				     "or this lineage's certificate file, \"%s/fullchain.pem\"",
				     q, q);
			rc = MAILCERT_E_INVALID;
		} else if (rc == 0) {
			mc_set_error(err, errlen,
				     "\"%s\" is none of the ACME stores mailcert reads: a certbot "
				     "config directory (with live/), an acme.sh home (NAME/NAME.cer "
				     "or NAME_ecc/NAME.cer), a lego directory (certificates/NAME.crt) "
				     "or a Traefik acme.json",
				     q);
			rc = MAILCERT_E_INVALID;
		}
	}
out:
	names_clear(&found);
	free(live);
	free(lego);
	free(json);
	free(account);
	free(cert);
	if (rc == 0) {
		*out = s;
		return 0;
	}
	mailcert_acme_store_free(s);
	return rc;
}

MAILCERT_EXPORT int mailcert_acme_store_open(mailcert_acme_store **out, const char *path,
					     char *err, unsigned errlen)
{
	mailcert_acme_store *s = NULL;
	char q[4 * PATH_CHARS + 4];
	struct stat st;
	int rc;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!path || !*path) {
		mc_set_error(err, errlen, "no ACME store given");
		return MAILCERT_E_INVALID;
	}
	mc_quote(q, sizeof(q), path, strlen(path), PATH_CHARS);
	if (stat(path, &st) < 0) {
		mc_set_error(err, errlen, "cannot read the ACME store \"%s\": %s", q, strerror(errno));
		return MAILCERT_E_IO;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = read_dir(path, &s, err, errlen);
	} else {
		s = mc_acme_store_alloc(MC_ACME_TRAEFIK, path);
		rc = s ? read_traefik(s, err, errlen) : MAILCERT_E_NOMEM;
	}
	if (rc == MAILCERT_E_NOMEM)
		mc_set_error(err, errlen, "out of memory");
	if (rc < 0) {
		if (s)
			mailcert_acme_store_free(s);
		return rc;
	}
	if (s->len > 1)
		qsort(s->lineages, s->len, sizeof(*s->lineages), by_lineage_name);
	*out = s;
	return 0;
}

/* ---- reading it ----------------------------------------------------- */

MAILCERT_EXPORT const char *mailcert_acme_store_kind(const mailcert_acme_store *s)
{
	return s ? kind_names[s->kind] : NULL;
}

MAILCERT_EXPORT size_t mailcert_acme_store_count(const mailcert_acme_store *s)
{
	return s ? s->len : 0;
}

MAILCERT_EXPORT const char *mailcert_acme_lineage_name(const mailcert_acme_store *s, size_t i)
{
	return s && i < s->len ? s->lineages[i].name : NULL;
}

MAILCERT_EXPORT const char *mailcert_acme_lineage_note(const mailcert_acme_store *s, size_t i)
{
	return s && i < s->len ? s->lineages[i].note : NULL;
}

MAILCERT_EXPORT int mailcert_observation_from_acme(mailcert_observation **out,
						   const mailcert_acme_store *s, size_t i,
						   char *err, unsigned errlen)
{
	const struct mc_acme_lineage *l;
	int rc;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!s || i >= s->len)
		return MAILCERT_E_INVALID;
	l = &s->lineages[i];
	if (l->error) {
		mc_set_error(err, errlen, "the %s lineage %s (%s): %s", kind_names[s->kind], l->name,
			     l->source, l->error);
		return MAILCERT_E_INVALID;
	}
	rc = mc_observation_from_chain(out, l->source, l->chain, l->chain_len, &l->key,
				       l->key.path ? 1 : 0);
	if (rc == MAILCERT_E_NOMEM)
		mc_set_error(err, errlen, "out of memory");
	return rc;
}

int mc_acme_covers(const struct mc_acme_lineage *l, const char *name)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < l->names_len; i++) {
		const char *c = l->names[i];

		if (strlen(c) == n && strncasecmp(c, name, n) == 0)
			return 1;
		/* "*.example.com" covers "mail.example.com", not "example.com" nor "a.b.example.com". */
		if (c[0] == '*' && c[1] == '.') {
			const char *dot = memchr(name, '.', n);

			if (dot && dot > name && (size_t)(name + n - dot) == strlen(c + 1) &&
			    strncasecmp(dot, c + 1, strlen(c + 1)) == 0)
				return 1;
		}
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Certificates and keys from files on disk: the observation `mailcert
 * file` evaluates, and the leaf `--compare-file` expects the server to
 * serve. A file is PEM (any number of blocks: CERTIFICATE blocks make the
 * chain in their order, one PRIVATE KEY block of any kind may sit among
 * them as in Postfix's smtpd_tls_chain_files, other blocks such as EC
 * PARAMETERS are skipped) or one DER certificate (or DER key).
 *
 * Unlike a server's bytes, a file is the user's own: one that cannot be
 * read or parsed is an API error with a reason naming the file, which the
 * CLI turns into UNKNOWN, not a finding about a certificate.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/certfile.h"
#include "model/internal.h"

/* A chain file is a few KiB; more than this is not one (nor read whole). */
#define MC_FILE_MAX (1024 * 1024)
#define PATH_CHARS 200 /* characters of a path quoted in a message */
#define LABEL_MAX 40   /* a PEM label kept for messages */

void mc_file_clear(struct mc_file *f)
{
	for (size_t i = 0; i < f->ncerts; i++)
		free(f->certs[i].data);
	if (f->key)
		gnutls_x509_privkey_deinit(f->key);
	memset(f, 0, sizeof(*f));
}

/* @path quoted for a message, as "…" without the quotes. */
static void quote_path(char *dst, size_t len, const char *path)
{
	mc_quote(dst, len, path, strlen(path), PATH_CHARS);
}

int mc_read_file(const char *path, const char *what, size_t max, gnutls_datum_t *out, char *err,
		 size_t errlen)
{
	char q[4 * PATH_CHARS + 4];
	struct stat st;
	size_t len = 0;
	unsigned char *buf;
	ssize_t n;
	int fd;

	quote_path(q, sizeof(q), path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		mc_set_error(err, errlen, "cannot read the %s \"%s\": %s", what, q,
			     strerror(errno));
		return MAILCERT_E_IO;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		mc_set_error(err, errlen, "cannot read the %s \"%s\": a directory, not a file",
			     what, q);
		return MAILCERT_E_IO;
	}
	buf = malloc(max + 2);
	if (!buf) {
		close(fd);
		return MAILCERT_E_NOMEM;
	}
	/* A pipe or a device may have no size: read up to one byte past the bound. */
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mc_set_error(err, errlen, "cannot read the %s \"%s\": %s", what, q,
				     strerror(errno));
			close(fd);
			free(buf);
			return MAILCERT_E_IO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		mc_set_error(err, errlen, "the %s \"%s\" is larger than %zu KiB: not a %s", what, q,
			     max / 1024, what);
		return MAILCERT_E_INVALID;
	}
	if (len == 0) {
		free(buf);
		mc_set_error(err, errlen, "the %s \"%s\" is empty", what, q);
		return MAILCERT_E_INVALID;
	}
	buf[len] = '\0';
	out->data = buf;
	out->size = (unsigned)len;
	return 0;
}

static int add_cert(struct mc_file *f, const gnutls_datum_t *der)
{
	unsigned char *copy = malloc(der->size);

	if (!copy)
		return MAILCERT_E_NOMEM;
	memcpy(copy, der->data, der->size);
	f->certs[f->ncerts].data = copy;
	f->certs[f->ncerts].size = der->size;
	f->ncerts++;
	return 0;
}

/* Whether @der is an X.509 certificate GnuTLS can read; the reason in *@why. */
static int x509_ok(const gnutls_datum_t *der, int *why)
{
	gnutls_x509_crt_t crt;

	*why = gnutls_x509_crt_init(&crt);
	if (*why < 0)
		return 0;
	*why = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER);
	gnutls_x509_crt_deinit(crt);
	return *why >= 0;
}

static int label_chars(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

static int label_is_key(const char *label)
{
	size_t n = strlen(label);

	return n >= 11 && strcmp(label + n - 11, "PRIVATE KEY") == 0;
}

/*
 * Imports the private key of PEM block @block (label @label) or, with
 * @label NULL, of DER @block. An encrypted key cannot be compared with a
 * certificate without its passphrase: say so rather than "bad key".
 */
static int import_key(struct mc_file *f, const gnutls_datum_t *block, const char *label,
		      const char *what, const char *q, char *err, size_t errlen)
{
	int rc;

	if (f->key) {
		mc_set_error(err, errlen,
			     "the %s \"%s\" holds more than one private key; mailcert "
			     "checks one key with its chain per file",
			     what, q);
		return MAILCERT_E_INVALID;
	}
	if (label && (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0 ||
		      memmem(block->data, block->size, "Proc-Type: 4,ENCRYPTED", 22))) {
		mc_set_error(err, errlen,
			     "the private key in the %s \"%s\" is encrypted "
			     "(passphrase-protected): mailcert cannot compare it with the "
			     "certificate; check a decrypted copy",
			     what, q);
		return MAILCERT_E_INVALID;
	}
	rc = gnutls_x509_privkey_init(&f->key);
	if (rc < 0)
		return MAILCERT_E_NOMEM;
	rc = gnutls_x509_privkey_import2(
	    f->key, block, label ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, NULL, 0);
	if (rc >= 0)
		return 0;
	gnutls_x509_privkey_deinit(f->key);
	f->key = NULL;
	if (!label)
		return MAILCERT_E_INVALID; /* not a DER key either: the caller explains */
	if (rc == GNUTLS_E_DECRYPTION_FAILED)
		mc_set_error(err, errlen,
			     "the private key in the %s \"%s\" is encrypted "
			     "(passphrase-protected): mailcert cannot compare it with the "
			     "certificate; check a decrypted copy",
			     what, q);
	else
		mc_set_error(err, errlen,
			     "the %s \"%s\": the %s block is not a valid private key: %s", what, q,
			     label, gnutls_strerror(rc));
	return MAILCERT_E_INVALID;
}

static void note_label(struct mc_file *f, const char *label)
{
	size_t o = strlen(f->labels);

	if (strstr(f->labels, label))
		return;
	snprintf(f->labels + o, sizeof(f->labels) - o, "%s%s", o ? ", " : "", label);
}

/* One PEM block: a certificate joins the chain, a key is kept, the rest is skipped. */
static int pem_block(struct mc_file *f, const gnutls_datum_t *block, const char *label,
		     size_t index, const char *what, const char *q, char *err, size_t errlen)
{
	gnutls_datum_t der = {NULL, 0};
	int rc, why;

	note_label(f, label);
	if (label_is_key(label) && f->skip_keys)
		return 0; /* --compare-file: a key beside the chain does not matter */
	if (label_is_key(label))
		return import_key(f, block, label, what, q, err, errlen);
	if (strcmp(label, "CERTIFICATE") != 0 && strcmp(label, "X509 CERTIFICATE") != 0)
		return 0;
	if (f->ncerts == MC_MAX_CHAIN) {
		mc_set_error(err, errlen,
			     "the %s \"%s\" holds more than %d certificates: a "
			     "server's chain has a few; is it a CA bundle?",
			     what, q, MC_MAX_CHAIN);
		return MAILCERT_E_INVALID;
	}
	rc = gnutls_pem_base64_decode2(label, block, &der);
	if (rc < 0) {
		mc_set_error(err, errlen,
			     "the %s \"%s\": PEM block %zu (%s) is not valid base64: %s", what, q,
			     index, label, gnutls_strerror(rc));
		return MAILCERT_E_INVALID;
	}
	if (!x509_ok(&der, &why)) {
		gnutls_free(der.data);
		mc_set_error(err, errlen,
			     "the %s \"%s\": certificate %zu (PEM block %zu) is not "
			     "a valid X.509 certificate: %s",
			     what, q, f->ncerts + 1, index, gnutls_strerror(why));
		return MAILCERT_E_INVALID;
	}
	rc = add_cert(f, &der);
	gnutls_free(der.data);
	return rc;
}

/*
 * Splits @data into PEM blocks. Returns the number of blocks seen (0: not
 * PEM at all) or a negative error.
 */
static int parse_pem(struct mc_file *f, const gnutls_datum_t *data, const char *what, const char *q,
		     char *err, size_t errlen)
{
	const char *p = (const char *)data->data, *end = p + data->size;
	size_t index = 0;

	for (;;) {
		const char *begin = memmem(p, (size_t)(end - p), "-----BEGIN ", 11);
		const char *lstart, *lend, *stop;
		char label[LABEL_MAX + 1], marker[LABEL_MAX + 20];
		gnutls_datum_t block;
		int rc;

		if (!begin)
			return (int)index;
		index++;
		lstart = begin + 11;
		lend = memmem(lstart, (size_t)(end - lstart), "-----", 5);
		/* RFC 7468 section 3: a label is printable ASCII and spaces,
		 * which also keeps it safe to name in messages. */
		if (!lend || lend - lstart > LABEL_MAX || !label_chars(lstart, lend)) {
			mc_set_error(err, errlen,
				     "the %s \"%s\": PEM block %zu has a malformed "
				     "BEGIN line",
				     what, q, index);
			return MAILCERT_E_INVALID;
		}
		memcpy(label, lstart, (size_t)(lend - lstart));
		label[lend - lstart] = '\0';
		snprintf(marker, sizeof(marker), "-----END %s-----", label);
		stop = memmem(lend, (size_t)(end - lend), marker, strlen(marker));
		if (!stop) {
			mc_set_error(err, errlen,
				     "the %s \"%s\": PEM block %zu (%s) has no "
				     "\"-----END %s-----\" line: is the file cut short?",
				     what, q, index, label, label);
			return MAILCERT_E_INVALID;
		}
		stop += strlen(marker);
		block.data = (unsigned char *)begin;
		block.size = (unsigned)(stop - begin);
		rc = pem_block(f, &block, label, index, what, q, err, errlen);
		if (rc < 0)
			return rc;
		p = stop;
	}
}

int mc_file_load(struct mc_file *f, const char *path, const gnutls_datum_t *mem, const char *what,
		 int want_cert, char *err, size_t errlen)
{
	char q[4 * PATH_CHARS + 4];
	gnutls_datum_t data = {NULL, 0};
	int rc, why = 0;

	memset(f, 0, sizeof(*f));
	f->skip_keys = want_cert == MC_WANT_CERT_ONLY;
	quote_path(q, sizeof(q), path);
	if (mem && mem->size == 0) {
		mc_set_error(err, errlen, "the %s \"%s\" is empty", what, q);
		return MAILCERT_E_INVALID;
	}
	if (mem) {
		/* parse_pem() and the DER import read it in place. */
		data.data = malloc(mem->size + 1);
		if (!data.data)
			return MAILCERT_E_NOMEM;
		memcpy(data.data, mem->data, mem->size);
		data.data[mem->size] = '\0';
		data.size = mem->size;
	} else {
		rc = mc_read_file(path, what, MC_FILE_MAX, &data, err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = parse_pem(f, &data, what, q, err, errlen);
	if (rc == 0) {
		/* Not PEM: one DER certificate, or a DER key. */
		if (want_cert && x509_ok(&data, &why))
			rc = add_cert(f, &data);
		else if (!want_cert && import_key(f, &data, NULL, what, q, err, errlen) == 0)
			rc = 0;
		else
			rc = 1;
	}
	if (rc > 0 && want_cert && f->ncerts == 0) {
		if (f->labels[0])
			mc_set_error(err, errlen,
				     "the %s \"%s\" holds no certificate (it has PEM "
				     "blocks %s, but no \"-----BEGIN CERTIFICATE-----\")",
				     what, q, f->labels);
		else
			mc_set_error(err, errlen,
				     "the %s \"%s\" holds no certificate: it is neither "
				     "PEM (\"-----BEGIN CERTIFICATE-----\") nor a DER X.509 "
				     "certificate",
				     what, q);
		rc = MAILCERT_E_INVALID;
	} else if (rc > 0 && !want_cert && !f->key) {
		if (f->labels[0])
			mc_set_error(err, errlen,
				     "the %s \"%s\" holds no private key (it has PEM "
				     "blocks %s, but no \"-----BEGIN ... PRIVATE KEY-----\")",
				     what, q, f->labels);
		else
			mc_set_error(err, errlen,
				     "the %s \"%s\" holds no private key: it is neither "
				     "PEM (\"-----BEGIN PRIVATE KEY-----\") nor a DER private key",
				     what, q);
		rc = MAILCERT_E_INVALID;
	}
	free(data.data);
	if (rc < 0) {
		mc_file_clear(f);
		return rc;
	}
	return 0;
}

/* "P256" for SECP256R1, as describe.c names certificate keys. */
static void key_desc(char *dst, size_t len, gnutls_x509_privkey_t key)
{
	unsigned bits = 0;
	int pk = gnutls_x509_privkey_get_pk_algorithm2(key, &bits);
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x = {NULL, 0}, y = {NULL, 0}, k = {NULL, 0};

	switch (pk) {
	case GNUTLS_PK_RSA:
		snprintf(dst, len, "RSA-%u", bits);
		return;
	case GNUTLS_PK_RSA_PSS:
		snprintf(dst, len, "RSA-PSS-%u", bits);
		return;
	case GNUTLS_PK_DSA:
		snprintf(dst, len, "DSA-%u", bits);
		return;
	case GNUTLS_PK_ECDSA:
		if (gnutls_x509_privkey_export_ecc_raw(key, &curve, &x, &y, &k) < 0) {
			snprintf(dst, len, "EC");
			return;
		}
		gnutls_free(x.data);
		gnutls_free(y.data);
		gnutls_free(k.data);
		if (curve == GNUTLS_ECC_CURVE_SECP256R1 || curve == GNUTLS_ECC_CURVE_SECP384R1 ||
		    curve == GNUTLS_ECC_CURVE_SECP521R1)
			snprintf(dst, len, "EC-P%u",
				 gnutls_ecc_curve_get_size(curve) == 66
				     ? 521
				     : gnutls_ecc_curve_get_size(curve) * 8);
		else
			snprintf(dst, len, "EC-%s",
				 gnutls_ecc_curve_get_name(curve) ? gnutls_ecc_curve_get_name(curve)
								  : "unknown");
		return;
	case GNUTLS_PK_EDDSA_ED25519:
		snprintf(dst, len, "Ed25519");
		return;
	case GNUTLS_PK_EDDSA_ED448:
		snprintf(dst, len, "Ed448");
		return;
	default:
		snprintf(dst, len, "%s",
			 pk > 0 && gnutls_pk_get_name(pk) ? gnutls_pk_get_name(pk) : "unknown");
	}
}

int mc_file_key_set(struct mc_file_key *k, gnutls_x509_privkey_t key, const char *path)
{
	size_t len = sizeof(k->id);

	if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, k->id, &len) < 0)
		len = 0; /* an algorithm GnuTLS cannot hash: nothing to compare */
	k->id_len = len;
	key_desc(k->desc, sizeof(k->desc), key);
	k->path = mc_strdup(path);
	return k->path ? 0 : MAILCERT_E_NOMEM;
}

/* Records @key (read from @path) as evidence: its public key ID and a description. */
static int add_key(mailcert_observation *obs, gnutls_x509_privkey_t key, const char *path)
{
	int rc;

	if (obs->keys_len == MC_MAX_FILE_KEYS)
		return MAILCERT_E_INVALID;
	rc = mc_file_key_set(&obs->keys[obs->keys_len], key, path);
	if (rc == 0)
		obs->keys_len++;
	return rc;
}

int mc_observation_from_chain(mailcert_observation **out, const char *file,
			      const gnutls_datum_t *chain, size_t n, const struct mc_file_key *keys,
			      size_t nkeys)
{
	/* No host: file mode has no name to expect unless the policy names one. */
	mailcert_observation *obs = mc_observation_new(file, "");
	int rc = 0;

	*out = NULL;
	if (!obs || !(obs->file = mc_strdup(file)))
		rc = MAILCERT_E_NOMEM;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = mc_observation_add_cert(obs, chain[i].data, chain[i].size);
	for (size_t i = 0; i < nkeys && rc == 0; i++) {
		struct mc_file_key *k = &obs->keys[obs->keys_len];

		if (obs->keys_len == MC_MAX_FILE_KEYS)
			rc = MAILCERT_E_INVALID;
		else if (!(k->path = mc_strdup(keys[i].path)))
			rc = MAILCERT_E_NOMEM;
		else {
			memcpy(k->id, keys[i].id, sizeof(k->id));
			k->id_len = keys[i].id_len;
			memcpy(k->desc, keys[i].desc, sizeof(k->desc));
			obs->keys_len++;
		}
	}
	if (rc < 0) {
		mailcert_observation_free(obs);
		return rc;
	}
	*out = obs;
	return 0;
}

MAILCERT_EXPORT int mailcert_observation_from_file(mailcert_observation **out, const char *path,
						   const char *key_path, char *err, unsigned errlen)
{
	struct mc_file f, kf = {0};
	mailcert_observation *obs;
	int rc;

	if (!out)
		return MAILCERT_E_INVALID;
	*out = NULL;
	if (!path || !*path || (key_path && !*key_path)) {
		mc_set_error(err, errlen, "no file name given");
		return MAILCERT_E_INVALID;
	}
	rc = mc_file_load(&f, path, NULL, "certificate file", MC_WANT_CERT, err, errlen);
	if (rc < 0)
		return rc;
	if (key_path) {
		rc = mc_file_load(&kf, key_path, NULL, "key file", MC_WANT_KEY, err, errlen);
		if (rc < 0) {
			mc_file_clear(&f);
			return rc;
		}
	}
	rc = mc_observation_from_chain(&obs, path, f.certs, f.ncerts, NULL, 0);
	if (rc == 0 && f.key)
		rc = add_key(obs, f.key, path);
	if (rc == 0 && kf.key)
		rc = add_key(obs, kf.key, key_path);
	mc_file_clear(&f);
	mc_file_clear(&kf);
	if (rc < 0) {
		mailcert_observation_free(obs);
		if (rc == MAILCERT_E_NOMEM)
			mc_set_error(err, errlen, "out of memory");
		return rc;
	}
	*out = obs;
	return 0;
}

int mc_file_leaf(const char *path, gnutls_datum_t *der, char *err, size_t errlen)
{
	struct mc_file f;
	int rc = mc_file_load(&f, path, NULL, "certificate file", MC_WANT_CERT_ONLY, err, errlen);

	if (rc < 0)
		return rc;
	/* The leaf moves out; the rest of the chain is not compared. */
	*der = f.certs[0];
	f.certs[0].data = NULL;
	mc_file_clear(&f);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for revocation (checks/revocation.c): stapled OCSP
 * responses and CRLs, evaluated against a fixed chain and rendered in
 * every format. The chain (root → intermediate → leaf, and the same leaf
 * with must-staple) is made once with the fixture from the fixed keys
 * below, so that the seeds — real responses and CRLs made by `openssl
 * ocsp` and certtool for these keys and names (corpus/revocation/) — match
 * it: the issuer's name and key hash in an OCSP CertID, the signatures.
 *
 * Input:
 *   byte 0      flags: bit 0 the must-staple leaf instead of the plain one
 *   bytes 1-2   N, big-endian: the length of the OCSP part (cut to what is there)
 *   N bytes     the stapled responses: each a 2-byte big-endian length and
 *               that many bytes (a short last one is taken as it is)
 *   the rest    a CRL file (PEM or DER), given with --crl; none when empty
 *
 * Besides memory errors: the evaluation succeeds, a CRL file that does
 * not load says why without control bytes, and the outputs are as
 * fuzz-certfile requires (JSON parses, no control bytes).
 *
 * MC_FUZZ_REVOCATION_DUMP=DIR writes the chain and its keys (PEM) into DIR
 * and exits: how the seeds were made (tests/fuzz/README.md).
 * MC_FUZZ_REVOCATION_PRINT=1 prints each input's report (text) to stderr,
 * to see what a seed reaches.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "fuzz.h"
#include "fixture/fixture.h"
#include "model/internal.h"

/* The seeds' responses were made at 2026-12-01T12:2x:00Z, valid one day: judge at 18:00. */
#define NOW ((time_t)1796148000)
#define DAY 86400
#define LEAF_SERIAL 0x80000001u /* top bit set: its DER has a leading 00 */

static const char root_key[] = "-----BEGIN EC PRIVATE KEY-----\n"
			       "MHcCAQEEIALYPN+Ij7dqi8uboxnkyH6fMahKZ/HqEF9aFOJYRhksoAoGCCqGSM49\n"
			       "AwEHoUQDQgAE/gdmXrUDfaPvXPe9QrXqm2EP/QJX09/uX4C8QxIgdeJ9arTq1Bae\n"
			       "qN08hYX3hkH04rWq8Ew2FXH10rHOjklvnQ==\n"
			       "-----END EC PRIVATE KEY-----\n";
static const char inter_key[] = "-----BEGIN EC PRIVATE KEY-----\n"
				"MHcCAQEEIGIe91jsWhey3SBssiqvDnZz56+qYuVh/TYbnen/rTsYoAoGCCqGSM49\n"
				"AwEHoUQDQgAE1cwn+BzV4H2MqaRGgcgNByFnqCmdkuW5U+eXTbvLntnJmzS0iEgJ\n"
				"T6C84ThDI1BdKaEsfSXsHad8uymR9hT9pw==\n"
				"-----END EC PRIVATE KEY-----\n";
static const char leaf_key[] = "-----BEGIN EC PRIVATE KEY-----\n"
			       "MHgCAQEEIQC4wPULlgy679UMhGPq+jXRRk+L7Q/t5n5m4kQeaUy8kaAKBggqhkjO\n"
			       "PQMBB6FEA0IABL/mJ93jGlkGIDUtPZec0bpr3rd+aXhQprO58jfvOi+FZUjoB7LT\n"
			       "K5aIPtcQIwZJIR6NgJ0BnrbIdRSbqtPRqc0=\n"
			       "-----END EC PRIVATE KEY-----\n";

static const char *const mail_dns[] = {"mail.test", NULL};

/* root, inter, leaf, must-staple leaf */
static struct mc_fixture_cert pki[4];
static gnutls_datum_t der[4];
static char ca_path[64];

/* A memfd holding @len bytes of @data, its path in @path. The fd, or -1. */
static int memfile(const char *name, const void *data, size_t len, char *path, size_t pathlen)
{
	int fd = memfd_create(name, 0);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

static void dump(const char *dir)
{
	static const char *const names[] = {"root", "inter", "leaf", "staple"};
	char path[512];

	for (int i = 0; i < 4; i++) {
		gnutls_datum_t pem;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.pem", dir, names[i]);
		unlink(path);
		require(mc_fixture_cert_append_pem(&pki[i], path) == 0);
		require(gnutls_x509_privkey_export2(pki[i].key, GNUTLS_X509_FMT_PEM, &pem) == 0);
		snprintf(path, sizeof(path), "%s/%s.key", dir, names[i]);
		f = fopen(path, "wb");
		require(f && fwrite(pem.data, 1, pem.size, f) == pem.size && fclose(f) == 0);
		gnutls_free(pem.data);
	}
	_exit(0); /* not exit(): libFuzzer takes that for a crash */
}

static void make_pki(void)
{
	const struct mc_fixture_cert_spec specs[4] = {
	    {.cn = "Fuzz Root",
	     .is_ca = 1,
	     .serial = 1,
	     .key_pem = root_key,
	     .not_before = NOW - 365 * DAY,
	     .not_after = NOW + 3650 * DAY},
	    {.cn = "Fuzz Intermediate",
	     .is_ca = 1,
	     .serial = 2,
	     .issuer = &pki[0],
	     .key_pem = inter_key,
	     .not_before = NOW - 365 * DAY,
	     .not_after = NOW + 1000 * DAY},
	    {.cn = "mail.test",
	     .dns = mail_dns,
	     .issuer = &pki[1],
	     .serial = LEAF_SERIAL,
	     .key_pem = leaf_key,
	     .not_before = NOW - 30 * DAY,
	     .not_after = NOW + 90 * DAY},
	    {.cn = "mail.test",
	     .dns = mail_dns,
	     .issuer = &pki[1],
	     .serial = 0x4321,
	     .key_pem = leaf_key,
	     .must_staple = 1,
	     .not_before = NOW - 30 * DAY,
	     .not_after = NOW + 90 * DAY},
	};
	const char *dir = getenv("MC_FUZZ_REVOCATION_DUMP");
	gnutls_datum_t pem;

	for (int i = 0; i < 4; i++) {
		require(mc_fixture_cert_make(&pki[i], &specs[i]) == 0);
		require(mc_fixture_cert_der(&pki[i], &der[i]) == 0);
	}
	if (dir)
		dump(dir);
	/* The root as the trust store, in a memfd kept open for the whole run. */
	require(gnutls_x509_crt_export2(pki[0].crt, GNUTLS_X509_FMT_PEM, &pem) == 0);
	require(memfile("root", pem.data, pem.size, ca_path, sizeof(ca_path)) >= 0);
	gnutls_free(pem.data);
}

static void no_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		require(*p >= 0x20 || *p == '\n');
}

static int print;

static void render_all(const mailcert_report *r)
{
	static const mailcert_format formats[] = {MAILCERT_FORMAT_TEXT, MAILCERT_FORMAT_NAGIOS,
						  MAILCERT_FORMAT_JSON, MAILCERT_FORMAT_PROMETHEUS};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char *out = NULL;

		require(mailcert_render(&out, r, formats[i], 2) == 0);
		no_controls(out);
		if (print && formats[i] == MAILCERT_FORMAT_TEXT)
			fputs(out, stderr);
		if (formats[i] == MAILCERT_FORMAT_JSON) {
			json_object *j = json_tokener_parse(out);

			require(j);
			json_object_put(j);
		}
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	mailcert_observation *obs;
	mailcert_policy *policy;
	mailcert_report *report = NULL;
	char err[512], path[64];
	size_t ocsp_len, at;
	int leaf, fd = -1;

	if (!ready) {
		make_pki();
		print = getenv("MC_FUZZ_REVOCATION_PRINT") != NULL;
		ready = 1;
	}
	if (size < 3)
		return 0;
	leaf = (data[0] & 1) ? 3 : 2;
	ocsp_len = (size_t)data[1] << 8 | data[2];
	data += 3, size -= 3;
	if (ocsp_len > size)
		ocsp_len = size;

	obs = mc_observation_new("smtp://mail.test:25", "mail.test");
	require(obs);
	require(mc_observation_add_cert(obs, der[leaf].data, der[leaf].size) == 0);
	require(mc_observation_add_cert(obs, der[1].data, der[1].size) == 0);
	for (at = 0; at < ocsp_len;) {
		size_t len = at + 2 <= ocsp_len ? (size_t)data[at] << 8 | data[at + 1] : 0;

		at += 2;
		if (at > ocsp_len)
			break;
		if (len > ocsp_len - at)
			len = ocsp_len - at;
		require(mc_observation_add_ocsp(obs, data + at, len) == 0);
		at += len;
	}

	require(mailcert_policy_new(&policy) == 0);
	require(mailcert_policy_add_ca_file(policy, ca_path, err, sizeof(err)) == 0);
	require(mailcert_policy_add_name(policy, "mail.test") == 0);
	if (size > ocsp_len) {
		fd = memfile("crl", data + ocsp_len, size - ocsp_len, path, sizeof(path));
		require(fd >= 0);
		err[0] = '\0';
		if (mailcert_policy_add_crl_file(policy, path, err, sizeof(err)) < 0) {
			require(err[0]);
			no_controls(err);
		}
	}
	require(mailcert_evaluate(&report, obs, policy, NOW) == 0);
	render_all(report);
	mailcert_report_free(report);
	mailcert_policy_free(policy);
	mailcert_observation_free(obs);
	if (fd >= 0)
		close(fd);
	return 0;
}

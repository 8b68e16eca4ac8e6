/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "io/net.h"
#include "io/tls.h"

/* A checker must see the certificate of old servers too; the version is
 * judged by policy, not refused by the handshake. */
#define PRIORITY "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0:%COMPAT"

/*
 * One key type only (mailcert_probe_set_key_type): a server picks its
 * certificate by the client's signature algorithms, which TLS 1.3 has as
 * its only signal, and in TLS 1.2 and older by the key exchange too, so
 * both are restricted. SHA-1 stays offered as NORMAL offers it, so that
 * old servers answer as they would without the restriction.
 */
#define PRIORITY_RSA                                                                               \
	PRIORITY ":-SIGN-ALL:+SIGN-RSA-SHA256:+SIGN-RSA-SHA384:+SIGN-RSA-SHA512"                   \
		 ":+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-PSS-RSAE-SHA512"  \
		 ":+SIGN-RSA-PSS-SHA256:+SIGN-RSA-PSS-SHA384:+SIGN-RSA-PSS-SHA512:+SIGN-RSA-SHA1" \
		 ":-KX-ALL:+ECDHE-RSA:+DHE-RSA:+RSA"
#define PRIORITY_ECDSA                                                                             \
	PRIORITY ":-SIGN-ALL:+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SECP384R1-SHA384"            \
		 ":+SIGN-ECDSA-SECP521R1-SHA512:+SIGN-ECDSA-SHA256:+SIGN-ECDSA-SHA384"             \
		 ":+SIGN-ECDSA-SHA512:+SIGN-ECDSA-SHA1:-KX-ALL:+ECDHE-ECDSA"

/* The priority string for @key_type; a restriction that cannot be set is an error, never dropped. */
static int set_priority(gnutls_session_t s, mailcert_key_type key_type)
{
	switch (key_type) {
	case MAILCERT_KEY_RSA:
		return gnutls_priority_set_direct(s, PRIORITY_RSA, NULL) < 0 ? -1 : 0;
	case MAILCERT_KEY_ECDSA:
		return gnutls_priority_set_direct(s, PRIORITY_ECDSA, NULL) < 0 ? -1 : 0;
	default:
		if (gnutls_priority_set_direct(s, PRIORITY, NULL) < 0 &&
		    gnutls_set_default_priority(s) < 0)
			return -1;
		return 0;
	}
}

struct transport {
	int fd;
	struct mc_tls_first *first;
};

/* recv(), keeping a copy of the first bytes for diagnosis. */
static ssize_t pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct transport *t = ptr;
	ssize_t n = recv(t->fd, buf, len, 0);

	if (n > 0 && t->first && t->first->len < sizeof(t->first->bytes)) {
		size_t room = sizeof(t->first->bytes) - t->first->len;
		size_t k = (size_t)n < room ? (size_t)n : room;

		memcpy(t->first->bytes + t->first->len, buf, k);
		t->first->len += k;
	}
	return n;
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	return send(((struct transport *)ptr)->fd, buf, len, MSG_NOSIGNAL);
}

struct mc_tls {
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	struct transport transport;
	unsigned char *sct; /* the server's SCT list extension, when it sent one */
	size_t sct_len;
};

/*
 * RFC 6962 §3.3: a client asks for SCTs with an empty
 * signed_certificate_timestamp extension; a TLS 1.2 server answers with
 * the list in its ServerHello. (TLS 1.3 puts it in the Certificate
 * message's entries, which GnuTLS 3.7 does not hand to extensions.)
 */
#define EXT_SCT 18

static int sct_send(gnutls_session_t s, gnutls_buffer_t data)
{
	(void)s;
	(void)data;
	return GNUTLS_E_INT_RET_0; /* sent, empty */
}

static int sct_recv(gnutls_session_t s, const unsigned char *data, size_t len)
{
	struct mc_tls *t = gnutls_session_get_ptr(s);

	if (t->sct || len == 0 || len > 65535)
		return 0; /* judged as absent; the list's own length field is 16 bits */
	t->sct = malloc(len);
	if (!t->sct)
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(t->sct, data, len);
	t->sct_len = len;
	return 0;
}

static int collect(const struct mc_tls *t, mailcert_observation *obs)
{
	gnutls_session_t s = t->s;
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(s, &n);
	gnutls_datum_t resp;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		rc = mc_observation_add_cert(obs, peers[i].data, peers[i].size);
		if (rc < 0)
			return rc;
	}
	for (unsigned i = 0; gnutls_ocsp_status_request_get2(s, i, &resp) == 0; i++) {
		rc = mc_observation_add_ocsp(obs, resp.data, resp.size);
		if (rc < 0)
			return rc;
	}
	if (t->sct && (rc = mc_observation_set_sct_tls(obs, t->sct, t->sct_len)) < 0)
		return rc;
	{
		gnutls_datum_t alpn = {0};
		char alpn_text[256] = "";

		if (gnutls_alpn_get_selected_protocol(s, &alpn) == 0)
			mc_quote(alpn_text, sizeof(alpn_text), alpn.data, alpn.size, 64);
		return mc_observation_set_tls(obs,
					      gnutls_protocol_get_name(gnutls_protocol_get_version(s)),
					      gnutls_ciphersuite_get(s), alpn_text[0] ? alpn_text : NULL);
	}
}

static void fail_handshake(gnutls_session_t s, int rc, mailcert_observation *obs)
{
	if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED || rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		mc_observation_fail(obs, "tls.handshake", "TLS handshake failed: the server sent the alert \"%s\"",
				    gnutls_alert_get_name(gnutls_alert_get(s)));
	else
		mc_observation_fail(obs, "tls.handshake", "TLS handshake failed: %s",
				    gnutls_strerror(rc));
}

static void timeout(mailcert_observation *obs)
{
	mc_observation_fail(obs, "timeout", "the TLS handshake did not finish within the timeout");
}

struct mc_tls *mc_tls_new(int fd, const char *sni, const char *alpn, mailcert_key_type key_type,
			  struct mc_tls_first *first)
{
	gnutls_datum_t alpn_datum = {(unsigned char *)alpn, alpn ? (unsigned)strlen(alpn) : 0};
	struct mc_tls *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->transport.fd = fd;
	t->transport.first = first;
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0)
		goto fail;
	if (gnutls_init(&t->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0)
		goto fail;
	if (set_priority(t->s, key_type) < 0)
		goto fail;
	if (gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, t->cred) < 0)
		goto fail;
	if (sni && *sni && gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, sni, strlen(sni)) < 0)
		goto fail;
	if (alpn && gnutls_alpn_set_protocols(t->s, &alpn_datum, 1, 0) < 0)
		goto fail;
	gnutls_ocsp_status_request_enable_client(t->s, NULL, 0, NULL);
	gnutls_session_set_ptr(t->s, t);
	if (gnutls_session_ext_register(t->s, "signed_certificate_timestamp", EXT_SCT,
					GNUTLS_EXT_TLS, sct_recv, sct_send, NULL, NULL, NULL,
					GNUTLS_EXT_FLAG_TLS | GNUTLS_EXT_FLAG_CLIENT_HELLO |
					    GNUTLS_EXT_FLAG_TLS12_SERVER_HELLO) < 0)
		goto fail;
	gnutls_transport_set_ptr(t->s, &t->transport);
	gnutls_transport_set_pull_function(t->s, pull);
	gnutls_transport_set_push_function(t->s, push);
	return t;
fail:
	mc_tls_free(t);
	return NULL;
}

int mc_tls_step(struct mc_tls *t, int64_t deadline_ms, mailcert_observation *obs, short *events)
{
	int rc;

	do {
		rc = gnutls_handshake(t->s);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			if (mc_now_ms() >= deadline_ms) {
				timeout(obs);
				return 1;
			}
			*events = gnutls_record_get_direction(t->s) ? POLLOUT : POLLIN;
			return MC_TLS_AGAIN;
		}
		if (rc < 0 && gnutls_error_is_fatal(rc)) {
			fail_handshake(t->s, rc, obs);
			return 1;
		}
		if (rc < 0 && mc_now_ms() >= deadline_ms) {
			/* Non-fatal results (warning alerts) must not loop past the deadline. */
			timeout(obs);
			return 1;
		}
	} while (rc < 0);
	rc = collect(t, obs);
	/* A courtesy close_notify; the peer's answer is not awaited. */
	gnutls_bye(t->s, GNUTLS_SHUT_WR);
	return rc;
}

void mc_tls_free(struct mc_tls *t)
{
	if (!t)
		return;
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	free(t->sct);
	free(t);
}

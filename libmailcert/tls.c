/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <sys/socket.h>
#include <string.h>

#include "net.h"
#include "tls.h"

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

static int collect(gnutls_session_t s, mailcert_observation *obs)
{
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

static int handshake(gnutls_session_t s, int fd, int64_t deadline_ms, mailcert_observation *obs)
{
	int rc;

	do {
		rc = gnutls_handshake(s);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			short ev = gnutls_record_get_direction(s) ? POLLOUT : POLLIN;

			if (mc_net_wait(fd, ev, deadline_ms) != MC_NET_OK) {
				mc_observation_fail(obs, "timeout",
						    "the TLS handshake did not finish within the timeout");
				return 1;
			}
		} else if (rc < 0 && gnutls_error_is_fatal(rc)) {
			fail_handshake(s, rc, obs);
			return 1;
		} else if (rc < 0 && mc_now_ms() >= deadline_ms) {
			/* Non-fatal results (warning alerts) must not loop past the deadline. */
			mc_observation_fail(obs, "timeout",
					    "the TLS handshake did not finish within the timeout");
			return 1;
		}
	} while (rc < 0);
	return 0;
}

int mc_tls_handshake(int fd, const char *sni, const char *alpn, mailcert_key_type key_type,
		     int64_t deadline_ms, mailcert_observation *obs, struct mc_tls_first *first)
{
	gnutls_datum_t alpn_datum = {(unsigned char *)alpn, alpn ? (unsigned)strlen(alpn) : 0};
	struct transport transport = {.fd = fd, .first = first};
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	int rc = MAILCERT_E_NOMEM;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		goto out;
	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0)
		goto out;
	if (set_priority(s, key_type) < 0)
		goto out;
	if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		goto out;
	if (sni && *sni && gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni)) < 0)
		goto out;
	if (alpn && gnutls_alpn_set_protocols(s, &alpn_datum, 1, 0) < 0)
		goto out;
	gnutls_ocsp_status_request_enable_client(s, NULL, 0, NULL);
	gnutls_transport_set_ptr(s, &transport);
	gnutls_transport_set_pull_function(s, pull);
	gnutls_transport_set_push_function(s, push);

	rc = handshake(s, fd, deadline_ms, obs);
	if (rc == 0) {
		rc = collect(s, obs);
		/* A courtesy close_notify; the peer's answer is not awaited. */
		gnutls_bye(s, GNUTLS_SHUT_WR);
	}
out:
	if (s)
		gnutls_deinit(s);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	return rc;
}

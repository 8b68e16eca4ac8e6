/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/abstract.h>

#include "tlsd.h"

#define IO_TIMEOUT_MS 5000

struct mc_test_tlsd {
	int listen_fd, stop[2];
	pthread_t thread;
	gnutls_pcert_st *pcerts;
	unsigned npcerts;
	gnutls_privkey_t key;
	gnutls_certificate_credentials_t cred;
};

/* The chain as given, whatever the client asked for. */
static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
		    const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pcert,
		    unsigned *npcert, gnutls_privkey_t *key)
{
	struct mc_test_tlsd *s = gnutls_session_get_ptr(session);

	(void)req_ca_dn, (void)nreqs, (void)algos, (void)nalgos;
	*pcert = s->pcerts;
	*npcert = s->npcerts;
	*key = s->key;
	return 0;
}

static void serve(struct mc_test_tlsd *s, int fd)
{
	gnutls_session_t tls;
	char buf[256];
	int rc;

	if (gnutls_init(&tls, GNUTLS_SERVER) < 0)
		return;
	gnutls_session_set_ptr(tls, s);
	gnutls_set_default_priority(tls);
	gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE, s->cred);
	gnutls_transport_set_int(tls, fd);
	gnutls_handshake_set_timeout(tls, IO_TIMEOUT_MS);
	do {
		rc = gnutls_handshake(tls);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc == 0) {
		gnutls_record_set_timeout(tls, IO_TIMEOUT_MS);
		(void)gnutls_record_recv(tls, buf, sizeof(buf));
		gnutls_bye(tls, GNUTLS_SHUT_WR);
	}
	gnutls_deinit(tls);
}

static void *run(void *arg)
{
	struct mc_test_tlsd *s = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN},
				      {.fd = s->stop[0], .events = POLLIN}};
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(s, fd);
		close(fd);
	}
	return NULL;
}

static void release(struct mc_test_tlsd *s)
{
	for (unsigned i = 0; i < s->npcerts; i++)
		gnutls_pcert_deinit(&s->pcerts[i]);
	free(s->pcerts);
	if (s->key)
		gnutls_privkey_deinit(s->key);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop[0] >= 0) {
		close(s->stop[0]);
		close(s->stop[1]);
	}
	free(s);
}

int mc_test_tlsd_start(struct mc_test_tlsd **out, unsigned *port, const gnutls_datum_t *ders,
		       size_t n, gnutls_x509_privkey_t key)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	struct mc_test_tlsd *s = calloc(1, sizeof(*s));
	int rc = GNUTLS_E_MEMORY_ERROR;

	if (!s)
		return rc;
	s->listen_fd = s->stop[0] = s->stop[1] = -1;
	s->pcerts = calloc(n, sizeof(*s->pcerts));
	if (!s->pcerts)
		goto fail;
	for (; s->npcerts < n; s->npcerts++)
		if ((rc = gnutls_pcert_import_x509_raw(&s->pcerts[s->npcerts], &ders[s->npcerts],
						       GNUTLS_X509_FMT_DER, 0)) < 0)
			goto fail;
	if ((rc = gnutls_privkey_init(&s->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509(s->key, key, GNUTLS_PRIVKEY_IMPORT_COPY)) < 0 ||
	    (rc = gnutls_certificate_allocate_credentials(&s->cred)) < 0)
		goto fail;
	gnutls_certificate_set_retrieve_function2(s->cred, retrieve);
	rc = GNUTLS_E_FILE_ERROR;
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, 4) < 0 ||
	    getsockname(s->listen_fd, (struct sockaddr *)&sa, &len) < 0 ||
	    pipe2(s->stop, O_CLOEXEC) < 0 || pthread_create(&s->thread, NULL, run, s) != 0)
		goto fail;
	*port = ntohs(sa.sin_port);
	*out = s;
	return 0;
fail:
	release(s);
	return rc;
}

void mc_test_tlsd_stop(struct mc_test_tlsd *s)
{
	if (!s)
		return;
	(void)!write(s->stop[1], "x", 1);
	pthread_join(s->thread, NULL);
	release(s);
}

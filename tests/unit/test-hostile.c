/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hostile-server suite (issue 7, docs/design.md "STARTTLS rules every
 * dialogue obeys"): scripted servers on loopback, for every STARTTLS
 * protocol, doing what a man in the middle or a broken daemon does —
 * injecting after the go-ahead, stripping the upgrade, never ending a
 * line, sending 10 MB, one byte per second, silence, a reset in the
 * middle of the handshake, garbage or an alert instead of TLS — and real
 * GnuTLS servers sending absurd chains (100 certificates, a 64 KB
 * certificate, a loop, duplicates).
 *
 * Every case asserts the exact finding code and a key part of its message,
 * that nothing continues in plaintext (the mock records every byte the
 * client sent: after the go-ahead only a ClientHello or nothing, after a
 * refusal nothing), that mailcert_probe_run() returns within -t + 0.5 s of
 * wall time, and, for the floods, that the process's peak RSS grows by
 * less than 4 MB.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <mailcert/mailcert.h>

#include "../common/mockserver.h"
#include "../common/tlsd.h"
#include "fixture/fixture.h"

#define T_MS 1500      /* -t for most cases: small, so the suite stays fast */
#define T_DRIP_MS 2000 /* -t for one byte per second */
#define SLACK_S 0.5    /* the bound on overrunning -t; not to be loosened */
#define TEN_MB (10u * 1024 * 1024)
#define RSS_GROWTH_KB 4096
#define INJECTED "250 INJECTED\r\n"
#define DAY 86400

#define S(d)                                                                                       \
	{                                                                                          \
		MOCK_SEND, d, 0                                                                    \
	}
#define SB(d)                                                                                      \
	{                                                                                          \
		MOCK_SEND, d, sizeof(d) - 1                                                        \
	} /* binary: NULs included */
#define E(d)                                                                                       \
	{                                                                                          \
		MOCK_EXPECT, d, 0                                                                  \
	}
#define R(d)                                                                                       \
	{                                                                                          \
		MOCK_READ, d, sizeof(d) - 1                                                        \
	}
#define MARK                                                                                       \
	{                                                                                          \
		MOCK_MARK, NULL, 0                                                                 \
	}
#define END                                                                                        \
	{                                                                                          \
		MOCK_END, NULL, 0                                                                  \
	}

/* ---- every protocol's dialogue, as real servers speak it ---------- */

#define SMTP_GREET S("220 mx.test ESMTP Postfix (Debian/GNU)\r\n")
#define SMTP_EHLO E("EHLO mailcert.invalid")
#define SMTP_CAPS S("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n")
#define LMTP_EHLO E("LHLO mailcert.invalid")
#define LMTP_GREET S("220 mx.test Dovecot (Debian) LMTP ready\r\n")

#define IMAP_GREET S("* OK Dovecot (Debian) ready.\r\n")
#define IMAP_CAPA E("a001 CAPABILITY")
#define IMAP_CAPS                                                                                  \
	S("* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED\r\n"                              \
	  "a001 OK Pre-login capabilities listed, post-login capabilities have more.\r\n")
#define IMAP_STLS E("a002 STARTTLS")

#define POP3_GREET S("+OK Dovecot (Debian) ready.\r\n")
#define POP3_CAPA E("CAPA")
#define POP3_CAPS S("+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nSTLS\r\nSASL\r\n.\r\n")
#define POP3_STLS E("STLS")

#define SIEVE_CAPS_BEFORE                                                                          \
	"\"IMPLEMENTATION\" \"Dovecot (Debian) Pigeonhole\"\r\n\"SASL\" \"PLAIN\"\r\n"
#define SIEVE_READY "\"VERSION\" \"1.0\"\r\nOK \"Dovecot (Debian) ready.\"\r\n"
#define SIEVE_GREET S(SIEVE_CAPS_BEFORE "\"STARTTLS\"\r\n" SIEVE_READY)
#define SIEVE_STLS E("STARTTLS")

#define NNTP_GREET S("200 news.test InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n")
#define NNTP_CAPA E("CAPABILITIES")
#define NNTP_CAPS S("101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n")
#define NNTP_STLS E("STARTTLS")

#define FTP_GREET S("220 (vsFTPd 3.0.3)\r\n")
#define FTP_FEAT E("FEAT")
#define FTP_FEATS S("211-Features:\r\n AUTH TLS\r\n EPSV\r\n PBSZ\r\n PROT\r\n211 End\r\n")
#define FTP_AUTH E("AUTH TLS")

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define XMPP_OPEN                                                                                  \
	"<?xml version='1.0'?><stream:stream to='mail.test' version='1.0' xmlns='jabber:client' "  \
	"xmlns:stream='" NS_STREAMS "'>"
#define XMPPS_OPEN                                                                                 \
	"<?xml version='1.0'?><stream:stream to='mail.test' version='1.0' xmlns='jabber:server' "  \
	"xmlns:stream='" NS_STREAMS "'>"
#define XMPP_STARTTLS "<starttls xmlns='" NS_TLS "'/>"
#define XMPP_HDR                                                                                   \
	"<?xml version='1.0'?><stream:stream xmlns:stream='" NS_STREAMS "' id='f3f69e9b' "         \
	"from='mail.test' xmlns='jabber:client' version='1.0' xml:lang='en'>"
#define XMPPS_HDR                                                                                  \
	"<?xml version='1.0'?><stream:stream xmlns:stream='" NS_STREAMS "' id='48f3798e' "         \
	"xmlns='jabber:server' from='mail.test' xmlns:db='jabber:server:dialback' xml:lang='en' "  \
	"version='1.0' to=''>"
#define XMPP_FEATURES                                                                              \
	"<stream:features><starttls xmlns='" NS_TLS "'><required/></starttls></stream:features>"
#define XMPP_PROCEED "<proceed xmlns='" NS_TLS "'/>"

/* LDAPMessage { 1, ExtendedRequest { [0] "1.3.6.1.4.1.1466.20037" } }. */
#define LDAP_REQ                                                                                   \
	"\x30\x1d\x02\x01\x01\x77\x18\x80\x16"                                                     \
	"1.3.6.1.4.1.1466.20037"
#define LDAP_OK "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
#define PG_SSLREQ "\x00\x00\x00\x08\x04\xd2\x16\x2f"
#define PG_ERROR                                                                                   \
	"E\x00\x00\x00\x55SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0Fproc.c\0"     \
	"L362\0RInitProcess\0\0"
#define MYSQL_SSLREQ                                                                               \
	"\x20\x00\x00\x01\x01\x8a\x00\x00\x00\x00\x00\x01\x21"                                     \
	"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"

#define IRC_STLS E("STARTTLS")
#define IRC_GO ":irc.test 670 * :STARTTLS successful, go ahead with TLS handshake\r\n"

/* MariaDB 10.11's HandshakeV10, CLIENT_SSL set or not; built by mysql_greetings(). */
static char mysql_greet[128], mysql_greet_nossl[128];
static size_t mysql_greet_len;

static size_t mysql_greeting(char *buf, unsigned caps)
{
	static const char body[] = "\x0a"
				   "5.5.5-10.11.6-MariaDB-0+deb12u1\0"
				   "\x2a\x00\x00\x00"
				   "s3cr3t!!\0";
	static const char rest[] = "\x2d\x02\x00\xff\x81\x15\0\0\0\0\0\0\x1d\x00\x00\x00"
				   "0123456789ab\0mysql_native_password";
	size_t n = 4;

	memcpy(buf + n, body, sizeof(body) - 1);
	n += sizeof(body) - 1;
	buf[n++] = (char)(caps & 0xff);
	buf[n++] = (char)(caps >> 8);
	memcpy(buf + n, rest, sizeof(rest)); /* with its NUL */
	n += sizeof(rest);
	buf[0] = (char)(n - 4);
	buf[1] = buf[2] = buf[3] = 0;
	return n;
}

/*
 * One protocol: the dialogue up to the go-ahead (the client has just sent
 * the upgrade command), the go-ahead, what the client may send between
 * the go-ahead and its ClientHello (MySQL's SSLRequest), the client's
 * first words for protocols where the client speaks first, and where and
 * how a flood is sent.
 */
struct proto {
	const char *scheme;
	const struct mock_step *pre_go;
	const char *go;
	size_t go_len;
	const struct mock_step *post_go; /* the client's, after the go-ahead; may be NULL */
	const struct mock_step *first;   /* what the client says before the server; may be NULL */
	/* A never-ending line: sent after @first, @endless_prefix then 'x' forever. NULL: n/a. */
	const char *endless_prefix;
	const char *endless_code, *endless_part;
	/* 10 MB: after @big_pre, @big_head, then @big_line (a line prefix) + 'y'… + CRLF forever,
	 * or 'y' forever when @big_line is NULL (binary). */
	const struct mock_step *big_pre;
	const char *big_head;
	size_t big_head_len;
	const char *big_line;
	const char *big_code, *big_part;
	const char *silent_part; /* part of the timeout message of a silent server */
	const char *drip_part;   /* part of the timeout message of a one-byte-per-second go-ahead */
	/* What to drip when the go-ahead is one byte (PostgreSQL's 'S'): NULL, the go-ahead. */
	const char *drip;
	size_t drip_len;
};

static const struct mock_step smtp_go[] = {SMTP_GREET, SMTP_EHLO, SMTP_CAPS, E("STARTTLS"), END};
static const struct mock_step smtp_big[] = {SMTP_GREET, SMTP_EHLO, END};
static const struct mock_step lmtp_go[] = {LMTP_GREET, LMTP_EHLO, SMTP_CAPS, E("STARTTLS"), END};
static const struct mock_step lmtp_big[] = {LMTP_GREET, LMTP_EHLO, END};
static const struct mock_step imap_go[] = {IMAP_GREET, IMAP_CAPA, IMAP_CAPS, IMAP_STLS, END};
static const struct mock_step imap_big[] = {IMAP_GREET, IMAP_CAPA, END};
static const struct mock_step pop3_go[] = {POP3_GREET, POP3_CAPA, POP3_CAPS, POP3_STLS, END};
static const struct mock_step pop3_big[] = {POP3_GREET, POP3_CAPA, END};
static const struct mock_step sieve_go[] = {SIEVE_GREET, SIEVE_STLS, END};
static const struct mock_step none[] = {END};
static const struct mock_step nntp_go[] = {NNTP_GREET, NNTP_CAPA, NNTP_CAPS, NNTP_STLS, END};
static const struct mock_step nntp_big[] = {NNTP_GREET, NNTP_CAPA, END};
static const struct mock_step ftp_go[] = {FTP_GREET, FTP_FEAT, FTP_FEATS, FTP_AUTH, END};
static const struct mock_step ftp_big[] = {FTP_GREET, FTP_FEAT, END};
static const struct mock_step xmpp_first[] = {R(XMPP_OPEN), END};
static const struct mock_step xmpp_go[] = {R(XMPP_OPEN), S(XMPP_HDR XMPP_FEATURES),
					   R(XMPP_STARTTLS), END};
static const struct mock_step xmpp_big[] = {R(XMPP_OPEN), END};
static const struct mock_step xmpps_first[] = {R(XMPPS_OPEN), END};
static const struct mock_step xmpps_go[] = {R(XMPPS_OPEN), S(XMPPS_HDR XMPP_FEATURES),
					    R(XMPP_STARTTLS), END};
static const struct mock_step xmpps_big[] = {R(XMPPS_OPEN), END};
static const struct mock_step ldap_go[] = {R(LDAP_REQ), END};
static const struct mock_step pg_go[] = {R(PG_SSLREQ), END};
static const struct mock_step mysql_post[] = {R(MYSQL_SSLREQ), END};
static const struct mock_step irc_go[] = {IRC_STLS, END};

#define TOO_LONG "is longer than 2048 bytes"
#define TOO_MUCH "more than 65536 bytes before TLS"

/* Text protocols: the endless line goes in the first reply, the flood in whole lines. */
#define TEXT .endless_prefix = "", .endless_code = "protocol.unexpected", .endless_part = TOO_LONG
#define GREETS_FIRST .silent_part = "greeting"

static struct proto protos[] = {
    {.scheme = "smtp",
     .pre_go = smtp_go,
     .go = "220 2.0.0 Ready to start TLS\r\n",
     TEXT,
     .big_pre = smtp_big,
     .big_line = "250-",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH " (during its reply to EHLO)",
     GREETS_FIRST,
     .drip_part = "reply to STARTTLS"},
    {.scheme = "lmtp",
     .pre_go = lmtp_go,
     .go = "220 2.0.0 Begin TLS negotiation now.\r\n",
     TEXT,
     .big_pre = lmtp_big,
     .big_line = "250-",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH " (during its reply to LHLO)",
     GREETS_FIRST,
     .drip_part = "reply to STARTTLS"},
    {.scheme = "imap",
     .pre_go = imap_go,
     .go = "a002 OK Begin TLS negotiation now.\r\n",
     TEXT,
     .big_pre = imap_big,
     .big_line = "* OK ",
     .big_code = "protocol.unexpected",
     .big_part = "no tagged reply to CAPABILITY after 64 untagged lines",
     GREETS_FIRST,
     .drip_part = "reply to STARTTLS"},
    {.scheme = "pop3",
     .pre_go = pop3_go,
     .go = "+OK Begin TLS negotiation now.\r\n",
     TEXT,
     .big_pre = pop3_big,
     .big_head = "+OK\r\n",
     .big_line = "X-",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH " (during its reply to CAPA)",
     GREETS_FIRST,
     .drip_part = "reply to STLS"},
    {.scheme = "sieve",
     .pre_go = sieve_go,
     .go = "OK \"Begin TLS negotiation now.\"\r\n",
     TEXT,
     .big_pre = none,
     .big_line = "\"X\" \"",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH " (during its greeting)",
     GREETS_FIRST,
     .drip_part = "reply to STARTTLS"},
    {.scheme = "nntp",
     .pre_go = nntp_go,
     .go = "382 Begin TLS negotiation now\r\n",
     TEXT,
     .big_pre = nntp_big,
     .big_head = "101 Capability list:\r\n",
     .big_line = "X-",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH " (during its capability list)",
     GREETS_FIRST,
     .drip_part = "reply to STARTTLS"},
    {.scheme = "ftp",
     .pre_go = ftp_go,
     .go = "234 Proceed with negotiation.\r\n",
     TEXT,
     .big_pre = ftp_big,
     .big_head = "211-Features:\r\n",
     .big_line = " X",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH " (during its reply to FEAT)",
     GREETS_FIRST,
     .drip_part = "reply to AUTH TLS"},
    /* XML: an attribute value that never ends; a flood of sibling elements. */
    {.scheme = "xmpp",
     .pre_go = xmpp_go,
     .go = XMPP_PROCEED,
     .first = xmpp_first,
     .endless_prefix = XMPP_HDR "<stream:features><x a='",
     .endless_code = "protocol.unexpected",
     .endless_part = TOO_MUCH,
     .big_pre = xmpp_big,
     .big_head = XMPP_HDR "<stream:features>",
     .big_line = "<x/>",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH,
     .silent_part = "stream header and features",
     .drip_part = "reply to <starttls/>"},
    {.scheme = "xmpp-server",
     .pre_go = xmpps_go,
     .go = XMPP_PROCEED,
     .first = xmpps_first,
     .endless_prefix = XMPPS_HDR "<stream:features><x a='",
     .endless_code = "protocol.unexpected",
     .endless_part = TOO_MUCH,
     .big_pre = xmpps_big,
     .big_head = XMPPS_HDR "<stream:features>",
     .big_line = "<x/>",
     .big_code = "protocol.unexpected",
     .big_part = TOO_MUCH,
     .silent_part = "stream header and features",
     .drip_part = "reply to <starttls/>"},
    /* Binary: no lines; the 10 MB case is one message whose length says 10 MB. */
    {.scheme = "ldap",
     .pre_go = ldap_go,
     .go = LDAP_OK,
     .go_len = sizeof(LDAP_OK) - 1,
     .first = ldap_go,
     .big_pre = ldap_go,
     .big_head = "\x30\x84\x00\xa0\x00\x00",
     .big_head_len = 6,
     .big_code = "protocol.unexpected",
     .big_part = "has a length that is indefinite or beyond 8192 bytes",
     .silent_part = "reply to StartTLS",
     .drip_part = "reply to StartTLS"},
    {.scheme = "postgres",
     .pre_go = pg_go,
     .go = "S",
     .go_len = 1,
     .first = pg_go,
     .big_pre = pg_go,
     .big_head = "E\x00\xa0\x00\x00",
     .big_head_len = 5,
     .big_code = "protocol.unexpected",
     .big_part = "announces 10485760 bytes (5 to 8191 are possible)",
     .silent_part = "reply to SSLRequest",
     .drip_part = "reply to SSLRequest",
     .drip = PG_ERROR,
     .drip_len = sizeof(PG_ERROR) - 1},
    /* MySQL: the greeting is the go-ahead; the SSLRequest follows it, then the ClientHello. */
    {.scheme = "mysql",
     .pre_go = none,
     .go = mysql_greet,
     .post_go = mysql_post,
     .big_pre = none,
     .big_head = "\xff\xff\xff\x00",
     .big_head_len = 4,
     .big_code = "protocol.unexpected",
     .big_part = "announces a packet of 16777215 bytes (1 to 8188 are possible)",
     GREETS_FIRST,
     .drip_part = "greeting"},
    {.scheme = "irc",
     .pre_go = irc_go,
     .go = IRC_GO,
     .first = irc_go,
     TEXT,
     .big_pre = irc_go,
     .big_line = ":irc.test NOTICE * :",
     .big_code = "protocol.unexpected",
     .big_part = "no reply to STARTTLS after 64 lines",
     .silent_part = "reply to STARTTLS",
     .drip_part = "reply to STARTTLS"},
};

#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

static void mysql_greetings(void)
{
	mysql_greet_len = mysql_greeting(mysql_greet, 0xfffe);
	mysql_greeting(mysql_greet_nossl, 0xfffe & ~0x0800);
	for (size_t i = 0; i < NPROTOS; i++)
		if (protos[i].go == mysql_greet)
			protos[i].go_len = mysql_greet_len;
}

/* ---- running one case ---------------------------------------------- */

/* A script assembled from pieces; it must outlive the server. */
struct script {
	struct mock_step s[64];
	size_t n;
};

static void add(struct script *sc, const struct mock_step *steps)
{
	for (; steps && steps->op != MOCK_END; steps++) {
		ck_assert_uint_lt(sc->n, 63);
		sc->s[sc->n++] = *steps;
	}
}

static void add1(struct script *sc, enum mock_op op, const char *data, size_t len)
{
	const struct mock_step step[] = {{op, data, len}, END};

	add(sc, step);
}

enum after {
	AFTER_NOTHING,      /* after the mark, the client sends nothing */
	AFTER_CLIENT_HELLO, /* nothing, or a TLS record (a ClientHello) */
};

struct outcome {
	double wall_s;
	long rss_growth_kb;
	struct mock_capture cap;
};

static long max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Runs @steps (END added) against a probe of @scheme with -t @timeout_ms
 * and asserts the failure @code with @part in its message, the time bound,
 * and what the client sent after the script's MOCK_MARK.
 */
static void run_case(const char *what, const char *scheme, struct script *sc, unsigned timeout_ms,
		     const char *code, const char *part, enum after after, struct outcome *o)
{
	static struct mock_capture cap; /* 64 KB: not on the stack */
	mailcert_target *t = NULL;
	mailcert_probe *p = NULL;
	mailcert_observation *obs = NULL;
	struct mock_server *m;
	const char *got, *msg = NULL;
	char url[128], err[256], line[512];
	unsigned port;
	long rss0;
	double t0, wall;
	int failed;

	add1(sc, MOCK_END, NULL, 0);
	m = mock_start(sc->s, &port);
	ck_assert_ptr_nonnull(m);
	snprintf(url, sizeof(url), "%s://mail.test:%u", scheme, port);
	ck_assert_msg(mailcert_target_parse(&t, url, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	ck_assert_int_eq(mailcert_probe_set_connect_to(p, "127.0.0.1"), 0);
	ck_assert_int_eq(mailcert_probe_set_timeout_ms(p, timeout_ms), 0);

	rss0 = max_rss_kb();
	t0 = now_s();
	ck_assert_int_eq(mailcert_probe_run(p, &obs), 0);
	wall = now_s() - t0;

	got = mailcert_observation_failure(obs, &msg);
	ck_assert_msg(got && strcmp(got, code) == 0, "%s %s: want %s, got %s: %s", scheme, what,
		      code, got ? got : "none", got ? msg : "");
	ck_assert_msg(strstr(msg, part), "%s %s: message \"%s\" lacks \"%s\"", scheme, what, msg,
		      part);
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 0);
	ck_assert_msg(wall <= timeout_ms / 1000.0 + SLACK_S, "%s %s: took %.3f s with -t %.1f",
		      scheme, what, wall, timeout_ms / 1000.0);
	mailcert_observation_free(obs);
	mailcert_probe_free(p);
	mailcert_target_free(t);

	failed = mock_stop_capture(m, line, sizeof(line), &cap);
	ck_assert_msg(failed == 0, "%s %s: script step %d failed, last line \"%s\"", scheme, what,
		      failed, line);
	/* Rule 2: nothing in plaintext after the mark. */
	if (after == AFTER_NOTHING)
		ck_assert_msg(cap.total == cap.mark,
			      "%s %s: the client sent %zu bytes after the server's last words "
			      "(first 0x%02x)",
			      scheme, what, cap.total - cap.mark,
			      cap.mark < cap.len ? cap.bytes[cap.mark] : 0);
	else
		ck_assert_msg(cap.total == cap.mark ||
				  (cap.mark < cap.len && cap.bytes[cap.mark] == 0x16),
			      "%s %s: after the go-ahead the client sent 0x%02x, not a ClientHello",
			      scheme, what, cap.mark < cap.len ? cap.bytes[cap.mark] : 0);
	if (o) {
		o->wall_s = wall;
		o->rss_growth_kb = max_rss_kb() - rss0;
	}
}

/* The dialogue up to the go-ahead, and the go-ahead. */
static void go_then(struct script *sc, const struct proto *pr)
{
	add(sc, pr->pre_go);
	add1(sc, MOCK_SEND, pr->go, pr->go_len);
}

/* ---- per-protocol cases ------------------------------------------- */

/* Rule 1: a byte after the go-ahead ends the check; the client sends nothing more. */
START_TEST(test_injection)
{
	const struct proto *pr = &protos[_i];
	static char go[256];
	struct script sc = {.n = 0};
	size_t len = pr->go_len ? pr->go_len : strlen(pr->go);

	/* Go-ahead and injection in one segment, as a man in the middle sends them. */
	memcpy(go, pr->go, len);
	memcpy(go + len, INJECTED, strlen(INJECTED));
	add(&sc, pr->pre_go);
	add1(&sc, MOCK_SEND, go, len + strlen(INJECTED));
	add1(&sc, MOCK_MARK, NULL, 0);
	run_case("injection", pr->scheme, &sc, T_MS, "starttls.injection",
		 "before TLS (response injection): \"250 INJECTED\\x0d\\x0a\"", AFTER_NOTHING,
		 NULL);
}
END_TEST

/* Rule 4: a line that never ends. */
START_TEST(test_endless_line)
{
	const struct proto *pr = &protos[_i];
	struct script sc = {.n = 0};
	struct outcome o;

	if (!pr->endless_prefix)
		return; /* binary framing: see test_big_reply */
	add(&sc, pr->first);
	add1(&sc, MOCK_MARK, NULL, 0);
	if (*pr->endless_prefix)
		add1(&sc, MOCK_SEND, pr->endless_prefix, 0);
	add1(&sc, MOCK_FLOOD, "x", TEN_MB);
	run_case("endless line", pr->scheme, &sc, T_MS, pr->endless_code, pr->endless_part,
		 AFTER_NOTHING, &o);
	ck_assert_msg(o.rss_growth_kb < RSS_GROWTH_KB, "%s: peak RSS grew by %ld kB", pr->scheme,
		      o.rss_growth_kb);
}
END_TEST

/* Rule 4: a 10 MB reply, in whole lines (or one binary message that claims 10 MB). */
START_TEST(test_big_reply)
{
	const struct proto *pr = &protos[_i];
	static char unit[1001];
	struct script sc = {.n = 0};
	struct outcome o;

	add(&sc, pr->big_pre);
	add1(&sc, MOCK_MARK, NULL, 0);
	if (pr->big_head) /* big_head_len 0: a string */
		add1(&sc, MOCK_SEND, pr->big_head, pr->big_head_len);
	if (pr->big_line) {
		size_t n = strlen(pr->big_line);

		memcpy(unit, pr->big_line, n);
		memset(unit + n, 'y', 998 - n);
		/* A quoted string (ManageSieve) is closed on the same line. */
		if (pr->big_line[n - 1] == '"')
			unit[997] = '"';
		memcpy(unit + 998, "\r\n", 3);
	} else {
		strcpy(unit, "y");
	}
	add1(&sc, MOCK_FLOOD, unit, TEN_MB);
	run_case("10 MB reply", pr->scheme, &sc, T_MS, pr->big_code, pr->big_part, AFTER_NOTHING,
		 &o);
	ck_assert_msg(o.rss_growth_kb < RSS_GROWTH_KB, "%s: peak RSS grew by %ld kB", pr->scheme,
		      o.rss_growth_kb);
}
END_TEST

/* Rule 4: the go-ahead at one byte per second meets the deadline. */
START_TEST(test_one_byte_per_second)
{
	const struct proto *pr = &protos[_i];
	struct script sc = {.n = 0};
	char part[160];

	add(&sc, pr->pre_go);
	add1(&sc, MOCK_MARK, NULL, 0);
	if (pr->drip)
		add1(&sc, MOCK_DRIP, pr->drip, pr->drip_len);
	else
		add1(&sc, MOCK_DRIP, pr->go, pr->go_len);
	snprintf(part, sizeof(part), "no %s from the %s server within the timeout of %.1f s",
		 pr->drip_part, pr->scheme, T_DRIP_MS / 1000.0);
	run_case("one byte per second", pr->scheme, &sc, T_DRIP_MS, "timeout", part, AFTER_NOTHING,
		 NULL);
}
END_TEST

/* Accept and stay silent: a timeout, and at most a ClientHello to tell an implicit-TLS port. */
START_TEST(test_silent)
{
	const struct proto *pr = &protos[_i];
	struct script sc = {.n = 0};
	char part[160];

	add(&sc, pr->first);
	add1(&sc, MOCK_MARK, NULL, 0);
	add1(&sc, MOCK_SLEEP, NULL, 10000);
	snprintf(part, sizeof(part), "no %s from the %s server within the timeout of %.1f s",
		 pr->silent_part, pr->scheme, T_MS / 1000.0);
	run_case("silent", pr->scheme, &sc, T_MS, "timeout", part, AFTER_CLIENT_HELLO, NULL);
}
END_TEST

/* The server resets the connection once it has the ClientHello. */
START_TEST(test_reset_in_handshake)
{
	const struct proto *pr = &protos[_i];
	struct script sc = {.n = 0};

	go_then(&sc, pr);
	add(&sc, pr->post_go);
	add1(&sc, MOCK_MARK, NULL, 0);
	add1(&sc, MOCK_RECV, NULL, 0);
	add1(&sc, MOCK_RESET, NULL, 0);
	run_case("reset", pr->scheme, &sc, T_MS, "tls.handshake",
		 "TLS handshake failed: Error in the pull function.", AFTER_CLIENT_HELLO, NULL);
}
END_TEST

START_TEST(test_garbage_instead_of_tls)
{
	const struct proto *pr = &protos[_i];
	struct script sc = {.n = 0};

	go_then(&sc, pr);
	add(&sc, pr->post_go);
	add1(&sc, MOCK_MARK, NULL, 0);
	add1(&sc, MOCK_RECV, NULL, 0);
	add1(&sc, MOCK_SEND, "250 this is not TLS at all\r\n", 0);
	run_case("garbage", pr->scheme, &sc, T_MS, "tls.handshake",
		 "TLS handshake failed: An unexpected TLS packet was received.", AFTER_CLIENT_HELLO,
		 NULL);
}
END_TEST

START_TEST(test_tls_alert)
{
	/* A fatal handshake_failure alert record (RFC 8446 section 6). */
	static const char alert[] = "\x15\x03\x03\x00\x02\x02\x28";
	const struct proto *pr = &protos[_i];
	struct script sc = {.n = 0};

	go_then(&sc, pr);
	add(&sc, pr->post_go);
	add1(&sc, MOCK_MARK, NULL, 0);
	add1(&sc, MOCK_RECV, NULL, 0);
	add1(&sc, MOCK_SEND, alert, 7);
	run_case("alert", pr->scheme, &sc, T_MS, "tls.handshake",
		 "the server sent the alert \"Handshake failed\"", AFTER_CLIENT_HELLO, NULL);
}
END_TEST

/* ---- stripping: every way of not upgrading ends the check --------- */

struct strip {
	const char *scheme, *name;
	const struct mock_step steps[8]; /* ends with the server's last words; MARK is added */
	const char *code, *part;
};

#define LDAP_UNAVAILABLE "\x30\x1b\x02\x01\x01\x78\x16\x0a\x01\x34\x04\x00\x04\x0funavailable now"
#define LDAP_WRONG_ID "\x30\x0c\x02\x01\x02\x78\x07\x0a\x01\x00\x04\x00\x04\x00"
#define MYSQL_ERR                                                                                  \
	"\x44\x00\x00\x00\xff\x6a\x04Host '127.0.0.1' is not allowed to connect to this MariaDB "  \
	"server"

static const struct strip strips[] = {
    /* SMTP */
    {"smtp",
     "not offered",
     {SMTP_GREET, SMTP_EHLO, S("250-mx.test\r\n250 SIZE 10240000\r\n")},
     "starttls.not-offered",
     "did not advertise STARTTLS in its reply to EHLO; its keywords: \"SIZE\""},
    {"smtp",
     "tampered capabilities",
     {SMTP_GREET, SMTP_EHLO,
      S("250-mx.test\r\n250-XSTARTTLS\r\n250-STARTTLSX\r\n250 NO-STARTTLS\r\n")},
     "starttls.not-offered",
     "XSTARTTLS"},
    {"smtp",
     "refused",
     {SMTP_GREET, SMTP_EHLO, SMTP_CAPS, E("STARTTLS"), S("454 4.7.0 TLS not available\r\n")},
     "starttls.refused",
     "454 4.7.0 TLS not available"},
    {"smtp",
     "odd reply",
     {SMTP_GREET, SMTP_EHLO, SMTP_CAPS, E("STARTTLS"), S("250 2.0.0 Ok\r\n")},
     "starttls.refused",
     "250 2.0.0 Ok"},
    {"smtp",
     "greeting refused",
     {S("554 5.3.2 mx.test no service here\r\n")},
     "protocol.unexpected",
     "554 5.3.2 mx.test no service here"},
    {"smtp",
     "EHLO refused",
     {SMTP_GREET, SMTP_EHLO, S("550 5.7.1 EHLO denied\r\n")},
     "protocol.unexpected",
     "550 5.7.1 EHLO denied"},
    /* LMTP */
    {"lmtp",
     "not offered",
     {LMTP_GREET, LMTP_EHLO, S("250-mx.test\r\n250 8BITMIME\r\n")},
     "starttls.not-offered",
     "8BITMIME"},
    {"lmtp",
     "refused",
     {LMTP_GREET, LMTP_EHLO, SMTP_CAPS, E("STARTTLS"), S("502 5.5.1 Unknown command\r\n")},
     "starttls.refused",
     "502 5.5.1 Unknown command"},
    {"lmtp",
     "LHLO refused",
     {LMTP_GREET, LMTP_EHLO, S("500 5.5.1 Unknown command\r\n")},
     "protocol.unexpected",
     "500 5.5.1 Unknown command"},
    /* IMAP */
    {"imap",
     "not offered",
     {IMAP_GREET, IMAP_CAPA, S("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na001 OK done\r\n")},
     "starttls.not-offered",
     "IMAP4rev1 AUTH=PLAIN"},
    {"imap",
     "tampered capabilities",
     {S("* OK [CAPABILITY IMAP4rev1 NOSTARTTLS STARTTLS2 AUTH=STARTTLS] ready\r\n")},
     "starttls.not-offered",
     "NOSTARTTLS STARTTLS2 AUTH=STARTTLS"},
    {"imap",
     "refused",
     {IMAP_GREET, IMAP_CAPA, IMAP_CAPS, IMAP_STLS, S("a002 NO [UNAVAILABLE] TLS not ready\r\n")},
     "starttls.refused",
     "a002 NO [UNAVAILABLE] TLS not ready"},
    {"imap",
     "BAD",
     {IMAP_GREET, IMAP_CAPA, IMAP_CAPS, IMAP_STLS, S("a002 BAD Unknown command\r\n")},
     "starttls.refused",
     "a002 BAD Unknown command"},
    {"imap",
     "PREAUTH",
     {S("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as root\r\n")},
     "starttls.preauth",
     "the server greeted with PREAUTH"},
    {"imap",
     "greeting BYE",
     {S("* BYE Too many connections\r\n")},
     "protocol.unexpected",
     "* BYE Too many connections"},
    /* POP3 */
    {"pop3",
     "not offered",
     {POP3_GREET, POP3_CAPA, S("+OK\r\nTOP\r\nUSER\r\n.\r\n")},
     "starttls.not-offered",
     "TOP USER"},
    {"pop3",
     "tampered capabilities",
     {POP3_GREET, POP3_CAPA, S("+OK\r\nSTLSX\r\n..STLS\r\nSASL PLAIN STLS\r\n.\r\n")},
     "starttls.not-offered",
     "STLSX .STLS SASL"},
    {"pop3",
     "no CAPA",
     {POP3_GREET, POP3_CAPA, S("-ERR Unknown command.\r\n")},
     "starttls.not-offered",
     "--force-starttls sends STLS anyway"},
    {"pop3",
     "refused",
     {POP3_GREET, POP3_CAPA, POP3_CAPS, POP3_STLS, S("-ERR [SYS/TEMP] TLS unavailable\r\n")},
     "starttls.refused",
     "-ERR [SYS/TEMP] TLS unavailable"},
    {"pop3",
     "greeting refused",
     {S("-ERR [SYS/PERM] Too many connections\r\n")},
     "protocol.unexpected",
     "-ERR [SYS/PERM] Too many connections"},
    /* ManageSieve */
    {"sieve",
     "not offered",
     {S(SIEVE_CAPS_BEFORE SIEVE_READY)},
     "starttls.not-offered",
     "IMPLEMENTATION SASL VERSION"},
    {"sieve",
     "tampered capabilities",
     {S("\"SIEVE\" \"STARTTLS\"\r\n\"X\" \"\\\"STARTTLS\\\"\"\r\nOK\r\n")},
     "starttls.not-offered",
     "SIEVE X"},
    {"sieve",
     "refused",
     {SIEVE_GREET, SIEVE_STLS, S("NO \"TLS unavailable\"\r\n")},
     "starttls.refused",
     "NO \\\"TLS unavailable\\\""},
    {"sieve",
     "greeting BYE",
     {S("BYE \"Too many connections\"\r\n")},
     "protocol.unexpected",
     "BYE \\\"Too many connections\\\""},
    /* NNTP */
    {"nntp",
     "not offered",
     {NNTP_GREET, NNTP_CAPA, S("101 caps\r\nVERSION 2\r\nREADER\r\n.\r\n")},
     "starttls.not-offered",
     "VERSION READER"},
    {"nntp",
     "tampered capabilities",
     {NNTP_GREET, NNTP_CAPA, S("101 caps\r\nSTARTTLS2\r\nX-STARTTLS\r\nLIST STARTTLS\r\n.\r\n")},
     "starttls.not-offered",
     "STARTTLS2 X-STARTTLS LIST"},
    {"nntp",
     "CAPABILITIES refused",
     {NNTP_GREET, NNTP_CAPA, S("500 What?\r\n")},
     "starttls.not-offered",
     "500 What?"},
    {"nntp",
     "refused",
     {NNTP_GREET, NNTP_CAPA, NNTP_CAPS, NNTP_STLS, S("580 Can not initiate TLS\r\n")},
     "starttls.refused",
     "580 Can not initiate TLS"},
    {"nntp",
     "greeting refused",
     {S("400 Service temporarily unavailable\r\n")},
     "protocol.unexpected",
     "400 Service temporarily unavailable"},
    /* FTP */
    {"ftp",
     "not offered",
     {FTP_GREET, FTP_FEAT, S("211-Features:\r\n EPSV\r\n PASV\r\n211 End\r\n")},
     "starttls.not-offered",
     "its features: \"EPSV, PASV\""},
    {"ftp",
     "tampered capabilities",
     {FTP_GREET, FTP_FEAT, S("211-Features:\r\n AUTHTLS\r\n TLS\r\n AUTH SSL\r\n211 End\r\n")},
     "starttls.not-offered",
     "AUTHTLS"},
    {"ftp",
     "refused",
     {FTP_GREET, FTP_FEAT, FTP_FEATS, FTP_AUTH, S("534 Policy denied\r\n")},
     "starttls.refused",
     "534 Policy denied"},
    {"ftp",
     "greeting refused",
     {S("421 Too many users\r\n")},
     "protocol.unexpected",
     "421 Too many users"},
    /* XMPP */
    {"xmpp",
     "not offered",
     {R(XMPP_OPEN), S(XMPP_HDR "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
			       "</stream:features>")},
     "starttls.not-offered",
     "bind"},
    {"xmpp",
     "tampered capabilities",
     {R(XMPP_OPEN), S(XMPP_HDR "<stream:features><starttls xmlns='urn:example:not-tls'/>"
			       "</stream:features>")},
     "starttls.not-offered",
     "starttls"},
    {"xmpp",
     "refused",
     {R(XMPP_OPEN), S(XMPP_HDR XMPP_FEATURES), R(XMPP_STARTTLS),
      S("<failure xmlns='" NS_TLS "'/></stream:stream>")},
     "starttls.refused",
     "the server answered <starttls/> with <failure/>"},
    {"xmpp",
     "stream error",
     {R(XMPP_OPEN), S(XMPP_HDR "<stream:error><host-unknown "
			       "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
			       "</stream:stream>")},
     "protocol.unexpected",
     "host-unknown"},
    {"xmpp-server",
     "not offered",
     {R(XMPPS_OPEN), S(XMPPS_HDR "<stream:features><dialback "
				 "xmlns='urn:xmpp:features:dialback'/></stream:features>")},
     "starttls.not-offered",
     "dialback"},
    {"xmpp-server",
     "refused",
     {R(XMPPS_OPEN), S(XMPPS_HDR XMPP_FEATURES), R(XMPP_STARTTLS),
      S("<failure xmlns='" NS_TLS "'/></stream:stream>")},
     "starttls.refused",
     "the server answered <starttls/> with <failure/>"},
    /* LDAP */
    {"ldap", "refused", {R(LDAP_REQ), SB(LDAP_UNAVAILABLE)}, "starttls.refused", "unavailable now"},
    {"ldap",
     "odd reply",
     {R(LDAP_REQ), SB(LDAP_WRONG_ID)},
     "protocol.unexpected",
     "has messageID 2, not 1"},
    /* PostgreSQL */
    {"postgres",
     "refused",
     {R(PG_SSLREQ), S("N")},
     "starttls.refused",
     "answered SSLRequest with 'N'"},
    {"postgres",
     "error",
     {R(PG_SSLREQ), SB(PG_ERROR)},
     "protocol.unexpected",
     "sorry, too many clients already"},
    /* MySQL: the greeting is the offer */
    {"mysql",
     "not offered",
     {{MOCK_SEND, mysql_greet_nossl, 0}},
     "starttls.not-offered",
     "10.11.6-MariaDB"},
    {"mysql",
     "greeting refused",
     {SB(MYSQL_ERR)},
     "protocol.unexpected",
     "Host '127.0.0.1' is not allowed"},
    /* IRC */
    {"irc",
     "refused",
     {IRC_STLS, S(":irc.test 691 * :STARTTLS failure\r\n")},
     "starttls.refused",
     ":irc.test 691 * :STARTTLS failure"},
    {"irc",
     "unknown command",
     {IRC_STLS, S(":irc.test 421 * STARTTLS :Unknown command\r\n")},
     "starttls.refused",
     "421 * STARTTLS :Unknown command"},
    {"irc",
     "ERROR",
     {IRC_STLS, S("ERROR :Closing link: (unknown@127.0.0.1)\r\n")},
     "protocol.unexpected",
     "ERROR :Closing link"},
};

#define NSTRIPS (sizeof(strips) / sizeof(strips[0]))

START_TEST(test_stripping)
{
	const struct strip *st = &strips[_i];
	struct script sc = {.n = 0};
	struct mock_step steps[8];

	memcpy(steps, st->steps, sizeof(steps));
	/* The MySQL greeting's length is only known at run time. */
	for (size_t k = 0; k < 8; k++)
		if (steps[k].data == mysql_greet_nossl)
			steps[k].len = mysql_greet_len;
	add(&sc, steps);
	add1(&sc, MOCK_MARK, NULL, 0);
	/* Rule 2: after a refusal, the client says nothing more. */
	run_case(st->name, st->scheme, &sc, T_MS, st->code, st->part, AFTER_NOTHING, NULL);
}
END_TEST

/* ---- TLS-level: absurd chains from a real GnuTLS server ----------- */

/* @n DER certificates served as they are, leaf key @key; then probed and evaluated. */
static mailcert_report *serve_and_evaluate(const gnutls_datum_t *ders, size_t n,
					   gnutls_x509_privkey_t key, const char *ca_path,
					   time_t now, mailcert_observation **obs_out)
{
	struct mc_test_tlsd *srv;
	mailcert_target *t;
	mailcert_probe *p;
	mailcert_observation *obs;
	mailcert_policy *policy;
	mailcert_report *report;
	unsigned port;
	char url[64];
	double t0, wall;

	ck_assert_int_eq(mc_test_tlsd_start(&srv, &port, ders, n, key), 0);
	snprintf(url, sizeof(url), "smtps://mail.test:%u", port);
	ck_assert_int_eq(mailcert_target_parse(&t, url, NULL, NULL, 0), 0);
	ck_assert_int_eq(mailcert_probe_new(&p, t), 0);
	ck_assert_int_eq(mailcert_probe_set_connect_to(p, "127.0.0.1"), 0);
	ck_assert_int_eq(mailcert_probe_set_timeout_ms(p, 5000), 0);
	t0 = now_s();
	ck_assert_int_eq(mailcert_probe_run(p, &obs), 0);
	wall = now_s() - t0;
	ck_assert_double_le(wall, 5.5);
	mailcert_probe_free(p);
	mailcert_target_free(t);
	mc_test_tlsd_stop(srv);

	ck_assert_int_eq(mailcert_policy_new(&policy), 0);
	if (ca_path)
		ck_assert_int_eq(mailcert_policy_add_ca_file(policy, ca_path, NULL, 0), 0);
	ck_assert_int_eq(mailcert_evaluate(&report, obs, policy, now), 0);
	mailcert_policy_free(policy);
	*obs_out = obs;
	return report;
}

/* The finding codes of @r, space-separated, in order. */
static void codes(const mailcert_report *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
					 mailcert_finding_code(f));
		ck_assert_uint_lt(used, len);
	}
}

static const char *message_of(const mailcert_report *r, const char *code)
{
	for (size_t i = 0; i < mailcert_report_finding_count(r); i++) {
		const mailcert_finding *f = mailcert_report_finding(r, i);

		if (strcmp(mailcert_finding_code(f), code) == 0)
			return mailcert_finding_message(f);
	}
	return "";
}

static void der(const struct mc_fixture_cert *c, gnutls_datum_t *out)
{
	ck_assert_int_eq(mc_fixture_cert_der(c, out), 0);
}

static char *ca_file(const struct mc_fixture_cert *root)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test-hostile-ca-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(mc_fixture_cert_append_pem(root, path), 0);
	return path;
}

static const char *const mail_test[] = {"mail.test", NULL};

/*
 * 100 certificates: mailcert keeps the first MC_MAX_CHAIN (32), evaluates
 * those, and says that the rest was dropped.
 */
START_TEST(test_chain_of_100)
{
	enum { N = 100 };
	time_t now = time(NULL);
	static struct mc_fixture_cert certs[N]; /* [0] root … [N-1] leaf */
	gnutls_datum_t ders[N];
	mailcert_observation *obs;
	mailcert_report *r;
	char *ca, got[512];

	for (int i = 0; i < N; i++) {
		struct mc_fixture_cert_spec spec = {.not_before = now - DAY,
						    .not_after = now + 90 * DAY};
		char cn[32];

		snprintf(cn, sizeof(cn), i == N - 1 ? "mail.test" : "Hostile CA %d", i);
		spec.cn = cn;
		spec.is_ca = i < N - 1;
		spec.issuer = i ? &certs[i - 1] : NULL;
		spec.dns = i == N - 1 ? mail_test : NULL;
		ck_assert_int_eq(mc_fixture_cert_make(&certs[i], &spec), 0);
	}
	for (int i = 0; i < N; i++) /* leaf first, as sent */
		der(&certs[N - 1 - i], &ders[i]);
	ca = ca_file(&certs[0]);
	r = serve_and_evaluate(ders, N, certs[N - 1].key, ca, now, &obs);
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 32);
	codes(r, got, sizeof(got));
	ck_assert_str_eq(got, "trust.untrusted chain.too-long");
	ck_assert_str_eq(message_of(r, "chain.too-long"),
			 "the server sent 100 certificates; mailcert kept the first 32 and judged "
			 "those; serve the leaf and its intermediates only");
	ck_assert_str_eq(
	    message_of(r, "trust.untrusted"),
	    "the chain ends at intermediate CN=Hostile CA 68, issued by CN=Hostile CA 67, "
	    "which the trust store does not have; if it is your own CA, trust it with "
	    "--ca-file");
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_CRITICAL);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	for (int i = 0; i < N; i++) {
		gnutls_free(ders[i].data);
		mc_fixture_cert_clear(&certs[i]);
	}
	unlink(ca);
}
END_TEST

static void sign(gnutls_datum_t *out, const char *subject_cn, gnutls_x509_privkey_t subject_key,
		 const char *issuer_cn, gnutls_x509_privkey_t issuer_key, int is_ca,
		 const char *dns, const gnutls_datum_t *san_der, time_t now, unsigned serial);
static gnutls_x509_privkey_t new_key(void);

/* A 64 KB leaf (2,900 DNS names): received whole, and evaluated like any other. */
START_TEST(test_64k_certificate)
{
	enum { NAMES = 2900 };
	time_t now = time(NULL);
	gnutls_x509_privkey_t kroot = new_key(), kleaf = new_key();
	static unsigned char san[NAMES * 32];
	gnutls_datum_t san_der = {san, 0}, ders[1], root_der;
	gnutls_x509_crt_t root;
	mailcert_observation *obs;
	mailcert_report *r;
	char ca[] = "/tmp/test-hostile-ca-XXXXXX", got[512];
	size_t n = 5, body;
	int fd;

	/* GeneralNames: SEQUENCE (long form, 3 length bytes) of dNSName [2] IA5String. */
	for (int i = 0; i < NAMES; i++) {
		char name[32];
		int len = i ? snprintf(name, sizeof(name), "host%05d.hostile.test", i)
			    : snprintf(name, sizeof(name), "mail.test");

		san[n++] = 0x82;
		san[n++] = (unsigned char)len;
		memcpy(san + n, name, (size_t)len);
		n += (size_t)len;
	}
	body = n - 5;
	san[0] = 0x30, san[1] = 0x83;
	san[2] = (unsigned char)(body >> 16), san[3] = (unsigned char)(body >> 8),
	san[4] = (unsigned char)body;
	san_der.size = (unsigned)n;
	sign(&root_der, "Hostile Root", kroot, "Hostile Root", kroot, 1, NULL, NULL, now, 10);
	sign(&ders[0], "mail.test", kleaf, "Hostile Root", kroot, 0, NULL, &san_der, now, 11);
	ck_assert_uint_ge(ders[0].size, 64 * 1024);

	/* The root in a CA file; the server sends the leaf alone. */
	ck_assert_int_eq(gnutls_x509_crt_init(&root), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(root, &root_der, GNUTLS_X509_FMT_DER), 0);
	{
		gnutls_datum_t pem;
		fd = mkstemp(ca);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(gnutls_x509_crt_export2(root, GNUTLS_X509_FMT_PEM, &pem), 0);
		ck_assert_int_eq(write(fd, pem.data, pem.size), (ssize_t)pem.size);
		close(fd);
		gnutls_free(pem.data);
	}
	r = serve_and_evaluate(ders, 1, kleaf, ca, now, &obs);
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 1);
	codes(r, got, sizeof(got));
	ck_assert_str_eq(got, "");
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_OK);
	ck_assert_str_eq(mailcert_report_matched_name(r), "mail.test");
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	gnutls_x509_crt_deinit(root);
	gnutls_free(ders[0].data);
	gnutls_free(root_der.data);
	gnutls_x509_privkey_deinit(kroot);
	gnutls_x509_privkey_deinit(kleaf);
	unlink(ca);
}
END_TEST

/*
 * A certificate signed by @issuer_key under the name CN=@issuer_cn, for
 * @subject_key: what mc_fixture_cert_make() cannot do, two CAs that
 * issued each other, or a subjectAltName of thousands of names in one go
 * (GnuTLS appends names one by one in quadratic time).
 */
static void sign(gnutls_datum_t *out, const char *subject_cn, gnutls_x509_privkey_t subject_key,
		 const char *issuer_cn, gnutls_x509_privkey_t issuer_key, int is_ca,
		 const char *dns, const gnutls_datum_t *san_der, time_t now, unsigned serial)
{
	gnutls_x509_crt_t crt, issuer;
	unsigned char sn[4] = {0x10, (unsigned char)(serial >> 16), (unsigned char)(serial >> 8),
			       (unsigned char)serial};

	/* The issuer as GnuTLS needs it: a certificate with its name and key. */
	ck_assert_int_eq(gnutls_x509_crt_init(&issuer), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(issuer, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn_by_oid(issuer, GNUTLS_OID_X520_COMMON_NAME, 0,
						       issuer_cn, strlen(issuer_cn)),
			 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(issuer, issuer_key), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(crt, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, sn, sizeof(sn)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
						       subject_cn, strlen(subject_cn)),
			 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(crt, subject_key), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(crt, now - DAY), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(crt, now + 90 * DAY), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_basic_constraints(crt, is_ca, -1), 0);
	if (is_ca)
		ck_assert_int_eq(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN |
									GNUTLS_KEY_CRL_SIGN),
				 0);
	if (dns)
		ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, dns,
								      strlen(dns), GNUTLS_FSAN_SET),
				 0);
	if (san_der) /* subjectAltName, encoded by the caller */
		ck_assert_int_eq(gnutls_x509_crt_set_extension_by_oid(
				     crt, "2.5.29.17", san_der->data, san_der->size, 0),
				 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, issuer, issuer_key, GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, out), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crt_deinit(issuer);
}

static gnutls_x509_privkey_t new_key(void)
{
	gnutls_x509_privkey_t k;

	ck_assert_int_eq(gnutls_x509_privkey_init(&k), 0);
	ck_assert_int_eq(
	    gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
	    0);
	return k;
}

/* A issued by B, B issued by A, the leaf by A: chain building must end. */
START_TEST(test_chain_loop)
{
	time_t now = time(NULL);
	gnutls_x509_privkey_t ka = new_key(), kb = new_key(), kleaf = new_key();
	struct mc_fixture_cert root = {0};
	const struct mc_fixture_cert_spec root_spec = {.cn = "Unrelated Root",
						       .is_ca = 1,
						       .not_before = now - DAY,
						       .not_after = now + 365 * DAY};
	gnutls_datum_t ders[5];
	mailcert_observation *obs;
	mailcert_report *r;
	char *ca, got[512];

	sign(&ders[0], "mail.test", kleaf, "Loop CA A", ka, 0, "mail.test", NULL, now, 1);
	sign(&ders[1], "Loop CA A", ka, "Loop CA B", kb, 1, NULL, NULL, now, 2);
	sign(&ders[2], "Loop CA B", kb, "Loop CA A", ka, 1, NULL, NULL, now, 3);
	/* Round the loop again. */
	ders[3] = ders[1];
	ders[4] = ders[2];
	ck_assert_int_eq(mc_fixture_cert_make(&root, &root_spec), 0);
	ca = ca_file(&root);
	r = serve_and_evaluate(ders, 5, kleaf, ca, now, &obs);
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 5);
	codes(r, got, sizeof(got));
	ck_assert_str_eq(got, "trust.untrusted");
	ck_assert_ptr_nonnull(
	    strstr(message_of(r, "trust.untrusted"),
		   "the chain ends at intermediate CN=Loop CA A, issued by CN=Loop CA B"));
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_CRITICAL);
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	for (int i = 0; i < 3; i++)
		gnutls_free(ders[i].data);
	gnutls_x509_privkey_deinit(ka);
	gnutls_x509_privkey_deinit(kb);
	gnutls_x509_privkey_deinit(kleaf);
	mc_fixture_cert_clear(&root);
	unlink(ca);
}
END_TEST

/* The leaf and the intermediate each sent three times. */
START_TEST(test_duplicate_certificates)
{
	time_t now = time(NULL);
	struct mc_fixture_cert root = {0}, inter = {0}, leaf = {0};
	const struct mc_fixture_cert_spec root_spec = {.cn = "Hostile Root",
						       .is_ca = 1,
						       .not_before = now - DAY,
						       .not_after = now + 365 * DAY};
	const struct mc_fixture_cert_spec inter_spec = {.cn = "Hostile Intermediate",
							.is_ca = 1,
							.issuer = &root,
							.not_before = now - DAY,
							.not_after = now + 300 * DAY};
	const struct mc_fixture_cert_spec leaf_spec = {.cn = "mail.test",
						       .dns = mail_test,
						       .issuer = &inter,
						       .not_before = now - DAY,
						       .not_after = now + 90 * DAY};
	gnutls_datum_t l, i, ders[6];
	mailcert_observation *obs;
	mailcert_report *r;
	char *ca, got[512];

	ck_assert_int_eq(mc_fixture_cert_make(&root, &root_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_make(&inter, &inter_spec), 0);
	ck_assert_int_eq(mc_fixture_cert_make(&leaf, &leaf_spec), 0);
	der(&leaf, &l);
	der(&inter, &i);
	ders[0] = l, ders[1] = i, ders[2] = i, ders[3] = l, ders[4] = i, ders[5] = l;
	ca = ca_file(&root);
	r = serve_and_evaluate(ders, 6, leaf.key, ca, now, &obs);
	ck_assert_uint_eq(mailcert_observation_chain_length(obs), 6);
	codes(r, got, sizeof(got));
	/* One finding per copy, each named for what it copies; trust and names are fine. */
	ck_assert_str_eq(got, "chain.extra chain.extra chain.extra chain.extra");
	ck_assert_str_eq(
	    mailcert_finding_message(mailcert_report_finding(r, 0)),
	    "the server sends intermediate CN=Hostile Intermediate twice, at positions "
	    "2 and 3; remove the copy from the chain file");
	ck_assert_str_eq(mailcert_finding_message(mailcert_report_finding(r, 1)),
			 "the server sends leaf CN=mail.test twice, at positions 1 and 4; "
			 "remove the copy from the chain file");
	ck_assert_int_eq(mailcert_report_state(r), MAILCERT_WARNING);
	ck_assert_str_eq(mailcert_report_matched_name(r), "mail.test");
	mailcert_report_free(r);
	mailcert_observation_free(obs);
	gnutls_free(l.data);
	gnutls_free(i.data);
	mc_fixture_cert_clear(&leaf);
	mc_fixture_cert_clear(&inter);
	mc_fixture_cert_clear(&root);
	unlink(ca);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *dialogue = tcase_create("dialogue"), *strip = tcase_create("stripping"),
	      *chains = tcase_create("chains");
	SRunner *sr;
	int failed;

	mysql_greetings();
	tcase_set_timeout(dialogue, 60);
	tcase_set_timeout(strip, 60);
	tcase_set_timeout(chains, 120);
	tcase_add_loop_test(dialogue, test_injection, 0, NPROTOS);
	tcase_add_loop_test(dialogue, test_endless_line, 0, NPROTOS);
	tcase_add_loop_test(dialogue, test_big_reply, 0, NPROTOS);
	tcase_add_loop_test(dialogue, test_one_byte_per_second, 0, NPROTOS);
	tcase_add_loop_test(dialogue, test_silent, 0, NPROTOS);
	tcase_add_loop_test(dialogue, test_reset_in_handshake, 0, NPROTOS);
	tcase_add_loop_test(dialogue, test_garbage_instead_of_tls, 0, NPROTOS);
	tcase_add_loop_test(dialogue, test_tls_alert, 0, NPROTOS);
	tcase_add_loop_test(strip, test_stripping, 0, NSTRIPS);
	tcase_add_test(chains, test_chain_of_100);
	tcase_add_test(chains, test_64k_certificate);
	tcase_add_test(chains, test_chain_loop);
	tcase_add_test(chains, test_duplicate_certificates);
	suite_add_tcase(s, dialogue);
	suite_add_tcase(s, strip);
	suite_add_tcase(s, chains);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

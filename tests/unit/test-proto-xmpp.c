/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The XMPP STARTTLS dialogue (RFC 6120 section 5), client and server
 * streams, against scripted servers (docs/design.md, "STARTTLS rules every
 * dialogue obeys"). Every transcript runs twice, each server turn in one
 * input call and then one byte per call, and must send the same bytes and
 * end the same way both times. The good transcripts are Prosody 0.12's
 * bytes, as captured on loopback.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "proto/dialogue.h"

#include "../common/script.h"

#define C2S MAILCERT_PROTO_XMPP
#define S2S MAILCERT_PROTO_XMPP_SERVER

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"

#define OPEN_C2S                                                                                   \
	"<?xml version='1.0'?><stream:stream to='mail.test' version='1.0' xmlns='jabber:client' "  \
	"xmlns:stream='" NS_STREAMS "'>"
#define OPEN_S2S                                                                                   \
	"<?xml version='1.0'?><stream:stream to='mail.test' version='1.0' xmlns='jabber:server' "  \
	"xmlns:stream='" NS_STREAMS "'>"
#define STARTTLS "<starttls xmlns='" NS_TLS "'/>"
#define SENT OPEN_C2S STARTTLS

/* Prosody 0.12.3, c2s and s2s, to='mail.test'. */
#define HDR                                                                                        \
	"<?xml version='1.0'?><stream:stream xmlns:stream='" NS_STREAMS "' "                       \
	"id='f3f69e9b-dab2-410c-a453-fb1bbef8791f' from='mail.test' xmlns='jabber:client' "        \
	"version='1.0' xml:lang='en'>"
#define FEATURES                                                                                   \
	"<stream:features><starttls xmlns='" NS_TLS "'><required/></starttls></stream:features>"
#define HDR_S2S                                                                                    \
	"<?xml version='1.0'?><stream:stream xmlns:stream='" NS_STREAMS "' "                       \
	"id='48f3798e-a2bc-4c06-a479-0ba8bf926a59' xmlns='jabber:server' from='mail.test' "        \
	"xmlns:db='jabber:server:dialback' xml:lang='en' version='1.0' to=''>"
#define FEATURES_S2S                                                                               \
	"<stream:features><starttls xmlns='" NS_TLS "'><required/></starttls><dialback "           \
	"xmlns='urn:xmpp:features:dialback'/></stream:features>"
/* Prosody 0.12.3, to='wrong.test'. */
#define HOST_UNKNOWN                                                                               \
	"<?xml version='1.0'?><stream:stream xmlns:stream='" NS_STREAMS "' "                       \
	"id='6d1e6910-742f-42f7-8392-d6dd98f06fad' from='wrong.test' xmlns='jabber:client' "       \
	"version='1.0' xml:lang='en'><stream:error><host-unknown "                                 \
	"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "                                      \
	"xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve "                  \
	"wrong.test</text></stream:error></stream:stream>"
#define PROCEED "<proceed xmlns='" NS_TLS "'/>"

#define STAGE "stream header and features"
#define STAGE_REPLY "reply to <starttls/>"

static const struct mc_dialogue_params params = {.helo = "client.example", .domain = "mail.test"};

static void expect_tls(mailcert_protocol proto, const struct mc_script_turn *t, const char *sent)
{
	mc_script_expect_tls(proto, &params, t, sent);
}

static void expect_fail(const struct mc_script_turn *t, const char *sent, const char *code,
			const char *message)
{
	mc_script_expect(C2S, &params, t, sent, MC_STEP_FAIL, code, message);
}

/* Only each turn whole: a turn that runs past a command is split differently byte by byte. */
static void expect_fail_whole(const struct mc_script_turn *t, const char *sent, const char *code,
			      const char *message)
{
	struct mc_script_outcome o;

	mc_script_drive(&o, C2S, &params, t, 0);
	mc_script_check(&o, "whole turns", sent, MC_STEP_FAIL, code, message);
}

START_TEST(test_good_path)
{
	const struct mc_script_turn split[] = {T(HDR), T(FEATURES), T(PROCEED), END};
	const struct mc_script_turn joined[] = {T(HDR FEATURES), T(PROCEED), END};
	/* Whitespace keepalives between elements, and a proceed with an end tag. */
	const struct mc_script_turn spaces[] = {T(HDR "\n " FEATURES "\n"),
						T(" <proceed xmlns='" NS_TLS "'></proceed>"), END};

	expect_tls(C2S, split, SENT);
	expect_tls(C2S, joined, SENT);
	expect_tls(C2S, spaces, SENT);
}
END_TEST

START_TEST(test_good_path_server)
{
	const struct mc_script_turn t[] = {T(HDR_S2S FEATURES_S2S), T(PROCEED), END};

	expect_tls(S2S, t, OPEN_S2S STARTTLS);
}
END_TEST

/* <required/> or not, among other features, in any order. */
START_TEST(test_starttls_not_required)
{
	const struct mc_script_turn t[] = {
	    T(HDR "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
		  "<mechanism>PLAIN</mechanism></mechanisms><starttls xmlns='" NS_TLS "'/>"
		  "</stream:features>"),
	    T(PROCEED), END};

	expect_tls(C2S, t, SENT);
}
END_TEST

/* Namespaces decide, not prefixes (RFC 6120 section 4.8). */
START_TEST(test_other_prefixes)
{
	const struct mc_script_turn t[] = {
	    T("<foo:stream xmlns:foo='" NS_STREAMS "' version='1.0' xmlns='jabber:client'>"
	      "<foo:features><tls:starttls xmlns:tls='" NS_TLS "'/></foo:features>"),
	    T("<t:proceed xmlns:t='" NS_TLS "'/>"), END};
	const struct mc_script_turn dflt[] = {
	    T(HDR "<features xmlns='" NS_STREAMS "'><starttls xmlns='" NS_TLS "'/></features>"),
	    T(PROCEED), END};

	expect_tls(C2S, t, SENT);
	expect_tls(C2S, dflt, SENT);
}
END_TEST

START_TEST(test_not_offered)
{
	const struct mc_script_turn t[] = {
	    T(HDR "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
		  "<mechanism>PLAIN</mechanism></mechanisms><register "
		  "xmlns='http://jabber.org/features/iq-register'/></stream:features>"),
	    END};
	const struct mc_script_turn empty[] = {T(HDR "<stream:features/>"), END};

	expect_fail(t, OPEN_C2S, "starttls.not-offered",
		    "the server's stream features do not offer STARTTLS (" NS_TLS
		    "): \"mechanisms register\"");
	expect_fail(empty, OPEN_C2S, "starttls.not-offered",
		    "the server's stream features are empty: no STARTTLS (" NS_TLS ")");
}
END_TEST

/* A <starttls> in another namespace, or a prefix bound elsewhere, is not STARTTLS. */
START_TEST(test_wrong_namespace)
{
	const struct mc_script_turn client[] = {
	    T(HDR "<stream:features><starttls xmlns='jabber:client'/></stream:features>"), END};
	const struct mc_script_turn inherited[] = {
	    T(HDR "<stream:features><starttls><required/></starttls></stream:features>"), END};
	const struct mc_script_turn streams[] = {
	    T("<stream:stream xmlns:stream='http://example.com/streams' version='1.0'>"), END};

	expect_fail(client, OPEN_C2S, "starttls.not-offered",
		    "the server's stream features do not offer STARTTLS (" NS_TLS
		    "): \"starttls\"");
	expect_fail(inherited, OPEN_C2S, "starttls.not-offered",
		    "the server's stream features do not offer STARTTLS (" NS_TLS
		    "): \"starttls\"");
	expect_fail(streams, OPEN_C2S, "protocol.unexpected",
		    "the server's stream header is not <stream:stream xmlns:stream='" NS_STREAMS
		    "'>: \"http://example.com/streams stream\"");
}
END_TEST

START_TEST(test_refused)
{
	const struct mc_script_turn t[] = {T(HDR FEATURES),
					   T("<failure xmlns='" NS_TLS "'/></stream:stream>"), END};

	expect_fail(t, SENT, "starttls.refused", "the server answered <starttls/> with <failure/>");
}
END_TEST

START_TEST(test_stream_error)
{
	const struct mc_script_turn host[] = {T(HOST_UNKNOWN), END};
	const struct mc_script_turn policy[] = {
	    T(HDR "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
		  "</stream:error>"),
	    END};
	const struct mc_script_turn later[] = {
	    T(HDR FEATURES),
	    T("<stream:error><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>\"bad\"\n</text></stream:error>"),
	    END};
	const struct mc_script_turn none[] = {T(HDR "<stream:error/>"), END};

	expect_fail(host, OPEN_C2S, "protocol.unexpected",
		    "the server ended the stream: host-unknown (it does not serve \"mail.test\", "
		    "sent as the stream's 'to'; name its domain with --xmpp-domain): \"This server "
		    "does not serve wrong.test\"");
	expect_fail(policy, OPEN_C2S, "protocol.unexpected",
		    "the server ended the stream: policy-violation");
	expect_fail(later, SENT, "protocol.unexpected",
		    "the server ended the stream: internal-server-error: \"\\\"bad\\\"\\x0a\"");
	expect_fail(none, OPEN_C2S, "protocol.unexpected",
		    "the server ended the stream with an error that names no condition");
}
END_TEST

/* A long <text> is quoted cut. */
START_TEST(test_stream_error_long_text)
{
	static char buf[4096];
	struct mc_script_turn t[] = {{buf, 0}, END};
	char want[MC_MSG_MAX];
	int n;

	n = snprintf(buf, sizeof(buf),
		     HDR "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
			 "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>");
	memset(buf + n, 'x', 1000);
	n += 1000;
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "</text></stream:error>");
	t[0].len = (size_t)n;
	snprintf(want, sizeof(want), "the server ended the stream: conflict: \"%.*s...\"",
		 MC_QUOTE_MAX, buf + n - 1000 - (int)strlen("</text></stream:error>"));
	expect_fail(t, OPEN_C2S, "protocol.unexpected", want);
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(HDR FEATURES), T(PROCEED "<x/>"), END};
	const struct mc_script_turn ws[] = {T(HDR FEATURES), T(PROCEED " "), END};

	expect_fail(t, SENT, "starttls.injection",
		    "4 bytes followed the server's <proceed/> before TLS (response injection): "
		    "\"<x/>\"");
	expect_fail(ws, SENT, "starttls.injection",
		    "1 byte followed the server's <proceed/> before TLS (response injection): "
		    "\" \"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(HDR FEATURES), T(PROCEED), T("X"), END};
	const struct mc_script_turn end_tag[] = {T(HDR FEATURES),
						 T("<proceed xmlns='" NS_TLS "'></proceed>"),
						 T("</stream:stream>"), END};

	expect_fail(
	    t, SENT, "starttls.injection",
	    "1 byte followed the server's <proceed/> before TLS (response injection): \"X\"");
	expect_fail(end_tag, SENT, "starttls.injection",
		    "16 bytes followed the server's <proceed/> before TLS (response injection): "
		    "\"</stream:stream>\"");
}
END_TEST

/* Rule 3: the proceed must answer a <starttls/> the client has sent. */
START_TEST(test_running_ahead)
{
	const struct mc_script_turn t[] = {T(HDR FEATURES PROCEED), END};
	const struct mc_script_turn early[] = {T(HDR PROCEED), END};

	expect_fail_whole(t, OPEN_C2S, "protocol.unexpected",
			  "the server sent 50 bytes after its " STAGE
			  " without waiting for the next command: \"" PROCEED "\"");
	expect_fail(early, OPEN_C2S, "protocol.unexpected",
		    "the server sent an unexpected element during its " STAGE ": \"" NS_TLS
		    " proceed\"");
}
END_TEST

START_TEST(test_unexpected)
{
	const struct mc_script_turn msg[] = {
	    T(HDR "<message xmlns='jabber:client'><body>hi</body></message>"), END};
	const struct mc_script_turn twice[] = {T(HDR FEATURES), T(FEATURES), END};
	const struct mc_script_turn closed[] = {T(HDR "</stream:stream>"), END};
	const struct mc_script_turn html[] = {T("<html><body>"), END};

	expect_fail(msg, OPEN_C2S, "protocol.unexpected",
		    "the server sent an unexpected element during its " STAGE
		    ": \"jabber:client message\"");
	expect_fail(twice, SENT, "protocol.unexpected",
		    "the server sent an unexpected element during its " STAGE_REPLY
		    ": \"" NS_STREAMS " features\"");
	expect_fail(closed, OPEN_C2S, "protocol.unexpected",
		    "the server closed its stream during its " STAGE);
	expect_fail(html, OPEN_C2S, "protocol.unexpected",
		    "the server's stream header is not <stream:stream xmlns:stream='" NS_STREAMS
		    "'>: \"html\"");
}
END_TEST

/* RFC 6120 section 4.7.5: no version, or below 1.0: no features, so no STARTTLS. */
START_TEST(test_old_stream)
{
	const struct mc_script_turn none[] = {
	    T("<stream:stream xmlns:stream='" NS_STREAMS "' xmlns='jabber:client' id='1'>"), END};
	const struct mc_script_turn v09[] = {
	    T("<stream:stream xmlns:stream='" NS_STREAMS "' version='0.9'>"), END};

	expect_fail(none, OPEN_C2S, "starttls.not-offered",
		    "the server's stream header has no version: a server older than XMPP 1.0 "
		    "offers no STARTTLS");
	expect_fail(v09, OPEN_C2S, "starttls.not-offered",
		    "the server's stream is older than XMPP 1.0 and offers no STARTTLS: version: "
		    "\"0.9\"");
}
END_TEST

/* RFC 6120 section 11.1: no DTD (so no entity expansion), comment or PI. */
START_TEST(test_restricted_xml)
{
	const struct mc_script_turn lol[] = {
	    T("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 "
	      "'&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>"
	      "<stream:stream xmlns:stream='" NS_STREAMS "' version='1.0'>&lol2;"),
	    END};
	const struct mc_script_turn entity[] = {T(HDR "<stream:features>&lol;"), END};
	const struct mc_script_turn comment[] = {T(HDR "<!-- hi -->" FEATURES), END};
	const struct mc_script_turn pi[] = {T(HDR "<?php echo 1; ?>" FEATURES), END};

	expect_fail(lol, OPEN_C2S, "protocol.unexpected",
		    "the server sent a document type declaration during its " STAGE
		    "; XMPP forbids it (RFC 6120 section 11.1)");
	expect_fail(entity, OPEN_C2S, "protocol.unexpected",
		    "the server sent XML that is not well-formed during its " STAGE
		    ": undefined entity (line 1, column 210)");
	expect_fail(comment, OPEN_C2S, "protocol.unexpected",
		    "the server sent a comment during its " STAGE
		    "; XMPP forbids it (RFC 6120 section 11.1)");
	expect_fail(pi, OPEN_C2S, "protocol.unexpected",
		    "the server sent a processing instruction during its " STAGE
		    "; XMPP forbids it (RFC 6120 section 11.1)");
}
END_TEST

START_TEST(test_malformed)
{
	const struct mc_script_turn mismatch[] = {
	    T(HDR "<stream:features><starttls xmlns='" NS_TLS "'></stream:features>"), END};
	const struct mc_script_turn unbound[] = {T(HDR "<foo:features>"), END};
	const struct mc_script_turn binary[] = {T("\x01\x02\x03"), END};

	expect_fail(mismatch, OPEN_C2S, "protocol.unexpected",
		    "the server sent XML that is not well-formed during its " STAGE
		    ": mismatched tag (line 1, column 262)");
	expect_fail(unbound, OPEN_C2S, "protocol.unexpected",
		    "the server sent XML that is not well-formed during its " STAGE
		    ": unbound prefix (line 1, column 193)");
	expect_fail(binary, OPEN_C2S, "protocol.unexpected",
		    "the server sent XML that is not well-formed during its " STAGE
		    ": not well-formed (invalid token) (line 1, column 0)");
}
END_TEST

START_TEST(test_too_deep)
{
	static char buf[1024];
	struct mc_script_turn t[] = {{buf, 0}, END};
	int n = snprintf(buf, sizeof(buf), HDR "<stream:features>");

	for (int i = 0; i < 20; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "<a>");
	t[0].len = (size_t)n;
	expect_fail(t, OPEN_C2S, "protocol.unexpected",
		    "the server's " STAGE " nests elements deeper than 16");
}
END_TEST

START_TEST(test_too_many_attributes)
{
	static char buf[1024];
	struct mc_script_turn t[] = {{buf, 0}, END};
	int n = snprintf(buf, sizeof(buf), HDR "<stream:features><x");

	for (int i = 0; i < 33; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " a%d=''", i);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "/>");
	t[0].len = (size_t)n;
	expect_fail(t, OPEN_C2S, "protocol.unexpected",
		    "an element of the server's " STAGE
		    " has more than 32 attributes: \"jabber:client x\"");
}
END_TEST

/*
 * The total bound, in turns of 4 KiB: many small elements, then one token
 * that never ends (an attribute value), as XML's "line that never ends".
 */
START_TEST(test_too_big)
{
	enum { TURN = 4096, TURNS = MC_DIALOGUE_MAX / TURN + 2 };
	static char buf[TURNS][TURN];
	static struct mc_script_turn t[TURNS + 2];
	const char *msg = "the server sent more than 65536 bytes before TLS (during its " STAGE ")";

	t[0] = (struct mc_script_turn)T(HDR "<stream:features>");
	for (int i = 0; i < TURNS; i++) {
		for (int j = 0; j < TURN; j += 8)
			memcpy(buf[i] + j, "<x/>    ", 8);
		t[i + 1] = (struct mc_script_turn){buf[i], TURN};
	}
	t[TURNS + 1] = (struct mc_script_turn)END;
	expect_fail(t, OPEN_C2S, "protocol.unexpected", msg);

	/* Byte by byte, expat scans a growing token again at every call: bounded by the total. */
	t[1] = (struct mc_script_turn)T("<x a='");
	for (int i = 0; i < TURNS; i++) {
		memset(buf[i], 'a', TURN);
		t[i + 2] = (struct mc_script_turn){buf[i], TURN};
	}
	t[TURNS + 1] = (struct mc_script_turn)END;
	expect_fail(t, OPEN_C2S, "protocol.unexpected", msg);
}
END_TEST

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn header[] = {T(HDR), END};
	const struct mc_script_turn partial[] = {T(HDR "<stream:feat"), END};
	const struct mc_script_turn reply[] = {T(HDR FEATURES), T("<proc"), END};
	const struct mc_script_turn after[] = {T(HDR FEATURES), T(PROCEED), END};

	expect_fail(none, OPEN_C2S, "protocol.unexpected",
		    "the server closed the connection before the end of its " STAGE);
	expect_fail(header, OPEN_C2S, "protocol.unexpected",
		    "the server closed the connection before the end of its " STAGE);
	expect_fail(partial, OPEN_C2S, "protocol.unexpected",
		    "the server closed the connection before the end of its " STAGE);
	expect_fail(reply, SENT, "protocol.unexpected",
		    "the server closed the connection before the end of its " STAGE_REPLY);
	expect_tls(C2S, after, SENT);
}
END_TEST

/* The domain goes into an attribute: the library does not trust its caller with it. */
START_TEST(test_bad_domain)
{
	static const struct {
		const char *domain, *quoted;
	} bad[] = {{"a'b", "a'b"}, {"a\"b", "a\\\"b"}, {"a<b", "a<b"},
		   {"a&b", "a&b"}, {"a b", "a b"},     {"", ""}};
	const struct mc_script_turn t[] = {T(HDR FEATURES), END};
	struct mc_dialogue_params p = params;
	struct mc_script_outcome o;
	char long_name[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[MC_MSG_MAX];

		p.domain = bad[i].domain;
		snprintf(want, sizeof(want),
			 "no XMPP domain that can be sent as the stream's 'to': \"%s\"",
			 bad[i].quoted);
		mc_script_drive(&o, C2S, &p, t, 0);
		mc_script_check(&o, bad[i].domain, "", MC_STEP_FAIL, "internal.error", want);
	}
	memset(long_name, 'a', 256);
	long_name[256] = '\0';
	p.domain = long_name;
	mc_script_drive(&o, C2S, &p, t, 0);
	ck_assert_str_eq(o.code, "internal.error");
	p.domain = NULL;
	mc_script_drive(&o, C2S, &p, t, 0);
	mc_script_check(&o, "no domain", "", MC_STEP_FAIL, "internal.error",
			"no XMPP domain that can be sent as the stream's 'to'");
}
END_TEST

static Suite *proto_xmpp_suite(void)
{
	Suite *s = suite_create("proto-xmpp");
	TCase *good = tcase_create("good"), *hostile = tcase_create("hostile");

	tcase_add_test(good, test_good_path);
	tcase_add_test(good, test_good_path_server);
	tcase_add_test(good, test_starttls_not_required);
	tcase_add_test(good, test_other_prefixes);
	suite_add_tcase(s, good);
	tcase_set_timeout(hostile, 60);
	tcase_add_test(hostile, test_not_offered);
	tcase_add_test(hostile, test_wrong_namespace);
	tcase_add_test(hostile, test_refused);
	tcase_add_test(hostile, test_stream_error);
	tcase_add_test(hostile, test_stream_error_long_text);
	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_running_ahead);
	tcase_add_test(hostile, test_unexpected);
	tcase_add_test(hostile, test_old_stream);
	tcase_add_test(hostile, test_restricted_xml);
	tcase_add_test(hostile, test_malformed);
	tcase_add_test(hostile, test_too_deep);
	tcase_add_test(hostile, test_too_many_attributes);
	tcase_add_test(hostile, test_too_big);
	tcase_add_test(hostile, test_eof);
	tcase_add_test(hostile, test_bad_domain);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_xmpp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The FTP dialogue against scripted servers (docs/design.md, "STARTTLS
 * rules every dialogue obeys"), and the line splitter and reply parser
 * under them. Every transcript runs twice, each server turn in one input
 * call and then one byte per call, and must end the same way both times.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "proto/lines.h"
#include "proto/proto.h"

#include "../common/script.h"

#define HELO "client.example"

static const struct mc_dialogue_params script_params = {.helo = HELO};

#define FTP MAILCERT_PROTO_FTP
#define SENT_FEAT "FEAT\r\n"
#define SENT_BOTH "FEAT\r\nAUTH TLS\r\n"

/* vsftpd 3.0.3 (Debian 12) with ssl_enable=YES, as it answers on the wire. */
#define VSFTPD_GREETING "220 (vsFTPd 3.0.3)\r\n"
#define VSFTPD_FEAT                                                                                \
	"211-Features:\r\n AUTH TLS\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n PBSZ\r\n PROT\r\n "    \
	"REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"
#define VSFTPD_GO "234 Proceed with negotiation.\r\n"

/* ProFTPD 1.3.8 with mod_tls. */
#define PROFTPD_GREETING "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n"
#define PROFTPD_FEAT                                                                               \
	"211-Features:\r\n AUTH TLS\r\n CCC\r\n PBSZ\r\n PROT\r\n EPSV\r\n EPRT\r\n HOST\r\n "     \
	"MDTM\r\n SSCN\r\n TVFS\r\n MFMT\r\n SIZE\r\n MFF modify;UNIX.group;UNIX.mode;\r\n MLST "  \
	"modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;"    \
	"UNIX.ownername*;\r\n LANG en-US*\r\n REST STREAM\r\n UTF8\r\n211 End\r\n"
#define PROFTPD_GO "234 AUTH TLS successful\r\n"

static void ftp_fail(const struct mc_script_turn *t, const char *sent, const char *code,
		     const char *message)
{
	mc_script_expect(FTP, &script_params, t, sent, MC_STEP_FAIL, code, message);
}

/* ---- good paths ---------------------------------------------------- */

START_TEST(test_vsftpd)
{
	const struct mc_script_turn t[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT), T(VSFTPD_GO), END};

	mc_script_expect_tls(FTP, &script_params, t, SENT_BOTH);
}
END_TEST

START_TEST(test_proftpd)
{
	const struct mc_script_turn t[] = {T(PROFTPD_GREETING), T(PROFTPD_FEAT), T(PROFTPD_GO),
					   END};

	mc_script_expect_tls(FTP, &script_params, t, SENT_BOTH);
}
END_TEST

/* RFC 959 section 4.2: inner lines are free text, even when they start with digits. */
START_TEST(test_multiline_greeting)
{
	const struct mc_script_turn t[] = {T("220-Welcome to ftp.example\r\n"
					     "123 is not a reply code here\r\n"
					     "220x nor is this\r\n"
					     "221 nor this\r\n"
					     "\r\n"
					     "220-but this repeats the code\r\n"
					     "220 ready\r\n"),
					   T(VSFTPD_FEAT), T(VSFTPD_GO), END};
	const struct mc_script_turn lf[] = {T("220-a\n 220 b\n220 c\n"),
					    T("211-x\n AUTH TLS\n211 e\n"), T("234 ok\n"), END};

	mc_script_expect_tls(FTP, &script_params, t, SENT_BOTH);
	mc_script_expect_tls(FTP, &script_params, lf, SENT_BOTH);
}
END_TEST

/* RFC 959 section 5.4: 120 "ready in nnn minutes", then 220. */
START_TEST(test_120_then_220)
{
	const struct mc_script_turn t[] = {T("120 Service ready in 1 minutes.\r\n"),
					   T(VSFTPD_GREETING), T(VSFTPD_FEAT), T(VSFTPD_GO), END};
	const struct mc_script_turn one[] = {T("120-wait\r\n120 a minute\r\n220 ready\r\n"),
					     T(VSFTPD_FEAT), T(VSFTPD_GO), END};

	mc_script_expect_tls(FTP, &script_params, t, SENT_BOTH);
	mc_script_expect_tls(FTP, &script_params, one, SENT_BOTH);
}
END_TEST

/* Features are case-insensitive; AUTH may list several mechanisms. */
START_TEST(test_auth_lists)
{
	const struct mc_script_turn lower[] = {T("220 x\r\n"), T("211-F\r\n auth tls\r\n211 E\r\n"),
					       T("234 ok\r\n"), END};
	const struct mc_script_turn list[] = {
	    T("220 x\r\n"), T("211-F\r\n AUTH SSL;TLS-C;tls\r\n211 E\r\n"), T("234 ok\r\n"), END};
	const struct mc_script_turn spaces[] = {
	    T("220 x\r\n"), T("211-F\r\n  AUTH  SSL TLS\r\n211 E\r\n"), T("234 ok\r\n"), END};
	/* Old servers that write feature lines in SMTP's form. */
	const struct mc_script_turn dash[] = {T("220 x\r\n"),
					      T("211-F\r\n211-AUTH TLS\r\n211 E\r\n"),
					      T("234-ok\r\n234 go\r\n"), END};

	mc_script_expect_tls(FTP, &script_params, lower, SENT_BOTH);
	mc_script_expect_tls(FTP, &script_params, list, SENT_BOTH);
	mc_script_expect_tls(FTP, &script_params, spaces, SENT_BOTH);
	mc_script_expect_tls(FTP, &script_params, dash, SENT_BOTH);
}
END_TEST

/* A server older than RFC 2389 cannot advertise: AUTH TLS is asked, 234 still required. */
START_TEST(test_feat_refused)
{
	const struct mc_script_turn r500[] = {
	    T("220 old\r\n"), T("500 'FEAT': command not understood.\r\n"), T("234 ok\r\n"), END};
	const struct mc_script_turn r502[] = {
	    T("220 old\r\n"), T("502 Command not implemented.\r\n"), T("234 ok\r\n"), END};
	const struct mc_script_turn no[] = {T("220 old\r\n"),
					    T("500 'FEAT': command not understood.\r\n"),
					    T("500 'AUTH TLS': command not understood.\r\n"), END};

	mc_script_expect_tls(FTP, &script_params, r500, SENT_BOTH);
	mc_script_expect_tls(FTP, &script_params, r502, SENT_BOTH);
	ftp_fail(no, SENT_BOTH, "starttls.refused",
		 "the server refused AUTH TLS (and FEAT): \"500 'AUTH TLS': command not "
		 "understood.\"");
}
END_TEST

/* ---- hostile and broken servers -------------------------------------- */

START_TEST(test_not_offered)
{
	/* vsftpd 3.0.3 with ssl_enable=NO. */
	const struct mc_script_turn t[] = {
	    T(VSFTPD_GREETING),
	    T("211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST "
	      "STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"),
	    END};
	/* Only AUTH SSL, TLS only in the text around, a TLS that is no feature. */
	const struct mc_script_turn ssl[] = {
	    T("220 x\r\n"),
	    T("211-AUTH TLS\r\n AUTH SSL;TLS-C\r\n AUTHTLS\r\n TLS\r\n"
	      "211 AUTH TLS\r\n"),
	    END};
	const struct mc_script_turn none[] = {T("220 x\r\n"), T("211 No features\r\n"), END};

	ftp_fail(t, SENT_FEAT, "starttls.not-offered",
		 "the server did not advertise AUTH TLS in its reply to FEAT; its features: "
		 "\"EPRT, EPSV, MDTM, PASV, REST, SIZE, TVFS\"");
	ftp_fail(ssl, SENT_FEAT, "starttls.not-offered",
		 "the server did not advertise AUTH TLS in its reply to FEAT; its features: "
		 "\"AUTH SSL;TLS-C, AUTHTLS, TLS\"");
	ftp_fail(none, SENT_FEAT, "starttls.not-offered",
		 "the server listed no features in its reply to FEAT, so not AUTH TLS: \"211 No "
		 "features\"");
}
END_TEST

START_TEST(test_auth_refused)
{
	const struct mc_script_turn r534[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT),
					      T("534 Request denied for policy reasons.\r\n"), END};
	const struct mc_script_turn r504[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT),
					      T("504 Unknown AUTH type.\r\n"), END};
	const struct mc_script_turn r530[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT),
					      T("530 Please login with USER and PASS.\r\n"), END};
	/* ADAT is not TLS; a 220 is no go-ahead here. */
	const struct mc_script_turn r334[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT),
					      T("334 ADAT=base64data\r\n"), END};
	const struct mc_script_turn r220[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT),
					      T("220 go ahead\r\n"), END};

	ftp_fail(r534, SENT_BOTH, "starttls.refused",
		 "the server refused AUTH TLS: \"534 Request denied for policy reasons.\"");
	ftp_fail(r504, SENT_BOTH, "starttls.refused",
		 "the server refused AUTH TLS: \"504 Unknown AUTH type.\"");
	ftp_fail(r530, SENT_BOTH, "starttls.refused",
		 "the server refused AUTH TLS: \"530 Please login with USER and PASS.\"");
	ftp_fail(r334, SENT_BOTH, "starttls.refused",
		 "the server refused AUTH TLS: \"334 ADAT=base64data\"");
	ftp_fail(r220, SENT_BOTH, "starttls.refused",
		 "the server refused AUTH TLS: \"220 go ahead\"");
}
END_TEST

START_TEST(test_greeting_421)
{
	const struct mc_script_turn t[] = {T("421 Too many users, try later.\r\n"), END};
	/* vsftpd's own failure greeting. */
	const struct mc_script_turn oops[] = {T("500 OOPS: vsftpd: both local and anonymous access "
						"disabled!\r\n"),
					      END};

	ftp_fail(t, "", "protocol.unexpected",
		 "the server's greeting was not 220: \"421 Too many users, try later.\"");
	ftp_fail(oops, "", "protocol.unexpected",
		 "the server's greeting was not 220: \"500 OOPS: vsftpd: both local and anonymous "
		 "access disabled!\"");
}
END_TEST

START_TEST(test_feat_odd_reply)
{
	const struct mc_script_turn t[] = {T("220 x\r\n"), T("421 Timeout.\r\n"), END};

	ftp_fail(t, SENT_FEAT, "protocol.unexpected",
		 "the server's reply to FEAT was not 211: \"421 Timeout.\"");
}
END_TEST

START_TEST(test_malformed)
{
	const struct mc_script_turn t[] = {T("SSH-2.0-OpenSSH_9.2\r\n"), END};
	const struct mc_script_turn feat[] = {T("220 x\r\n"), T(" AUTH TLS\r\n"), END};

	ftp_fail(t, "", "protocol.unexpected",
		 "the server's greeting has a malformed line: \"SSH-2.0-OpenSSH_9.2\"");
	ftp_fail(feat, SENT_FEAT, "protocol.unexpected",
		 "the server's reply to FEAT has a malformed line: \" AUTH TLS\"");
}
END_TEST

START_TEST(test_injection_same_chunk)
{
	const struct mc_script_turn t[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT),
					   T(VSFTPD_GO "230 Login successful.\r\n"), END};

	ftp_fail(t, SENT_BOTH, "starttls.injection",
		 "23 bytes followed the server's 234 go-ahead before TLS (response injection): "
		 "\"230 Login successful.\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_injection_later_call)
{
	const struct mc_script_turn t[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT), T(VSFTPD_GO), T("X"),
					   END};

	ftp_fail(
	    t, SENT_BOTH, "starttls.injection",
	    "1 byte followed the server's 234 go-ahead before TLS (response injection): \"X\"");
}
END_TEST

/*
 * Rule 3: the server may not answer a command that was not sent yet (one
 * chunk only: split byte by byte it is indistinguishable from a reply sent
 * after the command).
 */
START_TEST(test_running_ahead)
{
	const struct mc_script_turn t[] = {T(VSFTPD_GREETING VSFTPD_FEAT), END};
	struct mc_script_outcome o;

	mc_script_drive(&o, FTP, &script_params, t, 0);
	mc_script_check(
	    &o, "whole turns", "", MC_STEP_FAIL, "protocol.unexpected",
	    "the server sent 105 bytes after its greeting without waiting for the next "
	    "command: \"211-Features:\\x0d\\x0a AUTH TLS\\x0d\\x0a EPRT\\x0d\\x0a EPSV\\x0d\\x0a "
	    "MDTM\\x0d\\x0a PASV\\x0d\\x0a PBSZ\\x0d\\x0a PROT\\x0d\\x0a REST STREAM\\x0d\\x0a "
	    "SIZE\\x0d\\x0a TVFS\\x0d\\x0a211 End\\x0d\\x0a\"");
}
END_TEST

START_TEST(test_line_over_limit)
{
	static char buf[MC_LINE_MAX + 10];
	struct mc_script_turn t[] = {{buf, sizeof(buf)}, END};
	char want[MC_MSG_MAX];

	memcpy(buf, "220-", 4);
	memset(buf + 4, 'a', sizeof(buf) - 4);
	snprintf(want, sizeof(want),
		 "a line of the server's greeting is longer than %d bytes: \"%.120s...\"",
		 MC_LINE_MAX, buf);
	ftp_fail(t, "", "protocol.unexpected", want);
}
END_TEST

/* MC_REPLY_LINES_MAX lines are one reply; one more is too many. */
START_TEST(test_reply_lines)
{
	static char at[MC_REPLY_LINES_MAX * 8 + 64], over[MC_REPLY_LINES_MAX * 8 + 64];
	struct mc_script_turn ok[] = {{at, 0}, T(VSFTPD_FEAT), T(VSFTPD_GO), END};
	struct mc_script_turn bad[] = {{over, 0}, END};
	char want[MC_MSG_MAX];

	ok[0].len = (size_t)sprintf(at, "220-first\r\n");
	for (int i = 0; i < MC_REPLY_LINES_MAX - 2; i++)
		ok[0].len += (size_t)sprintf(at + ok[0].len, "%03d x\r\n", i);
	ok[0].len += (size_t)sprintf(at + ok[0].len, "220 last\r\n");
	mc_script_expect_tls(FTP, &script_params, ok, SENT_BOTH);

	bad[0].len = (size_t)sprintf(over, "220-first\r\n");
	for (int i = 0; i < MC_REPLY_LINES_MAX - 1; i++)
		bad[0].len += (size_t)sprintf(over + bad[0].len, "%03d x\r\n", i);
	bad[0].len += (size_t)sprintf(over + bad[0].len, "220 last\r\n");
	snprintf(want, sizeof(want), "the server's greeting has more than %d lines",
		 MC_REPLY_LINES_MAX);
	ftp_fail(bad, "", "protocol.unexpected", want);
}
END_TEST

/* A multi-line reply that never ends meets MC_DIALOGUE_MAX first when its lines are long. */
START_TEST(test_dialogue_too_big)
{
	static char buf[MC_DIALOGUE_MAX + 4096];
	struct mc_script_turn t[] = {T("220 x\r\n"), {buf, 0}, END};
	char line[2000];

	memset(line, 'x', sizeof(line));
	line[0] = ' ';
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	t[1].len = (size_t)sprintf(buf, "211-Features:\r\n");
	while (t[1].len + sizeof(line) <= sizeof(buf)) {
		memcpy(buf + t[1].len, line, sizeof(line));
		t[1].len += sizeof(line);
	}
	ftp_fail(t, SENT_FEAT, "protocol.unexpected",
		 "the server sent more than 65536 bytes before TLS (during its reply to FEAT)");
}
END_TEST

START_TEST(test_eof)
{
	const struct mc_script_turn none[] = {END};
	const struct mc_script_turn partial[] = {T("220 (vsFTP"), END};
	const struct mc_script_turn mid[] = {T(VSFTPD_GREETING),
					     T("211-Features:\r\n AUTH TLS\r\n"), END};
	const struct mc_script_turn mid_line[] = {T(VSFTPD_GREETING),
						  T("211-Features:\r\n AUTH TLS\r\n211"), END};
	const struct mc_script_turn after_go[] = {T(VSFTPD_GREETING), T(VSFTPD_FEAT), T("234 ok"),
						  END};

	ftp_fail(none, "", "protocol.unexpected",
		 "the server closed the connection before the end of its greeting");
	ftp_fail(partial, "", "protocol.unexpected",
		 "the server closed the connection before the end of its greeting: \"220 (vsFTP\"");
	ftp_fail(mid, SENT_FEAT, "protocol.unexpected",
		 "the server closed the connection before the end of its reply to FEAT");
	ftp_fail(mid_line, SENT_FEAT, "protocol.unexpected",
		 "the server closed the connection before the end of its reply to FEAT: \"211\"");
	ftp_fail(after_go, SENT_BOTH, "protocol.unexpected",
		 "the server closed the connection before the end of its reply to AUTH TLS: "
		 "\"234 ok\"");
}
END_TEST

/* ---- the looser reply parser ------------------------------------------ */

START_TEST(test_reply_add_ftp)
{
	struct mc_reply r = {0};
	struct mc_reply_line rl;

	ck_assert_int_eq(mc_reply_add_ftp(&r, &rl, (const uint8_t *)"211-a", 5), MC_REPLY_MORE);
	ck_assert_int_eq(mc_reply_add_ftp(&r, &rl, (const uint8_t *)"500 b", 5), MC_REPLY_MORE);
	ck_assert_uint_eq(rl.code, 211);
	ck_assert_uint_eq(rl.text.len, 5);
	ck_assert_int_eq(mc_reply_add_ftp(&r, &rl, (const uint8_t *)"211-c", 5), MC_REPLY_MORE);
	ck_assert_uint_eq(rl.text.len, 1);
	ck_assert_int_eq(mc_reply_add_ftp(&r, &rl, (const uint8_t *)"211", 3), MC_REPLY_DONE);
	ck_assert_uint_eq(r.code, 211);
	ck_assert_uint_eq(r.lines, 4);
	/* The next line starts a new reply, which must start with a code. */
	ck_assert_int_eq(mc_reply_add_ftp(&r, &rl, (const uint8_t *)" x", 2), MC_REPLY_MALFORMED);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mc_reply_add_ftp(&r, &rl, (const uint8_t *)"234 go", 6), MC_REPLY_DONE);
	/* SMTP stays strict. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mc_reply_add(&r, &rl, (const uint8_t *)"250-a", 5), MC_REPLY_MORE);
	ck_assert_int_eq(mc_reply_add(&r, &rl, (const uint8_t *)" b", 2), MC_REPLY_MALFORMED);
}
END_TEST

static Suite *proto_ftp_suite(void)
{
	Suite *s = suite_create("proto-ftp");
	TCase *good = tcase_create("good"), *hostile = tcase_create("hostile");

	tcase_add_test(good, test_vsftpd);
	tcase_add_test(good, test_proftpd);
	tcase_add_test(good, test_multiline_greeting);
	tcase_add_test(good, test_120_then_220);
	tcase_add_test(good, test_auth_lists);
	tcase_add_test(good, test_feat_refused);
	tcase_add_test(good, test_reply_add_ftp);
	suite_add_tcase(s, good);
	tcase_add_test(hostile, test_not_offered);
	tcase_add_test(hostile, test_auth_refused);
	tcase_add_test(hostile, test_greeting_421);
	tcase_add_test(hostile, test_feat_odd_reply);
	tcase_add_test(hostile, test_malformed);
	tcase_add_test(hostile, test_injection_same_chunk);
	tcase_add_test(hostile, test_injection_later_call);
	tcase_add_test(hostile, test_running_ahead);
	tcase_add_test(hostile, test_line_over_limit);
	tcase_add_test(hostile, test_reply_lines);
	tcase_add_test(hostile, test_dialogue_too_big);
	tcase_add_test(hostile, test_eof);
	suite_add_tcase(s, hostile);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_ftp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

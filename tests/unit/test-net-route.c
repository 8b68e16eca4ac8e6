/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mc_net_routable() (net.c): whether this machine has a route to an
 * address, as `mailcert domain` asks before checking an MX address. A
 * loopback address is routable here; in a network namespace of our own,
 * whose loopback is down, nothing is.
 */
#define _GNU_SOURCE /* unshare */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/net.h"

START_TEST(test_loopback)
{
	ck_assert_int_eq(mc_net_routable("127.0.0.1"), 1);
	/* Not an address: the connection will say what is wrong. */
	ck_assert_int_eq(mc_net_routable("mail.example"), 1);
	ck_assert_int_eq(mc_net_routable(""), 1);
}
END_TEST

START_TEST(test_no_network)
{
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		fputs("test-net-route: not root, so no network namespace of its own: the "
		      "no-route case is not tested\n",
		      stderr);
		return;
	}
	/* In a child, so that the namespace stays its own (valgrind runs without fork). */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) != 0)
			_exit(10);
		if (mc_net_routable("127.0.0.1") != 0)
			_exit(11);
		if (mc_net_routable("::1") != 0)
			_exit(12);
		if (mc_net_routable("2001:db8::1") != 0)
			_exit(13);
		if (mc_net_routable("192.0.2.1") != 0)
			_exit(14);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "in a namespace without network: failed at step %d (10: unshare)",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net-route");
	TCase *tc = tcase_create("net-route");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_no_network);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

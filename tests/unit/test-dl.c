/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading a library on first use (libmailcert/dl.c): the first soname that
 * loads is used, every function is found or the load fails, and a failure
 * says which package to install.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "io/dl.h"

START_TEST(test_found)
{
	static const char *const sonames[] = {"libmailcert-no-such.so.1", "libc.so.6", NULL};
	size_t (*len)(const char *) = NULL;
	const struct mc_dl_sym syms[] = {{"strlen", (void **)&len}};
	char err[256] = "";

	ck_assert_int_eq(mc_dl_load(sonames, "libc6", syms, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_ptr_nonnull(len);
	ck_assert_uint_eq(len("four"), 4);
}
END_TEST

START_TEST(test_no_library)
{
	static const char *const sonames[] = {"libmailcert-no-such.so.1", "libmailcert-none.so.2",
					      NULL};
	void *f = NULL;
	const struct mc_dl_sym syms[] = {{"f", &f}};
	char err[256] = "";

	ck_assert_int_eq(mc_dl_load(sonames, "libnothing1", syms, 1, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "libmailcert-no-such.so.1 could not be loaded (", 46) == 0, "%s",
		      err);
	ck_assert_msg(strstr(err, "); install the libnothing1 package"), "%s", err);
}
END_TEST

START_TEST(test_no_function)
{
	static const char *const sonames[] = {"libc.so.6", NULL};
	void *a = NULL, *b = NULL;
	const struct mc_dl_sym syms[] = {{"strlen", &a}, {"mailcert_no_such_function", &b}};
	char err[256] = "";

	ck_assert_int_eq(mc_dl_load(sonames, "libc6", syms, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the libc.so.6 found lacks mailcert_no_such_function(); install "
			      "the libc6 package");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dl");
	TCase *tc = tcase_create("dl");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_found);
	tcase_add_test(tc, test_no_library);
	tcase_add_test(tc, test_no_function);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy options check, show and file share: parsed once, here. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* --severity CODE=LEVEL: any code of the form of one (see mailcert_policy_set_severity). */
static int parse_severity(const char *cmd, mailcert_policy *policy, const char *arg)
{
	static const struct {
		const char *name;
		mailcert_state state;
	} levels[] = {
	    {"ok", MAILCERT_OK}, {"warning", MAILCERT_WARNING}, {"critical", MAILCERT_CRITICAL}};
	const char *eq = strrchr(arg, '=');
	char code[128];

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(code))
		return usage_error(cmd,
				   "--severity \"%s\": use CODE=LEVEL, e.g. "
				   "chain.root-included=ok",
				   arg);
	snprintf(code, sizeof(code), "%.*s", (int)(eq - arg), arg);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(eq + 1, levels[i].name) != 0)
			continue;
		if (mailcert_policy_set_severity(policy, code, levels[i].state) < 0)
			return usage_error(cmd,
					   "--severity \"%s\": \"%s\" is not a finding code "
					   "(lowercase words joined by dots, e.g. cert.expiring)",
					   arg, code);
		return 0;
	}
	return usage_error(cmd, "--severity \"%s\": the level is ok, warning or critical", arg);
}

int run_policy_new(struct check_run *run)
{
	run->trust_given = 0;
	return mailcert_policy_new_flags(&run->policy, MAILCERT_POLICY_NO_SYSTEM_TRUST) < 0 ? -1 : 0;
}

void run_policy_ready(struct check_run *run)
{
	if (!run->trust_given)
		mailcert_policy_add_system_trust(run->policy);
	run->trust_given = 1;
}

/*
 * Explicit CAs replace the system store unless --system-ca is also given;
 * the store itself is read only then, or by run_policy_ready() when no CA
 * is given (some 10 ms: not for a check with --ca-file).
 */
static int trust(const char *cmd, struct check_run *run, int c, const char *path)
{
	mailcert_policy *policy = run->policy;
	char err[512];

	run->trust_given = 1;
	if (c == OPT_CA_FILE && mailcert_policy_add_ca_file(policy, path, err, sizeof(err)) < 0)
		return usage_error(cmd, "--ca-file: %s", err);
	if (c == OPT_CA_DIR && mailcert_policy_add_ca_dir(policy, path, err, sizeof(err)) < 0)
		return usage_error(cmd, "--ca-dir: %s", err);
	if (c == OPT_SYSTEM_CA && mailcert_policy_add_system_trust(policy) < 0)
		return usage_error(cmd, "--system-ca: the system trust store could not be loaded");
	return 0;
}

int policy_option(const char *cmd, struct check_run *run, int c, const char *arg)
{
	mailcert_policy *p = run->policy;
	char err[1024];

	switch (c) {
	case 'n':
		if (mailcert_policy_add_name(p, arg) < 0)
			return usage_error(cmd, "--name \"%s\" is not a valid name", arg);
		return 0;
	case 'w':
	case 'c':
		if (mailcert_policy_set_threshold(p, c == 'c', arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "%s: %s", c == 'c' ? "--critical" : "--warning",
					   err);
		return 0;
	case OPT_CA_FILE:
	case OPT_CA_DIR:
	case OPT_SYSTEM_CA:
		return trust(cmd, run, c, arg);
	case OPT_SELF_SIGNED:
		mailcert_policy_set_allow_self_signed(p, 1);
		return 0;
	case OPT_AT:
		if (parse_at(arg, run->now, &run->now) < 0)
			return usage_error(cmd,
					   "--at \"%s\": use 2027-01-31, 2027-01-31T12:00:00Z or "
					   "+30d",
					   arg);
		return 0;
	case OPT_ISSUER:
	case OPT_SUBJECT:
		if ((c == OPT_ISSUER ? mailcert_policy_set_issuer
				     : mailcert_policy_set_subject)(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "%s: %s",
					   c == OPT_ISSUER ? "--issuer" : "--subject", err);
		return 0;
	case OPT_SERIAL:
		if (mailcert_policy_set_serial(p, arg) < 0)
			return usage_error(cmd,
					   "--serial \"%s\": not a hexadecimal serial number "
					   "(e.g. 04:A3:1F or 4a31f)",
					   arg);
		return 0;
	case OPT_PIN:
		if (mailcert_policy_add_pin(p, arg) < 0)
			return usage_error(cmd,
					   "--pin \"%s\": use sha256: and the SHA-256 of the "
					   "public key (SPKI) or of the certificate, in base64 (44 "
					   "characters) or hex (64 digits)",
					   arg);
		return 0;
	case OPT_MIN_KEY_BITS:
		if (mailcert_policy_set_min_key_bits(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--min-key-bits: %s", err);
		return 0;
	case OPT_SEVERITY:
		return parse_severity(cmd, p, arg);
	case OPT_CRL:
		if (mailcert_policy_add_crl_file(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--crl: %s", err);
		return 0;
	case OPT_DANE:
		mailcert_policy_set_dane(p, 1);
		return 0;
	case OPT_TLSA:
		if (mailcert_policy_add_tlsa(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--tlsa \"%s\": %s", arg, err);
		return 0;
	case OPT_ARI:
		mailcert_policy_set_ari(p, 1);
		return 0;
	case OPT_ACME_DIRECTORY:
		if (mailcert_policy_set_acme_directory(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--acme-directory: %s", err);
		return 0;
	case OPT_MAX_VALIDITY:
		if (mailcert_policy_set_max_validity(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--max-validity: %s", err);
		return 0;
	case OPT_CT:
		mailcert_policy_set_ct(p, MAILCERT_CT_REQUIRE);
		return 0;
	case OPT_CT_LOG_LIST:
		if (mailcert_policy_set_ct_log_list(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--ct-log-list: %s", err);
		return 0;
	case OPT_NEXT_KEY:
		if (mailcert_policy_add_next_key(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd,
					   "--next-key: %s (give the staged key or certificate of "
					   "the next renewal)",
					   err);
		return 0;
	case OPT_NEXT_ISSUER:
		if (mailcert_policy_add_next_issuer(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd,
					   "--next-issuer: %s (give the certificate of the CA that "
					   "will issue the next renewal, e.g. its intermediate)",
					   err);
		return 0;
	case OPT_RESOLVER:
		if (mailcert_policy_set_resolver(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--resolver: %s", err);
		return 0;
	case OPT_TRUST_ANCHOR:
		if (mailcert_policy_set_trust_anchor(p, arg, err, sizeof(err)) < 0)
			return usage_error(cmd, "--trust-anchor: %s", err);
		return 0;
	default:
		return usage_error(cmd, "internal error: option %d is no policy option", c);
	}
}

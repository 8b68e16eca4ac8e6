/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmailcert — check the TLS certificates that mail servers present.
 *
 *   target → probe (dialogue, tls) → observation ┐
 *            stages (TLSA lookup, CRL fetches) → evidence ┴→ evaluate(policy, now)
 *          → report → render
 *
 * A check (check.h) is that whole line as one job, many at once in an
 * engine (engine.h).
 *
 * Include this header; it includes the others.
 */
#ifndef MAILCERT_MAILCERT_H
#define MAILCERT_MAILCERT_H

#include <mailcert/version.h>
#include <mailcert/common.h>
#include <mailcert/target.h>
#include <mailcert/observation.h>
#include <mailcert/probe.h>
#include <mailcert/engine.h>
#include <mailcert/check.h>
#include <mailcert/policy.h>
#include <mailcert/report.h>
#include <mailcert/render.h>
#include <mailcert/consistency.h>
#include <mailcert/domain.h>
#include <mailcert/acme.h>
#include <mailcert/tlsa.h>

#endif

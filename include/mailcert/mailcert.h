/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmailcert — check the TLS certificates that mail servers present.
 *
 *   target → probe (dialogue, tls) → observation → evaluate(policy, now)
 *          → report → render
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
#include <mailcert/policy.h>
#include <mailcert/report.h>
#include <mailcert/render.h>
#include <mailcert/consistency.h>
#include <mailcert/domain.h>

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MAILCERT_CLI_EXPORTER_H
#define MAILCERT_CLI_EXPORTER_H

#include "cli.h"

/* A module: the options of one kind of probe, named by /probe?module=NAME. */
struct exporter_module {
	char *name; /* "" for the command line's defaults */
	struct check_run run;
	time_t at_offset; /* --at +N: each probe judged as of its time plus this */
};

/* The command line's options, kept to build every module on them. */
struct exporter_option {
	int c;
	const char *arg;
};

struct exporter_config {
	struct exporter_module *modules; /* [0]: the defaults */
	size_t len;
	struct exporter_option *defaults;
	size_t defaults_len;
	char **values; /* the config file's, which the modules' runs point into */
	size_t values_len;
};

/* The defaults module, empty. 0, or -1 when out of memory. */
int exporter_config_init(struct exporter_config *cfg);
/*
 * A command-line option (a policy or connection option, @arg
 * living as long as the process): applied to the defaults and kept for
 * the modules. 0, or EXIT_USAGE after a message.
 */
int exporter_config_default(struct exporter_config *cfg, int c, const char *arg);
/*
 * Reads the modules of @path ([module NAME] sections of "option = value"
 * lines, docs/exporter.md), each built on the defaults. 0, or EXIT_USAGE
 * after a message naming FILE:LINE.
 */
int exporter_config_load(struct exporter_config *cfg, const char *path);
/* After the options and the file: each module's policy gets the system trust store unless it named its CAs. */
void exporter_config_ready(struct exporter_config *cfg);
/* The module called @name; the defaults for NULL or ""; NULL when unknown. */
const struct exporter_module *exporter_module(const struct exporter_config *cfg, const char *name);
/* "modules: a, b" (bounded), or "no modules: only the defaults", into @buf. */
void exporter_module_names(const struct exporter_config *cfg, char *buf, size_t size);
void exporter_config_free(struct exporter_config *cfg);

#endif

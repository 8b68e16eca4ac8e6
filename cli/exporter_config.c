/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exporter's modules: the command line's options are the defaults,
 * and each [module NAME] section of --config FILE is those plus its own
 * "option = value" lines, the connection and policy options of `mailcert
 * check` (those options.c marks MC_OPT_MODULE) without their dashes:
 *
 *   # comments and blank lines are ignored
 *   [module strict]
 *   min-tls = 1.3
 *   warning = 21d
 *   allow-self-signed
 *
 * Each line goes through the very parser of the command line
 * (policy_option(), probe_option()), so a module means what the same
 * flags mean to `mailcert check`. Every mistake stops the startup with
 * FILE:LINE: a monitoring setup that starts with a module half-read would
 * judge with a policy nobody wrote.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

#define LINE_MAX_BYTES 1024
#define NAME_MAX_BYTES 64
#define MODULES_MAX 256

static int new_module(struct exporter_config *cfg, const char *name)
{
	struct exporter_module *m = realloc(cfg->modules, (cfg->len + 1) * sizeof(*m));

	if (!m)
		return -1;
	cfg->modules = m;
	m += cfg->len;
	memset(m, 0, sizeof(*m));
	m->run.timeout_ms = 10000;
	m->name = strdup(name);
	if (!m->name)
		return -1;
	if (run_policy_new(&m->run) < 0) {
		free(m->name);
		return -1;
	}
	cfg->len++;
	return 0;
}

int exporter_config_init(struct exporter_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	return new_module(cfg, "");
}

/*
 * Applies option @c to @m as the command line would. --at is handled
 * here: an exporter judges each probe when it runs, so only an offset
 * (+30d) means anything.
 */
static int apply(struct exporter_module *m, int c, const char *arg)
{
	if (c == OPT_AT) {
		time_t off;

		if (arg[0] != '+' || parse_at(arg, 0, &off) < 0)
			return usage_error("exporter ",
					   "--at \"%s\": the exporter judges each probe as of "
					   "when it runs: give an offset, e.g. +30d, +12h, +900s",
					   arg);
		m->at_offset = off;
		return 0;
	}
	if (IS_POLICY_OPTION(c))
		return policy_option("exporter ", &m->run, c, arg);
	return probe_option("exporter ", &m->run, c, arg) ? EXIT_USAGE : 0;
}

int exporter_config_default(struct exporter_config *cfg, int c, const char *arg)
{
	struct exporter_option *o;

	if (apply(&cfg->modules[0], c, arg))
		return EXIT_USAGE;
	o = realloc(cfg->defaults, (cfg->defaults_len + 1) * sizeof(*o));
	if (!o) {
		fputs("mailcert: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	cfg->defaults = o;
	o[cfg->defaults_len++] = (struct exporter_option){c, arg};
	return 0;
}

/* apply() for a line of the file: its usage messages name FILE:LINE. */
static int apply_line(struct exporter_module *m, int c, const char *arg, const char *path,
		      unsigned line)
{
	char where[4096 + 16];
	int rc;

	snprintf(where, sizeof(where), "%s:%u", path, line);
	usage_where = where;
	rc = apply(m, c, arg);
	usage_where = NULL;
	return rc;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_BYTES)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return 0;
	return 1;
}

/* "[module NAME]": a new module with the defaults applied. */
static int section(struct exporter_config *cfg, char *s, const char *path, unsigned line)
{
	size_t n = strlen(s);
	char *name;

	if (s[n - 1] != ']')
		return usage_error("exporter ", "%s:%u: a section is [module NAME], not %s", path,
				   line, s);
	s[n - 1] = '\0';
	name = trim(s + 1);
	if (strncmp(name, "module", 6) != 0 || !isspace((unsigned char)name[6]))
		return usage_error("exporter ", "%s:%u: a section is [module NAME], not [%s]", path,
				   line, name);
	name = trim(name + 6);
	if (!valid_name(name))
		return usage_error("exporter ",
				   "%s:%u: module name \"%s\": 1 to %d letters, digits, '_', '.' "
				   "or '-'",
				   path, line, name, NAME_MAX_BYTES);
	if (exporter_module(cfg, name))
		return usage_error("exporter ", "%s:%u: module \"%s\" is defined twice", path, line,
				   name);
	if (cfg->len > MODULES_MAX)
		return usage_error("exporter ", "%s:%u: more than %d modules", path, line,
				   MODULES_MAX);
	if (new_module(cfg, name) < 0)
		return usage_error("exporter ", "%s:%u: out of memory", path, line);
	for (size_t i = 0; i < cfg->defaults_len; i++)
		if (apply_line(&cfg->modules[cfg->len - 1], cfg->defaults[i].c,
			       cfg->defaults[i].arg, path, line))
			return EXIT_USAGE;
	return 0;
}

/* "option = value" or "option" (a flag) in the current module. */
static int option_line(struct exporter_config *cfg, char *s, const char *path, unsigned line)
{
	char *eq = strchr(s, '='), *key = s, *value = NULL, **values;
	const struct mc_option *o;

	if (eq) {
		*eq = '\0';
		value = trim(eq + 1);
	}
	key = trim(key);
	if (cfg->len < 2)
		return usage_error("exporter ",
				   "%s:%u: \"%s\" before any [module NAME]: options outside a "
				   "module belong on the command line",
				   path, line, key);
	o = mc_module_option(key);
	if (!o)
		return usage_error("exporter ",
				   "%s:%u: unknown option \"%s\" (the long options of mailcert "
				   "check, without --)",
				   path, line, key);
	if (!o->arg && value) {
		if (strcmp(value, "true") != 0 && strcmp(value, "yes") != 0)
			return usage_error("exporter ",
					   "%s:%u: %s is a flag: write it alone (or \"%s = "
					   "true\")",
					   path, line, key, key);
		value = NULL;
	}
	if (o->arg && (!value || !*value))
		return usage_error("exporter ", "%s:%u: %s needs a value: %s = VALUE", path, line,
				   key, key);
	if (value) { /* the module's run points into it from now on */
		values = realloc(cfg->values, (cfg->values_len + 1) * sizeof(*values));
		if (!values || !(values[cfg->values_len] = strdup(value))) {
			if (values)
				cfg->values = values;
			return usage_error("exporter ", "%s:%u: out of memory", path, line);
		}
		cfg->values = values;
		value = values[cfg->values_len++];
	}
	return apply_line(&cfg->modules[cfg->len - 1], o->val, value, path, line);
}

int exporter_config_load(struct exporter_config *cfg, const char *path)
{
	char buf[LINE_MAX_BYTES + 2];
	unsigned line = 0;
	int rc = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return usage_error("exporter ", "--config %s: %s", path, strerror(errno));
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		size_t n = strlen(buf);
		char *s;

		line++;
		if (n > 0 && buf[n - 1] == '\n') {
			buf[--n] = '\0';
		} else if (!feof(f)) {
			rc = usage_error("exporter ", "%s:%u: longer than %d bytes", path, line,
					 LINE_MAX_BYTES);
			break;
		}
		s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		rc = *s == '[' ? section(cfg, s, path, line) : option_line(cfg, s, path, line);
	}
	if (rc == 0 && ferror(f))
		rc = usage_error("exporter ", "--config %s: %s", path, strerror(errno));
	fclose(f);
	return rc;
}

const struct exporter_module *exporter_module(const struct exporter_config *cfg, const char *name)
{
	if (!name || !*name)
		return &cfg->modules[0];
	for (size_t i = 1; i < cfg->len; i++)
		if (strcmp(cfg->modules[i].name, name) == 0)
			return &cfg->modules[i];
	return NULL;
}

void exporter_config_ready(struct exporter_config *cfg)
{
	for (size_t i = 0; i < cfg->len; i++)
		run_policy_ready(&cfg->modules[i].run);
}

void exporter_module_names(const struct exporter_config *cfg, char *buf, size_t size)
{
	size_t used;

	if (cfg->len < 2) {
		snprintf(buf, size, "no modules: only the defaults");
		return;
	}
	used = (size_t)snprintf(buf, size, "modules:");
	for (size_t i = 1; i < cfg->len && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s %s", i > 1 ? "," : "",
					 cfg->modules[i].name);
	if (used >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
}

void exporter_config_free(struct exporter_config *cfg)
{
	for (size_t i = 0; i < cfg->len; i++) {
		mailcert_policy_free(cfg->modules[i].run.policy);
		free(cfg->modules[i].name);
	}
	free(cfg->modules);
	for (size_t i = 0; i < cfg->values_len; i++)
		free(cfg->values[i]);
	free(cfg->values);
	free(cfg->defaults);
	memset(cfg, 0, sizeof(*cfg));
}

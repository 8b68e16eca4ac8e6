/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "lines.h"

enum mc_lines_rc mc_lines_next(struct mc_lines *l, struct mc_bytes *in, struct mc_bytes *line)
{
	size_t n = MC_LINE_MAX - l->len;
	const uint8_t *lf;

	if (l->len == MC_LINE_MAX)
		goto too_long;
	if (in->len == 0)
		return MC_LINES_MORE;
	if (n > in->len)
		n = in->len;
	lf = memchr(in->p, '\n', n);
	if (lf)
		n = (size_t)(lf - in->p) + 1;
	if (n > MC_DIALOGUE_MAX - l->total)
		return MC_LINES_TOO_MUCH;
	memcpy(l->buf + l->len, in->p, n);
	l->len += n;
	l->total += n;
	in->p += n;
	in->len -= n;
	if (!lf) {
		if (l->len < MC_LINE_MAX)
			return MC_LINES_MORE;
		goto too_long;
	}
	/* Liberal in line ends: LF alone is taken as CRLF. */
	line->p = l->buf;
	line->len = l->len - 1;
	if (line->len > 0 && l->buf[line->len - 1] == '\r')
		line->len--;
	l->len = 0;
	return MC_LINES_LINE;

too_long:
	line->p = l->buf;
	line->len = l->len;
	return MC_LINES_TOO_LONG;
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

int mc_reply_line_parse(struct mc_reply_line *out, const uint8_t *line, size_t len)
{
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]))
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	out->code = (line[0] - '0') * 100u + (line[1] - '0') * 10u + (line[2] - '0');
	out->more = len > 3 && line[3] == '-';
	out->text.p = line + (len > 3 ? 4 : 3);
	out->text.len = len > 3 ? len - 4 : 0;
	return 0;
}

enum mc_reply_rc mc_reply_add(struct mc_reply *r, struct mc_reply_line *out, const uint8_t *line,
			      size_t len)
{
	if (r->done)
		memset(r, 0, sizeof(*r));
	if (mc_reply_line_parse(out, line, len) < 0)
		return MC_REPLY_MALFORMED;
	if (r->lines == MC_REPLY_LINES_MAX)
		return MC_REPLY_TOO_MANY;
	if (r->lines == 0) {
		r->code = out->code;
		r->first_len = len < sizeof(r->first) ? len : sizeof(r->first);
		memcpy(r->first, line, r->first_len);
	} else if (out->code != r->code) {
		return MC_REPLY_MIXED;
	}
	r->lines++;
	r->done = !out->more;
	return r->done ? MC_REPLY_DONE : MC_REPLY_MORE;
}

enum mc_reply_rc mc_reply_add_ftp(struct mc_reply *r, struct mc_reply_line *out,
				  const uint8_t *line, size_t len)
{
	if (r->done || r->lines == 0)
		return mc_reply_add(r, out, line, len);
	if (r->lines == MC_REPLY_LINES_MAX)
		return MC_REPLY_TOO_MANY;
	if (mc_reply_line_parse(out, line, len) < 0 || out->code != r->code) {
		out->code = r->code;
		out->more = 1;
		out->text.p = line;
		out->text.len = len;
	}
	r->lines++;
	r->done = !out->more;
	return r->done ? MC_REPLY_DONE : MC_REPLY_MORE;
}

static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

int mc_word_eq(const uint8_t *p, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!word[i] || ascii_lower(p[i]) != ascii_lower((uint8_t)word[i]))
			return 0;
	}
	return word[i] == '\0';
}

struct mc_bytes mc_token(const uint8_t *line, size_t len, size_t *i)
{
	struct mc_bytes t;

	while (*i < len && line[*i] == ' ')
		(*i)++;
	t.p = line + *i;
	while (*i < len && line[*i] != ' ')
		(*i)++;
	t.len = (size_t)(line + *i - t.p);
	return t;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the text dialogues share: a bounded line splitter, and the
 * "ddd text" replies of SMTP, LMTP, FTP and NNTP. No I/O, no allocation;
 * every view returned is borrowed from the caller's bytes or the struct.
 */
#ifndef MAILCERT_PROTO_LINES_H
#define MAILCERT_PROTO_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Server bytes quoted in one failure message before "..." (docs/design.md rule 7). */
#define MC_QUOTE_MAX 120

/* A view of bytes owned elsewhere. */
struct mc_bytes {
	const uint8_t *p;
	size_t len;
};

/* Splits the server's bytes into lines; zero it to start. */
struct mc_lines {
	size_t len;   /* bytes of the unfinished line in @buf */
	size_t total; /* bytes taken since the start, at most MC_DIALOGUE_MAX */
	uint8_t buf[MC_LINE_MAX];
};

enum mc_lines_rc {
	MC_LINES_MORE,     /* @in is used up; the unfinished line is kept */
	MC_LINES_LINE,     /* a line is complete */
	MC_LINES_TOO_LONG, /* MC_LINE_MAX bytes and no LF */
	MC_LINES_TOO_MUCH, /* the line would take the total past MC_DIALOGUE_MAX */
};

/*
 * Takes bytes from @in, advancing it, up to and including the next LF.
 * LINE: @line is the line without its LF or CRLF (a lone CR is kept), valid
 * until the next call on @l; @in holds the bytes after it, not taken, so
 * in->len says how many followed the line. TOO_LONG: @line holds the
 * MC_LINE_MAX bytes, for quoting. MORE, TOO_MUCH: @line is untouched.
 * TOO_LONG and TOO_MUCH are final: call again and they are returned again.
 */
enum mc_lines_rc mc_lines_next(struct mc_lines *l, struct mc_bytes *in, struct mc_bytes *line);

/* One line of a numeric reply. */
struct mc_reply_line {
	unsigned code;        /* 000 to 999 */
	int more;             /* "ddd-": more lines of the same reply follow */
	struct mc_bytes text; /* after "ddd-" or "ddd ", borrowed from the line */
};

/*
 * Parses "ddd", "ddd text" or "ddd-text" (RFC 5321 section 4.2, RFC 959
 * section 4.2, RFC 3977 section 3.2) into @out. Returns 0, or -1 when @line
 * is none of them (@out is then unspecified).
 */
int mc_reply_line_parse(struct mc_reply_line *out, const uint8_t *line, size_t len);

/* A numeric reply read line by line; zero it to start. */
struct mc_reply {
	unsigned code;  /* of the first line */
	unsigned lines; /* taken so far */
	int done;       /* the last line was taken; the next line starts a new reply */
	uint8_t first[MC_QUOTE_MAX + 1]; /* the first line, cut one byte past what is quoted */
	size_t first_len;
};

enum mc_reply_rc {
	MC_REPLY_MORE,      /* a "ddd-" line: read on */
	MC_REPLY_DONE,      /* the last line: @r holds the whole reply's code */
	MC_REPLY_MALFORMED, /* not a reply line */
	MC_REPLY_MIXED,     /* a code other than the first line's */
	MC_REPLY_TOO_MANY,  /* more than MC_REPLY_LINES_MAX lines */
};

/*
 * Adds one line to @r, parsed into @out. Every line must carry the first
 * line's code, as SMTP requires (RFC 5321 section 4.2.1); FTP, which lets
 * inner lines be free text (RFC 959 section 4.2), uses mc_reply_add_ftp().
 */
enum mc_reply_rc mc_reply_add(struct mc_reply *r, struct mc_reply_line *out, const uint8_t *line,
			      size_t len);

/*
 * As mc_reply_add(), with FTP's looser multi-line replies (RFC 959 section
 * 4.2): after a first line "ddd-", only a line that starts with the same
 * "ddd " (or is "ddd" alone) ends the reply. Every other line is inner
 * text, even one that starts with other digits; MIXED is never returned.
 * For an inner line, @out has the reply's code and more = 1, and its text
 * is the whole line, or what follows "ddd-" when it repeats the code.
 */
enum mc_reply_rc mc_reply_add_ftp(struct mc_reply *r, struct mc_reply_line *out,
				  const uint8_t *line, size_t len);

/*
 * The next run of non-space bytes of @line before @len, from *@i on after
 * skipping spaces; advances *@i past it. Empty at the end of the line.
 */
struct mc_bytes mc_token(const uint8_t *line, size_t len, size_t *i);

/* Whether the @len bytes at @p are @word, ASCII case ignored. */
int mc_word_eq(const uint8_t *p, size_t len, const char *word);

#endif

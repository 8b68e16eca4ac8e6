/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ManageSieve STARTTLS (RFC 5804): the server speaks first, one capability
 * per line ("IMPLEMENTATION" "Dovecot Pigeonhole", "STARTTLS", …) and then
 * OK (section 1.7); the client sends STARTTLS, and OK is the go-ahead, NO or
 * BYE a refusal (section 2.2).
 *
 * Strings are quoted ("…" with \" and \\ escapes) or literals ("{n}" or
 * "{n+}", CRLF, then n bytes; section 4), and a literal's bytes may hold
 * CRLF. So a response cannot be split at line ends: this file takes the
 * server's bytes (the @bytes hook) and reads one whole response, literals
 * included, at a time. A response is bounded by MC_LINE_MAX bytes,
 * literals counted; a literal announcing more fails at once, before its
 * bytes are awaited.
 *
 * After TLS the server sends its capabilities again (section 2.2: it
 * "MUST re-issue the capability results"). That happens inside TLS and is
 * not this file's business: the check ends at the handshake, and what was
 * read here is discarded (docs/design.md rule 6).
 */
#include <string.h>

#include "dialogue.h"

#define SIEVE_TOKENS 3 /* tokens kept per response; a capability's name is the first */

enum sieve_stage {
	SIEVE_GREETING,
	SIEVE_STARTTLS,
};

struct sieve {
	enum sieve_stage stage;
	int starttls;                    /* advertised in the greeting */
	unsigned lines;                  /* capability lines so far */
	uint8_t names[MC_QUOTE_MAX + 1]; /* capability names, quoted when STARTTLS is not one */
	size_t names_len;
};

enum tok_kind {
	TOK_ATOM,
	TOK_QUOTED,  /* the bytes between the quotes, escapes left in */
	TOK_LITERAL, /* the literal's bytes */
	TOK_PAREN,   /* "(" or ")" around a response code */
};

struct tok {
	enum tok_kind kind;
	struct mc_bytes text;
};

/* One response: a capability line, or OK, NO or BYE with its response code and text. */
struct response {
	size_t end; /* bytes it took, line end included */
	size_t len; /* bytes to quote: up to the line end, or up to the fault */
	struct tok tok[SIEVE_TOKENS];
	unsigned ntok;    /* tokens seen, at most SIEVE_TOKENS kept */
	int strings_only; /* every token is a quoted string or a literal */
};

enum scan_rc {
	SCAN_DONE,
	SCAN_MORE,      /* the response goes on past the bytes received */
	SCAN_MALFORMED, /* .len covers the offending byte */
	SCAN_TOO_LONG,  /* no line end within MC_LINE_MAX bytes */
	SCAN_LITERAL,   /* a literal would take the response past MC_LINE_MAX; .len ends at "}" */
};

static const char *sieve_stage(const struct mc_dialogue *d)
{
	const struct sieve *s = d->state;

	return s->stage == SIEVE_GREETING ? "greeting" : "reply to STARTTLS";
}

/* Section 1.7: the client waits for the capabilities before it speaks. */
static enum mc_step sieve_start(struct mc_dialogue *d)
{
	(void)d;
	return MC_STEP_READ;
}

/*
 * Why byte @k is not there to look at. Whether the response exceeds
 * MC_LINE_MAX depends only on its first MC_LINE_MAX bytes, so it is decided
 * the same way whatever pieces the bytes came in.
 */
static enum scan_rc short_of(size_t k)
{
	return k >= MC_LINE_MAX ? SCAN_TOO_LONG : SCAN_MORE;
}

static int has(size_t k, size_t len)
{
	return k < len && k < MC_LINE_MAX;
}

static enum scan_rc malformed(struct response *r, size_t at)
{
	r->len = at + 1;
	return SCAN_MALFORMED;
}

/* RFC 5804 section 4, ATOM-CHAR: no controls, space, quote, parenthesis, brace, backslash. */
static int is_atom_char(uint8_t c)
{
	return c > ' ' && c < 0x7f && !strchr("\"(){\\", c);
}

/* The quoted string opening at *@i: QUOTED-CHAR is any UTF-8 but NUL, CR, LF, or \" \\. */
static enum scan_rc scan_quoted(const uint8_t *p, size_t len, size_t *i, struct response *r,
				struct tok *t)
{
	size_t k = *i + 1;

	for (;;) {
		if (!has(k, len))
			return short_of(k);
		if (p[k] == '"')
			break;
		if (p[k] == '\0' || p[k] == '\r' || p[k] == '\n')
			return malformed(r, k);
		if (p[k] == '\\') {
			k++;
			if (!has(k, len))
				return short_of(k);
			if (p[k] != '"' && p[k] != '\\')
				return malformed(r, k);
		}
		k++;
	}
	t->kind = TOK_QUOTED;
	t->text.p = p + *i + 1;
	t->text.len = k - *i - 1;
	*i = k + 1;
	return SCAN_DONE;
}

/* The literal opening at *@i: "{" number ["+"] "}" CRLF, then number bytes. */
static enum scan_rc scan_literal(const uint8_t *p, size_t len, size_t *i, struct response *r,
				 struct tok *t)
{
	size_t k = *i + 1, n = 0, digits = 0, brace;

	for (;; k++, digits++) {
		if (!has(k, len))
			return short_of(k);
		if (p[k] < '0' || p[k] > '9')
			break;
		/* Saturate: any count past the bound fails alike. */
		if (n <= MC_LINE_MAX)
			n = n * 10 + (size_t)(p[k] - '0');
	}
	if (digits == 0)
		return malformed(r, k);
	if (p[k] == '+' && !has(++k, len))
		return short_of(k);
	if (p[k] != '}')
		return malformed(r, k);
	brace = k++;
	/* Liberal in line ends, as mc_lines_next(): LF alone is taken as CRLF. */
	if (!has(k, len))
		return short_of(k);
	if (p[k] == '\r') {
		if (!has(++k, len))
			return short_of(k);
		if (p[k] != '\n')
			return malformed(r, k);
	} else if (p[k] != '\n') {
		return malformed(r, k);
	}
	k++;
	if (n > MC_LINE_MAX - k) {
		r->len = brace + 1;
		return SCAN_LITERAL;
	}
	if (k + n > len)
		return SCAN_MORE;
	t->kind = TOK_LITERAL;
	t->text.p = p + k;
	t->text.len = n;
	*i = k + n;
	return SCAN_DONE;
}

/* The next token at *@i, which holds neither a space nor a line end. */
static enum scan_rc scan_token(const uint8_t *p, size_t len, size_t *i, struct response *r,
			       struct tok *t)
{
	size_t k = *i;

	if (p[k] == '"')
		return scan_quoted(p, len, i, r, t);
	if (p[k] == '{')
		return scan_literal(p, len, i, r, t);
	t->text.p = p + k;
	if (p[k] == '(' || p[k] == ')') {
		t->kind = TOK_PAREN;
		t->text.len = 1;
		*i = k + 1;
		return SCAN_DONE;
	}
	if (!is_atom_char(p[k]))
		return malformed(r, k);
	while (has(k, len) && is_atom_char(p[k]))
		k++;
	if (!has(k, len))
		return short_of(k);
	t->kind = TOK_ATOM;
	t->text.len = k - *i;
	*i = k;
	return SCAN_DONE;
}

/*
 * Reads the response at the start of @p (section 4: tokens separated by
 * spaces, ended by CRLF outside any string). DONE fills all of @r;
 * MALFORMED, TOO_LONG and LITERAL set what to quote.
 */
static enum scan_rc scan(const uint8_t *p, size_t len, struct response *r)
{
	size_t i = 0;

	memset(r, 0, sizeof(*r));
	r->strings_only = 1;
	for (;;) {
		struct tok t;
		enum scan_rc rc;

		if (!has(i, len))
			return short_of(i);
		if (p[i] == ' ') {
			i++;
			continue;
		}
		if (p[i] == '\n') {
			r->len = i;
			r->end = i + 1;
			return SCAN_DONE;
		}
		if (p[i] == '\r') {
			if (!has(i + 1, len))
				return short_of(i + 1);
			if (p[i + 1] != '\n')
				return malformed(r, i + 1);
			r->len = i;
			r->end = i + 2;
			return SCAN_DONE;
		}
		rc = scan_token(p, len, &i, r, &t);
		if (rc != SCAN_DONE)
			return rc;
		if (t.kind != TOK_QUOTED && t.kind != TOK_LITERAL)
			r->strings_only = 0;
		if (r->ntok < SIEVE_TOKENS)
			r->tok[r->ntok++] = t;
	}
}

static int is_string(const struct tok *t)
{
	return t->kind == TOK_QUOTED || t->kind == TOK_LITERAL;
}

/* Whether @r starts with the atom @word (section 4: "OK", "NO", "BYE", any case). */
static int starts_with(const struct response *r, const char *word)
{
	return r->ntok > 0 && r->tok[0].kind == TOK_ATOM &&
	       mc_word_eq(r->tok[0].text.p, r->tok[0].text.len, word);
}

/*
 * Capability names compare case-insensitively (section 1.7). A quoted name
 * is compared with its escapes left in: a name holding \" or \\ is not
 * STARTTLS either way.
 */
static void note_capability(struct sieve *s, const struct mc_bytes *name)
{
	size_t n = name->len, room;

	if (mc_word_eq(name->p, name->len, "STARTTLS"))
		s->starttls = 1;
	room = sizeof(s->names) - s->names_len;
	if (s->names_len > 0 && room > 0) {
		s->names[s->names_len++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(s->names + s->names_len, name->p, n);
	s->names_len += n;
}

static enum mc_step greeting(struct mc_dialogue *d, struct sieve *s, const uint8_t *p,
			     const struct response *r)
{
	if (r->ntok > 0 && is_string(&r->tok[0])) {
		if (!r->strings_only)
			return mc_dialogue_fail(d, "protocol.unexpected", p, r->len,
						"the server's greeting has a malformed line");
		if (++s->lines > MC_REPLY_LINES_MAX)
			return mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
						"the server's greeting has more than %d lines",
						MC_REPLY_LINES_MAX);
		note_capability(s, &r->tok[0].text);
		return MC_STEP_READ;
	}
	if (starts_with(r, "NO") || starts_with(r, "BYE"))
		return mc_dialogue_fail(d, "protocol.unexpected", p, r->len,
					"the server's greeting ended in %s instead of OK",
					starts_with(r, "NO") ? "NO" : "BYE");
	if (!starts_with(r, "OK"))
		return mc_dialogue_fail(d, "protocol.unexpected", p, r->len,
					"the server's greeting has a line that is neither a "
					"capability nor OK, NO or BYE");
	if (!s->starttls)
		return mc_dialogue_fail(
		    d, "starttls.not-offered", s->names, s->names_len,
		    "the server did not advertise STARTTLS in its greeting; its "
		    "capabilities");
	s->stage = SIEVE_STARTTLS;
	return mc_dialogue_send(d, "STARTTLS\r\n");
}

/* Section 2.2: OK is the go-ahead; NO and BYE refuse (their text says why). */
static enum mc_step starttls_reply(struct mc_dialogue *d, const uint8_t *p,
				   const struct response *r)
{
	if (starts_with(r, "OK"))
		return MC_STEP_TLS;
	if (starts_with(r, "NO") || starts_with(r, "BYE"))
		return mc_dialogue_fail(d, "starttls.refused", p, r->len,
					"the server refused STARTTLS");
	return mc_dialogue_fail(d, "protocol.unexpected", p, r->len,
				"the server's reply to STARTTLS is not OK, NO or BYE");
}

static size_t sieve_bytes(struct mc_dialogue *d, const uint8_t *p, size_t len, enum mc_step *step)
{
	struct sieve *s = d->state;
	struct response r;
	const char *stage = sieve_stage(d);

	switch (scan(p, len, &r)) {
	case SCAN_MORE:
		*step = MC_STEP_READ;
		return 0;
	case SCAN_TOO_LONG:
		*step = mc_dialogue_fail(d, "protocol.unexpected", p, MC_LINE_MAX,
					 "a line of the server's %s is longer than %d bytes", stage,
					 MC_LINE_MAX);
		return 0;
	case SCAN_MALFORMED:
		*step = mc_dialogue_fail(d, "protocol.unexpected", p, r.len,
					 "the server's %s has a malformed line", stage);
		return 0;
	case SCAN_LITERAL:
		*step = mc_dialogue_fail(d, "protocol.unexpected", p, r.len,
					 "the server's %s announces a literal that would take its "
					 "line past %d bytes",
					 stage, MC_LINE_MAX);
		return 0;
	case SCAN_DONE:
		break;
	}
	if (s->stage == SIEVE_GREETING)
		*step = greeting(d, s, p, &r);
	else
		*step = starttls_reply(d, p, &r);
	return r.end;
}

const struct mc_proto_ops mc_sieve_ops = {
    .state_size = sizeof(struct sieve),
    .go_ahead = "OK go-ahead",
    .start = sieve_start,
    .bytes = sieve_bytes,
    .stage = sieve_stage,
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * XMPP STARTTLS (RFC 6120 section 5), client-to-server (jabber:client) and
 * server-to-server (jabber:server): the client opens its stream first; the
 * server answers with its stream header and <stream:features>; if these
 * hold <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>, the client
 * sends the same element and <proceed/> is the go-ahead, <failure/> a
 * refusal.
 *
 * The server's bytes go through expat with namespace processing, so names
 * are matched by namespace URI and local name, whatever prefixes the server
 * binds: a "starttls" in another namespace is not STARTTLS. Each call
 * hands expat the whole chunk; the element that settles a stage (features,
 * proceed) suspends the parser at its last byte, so what follows it in the
 * same chunk is left to dialogue.c (running ahead, or injection after
 * <proceed/>). RFC 6120 section 11.1 forbids DTDs, comments and processing
 * instructions in a stream: they end the check, so no entity is ever
 * declared (no "billion laughs"). Depth and attributes are bounded here,
 * the total size by dialogue.c.
 */
#include <stdio.h>
#include <string.h>

#include <expat.h>

#include "dialogue.h"

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"

/* expat names namespaced elements "URI local": a URI holds no space (RFC 3986). */
#define NS_SEP ' '

#define XMPP_DEPTH_MAX 16 /* a stream, features, a feature, its children: 4 suffice */
#define XMPP_ATTRS_MAX 32 /* attributes of one element */
#define XMPP_DOMAIN_MAX 255

#define STARTTLS "<starttls xmlns='" NS_TLS "'/>"

_Static_assert(sizeof("<?xml version='1.0'?><stream:stream to='' version='1.0' "
		      "xmlns='jabber:server' xmlns:stream='" NS_STREAMS "'>") -
		       1 + XMPP_DOMAIN_MAX <=
		   MC_COMMAND_MAX,
	       "the stream header must fit");

/*
 * Debian 12's expat 2.5.0 carries 2.6.0's reparse deferral (CVE-2023-52425):
 * a token split across calls is not parsed again until the bytes held have
 * doubled, so a </stream:features> cut by the network would wait for bytes
 * the server never sends. Declared weak: an expat without it links too.
 */
extern XML_Bool XML_SetReparseDeferralEnabled(XML_Parser parser, XML_Bool enabled)
    __attribute__((weak));

enum xmpp_phase {
	XMPP_FEATURES, /* the client's stream header sent; awaiting the server's and its features */
	XMPP_PROCEED,  /* <starttls/> sent */
};

/* The element at depth 2 (a child of the stream) being read. */
enum xmpp_top {
	TOP_NONE,
	TOP_FEATURES,
	TOP_ERROR,
	TOP_PROCEED,
	TOP_FAILURE,
};

struct xmpp {
	XML_Parser parser;
	struct mc_dialogue *d; /* whose state this is; the parser's user data is the state */
	enum xmpp_phase phase;
	enum xmpp_top top;
	unsigned depth;
	int starttls;                    /* the features offer it */
	char features[MC_QUOTE_MAX + 2]; /* their local names, cut one byte past what is quoted */
	size_t features_len;
	char condition[64];          /* a stream error's condition element, cut */
	int in_text;                 /* inside a stream error's <text> */
	char text[MC_QUOTE_MAX + 2]; /* its content, cut one byte past what is quoted */
	size_t text_len;
	enum mc_step step; /* READ until a handler settles the call */
	XML_Index end;     /* offset just past the element that settled it */
	XML_Index fed;     /* bytes given to expat so far */
	int suspended;     /* stopped at an element's end that was the chunk's end */
};

static const char *xmpp_stage(const struct mc_dialogue *d)
{
	const struct xmpp *s = d->state;

	return s && s->phase == XMPP_PROCEED ? "reply to <starttls/>"
					     : "stream header and features";
}

/* Whether expat's @name is @local in namespace @ns. */
static int name_is(const char *name, const char *ns, const char *local)
{
	size_t n = strlen(ns);

	return strncmp(name, ns, n) == 0 && name[n] == NS_SEP && strcmp(name + n + 1, local) == 0;
}

static const char *local_of(const char *name)
{
	const char *sep = strrchr(name, NS_SEP);

	return sep ? sep + 1 : name;
}

static void append(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

/* Every handler stops at the first failure: expat is stopped for good. */
static void fail_stop(struct xmpp *s, enum mc_step step)
{
	s->step = step;
	XML_StopParser(s->parser, XML_FALSE);
}

/*
 * The element just ended settles this call with @step (WRITE or TLS):
 * expat stops after its last byte, so the caller knows where it ended.
 */
static void settle(struct xmpp *s, enum mc_step step)
{
	s->step = step;
	s->end = XML_GetCurrentByteIndex(s->parser) + XML_GetCurrentByteCount(s->parser);
	XML_StopParser(s->parser, XML_TRUE);
}

static void unexpected_element(struct xmpp *s, const char *name)
{
	struct mc_dialogue *d = s->d;

	fail_stop(s, mc_dialogue_fail(d, "protocol.unexpected", name, strlen(name),
				      "the server sent an unexpected element during its %s",
				      xmpp_stage(d)));
}

/*
 * RFC 6120 section 4.7.5: a stream without version='1.0' comes from a
 * server older than XMPP 1.0, which sends no features and so no STARTTLS.
 */
static void stream_opened(struct xmpp *s, const char *name, const char **atts)
{
	struct mc_dialogue *d = s->d;
	const char *version = NULL;

	if (!name_is(name, NS_STREAMS, "stream")) {
		fail_stop(s, mc_dialogue_fail(d, "protocol.unexpected", name, strlen(name),
					      "the server's stream header is not <stream:stream "
					      "xmlns:stream='" NS_STREAMS "'>"));
		return;
	}
	for (size_t i = 0; atts[i]; i += 2) {
		if (strcmp(atts[i], "version") == 0)
			version = atts[i + 1];
	}
	if (!version)
		fail_stop(s, mc_dialogue_fail(d, "starttls.not-offered", NULL, 0,
					      "the server's stream header has no version: a "
					      "server older than XMPP 1.0 offers no STARTTLS"));
	else if (version[0] < '1' || version[0] > '9')
		fail_stop(s, mc_dialogue_fail(d, "starttls.not-offered", version, strlen(version),
					      "the server's stream is older than XMPP 1.0 and "
					      "offers no STARTTLS: version"));
}

/* A child of the stream: what it may be depends on the phase. */
static void top_opened(struct xmpp *s, const char *name)
{
	if (name_is(name, NS_STREAMS, "error"))
		s->top = TOP_ERROR;
	else if (s->phase == XMPP_FEATURES && name_is(name, NS_STREAMS, "features"))
		s->top = TOP_FEATURES;
	else if (s->phase == XMPP_PROCEED && name_is(name, NS_TLS, "proceed"))
		s->top = TOP_PROCEED;
	else if (s->phase == XMPP_PROCEED && name_is(name, NS_TLS, "failure"))
		s->top = TOP_FAILURE;
	else
		unexpected_element(s, name);
}

/* A child of <features> or of <stream:error>. */
static void inner_opened(struct xmpp *s, const char *name)
{
	const char *local = local_of(name);

	if (s->top == TOP_FEATURES) {
		if (name_is(name, NS_TLS, "starttls"))
			s->starttls = 1;
		if (s->features_len > 0)
			append(s->features, sizeof(s->features), &s->features_len, " ", 1);
		append(s->features, sizeof(s->features), &s->features_len, local, strlen(local));
	} else if (s->top == TOP_ERROR && strncmp(name, NS_ERRORS " ", sizeof(NS_ERRORS)) == 0) {
		/* RFC 6120 section 4.9.2: one condition element, and an optional <text>. */
		if (strcmp(local, "text") == 0)
			s->in_text = 1;
		else if (!s->condition[0])
			snprintf(s->condition, sizeof(s->condition), "%s", local);
	}
}

static void XMLCALL on_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	struct xmpp *s = user;
	size_t n = 0;

	if (s->step != MC_STEP_READ) /* expat may still call after a stop */
		return;
	while (atts[n])
		n += 2;
	if (n / 2 > XMPP_ATTRS_MAX) {
		fail_stop(s, mc_dialogue_fail(s->d, "protocol.unexpected", name, strlen(name),
					      "an element of the server's %s has more than %d "
					      "attributes",
					      xmpp_stage(s->d), XMPP_ATTRS_MAX));
		return;
	}
	if (++s->depth > XMPP_DEPTH_MAX) {
		fail_stop(s, mc_dialogue_fail(s->d, "protocol.unexpected", NULL, 0,
					      "the server's %s nests elements deeper than %d",
					      xmpp_stage(s->d), XMPP_DEPTH_MAX));
		return;
	}
	if (s->depth == 1)
		stream_opened(s, name, atts);
	else if (s->depth == 2)
		top_opened(s, name);
	else if (s->depth == 3)
		inner_opened(s, name);
}

static void stream_error(struct xmpp *s)
{
	struct mc_dialogue *d = s->d;
	char cond[sizeof(s->condition) * 4 + 4], domain[XMPP_DOMAIN_MAX * 4 + 4];
	char hint[sizeof(domain) + 100] = "";
	const char *text = s->text_len ? s->text : NULL;

	if (!s->condition[0]) {
		fail_stop(s, mc_dialogue_fail(d, "protocol.unexpected", text, s->text_len,
					      "the server ended the stream with an error that "
					      "names no condition"));
		return;
	}
	mc_quote(cond, sizeof(cond), s->condition, strlen(s->condition), sizeof(s->condition));
	/* RFC 6120 section 4.9.3.6: the 'to' is not a domain the server serves. */
	if (strcmp(s->condition, "host-unknown") == 0) {
		mc_quote(domain, sizeof(domain), d->domain, strlen(d->domain), 64);
		snprintf(hint, sizeof(hint),
			 " (it does not serve \"%s\", sent as the stream's 'to'; name its "
			 "domain with --xmpp-domain)",
			 domain);
	}
	fail_stop(s, mc_dialogue_fail(d, "protocol.unexpected", text, s->text_len,
				      "the server ended the stream: %s%s", cond, hint));
}

static void features_ended(struct xmpp *s)
{
	struct mc_dialogue *d = s->d;

	if (s->starttls) {
		s->phase = XMPP_PROCEED;
		settle(s, mc_dialogue_send(d, STARTTLS));
	} else if (s->features_len == 0) {
		fail_stop(s, mc_dialogue_fail(d, "starttls.not-offered", NULL, 0,
					      "the server's stream features are empty: no "
					      "STARTTLS (" NS_TLS ")"));
	} else {
		fail_stop(s,
			  mc_dialogue_fail(d, "starttls.not-offered", s->features, s->features_len,
					   "the server's stream features do not offer "
					   "STARTTLS (" NS_TLS ")"));
	}
}

static void top_ended(struct xmpp *s)
{
	enum xmpp_top top = s->top;

	s->top = TOP_NONE;
	switch (top) {
	case TOP_FEATURES:
		features_ended(s);
		break;
	case TOP_ERROR:
		stream_error(s);
		break;
	case TOP_PROCEED:
		settle(s, MC_STEP_TLS);
		break;
	case TOP_FAILURE:
		fail_stop(s, mc_dialogue_fail(s->d, "starttls.refused", NULL, 0,
					      "the server answered <starttls/> with <failure/>"));
		break;
	case TOP_NONE:
		break;
	}
}

static void XMLCALL on_end(void *user, const XML_Char *name)
{
	struct xmpp *s = user;

	(void)name;
	if (s->step != MC_STEP_READ)
		return;
	if (s->depth == 3)
		s->in_text = 0;
	else if (s->depth == 2)
		top_ended(s);
	else if (s->depth == 1)
		fail_stop(s, mc_dialogue_fail(s->d, "protocol.unexpected", NULL, 0,
					      "the server closed its stream during its %s",
					      xmpp_stage(s->d)));
	s->depth--;
}

static void XMLCALL on_text(void *user, const XML_Char *p, int len)
{
	struct xmpp *s = user;

	if (s->step == MC_STEP_READ && s->in_text && len > 0)
		append(s->text, sizeof(s->text), &s->text_len, p, (size_t)len);
}

/* RFC 6120 section 11.1: no DTD, comment or processing instruction in a stream. */
static void restricted(struct xmpp *s, const char *what)
{
	if (s->step != MC_STEP_READ)
		return;
	fail_stop(s, mc_dialogue_fail(s->d, "protocol.unexpected", NULL, 0,
				      "the server sent %s during its %s; XMPP forbids it (RFC "
				      "6120 section 11.1)",
				      what, xmpp_stage(s->d)));
}

static void XMLCALL on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int internal)
{
	(void)name, (void)sysid, (void)pubid, (void)internal;
	restricted(user, "a document type declaration");
}

static void XMLCALL on_entity(void *user, const XML_Char *name, int param, const XML_Char *value,
			      int value_len, const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	(void)name, (void)param, (void)value, (void)value_len, (void)base, (void)sysid;
	(void)pubid, (void)notation;
	restricted(user, "an entity declaration");
}

static void XMLCALL on_comment(void *user, const XML_Char *text)
{
	(void)text;
	restricted(user, "a comment");
}

static void XMLCALL on_pi(void *user, const XML_Char *target, const XML_Char *data)
{
	(void)target, (void)data;
	restricted(user, "a processing instruction");
}

/* The domain goes into an attribute between single quotes: nothing may break out. */
static int domain_valid(const char *domain)
{
	size_t n = domain ? strlen(domain) : 0;

	if (n == 0 || n > XMPP_DOMAIN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)domain[i];

		if (c <= ' ' || c == 0x7f || strchr("'\"<>&", c))
			return 0;
	}
	return 1;
}

/* RFC 6120 section 4.2: the initiating entity opens the stream. */
static enum mc_step xmpp_start(struct mc_dialogue *d)
{
	struct xmpp *s = d->state;
	const char *ns = d->proto == MAILCERT_PROTO_XMPP_SERVER ? "jabber:server" : "jabber:client";

	s->d = d;
	s->step = MC_STEP_READ;
	if (!domain_valid(d->domain))
		return mc_dialogue_fail(d, "internal.error", d->domain,
					d->domain ? strlen(d->domain) : 0,
					"no XMPP domain that can be sent as the stream's 'to'");
	/* RFC 6120 section 11.6: streams are UTF-8, whatever they declare. */
	s->parser = XML_ParserCreateNS("UTF-8", NS_SEP);
	if (!s->parser)
		return mc_dialogue_fail(d, "internal.error", NULL, 0, "out of memory");
	if (XML_SetReparseDeferralEnabled)
		XML_SetReparseDeferralEnabled(s->parser, XML_FALSE);
	XML_SetUserData(s->parser, s);
	XML_SetElementHandler(s->parser, on_start, on_end);
	XML_SetCharacterDataHandler(s->parser, on_text);
	XML_SetStartDoctypeDeclHandler(s->parser, on_doctype);
	XML_SetEntityDeclHandler(s->parser, on_entity);
	XML_SetCommentHandler(s->parser, on_comment);
	XML_SetProcessingInstructionHandler(s->parser, on_pi);
	return mc_dialogue_send(d,
				"<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
				"xmlns='%s' xmlns:stream='" NS_STREAMS "'>",
				d->domain, ns);
}

static int all_space(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	}
	return 1;
}

static size_t xmpp_bytes(struct mc_dialogue *d, const uint8_t *p, size_t len, enum mc_step *step)
{
	struct xmpp *s = d->state;
	XML_Index base = s->fed;
	enum XML_Status st = XML_STATUS_OK;

	s->step = MC_STEP_READ;
	/* Stopped last time exactly at the chunk's end: nothing is held, go on. */
	if (s->suspended) {
		s->suspended = 0;
		st = XML_ResumeParser(s->parser);
	}
	if (st == XML_STATUS_OK) {
		s->fed += (XML_Index)len; /* len is at most MC_PENDING_MAX */
		st = XML_Parse(s->parser, (const char *)p, (int)len, XML_FALSE);
	}
	if (s->step == MC_STEP_FAIL) {
		*step = MC_STEP_FAIL;
		return len;
	}
	if (st == XML_STATUS_ERROR) {
		enum XML_Error e = XML_GetErrorCode(s->parser);

		*step = mc_dialogue_fail(d, "protocol.unexpected", NULL, 0,
					 "the server sent XML that is not well-formed during its "
					 "%s: %s (line %lu, column %lu)",
					 xmpp_stage(d), XML_ErrorString(e),
					 (unsigned long)XML_GetCurrentLineNumber(s->parser),
					 (unsigned long)XML_GetCurrentColumnNumber(s->parser));
		return len;
	}
	if (st == XML_STATUS_SUSPENDED) {
		size_t used = (size_t)(s->end - base);

		s->suspended = 1;
		*step = s->step;
		/*
		 * Whitespace may come between any two elements (keepalives, RFC
		 * 6120 section 4.6.1): after the features, expat keeps it for the
		 * next call. After <proceed/> nothing may follow, not even that.
		 */
		if (*step == MC_STEP_WRITE && all_space(p + used, len - used))
			return len;
		/* Only what the settling element took; dialogue.c judges the rest. */
		return used;
	}
	*step = MC_STEP_READ;
	return len;
}

static void xmpp_free(struct mc_dialogue *d)
{
	struct xmpp *s = d->state;

	if (s && s->parser)
		XML_ParserFree(s->parser);
}

const struct mc_proto_ops mc_xmpp_ops = {
    .state_size = sizeof(struct xmpp),
    .go_ahead = "<proceed/>",
    .start = xmpp_start,
    .bytes = xmpp_bytes,
    .stage = xmpp_stage,
    .free = xmpp_free,
};

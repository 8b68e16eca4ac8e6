/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A scripted TCP server on 127.0.0.1 for tests: it plays a fixed list of
 * steps against one client — send bytes, read a line, pause, close — so a
 * test can be a server no real daemon would imitate.
 */
#ifndef MAILCERT_TEST_MOCKSERVER_H
#define MAILCERT_TEST_MOCKSERVER_H

#include <stddef.h>

enum mock_op {
	MOCK_END = 0,  /* stop the script; hold the connection until the client closes */
	MOCK_SEND,     /* send @data (@len bytes, or strlen when 0) */
	MOCK_EXPECT,   /* read one line; it must equal @data (CRLF excluded) */
	MOCK_SLEEP,    /* pause @len milliseconds */
	MOCK_CLOSE,    /* close the connection now */
	MOCK_RECV,     /* read whatever arrives (at least one byte), e.g. a ClientHello */
	/* For the hostile-server suite (tests/unit/test-hostile.c): */
	MOCK_READ,     /* read exactly @len bytes; when @data is set they must equal it */
	MOCK_MARK,     /* note how many bytes the client has sent so far (mock_stop_capture) */
	MOCK_FLOOD,    /* send @data (strlen) again and again, @len bytes in all; a client
			* that hangs up ends the script quietly */
	MOCK_DRIP,     /* send @data (@len bytes, or strlen when 0) one byte per second; a
			* client that hangs up ends the script quietly */
	MOCK_RESET,    /* close with a TCP RST (SO_LINGER 0) */
};

struct mock_step {
	enum mock_op op;
	const char *data;
	size_t len;
};

struct mock_server;

/* Starts serving @steps (not copied: they must outlive the server) to one client. */
struct mock_server *mock_start(const struct mock_step *steps, unsigned *port);

/*
 * Stops the server and returns how the script went: 0 when every step ran
 * as written, else the 1-based index of the first step that failed (a line
 * that differed, or the client closed early). @got receives the last line
 * read (for diagnostics).
 */
int mock_stop(struct mock_server *m, char *got, size_t gotlen);

/* Every byte the client sent, as the server read it. */
struct mock_capture {
	unsigned char bytes[65536]; /* the first ones */
	size_t len;   /* kept in @bytes */
	size_t total; /* received in all */
	size_t mark;  /* @total at the last MOCK_MARK (0 without one) */
};

/* mock_stop(), also filling @cap (may be NULL) once the connection is over. */
int mock_stop_capture(struct mock_server *m, char *got, size_t gotlen, struct mock_capture *cap);

#endif

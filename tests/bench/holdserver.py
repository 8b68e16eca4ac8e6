#!/usr/bin/env python3
# A server that accepts every connection and never answers (nor reads): the
# checks of `mailcert scan` against it stay in flight until their deadline,
# so the scan's peak RSS is that of N checks at once (tests/bench/run.sh,
# benchmark 3).
#
# usage: holdserver.py PORTFILE
#   listens on a free 127.0.0.1 port, writes the port to PORTFILE, then
#   holds every accepted socket until killed; on SIGTERM it prints
#   "held N" (the connections accepted) on stdout.
import os
import selectors
import signal
import socket
import sys

held = []


def stop(*_):
    print("held %d" % len(held), flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(4096)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % lsock.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
sel = selectors.DefaultSelector()
sel.register(lsock, selectors.EVENT_READ)
while True:
    for _ in sel.select():
        conn, _ = lsock.accept()
        held.append(conn)

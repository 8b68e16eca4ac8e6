#!/bin/sh
# The wall around the pure part (docs/design.md, "Layers"): no object of
# libmailcert-pure may call the network, the clock, a thread or a loaded
# library. Its own unit tests link it alone, which catches calls into
# libmailcert's I/O; this catches libc's and the libraries'.
#
# usage: pure-guard.sh LIBMAILCERT-PURE.a STAMP
set -eu
lib=$1 stamp=$2
forbidden='^(socket|socketpair|connect|bind|listen|accept4?|send|sendto|sendmsg|recv|recvfrom|recvmsg|poll|ppoll|select|pselect|epoll_[a-z_]+|getaddrinfo|getnameinfo|gethostbyname[a-z0-9_]*|res_[a-z_]+|time|clock_gettime|gettimeofday|clock|sleep|usleep|nanosleep|pthread_create|fork|execv[a-z]*|system|popen|dlopen|dlsym|gnutls_handshake|gnutls_record_(send|recv)|gnutls_transport_[a-z_]+|(ares|curl|ub|MHD)_[A-Za-z_]+)$'
bad=$(nm -u "$lib" | awk '{ print $2 }' | sed 's/@.*//' | grep -E "$forbidden" | sort -u || true)
if [ -n "$bad" ]; then
	echo "pure-guard: $lib calls what the pure part must not (move it to libmailcert/io or engine):" >&2
	for sym in $bad; do
		printf '  %s, in %s\n' "$sym" "$(nm -A -u "$lib" | awk -v s="$sym" '{ n = $NF; sub(/@.*/, "", n) } n == s { split($1, p, ":"); print p[2] }' | sort -u | tr '\n' ' ')" >&2
	done
	exit 1
fi
: >"$stamp"

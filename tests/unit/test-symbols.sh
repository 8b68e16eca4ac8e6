#!/bin/sh
# Only the public API may leave the shared library: the exported functions
# must be exactly those of the version script, and the SONAME must be set.
set -eu
lib=$1 map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(mailcert_[a-z0-9_]*\);.*/\1/p' "$map" | sort -u >"$tmp/listed"
if ! diff -u "$tmp/listed" "$tmp/exported"; then
	echo "the exported symbols differ from $map (- listed only, + exported only)"
	exit 1
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
case "$soname" in
libmailcert.so.[0-9]*) ;;
*) echo "unexpected SONAME '$soname'"; exit 1 ;;
esac
echo "$(wc -l <"$tmp/exported") symbols exported, SONAME $soname"

#!/usr/bin/env bash
# check_abi.sh BUILD_DIR - libprocthread.so exports exactly the functions the
# public headers declare PT_API (include/procthread/common.h), and no
# internal (pt__*); and every public header compiles alone, as C11 and as
# C++17. The library is built with -fvisibility=hidden and linked with
# src/libprocthread.map: this checks that the two and the headers agree.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
lib=$build/libprocthread.so
status=0
fail() {
	echo "check_abi: $*" >&2
	status=1
}

if [ ! -f "$lib" ] || [ ! -f "$build/include/procthread/version.h" ]; then
	echo "check_abi: $lib or its version.h is missing; run 'make build' first" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every declaration of a pt_ function at the top level of a header carries
# PT_API; the names so marked are the header's set. mpi.h's functions live
# in libprocthread_mpi.a, not in libprocthread.so.
headers=(include/procthread/*.h)
for h in "${headers[@]}"; do
	grep -nE '^[a-z][^(]*[ *]pt_[a-z0-9_]*\(' "$h" |
		grep -vE ':(PT_API |typedef )' |
		sed "s|^|$h:|" >>"$tmp/unmarked" || true
	[ "$(basename "$h")" = mpi.h ] && continue
	{ tr '\n' ' ' <"$h" |
		grep -oE 'PT_API [^;(]*[ *]pt_[a-z0-9_]+ *\(' || true; } |
		sed -E 's/.*[ *](pt_[a-z0-9_]+) *\($/\1/'
done | sort -u >"$tmp/declared"
if [ -s "$tmp/unmarked" ]; then
	fail "public functions declared without PT_API:"
	cat "$tmp/unmarked" >&2
fi

# The dynamic symbols libprocthread.so defines, less the version node.
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
	sed 's/@.*//' | sort -u >"$tmp/exported"
if grep '^pt__' "$tmp/exported" >"$tmp/internal"; then
	fail "$lib exports library internals (pt__*):"
	cat "$tmp/internal" >&2
fi
comm -23 "$tmp/exported" "$tmp/declared" | grep -v '^pt__' >"$tmp/extra" || true
if [ -s "$tmp/extra" ]; then
	fail "$lib exports symbols that no public header declares PT_API:"
	cat "$tmp/extra" >&2
fi
comm -13 "$tmp/exported" "$tmp/declared" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
	fail "public headers declare functions $lib does not export:"
	cat "$tmp/missing" >&2
fi

# Each header alone: it includes what it uses and has extern "C" guards.
mpi_flags=
if command -v mpicc >/dev/null; then
	# As system headers, and without Open MPI's or MPICH's C++ bindings,
	# whose warnings are not ours.
	mpi_flags=$(mpicc -showme:compile 2>/dev/null || true)
	# shellcheck disable=SC2086
	mpi_flags=$(printf '%s\n' $mpi_flags | sed 's/^-I/-isystem /' | tr '\n' ' ')
	[ -n "${mpi_flags// /}" ] &&
		mpi_flags="$mpi_flags -DOMPI_SKIP_MPICXX=1 -DMPICH_SKIP_MPICXX=1"
fi
for h in include/procthread.h "${headers[@]}"; do
	name=${h#include/}
	# shellcheck disable=SC2086
	if [ "$name" = procthread/mpi.h ] && [ -z "$mpi_flags" ]; then
		echo "check_abi: no MPI here: $name not compiled"
		continue
	fi
	printf '#include <%s>\n' "$name" >"$tmp/one.c"
	cp "$tmp/one.c" "$tmp/one.cpp"
	# shellcheck disable=SC2086
	gcc -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
		-Iinclude -I"$build/include" $mpi_flags "$tmp/one.c" ||
		fail "$name does not compile alone as C11"
	# shellcheck disable=SC2086
	g++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
		-Iinclude -I"$build/include" $mpi_flags "$tmp/one.cpp" ||
		fail "$name does not compile alone as C++17"
	if ! grep -q 'extern "C"' "$h" && grep -q '^PT_API' "$h"; then
		fail "$name declares functions without extern \"C\" guards"
	fi
done

if [ "$status" = 0 ]; then
	echo "check_abi: $(wc -l <"$tmp/exported") symbols exported, all public; ${#headers[@]} headers compile alone as C11 and C++17"
fi
exit "$status"

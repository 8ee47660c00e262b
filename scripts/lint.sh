#!/usr/bin/env bash
# lint.sh BUILD_DIR - cppcheck and clang-tidy over the library (src/) and the
# tool (tool/), the ABI check and the architecture check, zero findings
# allowed. clang-tidy reads the
# compile commands CMake exports into BUILD_DIR and the committed .clang-tidy
# files; cppcheck reads .cppcheck-suppressions, where each line says why.
# Then scripts/check_abi.sh: the library's exports and its public headers.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${JOBS:-$(nproc)}

for tool in cppcheck clang-tidy; do
	if ! command -v "$tool" >/dev/null; then
		echo "lint: $tool is missing; 'scripts/bootstrap.sh --optional' installs it" >&2
		exit 1
	fi
done
if [ ! -f "$build/compile_commands.json" ]; then
	echo "lint: $build/compile_commands.json is missing; run 'make build' first" >&2
	exit 1
fi
mapfile -t files < <(git ls-files --cached --others --exclude-standard \
	'src/*.c' 'tool/*.c' 2>/dev/null ||
	find src tool -name '*.c')

echo "lint: cppcheck over ${#files[@]} files"
cppcheck --std=c11 --library=posix --library=.lint/linux.cfg --enable=warning,style,performance,portability \
	--inline-suppr --suppressions-list=.cppcheck-suppressions \
	--error-exitcode=1 --quiet -j "$jobs" \
	-D_GNU_SOURCE -D__linux__ -D__GNUC__ -DPT_BUILDING_LIB=1 \
	-Iinclude -I"$build/include" -Isrc -Itool "${files[@]}"

# One file per clang-tidy run: in clang-tidy 14 the analyzer's va_list
# checker carries state from one file into the next and then reports a
# va_start'ed list as uninitialised.
echo "lint: clang-tidy over ${#files[@]} files"
status=0
printf '%s\n' "${files[@]}" |
	xargs -P "$jobs" -I{} clang-tidy -p "$build" --quiet {} \
		>"$build/clang-tidy.log" 2>&1 || status=$?
# Keep the findings, drop clang-tidy's counts of what it filtered out.
grep -Ev '^([0-9]+ warnings? generated\.|Suppressed [0-9]+ warnings)' \
	"$build/clang-tidy.log" || true
# xargs fails when any clang-tidy run did (WarningsAsErrors: '*').
if [ "$status" != 0 ] || grep -q 'error:' "$build/clang-tidy.log"; then
	echo "lint: clang-tidy found problems (above)" >&2
	exit 1
fi
# The ABI: what libprocthread.so exports, and the public headers alone.
scripts/check_abi.sh "$build"
# The architecture: no file or folder calls back into one that calls it.
python3 scripts/layers.py "$build"
echo "lint: no findings"

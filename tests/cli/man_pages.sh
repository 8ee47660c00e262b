# man_pages.sh - the man pages cover the public API and are well formed:
# each documented header has a section 3 page naming it, every function it
# declares has a page (its own or a .so link to the header's page), each
# page has the sections a reader looks for, and groff renders every page
# without a warning. An alias page is a symbolic link to its header's page
# (not a .so request, which `man -l` cannot follow from the source tree).
# procthread(1) names every option each command's --help lists, and its
# footer carries the version `procthread --version` prints.
. "$(dirname "$0")/../support/cli.sh"

man="$PT_SOURCE_DIR/man"
# Headers whose pages exist; a header on this list without a page, or a
# function of it without one, fails. Headers not on it are reported below.
DOCUMENTED="unit error region chan forkserver pool supervisor mpi sandbox"
# common.h holds only what the other headers share (enum pt_kind,
# enum pt_exit, PT_API); their pages describe it.
UNDOCUMENTED_OK="common"

has_section() { grep -q "^\.SH \"\{0,1\}$2\"\{0,1\}\$" "$1"; }

for h in $DOCUMENTED; do
	header="$PT_SOURCE_DIR/include/procthread/$h.h"
	if ! grep -lq "^\.B #include <procthread/$h\.h>" "$man"/man3/*.3; then
		fail "no man3 page has '#include <procthread/$h.h>' in its SYNOPSIS"
	fi
	# Declarations start with the export macro (procthread/common.h).
	fns=$(grep -v '^typedef' "$header" | sed 's/^PT_API //' |
		grep -oE '^[a-z][a-z_ ]*[ *]pt_[a-z_]+\(' |
		grep -oE 'pt_[a-z_]+\($' | tr -d '(')
	for fn in $fns; do
		if [ -f "$man/man3/$fn.3" ]; then
			pass
		else
			fail "$fn() from procthread/$h.h has no man/man3/$fn.3"
		fi
	done
done
for header in "$PT_SOURCE_DIR"/include/procthread/*.h; do
	h=$(basename "$header" .h)
	case " $DOCUMENTED $UNDOCUMENTED_OK " in
	*" $h "*) ;;
	*) echo "note: include/procthread/$h.h has no man page yet" ;;
	esac
done

for page in "$man"/man3/*.3 "$man"/man1/*.1; do
	name=${page#"$man"/}
	if [ -L "$page" ]; then
		expect_status 0 "$name links to an existing page" -- \
			test -f "$page"
		expect_status 0 "$name links within its section" -- \
			test "$(readlink "$page")" = "$(basename "$(readlink "$page")")"
		continue
	fi
	if grep -q '^\.so ' "$page"; then
		fail "$name is a .so alias; make it a symbolic link"
		continue
	fi
	case "$name" in
	man3/*) sections="NAME SYNOPSIS DESCRIPTION RETURN.VALUE ERRORS" ;;
	*) sections="NAME SYNOPSIS DESCRIPTION EXIT.STATUS" ;;
	esac
	for s in $sections; do
		if has_section "$page" "$s"; then
			pass
		else
			fail "$name has no $s section"
		fi
	done
	if command -v groff >/dev/null; then
		(cd "$man" && groff -man -ww -z -Tutf8 "$name") >"$pt_tmp/err" 2>&1
		expect_empty err "groff renders $name without warnings"
	fi
done
command -v groff >/dev/null || echo "note: groff not installed; pages not rendered"

# procthread(1): every option of every command, and the version.
page1="$man/man1/procthread.1"
sed 's/\\-/-/g' "$page1" >"$pt_tmp/man1.txt"
commands=$("$PROCTHREAD" --help | sed -n 's/^  \([a-z]\{1,\}\) .*/\1/p')
expect_status 0 "procthread --help lists commands" -- test -n "$commands"
for cmd in $commands; do
	grep -q "^\.SS \"$cmd" "$page1" && pass ||
		fail "procthread.1 has no section for $cmd"
	for opt in $("$PROCTHREAD" help "$cmd" | grep -oE -- '(^|[ [|])--[a-z][a-z-]*' |
		grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		if grep -qF -- "$opt" "$pt_tmp/man1.txt"; then
			pass
		else
			fail "procthread.1 does not mention $cmd's $opt"
		fi
	done
done
version=$("$PROCTHREAD" --version | awk '{print $2}')
expect_status 0 "procthread.1's footer says version $version" -- \
	grep -q "^\.TH PROCTHREAD 1 [^ ]* \"procthread $version\"" "$page1"
finish

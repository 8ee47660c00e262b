# man_pages.sh - the man pages cover the public API and are well formed:
# each documented header has a section 3 page naming it, every function it
# declares has a page (its own or a .so link to the header's page), each
# page has the sections a reader looks for, and groff renders every page
# without a warning.
. "$(dirname "$0")/../support/cli.sh"

man="$PT_SOURCE_DIR/man"
# Headers whose pages exist; a header on this list without a page, or a
# function of it without one, fails. Headers not on it are reported below.
DOCUMENTED="unit error region chan forkserver pool supervisor mpi sandbox"

has_section() { grep -q "^\.SH \"\{0,1\}$2\"\{0,1\}\$" "$1"; }

for h in $DOCUMENTED; do
	header="$PT_SOURCE_DIR/include/procthread/$h.h"
	if ! grep -lq "^\.B #include <procthread/$h\.h>" "$man"/man3/*.3; then
		pt_failed=$((pt_failed + 1))
		echo "FAIL: no man3 page has '#include <procthread/$h.h>' in its SYNOPSIS"
	fi
	fns=$(grep -v '^typedef' "$header" |
		grep -oE '^[a-z][a-z_ ]*[ *]pt_[a-z_]+\(' |
		grep -oE 'pt_[a-z_]+\($' | tr -d '(')
	for fn in $fns; do
		if [ -f "$man/man3/$fn.3" ]; then
			pt_passed=$((pt_passed + 1))
		else
			pt_failed=$((pt_failed + 1))
			echo "FAIL: $fn() from procthread/$h.h has no man/man3/$fn.3"
		fi
	done
done
for header in "$PT_SOURCE_DIR"/include/procthread/*.h; do
	h=$(basename "$header" .h)
	case " $DOCUMENTED " in
	*" $h "*) ;;
	*) echo "note: include/procthread/$h.h has no man page yet" ;;
	esac
done

for page in "$man"/man3/*.3 "$man"/man1/*.1; do
	name=${page#"$man"/}
	if grep -q '^\.so ' "$page"; then
		target=$(sed -n 's/^\.so //p' "$page")
		expect_status 0 "$name links to an existing page" -- \
			test -f "$man/$target"
		continue
	fi
	case "$name" in
	man3/*) sections="NAME SYNOPSIS DESCRIPTION RETURN.VALUE ERRORS" ;;
	*) sections="NAME SYNOPSIS DESCRIPTION EXIT.STATUS" ;;
	esac
	for s in $sections; do
		if has_section "$page" "$s"; then
			pt_passed=$((pt_passed + 1))
		else
			pt_failed=$((pt_failed + 1))
			echo "FAIL: $name has no $s section"
		fi
	done
	if command -v groff >/dev/null; then
		(cd "$man" && groff -man -ww -z -Tutf8 "$name") >"$pt_tmp/err" 2>&1
		expect_empty err "groff renders $name without warnings"
	fi
done
command -v groff >/dev/null || echo "note: groff not installed; pages not rendered"
finish

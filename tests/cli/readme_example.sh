# readme_example.sh - the README's example compiles against this build, runs,
# and prints what the README says it prints.
. "$(dirname "$0")/../support/cli.sh"

src="$pt_tmp/example.c"
sed -n '/<!-- example:begin -->/,/<!-- example:end -->/p' \
	"$PT_SOURCE_DIR/README.md" | sed '/^<!--/d;/^```/d' >"$src"
lines=$(wc -l <"$src")
if [ "$lines" -lt 5 ]; then
	echo "FAIL: no example found in README.md"
	exit 1
fi

# The sanitizer flags of this build, if any, must link the example too.
flags=$(grep -o -- '-fsanitize=[a-z,]*' "$PT_BINARY_DIR/build.ninja" | sort -u | tr '\n' ' ')
expect_status 0 "example compiles" -- "${CC:-cc}" -std=c11 -Wall -Wextra \
	-Werror $flags -I"$PT_SOURCE_DIR/include" -I"$PT_BINARY_DIR/include" \
	-o "$pt_tmp/example" "$src" "$PT_STATIC_LIB" -pthread -lseccomp
expect_status 0 "example runs" -- "$pt_tmp/example"
expect_grep out "^thread: counter = 1$" "thread shares the counter"
expect_grep out "^process: counter = 0$" "process works on a copy"
finish

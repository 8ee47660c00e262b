# output_files.sh - an output file is replaced whole or not at all: a
# device node, FIFO or symbolic link is written through, not replaced; a
# directory is refused; the mode is kept; a full disk leaves the previous
# file as it was; nothing is created by a run that writes nothing; and no
# output may replace an input or another output.
. "$(dirname "$0")/../support/cli.sh"

run="$PT_SOURCE_DIR/tests/data/results-quick.json"
d="$pt_tmp/files"
mkdir "$d"

# type PATH: the file type as stat(1) names it.
type_of() { stat -c %F "$1" 2>&1; }

# A new file gets the mode open(2) would give it.
(umask 027 && "$PROCTHREAD" report "$run" -o "$d/new.html" >/dev/null)
expect_same "a new file's mode follows the umask" "$(stat -c %a "$d/new.html")" 640
expect_status 0 "report over an existing file" -- \
	"$PROCTHREAD" report "$run" -o "$d/new.html"
chmod 604 "$d/new.html"
"$PROCTHREAD" report "$run" -o "$d/new.html" >/dev/null
expect_same "a replaced file keeps its mode" "$(stat -c %a "$d/new.html")" 604
expect_same "no temporary file is left" "$(ls -A "$d")" new.html

# A symbolic link is followed: what it points at is written.
ln -s new.html "$d/link.html"
: >"$d/new.html"
expect_status 0 "report through a symbolic link" -- \
	"$PROCTHREAD" report "$run" -o "$d/link.html"
expect_same "the link stays a link" "$(type_of "$d/link.html")" "symbolic link"
[ -s "$d/new.html" ] && pass || fail "the link's target was not written"
ln -s /proc/self/fd/1 "$d/stdout"
expect_status 0 "report to a link to standard output" -- \
	"$PROCTHREAD" report "$run" -o "$d/stdout"
expect_grep out "^<!DOCTYPE html>" "the page came out on standard output"
expect_same "that link stays a link" "$(type_of "$d/stdout")" "symbolic link"

# A directory is refused, in one line, before the results are read.
expect_status 2 "report -o a directory" -- "$PROCTHREAD" report "$run" -o "$d"
expect_grep err "it is a directory" "the directory is named as such"
expect_same "one line" "$(wc -l <"$pt_tmp/err")" 1
expect_status 2 "bench --json into a missing directory" -- \
	"$PROCTHREAD" bench create --json "$d/none/x.json"
expect_grep err "directory .*none does not exist" "the missing directory is named"

# Outputs that would replace an input or each other.
cp "$run" "$d/in.json"
ln -s in.json "$d/in-link.json"
expect_status 2 "report X -o X" -- "$PROCTHREAD" report "$d/in.json" -o "$d/in.json"
expect_status 2 "report X -o a link to X" -- \
	"$PROCTHREAD" report "$d/in.json" -o "$d/in-link.json"
expect_grep err "is the results file itself" "the reason is given"
expect_status 0 "the input is untouched" -- cmp "$run" "$d/in.json"
expect_status 2 "bench --json X --html X" -- \
	"$PROCTHREAD" bench create --json "$d/o" --html "$d/./o"
expect_grep err "name the same file" "the clash is named"

# --list writes nothing, so it creates nothing.
expect_status 0 "bench --list with outputs" -- "$PROCTHREAD" bench --list \
	--json "$d/l.json" --csv "$d/l.csv" --html "$d/l.html"
expect_same "--list created no file" "$(ls "$d"/l.* 2>/dev/null)" ""

if [ "$(id -u)" != 0 ]; then
	echo "note: not root; device node and full-disk cases skipped"
	finish
	exit
fi

# A device node is written in place, never replaced by a file.
mknod -m 666 "$d/null" c 1 3
expect_status 0 "report -o a device node" -- "$PROCTHREAD" report "$run" -o "$d/null"
expect_same "the device node is still one" "$(type_of "$d/null")" "character special file"

# A FIFO: its reader gets the whole file, and no end of file before it.
mkfifo "$d/fifo"
timeout 60 cat "$d/fifo" >"$d/fifo.out" &
reader=$!
expect_status 0 "bench --json into a FIFO with a reader" -- timeout 60 \
	"$PROCTHREAD" bench memory --runs 1 --rounds 1 --no-peers --quiet --json "$d/fifo"
wait $reader
expect_status 0 "the reader got the whole results file" -- \
	jq -e '.schema and (.results | length > 0)' "$d/fifo.out"

# A full disk: the previous file stays as it was, the run says so and
# fails, and no temporary file is left. One page, which the old file
# fills: with two, the CSV fitted in the second whenever it was under
# 4 KiB, and the check that nothing else is left depended on its size.
mkdir "$d/small"
if mount -t tmpfs -o size=4k tmpfs "$d/small" 2>/dev/null; then
	head -c 3000 "$run" >"$d/small/old.json"
	expect_status 1 "bench --json onto a full disk" -- "$PROCTHREAD" bench \
		create --runs 1 --rounds 1 --no-peers --quiet \
		--json "$d/small/old.json" --csv "$d/small/x.csv"
	expect_grep err "old.json: No space left on device; the previous file is left as it was" \
		"the full disk is named and the old file kept"
	expect_same "the previous file is intact" \
		"$(head -c 3000 "$run" | cmp - "$d/small/old.json" && echo same)" same
	expect_same "nothing else is left on the disk" "$(ls -A "$d/small")" old.json
	umount "$d/small"
else
	echo "note: cannot mount a tmpfs; full-disk case skipped"
fi
finish

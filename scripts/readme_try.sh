#!/bin/sh
# readme_try.sh - refreshes the two `procthread try` outputs in README.md
# from a build (default: build/). Run it on a quiet machine; the README
# says which machine its figures come from.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run() { # MARKER COMMAND...
	marker=$1
	shift
	out=$(COLUMNS=80 "$@")
	python3 - "$marker" "$*" "$out" <<'PY'
import sys
marker, cmd, out = sys.argv[1:4]
text = open("README.md").read()
begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
block = f"{begin}\n```\n$ {cmd}\n{out}\n```\n{end}"
open("README.md", "w").write(head + block + tail)
PY
}
run try-deflate "$build/procthread" try \
	"$build/examples/try/deflate_task.so:deflate_task" --size 64K
run try-parse "$build/procthread" try \
	"$build/examples/try/parse_task.so:parse_task" --args examples/try/records

#!/bin/sh
# bootstrap.sh - make sure the Debian packages the build needs are present.
#
# Required packages are installed with apt-get when running as root;
# otherwise the exact apt-get line is printed and the script fails, so a
# missing package stops the build with instructions instead of a compiler
# error. Optional packages (the peer tools of `procthread bench`) are only
# offered: `scripts/bootstrap.sh --optional` installs them too.
set -eu

REQUIRED="cmake ninja-build pkg-config gcc make check libjansson-dev jq libseccomp-dev"
# Peers measured side by side by `procthread bench` (libzmq3-dev: ZeroMQ for
# the ipc suite; libglib2.0-dev: GLib's GThreadPool for the pool suite),
# tools used by the hardening checks, Open MPI for the
# optional MPI channel, and chromium for the report's headless screenshot
# test; everything works without them.
OPTIONAL="linux-perf rt-tests stress-ng cppcheck clang-tidy clang valgrind openmpi-bin libopenmpi-dev chromium libzmq3-dev libglib2.0-dev"

want_optional=0
[ "${1:-}" = "--optional" ] && want_optional=1

missing() {
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		case "$status" in
		*"install ok installed"*) ;;
		*) printf '%s ' "$pkg" ;;
		esac
	done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "bootstrap: not a Debian system; make sure these are installed: $REQUIRED" >&2
	exit 0
fi

need=$(missing $REQUIRED)
if [ "$want_optional" = 1 ]; then
	need="$need$(missing $OPTIONAL)"
fi
need=${need% }

if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "bootstrap: installing $need"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq </dev/null
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $need </dev/null
	else
		echo "bootstrap: missing Debian packages; run:" >&2
		echo "  sudo apt-get install -y $need" >&2
		exit 1
	fi
fi

if [ "$want_optional" = 0 ]; then
	opt=$(missing $OPTIONAL)
	[ -n "$opt" ] && echo "bootstrap: optional peers not installed (${opt% }); 'scripts/bootstrap.sh --optional' adds them"
fi
exit 0

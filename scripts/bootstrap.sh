#!/bin/sh
# bootstrap.sh - make sure the Debian packages the build needs are present.
#
# Required packages, and the small peer tools `procthread bench` measures
# beside its own figures, are installed with apt-get when running as root;
# otherwise the exact apt-get line is printed, and a missing required
# package stops the build with instructions instead of a compiler error
# (missing peers only leave their columns empty). The large optional
# packages come with `scripts/bootstrap.sh --optional`.
set -eu

REQUIRED="cmake ninja-build pkg-config gcc make check libjansson-dev jq libseccomp-dev"
# Peers measured side by side by `procthread bench`: perf bench, hackbench
# (rt-tests) and stress-ng for creation and switching; ZeroMQ (libzmq3-dev)
# for the ipc suite; GLib's GThreadPool (libglib2.0-dev) for the pool suite.
PEERS="linux-perf rt-tests stress-ng libzmq3-dev libglib2.0-dev zlib1g-dev pigz"
# The hardening checks' tools (make lint, valgrind, fuzz), Open MPI for the
# optional MPI channel (and iproute2, whose ip(8) makes the two hosts of
# its multi-host test), chromium for the report's headless screenshot test,
# Eclipse iceoryx (its RouDi and C binding), a peer of the ipc suite with
# a daemon of its own, oneTBB (a C++ peer of the thread pool), and
# matplotlib for scripts/plot.py;
# everything else works without them.
OPTIONAL="cppcheck clang-tidy clang valgrind openmpi-bin libopenmpi-dev iproute2 chromium iceoryx libiceoryx-binding-c-dev libtbb-dev g++ python3-matplotlib"

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
peers=$(missing $PEERS)
[ "$want_optional" = 1 ] && need="$need$(missing $OPTIONAL)"
need=${need% }
peers=${peers% }

if [ "$(id -u)" != 0 ]; then
	if [ -n "$need" ]; then
		echo "bootstrap: missing Debian packages; run:" >&2
		echo "  sudo apt-get install -y $need${peers:+ $peers}" >&2
		exit 1
	fi
	if [ -n "$peers" ]; then
		echo "bootstrap: peers not installed ($peers): their figures stay empty; to add them:"
		echo "  sudo apt-get install -y $peers"
	fi
elif [ -n "$need$peers" ]; then
	echo "bootstrap: installing $need${need:+ }$peers"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null
	if [ -n "$need" ]; then
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $need </dev/null
	fi
	# A peer that cannot be installed (an offline mirror) leaves its
	# column empty; it does not stop the build.
	# shellcheck disable=SC2086
	[ -z "$peers" ] || apt-get install -y -qq --no-install-recommends $peers </dev/null ||
		echo "bootstrap: could not install the peers ($peers); their figures stay empty"
fi

if [ "$want_optional" = 0 ]; then
	opt=$(missing $OPTIONAL)
	[ -n "$opt" ] && echo "bootstrap: optional packages not installed (${opt% }); 'scripts/bootstrap.sh --optional' adds them"
fi
exit 0

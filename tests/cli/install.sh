# install.sh - `cmake --install` into a temporary prefix gives a usable
# library: an example builds against it with pkg-config and with CMake's
# find_package(procthread), and both programs run; the man pages are there.
. "$(dirname "$0")/../support/cli.sh"

prefix="$pt_tmp/prefix"
example="$PT_SOURCE_DIR/examples/unit_both_ways.c"
# The sanitizer flags of this build, if any, must link the example too.
flags=$(grep -o -- '-fsanitize=[a-z,]*' "$PT_BINARY_DIR/build.ninja" | sort -u | tr '\n' ' ')

expect_status 0 "install into a temporary prefix" -- \
	cmake --install "$PT_BINARY_DIR" --prefix "$prefix"
for f in bin/procthread include/procthread.h include/procthread/unit.h \
	include/procthread/version.h share/man/man1/procthread.1 \
	share/man/man3/pt_unit_spawn.3 share/man/man3/pt_strerror.3; do
	expect_status 0 "installed $f" -- test -f "$prefix/$f"
done
pc=$(find "$prefix" -name procthread.pc | head -1)
libdir=$(dirname "$(dirname "$pc")")
expect_status 0 "procthread.pc installed" -- test -n "$pc"
expect_status 0 "shared library installed" -- test -f "$libdir/libprocthread.so"
expect_status 0 "static library installed" -- test -f "$libdir/libprocthread.a"

# pkg-config: the .pc file finds its prefix from its own folder.
export PKG_CONFIG_PATH="$(dirname "$pc")"
expect_status 0 "pkg-config knows procthread" -- pkg-config --exists procthread
pkg-config --cflags --libs procthread >"$pt_tmp/out" 2>&1
expect_grep out "-I$prefix/.*include" "pkg-config gives the include folder"
# shellcheck disable=SC2046
expect_status 0 "example builds with pkg-config" -- "${CC:-cc}" -std=c11 \
	-Wall -Wextra -Werror $flags -o "$pt_tmp/ex_pc" "$example" \
	$(pkg-config --cflags --libs procthread)
LD_LIBRARY_PATH="$libdir" expect_status 0 "pkg-config build runs" -- "$pt_tmp/ex_pc"
expect_grep out "^process: returned with code 0; job.sum in my memory = 0" \
	"pkg-config build behaves"
# Every example builds against the installed headers alone.
for src in "$PT_SOURCE_DIR"/examples/*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2046
	expect_status 0 "examples/$name.c builds against the install" -- \
		"${CC:-cc}" -std=c11 -Wall -Wextra -Werror $flags \
		-o "$pt_tmp/$name" "$src" $(pkg-config --cflags --libs procthread)
done
LD_LIBRARY_PATH="$libdir" expect_status 0 "the installed pool example runs" -- \
	"$pt_tmp/pool_survives_crash"
# shellcheck disable=SC2046
expect_status 0 "example links statically with pkg-config --static" -- \
	"${CC:-cc}" -std=c11 $flags -o "$pt_tmp/ex_static" "$example" \
	$(pkg-config --cflags procthread) "$libdir/libprocthread.a" \
	$(pkg-config --static --libs procthread | sed 's/-lprocthread\b//')
expect_status 0 "static build runs" -- "$pt_tmp/ex_static"

# CMake: find_package(procthread) from the prefix, the shared library
# target, with its include folder coming from the target.
mkdir -p "$pt_tmp/user"
cat >"$pt_tmp/user/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(user C)
find_package(procthread 0.2 REQUIRED)
add_executable(ex $example)
target_link_libraries(ex PRIVATE procthread::procthread)
add_executable(ex_static $example)
target_link_libraries(ex_static PRIVATE procthread::procthread_static)
CMAKE
gen=
command -v ninja >/dev/null && gen="-G Ninja"
# shellcheck disable=SC2086
expect_status 0 "find_package(procthread) configures" -- cmake $gen \
	-S "$pt_tmp/user" -B "$pt_tmp/user/build" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="${CC:-cc}" -DCMAKE_C_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS="$flags"
expect_status 0 "find_package(procthread) builds" -- \
	cmake --build "$pt_tmp/user/build"
expect_status 0 "CMake build (shared) runs" -- "$pt_tmp/user/build/ex"
expect_grep out "^thread: returned with code 0; job.sum in my memory = 500500" \
	"CMake build behaves"
expect_status 0 "CMake build (static) runs" -- "$pt_tmp/user/build/ex_static"

# Built with MPI: procthread::mpi and procthread_mpi.pc link a program that
# uses procthread/mpi.h.
if grep -q '^PT_HAVE_MPI:.*=ON' "$PT_BINARY_DIR/CMakeCache.txt" 2>/dev/null ||
	[ -f "$PT_BINARY_DIR/procthread_mpi.pc" ]; then
	cat >"$pt_tmp/mpi_user.c" <<'C'
#include <procthread/mpi.h>
#include <stdio.h>

int main(void)
{
	/* Linked, not run: the call needs mpirun. */
	printf("%p\n", (void *)pt_mpi_pool_serve);
	return 0;
}
C
	expect_status 0 "procthread_mpi.pc installed" -- pkg-config --exists procthread_mpi
	# shellcheck disable=SC2046
	expect_status 0 "an MPI program builds with pkg-config procthread_mpi" -- \
		"${CC:-cc}" -std=c11 $flags -o "$pt_tmp/mpi_pc" "$pt_tmp/mpi_user.c" \
		$(pkg-config --cflags --libs procthread_mpi)
	mkdir -p "$pt_tmp/mpiuser"
	cat >"$pt_tmp/mpiuser/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(mpiuser C)
find_package(procthread 0.2 REQUIRED)
add_executable(mpi_user $pt_tmp/mpi_user.c)
target_link_libraries(mpi_user PRIVATE procthread::mpi)
CMAKE
	# shellcheck disable=SC2086
	expect_status 0 "find_package(procthread) gives procthread::mpi" -- \
		cmake $gen -S "$pt_tmp/mpiuser" -B "$pt_tmp/mpiuser/build" \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="${CC:-cc}" \
		-DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags"
	expect_status 0 "procthread::mpi links" -- cmake --build "$pt_tmp/mpiuser/build"
else
	echo "MPI not built: procthread::mpi and procthread_mpi.pc not checked"
fi
finish

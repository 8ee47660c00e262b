# mpi.cmake - the optional MPI feature (src/mpi/, include/procthread/mpi.h):
# the PT_CHAN_MPI channel and the pool of MPI ranks, in a library of their
# own, procthread_mpi, so that libprocthread never depends on MPI. Built
# when Open MPI is found (`scripts/bootstrap.sh --optional` installs
# openmpi-bin and libopenmpi-dev); otherwise one line says so, and the MPI
# tests report themselves skipped.
find_package(MPI QUIET COMPONENTS C)
if(MPI_C_FOUND)
	set(PT_HAVE_MPI ON)
	find_program(PT_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
	file(GLOB PT_MPI_SOURCES CONFIGURE_DEPENDS src/mpi/*.c)
	add_library(procthread_mpi STATIC ${PT_MPI_SOURCES})
	target_include_directories(procthread_mpi
		PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
		       $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
		PRIVATE ${PROJECT_SOURCE_DIR}/src)
	target_compile_definitions(procthread_mpi PRIVATE PT_BUILDING_LIB=1)
	# procthread_mpi calls the library's internals (pt__*), which
	# libprocthread.so does not export: it links the static library, and
	# so does procthread_mpi.pc.
	set_target_properties(procthread_mpi PROPERTIES C_VISIBILITY_PRESET hidden)
	target_link_libraries(procthread_mpi PUBLIC procthread_static MPI::MPI_C)
	add_library(procthread::mpi ALIAS procthread_mpi)
	# In the package's export set, so find_package(procthread) gives
	# procthread::mpi too (the config finds MPI first).
	install(TARGETS procthread_mpi EXPORT procthreadTargets)
	message(STATUS "procthread: MPI ${MPI_C_VERSION} found, building procthread_mpi")
else()
	set(PT_HAVE_MPI OFF)
	message(STATUS "procthread: MPI not found: no procthread_mpi, its tests skip (scripts/bootstrap.sh --optional installs Open MPI)")
endif()

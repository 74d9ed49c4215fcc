# MPI and HDF5: MPICH, chosen explicitly because Open MPI may own
# /usr/bin/mpicc, and the parallel HDF5 built for it. Fails the configure with
# what to install when either is the wrong one. Sets MPI::MPI_C and the
# HDF5_* variables of FindHDF5.
if(NOT DEFINED MPI_EXECUTABLE_SUFFIX)
  set(MPI_EXECUTABLE_SUFFIX ".mpich")
endif()
find_package(MPI REQUIRED COMPONENTS C)
if(NOT "${MPI_C_LIBRARIES}" MATCHES "mpich")
  message(FATAL_ERROR
    "pmcabc needs MPICH, but the MPI libraries found are: '${MPI_C_LIBRARIES}'.\n"
    "Install mpich and libmpich-dev (tools/setup-deps) and configure with -DMPI_EXECUTABLE_SUFFIX=.mpich.")
endif()

# HDF5: the parallel build for MPICH.
set(HDF5_PREFER_PARALLEL TRUE)
if(NOT DEFINED HDF5_C_COMPILER_EXECUTABLE AND EXISTS /usr/bin/h5pcc.mpich)
  set(HDF5_C_COMPILER_EXECUTABLE /usr/bin/h5pcc.mpich)
endif()
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "pmcabc needs parallel HDF5 built for MPICH, but the HDF5 found is serial "
    "(include dirs: ${HDF5_INCLUDE_DIRS}). Install libhdf5-mpich-dev (tools/setup-deps).")
endif()
if(NOT "${HDF5_INCLUDE_DIRS}" MATCHES "mpich")
  message(FATAL_ERROR
    "pmcabc needs the HDF5 built for MPICH, but found: ${HDF5_INCLUDE_DIRS}. "
    "Install libhdf5-mpich-dev or set HDF5_C_COMPILER_EXECUTABLE=/usr/bin/h5pcc.mpich.")
endif()

# Static HDF5 and GSL (option PMC_STATIC_DEPS; docs/performance.md,
# "Start-up"). Needs PmcMpichHdf5 and find_package(GSL) first; on success it
# replaces HDF5_C_LIBRARIES by the archive (plus the fewest libraries a link
# probe needs) and points GSL::gsl and GSL::gslcblas at their archives.
# Debian's libhdf5.so loads ~35 shared libraries more (libcurl, GnuTLS,
# Kerberos, LDAP, ... for its ROS3 driver, which pmcabc never uses): ~10 ms of
# a 0.07 s run. Linking the archives takes only the objects pmcabc calls.
# MPICH stays shared: a plugin that is an MPI program links it too, and a
# process must hold one MPI.
set(_pmc_hdf5_found "")
set(_pmc_hdf5_deps "")
foreach(_lib IN LISTS HDF5_C_LIBRARIES)
  if(_lib MATCHES "/libhdf5\\.(so|a)$")
    set(_pmc_hdf5_found "${_lib}")
  else()
    list(APPEND _pmc_hdf5_deps "${_lib}")
  endif()
endforeach()
string(REGEX REPLACE "\\.so$" ".a" _pmc_hdf5_a "${_pmc_hdf5_found}")
string(REGEX REPLACE "\\.so$" ".a" _pmc_gsl_a "${GSL_LIBRARY}")
string(REGEX REPLACE "\\.so$" ".a" _pmc_gslcblas_a "${GSL_CBLAS_LIBRARY}")
set(_pmc_static_missing "")
foreach(_a IN ITEMS "${_pmc_hdf5_a}" "${_pmc_gsl_a}" "${_pmc_gslcblas_a}")
  if(NOT _a MATCHES "\\.a$" OR NOT EXISTS "${_a}")
    list(APPEND _pmc_static_missing "${_a}")
  endif()
endforeach()
if(_pmc_static_missing)
  set(_pmc_static_default OFF)
else()
  set(_pmc_static_default ON)
endif()
option(PMC_STATIC_DEPS "Link HDF5 and GSL statically (MPICH stays shared); default ON when the archives exist"
  ${_pmc_static_default})
if(PMC_STATIC_DEPS)
  if(_pmc_static_missing)
    list(JOIN _pmc_static_missing " " _pmc_missing_line)
    message(FATAL_ERROR
      "PMC_STATIC_DEPS=ON, but these static archives were not found: ${_pmc_missing_line} "
      "(next to the shared libraries found: ${_pmc_hdf5_found} ${GSL_LIBRARY} ${GSL_CBLAS_LIBRARY}). "
      "Install libhdf5-mpich-dev and libgsl-dev (tools/setup-deps), or configure with -DPMC_STATIC_DEPS=OFF.")
  endif()
  if(NOT "${_pmc_hdf5_a}" MATCHES "mpich")
    message(FATAL_ERROR
      "PMC_STATIC_DEPS=ON: pmcabc needs the HDF5 built for MPICH, but the archive is ${_pmc_hdf5_a}. "
      "Install libhdf5-mpich-dev or set HDF5_C_COMPILER_EXECUTABLE=/usr/bin/h5pcc.mpich, or configure with "
      "-DPMC_STATIC_DEPS=OFF.")
  endif()
  # The archive must be the parallel build and link against this MPICH (an
  # HDF5 built for Open MPI references ompi_* symbols), with as few of
  # HDF5's dependencies as possible: the filters' libsz and libz, not the
  # ROS3 driver's libcurl and libcrypto, whose objects pmcabc never pulls in.
  include(CheckCSourceCompiles)
  set(_pmc_hdf5_min_deps "")
  foreach(_lib IN LISTS _pmc_hdf5_deps)
    if(_lib MATCHES "/lib(sz|aec|z|dl|m)\\.(so|a)$" OR _lib MATCHES "^(sz|aec|z|dl|m)$")
      list(APPEND _pmc_hdf5_min_deps "${_lib}")
    endif()
  endforeach()
  set(CMAKE_REQUIRED_QUIET ON)
  set(CMAKE_REQUIRED_INCLUDES ${HDF5_INCLUDE_DIRS})
  set(_pmc_mpio_src "#include <hdf5.h>
int main(void) {
  hid_t p = H5Pcreate(H5P_FILE_ACCESS);
  return H5Pset_fapl_mpio(p, MPI_COMM_WORLD, MPI_INFO_NULL) < 0 || H5Fcreate(\"x\", 0, 0, p) < 0;
}")
  set(_pmc_hdf5_linked FALSE)
  foreach(_try IN ITEMS MIN ALL)
    if(_try STREQUAL "MIN")
      set(_deps ${_pmc_hdf5_min_deps})
    else()
      set(_deps ${_pmc_hdf5_deps})
    endif()
    set(CMAKE_REQUIRED_LIBRARIES "${_pmc_hdf5_a}" ${_deps} MPI::MPI_C m)
    # Checked again at every configure: the result depends on the archive.
    unset(PMC_STATIC_HDF5_LINKS_${_try} CACHE)
    check_c_source_compiles("${_pmc_mpio_src}" PMC_STATIC_HDF5_LINKS_${_try})
    if(PMC_STATIC_HDF5_LINKS_${_try})
      set(_pmc_hdf5_linked TRUE)
      set(HDF5_C_LIBRARIES "${_pmc_hdf5_a}" ${_deps})
      break()
    endif()
  endforeach()
  unset(CMAKE_REQUIRED_QUIET)
  unset(CMAKE_REQUIRED_INCLUDES)
  unset(CMAKE_REQUIRED_LIBRARIES)
  if(NOT _pmc_hdf5_linked)
    list(JOIN _pmc_hdf5_deps " " _pmc_deps_line)
    message(FATAL_ERROR
      "PMC_STATIC_DEPS=ON: a program calling H5Pset_fapl_mpio does not link against ${_pmc_hdf5_a} "
      "with MPICH (${MPI_C_LIBRARIES}) and ${_pmc_deps_line}: it is not the parallel HDF5 for MPICH, "
      "or it needs more libraries (see CMakeFiles/CMakeError.log). Configure with -DPMC_STATIC_DEPS=OFF "
      "to link the shared libhdf5.")
  endif()
  set_target_properties(GSL::gsl PROPERTIES IMPORTED_LOCATION "${_pmc_gsl_a}")
  set_target_properties(GSL::gslcblas PROPERTIES IMPORTED_LOCATION "${_pmc_gslcblas_a}")
  list(JOIN HDF5_C_LIBRARIES " " _pmc_hdf5_line)
  message(STATUS "pmcabc: PMC_STATIC_DEPS=ON: HDF5 and GSL linked statically, MPICH shared: "
    "${_pmc_hdf5_line} ${_pmc_gsl_a} ${_pmc_gslcblas_a}")
elseif(_pmc_static_missing)
  list(JOIN _pmc_static_missing " " _pmc_missing_line)
  message(STATUS "pmcabc: PMC_STATIC_DEPS=OFF: HDF5 and GSL linked as shared libraries "
    "(static archives not found: ${_pmc_missing_line})")
else()
  message(STATUS "pmcabc: PMC_STATIC_DEPS=OFF: HDF5 and GSL linked as shared libraries")
endif()

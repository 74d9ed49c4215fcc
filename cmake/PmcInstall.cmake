# What `cmake --install` puts in the prefix: the pmcabc program and what a
# model plugin needs outside this tree: <pmcabc/model.h>, find_package(pmcabc)
# giving pmcabc::model, and pmcabc.pc (docs/writing-a-model.md). Not the
# engine library: its headers are internal, so nobody outside the tree could
# use it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set_target_properties(pmcabc_model PROPERTIES EXPORT_NAME model)
install(TARGETS pmcabc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS pmcabc_model EXPORT pmcabcTargets)
install(FILES ${PROJECT_SOURCE_DIR}/include/pmcabc/model.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pmcabc)
install(EXPORT pmcabcTargets NAMESPACE pmcabc::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pmcabc)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/pmcabcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pmcabcConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pmcabc)
# The package exports only the plugin interface <pmcabc/model.h>, which has
# its own version (PMCABC_MODEL_ABI_VERSION, checked when a plugin loads).
# The minor version also goes up when results change (lib/pmc_version.h),
# which does not break plugins: any newer pmcabc satisfies a request.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pmcabcConfigVersion.cmake
  COMPATIBILITY AnyNewerVersion)
install(FILES ${PROJECT_BINARY_DIR}/pmcabcConfig.cmake
  ${PROJECT_BINARY_DIR}/pmcabcConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pmcabc)
file(RELATIVE_PATH PMC_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/pmcabc.pc.in ${PROJECT_BINARY_DIR}/pmcabc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pmcabc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Random123 (counter-based random number generators; header only, Debian
# package librandom123-dev). Sets RANDOM123_INCLUDE_DIR and the imported
# target Random123::Random123.
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Random123
  REQUIRED_VARS RANDOM123_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install librandom123-dev (tools/setup-deps)")
if(Random123_FOUND AND NOT TARGET Random123::Random123)
  add_library(Random123::Random123 INTERFACE IMPORTED)
  # SYSTEM: its headers are not ours to keep free of warnings.
  set_target_properties(Random123::Random123 PROPERTIES
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${RANDOM123_INCLUDE_DIR}"
    INTERFACE_INCLUDE_DIRECTORIES "${RANDOM123_INCLUDE_DIR}")
endif()

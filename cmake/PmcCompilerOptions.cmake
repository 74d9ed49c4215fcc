# Warnings, -Werror and the sanitizer / fuzzer instrumentation (options
# PMC_WERROR, PMC_SANITIZE, PMC_FUZZ), for every target of the tree.
# Off by default: which warnings a compiler gives differs between versions and
# optimisation levels (GCC 12 at -O3 sees more than at -O2), so a plain
# `cmake -DCMAKE_BUILD_TYPE=Release` with a compiler CI has not seen must still build.
# tools/build and CI (tools/test-all) turn it on.
option(PMC_WERROR "Treat warnings as errors (tools/build and CI turn it on)" OFF)
option(PMC_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_compile_options(-Wall -Wextra)
if(PMC_WERROR)
  add_compile_options(-Werror)
endif()
if(PMC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
# libFuzzer targets (tests/fuzz, docs/reliability.md): the whole engine is
# instrumented for coverage and built with ASan + UBSan. Clang only.
option(PMC_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)
if(PMC_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "PMC_FUZZ needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

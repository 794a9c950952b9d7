# Static linking of the C++ and small C dependencies (DSE_STATIC_DEPS, on by
# default; off in sanitizer and fuzz builds, which link everything shared).
#
# Each shared library costs resident memory at run time (relocations, and
# the pages it touches): libstdc++ about 1.2 MB, each of the ~20 libabsl_*.so,
# libyaml-cpp, libhiredis, libz and libcrypt 40 – 330 kB. Debian ships static
# archives of all of these (in the -dev packages of install-deps.sh), not of
# civetweb, libssl, libcurl, libpq or libmariadb, which stay shared.
#
# Debian's CMake packages describe absl and yaml-cpp as shared imported
# targets; this points them (and ZLIB::ZLIB, PkgConfig::HIREDIS and the plain
# `crypt` every target links) at the static archives beside the .so files, so
# that every executable links them. Their link dependencies stay as declared,
# and CMake orders the archives after their users. dse_static_runtime() adds
# --gc-sections to one executable, to leave out what it does not use of the
# archives (absl has a section per function). libstdc++ and libgcc were
# linked statically too until prometheus-cpp (a shared library linking the
# shared libstdc++) carried the metrics.
option(DSE_STATIC_DEPS
  "Link absl, yaml-cpp, hiredis, zlib and libcrypt statically into datastore_exporter"
  ON)
set(DSE_STATIC OFF)
if(DSE_STATIC_DEPS AND DSE_SANITIZE STREQUAL "" AND NOT DSE_FUZZ)
  set(DSE_STATIC ON)
endif()

# The static archive beside a shared library path: .../libx.so[.N...] -> .../libx.a
function(dse_archive_of out shared)
  string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" archive "${shared}")
  if(archive STREQUAL shared OR NOT EXISTS "${archive}")
    message(FATAL_ERROR "DSE_STATIC_DEPS: no static archive for ${shared} "
      "(install the -dev package of tests/scripts/install-deps.sh, or -DDSE_STATIC_DEPS=OFF)")
  endif()
  set(${out} "${archive}" PARENT_SCOPE)
endfunction()

# Repoints every IMPORTED_LOCATION[_<CONFIG>] of an imported target.
function(dse_use_archive target)
  get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
  set(properties IMPORTED_LOCATION)
  if(configs)
    foreach(config IN LISTS configs)
      list(APPEND properties IMPORTED_LOCATION_${config})
    endforeach()
  endif()
  foreach(property IN LISTS properties)
    get_target_property(location ${target} ${property})
    if(location)
      dse_archive_of(archive "${location}")
      set_target_properties(${target} PROPERTIES ${property} "${archive}")
    endif()
  endforeach()
endfunction()

if(DSE_STATIC)
  get_directory_property(dse_imported IMPORTED_TARGETS)
  foreach(target IN LISTS dse_imported)
    if(target MATCHES "^absl::" OR target STREQUAL "yaml-cpp")
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "SHARED_LIBRARY")
        dse_use_archive(${target})
      endif()
    endif()
  endforeach()
  dse_use_archive(ZLIB::ZLIB)

  get_target_property(hiredis_libs PkgConfig::HIREDIS INTERFACE_LINK_LIBRARIES)
  set(hiredis_static "")
  foreach(lib IN LISTS hiredis_libs)
    if(lib MATCHES "\\.so(\\.[0-9.]+)?$")
      dse_archive_of(lib "${lib}")
    endif()
    list(APPEND hiredis_static "${lib}")
  endforeach()
  set_target_properties(PkgConfig::HIREDIS PROPERTIES
    INTERFACE_LINK_LIBRARIES "${hiredis_static}")

  # `crypt` in target_link_libraries names this target rather than -lcrypt.
  find_library(DSE_CRYPT_ARCHIVE NAMES libcrypt.a REQUIRED)
  add_library(crypt STATIC IMPORTED)
  set_target_properties(crypt PROPERTIES IMPORTED_LOCATION "${DSE_CRYPT_ARCHIVE}")
endif()

# --gc-sections for `target` when DSE_STATIC. libstdc++ stays shared:
# libprometheus-cpp-core.so links it, and two C++ runtimes in one process
# (a static copy beside the shared one) would each keep their own state.
function(dse_static_runtime target)
  if(DSE_STATIC)
    target_link_options(${target} PRIVATE -Wl,--gc-sections)
  endif()
endfunction()

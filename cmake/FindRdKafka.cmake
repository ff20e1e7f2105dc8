# FindRdKafka: librdkafka's C library, and its C++ one where installed, through pkg-config
# (Debian ships no CMake config for librdkafka 2.0.2).
#
# Defines the imported target RdKafka::rdkafka (C; the one onceflow links) and, when the C++
# library is found too, RdKafka::rdkafka++; and RdKafka_VERSION. Installed beside
# onceflowConfig.cmake so that find_package(onceflow) finds librdkafka the same way.
#
# RdKafka_ROOT (a CMake or environment variable): take librdkafka from that install prefix
# (include/, lib/) and nowhere else, without pkg-config, e.g. the build of current upstream that
# scripts/librdkafka-upstream makes (the `rdkafka-upstream` preset). Missing there is an error,
# never a quiet fallback to the system's librdkafka.

include(FindPackageHandleStandardArgs)

if(NOT RdKafka_ROOT AND DEFINED ENV{RdKafka_ROOT})
  set(RdKafka_ROOT "$ENV{RdKafka_ROOT}")
endif()
set(_rdkafka_include_where)
set(_rdkafka_lib_where)
if(RdKafka_ROOT)
  # Resolved, so that the RPATH names the versioned folder, not a symlink that may move.
  get_filename_component(RdKafka_ROOT "${RdKafka_ROOT}" REALPATH)
  set(_rdkafka_include_where PATHS "${RdKafka_ROOT}/include" NO_DEFAULT_PATH)
  set(_rdkafka_lib_where PATHS "${RdKafka_ROOT}/lib" NO_DEFAULT_PATH)
endif()

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND AND NOT RdKafka_ROOT)
  pkg_check_modules(PC_RDKAFKA QUIET rdkafka)
  pkg_check_modules(PC_RDKAFKAXX QUIET rdkafka++)
endif()

find_path(RdKafka_INCLUDE_DIR NAMES librdkafka/rdkafka.h HINTS ${PC_RDKAFKA_INCLUDE_DIRS}
  ${_rdkafka_include_where})
find_library(RdKafka_LIBRARY NAMES rdkafka HINTS ${PC_RDKAFKA_LIBRARY_DIRS} ${_rdkafka_lib_where})
find_library(RdKafka_CPP_LIBRARY NAMES rdkafka++ HINTS ${PC_RDKAFKAXX_LIBRARY_DIRS}
  ${_rdkafka_lib_where})
set(RdKafka_VERSION "${PC_RDKAFKA_VERSION}")
if(NOT RdKafka_VERSION AND RdKafka_INCLUDE_DIR)
  # No pkg-config, or RdKafka_ROOT: the header's RD_KAFKA_VERSION, 0xMMmmrrxx.
  file(STRINGS "${RdKafka_INCLUDE_DIR}/librdkafka/rdkafka.h" _rdkafka_hex
    REGEX "^#define RD_KAFKA_VERSION +0x[0-9a-fA-F]+")
  if(_rdkafka_hex MATCHES "0x([0-9a-fA-F][0-9a-fA-F])([0-9a-fA-F][0-9a-fA-F])([0-9a-fA-F][0-9a-fA-F])")
    math(EXPR _maj "0x${CMAKE_MATCH_1}")
    math(EXPR _min "0x${CMAKE_MATCH_2}")
    math(EXPR _rev "0x${CMAKE_MATCH_3}")
    set(RdKafka_VERSION "${_maj}.${_min}.${_rev}")
  endif()
endif()

set(_rdkafka_why)
if(RdKafka_ROOT)
  set(_rdkafka_why REASON_FAILURE_MESSAGE
    "nothing under RdKafka_ROOT=${RdKafka_ROOT} (for the rdkafka-upstream preset, run scripts/librdkafka-upstream first)")
endif()
find_package_handle_standard_args(
  RdKafka
  REQUIRED_VARS RdKafka_LIBRARY RdKafka_INCLUDE_DIR
  VERSION_VAR RdKafka_VERSION
  ${_rdkafka_why})

if(RdKafka_FOUND AND NOT TARGET RdKafka::rdkafka)
  add_library(RdKafka::rdkafka SHARED IMPORTED)
  set_target_properties(RdKafka::rdkafka PROPERTIES
    IMPORTED_LOCATION "${RdKafka_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${RdKafka_INCLUDE_DIR}")
  if(RdKafka_CPP_LIBRARY)
    add_library(RdKafka::rdkafka++ SHARED IMPORTED)
    set_target_properties(RdKafka::rdkafka++ PROPERTIES
      IMPORTED_LOCATION "${RdKafka_CPP_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${RdKafka_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES RdKafka::rdkafka)
  endif()
endif()
mark_as_advanced(RdKafka_INCLUDE_DIR RdKafka_LIBRARY RdKafka_CPP_LIBRARY)

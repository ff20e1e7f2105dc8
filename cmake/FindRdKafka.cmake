# FindRdKafka: librdkafka's C and C++ libraries through pkg-config (Debian ships no CMake
# config for librdkafka 2.0.2).
#
# Defines the imported targets RdKafka::rdkafka (C) and RdKafka::rdkafka++ (C++), and
# RdKafka_VERSION. Installed beside onceflowConfig.cmake so that find_package(onceflow) finds
# librdkafka the same way.

include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_RDKAFKA QUIET rdkafka)
  pkg_check_modules(PC_RDKAFKAXX QUIET rdkafka++)
endif()

find_path(RdKafka_INCLUDE_DIR NAMES librdkafka/rdkafka.h HINTS ${PC_RDKAFKA_INCLUDE_DIRS})
find_library(RdKafka_LIBRARY NAMES rdkafka HINTS ${PC_RDKAFKA_LIBRARY_DIRS})
find_library(RdKafka_CPP_LIBRARY NAMES rdkafka++ HINTS ${PC_RDKAFKAXX_LIBRARY_DIRS})
set(RdKafka_VERSION "${PC_RDKAFKA_VERSION}")

find_package_handle_standard_args(
  RdKafka
  REQUIRED_VARS RdKafka_LIBRARY RdKafka_CPP_LIBRARY RdKafka_INCLUDE_DIR
  VERSION_VAR RdKafka_VERSION)

if(RdKafka_FOUND AND NOT TARGET RdKafka::rdkafka)
  add_library(RdKafka::rdkafka SHARED IMPORTED)
  set_target_properties(RdKafka::rdkafka PROPERTIES
    IMPORTED_LOCATION "${RdKafka_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${RdKafka_INCLUDE_DIR}")
  add_library(RdKafka::rdkafka++ SHARED IMPORTED)
  set_target_properties(RdKafka::rdkafka++ PROPERTIES
    IMPORTED_LOCATION "${RdKafka_CPP_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${RdKafka_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES RdKafka::rdkafka)
endif()
mark_as_advanced(RdKafka_INCLUDE_DIR RdKafka_LIBRARY RdKafka_CPP_LIBRARY)

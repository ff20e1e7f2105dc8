# Install rules and the exported CMake package, so another project can
#
#   find_package(onceflow 0.1 REQUIRED)
#   target_link_libraries(my_transform PRIVATE onceflow::core)
#
# or, without CMake, `pkg-config --cflags --libs onceflow`.
#
# Layout under the prefix (only public headers, all under include/onceflow/, so nothing of
# onceflow's can shadow a user's own kafka/config.h; <prefix>/include is the include path):
#   include/onceflow/*.h                  the public API (src/onceflow/) and version.h
#   include/onceflow/state/*.h            the state API it uses (state/)
#   include/onceflow/v1/*.pb.h, *.proto   generated protobuf code and its sources
#   lib/libonceflow_{core,state,proto}.a
#   lib/cmake/onceflow/onceflow{Config,ConfigVersion,Targets,CliTargets}.cmake, FindRdKafka.cmake
#   lib/pkgconfig/onceflow.pc
#   bin/onceflow
#   lib/systemd/system/onceflow@.service
#   share/onceflow/pipeline-config.schema.json
#   share/doc/onceflow/                   README, CHANGELOG, LICENSE (also as `copyright`),
#                                         examples/
#
# Components: onceflow_Runtime (the command, the unit, the schema, docs) and
# onceflow_Development (headers, static libraries, CMake and pkg-config files): the Debian
# packages `onceflow` and `onceflow-dev` (cmake/OnceflowPackaging.cmake).
include(CMakePackageConfigHelpers)

set(ONCEFLOW_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/onceflow"
    CACHE STRING "Where onceflowConfig.cmake is installed")

# ---- Public headers --------------------------------------------------------------------------
# The source tree keeps its include roots (src/ for "onceflow/x.h", the repository root for
# "state/x.h"); installed, the state headers live under onceflow/state/, so their includes are
# rewritten in a staged copy: #include "state/x.h" -> #include "onceflow/state/x.h". The public
# API is src/onceflow/*.h; the state headers listed are exactly those it includes (directly or
# through each other). Staged at configure time; a change to one of them re-runs CMake.
set(ONCEFLOW_PUBLIC_HEADERS
  kafka_statistics.h kafka_types.h plugin_abi.h processor.h processor_options.h record.h
  status_macros.h test_driver.h transform.h typed_transform.h)
set(ONCEFLOW_PUBLIC_STATE_HEADERS dedupe.h dedupe_options.h key_extractor.h kv_store.h partition_store.h)
set(ONCEFLOW_PUBLIC_BASE_HEADERS clock.h)
set(_stage "${PROJECT_BINARY_DIR}/include-staging/onceflow")
file(REMOVE_RECURSE "${_stage}")
function(_onceflow_stage_header source destination)
  file(READ "${source}" text)
  string(REGEX REPLACE "#include \"state/" "#include \"onceflow/state/" text "${text}")
  string(REGEX REPLACE "#include \"base/" "#include \"onceflow/base/" text "${text}")
  file(WRITE "${destination}" "${text}")
  set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${source}")
endfunction()
foreach(header IN LISTS ONCEFLOW_PUBLIC_HEADERS)
  _onceflow_stage_header("${PROJECT_SOURCE_DIR}/src/onceflow/${header}" "${_stage}/${header}")
endforeach()
foreach(header IN LISTS ONCEFLOW_PUBLIC_STATE_HEADERS)
  _onceflow_stage_header("${PROJECT_SOURCE_DIR}/state/${header}" "${_stage}/state/${header}")
endforeach()
foreach(header IN LISTS ONCEFLOW_PUBLIC_BASE_HEADERS)
  _onceflow_stage_header("${PROJECT_SOURCE_DIR}/src/base/${header}" "${_stage}/base/${header}")
endforeach()
# state/CMakeLists.txt installs every state/*.h under include/onceflow/state as it is (with
# "state/x.h" includes); the staged copies are installed after it and replace the public ones.
# Its installed include directory is <prefix>/include like the others'.
set_property(TARGET onceflow_state PROPERTY INTERFACE_INCLUDE_DIRECTORIES
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>"
  "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
set_property(TARGET onceflow_base PROPERTY INTERFACE_INCLUDE_DIRECTORIES
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>"
  "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
install(DIRECTORY "${_stage}/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/onceflow" COMPONENT onceflow_Development)
install(FILES "${PROJECT_BINARY_DIR}/generated/onceflow/version.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/onceflow" COMPONENT onceflow_Development)

# ---- Libraries, the command, the CMake package ------------------------------------------------
install(TARGETS onceflow_base onceflow_core onceflow_state onceflow_proto onceflow_plugin_api
  EXPORT onceflowTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT onceflow_Development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT onceflow_Development
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
# The command is in its own export set, installed with it: a development install without the
# runtime package (onceflow-dev alone) has no bin/onceflow for onceflow::cli to point at.
install(TARGETS onceflow_cli
  EXPORT onceflowCliTargets
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT onceflow_Runtime)

install(EXPORT onceflowTargets
  NAMESPACE onceflow::
  DESTINATION "${ONCEFLOW_INSTALL_CMAKEDIR}" COMPONENT onceflow_Development)
install(EXPORT onceflowCliTargets
  NAMESPACE onceflow::
  DESTINATION "${ONCEFLOW_INSTALL_CMAKEDIR}" COMPONENT onceflow_Runtime)

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/onceflowConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/onceflowConfig.cmake"
  INSTALL_DESTINATION "${ONCEFLOW_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/onceflowConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/onceflowConfig.cmake"
  "${PROJECT_BINARY_DIR}/onceflowConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/FindRdKafka.cmake"
  DESTINATION "${ONCEFLOW_INSTALL_CMAKEDIR}" COMPONENT onceflow_Development)

# ---- pkg-config ----------------------------------------------------------------------------
# Relocatable: prefix is found from the .pc file's own place (${pcfiledir}), so a tarball or
# `cmake --install --prefix DIR` works as well as /usr. Static libraries: every dependency
# library is in Requires (not Requires.private), since a user's link needs them.
file(RELATIVE_PATH _pc_to_prefix "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" _pc_to_prefix "${_pc_to_prefix}")
set(ONCEFLOW_PC_PREFIX "\${pcfiledir}/${_pc_to_prefix}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/templates/onceflow.pc.in"
               "${PROJECT_BINARY_DIR}/onceflow.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/onceflow.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig" COMPONENT onceflow_Development)

# ---- What an operator gets: the unit, the schema, docs and examples ---------------------------
install(FILES "${PROJECT_SOURCE_DIR}/deploy/systemd/onceflow@.service"
  DESTINATION "lib/systemd/system" COMPONENT onceflow_Runtime)
# Written by the built command at build time (onceflow schema), as it embeds the .proto's
# comments. Not made in builds without the command (the fuzz preset builds fuzzers only).
set(_schema_json "${PROJECT_BINARY_DIR}/pipeline-config.schema.json")
add_custom_command(
  OUTPUT "${_schema_json}"
  COMMAND onceflow_cli schema --output "${_schema_json}"
  DEPENDS onceflow_cli
  COMMENT "JSON Schema of the config (onceflow schema)"
  VERBATIM)
add_custom_target(onceflow_schema ALL DEPENDS "${_schema_json}")
install(FILES "${_schema_json}"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/onceflow" COMPONENT onceflow_Runtime)
install(FILES
  "${PROJECT_SOURCE_DIR}/README.md"
  "${PROJECT_SOURCE_DIR}/CHANGELOG.md"
  "${PROJECT_SOURCE_DIR}/LICENSE"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT onceflow_Runtime)
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" RENAME copyright
  DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT onceflow_Runtime)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/examples/sidecar/"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples" COMPONENT onceflow_Runtime)

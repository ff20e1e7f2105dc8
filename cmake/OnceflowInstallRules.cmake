# Install rules and the exported CMake package, so another project can
#
#   find_package(onceflow 0.1 REQUIRED)
#   target_link_libraries(my_transform PRIVATE onceflow::core)
#
# Layout under the prefix:
#   include/onceflow/{onceflow,kafka,runtime,state}/...   headers (one include root)
#   include/onceflow/onceflow/v1/*.pb.h, *.proto           generated protobuf code
#   lib/libonceflow_{core,state,proto}.a
#   lib/cmake/onceflow/onceflow{Config,ConfigVersion,Targets}.cmake, FindRdKafka.cmake
#   bin/onceflow
include(CMakePackageConfigHelpers)

set(ONCEFLOW_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/onceflow"
    CACHE STRING "Where onceflowConfig.cmake is installed")

install(TARGETS onceflow_base onceflow_core onceflow_state onceflow_proto onceflow_plugin_api
  EXPORT onceflowTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT onceflow_Development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT onceflow_Runtime
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/onceflow")
install(TARGETS onceflow_cli
  EXPORT onceflowTargets
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT onceflow_Runtime)

install(EXPORT onceflowTargets
  NAMESPACE onceflow::
  DESTINATION "${ONCEFLOW_INSTALL_CMAKEDIR}" COMPONENT onceflow_Development)

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

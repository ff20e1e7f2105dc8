# Debian packages with CPack, from the install rules' components (cmake/OnceflowInstallRules.cmake):
#
#   onceflow       the command, the systemd unit, the config schema, docs and example configs;
#                  its Depends come from dpkg-shlibdeps (librdkafka1, libabsl20220623,
#                  libprotobuf32, librocksdb7.8, libyaml-0-2, libre2-9, libc6, libstdc++6, ...)
#   onceflow-dev   headers, static libraries, the CMake package and onceflow.pc; Depends on the
#                  -dev packages a user's build needs
#
#   cmake --preset package && cmake --build --preset package      # Release, no tests
#   cpack --config build/package/CPackConfig.cmake -B build/package/debs
#
# Files go under /usr (CPACK_PACKAGING_INSTALL_PREFIX), whatever CMAKE_INSTALL_PREFIX says.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "onceflow")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "onceflow")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL onceflow_Runtime onceflow_Development)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # onceflow_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "onceflow maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")

set(CPACK_DEBIAN_ONCEFLOW_RUNTIME_PACKAGE_NAME "onceflow")
set(CPACK_DEBIAN_ONCEFLOW_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ONCEFLOW_RUNTIME_DESCRIPTION
  "Exactly-once consume-transform-produce for Apache Kafka: the onceflow command
 onceflow runs a Kafka consume-transform-produce pipeline from a config file, exactly once
 (transactions) or at least once, with dedupe, built-in transforms, plugins, dead letters,
 Prometheus metrics and health endpoints. Includes the systemd unit onceflow@.service.")

set(CPACK_DEBIAN_ONCEFLOW_DEVELOPMENT_PACKAGE_NAME "onceflow-dev")
set(CPACK_DEBIAN_ONCEFLOW_DEVELOPMENT_PACKAGE_ARCHITECTURE "amd64")
set(CPACK_DEBIAN_ONCEFLOW_DEVELOPMENT_PACKAGE_DEPENDS
  "librdkafka-dev (>= 2.0), libabsl-dev (>= 20220623), libprotobuf-dev (>= 3.21), protobuf-compiler (>= 3.21), librocksdb-dev (>= 7.8), pkg-config")
set(CPACK_DEBIAN_ONCEFLOW_DEVELOPMENT_DESCRIPTION
  "Exactly-once consume-transform-produce for Apache Kafka: the C++ library
 Headers, static libraries, the CMake package (find_package(onceflow)) and the pkg-config
 file (onceflow.pc) for writing onceflow transforms in C++.")

include(CPack)
cpack_add_component(onceflow_Runtime DISPLAY_NAME "onceflow command")
cpack_add_component(onceflow_Development DISPLAY_NAME "onceflow C++ library")

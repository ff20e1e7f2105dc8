#!/usr/bin/env bash
# The Debian packages and the installed library, tested as a user meets them (ctest label
# package; tests/package/CMakeLists.txt runs one step per test):
#
#   package_test.sh build    BUILD_DIR WORK   cpack the build into WORK/debs, extract both
#                                             packages into WORK/root (dpkg-deb -x: no root)
#   package_test.sh contents SOURCE WORK      control fields (Depends from dpkg-shlibdeps), the
#                                             file list, apt can satisfy Depends, and the
#                                             extracted command runs: version, validate
#   package_test.sh headers  SOURCE WORK      every installed header compiles on its own, and
#                                             nothing but onceflow/ is under include/
#   package_test.sh snippet  SOURCE WORK      README.md's C++ snippet compiles and links as
#                                             written, with pkg-config
#   package_test.sh example  SOURCE WORK      examples/celsius (find_package + protobuf_generate)
#                                             builds against the package and passes its self test
#   package_test.sh install  SOURCE WORK      with ONCEFLOW_TEST_DEB_INSTALL=1 and as root: apt-get
#                                             installs the packages for real (idempotent), and
#                                             /usr/bin/onceflow runs; else exits 77 (skipped)
set -euo pipefail

step=$1
shift

say() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

root_of() { echo "$1/root"; }

case $step in
build)
  build_dir=$1 work=$2
  rm -rf "$work"
  mkdir -p "$work/debs" "$work/root"
  say "cpack $build_dir -> $work/debs (gzip: quicker than the release's xz)"
  cpack --config "$build_dir/CPackConfig.cmake" -B "$work/debs" \
    -D CPACK_DEBIAN_COMPRESSION_TYPE=gzip >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
  ls -l "$work/debs"/*.deb
  for deb in "$work/debs"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  ;;

contents)
  source=$1 work=$2
  root=$(root_of "$work")
  runtime=$(ls "$work"/debs/onceflow_*_amd64.deb)
  dev=$(ls "$work"/debs/onceflow-dev_*_amd64.deb)
  say "control fields"
  depends=$(dpkg-deb -f "$runtime" Depends)
  echo "onceflow Depends: $depends"
  for lib in librdkafka1 libabsl20220623 libprotobuf32 librocksdb7.8 libyaml-0-2 libre2-9 libstdc++6 \
             libc6; do
    [[ $depends == *"$lib"* ]] || fail "onceflow's Depends lacks $lib (dpkg-shlibdeps)"
  done
  [[ $depends != *-dev* ]] || fail "the runtime package depends on a -dev package: $depends"
  version=$(sed -n 's/^ *VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt" | head -n 1)
  [[ $(dpkg-deb -f "$runtime" Version) == "$version-1" ]] || fail "package version is not $version-1"
  [[ $(dpkg-deb -f "$dev" Depends) == *librdkafka-dev* ]] || fail "onceflow-dev does not depend on librdkafka-dev"
  say "files"
  for f in usr/bin/onceflow usr/lib/systemd/system/onceflow@.service \
           usr/share/onceflow/pipeline-config.schema.json usr/share/doc/onceflow/copyright \
           usr/share/doc/onceflow/examples/orders.yaml usr/include/onceflow/processor.h \
           usr/include/onceflow/version.h usr/include/onceflow/state/dedupe.h \
           usr/include/onceflow/v1/pipeline_config.pb.h; do
    [[ -e $root/$f ]] || fail "/$f is not in the packages"
  done
  [[ -n $(find "$root/usr/lib" -name onceflow.pc) ]] || fail "no onceflow.pc"
  say "apt can satisfy the runtime package's Depends on this system"
  if command -v apt-get >/dev/null; then
    apt-get install --simulate --no-install-recommends "$runtime" >"$work/apt-sim.log" 2>&1 ||
      { cat "$work/apt-sim.log"; fail "apt-get cannot install $runtime"; }
    grep -q "^Inst onceflow\|is already the newest" "$work/apt-sim.log" ||
      { cat "$work/apt-sim.log"; fail "apt-get would not install onceflow"; }
  fi
  say "the extracted command runs"
  "$root/usr/bin/onceflow" version | tee "$work/version.txt"
  grep -q "^onceflow $version (commit [0-9a-f]" "$work/version.txt" || fail "onceflow version: no version or commit"
  grep -q "librdkafka 2\." "$work/version.txt" || fail "onceflow version: no librdkafka version"
  "$root/usr/bin/onceflow" validate --config "$root/usr/share/doc/onceflow/examples/orders.yaml" |
    tee "$work/validate.txt"
  grep -q ": OK (application orders-sidecar" "$work/validate.txt" || fail "validate did not pass"
  cmp "$root/usr/share/onceflow/pipeline-config.schema.json" <("$root/usr/bin/onceflow" schema) ||
    fail "the installed schema is not what onceflow schema prints"
  ;;

headers)
  source=$1 work=$2
  root=$(root_of "$work")
  inc=$root/usr/include
  say "only onceflow/ under include/"
  others=$(find "$inc" -mindepth 1 -maxdepth 1 ! -name onceflow)
  [[ -z $others ]] || fail "installed outside include/onceflow: $others"
  for internal in kafka runtime audit benchmark sidecar; do
    [[ ! -e $inc/onceflow/$internal && ! -e $inc/$internal ]] || fail "internal headers installed: $internal/"
  done
  say "every header compiles on its own, with <prefix>/include only"
  cflags=$(PKG_CONFIG_PATH=$(dirname "$(find "$root/usr/lib" -name onceflow.pc)") pkg-config --cflags onceflow)
  # protoc's *.pb.h are self-contained by construction (and the slowest to parse): left out.
  find "$inc/onceflow" -name '*.h' ! -name '*.pb.h' | sort >"$work/headers.txt"
  # shellcheck disable=SC2016 # expanded by the inner bash
  xargs -P 2 -I{} bash -c 'h=${1#'"$inc"'/}; printf "#include \"%s\"\n" "$h" |
      c++ -std=c++20 -fsyntax-only -Wall -Werror '"$cflags"' -x c++ - ||
      { echo "FAIL: $h does not compile on its own" >&2; exit 255; }' _ {} <"$work/headers.txt"
  echo "$(wc -l <"$work/headers.txt") headers compile on their own"
  ;;

snippet)
  source=$1 work=$2
  root=$(root_of "$work")
  say "README.md's snippet (the first \`\`\`cpp block under 'Using the library')"
  awk '/^## Using the library/{s=1} s && /^```cpp/{c=1; next} c && /^```/{exit} c{print}' \
    "$source/README.md" >"$work/snippet.cc"
  [[ -s $work/snippet.cc ]] || fail "no C++ snippet in README.md's 'Using the library'"
  cat "$work/snippet.cc"
  pc_dir=$(dirname "$(find "$root/usr/lib" -name onceflow.pc)")
  # shellcheck disable=SC2046 # pkg-config's output is a list of flags
  c++ -std=c++20 -Wall -Werror "$work/snippet.cc" -o "$work/snippet" \
    $(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs onceflow) || fail "the README snippet does not build"
  echo "built $work/snippet"
  ;;

example)
  source=$1 work=$2
  root=$(root_of "$work")
  say "examples/celsius against the package (CMAKE_PREFIX_PATH=$root/usr)"
  rm -rf "$work/celsius"
  cmake -S "$source/examples/celsius" -B "$work/celsius" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_CXX_FLAGS=-Werror
  cmake --build "$work/celsius"
  "$work/celsius/celsius" --self-test
  ;;

install)
  source=$1 work=$2
  if [[ ${ONCEFLOW_TEST_DEB_INSTALL:-0} != 1 || $(id -u) -ne 0 ]]; then
    echo "skipped: set ONCEFLOW_TEST_DEB_INSTALL=1 and run as root to install the packages for real (scripts/test does on a fresh machine)"
    exit 77
  fi
  say "apt-get install the packages (again, if installed: idempotent)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends --reinstall "$work"/debs/onceflow_*_amd64.deb \
    "$work"/debs/onceflow-dev_*_amd64.deb >"$work/apt-install.log" 2>&1 ||
    { cat "$work/apt-install.log"; fail "apt-get install failed"; }
  dpkg -s onceflow | grep -q '^Status: install ok installed' || fail "onceflow is not installed"
  /usr/bin/onceflow version
  /usr/bin/onceflow validate --config /usr/share/doc/onceflow/examples/orders.yaml
  if command -v systemd-analyze >/dev/null; then
    say "systemd-analyze verify the installed unit"
    mkdir -p "$work/units"
    cp /lib/systemd/system/onceflow@.service "$work/units/onceflow@orders.service"
    systemd-analyze verify "$work/units/onceflow@orders.service" 2>&1 | tee "$work/verify.log"
    ! grep -qi "error\|unknown" "$work/verify.log" || fail "systemd-analyze verify complained"
  fi
  say "find_package(onceflow) from /usr: examples/celsius"
  rm -rf "$work/celsius-system"
  cmake -S "$source/examples/celsius" -B "$work/celsius-system" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$work/celsius-system"
  "$work/celsius-system/celsius" --self-test
  ;;

*)
  echo "unknown step $step" >&2
  exit 2
  ;;
esac

#!/bin/sh
# Builds examples/plugin exactly as a plugin author would: installs this onceflow build to a
# fresh prefix, then configures and builds the example as a separate project against it
# (find_package(onceflow) + onceflow::plugin_api). The ctest fixture plugin_built; the plugin
# tests load the result, <work dir>/build/redact.so.
#
# usage: build_example_plugin.sh <cmake> <generator> <onceflow build dir> <examples/plugin> <work dir>
set -eu

cmake=$1
generator=$2
build_dir=$3
source_dir=$4
work=$5

rm -rf "$work"
mkdir -p "$work"

echo "== installing $build_dir to $work/prefix"
"$cmake" --install "$build_dir" --prefix "$work/prefix" >"$work/install.log" 2>&1 || {
  cat "$work/install.log"
  exit 1
}

echo "== configuring $source_dir"
# -Werror: the example must build warning-free, as it is meant to be copied.
"$cmake" -S "$source_dir" -B "$work/build" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS=-Werror

echo "== building"
"$cmake" --build "$work/build"

test -f "$work/build/redact.so"
echo "== built $work/build/redact.so"

#!/usr/bin/env bash
# Configures (once) and builds the release build in build/. Extra arguments go
# to `meson setup` on first configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
fi
ninja -C build

#!/usr/bin/env bash
# Sets up what is missing, builds a release and runs OS Platforms in demo mode at
# http://127.0.0.1:3000 (nothing to configure). Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

setup_rust_toolchain
build_release
say "starting OS Platforms in demo mode: http://127.0.0.1:3000"
exec target/release/osp serve "$@"

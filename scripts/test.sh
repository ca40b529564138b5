#!/usr/bin/env bash
# One command for the whole test suite: installs what is missing, builds, and runs
# every test against real PostgreSQL clusters the tests start themselves (initdb +
# pg_ctl in a temp dir). No database needs to be running beforehand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"

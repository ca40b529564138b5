#!/usr/bin/env bash
# One command for the whole test suite: installs what is missing, builds, and runs
# every test against real PostgreSQL clusters the tests start themselves (initdb +
# pg_ctl in a temp dir). No database needs to be running beforehand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
if [ $# -gt 0 ]; then
    exec swift test --skip-build "$@"
fi
# The floor console's browser test (headless Chromium) runs on its own after the rest, so
# the browser's CPU does not slow the timing-sensitive server tests running beside it.
swift test --skip-build --skip BrowserTests
swift test --skip-build --filter BrowserTests

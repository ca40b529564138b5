#!/usr/bin/env bash
# One command from a fresh clone to a running Leadline with demo data:
# installs what is missing, builds (release), starts a private PostgreSQL cluster in
# ./.leadline, seeds demo leads and agents (tokens printed once), and serves on
# 127.0.0.1:7878 (metrics on :9464) and the floor console on http://127.0.0.1:7880/
# (the URL is printed with the tokens). Ctrl-C stops the server and the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product leadline
exec .build/release/leadline demo "$@"

#!/usr/bin/env bash
# Installs what Leadline needs that a fresh Debian + Swift machine lacks:
# PostgreSQL (server, contrib for pgbench), libpq headers, pkg-config (finds them), and
# for the floor console's browser tests Debian's headless Chromium, its WebDriver and
# Selenium for the system Python (/usr/bin/python3). No OpenSSL headers: the token hash
# (swift-crypto) and TLS (swift-nio-ssl) build their own BoringSSL. (Debian's libpq-dev
# still pulls in libssl-dev for libpq itself.)
# Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
for pkg in postgresql postgresql-contrib libpq-dev pkg-config chromium chromium-driver python3 python3-selenium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package starts a system cluster; Leadline runs its own private one and
# does not need it (stopping it is harmless if it is not running).
if command -v pg_lsclusters >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    pg_lsclusters -h 2>/dev/null | awk '$4=="online"{print $1" "$2}' | while read -r v c; do
        pg_ctlcluster "$v" "$c" stop >/dev/null 2>&1 || true
    done
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain is not on PATH" >&2; exit 1; }

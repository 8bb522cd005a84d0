#!/usr/bin/env bash
# Installs the OS packages bramble and its tests use (Debian/Ubuntu).
# Safe to re-run. Needs root (or sudo).
set -euo pipefail
pkgs=(ca-certificates openssl)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
command -v kubectl >/dev/null || echo "note: kubectl not found on PATH; the end-to-end tests need it (/usr/bin/kubectl)"

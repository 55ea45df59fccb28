#!/usr/bin/env bash
# Installs the Node tools the Azure tests use — Azurite (the Azure Storage emulator) and the
# Azure SDK's @azure/storage-blob — at the versions pinned in tests/azure/package-lock.json,
# into $AZURE_TOOLS_DIR (default $BUILD/azure-tools, else build/azure-tools). Node and npm come
# from Debian (apt-get install nodejs npm) when missing. A no-op when the pinned tools are there.
# Prints the tools directory on its last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${AZURE_TOOLS_DIR:-${BUILD:-$ROOT/build}/azure-tools}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "installing Node.js from Debian (nodejs npm)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >&2
fi

mkdir -p "$DIR"
if ! cmp -s "$ROOT/tests/azure/package-lock.json" "$DIR/package-lock.json" ||
   [ ! -x "$DIR/node_modules/.bin/azurite-blob" ]; then
  cp "$ROOT/tests/azure/package.json" "$ROOT/tests/azure/package-lock.json" "$DIR/"
  echo "installing Azurite and @azure/storage-blob (pinned) into $DIR" >&2
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
echo "$DIR"

#!/usr/bin/env bash
# Builds and serves the Coffer browser app on http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-browser.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
echo
echo "Coffer Backup Management: open http://127.0.0.1:8080/ once the build below finishes"
echo
exec trunk serve --release --address 127.0.0.1 --port 8080

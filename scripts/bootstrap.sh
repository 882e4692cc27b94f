#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with Node 20, idempotently:
# pnpm 12.4.2, the workspace dependencies (offline-safe settings)
# and, with --python, Debian's PyTorch/ONNX packages used by the export scripts, the demo-model
# trainer and the benchmarks, and docker-compose for the static check of docker/compose.yaml. Sourced by scripts/start.sh and scripts/test.sh.
set -euo pipefail

# Native addons (better-sqlite3) must build against the installed Node headers, not downloaded ones.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
# Prisma must never try to download engines: we use the query compiler and the wasm schema engine.
export PRISMA_QUERY_ENGINE_LIBRARY=/bin/true PRISMA_SCHEMA_ENGINE_BINARY=/bin/true
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 NEXT_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
  echo "cxr: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 2
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  echo "== installing pnpm 12.4.2"
  as_root npm install -g -E pnpm@12.4.2 >/dev/null
fi

if [ "${1:-}" = "--python" ]; then
  # Debian's PyTorch stack (no PyPI needed): export tests, demo-model training, benchmarks;
  # docker-compose (1.29, Debian's) validates docker/compose.yaml in the tests (no Docker engine needed);
  # Debian's Chromium, which the web UI's browser tests drive (playwright-core never downloads one).
  # redis-server: the queue tests start a private one (a Redis stopped mid-job); the shared one runs on 6379.
  want="python3-torch python3-torchvision python3-onnx python3-numpy python3-pil python3-faiss libopenblas0-pthread docker-compose chromium redis-server"
  missing=""
  for p in $want; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ] && command -v apt-get >/dev/null; then
    echo "== installing Debian packages:$missing"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

echo "== pnpm install"
if [ -n "${CI:-}" ]; then pnpm install --frozen-lockfile; else pnpm install; fi

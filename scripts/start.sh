#!/usr/bin/env bash
# The main job on a fresh machine with nothing configured: install, create and migrate the
# database, and report what this machine offers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
pnpm cxr db migrate
pnpm cxr doctor

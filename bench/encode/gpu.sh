#!/usr/bin/env bash
# bench/encode on the GPU machine (`device`): the same benchmark with GPU providers preferred.
# Our side tries cuda, then webgpu, then cpu, and the table says which provider ran each figure
# (onnxruntime-node 1.30.0 ships CUDA's provider only through its postinstall download, which this
# project skips offline; where it is absent the log says so and the next provider is used).
# The PyTorch side uses CUDA when Debian's torch sees it, else the CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads="${THREADS:-$(nproc)}"
exec pnpm exec tsx bench/encode/run.ts --providers cuda,webgpu,cpu --threads "$threads" --batch "${BATCH:-32}" --repeats "${REPEATS:-5}" "$@"

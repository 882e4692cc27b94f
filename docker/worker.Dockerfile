# A job worker (`cxr worker`: BullMQ queues on Redis, sandboxed processors), built from the workspace.
# Context: the repository root.
#   CPU: docker build -f docker/worker.Dockerfile -t cxr-worker .
#   GPU: docker build -f docker/worker.Dockerfile --target gpu --build-arg ONNXRUNTIME_CUDA=v12 -t cxr-worker-gpu .

# ---- build: the whole workspace with its dependencies ----
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g -E pnpm@12.4.2
ENV npm_config_nodedir=/usr/local \
    PRISMA_QUERY_ENGINE_LIBRARY=/bin/true \
    PRISMA_SCHEMA_ENGINE_BINARY=/bin/true \
    CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 NEXT_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile
# onnxruntime-node bundles only the CPU (and WebGPU) providers; its install script can fetch the
# CUDA 12 provider, which allowBuilds keeps off by default. The GPU image runs it explicitly.
ARG ONNXRUNTIME_CUDA=skip
RUN if [ "$ONNXRUNTIME_CUDA" != "skip" ]; then \
      cd "$(dirname "$(node -p 'require.resolve("onnxruntime-node/package.json", { paths: [require("node:path").resolve("packages/encoders")] })')")" \
      && ONNXRUNTIME_NODE_INSTALL_CUDA="$ONNXRUNTIME_CUDA" node script/install.js; \
    fi

# ---- cpu: the default worker ----
FROM node:20-bookworm-slim AS cpu
ENV NODE_ENV=production CXR_DATA_DIR=/data CXR_EXECUTION_PROVIDERS=cpu \
    CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 DO_NOT_TRACK=1
WORKDIR /app
COPY --from=build --chown=node:node /app /app
COPY --chown=node:node docker/healthcheck.mjs /usr/local/lib/cxr/healthcheck.mjs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# A worker serves no HTTP: healthy while Redis, which feeds it jobs, accepts connections.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node /usr/local/lib/cxr/healthcheck.mjs tcp "${REDIS_URL:-redis://redis:6379}"
ENTRYPOINT ["node", "--import", "tsx", "apps/cli/src/main.ts"]
CMD ["worker", "--queues", "index,bench"]

# ---- gpu: CUDA 12 and cuDNN 9 libraries for ONNX Runtime's CUDA provider ----
# The driver comes from the host (NVIDIA Container Toolkit); the libraries come from this base.
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 AS gpu
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production CXR_DATA_DIR=/data CXR_EXECUTION_PROVIDERS=cuda,cpu \
    CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 DO_NOT_TRACK=1
# ubuntu:24.04 ships a "ubuntu" user with uid 1000; run as a user of our own.
RUN useradd --system --create-home --uid 10001 cxr && mkdir -p /data && chown cxr:cxr /data
WORKDIR /app
COPY --from=build --chown=cxr:cxr /app /app
COPY --chown=cxr:cxr docker/healthcheck.mjs /usr/local/lib/cxr/healthcheck.mjs
USER cxr
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node /usr/local/lib/cxr/healthcheck.mjs tcp "${REDIS_URL:-redis://redis:6379}"
ENTRYPOINT ["node", "--import", "tsx", "apps/cli/src/main.ts"]
CMD ["worker", "--queues", "index,bench", "--concurrency", "1"]

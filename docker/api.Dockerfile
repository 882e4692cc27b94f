# The GraphQL API (`cxr serve`), built from the workspace. Context: the repository root.
#   docker build -f docker/api.Dockerfile -t cxr-api .

# ---- build: the whole workspace with its dependencies (native addons compiled here) ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles with node-gyp when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g -E pnpm@12.4.2
# The same offline-safe settings as scripts/bootstrap.sh: headers from the image's Node, no Prisma
# engine downloads (the query compiler and driver adapters need none), no telemetry.
ENV npm_config_nodedir=/usr/local \
    PRISMA_QUERY_ENGINE_LIBRARY=/bin/true \
    PRISMA_SCHEMA_ENGINE_BINARY=/bin/true \
    CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 NEXT_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
WORKDIR /app
COPY . .
# allowBuilds in pnpm-workspace.yaml decides which build scripts run (onnxruntime-node's CUDA
# download is off: this image runs on CPU). The root postinstall generates both Prisma clients.
RUN pnpm install --frozen-lockfile
# The CLI runs its TypeScript through tsx, so the workspace (not a bundle) is the runtime.

# ---- runtime: no compilers, a non-root user ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production CXR_DATA_DIR=/data \
    CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 DO_NOT_TRACK=1
WORKDIR /app
COPY --from=build --chown=node:node /app /app
COPY --chown=node:node docker/healthcheck.mjs /usr/local/lib/cxr/healthcheck.mjs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/usr/local/lib/cxr/healthcheck.mjs", "http", "http://127.0.0.1:4000/healthz"]
ENTRYPOINT ["node", "--import", "tsx", "apps/cli/src/main.ts"]
# 0.0.0.0 so other containers reach it; the API will require tokens on non-loopback addresses:
# set CXR_ADMIN_TOKEN (and CXR_SUBMISSION_TOKEN) in the environment.
CMD ["serve", "--host", "0.0.0.0", "--port", "4000"]

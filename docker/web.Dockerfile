# The web UI (apps/web, Next.js), built from the workspace. Context: the repository root.
#   docker build -f docker/web.Dockerfile -t cxr-web .

# ---- build: install, then `next build` ----
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
RUN pnpm --filter @cxr/web build

# ---- runtime: `next start` as a non-root user ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOSTNAME=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app /app
COPY --chown=node:node docker/healthcheck.mjs /usr/local/lib/cxr/healthcheck.mjs
USER node
WORKDIR /app/apps/web
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/usr/local/lib/cxr/healthcheck.mjs", "http", "http://127.0.0.1:3000/"]
CMD ["node_modules/.bin/next", "start", "--hostname", "0.0.0.0", "--port", "3000"]

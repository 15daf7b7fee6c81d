# syntax=docker/dockerfile:1
# DocuChat backend image. The same image runs the API (default command) and the billing CronJob
# (`node build/billing/main.js`). It runs as a numeric non-root user and writes nothing outside /tmp and
# DATA_DIR, so Kubernetes can mount the root file system read-only with an emptyDir at /tmp.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Every dependency, for compiling; install scripts are not needed to run tsc and vite.
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8000 \
    DATA_DIR=/var/lib/docuchat \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Production dependencies only, with their install scripts (argon2 selects its prebuilt native addon).
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund \
    && mkdir -p /var/lib/docuchat \
    && chown 1000:1000 /var/lib/docuchat
COPY --from=build /src/build ./build
# tsc compiles only TypeScript; the migrations are read at run time next to the compiled migrate.js.
COPY --from=build /src/app/db/migrations ./build/app/db/migrations
# The base image's unprivileged `node` user; the Kubernetes pod runs as the same UID.
USER 1000:1000
EXPOSE 8000
# Probes come from Kubernetes (liveness /api/v1/health/live, readiness /api/v1/health), not from HEALTHCHECK.
CMD ["node", "build/app/server/main.js"]

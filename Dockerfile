# syntax=docker/dockerfile:1
#
# fitbit-bridge: one Dockerfile for the plain image and the Home Assistant add-on.
#
#   docker build -t fitbit-bridge .                        # plain image (the last stage, `plain`)
#   docker build --target addon -t fitbit-bridge-addon .   # the add-on image
#   docker buildx build --platform linux/amd64,linux/arm64 ...   # both architectures
#
# The base is an exact Node 20 Debian slim release (multi-arch: amd64 and arm64/aarch64).
# BUILD_FROM is the name Home Assistant's add-on builds use for the base image; its default is
# the same plain base, so the add-on needs no build.yaml. To pin by digest:
#   --build-arg BUILD_FROM=node:20.20.2-bookworm-slim@sha256:<digest of the multi-arch index>
# Not verified here: no Docker engine in the development setup (see DOCS.md of the add-on).
ARG BUILD_FROM=node:20.20.2-bookworm-slim
ARG BUILD_VERSION=0.1.0

# ---- build: dev dependencies, TypeScript → dist/, then only the production dependencies ----------
FROM ${BUILD_FROM} AS build
# python3 / make / g++: better-sqlite3 compiles from source when no prebuilt binary fits
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# no scripts yet: `prepare` would build before the sources are here; the native modules next
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# then only the production dependencies; of better-sqlite3 only its compiled module (a source
# build leaves ~25 MB of objects and SQLite sources behind)
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && chmod 0755 dist/cli/main.js \
 && B=node_modules/better-sqlite3 \
 && find $B/build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find $B/build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && rm -rf $B/deps $B/src \
 && node -e "require('better-sqlite3')(':memory:').close()" \
 && node dist/cli/main.js --version

# ---- runtime: what both images share --------------------------------------------------------------
FROM ${BUILD_FROM} AS runtime
ARG BUILD_FROM
ARG BUILD_VERSION
LABEL org.opencontainers.image.title="fitbit-bridge" \
      org.opencontainers.image.description="Own your Fitbit data: Google Takeout import, Google Health API sync, per-day dumps, MQTT with Home Assistant discovery, Prometheus remote write." \
      org.opencontainers.image.version="${BUILD_VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/fitbit-bridge/fitbit-bridge" \
      org.opencontainers.image.url="https://github.com/fitbit-bridge/fitbit-bridge" \
      org.opencontainers.image.documentation="https://github.com/fitbit-bridge/fitbit-bridge#readme" \
      org.opencontainers.image.base.name="${BUILD_FROM}"
# Memory of a long-running bridge (bench/idle, one run: idle RSS after a week of live sync 128 MB
# untuned, 90 MB with these; Takeout-only 85 → 79 MB): fewer glibc arenas, large buffers (zlib
# state, HTTP bodies) returned to the system at once instead of fragmenting the heap, a smaller
# V8 young generation that does not sit at 32 MB after a sync. Costs ~15-20 % on a large
# import-takeout. Override NODE_OPTIONS / MALLOC_* in compose to undo.
ENV NODE_ENV=production \
    FITBIT_BRIDGE_DB=/data/fitbit-bridge.db \
    FITBIT_BRIDGE_HTTP__BIND=0.0.0.0 \
    NODE_OPTIONS=--max-semi-space-size=4 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=65536 \
    MALLOC_TRIM_THRESHOLD_=65536
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config.example.yaml README.md ./
# /data belongs to the unprivileged `node` user (uid 1000) of the base image: a new named volume
# starts as a copy of it, so the plain image can write there without root
RUN ln -s /app/dist/cli/main.js /usr/local/bin/fitbit-bridge \
 && mkdir -p /data \
 && chown node:node /data
VOLUME /data
EXPOSE 8787
STOPSIGNAL SIGTERM
# no curl in the image: Node asks /healthz (200 while the process lives)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.FITBIT_BRIDGE_HTTP__PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# ---- addon: the Home Assistant add-on (docker build --target addon) -------------------------------
# Runs as root: the Supervisor mounts /data (and /share, /config) owned by root.
FROM runtime AS addon
ARG BUILD_VERSION
LABEL io.hass.name="Fitbit Bridge" \
      io.hass.description="Your Fitbit data in Home Assistant: Google Health API sync and Takeout import, MQTT discovery, Prometheus remote write." \
      io.hass.version="${BUILD_VERSION}" \
      io.hass.type="addon" \
      io.hass.arch="aarch64|amd64" \
      io.hass.url="https://github.com/fitbit-bridge/fitbit-bridge"
USER root
EXPOSE 8099
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8099/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["fitbit-bridge", "addon-run"]

# ---- plain: the default image (docker build .) ----------------------------------------------------
FROM runtime AS plain
USER node
CMD ["fitbit-bridge", "run"]

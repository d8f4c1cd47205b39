#
# fitbit-bridge: one Dockerfile for the plain image and the Home Assistant add-on.
#
#   docker build -t fitbit-bridge .                        # plain image (the last stage, `plain`)
#   docker build --target addon -t fitbit-bridge-addon .   # the add-on image
#   docker buildx build --platform linux/amd64,linux/arm64 ...   # both architectures
#
#   docker run -v fitbit-data:/data -p 8787:8787 fitbit-bridge                 # `run` (the default)
#   docker run -v fitbit-data:/data -v ~/Downloads:/in:ro fitbit-bridge import-takeout /in/takeout.zip
#   docker run fitbit-bridge --version                                        # any fitbit-bridge command
#
# The base is an exact Node 24 LTS Debian slim release (multi-arch: amd64 and arm64/aarch64).
# BUILD_FROM is the name Home Assistant's add-on builds use for the base image; the add-on's
# build.yaml names the same image per architecture. To pin by digest:
#   --build-arg BUILD_FROM=node:24.22.3-bookworm-slim@sha256:<digest of the multi-arch index>
# Built and run by `npm run test:image` (scripts/test-image.ts) against a local stand-in of
# this base (README, "Docker").
ARG BUILD_FROM=node:24.22.3-bookworm-slim
ARG BUILD_VERSION=0.1.0
ARG BUILD_ARCH=amd64

# ---- build: dev dependencies, TypeScript → dist/, then only the production dependencies ----------
FROM ${BUILD_FROM} AS build
# python3 / make / g++: better-sqlite3 compiles from source when no prebuilt binary fits
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# node-gyp compiles against the headers the base image ships (/usr/local/include/node), not a
# download from nodejs.org
ENV npm_config_nodedir=/usr/local
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

# ---- base: the Node base without what only installs and compiles (npm, npx, corepack, yarn, C
# headers, docs: ~70 MB), then flattened into the runtime's first layer: deleting them in a layer
# above the base's own would not make the image smaller --------------------------------------------
FROM ${BUILD_FROM} AS base
RUN rm -rf /usr/local/lib/node_modules /usr/local/include/node /usr/local/share/doc/node \
           /usr/local/share/man/man1/node.1 /usr/local/share/systemtap /opt/yarn-* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && node --version

# ---- runtime: what both images share --------------------------------------------------------------
FROM scratch AS runtime
COPY --from=base / /
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
# (PATH: the flattened base brings its files, not its environment.)
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production \
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
 && chown node:node /data \
 && fitbit-bridge --version
VOLUME /data
EXPOSE 8787
STOPSIGNAL SIGTERM
# `docker run <image> <command> …` runs `fitbit-bridge <command> …` (node is PID 1 and stops
# cleanly on SIGTERM); a shell: `docker run -it --entrypoint sh <image>`
ENTRYPOINT ["fitbit-bridge"]
# The bridge asks itself: /healthz on the port its loaded configuration sets (config file or
# FITBIT_BRIDGE_HTTP__PORT), healthy without asking when HTTP is off. No curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["fitbit-bridge", "healthcheck"]

# ---- addon: the Home Assistant add-on (docker build --target addon) -------------------------------
# Runs as root: the Supervisor mounts /data (and /share, /config) owned by root. SQLite's
# temporary files (an import stages its samples in a temp table; large sorts, VACUUM) go to the
# data volume, not the container's own layer.
FROM runtime AS addon
ARG BUILD_VERSION
ARG BUILD_ARCH
LABEL io.hass.name="Fitbit Bridge" \
      io.hass.description="Your Fitbit data in Home Assistant: Google Health API sync and Takeout import, MQTT discovery, Prometheus remote write." \
      io.hass.version="${BUILD_VERSION}" \
      io.hass.type="addon" \
      io.hass.arch="${BUILD_ARCH}" \
      io.hass.url="https://github.com/fitbit-bridge/fitbit-bridge"
USER root
ENV SQLITE_TMPDIR=/data
EXPOSE 8099
# the configuration addon-run writes (HTTP on the ingress port 8099; 127.0.0.1 may ask it)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["fitbit-bridge", "healthcheck", "--config", "/data/fitbit-bridge.yaml"]
CMD ["addon-run"]

# ---- plain: the default image (docker build .) ----------------------------------------------------
FROM runtime AS plain
USER node
CMD ["run"]

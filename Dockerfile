# syntax=docker/dockerfile:1
# QBO Connect as a container. The same steps CI runs in test/ops/packed-install.sh (no container engine
# runs on our own machines, so this file itself is not built there): compile and pack the package, install
# the tarball with production dependencies only, start it from there, /readyz answers.
#
#   docker build -t qbo-connect .
#   docker run --env-file .env --stop-timeout 60 -p 3000:3000 -v qbo-data:/data qbo-connect    (.env: from .env.example)
#   (--stop-timeout: longer than QBO_CONNECT_SHUTDOWN_TIMEOUT, so a running sync closes its run; Docker waits 10 s by default)
ARG NODE_VERSION=22

# 1. Build: TypeScript to dist/, then `npm pack` (its prepack runs `npm run build`).
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Dev dependencies for the compiler; their install scripts (browsers, an embedded PostgreSQL, native
# modules) are not needed to compile.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md ./
COPY bin ./bin
COPY src ./src
COPY docs/practice-import.schema.json ./docs/
RUN mkdir -p /pkg && npm pack --pack-destination /pkg

# 2. Install the tarball with production dependencies only. better-sqlite3 is native: it is compiled
# here (python3, make and g++ are in this image) when no prebuilt binary can be fetched.
FROM node:${NODE_VERSION}-bookworm AS install
WORKDIR /app
RUN echo '{ "private": true, "allowScripts": { "better-sqlite3": true } }' > package.json
COPY --from=build /pkg/ /pkg/
RUN npm install --omit=dev --no-audit --no-fund /pkg/qbo-connect-*.tgz && rm -rf /root/.npm

# 3. Run: no compiler, no dev dependency, not root.
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    QBO_CONNECT_HOST=0.0.0.0 \
    QBO_CONNECT_PORT=3000 \
    QBO_CONNECT_DATA_DIR=/data
COPY --from=install /app /app
# The data folder (SQLite database, key file, emulator data) belongs to the unprivileged `node` user.
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME ["/data"]
USER node
WORKDIR /app
EXPOSE 3000
# /readyz: the database answers, migrations are current, not draining (any Host is answered there).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.QBO_CONNECT_PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs as PID 1 with no npm in between: `docker stop` sends SIGTERM to it, and `start` drains and exits.
ENTRYPOINT ["node", "/app/node_modules/qbo-connect/bin/qbo-connect.js"]
CMD ["start"]

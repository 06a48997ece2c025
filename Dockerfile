# syntax=docker/dockerfile:1
# One image for every ipt service (ingest, synth, assemble, tap, and the one-shot topic and schema
# jobs): `docker compose` picks the service with the command, e.g. `ipt synth`.
#
#   docker build -t ipt:local .
#   docker run --rm ipt:local --help
#
# The CLI is TypeScript run through tsx (a runtime dependency), so there is no compile stage: the
# build stage installs production dependencies and applies patches/ (patch-package; without the
# kafkajs patch exactly-once does not hold — ARCHITECTURE.md, "The kafkajs patch"); the final stage copies only the
# installed modules and the sources, and runs as the unprivileged `node` user (uid 1000).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# npm 11 may write a lock file without other platforms' optional binaries, which `npm ci` then
# refuses; `npm install` from the same lock gives the same tree (as .ci/run does).
RUN (npm ci --omit=dev --no-audit --no-fund || npm install --omit=dev --no-audit --no-fund --no-save) \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    IPT_LOG_LEVEL=info
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY core ./core
COPY lib ./lib
COPY services ./services
COPY stack ./stack
COPY schemas ./schemas
COPY demo/corpus ./demo/corpus
# /data: the services' named volume (files to ingest, exports), owned by the runtime user so a fresh
# volume inherits it; `ipt` on the PATH for `docker compose exec <service> ipt …`.
RUN ln -s /app/bin/ipt.js /usr/local/bin/ipt \
 && mkdir -p /data \
 && chown 1000:1000 /data
# uid/gid 1000 is the base image's unprivileged `node` user.
USER 1000:1000
VOLUME ["/data"]
# 18090/18091 ingest (POST /documents, ops), 9402 synth ops, 9403 assemble ops, 8090 tap
EXPOSE 18090 18091 9402 9403 8090
ENTRYPOINT ["ipt"]
CMD ["--help"]

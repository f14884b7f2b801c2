# The Flotilla daemon as a container image.
#
#   docker build -t flotilla .
#   docker run -d --name flotilla --init \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v flotilla-state:/var/lib/flotilla \
#     -v /etc/flotilla:/etc/flotilla:ro \
#     -e FLOTILLA_REPO=https://github.com/acme/fleet-config.git \
#     -e FLOTILLA_GIT_TOKEN_FILE=/etc/flotilla/git-token \
#     -p 127.0.0.1:9797:9797 flotilla
#
# Stages: `runtime` (the default, last) compiles from source in `build`. `prebuilt` takes
# an already built tree from the build context instead (app/: bin, dist/src, production
# node_modules, schemas, example-repo, package.json): CI builds on the machine and proves the
# image that way, because the npm registry cannot be reached from inside a build there.
# NODE_IMAGE is any image with Node.js 20+ at /usr/bin/node or on PATH; the runtime stages
# use no shell, so a minimal one (Node.js, its libraries, CA certificates) is enough.
ARG NODE_IMAGE=node:20-bookworm-slim

# What every runtime image is: settings and the health check, without the application.
FROM ${NODE_IMAGE} AS runtime-base
# A fixed, unprivileged user. Talking to the Docker socket needs the socket's group: add
# it at run time (--group-add, as above) rather than running as root.
ARG FLOTILLA_UID=10001
ENV NODE_ENV=production \
    FLOTILLA_LISTEN=0.0.0.0:9797 \
    FLOTILLA_STATE_DIR=/var/lib/flotilla \
    HOME=/var/lib/flotilla
COPY --chown=${FLOTILLA_UID}:${FLOTILLA_UID} deploy/image/state/ /var/lib/flotilla/
COPY deploy/image/healthcheck.mjs /app/healthcheck.mjs
# State (last good commit, quarantine, history, the Git cache) survives a new container.
VOLUME ["/var/lib/flotilla"]
WORKDIR /var/lib/flotilla
USER ${FLOTILLA_UID}:${FLOTILLA_UID}
EXPOSE 9797
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/flotilla.js", "run"]

# CI: the tree built on the machine.
FROM runtime-base AS prebuilt
COPY app/ /app/

# The usual path: install, compile, keep only production dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /out/dist \
 && cp -r dist/src /out/dist/src \
 && cp -r node_modules package.json /out/
COPY bin /out/bin
COPY schemas /out/schemas
COPY example-repo /out/example-repo
COPY ui /out/ui

FROM runtime-base AS runtime
COPY --from=build /out/ /app/

# The runbox service image: the API (default command) or a worker (node dist/worker.js).
# It holds neither Redis nor Docker nor the runtime images: workers reach the Docker engine
# of their host through its socket, and runtime images are built there (make images).
#
# NODE_IMAGE is any Debian-based image with Node.js 20+ and npm. The default comes from
# Docker Hub; on machines that reach no container registry, build one from the
# debootstrap base and this host's node instead (scripts/build-compose-images.sh) and pass it:
#   docker build --build-arg NODE_IMAGE=runbox/node:20 -t runbox/service .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The playground: its page and bundle (esbuild), its starter programs from the language suite.
COPY web ./web
COPY scripts/build-playground.ts ./scripts/
COPY test/fixtures/languages ./test/fixtures/languages
RUN npm run build

FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
WORKDIR /app
# package.json carries "type": "module", which Node needs to load dist/ as ES modules.
COPY package.json ./
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Inside a container the port is published by Docker, so listen on every interface.
ENV HOST=0.0.0.0 PORT=8080 WORKER_PORT=8081
# Not root. A worker needs the group of the host's Docker socket (docker-compose.yml: group_add).
# DATA_DIR (./data) is where a worker caches problems: the one folder the service writes.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
USER 1000:1000
EXPOSE 8080 8081
CMD ["node", "dist/server.js"]

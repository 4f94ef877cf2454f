# syntax=docker/dockerfile:1
# Bodycam Evidence: one image for both process roles.
#   docker build -t bodycam-evidence .
#   docker run ... bodycam-evidence                                  the API (default)
#   docker run ... bodycam-evidence node dist/src/main.js worker     a worker
# Settings are environment variables (see config/schema.ts); docker-compose.yml wires up a whole system.
# Code and CI run on Node 20; production images use the current LTS line, pinned by major version.
ARG NODE_IMAGE=node:26-slim

# ---- build: compile TypeScript, collect the files read at run time -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Besides dist/, the app reads some source files at run time by their source path (the SQL migrations in
# src/db/migrations, data files in config/): keep every non-TypeScript file of those folders, paths kept.
RUN npm run build && test -f dist/src/main.js
RUN mkdir -p /out \
 && for dir in config src workers storage; do \
      if [ -d "$dir" ]; then find "$dir" -type f ! -name '*.ts' -exec cp --parents {} /out/ \; ; fi; \
    done

# ---- production dependencies only -------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# ffmpeg/ffprobe probe and transcode footage; WenQuanYi Zen Hei is the font embedded in Chinese PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-wqy-zenhei \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data

WORKDIR /app
# Application files stay root-owned: the node user can read them, not change them.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /out/ ./

RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

USER node
EXPOSE 8080
# No curl in the slim image: Node's own fetch asks /healthz. The API answers it on PORT; a worker answers it on
# PORT too, or on METRICS_PORT when that is set (its only listener then): the check asks PORT and, when nothing
# listens there, METRICS_PORT. An answer other than 2xx (503: a dependency is down) is unhealthy at once.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const ports = [process.env.PORT || 8080, process.env.METRICS_PORT].filter(Boolean); const ask = (i) => i >= ports.length ? process.exit(1) : fetch('http://127.0.0.1:' + ports[i] + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => ask(i + 1)); ask(0);"]
CMD ["node", "dist/src/main.js", "api"]

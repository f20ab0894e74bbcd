# syntax=docker/dockerfile:1

# Base images are pinned by digest (node:22-trixie-slim, Node 22.23.2, 2026-09-19): a rebuild gets
# exactly what was tested. Update the digest deliberately, like any dependency.
ARG NODE_IMAGE=node:22-trixie-slim@sha256:c5849ff9c9ebcd66615412f0b548ca5b8ecaef84003dc9ac2e077ebe46aaa3f6

# --- build: compile TypeScript with the dev dependencies (and the optional ones: see @resvg below)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY libs ./libs
RUN npm run build

# --- runtime: production dependencies and the compiled app only, as a non-root user
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: no dev tools, and not the embedded MongoDB engine (optional; the
# image always uses MONGODB_URI). CI runs the same install and starts it: npm run smoke:production.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The /stats chart: resvg's binary for this platform (an optional dependency, like the engine
# left out above, so it comes from the build stage's full install) and a font for its text.
COPY --from=build /app/node_modules/@resvg ./node_modules/@resvg
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
  && rm -rf /var/lib/apt/lists/*
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]

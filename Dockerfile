# One image for all four services; docker-compose.yml picks the command of each.
#   docker build -t federated-analytics .
#   docker run -e DATABASE_URL=postgres://... -p 4001:4001 federated-analytics node dist/subgraphs/users/src/index.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json rover.yaml ./
COPY gateway gateway
COPY subgraphs subgraphs
COPY kit kit
COPY dev dev
COPY stack stack
COPY cli cli
# The services, the kit, the launcher and the tools: no tests, no benchmarks.
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json rover.yaml ./
COPY schema schema
# The offline GraphiQL's page and script, served as they are.
COPY gateway/src/explorer/*.html gateway/src/explorer/*.js gateway/src/explorer/
USER node
EXPOSE 4000 4001 4002 4003
CMD ["node", "dist/gateway/src/index.js"]

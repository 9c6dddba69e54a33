# mcp-proxy in a container: server mode for named servers, or client mode for a remote.
#   docker build -t rx-mcp-proxy .
#   docker run --rm -p 8080:8080 -e MCP_PROXY_API_KEY=secret rx-mcp-proxy --host 0.0.0.0 --port 8080 -- npx -y @modelcontextprotocol/server-everything
# The build stage compiles and packs the package; the runtime stage installs that tarball as a user would (runtime dependencies only), runs as the
# unprivileged `node` user, and starts under tini, which forwards SIGTERM and reaps the grandchildren a stdio server leaves (npx → node, uvx → python).

FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json readme.md ./
COPY scripts ./scripts
COPY source ./source
RUN npm ci --ignore-scripts --no-audit --no-fund \
	&& node scripts/build.js --force \
	&& npm pack --ignore-scripts --pack-destination /build/package

FROM node:20-bookworm-slim
RUN apt-get update \
	&& apt-get install --yes --no-install-recommends tini \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /build/package /tmp/package
RUN npm install --global --no-audit --no-fund /tmp/package/rx-mcp-proxy-*.tgz \
	&& rm -rf /tmp/package /root/.npm
ENV NODE_ENV=production
USER node
WORKDIR /home/node
EXPOSE 8080
# /status answers 200 while every server serves (503 when one has failed); the port is the one --port names, 8080 by convention here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
	CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MCP_PROXY_HEALTH_PORT ?? '8080') + '/status', {headers: {authorization: 'Bearer ' + (process.env.MCP_PROXY_API_KEY ?? '')}}).then(response => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--", "mcp-proxy"]
CMD ["--help"]

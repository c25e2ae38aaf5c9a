# Multi-stage build: the SPA with Node, the server with Rust, a slim Debian runtime.
FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY openapi.yaml ./
COPY web/package.json web/package-lock.json web/
RUN npm --prefix web ci --no-audit --no-fund
COPY web web
RUN npm --prefix web run build

FROM rust:1-bookworm AS server
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock clippy.toml ./
COPY api api
COPY migrations migrations
COPY tests tests
RUN cargo build --release -p leadgen-server

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 ca-certificates curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --uid 10001 leadgen
WORKDIR /app
COPY --from=server /src/target/release/leadgen /usr/local/bin/leadgen
COPY --from=web /src/web/dist /app/web/dist
ENV LEADGEN_BIND=0.0.0.0:8080 LEADGEN_WEB_DIR=/app/web/dist LEADGEN_DATA_DIR=/app/data
RUN mkdir -p /app/data && chown leadgen /app/data
USER leadgen
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["leadgen"]
CMD ["serve"]

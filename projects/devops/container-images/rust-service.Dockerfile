# syntax=docker/dockerfile:1.7
# One multi-stage build for every Rust service of the workspace; docker-bake.hcl sets PACKAGE
# (the Cargo package) and PORT per target. Build context: the repository root.
#
#   chef     cargo-chef computes the dependency recipe from the manifests only
#   builder  dependencies compiled first (cached layer, BuildKit cache mounts), then the service
#   runtime  distroless cc (glibc + CA certificates), no shell, non-root, read-only friendly

# Base images are pinned by digest (tag kept for readers); renew both with
#   docker buildx imagetools inspect rust:1.95-bookworm
#   docker buildx imagetools inspect gcr.io/distroless/cc-debian12:nonroot

FROM rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS chef
ARG CARGO_CHEF_VERSION=0.1.78
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    cargo install --locked cargo-chef --version "${CARGO_CHEF_VERSION}"
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
ARG PACKAGE
RUN test -n "${PACKAGE}" || (echo "build-arg PACKAGE (the Cargo package) is required" >&2; exit 1)
COPY --from=planner /src/recipe.json recipe.json
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    cargo chef cook --release --locked --recipe-path recipe.json -p "${PACKAGE}"
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    cargo build --release --locked -p "${PACKAGE}" \
    && install -D -m 0755 "target/release/${PACKAGE}" /out/service \
    && install -d -m 0755 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f AS runtime
ARG PACKAGE
ARG PORT=8000
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="${PACKAGE}" \
      org.opencontainers.image.description="Portfolio Platform service ${PACKAGE}" \
      org.opencontainers.image.source="https://github.com/portfolio-platform/portfolio" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Portfolio Platform" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"
WORKDIR /app
COPY --from=builder --chown=65532:65532 /out/data /data
COPY --from=builder /out/service /app/service
# The only writable path is the data volume; the root file system can be mounted read-only.
ENV PORTFOLIO_DATA_DIR=/data \
    PORTFOLIO_ENV=container \
    RUST_LOG=info
VOLUME ["/data"]
EXPOSE ${PORT}
USER 65532:65532
ENTRYPOINT ["/app/service"]

# The task API: HTTP on 8000, health probe through the binary itself (no shell, no curl).
FROM runtime AS task-api
COPY projects/backend/task-api/ops/feature-flags.toml /app/ops/feature-flags.toml
ENV TASK_API_ADDR=0.0.0.0:8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/app/service", "healthcheck"]

# The local Kafka-protocol broker: stateful (SQLite under /data); probed by Kubernetes or the
# supervisor over TCP, so the image has no HEALTHCHECK of its own.
FROM runtime AS kafka-broker
ENV KAFKA_BROKER_LISTEN=0.0.0.0:9092
HEALTHCHECK NONE

# The stream consumer: the lake under the data volume, health and metrics on 9201. Kubernetes
# probes /healthz and /readyz over HTTP; the binary has no probe subcommand, so no HEALTHCHECK.
FROM runtime AS kafka-data-consumer
ENV LAKE_URL=/data/lake \
    CONSUMER_LISTEN=0.0.0.0:9201
HEALTHCHECK NONE

# The scoring service: REST on 8002, gRPC on 50051; the probe asks the gRPC health service and
# /healthz through the binary itself. The aggregates' snapshot lives under the data volume.
FROM runtime AS scoring-service
ENV SCORING_ADDR=0.0.0.0:8002 \
    SCORING_GRPC_ADDR=0.0.0.0:50051
EXPOSE 50051
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/app/service", "healthcheck"]

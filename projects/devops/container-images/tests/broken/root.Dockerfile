# A deliberately broken copy: floating base image, a secret as a build argument, runs as root
# with a shell, no HEALTHCHECK decision. `make test` proves iac-checks (DF001-DF004, DF006,
# DF007) and checkov (CKV_DOCKER_3, CKV_DOCKER_7, CKV_DOCKER_2) reject it.
FROM rust:latest
ARG DATABASE_PASSWORD
WORKDIR /src
COPY . .
RUN cargo build --release -p task-api
ENTRYPOINT ["/src/target/release/task-api"]

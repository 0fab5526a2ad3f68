# Builds every Rust service image for amd64 and arm64:
#   docker buildx bake -f projects/devops/container-images/docker-bake.hcl            # all, local
#   REGISTRY=ghcr.io/acme VERSION=v2026.11.27 docker buildx bake -f ... --push         # release
# Every target of kind rust-service (not planned) in the catalog must appear here; a test checks.

variable "REGISTRY" {
  default = "localhost:5000/portfolio"
}

variable "VERSION" {
  default = "dev"
}

variable "REVISION" {
  default = "unknown"
}

variable "CREATED" {
  default = "1970-01-01T00:00:00Z"
}

group "default" {
  targets = ["task-api", "kafka-broker", "kafka-data-consumer", "scoring-service"]
}

target "_service" {
  context    = "."
  dockerfile = "projects/devops/container-images/rust-service.Dockerfile"
  platforms  = ["linux/amd64", "linux/arm64"]
  args = {
    VERSION  = VERSION
    REVISION = REVISION
    CREATED  = CREATED
  }
  cache-from = ["type=registry,ref=${REGISTRY}/cache:rust-services"]
  cache-to   = ["type=registry,ref=${REGISTRY}/cache:rust-services,mode=max"]
  attest = [
    "type=provenance,mode=max",
    "type=sbom",
  ]
}

target "task-api" {
  inherits = ["_service"]
  target   = "task-api"
  args = {
    PACKAGE = "task-api"
    PORT    = "8000"
  }
  tags = ["${REGISTRY}/task-api:${VERSION}"]
}

target "kafka-broker" {
  inherits = ["_service"]
  target   = "kafka-broker"
  args = {
    PACKAGE = "kafka-broker"
    PORT    = "9092"
  }
  tags = ["${REGISTRY}/kafka-broker:${VERSION}"]
}

target "kafka-data-consumer" {
  inherits = ["_service"]
  target   = "kafka-data-consumer"
  args = {
    PACKAGE = "kafka-data-consumer"
    PORT    = "9201"
  }
  tags = ["${REGISTRY}/kafka-data-consumer:${VERSION}"]
}

target "scoring-service" {
  inherits = ["_service"]
  target   = "scoring-service"
  args = {
    PACKAGE = "scoring-service"
    PORT    = "8002"
  }
  tags = ["${REGISTRY}/scoring-service:${VERSION}"]
}

# Thin wrappers over `portfolio` (platform/). Run `make help` for the list.
CARGO     ?= cargo
PORTFOLIO := $(CARGO) run -q --locked -p portfolio --
JOBS      ?= 2

.PHONY: help bootstrap up down status lint test unit validate bench clean

help: ## Show this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## Install what can be installed (apt, npm) and write env/local.example
	$(PORTFOLIO) bootstrap --install

up: bootstrap ## Install what is missing, then start every built service in the background (embedded defaults); `make down` stops them
	$(PORTFOLIO) up --detach

down: ## Stop everything `make up` started
	$(PORTFOLIO) down

status: ## Health table of the running services
	$(PORTFOLIO) status

lint: ## cargo fmt and clippy on the workspace, every project's lint task, CODEOWNERS drift, feature flags, plaintext secrets, DR matrix
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -q -- -D warnings
	$(CARGO) clippy --workspace --all-targets --all-features --locked -q -- -D warnings
	$(PORTFOLIO) lint -j $(JOBS)
	$(PORTFOLIO) codeowners --check
	$(PORTFOLIO) flags check
	$(PORTFOLIO) secrets check
	$(PORTFOLIO) dr matrix --check

unit: ## Unit, integration and doc tests of the workspace, with a throwaway PostgreSQL
	$(CARGO) test --workspace --locked --doc
	@if $(CARGO) nextest --version >/dev/null 2>&1; then run="nextest run"; else run="test"; fi; \
	set -e; \
	echo "$(CARGO) $$run -p telemetry --features otlp --locked"; $(CARGO) $$run -p telemetry --features otlp --locked; \
	echo "scripts/with-postgres.sh $(CARGO) $$run --workspace --locked"; scripts/with-postgres.sh $(CARGO) $$run --workspace --locked

validate: ## Catalog, lifecycle documents and links
	$(PORTFOLIO) validate

test: bootstrap lint validate ## Everything CI runs: tools, lint, validate, security stage, project tests, API fuzzing, unit tests
	@# bootstrap regenerates env/local.example; the committed copy must already match it.
	@if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- env/local.example; then \
	  echo "env/local.example is out of date: commit the file \`portfolio bootstrap\` wrote"; exit 1; fi
	$(PORTFOLIO) bootstrap --check
	@# The security stage (cargo-deny, SBOMs); evidence is for real pipeline runs, not this one.
	PORTFOLIO_EVIDENCE=0 $(PORTFOLIO) ci security
	scripts/with-postgres.sh $(PORTFOLIO) test -j $(JOBS)
	bash scripts/schemathesis.sh
	@# A real DR drill of the task API in a sandbox (drill.toml's ports); evidence is for real drills.
	PORTFOLIO_EVIDENCE=0 $(PORTFOLIO) dr drill --project backend/task-api --project data-streaming/kafka-data-consumer --project data-streaming/kafka-broker
	$(MAKE) --no-print-directory unit

bench: ## Performance figures of the platform (see README)
	bash bench/catalog.sh

clean: ## Remove build output and local state
	$(CARGO) clean
	rm -rf .portfolio

# Thin wrappers over `portfolio` (platform/). Run `make help` for the list.
CARGO     ?= cargo
PORTFOLIO := $(CARGO) run -q --locked -p portfolio --
JOBS      ?= 2
# One stage of `make test`, timed into target/portfolio/stages.json (`portfolio time report`).
STAGE     := $(PORTFOLIO) time run
# The build stage's binaries, used by the later stages instead of building their own copy.
BIN_DIR   := $(abspath $(or $(CARGO_TARGET_DIR),target))/debug

.PHONY: help bootstrap up down status lint test test-stages unit validate bench clean

help: ## Show this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## Install what can be installed (apt, npm) and write env/local.example
	$(PORTFOLIO) bootstrap --install

up: ## Install what running needs, build the services once (with progress), start them in the background; `make down` stops them
	$(PORTFOLIO) bootstrap --install --for up
	$(PORTFOLIO) up --detach

down: ## Stop everything `make up` started
	$(PORTFOLIO) down

status: ## Health table of the running services
	$(PORTFOLIO) status

lint: ## cargo fmt, clippy once over the workspace (per feature set), every project's lint task, CODEOWNERS drift, feature flags, plaintext secrets, DR matrix
	$(CARGO) fmt --all -- --check
	$(PORTFOLIO) lint -j $(JOBS)
	$(PORTFOLIO) codeowners --check
	$(PORTFOLIO) flags check
	$(PORTFOLIO) secrets check
	$(PORTFOLIO) dr matrix --check

unit: ## The workspace's tests once (nextest, with a throwaway PostgreSQL) and its doc tests
	scripts/with-postgres.sh $(PORTFOLIO) test -j $(JOBS)
	$(CARGO) test --workspace --locked --doc

validate: ## Catalog, lifecycle documents and links
	$(PORTFOLIO) validate

test: ## Everything CI runs, as timed stages: tools, lint, validate, security, build, tests, API fuzzing, DR drills, doc tests, stray processes; ends with the stage table
	@$(PORTFOLIO) time start
	@$(MAKE) --no-print-directory test-stages || { $(PORTFOLIO) time report; exit 1; }
	@$(PORTFOLIO) time report

test-stages:
	$(STAGE) bootstrap -- sh -c '$(PORTFOLIO) bootstrap --install && \
	  if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- env/local.example; then \
	    echo "env/local.example is out of date: commit the file \`portfolio bootstrap\` wrote"; exit 1; fi && \
	  $(PORTFOLIO) bootstrap --check'
	@bash scripts/strays.sh before
	$(STAGE) lint -- $(MAKE) --no-print-directory lint
	$(STAGE) validate -- $(PORTFOLIO) validate
	@# The security stage (cargo-deny, SBOMs); evidence is for real pipeline runs, not this one.
	$(STAGE) security -- env PORTFOLIO_EVIDENCE=0 $(PORTFOLIO) ci security
	@# Compiles every test binary once; the stages below reuse this build's binaries.
	$(STAGE) build -- $(CARGO) nextest run --locked --profile portfolio --workspace --no-run
	$(STAGE) test -- scripts/with-postgres.sh $(PORTFOLIO) test -j $(JOBS)
	$(STAGE) fuzzing -- env PORTFOLIO_BIN_DIR=$(BIN_DIR) bash scripts/schemathesis.sh
	@# Real DR drills in a sandbox (drill.toml's ports); evidence is for real drills.
	$(STAGE) drills -- env PORTFOLIO_EVIDENCE=0 PORTFOLIO_BIN_DIR=$(BIN_DIR) $(PORTFOLIO) dr drill --project backend/task-api --project data-streaming/kafka-data-consumer --project data-streaming/kafka-broker
	$(STAGE) doctests -- $(CARGO) test --workspace --locked --doc
	$(STAGE) processes -- bash scripts/strays.sh after

bench: ## Performance figures of the platform (see README)
	bash bench/catalog.sh

clean: ## Remove build output and local state
	$(CARGO) clean
	rm -rf .portfolio

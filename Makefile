# runbox: `make up` serves on PORT (default 8080); `make test` runs the whole suite.
# Both set up whatever is missing first (Docker Engine, redis-server, npm packages, the
# TypeScript build, runtime images) and take seconds when everything is in place.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup engine userns-engine test-tools deps build images up test test-unit test-integration test-faults test-compose bench clean

help:
	@echo "make up      set up what is missing, then serve API + worker on PORT (default 8080)"
	@echo "make test    set up what is missing, then run the whole test suite"
	@echo "make images  build the runtime images (skips those already built from the same sources)"

engine:
	@scripts/ensure-docker.sh
	@scripts/ensure-redis.sh

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

build: deps
	@npm run --silent build

images: engine
	@scripts/build-images.sh

setup: engine deps build images

# A second engine with userns-remap beside the main one, with the bash image, for the
# root-inside tests (test/integration/root-inside.docker.test.ts).
userns-engine: images
	@scripts/ensure-docker-userns.sh

# What the test suites need besides the service: chromium (the playground's browser test)
# and redis-sentinel (the Sentinel failover test).
test-tools:
	@scripts/ensure-test-tools.sh

up: setup
	node dist/main.js

# The linters (types of src, test and scripts; ESLint; Prettier), unit and integration
# tests, then the fault scenarios on real processes (test/faults, run
# apart and one at a time; RUNBOX_FAULTS_DOCKER=1 lets one of them restart the Docker daemon).
test: setup userns-engine test-tools
	npm run lint
	npx tap; status=$$?; RUNBOX_FAULTS_DOCKER=1 npm run test:faults && exit $$status

test-unit: deps
	npm run test:unit

test-integration: setup userns-engine test-tools
	npx tap test/integration

test-faults: setup
	npm run test:faults

# docker-compose.yml end to end on this machine (scripts/test-compose.sh): images built
# without a registry, redis + api + 2 workers, a run, scaled to 3, torn down. Not in `test`.
test-compose: setup test-tools
	npm run test:compose

bench: setup
	npm run bench

clean:
	rm -rf dist .tap

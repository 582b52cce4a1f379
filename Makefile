# runbox: `make up` serves on PORT (default 8080); `make test` runs the whole suite.
# Both set up whatever is missing first (Docker Engine, redis-server, npm packages, the
# TypeScript build, runtime images) and take seconds when everything is in place.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup setup-core engine userns-engine deps build images first-images test-tools up test test-unit test-integration test-faults test-compose bench clean

# The runtimes `make up` builds before it serves; the others are built by the service in the
# background (IMAGES_BUILD_MISSING), each answering 503 runtime_not_ready until it is ready.
FIRST_LANGUAGES ?= python javascript c cpp bash

help:
	@echo "make up      set up what is missing, then serve API + worker on PORT (default 8080)"
	@echo "make test    set up what is missing, then run the whole test suite"
	@echo "make images  build all runtime images (skips those already built from the same sources)"

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

# The first runtimes only: `make up` serves once they are built.
first-images: engine
	@scripts/build-images.sh $(FIRST_LANGUAGES)

setup-core: engine deps build

setup: setup-core images

# A second engine with userns-remap beside the main one, with the bash image, for the
# root-inside tests (test/integration/root-inside.docker.test.ts).
userns-engine: images
	@scripts/ensure-docker-userns.sh

# What the test suites need besides the service: chromium (the playground's browser test),
# redis-sentinel (the Sentinel failover test) and docker-compose (npm run test:compose).
test-tools:
	@scripts/ensure-test-tools.sh

# Serves as soon as FIRST_LANGUAGES are built; the worker builds the rest in the background,
# one at a time, with its progress in the log and on GET /runtimes.
up: setup-core first-images
	IMAGES_BUILD_MISSING=$${IMAGES_BUILD_MISSING:-true} node dist/main.js

# The linters (types of src, test and scripts; ESLint; Prettier), unit and integration
# tests, docker-compose.yml end to end (test-compose below, about a minute with its images
# built), then the fault scenarios on real processes (test/faults, run apart and one at a
# time; RUNBOX_FAULTS_DOCKER=1 lets one of them restart the Docker daemon). Each part runs
# even when one before it failed; make test fails when any did.
test: setup userns-engine test-tools
	npm run lint
	npx tap; status=$$?; npm run test:compose || status=1; RUNBOX_FAULTS_DOCKER=1 npm run test:faults && exit $$status

test-unit: deps
	npm run test:unit

test-integration: setup userns-engine test-tools
	npx tap test/integration

test-faults: setup
	npm run test:faults

# docker-compose.yml end to end on this machine (scripts/test-compose.sh): images built
# without a registry, redis + api + 2 workers, a run, scaled to 3, torn down. Part of `test`.
test-compose: setup test-tools
	npm run test:compose

bench: setup
	npm run bench

clean:
	rm -rf dist .tap

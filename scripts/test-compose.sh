#!/usr/bin/env bash
# npm run test:compose: docker-compose.yml on this machine, end to end. Builds the images
# (scripts/build-compose-images.sh where no registry is reachable), starts Redis, the API and
# two workers, runs a program through the API, scales the workers to three, runs a few more,
# and tears everything down (containers, network, volume). Prints how long each step took.
# Needs Debian's docker-compose (1.29) or `docker compose`, the runtime images (make images),
# and the Docker engine the workers use through its socket. Sends traffic to loopback only.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if command -v docker-compose >/dev/null; then compose=(docker-compose); else compose=(docker compose); fi
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-runbox-compose-test}
export SERVICE_IMAGE=${SERVICE_IMAGE:-$COMPOSE_PROJECT_NAME/service:latest}
export NODE_IMAGE=${NODE_IMAGE:-runbox/node:20} REDIS_IMAGE=${REDIS_IMAGE:-runbox/redis:7}
export DOCKER_GID RUNBOX_PORT RUNBOX_BIND=127.0.0.1 API_KEYS WORKER_CONCURRENCY=2
DOCKER_GID=$(stat -c %g /var/run/docker.sock)
RUNBOX_PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
key="rbx_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
API_KEYS="compose-test:runs+read+admin:$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
url="http://127.0.0.1:$RUNBOX_PORT"

started=$(date +%s)
step_started=$started
step() {
  local now
  now=$(date +%s)
  log "$1 ($((now - step_started)) s)"
  step_started=$now
}
fail() {
  log "FAILED: $*"
  "${compose[@]}" ps >&2 || true
  "${compose[@]}" logs --tail=30 >&2 || true
  # Engines that keep no container logs (deploy/docker/daemon.json) still keep the health checks' output.
  # shellcheck disable=SC2046
  docker inspect -f '{{.Name}}: {{range .State.Health.Log}}{{.Output}} {{end}}' $("${compose[@]}" ps -q) >&2 || true
  exit 1
}
teardown() {
  "${compose[@]}" down --volumes --remove-orphans --timeout 20 >/dev/null 2>&1 || true
}
trap teardown EXIT

api() { curl -sS --max-time 60 -H "authorization: Bearer $key" -H 'content-type: application/json' "$@"; }
# workers_healthy N: whether N worker containers run and Docker's health check calls each healthy.
workers_healthy() {
  local ids
  ids=$("${compose[@]}" ps -q worker)
  [ "$(printf '%s\n' "$ids" | grep -c .)" = "$1" ] || return 1
  # shellcheck disable=SC2086
  [ "$(docker inspect -f '{{.State.Health.Status}}' $ids | grep -c '^healthy$')" = "$1" ]
}
wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq 1 "$seconds"); do "$@" && return 0; sleep 1; done
  fail "$what within $seconds s"
}
# run_ok NAME: a bash program through POST /runs?wait=true answers completed, ok, its output.
run_ok() {
  local body
  body=$(api -X POST "$url/runs?wait=true" -d "{\"language\":\"bash\",\"source\":\"echo hello from $1\"}") || fail "POST /runs ($1)"
  printf '%s' "$body" | node -e "
    const run = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    if (run.status !== 'completed' || run.verdict !== 'ok' || run.stdout !== 'hello from $1\n') {
      console.error('unexpected run: ' + JSON.stringify(run)); process.exit(1);
    }" || fail "run $1"
}

teardown
scripts/build-compose-images.sh
step "images $NODE_IMAGE and $REDIS_IMAGE ready"
# The service image the last run built is removed once this build has replaced it (the
# build's stages stay: they are its cache, and differ from one build to the next only by
# the sources and their output).
previous=$(docker image inspect -f '{{.Id}}' "$SERVICE_IMAGE" 2>/dev/null || true)
"${compose[@]}" build --force-rm >/dev/null
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$SERVICE_IMAGE")" ]; then
  docker rmi "$previous" >/dev/null 2>&1 || true
fi
step "service image $SERVICE_IMAGE built"
"${compose[@]}" up -d --scale worker=2 >/dev/null 2>&1 || fail "compose up"
wait_for 'the API ready' 90 curl -sf "$url/readyz" -o /dev/null
wait_for 'two healthy workers' 120 workers_healthy 2
step "redis, api and 2 workers up on $url"

run_ok one
"${compose[@]}" exec -T worker sh -c 'test -w "$PWD/data"' || fail "the worker may write its DATA_DIR (the problem cache)"
step "a run went through the API, the queue and a worker's sandbox"
[ "$(api "$url/runtimes" | node -e "console.log(JSON.parse(require('fs').readFileSync(0,'utf8')).length)")" -gt 0 ] || fail "GET /runtimes"
page=$(curl -sf "$url/") && [[ $page == *'<title>'* ]] || fail "the playground page"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/runs" -H 'content-type: application/json' -d '{}')" = 401 ] ||
  fail "a request without a key is refused"

"${compose[@]}" up -d --no-recreate --scale worker=3 >/dev/null 2>&1 || fail "compose up --scale worker=3"
wait_for 'three healthy workers' 120 workers_healthy 3
step "scaled to 3 workers"
pids=()
for i in 1 2 3 4 5 6; do
  run_ok "batch-$i" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "a run after scaling"; done
step "6 runs at once with 3 workers"

teardown
[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ] || fail "containers left behind"
step "torn down"
log "compose test passed in $(($(date +%s) - started)) s"

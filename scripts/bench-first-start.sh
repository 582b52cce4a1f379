#!/usr/bin/env bash
# Measures a first start: the time from `make up` to the README's first curl answering, with
# the first runtimes' images (FIRST_LANGUAGES) missing and built without Docker's cache (their
# Debian packages downloaded and installed, as on a fresh machine). It never touches the images
# other work uses: it works under an image prefix of its own, where the other runtimes' images
# are tags of the existing ones (so only the first ones are missing), and it removes every
# image under that prefix when done. The base and runner images must exist (make images once);
# npm packages are taken as installed. `npm run bench:first-start`, or with
# FIRST_LANGUAGES="python bash" and PORT=... in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

port=${PORT:-18090}
prefix="runbox-bench-first-start-$$/"
first=${FIRST_LANGUAGES:-python javascript c cpp bash}
data=$(mktemp -d)
log_file=$data/up.log
server=

cleanup() {
  [ -n "$server" ] && kill -- -"$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$prefix" | xargs -r docker rmi >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

for d in deploy/runtimes/*/; do
  lang=$(basename "$d")
  [ "$lang" = runner ] && continue
  case " $first " in *" $lang "*) continue ;; esac
  docker tag "runbox/$lang:latest" "$prefix$lang:latest"
done
touch node_modules/.installed

started=$(date +%s.%N)
# Its own process group, so that it and the service it starts stop together.
setsid env RUNTIME_IMAGE_PREFIX="$prefix" RUNBOX_BUILD_NO_CACHE=1 FIRST_LANGUAGES="$first" PORT="$port" DATA_DIR="$data" \
  make up >"$log_file" 2>&1 &
server=$!
answered=
listening=
since() { awk "BEGIN { printf \"%.0f\", $1 - $started }"; }
while [ -z "$answered" ]; do
  if ! kill -0 "$server" 2>/dev/null; then tail -n 30 "$log_file"; log "make up ended before it answered"; exit 1; fi
  if [ -z "$listening" ] && grep -q 'Server listening at' "$log_file"; then listening=$(date +%s.%N); fi
  reply=$(curl -s "localhost:$port/runs?wait=true" -H 'content-type: application/json' \
    -d '{"language":"python","source":"print(\"hello\")"}' 2>/dev/null || true)
  case $reply in *'"stdout":"hello\n"'*) answered=$(date +%s.%N) ;; *) sleep 0.5 ;; esac
done
grep -E '\[runbox-setup\] \[[0-9]+/[0-9]+\] (built|FAILED)' "$log_file" | sed 's/^/  /'
echo "first start ($first built without cache): listening after $(since "${listening:-$answered}") s, the README curl answered after $(since "$answered") s"

# Shared helpers for the setup scripts: logging and idempotent apt installs.
log() { printf '[runbox-setup] %s\n' "$*" >&2; }

apt_updated=0
# apt_install PKG...: installs the Debian packages that are missing, updating the index once.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "need root to install: ${missing[*]}"; return 1; fi
  if [ $apt_updated = 0 ]; then apt-get update -qq >&2; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# engine_answers SOCK: whether a Docker Engine answers on that socket.
engine_answers() { curl -sf --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1; }

# start_dockerd SOCK PIDFILE LOGFILE [DOCKERD FLAG...]: starts a dockerd in the background
# unless the one its pid file names is alive (a pid file left by a dockerd killed with its
# session is cleared), then waits up to 60 s for SOCK to answer.
start_dockerd() {
  local sock=$1 pidfile=$2 logfile=$3
  shift 3
  engine_answers "$sock" && return 0
  # Alive means that pid is a dockerd: a pid file that outlived its dockerd (and a reboot)
  # may name some other process by now.
  if [ "$(cat "/proc/$(cat "$pidfile" 2>/dev/null)/comm" 2>/dev/null)" != dockerd ]; then
    rm -f "$pidfile"
    log "starting dockerd on $sock"
    mkdir -p "$(dirname "$logfile")"
    nohup dockerd --pidfile "$pidfile" "$@" >>"$logfile" 2>&1 &
  fi
  for _ in $(seq 1 120); do engine_answers "$sock" && return 0; sleep 0.5; done
  log "dockerd did not answer on $sock within 60 s; see $logfile"
  tail -n 20 "$logfile" >&2 || true
  return 1
}

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

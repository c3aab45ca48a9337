#!/usr/bin/env bash
# Install the Debian packages Filmportalen needs, only those whose command is missing.
# Usage: scripts/sysdeps.sh run|test|multihost
set -euo pipefail

want=(ffmpeg:ffmpeg ffprobe:ffmpeg redis-server:redis-server redis-cli:redis-server)
if [ "${1:-run}" = test ]; then
  # espeak-ng: Swedish speech for the speech lane's tests; node runs the JavaScript unit tests
  # (node --test tests/js/*.test.mjs): its test runner, no npm
  want+=(chromium:chromium espeak-ng:espeak-ng node:nodejs)
fi
if [ "${1:-run}" = multihost ]; then
  # bench/multihost.py: network namespaces, a host name per host, its own PostgreSQL server.
  want+=(ip:iproute2 unshare:util-linux setpriv:util-linux)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || want+=(__postgresql:postgresql)
fi
python3 -c 'import ensurepip, venv' 2>/dev/null || want+=(__python3-venv:python3-venv)
# The PDF export writes Swedish letters with DejaVu Sans (portal/services/export.py).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want+=(__fonts-dejavu-core:fonts-dejavu-core)

missing=()
for pair in "${want[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  if ! command -v "$cmd" >/dev/null 2>&1; then
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

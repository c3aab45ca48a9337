#!/usr/bin/env bash
# `make run`: migrations, first admin, Redis (unless REDIS_URL is set), two RQ workers and
# gunicorn, all stopped together by Ctrl-C. Data stays under instance/ between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PORTAL_ENV=${PORTAL_ENV:-development}
export FLASK_APP=app
PORT=${PORT:-5000}
# Links in mails and signed storage URLs use this address, and requests naming another host are
# refused (TRUSTED_HOSTS); set PUBLIC_URL when people reach this machine under another name.
export PUBLIC_URL=${PUBLIC_URL:-http://127.0.0.1:$PORT}
INSTANCE="$PWD/instance"
mkdir -p "$INSTANCE/redis" "$INSTANCE/storage"

pids=()
redis_pid=""
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "Stopping Filmportalen..."
  # Web and worker first (the worker finishes or requeues its job), Redis last, so nothing
  # loses its connection while it shuts down.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  echo "Stopped. Your data is kept under instance/."
}
trap stop_all INT TERM EXIT

if [ -z "${REDIS_URL:-}" ]; then
  # Our own Redis on a socket under instance/: no port clash, jobs kept in an append-only file.
  socket="$INSTANCE/redis/redis.sock"
  export REDIS_URL="unix://$socket"
  if ! redis-cli -s "$socket" ping >/dev/null 2>&1; then
    redis-server --port 0 --unixsocket "$socket" --unixsocketperm 700 \
      --dir "$INSTANCE/redis" --appendonly yes --save "" \
      --logfile "$INSTANCE/redis/redis.log" &
    redis_pid=$!
    for _ in $(seq 50); do redis-cli -s "$socket" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -s "$socket" ping >/dev/null || { echo "Redis did not start; see instance/redis/redis.log" >&2; exit 1; }
  fi
fi

"$BIN/flask" portal bootstrap

# Two workers: one takes encodes first (and quick jobs when idle), the other only quick jobs
# (probing an upload, pictures, mail), so a wrong file is rejected within seconds even while a
# two-hour session encodes.
"$BIN/flask" portal worker --queue heavy --queue light &
pids+=($!)
"$BIN/flask" portal worker --queue light &
pids+=($!)

"$BIN/gunicorn" -c config/gunicorn.conf.py --bind "127.0.0.1:$PORT" --workers 2 --threads 4 --access-logfile - app:app &
pids+=($!)

for _ in $(seq 100); do
  "$BIN/python" -c "import urllib.parse as p, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:$PORT/healthz', headers={'Host': p.urlsplit('$PUBLIC_URL').netloc}), timeout=1)" \
    >/dev/null 2>&1 && break
  sleep 0.2
done
cat <<MSG

  Filmportalen is running: $PUBLIC_URL/login
  Log in as ${PORTAL_ADMIN_EMAIL:-admin@example.org} (the password was printed above on the
  first run, or is PORTAL_ADMIN_PASSWORD). Mails are written to this log. Ctrl-C stops it all.

MSG
# Stop everything as soon as one process ends, so a crash is never silent.
wait -n "${pids[@]}" ${redis_pid:+"$redis_pid"} || true

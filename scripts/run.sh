#!/usr/bin/env bash
# `make run`: the whole system on its embedded defaults (SQLite, the bundled X
# emulator, no credentials). Ctrl-C stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."

WEB_PORT=${WEB_PORT:-8000}
XSANDBOX_PORT=${XSANDBOX_PORT:-8765}
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-twitterpub.settings.local}
# The demo always talks to the emulator: no real post can leave this machine.
export X_API_BASE_URL="http://127.0.0.1:${XSANDBOX_PORT}"
mkdir -p data

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$PY scripts/ensure_env.py
$PY manage.py migrate --noinput -v 0
$PY manage.py collectstatic --noinput -v 0
$PY manage.py ensure_admin

# wait_for URL NAME: poll URL for up to 20 s; stop the script if it never answers.
wait_for() {
  $PY - "$1" "$2" <<'PYEOF'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit(f"the {sys.argv[2]} did not start")
PYEOF
}

$PY manage.py xsandbox --port "$XSANDBOX_PORT" --state data/xsandbox.sqlite3 &
pids+=($!)
# Wait for the emulator (the demo account is verified against it next).
wait_for "$X_API_BASE_URL/_sandbox/health" "X emulator"

DEMO_ARGS=()
if [[ "${DEMO_REVIEW:-}" == 1 ]]; then
  # Review before posting, rehearsed: the bundled Gemini emulator rewrites the demo
  # videos' posts in en, cn and ja, and they wait for approval (docs/gemini.md).
  GEMINI_PORT=${GEMINI_PORT:-8766}
  export GEMINI_API_BASE_URL="http://127.0.0.1:${GEMINI_PORT}" GEMINI_API_KEY=test-gemini-key
  $PY manage.py geminisandbox --port "$GEMINI_PORT" --api-key "$GEMINI_API_KEY" &
  pids+=($!)
  wait_for "$GEMINI_API_BASE_URL/_gemini/config" "Gemini emulator"
  DEMO_ARGS=(--review)
fi

$PY manage.py demo "${DEMO_ARGS[@]}"
.venv/bin/gunicorn twitterpub.wsgi:application --bind "127.0.0.1:${WEB_PORT}" \
  --workers 2 --access-logfile - --log-level warning &
pids+=($!)
$PY manage.py qcluster &
pids+=($!)

echo
echo "twitterpub is running:"
echo "  admin:       http://127.0.0.1:${WEB_PORT}/admin/"
echo "  health:      http://127.0.0.1:${WEB_PORT}/health/ready  (Prometheus: /metrics)"
echo "  X emulator:  ${X_API_BASE_URL}  (posts: ${X_API_BASE_URL}/_sandbox/posts)"
echo "  Posts go out about one a minute; watch Publishing tasks in the admin. Ctrl-C stops."
wait -n "${pids[@]}"

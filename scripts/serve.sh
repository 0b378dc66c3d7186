#!/usr/bin/env bash
# Serve mesoclinic: the task worker (reminders, check-ins, photo analysis) and gunicorn.
# Both stop together.
set -euo pipefail
bin=${BIN:-.venv/bin}
port=${PORT:-8000}
workers=${WORKERS:-3}
"$bin/python" manage.py db_worker --interval 2 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
MESOCLINIC_WARM_GAZETTEER=1 "$bin/gunicorn" mesoclinic.wsgi:application --bind "127.0.0.1:$port" --workers "$workers" \
  --access-logfile - --graceful-timeout 10

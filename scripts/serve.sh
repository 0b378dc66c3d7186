#!/usr/bin/env bash
# Serve mesoclinic: the task worker (reminders, check-ins, photo analysis), the audit
# sealer and gunicorn. They stop together.
set -euo pipefail
bin=${BIN:-.venv/bin}
port=${PORT:-8000}
workers=${WORKERS:-3}
"$bin/python" manage.py db_worker --interval 2 &
worker=$!
# The one sealer of the audit chains: requests then never wait for it, and seal only if
# it has stopped (once a minute a process).
"$bin/python" manage.py audit_sealer &
sealer=$!
trap 'kill "$worker" "$sealer" 2>/dev/null || true' EXIT INT TERM
AUDIT_SEAL_EVERY_SECONDS=${AUDIT_SEAL_EVERY_SECONDS:-60} MESOCLINIC_WARM_GAZETTEER=1 "$bin/gunicorn" mesoclinic.wsgi:application --bind "127.0.0.1:$port" --workers "$workers" \
  --access-logfile - --graceful-timeout 10

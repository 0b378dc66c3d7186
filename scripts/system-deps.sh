#!/usr/bin/env bash
# Install the Debian packages mesoclinic needs, only those that are missing.
#   scripts/system-deps.sh runtime   Pango and fonts, for WeasyPrint's PDFs, and gettext (make run)
#   scripts/system-deps.sh test      the above, plus chromium and postgresql (make test)
#   scripts/system-deps.sh bench     the above, plus wrk, the load client (make bench)
set -euo pipefail
mode=${1:-test}
missing=()
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
has_lib "libpango-1.0.so" || missing+=(libpango-1.0-0)
has_lib "libpangoft2-1.0.so" || missing+=(libpangoft2-1.0-0)
has_lib "libharfbuzz-subset.so" || missing+=(libharfbuzz-subset0)
{ command -v fc-list >/dev/null && fc-list | grep -qi dejavu; } || missing+=(fonts-dejavu-core fontconfig)
command -v msgfmt >/dev/null || missing+=(gettext)  # compiles the French messages
if [ "$mode" = "test" ] || [ "$mode" = "bench" ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  { [ -n "$pg_bin" ] && [ -x "$pg_bin/postgres" ]; } || missing+=(postgresql)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
fi
if [ "$mode" = "bench" ]; then
  command -v wrk >/dev/null || missing+=(wrk)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing ${missing[*]} with apt-get"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

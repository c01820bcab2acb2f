#!/usr/bin/env bash
# Serves the product as production does and checks it over HTTP (CI calls this from .ci/run).
#
# gunicorn with deploy/gunicorn.conf.py, DJANGO_DEBUG off, a throwaway SECRET_KEY and field keys,
# every HTTPS default on, against $DATABASE_URL (CI: PostgreSQL; unset: a throwaway SQLite file), after
# `migrate` and `collectstatic` into a temporary STATIC_ROOT. Requests are sent as nginx sends them
# (Host, X-Forwarded-Proto: https from 127.0.0.1). Checked:
#   /health/            200, JSON with "ok" for database and storage (and broker when
#                       CELERY_BROKER_URL is set), even probed by address over plain HTTP
#   /accounts/login/    200 through "nginx" with HSTS, a Secure cookie and the Content-Security-
#                       Policy; 301 to https without the proxy's header or from an address that
#                       is not the proxy's; 400 for a Host that ALLOWED_HOSTS does not list
#   static files        the admin's stylesheet under its hashed name, cacheable for a year, gzipped
# Exits non-zero with a message naming the failed check; gunicorn is stopped in every case.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
GUNICORN=${GUNICORN:-.venv/bin/gunicorn}
HOST=assessment.example.gov.cn

work=$(mktemp -d -t check-serving.XXXXXX)
gunicorn_pid=""
failures=0

stop_gunicorn() {
  if [ -n "$gunicorn_pid" ] && kill -0 "$gunicorn_pid" 2>/dev/null; then
    kill -TERM "$gunicorn_pid"
    for _ in $(seq 1 30); do kill -0 "$gunicorn_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$gunicorn_pid" 2>/dev/null && kill -KILL "$gunicorn_pid"
    wait "$gunicorn_pid" 2>/dev/null || true
  fi
  gunicorn_pid=""
}
cleanup() {
  stop_gunicorn
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAILED: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

# Production as a bureau runs it: only what must be set, and no HTTPS default switched off by
# whatever the calling shell exports.
unset SECURE_COOKIES SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS SECURE_HSTS_INCLUDE_SUBDOMAINS \
  SECURE_HSTS_PRELOAD BEHIND_TLS_PROXY CSRF_TRUSTED_ORIGINS
export DJANGO_DEBUG=false
SECRET_KEY="check-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
# Throwaway keys for the encrypted ID numbers, phones and accounts (a server refuses to start without).
FIELD_ENCRYPTION_KEYS="check:$("$PY" -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')"
FIELD_HASH_KEY=$("$PY" -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')
export FIELD_ENCRYPTION_KEYS FIELD_HASH_KEY
export ALLOWED_HOSTS=$HOST
export DATABASE_URL=${DATABASE_URL:-sqlite:///$work/db.sqlite3}
export STATIC_ROOT=$work/static MEDIA_ROOT=$work/media
export GUNICORN_BIND=127.0.0.1:$port GUNICORN_WORKERS=2 GUNICORN_THREADS=2
export PYTHONUNBUFFERED=1

echo "== serving check: gunicorn on $base, database ${DATABASE_URL%%://*}"
if ! "$PY" manage.py migrate --noinput -v 0 >"$work/migrate.log" 2>&1; then
  echo "FAILED: manage.py migrate" >&2; tail -n 30 "$work/migrate.log" >&2; exit 1
fi
if ! "$PY" manage.py collectstatic --noinput -v 0 >"$work/collectstatic.log" 2>&1; then
  echo "FAILED: manage.py collectstatic" >&2; tail -n 30 "$work/collectstatic.log" >&2; exit 1
fi

"$GUNICORN" -c deploy/gunicorn.conf.py config.wsgi >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!

ready=""
for _ in $(seq 1 60); do
  if ! kill -0 "$gunicorn_pid" 2>/dev/null; then break; fi
  if curl -s -o /dev/null --max-time 2 "$base/health/"; then ready=yes; break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "FAILED: gunicorn did not answer on $base within 30 s; its log:" >&2
  tail -n 40 "$work/gunicorn.log" >&2
  exit 1
fi

# fetch NAME [curl options] URL: the status in $work/NAME.status, headers and body beside it.
fetch() {
  local name=$1; shift
  curl -s --max-time 20 -o "$work/$name.body" -D "$work/$name.headers" -w '%{http_code}' "$@" \
    >"$work/$name.status" || echo 000 >"$work/$name.status"
}
status() { cat "$work/$1.status"; }
header() { grep -i "^$2:" "$work/$1.headers" | head -n1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

# /health/: as a load balancer probes it, by address over plain HTTP.
fetch health -H "Host: 10.0.0.5" "$base/health/"
if [ "$(status health)" != 200 ]; then
  fail "/health/ answered $(status health), not 200: $(head -c 300 "$work/health.body")"
elif ! "$PY" - "$work/health.body" <<'EOF'
import json, os, sys
checks = json.load(open(sys.argv[1]))["checks"]
wanted = {"database": "ok", "storage": "ok"}
wanted["broker"] = "ok" if os.environ.get("CELERY_BROKER_URL") else "not configured"
sys.exit(0 if all(checks.get(k) == v for k, v in wanted.items()) else 1)
EOF
then
  fail "/health/ JSON is not ok for database, storage and broker: $(cat "$work/health.body")"
elif ! header health Cache-Control | grep -q no-store; then
  fail "/health/ may be cached: Cache-Control is '$(header health Cache-Control)'"
else
  pass "/health/ 200 $(cat "$work/health.body")"
fi

# The login page as nginx forwards an HTTPS request.
fetch login -H "Host: $HOST" -H "X-Forwarded-Proto: https" -H "X-Forwarded-For: 203.0.113.7" "$base/accounts/login/"
if [ "$(status login)" != 200 ]; then
  fail "/accounts/login/ through the proxy answered $(status login), not 200 (Location: $(header login Location))"
elif ! grep -q 'name="username"' "$work/login.body"; then
  fail "/accounts/login/ has no login form"
elif ! header login Strict-Transport-Security | grep -q "max-age=31536000; includeSubDomains; preload"; then
  fail "/accounts/login/ over HTTPS lacks HSTS for a year: '$(header login Strict-Transport-Security)'"
elif ! grep -i "^set-cookie: csrftoken=" "$work/login.headers" | grep -qi "; secure"; then
  fail "/accounts/login/ sets its CSRF cookie without Secure"
elif ! header login Content-Security-Policy | grep -q "script-src 'self';"; then
  fail "/accounts/login/ lacks the Content-Security-Policy: '$(header login Content-Security-Policy)'"
else
  pass "/accounts/login/ 200 through the proxy, with HSTS, a Secure cookie and the Content-Security-Policy"
fi

# The same page over plain HTTP is redirected to HTTPS (and does not loop above).
fetch plain -H "Host: $HOST" "$base/accounts/login/"
if [ "$(status plain)" != 301 ] || [ "$(header plain Location)" != "https://$HOST/accounts/login/" ]; then
  fail "plain HTTP /accounts/login/ answered $(status plain) to '$(header plain Location)', not 301 to https://$HOST/accounts/login/"
else
  pass "plain HTTP is redirected to https://$HOST/accounts/login/"
fi

# Someone who is not nginx cannot claim HTTPS: from 127.0.0.2 (not in FORWARDED_ALLOW_IPS) the
# header is ignored and the request is redirected like any plain one.
fetch spoof --interface 127.0.0.2 -H "Host: $HOST" -H "X-Forwarded-Proto: https" "$base/accounts/login/"
if [ "$(status spoof)" != 301 ]; then
  fail "X-Forwarded-Proto from 127.0.0.2 (not the proxy) was believed: $(status spoof), not 301"
else
  pass "X-Forwarded-Proto is believed from the proxy's address only"
fi

# A Host nobody listed is refused.
fetch badhost -H "Host: evil.example.com" -H "X-Forwarded-Proto: https" "$base/accounts/login/"
if [ "$(status badhost)" != 400 ]; then
  fail "a Host ALLOWED_HOSTS does not list answered $(status badhost), not 400"
else
  pass "an unlisted Host is refused (400)"
fi

# A static file under the name collectstatic gave it, as the pages link it.
css=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["paths"]["admin/css/base.css"])' \
  "$STATIC_ROOT/staticfiles.json" 2>/dev/null || true)
if [ -z "$css" ]; then
  fail "collectstatic wrote no manifest entry for admin/css/base.css"
else
  fetch static -H "Host: $HOST" -H "X-Forwarded-Proto: https" -H "Accept-Encoding: gzip" "$base/static/$css"
  if [ "$(status static)" != 200 ]; then
    fail "/static/$css answered $(status static), not 200"
  elif ! header static Content-Type | grep -q "text/css"; then
    fail "/static/$css is not served as CSS: '$(header static Content-Type)'"
  elif ! header static Cache-Control | grep -q "max-age=315360000"; then
    fail "/static/$css is not cacheable for long: '$(header static Cache-Control)'"
  elif [ "$(header static Content-Encoding)" != gzip ]; then
    fail "/static/$css is not sent compressed to a browser that accepts gzip"
  else
    pass "/static/$css 200, text/css, gzip, $(header static Cache-Control)"
  fi
fi
if grep -q "/health/" "$work/gunicorn.log"; then
  fail "gunicorn's access log records the health probes"
fi
# A server error (Django's "Internal Server Error") or a failing gunicorn worker. The refused Host
# above is logged too, as Django does, and is not one.
if grep -qE "Internal Server Error|\[ERROR\]|\[CRITICAL\]" "$work/gunicorn.log"; then
  fail "gunicorn logged an error:"
  grep -E -A 15 "Internal Server Error|\[ERROR\]|\[CRITICAL\]" "$work/gunicorn.log" | head -n 40 >&2
fi

stop_gunicorn
if [ "$failures" -ne 0 ]; then
  echo "== serving check: $failures check(s) failed; gunicorn's log:" >&2
  tail -n 40 "$work/gunicorn.log" >&2
  exit 1
fi
echo "== serving check: all passed"

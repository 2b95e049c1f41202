#!/bin/sh
# Installs everything the tests need (Debian's chromium, firefox-esr, WebKitGTK's driver
# and postgresql included) and runs the whole suite.
# Usage: sh tests/run.sh [pytest arguments]
set -eu
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

# Debian packages the tests drive: the browser, PostgreSQL (the code must not be
# SQLite-only), redis-server (several nodes share one; the tests start their own on a free
# loopback port, never the system's service), coturn (TURN; the tests start their own on a free loopback port with their
# own configuration, never the system's service), and npm for the test tools below.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
# Firefox ESR, the second engine buyers and agents use (driven through puppeteer-core).
command -v firefox-esr >/dev/null 2>&1 || missing="$missing firefox-esr"
# WebKit, Safari's engine: WebKitGTK's MiniBrowser driven by WebKitWebDriver (from
# webkit2gtk-driver, through Selenium), in an X server of its own (Xvfb: it has no
# headless mode).
command -v WebKitWebDriver >/dev/null 2>&1 || missing="$missing webkit2gtk-driver"
command -v Xvfb >/dev/null 2>&1 || missing="$missing xvfb"
command -v turnserver >/dev/null 2>&1 || missing="$missing coturn"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
    || missing="$missing postgresql"
# A font with Chinese, Japanese and Korean glyphs, so the screenshots of those pages are
# readable (the tests read text, not pixels, so it is not required).
if [ "$(id -u)" = 0 ] && command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=ja)" ]; then
    missing="$missing fonts-wqy-zenhei"
fi
# The inspection PDF's fonts (server/inspections/report_pdf.py): DejaVu Sans, and
# WenQuanYi Zen Hei for Chinese, Japanese and Korean item labels.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || case "$missing" in
    *fonts-wqy-zenhei*) ;;
    *) missing="$missing fonts-wqy-zenhei" ;;
esac
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q $missing || { apt-get update -q && apt-get install -y -q $missing; }
    else
        echo "The tests need these Debian packages:$missing. Install them with:" >&2
        echo "    sudo apt-get install$missing" >&2
        exit 1
    fi
fi

# Test tools from npm (package.json, pinned by package-lock.json): axe-core, which the
# browser tests inject into the pages, and puppeteer-core, which drives Firefox.
npm ci --no-audit --no-fund --silent

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-logo
exec .venv/bin/pytest "$@"

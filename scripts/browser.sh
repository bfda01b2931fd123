#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian's chromium and chromium-driver packages)
# for the browser test of the web console (tests/integration/test_console_browser.py).
# Idempotent: does nothing when both are already installed, so `make test` can call it every
# time. Installing needs root (or sudo) and Debian's package lists.
set -euo pipefail

missing=()
if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if ! command -v chromedriver >/dev/null && [ ! -x /usr/bin/chromedriver ]; then
  missing+=(chromium-driver)
fi

exec bash "$(dirname "$0")/apt-install.sh" scripts/browser.sh ${missing[@]+"${missing[@]}"}

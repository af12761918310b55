#!/usr/bin/env bash
# Installs the kit in ./.venv with its dev extra (test tools, JupyterLab, Dask's distributed for `grade --scheduler`),
# plus, when apt is available, bubblewrap (the grader's sandbox) and chromium (the headless browser of
# tests/test_browser.py, driven by Playwright). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

has_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || command -v google-chrome >/dev/null 2>&1 || command -v google-chrome-stable >/dev/null 2>&1
}
if ! command -v bwrap >/dev/null 2>&1 || ! has_chromium; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    if ! command -v bwrap >/dev/null 2>&1; then
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap
    fi
    if ! has_chromium; then  # about a minute and 130 packages on a bare Debian 12
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
        || echo "setup.sh: could not install chromium with apt; tests/test_browser.py needs it (or KIT_CHROMIUM=/path/to/chrome)" >&2
    fi
  else
    command -v bwrap >/dev/null 2>&1 || echo "setup.sh: no apt-get: install bubblewrap (bwrap) to grade in a sandbox; students do not need it" >&2
    has_chromium || echo "setup.sh: no apt-get: install chromium for tests/test_browser.py (or set KIT_CHROMIUM=/path/to/chrome); they skip without it" >&2
  fi
fi

# The user of the grader's unprivileged sandbox (where bubblewrap cannot start; docs/redteam.md). Made only as root.
if ! id -u kit-sandbox >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin kit-sandbox
  else
    echo "setup.sh: no user kit-sandbox (as root: useradd --system --no-create-home --shell /usr/sbin/nologin kit-sandbox); the unprivileged sandbox uses nobody instead" >&2
  fi
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup.sh: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[dev]"
echo "setup.sh: done. Activate with: source .venv/bin/activate"

#!/usr/bin/env bash
# Install what the tests need (the package with its test extras at the versions in
# constraints.txt; Debian's Chromium for the browser tests, PostgreSQL for the tests that
# run on both engines, nginx for the clinic stack) and run the whole suite. Extra
# arguments go to pytest. The tests start and stop their own PostgreSQL and nginx on
# 127.0.0.1; Debian's services are not started. FIBRO_SKIP_POSTGRES=1 skips the
# PostgreSQL and clinic-stack tests (local runs only: without it they fail when
# PostgreSQL is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${FIBRO_SKIP_POSTGRES:-0}" = "0" ]; then
  if ! { command -v pg_ctl && command -v initdb; } >/dev/null 2>&1 \
      && ! ls /usr/lib/postgresql/*/bin/pg_ctl /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian's ${missing[*]} for the tests..."
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Debian starts a package's service on install; the tests run their own servers, so
  # keep the packaged ones stopped (policy-rc.d answering 101 = "not now").
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  [ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi

# Three workers (pytest-xdist), each taking whole test modules, so a module's shared server
# and browser walk stay in one process: the browser tests spend much of their time waiting
# for a page, so on two cores three workers finished sooner than two (12:21 against 13:19,
# benchmarks/README.md). Modules are handed out in the order tests/conftest.py gives them
# (longest first): xdist's own reordering (by number of tests) started the 126 quick importer
# tests first and left a long browser module to the end (10:16 against 12:15 in one evening).
# FIBRO_TEST_WORKERS=0 runs everything in this one process.
python -m pytest -n "${FIBRO_TEST_WORKERS:-3}" --dist loadfile --no-loadscope-reorder "$@"

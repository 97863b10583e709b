#!/usr/bin/env bash
# Try the clinic set-up on this computer: a throwaway PostgreSQL, N app processes
# (`fibro serve --hosted`) and nginx in front, all on 127.0.0.1; Ctrl-C stops everything and
# deletes the data. Needs Debian's postgresql and nginx (scripts/test.sh installs them).
#   deploy/run-clinic.sh [--processes 2] [--demo-patients 200] [--db postgresql+psycopg://...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python deploy/stack.py "$@"

#!/usr/bin/env bash
# Set up, then run the Loaxa server on SQLite (./var/loaxa.db). On the first run it
# creates the admin user and prints its password. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/loaxa server --seed-admin "$@"

#!/usr/bin/env bash
# Set up, then run the Loaxa demo: the server on SQLite, a seeded commune (xã) with its
# users, approved bulletins in a session starting within a minute, and two station agents
# playing it (to the sound card, or into WAV files without one). It prints where to look;
# stop it with Ctrl-C. Options go to `loaxa demo` (see `.venv/bin/loaxa demo --help`).
# For a real deployment run `loaxa server --seed-admin` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/loaxa demo "$@"

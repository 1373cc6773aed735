#!/usr/bin/env bash
# Set up, then run the linters, the type checker and the whole test suite. The
# PostgreSQL cases run when LOAXA_TEST_DATABASE_URL is set, e.g.
#   LOAXA_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> mypy (strict, outside tests/)"
.venv/bin/mypy .
echo "==> pytest"
# Test files run in parallel, each whole in one worker (so a module's one server and one
# browser stay shared): many tests wait on real processes and real-time playback, so three
# workers keep two cores busy. LOAXA_TEST_WORKERS=0 runs everything in this process.
.venv/bin/pytest -n "${LOAXA_TEST_WORKERS:-3}" --dist loadfile "$@"

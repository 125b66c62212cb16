#!/usr/bin/env bash
# hack/demo.sh: the `make demo` walk-through on the local stack (`. .stack/env` first; make
# demo does that). Each step is a function listed in STEPS; add a step by writing a function
# and naming it there. Binaries come from bin/ (make build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${MCPBUILD_E2E_REGISTRY:?run hack/stack up and . .stack/env first}"
STATE=${MCPBUILD_STATE:-$ROOT/.stack}
CATALOG=testdata/catalog/servers
PATTERN=$CATALOG/...
DEMO=$STATE/demo
mkdir -p "$DEMO"
# The demo's own signing key, made once; the password only protects it on disk.
export COSIGN_PASSWORD=${COSIGN_PASSWORD:-mcpbuild-demo}
KEY=$DEMO/cosign

run() { printf '\n$ %s\n' "$*" >&2; "$@"; }

step_build() {
  run bin/mcpbuild build --registry "$MCPBUILD_E2E_REGISTRY" "$PATTERN"
}

step_keys() {
  [ -f "$KEY.key" ] || run bin/mcpbuild generate-key-pair --output-key-prefix "$KEY"
}

step_publish() {
  run bin/mcpbuild publish --registry "$MCPBUILD_E2E_REGISTRY" --key "$KEY.key" \
    --rekor-url "$MCPBUILD_E2E_REKOR_URL" "$PATTERN"
}

step_verify() {
  run bin/mcpverify audit --catalog "$CATALOG" --registry "$MCPBUILD_E2E_REGISTRY" \
    --key "$KEY.pub" --rekor-key "$MCPBUILD_E2E_REKOR_PUBKEY"
}

# cosign v2 as an independent referee, on the first built server.
step_cosign() {
  [ -n "${MCPBUILD_E2E_COSIGN2:-}" ] || return 0
  local img=$MCPBUILD_E2E_REGISTRY/mcp/pinned:latest
  COSIGN_REPOSITORY=$MCPBUILD_E2E_REGISTRY/mcp/signatures SIGSTORE_REKOR_PUBLIC_KEY=$MCPBUILD_E2E_REKOR_PUBKEY \
    run "$MCPBUILD_E2E_COSIGN2" verify --key "$KEY.pub" --rekor-url "$MCPBUILD_E2E_REKOR_URL" \
    --allow-insecure-registry --output text "$img" >/dev/null
}

STEPS=(step_build step_keys step_publish step_verify step_cosign)
for s in "${STEPS[@]}"; do "$s"; done
printf '\ndemo: done (key pair in %s.{key,pub}, password $COSIGN_PASSWORD)\n' "$KEY" >&2

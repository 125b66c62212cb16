#!/usr/bin/env bash
# hack/demo.sh: the `make demo` walk-through on the local stack (`. .stack/env` first; make
# demo does that). Each step is a function listed in STEPS; add a step by writing a function
# and naming it there. Binaries come from bin/ (make build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${MCPBUILD_E2E_REGISTRY:?run hack/stack up and . .stack/env first}"
: "${BUILDKIT_HOST:?run hack/stack up and . .stack/env first (it names the buildkitd of the stack)}"
STATE=${MCPBUILD_STATE:-$ROOT/.stack}
CATALOG=testdata/catalog/servers
PATTERN=$CATALOG/...
DEMO=$STATE/demo
mkdir -p "$DEMO"
# The demo's own signing key, made once; the password only protects it on disk.
export COSIGN_PASSWORD=${COSIGN_PASSWORD:-mcpbuild-demo}
KEY=$DEMO/cosign

run() { printf '\n$ %s\n' "$*" >&2; "$@"; }

step_validate() {
  run bin/mcpbuild validate --strict "$PATTERN"
}

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
    --key "$KEY.pub" --rekor-key "$MCPBUILD_E2E_REKOR_PUBKEY" --require-provenance --require-signed-revision
}

# The cosign CLIs as independent referees: v2 and v3 verify every built server's signature
# (with its revision claim) and provenance attestation.
step_cosign() {
  [ -n "${MCPBUILD_E2E_COSIGN2:-}" ] && [ -n "${MCPBUILD_E2E_COSIGN3:-}" ] || return 0
  export COSIGN_REPOSITORY=$MCPBUILD_E2E_REGISTRY/mcp/signatures
  local f image commit img ok
  printf '\n%-16s %-14s %s\n' SERVER "COSIGN V2" "COSIGN V3" >&2
  for f in "$CATALOG"/*/server.yaml; do
    grep -q '^type: server' "$f" || continue
    image=$(sed -n 's/^image: *//p' "$f")
    commit=$(sed -n 's/^ *commit: *//p' "$f")
    img=$MCPBUILD_E2E_REGISTRY/$image:latest
    local v2=verified v3=verified
    SIGSTORE_REKOR_PUBLIC_KEY=$MCPBUILD_E2E_REKOR_PUBKEY "$MCPBUILD_E2E_COSIGN2" verify --key "$KEY.pub" \
      --allow-insecure-registry -a "org.opencontainers.image.revision=$commit" "$img" >/dev/null 2>&1 &&
      SIGSTORE_REKOR_PUBLIC_KEY=$MCPBUILD_E2E_REKOR_PUBKEY "$MCPBUILD_E2E_COSIGN2" verify-attestation \
        --type slsaprovenance1 --key "$KEY.pub" --allow-insecure-registry "$img" >/dev/null 2>&1 || v2=FAILED
    "$MCPBUILD_E2E_COSIGN3" verify --key "$KEY.pub" --trusted-root "$MCPBUILD_E2E_TRUSTED_ROOT" \
      --allow-insecure-registry -a "org.opencontainers.image.revision=$commit" "$img" >/dev/null 2>&1 &&
      "$MCPBUILD_E2E_COSIGN3" verify-attestation --type slsaprovenance1 --key "$KEY.pub" \
        --trusted-root "$MCPBUILD_E2E_TRUSTED_ROOT" --allow-insecure-registry "$img" >/dev/null 2>&1 || v3=FAILED
    printf '%-16s %-14s %s\n' "$(basename "$(dirname "$f")")" "$v2" "$v3" >&2
    [ "$v2$v3" = verifiedverified ] || ok=no
  done
  [ -z "${ok:-}" ]
}

STEPS=(step_validate step_build step_keys step_publish step_verify step_cosign)
for s in "${STEPS[@]}"; do "$s"; done
printf '\ndemo: done (key pair in %s.{key,pub}, password $COSIGN_PASSWORD)\n' "$KEY" >&2

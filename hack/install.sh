#!/usr/bin/env bash
# hack/install.sh [TOOL...]: build the pinned tools of the local stack once and cache them
# under $MCPBUILD_CACHE (default ~/.cache/mcpbuild), outside any clone. Idempotent: a tool
# whose binary is already cached is skipped. Builds run one after another (2 cores).
set -euo pipefail
CACHE=${MCPBUILD_CACHE:-$HOME/.cache/mcpbuild}
BIN=$CACHE/bin
mkdir -p "$BIN"
# One install at a time per cache: a second caller waits, then finds the tools built.
exec 8>"$CACHE/.install.lock"
flock 8

BUILDKIT_VERSION=v0.34.2
REGISTRY_VERSION=v3.1.2
TRILLIAN_VERSION=v1.8.0
REKOR_VERSION=v1.5.5
COSIGN2_VERSION=v2.6.5
COSIGN3_VERSION=v3.1.3

log() { printf 'install: %s\n' "$*" >&2; }
# On failure, say what failed and what it needs (the tool's own error is printed above).
current=
trap 'rc=$?; [ $rc -eq 0 ] || log "error: installing ${current:-the tools} failed (exit $rc); building needs the Go module proxy ($(go env GOPROXY 2>/dev/null)), missing Debian packages need apt"' EXIT
have() { [ -x "$BIN/$1" ] && [ -f "$BIN/.$1.version" ] && [ "$(cat "$BIN/.$1.version")" = "$2" ]; }
stamp() { echo "$2" > "$BIN/.$1.version"; }

# goinstall NAME VERSION PKG@VER [go flags...]: go install into a private GOBIN, then move NAME.
goinstall() {
  local name=$1 ver=$2 pkg=$3; shift 3
  have "$name" "$ver" && return 0
  log "building $name $ver (takes minutes on a cold cache)"
  local gobin; gobin=$(mktemp -d)
  GOBIN=$gobin GOFLAGS=-buildvcs=false go install "$@" "$pkg"
  mv "$gobin/$(basename "${pkg%@*}")" "$BIN/$name"
  rm -rf "$gobin"
  stamp "$name" "$ver"
}

install_buildkit() {
  # The stamp names the recipe too: binaries from an older recipe are rebuilt once.
  local stampv="$BUILDKIT_VERSION+version-ldflags"
  if have buildkitd "$stampv" && have buildctl "$stampv"; then return 0; fi
  log "building buildkitd and buildctl $BUILDKIT_VERSION from a wrapper module"
  # go install ...@version refuses modules whose go.mod has exclude directives, so build
  # from a throwaway module that requires buildkit.
  local w; w=$(mktemp -d)
  cat > "$w/go.mod" <<MOD
module mcpbuild.local/buildkit-wrapper

go 1.26
MOD
  cat > "$w/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
GO
  if ! (cd "$w" && go get "github.com/moby/buildkit@$BUILDKIT_VERSION" &&
    go mod tidy &&
    GOBIN=$BIN GOFLAGS=-buildvcs=false go install \
      -ldflags "-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION" \
      github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl) >"$w.log" 2>&1; then
    tail -n 20 "$w.log" >&2
    rm -rf "$w" "$w.log"
    return 1
  fi
  rm -rf "$w" "$w.log"
  # Without -X, buildkitd reports v0.0.0+unknown to clients and in every provenance.
  stamp buildkitd "$stampv"; stamp buildctl "$stampv"
}

install_registry() {
  goinstall registry "$REGISTRY_VERSION" "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
}

install_trillian() {
  local t
  for t in trillian_log_server trillian_log_signer createtree; do
    goinstall "$t" "$TRILLIAN_VERSION" "github.com/google/trillian/cmd/$t@$TRILLIAN_VERSION" -tags mysql
  done
  # Trillian's MySQL schema, loaded by hack/stack into MariaDB.
  if [ ! -f "$CACHE/trillian-storage.sql" ]; then
    local dir; dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/google/trillian@$TRILLIAN_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
    cp "$dir/storage/mysql/schema/storage.sql" "$CACHE/trillian-storage.sql"
  fi
}

install_rekor() {
  # rekor-server v1.5.x declares a newer go line; GOTOOLCHAIN=auto fetches that toolchain
  # from the module proxy.
  GOTOOLCHAIN=auto goinstall rekor-server "$REKOR_VERSION" "github.com/sigstore/rekor/cmd/rekor-server@$REKOR_VERSION"
}

install_cosign() {
  goinstall cosign2 "$COSIGN2_VERSION" "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN2_VERSION"
  goinstall cosign3 "$COSIGN3_VERSION" "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN3_VERSION"
}

install_debs() {
  local missing=()
  command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  command -v git >/dev/null || missing+=(git)
  command -v curl >/dev/null || missing+=(curl)
  command -v openssl >/dev/null || missing+=(openssl)
  # Headless Chromium renders mcpverify's HTML report in a test (cmd/mcpverify
  # report_chromium_test.go); without recommends it is 25 packages, about 12 s.
  local lean=()
  command -v chromium >/dev/null || lean+=(chromium)
  [ ${#missing[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]} ${lean[*]}"
  apt-get update -qq >/dev/null
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  [ ${#lean[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(debs buildkit registry trillian rekor cosign)
for t in "${tools[@]}"; do current=$t; "install_$t"; done
log "tools ready in $BIN"

# Sourced by hack/stack: how each service is prepared, started and set up.
# prepare_X runs before the "already answering?" check (config files, data that must exist);
# start_X starts it and waits until it answers; after_X runs once it is up (schema, keys).
# shellcheck shell=bash

hostport_of() {
  case $1 in
    registry) echo "$REGISTRY_ADDR" ;; buildkitd-tls) echo "$BUILDKIT_TLS_ADDR" ;; gitd) echo "127.0.0.1:$GIT_PORT" ;;
    mariadb) echo "127.0.0.1:$MARIADB_PORT" ;; trillian-log) echo "$TLOG_RPC" ;;
    trillian-signer) echo "$TSIGNER_RPC" ;; rekor) echo "127.0.0.1:$REKOR_PORT" ;;
  esac
}

# --- buildkitd ----------------------------------------------------------------------------
# history_config: BuildKit keeps every build record of the last 48 hours by default (a record
# is dropped only past both maxAge and maxEntries), with its blobs; a long-lived test stack
# runs thousands of builds a day, and a buildkitd whose databases grew that way spent about
# twice the CPU per build of a fresh one (hack/bench/publish). mcpbuild reads a build's record
# right after the build (its provenance), so a short retention costs nothing.
history_config() {
  printf '[history]\n  maxAge = "15m"\n  maxEntries = 200\n'
}

prepare_buildkitd() {
  mkdir -p "$STATE/buildkitd"
  # The local registry speaks plain HTTP.
  cat >"$STATE/buildkitd/buildkitd.toml" <<EOF
[registry."$REGISTRY_ADDR"]
  http = true
  insecure = true
$(history_config)
EOF
}

start_buildkitd() {
  rm -f "$BUILDKIT_SOCK"
  start_oci_buildkitd buildkitd "$STATE/buildkitd" --addr "unix://$BUILDKIT_SOCK"
}

# start_oci_buildkitd SERVICE DIR ARGS...: buildkitd with DIR/buildkitd.toml and --root
# DIR/root, with the overlayfs snapshotter, else native; DIR/snapshotter keeps the one that worked.
start_oci_buildkitd() {
  local svc=$1 dir=$2 snap; shift 2
  for snap in $(cat "$dir/snapshotter" 2>/dev/null || echo overlayfs native); do
    start_bg "$svc" buildkitd --config "$dir/buildkitd.toml" --root "$dir/root" "$@" \
      --oci-worker=true --containerd-worker=false --oci-worker-binary=/usr/sbin/runc \
      --oci-worker-snapshotter="$snap" --oci-worker-net=host
    if wait_for "$svc" 30; then
      echo "$snap" >"$dir/snapshotter"
      return 0
    fi
    local pid i; pid=$(cat "$(pidfile "$svc")")
    kill "$pid" 2>/dev/null || true
    # It must be gone before the next try: buildkitd locks its --root directory.
    for ((i = 0; i < 100; i++)); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then kill -KILL "$pid" 2>/dev/null; sleep 0.5; fi
    log "$svc with the $snap snapshotter failed"
  done
  return 1
}
after_buildkitd() { :; }

# --- buildkitd-tls: a second buildkitd on TCP with mutual TLS ------------------------------
# $BUILDKIT_TLS_DIR: ca.pem (+ ca-key.pem) signs server.pem (127.0.0.1, localhost) and
# client/cert.pem; client/ is a buildctl --tlsdir (ca.pem cert.pem key.pem); wrong/ is the
# same layout from another CA, for the e2e tests of a wrong CA and an unknown client.
prepare_buildkitd_tls() {
  local d=$BUILDKIT_TLS_DIR
  mkdir -p "$d"
  make_tls_certs "$d" || return 1
  # The first buildkitd's registry settings; its own trace socket (the default,
  # /run/buildkit/otel-grpc.sock, is the first one's).
  cat >"$d/buildkitd.toml" <<EOF
[registry."$REGISTRY_ADDR"]
  http = true
  insecure = true
[otel]
  socketPath = "$d/otel-grpc.sock"
$(history_config)
EOF
}

start_buildkitd_tls() {
  local d=$BUILDKIT_TLS_DIR
  start_oci_buildkitd buildkitd-tls "$d" --addr "tcp://$BUILDKIT_TLS_ADDR" \
    --tlscacert "$d/ca.pem" --tlscert "$d/server.pem" --tlskey "$d/server-key.pem"
}
after_buildkitd_tls() { :; }

# make_tls_certs DIR: the CAs and certificates, unless all are there and valid for a day more.
make_tls_certs() {
  local d=$1 f ok=1
  for f in ca.pem server.pem server-key.pem client/ca.pem client/cert.pem client/key.pem wrong/ca.pem wrong/cert.pem wrong/key.pem; do
    [ -s "$d/$f" ] || ok=
  done
  if [ -n "$ok" ] && openssl x509 -checkend 86400 -noout -in "$d/server.pem" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$d/client/cert.pem" >/dev/null 2>&1; then
    return 0
  fi
  log "creating TLS certificates in $d"
  mkdir -p "$d/client" "$d/wrong" "$STATE/logs"
  (
    set -e
    cd "$d"
    new_ca ca "mcpbuild local stack CA"
    new_cert server ca buildkitd "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"
    new_cert client/cert ca "mcpbuild client" "extendedKeyUsage=clientAuth"
    mv client/cert-key.pem client/key.pem
    cp ca.pem client/ca.pem
    new_ca wrong/ca "unrelated CA"
    new_cert wrong/cert wrong/ca "client of an unrelated CA" "extendedKeyUsage=clientAuth"
    mv wrong/cert-key.pem wrong/key.pem
    chmod 600 ./*key.pem client/key.pem wrong/*key.pem
  ) >>"$(logfile buildkitd-tls)" 2>&1 || { log "openssl failed; see $(logfile buildkitd-tls)"; return 1; }
}

# new_ca NAME CN: NAME.pem and NAME-key.pem, a self-signed P-256 CA.
new_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=$2" -keyout "$1-key.pem" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# new_cert NAME CA CN EXTENSIONS: NAME.pem and NAME-key.pem signed by CA.pem.
new_cert() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$3" \
    -keyout "$1-key.pem" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2-key.pem" -CAcreateserial -days 825 \
    -extfile <(printf '%b\n' "$4") -out "$1.pem"
  rm -f "$1.csr"
}

# --- registry -----------------------------------------------------------------------------
prepare_registry() {
  mkdir -p "$STATE/registry/data"
  cat >"$STATE/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
  secret: mcpbuild-local-stack
EOF
}

start_registry() {
  OTEL_TRACES_EXPORTER=none start_bg registry registry serve "$STATE/registry/config.yml"
  wait_for registry 30
}
after_registry() { :; }

# --- git daemon serving the fixture repositories -------------------------------------------
prepare_gitd() {
  # Re-create the fixture repositories when their sources or the script changed.
  local stamp
  stamp=$(cd "$ROOT" && find testdata/repos hack/fixtures.sh -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
  if [ "$(cat "$STATE/git/.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "creating fixture repositories in $STATE/git"
    mkdir -p "$STATE/git"
    bash "$ROOT/hack/fixtures.sh" "$STATE/git" >"$STATE/git/commits.txt"
    echo "$stamp" >"$STATE/git/.stamp"
  fi
}

start_gitd() {
  start_bg gitd git daemon --reuseaddr --export-all --informative-errors \
    --base-path="$STATE/git" --listen=127.0.0.1 --port="$GIT_PORT" "$STATE/git"
  wait_for gitd 15
}
after_gitd() { :; }

# --- MariaDB for Trillian -----------------------------------------------------------------
prepare_mariadb() {
  local d=$STATE/mariadb
  if [ ! -d "$d/data/mysql" ]; then
    log "initializing MariaDB in $d/data"
    mkdir -p "$d/data" "$STATE/logs"
    rm -f "$STATE/trillian/tree-id" "$d/.schema"
    mariadb-install-db --no-defaults --datadir="$d/data" --user="$(id -un)" \
      --auth-root-authentication-method=socket --skip-test-db >>"$(logfile mariadb)" 2>&1 ||
      { tail -n 20 "$(logfile mariadb)" >&2; return 1; }
  fi
}

start_mariadb() {
  local d=$STATE/mariadb
  start_bg mariadb mariadbd --no-defaults --datadir="$d/data" --socket="$MARIADB_SOCK" \
    --port="$MARIADB_PORT" --bind-address=127.0.0.1 --pid-file="$d/mariadbd.pid" \
    --user="$(id -un)" --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=64M \
    --max-connections=200
  wait_for mariadb 60
}

after_mariadb() {
  local d=$STATE/mariadb
  [ -f "$d/.schema" ] && return 0
  log "loading Trillian's schema"
  # (set -e does not apply here: hack/stack calls this in an || list.)
  mariadb --no-defaults --socket="$MARIADB_SOCK" -uroot <<'SQL' || return 1
CREATE DATABASE IF NOT EXISTS trillian;
CREATE USER IF NOT EXISTS 'trillian'@'127.0.0.1' IDENTIFIED BY 'trillian';
CREATE USER IF NOT EXISTS 'trillian'@'localhost' IDENTIFIED BY 'trillian';
GRANT ALL ON trillian.* TO 'trillian'@'127.0.0.1';
GRANT ALL ON trillian.* TO 'trillian'@'localhost';
SQL
  mariadb --no-defaults --socket="$MARIADB_SOCK" -uroot trillian <"$CACHE/trillian-storage.sql" || return 1
  touch "$d/.schema"
}

# --- Trillian log server and signer ---------------------------------------------------------
start_trillian_log() {
  start_bg trillian-log trillian_log_server --storage_system=mysql --quota_system=mysql \
    --mysql_uri="$TRILLIAN_DB_URI" --rpc_endpoint="$TLOG_RPC" --http_endpoint="$TLOG_HTTP"
  wait_for trillian-log 30
}
prepare_trillian_log() { :; }

after_trillian_log() {
  [ -s "$STATE/trillian/tree-id" ] && return 0
  mkdir -p "$STATE/trillian"
  local id
  id=$(createtree --admin_server="$TLOG_RPC" --display_name=mcpbuild-e2e 2>>"$(logfile trillian-log)")
  [[ $id =~ ^[0-9]+$ ]] || { log "createtree printed '$id'"; return 1; }
  echo "$id" >"$STATE/trillian/tree-id"
  log "created Trillian tree $id"
}

prepare_trillian_signer() { :; }
start_trillian_signer() {
  start_bg trillian-signer trillian_log_signer --storage_system=mysql --quota_system=mysql \
    --mysql_uri="$TRILLIAN_DB_URI" --rpc_endpoint="$TSIGNER_RPC" --http_endpoint="$TSIGNER_HTTP" \
    --force_master --election_system=noop
  wait_for trillian-signer 30
}
after_trillian_signer() { :; }

# --- Rekor --------------------------------------------------------------------------------
prepare_rekor() {
  mkdir -p "$STATE/rekor"
  if [ ! -f "$STATE/rekor/signer.pem" ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$STATE/rekor/signer.pem.tmp" 2>/dev/null
    mv "$STATE/rekor/signer.pem.tmp" "$STATE/rekor/signer.pem"
  fi
}

start_rekor() {
  local tree
  tree=$(cat "$STATE/trillian/tree-id" 2>/dev/null) || { log "no Trillian tree id: start trillian-log first"; return 1; }
  # Without searchIndex (and the retrieve API) rekor does not dial Redis. Its metrics
  # listener (:2112, not configurable) fails quietly when the port is taken.
  start_bg rekor rekor-server serve --rekor_server.address=127.0.0.1 --port="$REKOR_PORT" \
    --trillian_log_server.address="${TLOG_RPC%:*}" --trillian_log_server.port="${TLOG_RPC##*:}" \
    --trillian_log_server.tlog_id="$tree" --rekor_server.signer="$STATE/rekor/signer.pem" \
    --enable_retrieve_api=false \
    --enabled_api_endpoints=getLogInfo,getPublicKey,getLogProof,createLogEntry,getLogEntryByIndex,getLogEntryByUUID,searchLogQuery
  wait_for rekor 60
}

after_rekor() { :; }

# finish_rekor: whoever started it, keep the log's public key and an offline trusted root.
finish_rekor() {
  curl -fsS -m 5 "$REKOR_URL/api/v1/log/publicKey" >"$STATE/rekor.pub.tmp" || return 1
  if cmp -s "$STATE/rekor.pub.tmp" "$STATE/rekor.pub"; then rm -f "$STATE/rekor.pub.tmp"; else mv "$STATE/rekor.pub.tmp" "$STATE/rekor.pub"; fi
  make_trusted_root || log "warning: no trusted root for cosign v3 (see $STATE/logs/trusted-root.log)"
}

# make_trusted_root: an offline Sigstore trusted root naming only our Rekor, for cosign v3.
make_trusted_root() {
  [ -x "$BIN/cosign3" ] || return 1
  local pub=$STATE/rekor.pub out=$STATE/trusted_root.json
  if [ -f "$out" ] && [ "$out" -nt "$pub" ]; then return 0; fi
  "$BIN/cosign3" trusted-root create --no-default-fulcio --no-default-rekor --no-default-ctfe --no-default-tsa \
    --rekor="url=$REKOR_URL,public-key=$pub,start-time=2020-01-01T00:00:00Z" \
    --out "$out.tmp" >"$STATE/logs/trusted-root.log" 2>&1 && mv "$out.tmp" "$out"
}

# --- the environment file for tests --------------------------------------------------------
write_env() {
  local f=$STATE/env.tmp
  {
    echo "# written by hack/stack up; source it: . $STATE/env"
    printf 'export MCPBUILD_STATE=%q\n' "$STATE"
    printf 'export MCPBUILD_E2E=1\n'
    printf 'export MCPBUILD_E2E_CATALOG=%q\n' "$ROOT/testdata/catalog/servers"
    answers buildkitd && printf 'export BUILDKIT_HOST=%q\n' "unix://$BUILDKIT_SOCK"
    if answers buildkitd-tls; then
      printf 'export MCPBUILD_E2E_BUILDKIT_TLS_ADDR=%q\n' "tcp://$BUILDKIT_TLS_ADDR"
      printf 'export MCPBUILD_E2E_BUILDKIT_TLS_DIR=%q\n' "$BUILDKIT_TLS_DIR/client"
      printf 'export MCPBUILD_E2E_BUILDKIT_TLS_WRONG_DIR=%q\n' "$BUILDKIT_TLS_DIR/wrong"
    fi
    answers registry && printf 'export MCPBUILD_E2E_REGISTRY=%q\n' "$REGISTRY_ADDR"
    answers gitd && printf 'export MCPBUILD_E2E_GIT=%q\n' "git://127.0.0.1:$GIT_PORT"
    if answers rekor && [ -f "$STATE/rekor.pub" ]; then
      printf 'export MCPBUILD_E2E_REKOR_URL=%q\n' "$REKOR_URL"
      printf 'export MCPBUILD_E2E_REKOR_PUBKEY=%q\n' "$STATE/rekor.pub"
      [ -f "$STATE/trusted_root.json" ] && printf 'export MCPBUILD_E2E_TRUSTED_ROOT=%q\n' "$STATE/trusted_root.json"
    fi
    [ -x "$BIN/cosign2" ] && printf 'export MCPBUILD_E2E_COSIGN2=%q\n' "$BIN/cosign2"
    [ -x "$BIN/cosign3" ] && printf 'export MCPBUILD_E2E_COSIGN3=%q\n' "$BIN/cosign3"
    true
  } >"$f"
  mv "$f" "$STATE/env"
}

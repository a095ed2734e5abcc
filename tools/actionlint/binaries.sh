#!/usr/bin/env bash
# actionlint (the GitHub Actions workflow linter), built from its Go module and cached outside the repository.
#
#   bash tools/actionlint/binaries.sh    print the directory holding `actionlint`, building it first
#                                        if this machine has not yet (progress on stderr)
#
# The version is pinned in module/go.mod (and go.sum): change it there with
# `cd tools/actionlint/module && go get github.com/rhysd/actionlint@vX.Y.Z && go mod tidy`.
# NSIP_ACTIONLINT_BIN_DIR=<dir> uses a prebuilt `actionlint` instead. NSIP_TOOLS_CACHE moves the cache
# (default: ${XDG_CACHE_HOME:-~/.cache}/nsip-tools). The cache key is a hash of module/, so a new
# version builds into a new directory and never reuses a stale binary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
binaries=(actionlint)
log_name=actionlint-binaries
# shellcheck source=tools/lib/cached-binaries.sh disable=SC1091
source "$here/../lib/cached-binaries.sh"

build() {
  local out=$1 stage="$1.partial.$$" start=$SECONDS version
  command -v go >/dev/null || { echo "go is required to build actionlint (or set NSIP_ACTIONLINT_BIN_DIR)" >&2; exit 1; }
  version=$(sed -n 's|^[[:space:]]*github.com/rhysd/actionlint \(v[^ ]*\).*|\1|p' "$here/module/go.mod")
  rm -rf "$stage"
  mkdir -p "$stage/bin"
  trap 'rm -rf "$stage"' EXIT
  log "building actionlint $version into $out"
  (cd "$here/module" && CGO_ENABLED=0 go build -mod=readonly -trimpath -o "$stage/bin/actionlint" \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$version" github.com/rhysd/actionlint/cmd/actionlint)
  check_dir "$stage/bin"
  rm -rf "$out"
  mv "$stage" "$out"
  trap - EXIT
  log "done in $((SECONDS - start)) s: $out/bin"
}

bin_dir() {
  prebuilt_dir NSIP_ACTIONLINT_BIN_DIR && return
  local key
  key=$( (cd "$here/module" && find . -type f | LC_ALL=C sort | while read -r f; do echo "$f" && cat "$f"; done) | sha256sum | cut -c1-12)
  build_once "$(tools_cache)/actionlint-$key"
}

case "${1:-path}" in
  path) bin_dir ;;
  *)
    echo "usage: bash tools/actionlint/binaries.sh [path]" >&2
    exit 2
    ;;
esac

# Helpers shared by tools/{k8s,pulumi,actionlint}/binaries.sh; sourced, never run.
# The caller sets `log_name` (the progress prefix) and `binaries` (the files a usable directory holds).
# shellcheck shell=bash disable=SC2154  # binaries and log_name come from the sourcing script

log() { printf '[%s %s] %s\n' "${log_name:?}" "$(date +%H:%M:%S)" "$*" >&2; }

# Succeeds when the directory holds every one of `binaries` (executables; data files by name); names what is missing.
check_dir() {
  local dir=$1 b missing=()
  for b in "${binaries[@]}"; do
    if [[ $b == *.* ]]; then [ -f "$dir/$b" ] || missing+=("$b"); else [ -x "$dir/$b" ] || missing+=("$b"); fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "$dir lacks: ${missing[*]}" >&2
    return 1
  fi
}

# Where built binaries are cached, outside the repository.
tools_cache() { echo "${NSIP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nsip-tools}"; }

# With the override variable named by $1 set, prints its directory once it holds every binary, or fails
# the script naming the variable; without it, returns 1 so the caller builds or uses its cache.
prebuilt_dir() {
  local variable=$1 dir=${!1:-}
  [ -n "$dir" ] || return 1
  check_dir "$dir" || { echo "$variable=$dir is not usable" >&2; exit 1; }
  echo "$dir"
}

# Prints `$1/bin` once it holds every binary, first running the caller's `build "$1"` if it does not.
build_once() {
  local out=$1
  if check_dir "$out/bin" 2>/dev/null; then
    log "cached: $out/bin"
  else
    mkdir -p "$(dirname "$out")"
    build "$out"
  fi
  echo "$out/bin"
}

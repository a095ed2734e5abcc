#!/usr/bin/env bash
# Deploys the dev stack on this machine: a k3s cluster and a registry as Docker containers, the three
# images built and pushed there, the eight services on top. Needs Docker and the Pulumi CLI; Node.js 20
# is used when present, otherwise the program runs inside the official pulumi/pulumi-nodejs image.
# State goes to a local file backend in .pulumi-state/ (never committed).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1

# The CLI version the lockfile's @pulumi/pulumi was released with; the container fallback uses the same.
PULUMI_IMAGE="pulumi/pulumi-nodejs:3.276.0"

fail() { echo "dev-up: $*" >&2; exit 1; }
command -v docker >/dev/null || fail "Docker is required (docker CLI not found)."

# The Docker provider and the program read DOCKER_HOST or the default socket, never the docker CLI's context. On
# Colima, rootless Docker or Docker Desktop without /var/run/docker.sock only the context knows the engine, so
# every client is pointed at the context's endpoint, and the check below goes through that same endpoint.
if [ -z "${DOCKER_HOST:-}" ]; then
  DOCKER_HOST="$(docker context inspect --format '{{.Endpoints.docker.Host}}')" ||
    fail "cannot read the docker CLI context's endpoint (docker context inspect); set DOCKER_HOST."
  export DOCKER_HOST
fi
docker info >/dev/null 2>&1 || fail "the Docker engine at $DOCKER_HOST is not reachable: start Docker Desktop, Colima or dockerd, or set DOCKER_HOST."

# Git Bash on Windows: paths handed to Windows programs (pulumi.exe, docker.exe) must be Windows paths.
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) project_dir="$(pwd -W)" ;;
  *) project_dir="$PWD" ;;
esac

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$project_dir/.pulumi-state}"
# Dev secrets (generated passwords) are encrypted with this passphrase; empty is allowed for a laptop stack.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
mkdir -p .pulumi-state

deploy='npm ci --no-audit --no-fund && (pulumi stack select dev 2>/dev/null || pulumi stack init dev) && pulumi up --stack dev --yes'

if command -v pulumi >/dev/null && command -v node >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  bash -c "$deploy"
else
  command -v pulumi >/dev/null || echo "dev-up: no Pulumi CLI on PATH; running it from $PULUMI_IMAGE" >&2
  # The socket is mounted by its path on the engine's side: the client's path on Linux, where the engine runs on
  # this kernel; /var/run/docker.sock inside the VM of Docker Desktop (macOS, Windows) and Colima.
  case "$DOCKER_HOST" in
    unix://*) if [ "$(uname -s)" = Linux ]; then engine_socket="${DOCKER_HOST#unix://}"; else engine_socket=/var/run/docker.sock; fi ;;
    npipe://*) engine_socket=/var/run/docker.sock ;;
    *) fail "the container fallback needs an engine socket, but DOCKER_HOST is $DOCKER_HOST: install Node.js 20 and the Pulumi CLI instead." ;;
  esac
  # What the program writes into the checkout (node_modules, .pulumi-state) must belong to the invoking user. Only
  # a rootful engine on this Linux kernel maps container root to host root: there the container runs as this user,
  # in the socket's group. Rootless Docker maps container root to this user already; Docker Desktop and Colima map
  # bind-mount ownership to the user themselves.
  user_args=()
  if [ "$(uname -s)" = Linux ] && ! docker info --format '{{.SecurityOptions}}' | grep -q 'name=rootless'; then
    user_args=(--user "$(id -u):$(id -g)" --group-add "$(stat -c %g "$engine_socket")" -e HOME=/tmp/home)
  fi
  # Host networking: the program reaches the k3s API and the registry on 127.0.0.1 like a local run would.
  # ${a[@]+...}: macOS's bash 3.2 calls an empty array unbound. MSYS_NO_PATHCONV: Git Bash would otherwise rewrite
  # /project and the socket path into Windows paths.
  MSYS_NO_PATHCONV=1 docker run --rm --network host ${user_args[@]+"${user_args[@]}"} \
    -v "$engine_socket:/var/run/docker.sock" \
    -v "$project_dir:/project" -w /project \
    -e DOCKER_HOST=unix:///var/run/docker.sock \
    -e PULUMI_BACKEND_URL="file:///project/.pulumi-state" -e PULUMI_CONFIG_PASSPHRASE \
    "$PULUMI_IMAGE" bash -c "$deploy"
fi

echo
echo "dev stack is up:"
echo "  app      $(pulumi stack output publicUrl --stack dev 2>/dev/null || echo 'http://127.0.0.1:28080')"
echo "  grafana  $(pulumi stack output grafanaUrl --stack dev 2>/dev/null || echo 'http://127.0.0.1:28080/grafana/')" \
  "(admin; password: pulumi stack output grafanaAdminPassword --show-secrets --stack dev)"

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

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
# Dev secrets (generated passwords) are encrypted with this passphrase; empty is allowed for a laptop stack.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
mkdir -p .pulumi-state

deploy='npm ci --no-audit --no-fund && (pulumi stack select dev 2>/dev/null || pulumi stack init dev) && pulumi up --stack dev --yes'

if command -v pulumi >/dev/null && command -v node >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  bash -c "$deploy"
else
  command -v pulumi >/dev/null || echo "dev-up: no Pulumi CLI on PATH; running it from $PULUMI_IMAGE" >&2
  # Host networking: the program reaches the k3s API and the registry on 127.0.0.1 like a local run would.
  docker run --rm --network host \
    -v /var/run/docker.sock:/var/run/docker.sock \
    -v "$PWD":/project -w /project \
    -e PULUMI_BACKEND_URL="file:///project/.pulumi-state" -e PULUMI_CONFIG_PASSPHRASE \
    "$PULUMI_IMAGE" bash -c "$deploy"
fi

echo
echo "dev stack is up:"
echo "  app      $(pulumi stack output publicUrl --stack dev 2>/dev/null || echo 'http://127.0.0.1:28080')"
echo "  grafana  $(pulumi stack output grafanaUrl --stack dev 2>/dev/null || echo 'http://127.0.0.1:28080/grafana/')" \
  "(admin; password: pulumi stack output grafanaAdminPassword --show-secrets --stack dev)"

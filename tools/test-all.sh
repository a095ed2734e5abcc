#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine, then runs every test suite.
# This is the README's test command and exactly what CI runs (.ci/run).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

debian_packages=(
  postgresql redis-server nginx prometheus              # real servers and promtool
  python3-flask gunicorn python3-numpy python3-pil python3-prometheus-client python3-pytest   # the analyzer
  chromium                                              # the end-to-end test's browser
  shellcheck yamllint
  openssl                                               # the test control plane's certificates
  python3-venv                                          # the pinned S3 test server (tools/s3/venv.sh)
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  # The packages' own services are not needed: the tests start their servers on ports of their own.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
fi

echo "==> installing npm dependencies (lockfiles, no scripts needed)"
npm ci --no-audit --no-fund >/dev/null || exit 1
npm ci --no-audit --no-fund --prefix apps/api >/dev/null || exit 1
npm ci --no-audit --no-fund --prefix apps/frontend >/dev/null || exit 1
npm ci --no-audit --no-fund --prefix policy >/dev/null || exit 1

passed=()
failed=()
suite() {
  local name=$1
  shift
  echo
  echo "==> ${name}"
  if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}

suite "typecheck (program, tools, tests)" npm run build
suite "typecheck (policy pack)" npx tsc -p policy/tsconfig.json --noEmit
# actionlint is built from its Go module on first use (~30 s), then cached; it runs shellcheck on every `run:` script.
# shellcheck disable=SC2016  # expanded by the inner bash
suite "lint (shellcheck, yamllint, actionlint)" bash -c 'shellcheck tools/*.sh tools/*/*.sh tools/pulumi/policy-analyzer .ci/run && shellcheck -x components/services/postgres/scripts/*.sh && yamllint -s Pulumi.yaml Pulumi.dev.yaml Pulumi.prod.yaml .github .yamllint.yml && "$(bash tools/actionlint/binaries.sh)/actionlint"'
suite "program: config, graphs, policies, renderers (mocha)" npm test
# Fixed seed and run count (test/support/property-settings.ts): the same generated configs every run.
suite "stack config properties (fast-check: generated configs render and pass nginx -t, promtool, redis-server, schema)" env -u NSIP_PROPERTY_RUNS -u NSIP_PROPERTY_SEED -u NSIP_PROPERTY_MINUTES npm run test:property
# Includes the hostile-input suite (test/hostile.test.ts): the built api against the analyzer under
# Debian's gunicorn with a generated corpus of bombs; about two minutes.
suite "api (mocha, real PostgreSQL + Redis; hostile input vs the analyzer under gunicorn)" npm test --prefix apps/api
# Builds the pinned moto + AWS CLI venv on first use (about 4 minutes), then reuses it.
suite "backup and restore scripts (real PostgreSQL, real S3 API)" npm run test:backup
suite "analyzer (pytest, Debian's Python)" bash -c 'cd apps/analyzer && /usr/bin/python3 -m pytest -q'
suite "frontend (vitest)" npm test --prefix apps/frontend
# Builds the control plane's binaries from Go modules on first use (tens of minutes on 2 cores), then reuses them;
# the Pulumi CLI too (ops' "stack without outputs" test runs it), shared with the engine suite below.
suite "control plane (real etcd, kube-apiserver, controllers, scheduler; kwok nodes)" env -u NSIP_PROPERTY_RUNS -u NSIP_PROPERTY_SEED -u NSIP_PROPERTY_MINUTES bash -c 'bash tools/k8s/binaries.sh >/dev/null && bash tools/pulumi/binaries.sh >/dev/null && npm run test:control-plane'
# Builds the Pulumi CLI and its kubernetes/random plugins from Go modules on first use, then reuses them.
suite "engine (pulumi up, preview, refresh, destroy on the control plane)" bash -c 'bash tools/pulumi/binaries.sh >/dev/null && npm run test:engine'
suite "end-to-end (nginx + api + analyzer + PostgreSQL + Redis + Chromium)" bash -c 'npm run build --prefix apps/api >/dev/null && npm run build --prefix apps/frontend >/dev/null && npm run test:e2e'

echo
for name in "${passed[@]}"; do echo "PASS  $name"; done
for name in "${failed[@]}"; do echo "FAIL  $name"; done
echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
[ "${#failed[@]}" -eq 0 ]

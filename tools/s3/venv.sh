#!/usr/bin/env bash
# Prints the bin directory of a venv with moto's S3 server and the AWS CLI, pinned by requirements.txt.
# Built once per requirements file with Debian's Python into ~/.cache/nsip-tools/s3-<hash>, then reused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hash=$(sha256sum "$here/requirements.txt" | cut -c1-12)
dir="${NSIP_TOOLS_CACHE:-$HOME/.cache/nsip-tools}/s3-$hash"
# The marker is written last: a half-built venv (interrupted install) is rebuilt, never used.
if [ ! -f "$dir/.complete" ]; then
  rm -rf "$dir"
  /usr/bin/python3 -m venv "$dir" >&2
  # --no-deps: requirements.txt pins every dependency itself, so nothing unpinned slips in.
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt" >&2
  touch "$dir/.complete"
fi
echo "$dir/bin"

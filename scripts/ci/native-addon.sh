#!/usr/bin/env bash
# native-addon.sh NODE_PREFIX: makes node_modules/better-sqlite3 hold a binary built for the Node.js
# at NODE_PREFIX (its bin/node and include/node), building it once per better-sqlite3 version and
# Node ABI and copying it in from the cache afterwards. Run with the machine's own Node prefix
# (e.g. /usr) to switch back. The addon is tied to one ABI, so each runtime needs its own build.
set -euo pipefail
node_prefix=${1:?usage: native-addon.sh NODE_PREFIX}
node="$node_prefix/bin/node"
root=$(cd "$(dirname "$0")/../.." && pwd)
addon_dir="$root/node_modules/better-sqlite3"
binary="$addon_dir/build/Release/better_sqlite3.node"
addon_version=$("$node" -p "require('$addon_dir/package.json').version")
abi=$("$node" -p 'process.versions.modules')
cache=${DT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/decision-trace-peers}
cached="$cache/better-sqlite3-$addon_version-abi$abi/better_sqlite3.node"

loads() { "$node" -e "new (require('$addon_dir'))(':memory:').close()" 2>/dev/null; }
if [ ! -f "$cached" ] && loads; then
  # What is installed already fits this runtime (npm ci built it for the machine's Node).
  mkdir -p "$(dirname "$cached")" && cp "$binary" "$cached.tmp" && mv "$cached.tmp" "$cached"
elif [ ! -f "$cached" ]; then
  headers="$node_prefix"
  [ -d "$headers/include/node" ] || { echo "native-addon: no Node headers in $headers/include/node" >&2; exit 1; }
  (cd "$root" && PATH="$node_prefix/bin:$PATH" npm rebuild better-sqlite3 --nodedir="$headers" >/dev/null) \
    || { echo "native-addon: building better-sqlite3 for Node $("$node" --version) failed" >&2; exit 1; }
  mkdir -p "$(dirname "$cached")" && cp "$binary" "$cached.tmp" && mv "$cached.tmp" "$cached"
else
  cp "$cached" "$binary.tmp" && mv "$binary.tmp" "$binary"
fi
# Prove the runtime loads it.
loads || { echo "native-addon: better-sqlite3 does not load on Node $("$node" --version)" >&2; exit 1; }
echo "better-sqlite3 $addon_version ready for Node $("$node" --version) (ABI $abi)"

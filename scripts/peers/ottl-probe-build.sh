#!/usr/bin/env bash
# Builds (once) ottl-probe/main.go against the exact module set of the pinned otelcol build (its
# go.mod and go.sum), so the probe evaluates OTTL with the Collector's own library at that
# release, and prints the probe's path. Cached by the otelcol build and the probe's source. Exit 1,
# with the reason on stderr, when otelcol cannot be built or the probe does not compile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
go=${DT_GO:-go}
otelcol=$(bash "$here/otelcol-build.sh")
dir=$(dirname "$otelcol")
key=$(cat "$here/ottl-probe/main.go" | sha256sum | cut -c1-16)
probe="$dir/ottl-probe-$key"
if [ ! -x "$probe" ]; then
  exec 9>"$probe.lock"
  flock 9
fi
if [ ! -x "$probe" ]; then
  work="$dir/ottl-probe-work"
  rm -rf "$work"
  mkdir -p "$work"
  cp "$dir/work/build/go.mod" "$dir/work/build/go.sum" "$here/ottl-probe/main.go" "$work/"
  sed -i 's|^module .*|module decision-trace/ottl-probe|' "$work/go.mod"
  (cd "$work" && GOFLAGS=-mod=mod "$go" build -o "$probe.partial" . >&2) \
    || { echo "ottl-probe-build: compiling the OTTL probe failed (see above)" >&2; exit 1; }
  mv "$probe.partial" "$probe"
fi
echo "$probe"

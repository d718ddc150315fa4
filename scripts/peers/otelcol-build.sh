#!/usr/bin/env bash
# Builds (once) the pinned OpenTelemetry Collector of otelcol-builder.yaml with the Collector
# builder, in a cache folder keyed by the manifest's hash and the Go version, and prints the
# binary's path. A second run with the same manifest costs nothing; Go's module and build caches
# make a rebuild after a manifest change cheaper. Exit 1, with the reason on stderr, when Go or
# the Go module proxy is not usable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/otelcol-builder.yaml"
builder_version=v0.161.0 # the same release as every module in the manifest
go=${DT_GO:-go}
command -v "$go" >/dev/null 2>&1 || { echo "otelcol-build: $go not found" >&2; exit 1; }
key=$( (cat "$manifest"; echo "$builder_version"; "$go" version) | sha256sum | cut -c1-16)
cache=${DT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/decision-trace-peers}
dir="$cache/otelcol-$key"
binary="$dir/otelcol"
if [ ! -x "$binary" ]; then
  mkdir -p "$dir"
  # Test files run in parallel and may all ask for the binary at once: one builds, the rest wait.
  exec 9>"$dir.lock"
  flock 9
fi
if [ ! -x "$binary" ]; then
  # The builder itself, installed into the cache folder (not onto PATH).
  if [ ! -x "$dir/tools/builder" ]; then
    GOBIN="$dir/tools" "$go" install "go.opentelemetry.io/collector/cmd/builder@$builder_version" >&2 \
      || { echo "otelcol-build: installing the Collector builder $builder_version failed" >&2; exit 1; }
  fi
  work="$dir/work"
  rm -rf "$work"
  mkdir -p "$work"
  cp "$manifest" "$work/builder.yaml"
  # The builder writes the generated main.go, go.mod and components.go into output_path and
  # compiles there; the binary is moved into place only when whole.
  (cd "$work" && "$dir/tools/builder" --config builder.yaml >&2) \
    || { echo "otelcol-build: the Collector builder failed (see above)" >&2; exit 1; }
  mv "$work/build/otelcol" "$binary.partial"
  mv "$binary.partial" "$binary"
fi
echo "$binary"

#!/usr/bin/env bash
# Builds every programs/*.c into programs/*.o (the committed sample XDP objects).
# Usage: npm run build:programs   (or: bash programs/build.sh [name.c ...])
# PROGRAMS_OUT_DIR=/abs/dir writes the objects there instead (the freshness test uses it).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v clang >/dev/null 2>&1; then
  echo "build.sh: clang is not installed; the committed .o files are still usable." >&2
  echo "build.sh: to rebuild them install clang and the libbpf headers:" >&2
  echo "build.sh:   apt-get install clang libbpf-dev     (or: bash .ci/install-tools.sh)" >&2
  exit 1
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
  echo "build.sh: the libbpf headers (bpf/bpf_helpers.h) are missing:" >&2
  echo "build.sh:   apt-get install libbpf-dev     (or: bash .ci/install-tools.sh)" >&2
  exit 1
fi

arch_include="/usr/include/$(uname -m)-linux-gnu"
extra_include=()
# With -target bpf, glibc's headers ask for gnu/stubs-32.h, which 64-bit-only
# systems lack; an empty one is all they need.
if [ ! -f "$arch_include/gnu/stubs-32.h" ]; then
  stub_dir="$(mktemp -d)"
  trap 'rm -rf "$stub_dir"' EXIT
  mkdir -p "$stub_dir/gnu"
  : > "$stub_dir/gnu/stubs-32.h"
  extra_include=(-I"$stub_dir")
fi

out_dir="${PROGRAMS_OUT_DIR:-.}"
mkdir -p "$out_dir"
sources=("$@")
if [ ${#sources[@]} -eq 0 ]; then sources=(*.c); fi

for src in "${sources[@]}"; do
  obj="$out_dir/${src%.c}.o"
  # -fdebug-prefix-map keeps the build directory out of the object, so the
  # committed .o files do not depend on where the repository was cloned.
  clang -O2 -g -target bpf -Wall -Werror \
    -I"$arch_include" "${extra_include[@]}" \
    -fdebug-prefix-map="$PWD"=programs \
    -c "$src" -o "$obj"
  if [ "$out_dir" = "." ]; then echo "built programs/${obj#./}"; else echo "built $obj"; fi
done

#!/bin/bash
# Times the same event-queue code in C (native), WebAssembly (AssemblyScript) and TypeScript, alternating,
# three rounds: how much a faster language could buy the simulator's event loop. Needs cc; the wasm build
# fetches assemblyscript@0.28.20 with npx (skipped, said so, when that fails).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
ops=${1:-5000000}
cc -O2 -o "$out/queue-hold" "$here/queue-hold.c" -lm || { echo "engine-floor: no C compiler (cc), stopping"; exit 1; }
wasm=()
if npx --yes assemblyscript@0.28.20 asc "$here/assembly/queue-hold.ts" -O3 --noAssert --runtime stub -o "$out/queue-hold.wasm" >/dev/null 2>&1 ||
   npx --yes -p assemblyscript@0.28.20 asc "$here/assembly/queue-hold.ts" -O3 --noAssert --runtime stub -o "$out/queue-hold.wasm" >/dev/null 2>&1; then
  wasm=(--wasm "$out/queue-hold.wasm")
else
  echo "engine-floor: could not build the AssemblyScript version (npx assemblyscript@0.28.20), timing C and TypeScript only"
fi
for round in 1 2 3; do
  "$out/queue-hold" "$ops"
  node "$root/bin/run-ts.js" "$here/queue-hold.ts" "$ops" "${wasm[@]}"
done
rm -rf "$out"

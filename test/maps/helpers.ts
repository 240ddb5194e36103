// Small builders shared by the map tests.

import { createMap } from "../../src/maps/create.ts";
import type { CreateMapOptions } from "../../src/maps/create.ts";
import type { MapDef, SimMap } from "../../src/maps/types.ts";

export function u32(n: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n >>> 0, true);
  return bytes;
}

export function u64(n: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
  return bytes;
}

export function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function make(def: Partial<MapDef> & Pick<MapDef, "type">, opts?: CreateMapOptions): SimMap {
  return createMap({ name: "m", keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, ...def }, opts);
}

// Every key by following get_next_key from the start.
export function allKeys(map: SimMap): Uint8Array[] {
  const keys: Uint8Array[] = [];
  let key = map.sysGetNextKey(undefined);
  while (typeof key !== "number" && keys.length < 10_000) {
    keys.push(key);
    key = map.sysGetNextKey(key);
  }
  return keys;
}

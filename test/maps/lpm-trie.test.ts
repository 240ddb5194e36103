// LPM trie: the examples of Documentation/bpf/map_lpm_trie.rst and of the
// comments in kernel/bpf/lpm_trie.c, and a brute-force longest-prefix match
// over the inserted prefixes as a model.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/maps/bytes.ts";
import { Errno, errnoName } from "../../src/maps/errno.ts";
import { MapFlag } from "../../src/maps/flags.ts";
import { MapType, UpdateFlag } from "../../src/maps/types.ts";
import { allKeys, make, u32 } from "./helpers.ts";

// An IPv4 LPM key: u32 prefix length (host order) then the address in network order.
function ipv4Key(address: string, prefixLength: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setUint32(0, prefixLength, true);
  key.set(address.split(".").map(Number), 4);
  return key;
}

function ipv4Trie(maxEntries = 16) {
  return make({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries, flags: MapFlag.NO_PREALLOC });
}

describe("lpm_trie", () => {
  it("returns the most specific matching prefix", () => {
    const trie = ipv4Trie();
    trie.update(ipv4Key("192.168.0.0", 16), u32(1), 0, 0);
    trie.update(ipv4Key("192.168.1.0", 24), u32(2), 0, 0);
    expect(trie.lookup(ipv4Key("192.168.1.1", 32), 0)).toEqual(u32(2));
    expect(trie.lookup(ipv4Key("192.168.2.1", 32), 0)).toEqual(u32(1));
    expect(trie.lookup(ipv4Key("10.0.0.1", 32), 0)).toBeUndefined();
    // A lookup key's own prefix length bounds the match.
    expect(trie.lookup(ipv4Key("192.168.1.1", 20), 0)).toEqual(u32(1));
  });

  it("walks in postorder: 192.168.0.0/24, 192.168.1.0/24, 192.168.128.0/24, 192.168.0.0/16", () => {
    const trie = ipv4Trie();
    for (const [address, length] of [["192.168.0.0", 16], ["192.168.0.0", 24], ["192.168.128.0", 24], ["192.168.1.0", 24]] as const) {
      expect(trie.update(ipv4Key(address, length), u32(length), 0, 0)).toBe(0);
    }
    expect(allKeys(trie)).toEqual([ipv4Key("192.168.0.0", 24), ipv4Key("192.168.1.0", 24), ipv4Key("192.168.128.0", 24), ipv4Key("192.168.0.0", 16)]);
  });

  it("answers EINVAL for a prefix longer than the data, ENOSPC when full, EEXIST/ENOENT for the flags", () => {
    const trie = ipv4Trie(2);
    expect(trie.update(ipv4Key("10.0.0.0", 33), u32(1), 0, 0)).toBe(-Errno.EINVAL);
    expect(trie.update(ipv4Key("10.0.0.0", 8), u32(1), UpdateFlag.EXIST, 0)).toBe(-Errno.ENOENT);
    expect(trie.update(ipv4Key("10.0.0.0", 8), u32(1), UpdateFlag.NOEXIST, 0)).toBe(0);
    expect(trie.update(ipv4Key("10.9.9.9", 8), u32(2), UpdateFlag.NOEXIST, 0)).toBe(-Errno.EEXIST);
    expect(trie.update(ipv4Key("11.0.0.0", 8), u32(3), 0, 0)).toBe(0);
    expect(trie.update(ipv4Key("12.0.0.0", 8), u32(4), 0, 0)).toBe(-Errno.ENOSPC);
    // Replacing an existing prefix needs no room.
    expect(trie.update(ipv4Key("11.0.0.0", 8), u32(5), 0, 0)).toBe(0);
    expect(trie.delete(ipv4Key("11.0.0.0", 9))).toBe(-Errno.ENOENT);
    expect(trie.delete(ipv4Key("11.0.0.0", 40))).toBe(-Errno.EINVAL);
    expect(trie.delete(ipv4Key("11.0.0.0", 8))).toBe(0);
  });

  it("keeps the bits past the prefix as last written", () => {
    const trie = ipv4Trie();
    trie.update(ipv4Key("10.1.2.3", 8), u32(1), 0, 0);
    expect(allKeys(trie)).toEqual([ipv4Key("10.1.2.3", 8)]);
    trie.update(ipv4Key("10.0.0.0", 8), u32(2), 0, 0);
    expect(allKeys(trie)).toEqual([ipv4Key("10.0.0.0", 8)]);
  });
});

// ---- brute-force model

interface Prefix {
  readonly length: number;
  readonly address: number; // 32 bits
  readonly value: number;
}

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffff_ffff << (32 - length)) >>> 0;
}

function sameBits(a: number, b: number, length: number): boolean {
  return ((a ^ b) & maskOf(length)) >>> 0 === 0;
}

function keyOf(address: number, length: number): Uint8Array {
  const key = new Uint8Array(8);
  const view = new DataView(key.buffer);
  view.setUint32(0, length, true);
  view.setUint32(4, address >>> 0, false);
  return key;
}

// Postorder of the binary trie: a prefix after every longer prefix inside it, the 0 side before the 1 side.
function postorder(a: Prefix, b: Prefix): number {
  const common = Math.min(a.length, b.length);
  for (let bit = 0; bit < common; bit++) {
    const mask = 1 << (31 - bit);
    const aBit = (a.address & mask) !== 0 ? 1 : 0;
    const bBit = (b.address & mask) !== 0 ? 1 : 0;
    if (aBit !== bBit) return aBit - bBit;
  }
  return b.length - a.length;
}

const prefixArb = fc.record({
  length: fc.integer({ min: 0, max: 32 }),
  address: fc.constantFrom(0x0a000000, 0x0a010000, 0x0a018000, 0xc0a80000, 0xc0a80100, 0x00000000, 0xffffffff).chain((base) => fc.integer({ min: 0, max: 0xff }).map((low) => (base | low) >>> 0)),
  value: fc.nat(),
});

describe("lpm_trie against brute force", () => {
  it("matches the longest stored prefix, keeps flags and capacity, and walks in postorder", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("update", "delete", "lookup"), prefixArb, fc.constantFrom(0, 1, 2)), { maxLength: 60 }),
        (ops) => {
          const maxEntries = 10;
          const trie = ipv4Trie(maxEntries);
          const model: Prefix[] = [];
          const log: string[] = [];
          for (const [name, prefix, flags] of ops) {
            const key = keyOf(prefix.address, prefix.length);
            const at = model.findIndex((p) => p.length === prefix.length && sameBits(p.address, prefix.address, p.length));
            log.push(`${name} ${toHex(key)} flags ${flags}`);
            if (name === "update") {
              const expected =
                at >= 0 && flags === UpdateFlag.NOEXIST ? -Errno.EEXIST
                : at < 0 && flags === UpdateFlag.EXIST ? -Errno.ENOENT
                : at < 0 && model.length >= maxEntries ? -Errno.ENOSPC
                : 0;
              if (expected === 0 && at >= 0) model[at] = prefix;
              else if (expected === 0) model.push(prefix);
              const actual = trie.update(key, u32(prefix.value), flags, 0);
              expect(errnoName(actual), log.join("\n")).toBe(errnoName(expected));
            } else if (name === "delete") {
              if (at >= 0) model.splice(at, 1);
              expect(trie.delete(key), log.join("\n")).toBe(at >= 0 ? 0 : -Errno.ENOENT);
            } else {
              const best = model
                .filter((p) => p.length <= prefix.length && sameBits(p.address, prefix.address, p.length))
                .sort((a, b) => b.length - a.length)[0];
              expect(trie.lookup(key, 0), log.join("\n")).toEqual(best === undefined ? undefined : u32(best.value));
            }
          }
          const walked = allKeys(trie).map(toHex);
          const expectedOrder = [...model].sort(postorder).map((p) => toHex(keyOf(p.address, p.length)));
          expect(walked, log.join("\n")).toEqual(expectedOrder);
        },
      ),
      { numRuns: 300 },
    );
  });
});

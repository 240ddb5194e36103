// Map commands against the real kernel: round trips, the errnos the kernel
// documents for each map kind (kernel/bpf/hashtab.c, arraymap.c, lpm_trie.c),
// iteration with get_next_key and per-CPU values.
import { describe, expect, it } from "vitest";
import { OffloadSimError } from "../../src/errors.ts";
import { MapType, UpdateFlag, type MapDef } from "../../src/maps/types.ts";
import { KernelError, withKernel, type KernelSession } from "../../src/kernel/index.ts";
import { MapFlag } from "../../src/kernel/uapi.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { readU32le, u32le } from "./hand-asm.ts";

const hashDef: MapDef = { name: "hash", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
const value8 = (fill: number): Uint8Array => new Uint8Array(8).fill(fill);
const keyHex = (key: Uint8Array): string => Buffer.from(key).toString("hex");

function errnoOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof KernelError) return error.errnoName;
    throw error;
  }
  return "no error";
}

describe.skipIf(!kernelAvailable)("kernel maps", () => {
  describe("hash", () => {
    it("stores, finds, replaces and deletes a value", async () => {
      await withKernel((k) => {
        const map = k.createMap(hashDef);
        expect(k.lookup(map, u32le(1))).toBeUndefined();
        k.update(map, u32le(1), value8(0xaa));
        expect(k.lookup(map, u32le(1))).toEqual(value8(0xaa));
        k.update(map, u32le(1), value8(0xbb), UpdateFlag.EXIST);
        expect(k.lookup(map, u32le(1))).toEqual(value8(0xbb));
        k.delete(map, u32le(1));
        expect(k.lookup(map, u32le(1))).toBeUndefined();
      });
    });

    it("answers EEXIST for NOEXIST on a present key and ENOENT for EXIST on an absent one", async () => {
      await withKernel((k) => {
        const map = k.createMap(hashDef);
        k.update(map, u32le(1), value8(1), UpdateFlag.NOEXIST);
        expect(errnoOf(() => k.update(map, u32le(1), value8(2), UpdateFlag.NOEXIST))).toBe("EEXIST");
        expect(errnoOf(() => k.update(map, u32le(2), value8(2), UpdateFlag.EXIST))).toBe("ENOENT");
        // The failed updates changed nothing.
        expect(k.lookup(map, u32le(1))).toEqual(value8(1));
        expect(k.lookup(map, u32le(2))).toBeUndefined();
      });
    });

    it("answers ENOENT when deleting an absent key and E2BIG when full", async () => {
      await withKernel((k) => {
        const map = k.createMap(hashDef);
        expect(errnoOf(() => k.delete(map, u32le(9)))).toBe("ENOENT");
        for (let key = 0; key < hashDef.maxEntries; key++) k.update(map, u32le(key), value8(key));
        expect(errnoOf(() => k.update(map, u32le(100), value8(0)))).toBe("E2BIG");
        // Replacing an existing key in a full map is still allowed.
        k.update(map, u32le(0), value8(7));
        expect(k.lookup(map, u32le(0))).toEqual(value8(7));
      });
    });

    it("visits every key exactly once with get_next_key, then reports the end", async () => {
      await withKernel((k) => {
        const map = k.createMap({ ...hashDef, maxEntries: 16 });
        const inserted = [3, 1, 4, 15, 9, 2, 6];
        for (const key of inserted) k.update(map, u32le(key), value8(key));
        const seen: number[] = [];
        for (let key = k.nextKey(map, undefined); key !== undefined; key = k.nextKey(map, key)) seen.push(readU32le(key));
        expect([...seen].sort((a, b) => a - b)).toEqual([...inserted].sort((a, b) => a - b));
        const dump = k.dumpMap(map);
        expect(dump.perCpu).toBe(false);
        if (!dump.perCpu) {
          for (const entry of dump.entries) expect(entry.value).toEqual(value8(readU32le(entry.key)));
          expect(dump.entries).toHaveLength(inserted.length);
        }
      });
    });

    it("rejects a key or value of the wrong size before calling the kernel", async () => {
      await withKernel((k) => {
        const map = k.createMap(hashDef);
        expect(() => k.update(map, new Uint8Array(3), value8(0))).toThrow(/key for map 'hash' is 3 bytes, but the map's key size is 4/);
        expect(() => k.update(map, u32le(0), new Uint8Array(9))).toThrow(OffloadSimError);
      });
    });
  });

  describe("array", () => {
    const arrayDef: MapDef = { name: "array", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, flags: 0 };

    it("holds a zeroed value at every index from creation, in index order", async () => {
      await withKernel((k) => {
        const map = k.createMap(arrayDef);
        k.update(map, u32le(1), u32le(0xdeadbeef));
        const dump = k.dumpMap(map);
        expect(dump.perCpu).toBe(false);
        if (!dump.perCpu) {
          expect(dump.entries.map((e) => [readU32le(e.key), readU32le(e.value)])).toEqual([
            [0, 0],
            [1, 0xdeadbeef],
            [2, 0],
          ]);
        }
      });
    });

    it("answers E2BIG past max_entries, EEXIST for NOEXIST and EINVAL for delete", async () => {
      await withKernel((k) => {
        const map = k.createMap(arrayDef);
        expect(errnoOf(() => k.update(map, u32le(3), u32le(1)))).toBe("E2BIG");
        expect(errnoOf(() => k.update(map, u32le(0), u32le(1), UpdateFlag.NOEXIST))).toBe("EEXIST");
        expect(errnoOf(() => k.delete(map, u32le(0)))).toBe("EINVAL");
        expect(k.lookup(map, u32le(3))).toBeUndefined();
      });
    });
  });

  describe("per-CPU", () => {
    const distinctPerCpu = (k: KernelSession, base: number): Uint8Array[] =>
      Array.from({ length: k.cpuCount }, (_, cpu) => u32le(base + cpu * 0x01010101));

    it("keeps one value per possible CPU in a per-CPU array (value size not a multiple of 8)", async () => {
      await withKernel((k) => {
        const map = k.createMap({ name: "pcpu_arr", type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
        const values = distinctPerCpu(k, 0x11000000);
        k.updatePerCpu(map, u32le(1), values);
        expect(k.lookupPerCpu(map, u32le(1))).toEqual(values);
        expect(k.lookupPerCpu(map, u32le(0))).toEqual(values.map(() => new Uint8Array(4)));
        expect(() => k.lookup(map, u32le(1))).toThrow(/per-CPU: use lookupPerCpu/);
      });
    });

    it("dumps a per-CPU hash with every CPU's value", async () => {
      await withKernel((k) => {
        const map = k.createMap({ name: "pcpu_hash", type: MapType.PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
        const values = Array.from({ length: k.cpuCount }, (_, cpu) => value8(cpu + 1));
        k.updatePerCpu(map, u32le(5), values);
        const dump = k.dumpMap(map);
        expect(dump).toEqual({ perCpu: true, entries: [{ key: u32le(5), values }] });
        expect(() => k.updatePerCpu(map, u32le(6), values.slice(1))).toThrow(/values were given/);
      });
    });
  });

  describe("LRU hash", () => {
    it("never holds more than max_entries and keeps the newest key", async () => {
      await withKernel((k) => {
        const map = k.createMap({ ...hashDef, name: "lru", type: MapType.LRU_HASH, maxEntries: 8 });
        for (let key = 0; key < 64; key++) k.update(map, u32le(key), value8(key & 0xff));
        const dump = k.dumpMap(map);
        if (dump.perCpu) throw new Error("an LRU hash is not per-CPU");
        expect(dump.entries.length).toBeGreaterThan(0);
        expect(dump.entries.length).toBeLessThanOrEqual(8);
        expect(k.lookup(map, u32le(63))).toEqual(value8(63));
        for (const entry of dump.entries) expect(entry.value).toEqual(value8(readU32le(entry.key)));
      });
    });

    it("has the hash's update flag semantics", async () => {
      await withKernel((k) => {
        const map = k.createMap({ ...hashDef, name: "lru", type: MapType.LRU_HASH, maxEntries: 8 });
        k.update(map, u32le(1), value8(1));
        expect(errnoOf(() => k.update(map, u32le(1), value8(2), UpdateFlag.NOEXIST))).toBe("EEXIST");
        expect(errnoOf(() => k.update(map, u32le(2), value8(2), UpdateFlag.EXIST))).toBe("ENOENT");
      });
    });
  });

  describe("LPM trie", () => {
    // struct bpf_lpm_trie_key: a host-order u32 prefix length, then the address in network order.
    const lpmKey = (prefixLength: number, address: readonly number[]): Uint8Array => new Uint8Array([...u32le(prefixLength), ...address]);
    const lpmDef: MapDef = { name: "routes", type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 16, flags: MapFlag.NO_PREALLOC };

    it("finds the longest matching prefix on lookup", async () => {
      await withKernel((k) => {
        const map = k.createMap(lpmDef);
        k.update(map, lpmKey(8, [10, 0, 0, 0]), u32le(1));
        k.update(map, lpmKey(16, [10, 1, 0, 0]), u32le(2));
        k.update(map, lpmKey(24, [192, 168, 1, 0]), u32le(3));
        const route = (address: number[]): number | undefined => {
          const value = k.lookup(map, lpmKey(32, address));
          return value === undefined ? undefined : readU32le(value);
        };
        expect(route([10, 1, 2, 3])).toBe(2);
        expect(route([10, 200, 0, 1])).toBe(1);
        expect(route([192, 168, 1, 77])).toBe(3);
        expect(route([192, 168, 2, 1])).toBeUndefined();
        expect(route([11, 0, 0, 1])).toBeUndefined();
        const dump = k.dumpMap(map);
        if (dump.perCpu) throw new Error("an LPM trie is not per-CPU");
        expect(dump.entries.map((e) => keyHex(e.key)).sort()).toEqual(
          [lpmKey(8, [10, 0, 0, 0]), lpmKey(16, [10, 1, 0, 0]), lpmKey(24, [192, 168, 1, 0])].map(keyHex).sort(),
        );
        k.delete(map, lpmKey(16, [10, 1, 0, 0]));
        expect(route([10, 1, 2, 3])).toBe(1);
      });
    });

    it("is refused without BPF_F_NO_PREALLOC, with a hint", async () => {
      await withKernel((k) => {
        expect(() => k.createMap({ ...lpmDef, flags: 0 })).toThrow(/BPF_MAP_CREATE\) of map 'routes' failed with EINVAL: an LPM trie needs BPF_F_NO_PREALLOC/);
      });
    });
  });

  describe("maps of maps and names", () => {
    it("creates an array of maps from its inner template and stores an inner map by fd", async () => {
      await withKernel((k) => {
        const inner: MapDef = { name: "inner", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 };
        const before = k.openFds.length;
        const outer = k.createMap({ name: "outer", type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, inner });
        // The template inner map was closed once the outer map existed.
        expect(k.openFds.length).toBe(before + 1);
        const member = k.createMap(inner);
        k.setInnerMap(outer, u32le(0), member);
        // From user space, an array of maps answers with the inner map's id.
        expect(readU32le(k.lookup(outer, u32le(0))!)).toBe(k.mapInfo(member).id);
      });
    });

    it("refuses to dump a ring buffer, which has no keys to iterate", async () => {
      await withKernel((k) => {
        const ringbuf = k.createMap({ name: "events", type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 });
        expect(() => k.dumpMap(ringbuf)).toThrow(/map 'events' \(map type 27\) cannot be read key by key/);
      });
    });

    it("gives the kernel a name it accepts and reports the map's definition back", async () => {
      await withKernel((k) => {
        const map = k.createMap({ ...hashDef, name: "my-counters:v2" });
        expect(k.mapInfo(map)).toMatchObject({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: "my_counters_v2" });
      });
    });
  });
});

describe.skipIf(!kernelAvailable)("errno after each syscall", () => {
  it("is the errno of that very call, over many alternating failures", async () => {
    await withKernel((k) => {
      const map = k.createMap(hashDef);
      k.update(map, u32le(1), value8(1));
      const rounds = 500;
      const errnos: string[] = [];
      let garbageObjects = 0;
      for (let i = 0; i < rounds; i++) {
        // Garbage between the calls gives the collector a reason to run.
        garbageObjects += Array.from({ length: 200 }, (_, j) => ({ i, j })).length;
        errnos.push(errnoOf(() => k.update(map, u32le(1), value8(2), UpdateFlag.NOEXIST)));
        errnos.push(errnoOf(() => k.delete(map, u32le(2))));
        errnos.push(errnoOf(() => k.update(map, u32le(3), value8(3), UpdateFlag.EXIST)));
      }
      expect(garbageObjects).toBe(rounds * 200);
      expect(errnos).toEqual(Array.from({ length: rounds }, () => ["EEXIST", "ENOENT", "ENOENT"]).flat());
    });
  });
});

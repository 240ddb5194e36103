// Dumps of large arrays are remembered by content, and diffs of equal listings
// take a short path; neither may hide a change. Found on realworld3's
// l4_balancer.o, whose consistent-hash ring is one array of 4 x 65,537 slots:
// `equiv` dumped and diffed it entry by entry on both sides of every case
// (30 s for 10 cases, more than 10 minutes for --runs 200).
import { describe, expect, it } from "vitest";
import { createMap, diffDumps, dumpMap, MapType, type MapDef } from "../../src/maps/index.ts";
import { u32Bytes } from "../../src/maps/bytes.ts";

const ring: MapDef = { name: "ch_rings", type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 * 65_537, flags: 0 };
const key = (index: number): Uint8Array => Uint8Array.of(index & 0xff, (index >> 8) & 0xff, (index >> 16) & 0xff, index >>> 24);

describe("dumps of a 262,148-slot array", () => {
  it("list every index, and a change made after an earlier dump shows in the next one", () => {
    const map = createMap(ring);
    const before = dumpMap(map);
    expect(before.entries).toHaveLength(262_148);
    expect(before.entries[70_000]).toEqual({ key: "70110100", value: "00000000" });
    map.update(key(70_000), Uint8Array.of(7, 0, 0, 0), 0, 0);
    const after = dumpMap(map);
    expect(after.entries[70_000]).toEqual({ key: "70110100", value: "07000000" });
    const diff = diffDumps(before, after);
    expect(diff.identical).toBe(false);
    expect(diff.changed.map((c) => c.key)).toEqual(["70110100"]);
  });

  it("of two copies with the same contents are identical; one byte apart they are not", () => {
    const a = createMap(ring);
    a.update(key(3), Uint8Array.of(1, 2, 3, 4), 0, 0);
    const b = a.clone();
    expect(diffDumps(dumpMap(a), dumpMap(b)).identical).toBe(true);
    b.update(key(262_147), Uint8Array.of(0, 0, 0, 1), 0, 0);
    const diff = diffDumps(dumpMap(a), dumpMap(b));
    expect(diff.changed).toEqual([{ key: "03000400", before: { key: "03000400", value: "00000000" }, after: { key: "03000400", value: "00000001" } }]);
  });

  it("of per-CPU arrays keep the CPUs apart", () => {
    const def: MapDef = { ...ring, name: "stats", type: MapType.PERCPU_ARRAY, maxEntries: 8192 };
    const two = createMap(def, { cpus: 2 });
    const three = createMap(def, { cpus: 3 });
    expect(dumpMap(two).entries[0].percpu).toEqual(["00000000", "00000000"]);
    expect(dumpMap(three).entries[0].percpu).toEqual(["00000000", "00000000", "00000000"]);
  });
});

describe("u32Bytes", () => {
  it("writes little-endian", () => {
    expect([...u32Bytes(0x01020304)]).toEqual([4, 3, 2, 1]);
    expect([...u32Bytes(0xffffffff)]).toEqual([255, 255, 255, 255]);
    expect([...u32Bytes(-1)]).toEqual([255, 255, 255, 255]);
  });
});

// Lookups in maps of maps, on both host tiers. In the kernel
// (kernel/bpf/arraymap.c array_of_map_lookup_elem, hashtab.c
// htab_of_map_lookup_elem) such a lookup returns the inner map's own pointer,
// or NULL for an empty slot or a key past an array's end; the verifier types
// it as a pointer to that map (CONST_PTR_TO_MAP once null-checked), so the
// program can only hand it to map helpers: a load or store through it is
// refused. Expectations are counted by hand from the programs below.
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/ebpf/asm.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { runTier, type Tier } from "../../src/interp/compile.ts";
import type { RunResult } from "../../src/interp/env.ts";
import { createMap } from "../../src/maps/create.ts";
import { ArrayOfMaps, HashOfMaps } from "../../src/maps/map-in-map.ts";
import { MapType, UpdateFlag, type BpfMap, type MapDef, type SimMap } from "../../src/maps/types.ts";
import { XdpAction } from "../../src/xdp/layout.ts";
import { runXdp } from "../../src/xdp/run-xdp.ts";

const TIERS: readonly Tier[] = ["reference", "compiled"];
const EEXIST = BigInt.asUintN(64, -17n);
const ENOENT = BigInt.asUintN(64, -2n);

const u32 = (n: number): Uint8Array<ArrayBuffer> => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const u64 = (n: bigint): Uint8Array => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, n, true);
  return bytes;
};
const readU64 = (map: BpfMap, key: number): bigint => {
  const value = (map as SimMap).sysLookup(u32(key));
  if (typeof value === "number") throw new Error(`map '${map.def.name}' has no key ${key} (errno ${value})`);
  return new DataView(value.buffer, value.byteOffset).getBigUint64(0, true);
};

const COUNTS: MapDef = { name: "counts", type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
const OUTER: MapDef = { name: "per_queue", type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, inner: COUNTS };

// The run's maps: the outer array of maps (map 0) and one inner array (map 1); two more inner
// arrays the run does not list. Slots: 0 -> listed, 1 -> unlisted, 3 -> other, 2 empty.
function perQueueMaps(): { readonly maps: BpfMap[]; readonly listed: SimMap; readonly unlisted: SimMap; readonly other: SimMap } {
  const outer = createMap(OUTER) as ArrayOfMaps;
  const listed = createMap({ ...COUNTS, name: "listed" });
  const unlisted = createMap({ ...COUNTS, name: "unlisted" });
  const other = createMap({ ...COUNTS, name: "other" });
  for (const [slot, inner] of [[0, listed], [1, unlisted], [3, other]] as const) expect(outer.setInner(u32(slot), inner, UpdateFlag.ANY)).toBe(0);
  return { maps: [outer, listed], listed, unlisted, other };
}

// The slot is the u32 at the input; r0 = the inner map's count at key 0 after adding one,
// 100 when the outer lookup is NULL, 200 when the inner one is.
const COUNT_INTO_SLOT = assemble(`
  r6 = r1
  r1 = *(u32 *)(r6 + 0)
  *(u32 *)(r10 - 4) = r1
  ld_pseudo r1, 5, 0
  r2 = r10
  r2 += -4
  call 1
  if r0 == 0 goto no_inner
  r7 = r0
  *(u32 *)(r10 - 8) = 0
  r1 = r7
  r2 = r10
  r2 += -8
  call 1
  if r0 == 0 goto no_value
  r1 = *(u64 *)(r0 + 0)
  r1 += 1
  *(u64 *)(r0 + 0) = r1
  r0 = r1
  exit
no_inner:
  r0 = 100
  exit
no_value:
  r0 = 200
  exit
`);

const runOn = (tier: Tier, program: Program, maps: readonly BpfMap[], input = new Uint8Array(8)): RunResult =>
  runTier(tier, program, { maps, input: { kind: "memory", bytes: input } });

const exitValue = (result: RunResult): bigint => {
  if (result.kind !== "exit") throw new Error(result.message);
  return result.r0;
};

describe.each(TIERS)("a lookup in an array of maps (%s tier)", (tier) => {
  it("picks the inner map by key and counts into it; an empty slot and a key past the end are NULL", () => {
    const { maps, listed, unlisted, other } = perQueueMaps();
    const slots = [0, 1, 1, 3, 2, 0, 7];
    const returned = slots.map((slot) => exitValue(runOn(tier, COUNT_INTO_SLOT, maps, u32(slot))));
    // listed: 1, 2; unlisted: 1, 2; other: 1; slots 2 (empty) and 7 (past max_entries 4): NULL.
    expect(returned).toEqual([1n, 1n, 2n, 1n, 100n, 2n, 100n]);
    expect([readU64(listed, 0), readU64(unlisted, 0), readU64(other, 0)]).toEqual([2n, 2n, 1n]);
    // Nothing else was written: key 1 of every inner map is still zero.
    expect([readU64(listed, 1), readU64(unlisted, 1), readU64(other, 1)]).toEqual([0n, 0n, 0n]);
  });

  it("returns the same pointer as the ld_imm64 of that map, and one pointer per inner map", () => {
    const { maps } = perQueueMaps();
    // r6 = lookup(0), r7 = lookup(1), r8 = lookup(1) again, r9 = lookup(3); r1 = &map 1 (listed).
    // r0 = 1 when r6 == r1, r7 == r8, r7 != r9 and r7 != r6; 0 otherwise.
    const lookup = (slot: number, into: string): string => `
      *(u32 *)(r10 - 4) = ${slot}
      ld_pseudo r1, 5, 0
      r2 = r10
      r2 += -4
      call 1
      ${into} = r0`;
    const program = assemble(`
      ${lookup(0, "r6")}
      ${lookup(1, "r7")}
      ${lookup(1, "r8")}
      ${lookup(3, "r9")}
      r0 = 0
      ld_pseudo r1, 5, 1
      if r6 != r1 goto out
      if r7 != r8 goto out
      if r7 == r9 goto out
      if r7 == r6 goto out
      if r7 == 0 goto out
      r0 = 1
    out:
      exit
    `);
    expect(exitValue(runOn(tier, program, maps))).toBe(1n);
  });

  it("faults on a load through the inner map's pointer, at that instruction", () => {
    const { maps } = perQueueMaps();
    const program = assemble(`
      *(u32 *)(r10 - 4) = 1
      ld_pseudo r1, 5, 0
      r2 = r10
      r2 += -4
      call 1
      if r0 == 0 goto out
      r0 = *(u64 *)(r0 + 0)
    out:
      exit
    `);
    const result = runOn(tier, program, maps);
    expect(result).toMatchObject({ kind: "fault", pc: 7, fault: { kind: "memory", access: "read", region: "map", regionLabel: "map 'unlisted' (a handle, not memory)" } });
  });

  it("faults on a store through the inner map's pointer", () => {
    const { maps, unlisted } = perQueueMaps();
    const program = assemble(`
      *(u32 *)(r10 - 4) = 1
      ld_pseudo r1, 5, 0
      r2 = r10
      r2 += -4
      call 1
      if r0 == 0 goto out
      *(u64 *)(r0 + 0) = 5
    out:
      exit
    `);
    expect(runOn(tier, program, maps)).toMatchObject({ kind: "fault", pc: 7, fault: { kind: "memory", access: "write", region: "map" } });
    expect(readU64(unlisted, 0)).toBe(0n);
  });

  it("iterates the inner map with bpf_for_each_map_elem, the callback's r1 being the inner map", () => {
    const { maps, unlisted } = perQueueMaps();
    expect(unlisted.sysUpdate(u32(0), u64(5n), UpdateFlag.ANY)).toBe(0);
    expect(unlisted.sysUpdate(u32(2), u64(6n), UpdateFlag.ANY)).toBe(0);
    // sum += *value per element; the callback adds 1000 when its r1 is not the map the helper was given (r6).
    // r0 = calls + sum: 4 elements (an array visits every index), values 5 + 0 + 6 + 0.
    const program = assemble(`
      *(u32 *)(r10 - 4) = 1
      ld_pseudo r1, 5, 0
      r2 = r10
      r2 += -4
      call 1
      if r0 == 0 goto out
      r6 = r0
      *(u64 *)(r10 - 16) = 0
      *(u64 *)(r10 - 24) = r6
      r1 = r6
      ld_pseudo r2, 4, 9
      r3 = r10
      r3 += -24
      r4 = 0
      call 164
      r1 = *(u64 *)(r10 - 16)
      r0 += r1
    out:
      exit
      exit
    callback:
      r0 = *(u64 *)(r3 + 0)
      r5 = *(u64 *)(r4 + 8)
      r5 += r0
      r0 = *(u64 *)(r4 + 0)
      if r0 == r1 goto same
      r5 += 1000
    same:
      *(u64 *)(r4 + 8) = r5
      r0 = 0
      exit
    `);
    expect(exitValue(runOn(tier, program, maps))).toBe(4n + 11n);
  });
});

describe.each(TIERS)("a lookup in a hash of maps (%s tier)", (tier) => {
  const INNER: MapDef = { name: "tenant", type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 };
  const TENANTS: MapDef = { name: "per_tenant", type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0, inner: INNER };
  const tenantMaps = (): { readonly maps: BpfMap[]; readonly inner: SimMap } => {
    const outer = createMap(TENANTS) as HashOfMaps;
    const inner = createMap(INNER);
    expect(outer.setInner(u32(42), inner, UpdateFlag.ANY)).toBe(0);
    return { maps: [outer], inner };
  };
  // r0 = the result of `operation` on the inner map at tenant key `tenant` (r1 = the inner map,
  // r2 = &7, r3 = &99, r4 = the flags), or 100 when the tenant has none.
  const onTenant = (tenant: number, operation: string): Program =>
    assemble(`
      *(u32 *)(r10 - 4) = ${tenant}
      ld_pseudo r1, 5, 0
      r2 = r10
      r2 += -4
      call 1
      if r0 == 0 goto none
      r1 = r0
      *(u32 *)(r10 - 8) = 7
      *(u64 *)(r10 - 16) = 99
      r2 = r10
      r2 += -8
      r3 = r10
      r3 += -16
      ${operation}
      exit
    none:
      r0 = 100
      exit
    `);

  it("updates and deletes in the inner map through the returned pointer, with the inner map's errnos", () => {
    const { maps, inner } = tenantMaps();
    const insert = onTenant(42, `r4 = ${UpdateFlag.NOEXIST}\n call 2`);
    const remove = onTenant(42, "call 3");
    expect(exitValue(runOn(tier, insert, maps))).toBe(0n);
    expect(readU64(inner, 7)).toBe(99n);
    expect(exitValue(runOn(tier, insert, maps))).toBe(EEXIST);
    expect(exitValue(runOn(tier, remove, maps))).toBe(0n);
    expect(inner.sysLookup(u32(7))).toBe(-2);
    expect(exitValue(runOn(tier, remove, maps))).toBe(ENOENT);
  });

  it("returns NULL for a tenant without an inner map", () => {
    expect(exitValue(runOn(tier, onTenant(43, "call 3"), tenantMaps().maps))).toBe(100n);
  });
});

describe.each(TIERS)("bpf_redirect_map through an inner devmap (%s tier)", (tier) => {
  const PORTS: MapDef = { name: "ports", type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 };
  const BY_VLAN: MapDef = { name: "by_vlan", type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, inner: PORTS };

  it("redirects to the device in the inner map's slot", () => {
    const outer = createMap(BY_VLAN) as ArrayOfMaps;
    const ports = createMap(PORTS);
    // struct bpf_devmap_val: ifindex 7 at slot 1.
    expect(ports.sysUpdate(u32(1), u32(7), UpdateFlag.ANY)).toBe(0);
    expect(outer.setInner(u32(1), ports, UpdateFlag.ANY)).toBe(0);
    const program = assemble(`
      *(u32 *)(r10 - 4) = 1
      ld_pseudo r1, 5, 0
      r2 = r10
      r2 += -4
      call 1
      r1 = r0
      r0 = ${XdpAction.ABORTED}
      if r1 == 0 goto out
      r2 = 1
      r3 = ${XdpAction.PASS}
      call 51
    out:
      exit
    `);
    const out = runXdp(program, new Uint8Array(64), [outer], { tier });
    expect(out.action).toBe(XdpAction.REDIRECT);
    expect(out.redirect).toMatchObject({ kind: "map", map: "ports", key: 1, target: { kind: "device", ifindex: 7 } });
  });
});

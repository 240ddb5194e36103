// Helper and map semantics against the kernel: small hand-written XDP
// programs that call one helper with arguments taken from the packet, run
// through the kernel-check harness on sequences of packets drawn by
// fast-check. After every packet the return value, the output frame and
// every map must be the kernel's. A failure prints the harness's report
// (packet hex, both outcomes, trace) and the program's listing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listing } from "../../src/ebpf/index.ts";
import type { BpfObject } from "../../src/elf/bpf-object.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { MapFlag, MapType, type MapDef } from "../../src/maps/index.ts";
import { kernelCheck, type MapSource } from "../../src/oracle/kernel-check.ts";
import { formatKernelCheck } from "../../src/oracle/kernel-check-report.ts";
import type { TestPacket } from "../../src/oracle/packet-generator.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";
import { frame, handObject, le } from "./hand-object.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
// The type of the values an arbitrary draws.
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

async function expectAgreement(object: BpfObject, packets: readonly TestPacket[], maps: readonly MapSource[] = []): Promise<void> {
  const report = await withKernel((k) => kernelCheck(k, { object, maps, packets, traceSteps: 40 }));
  expect(report.kind, `${formatKernelCheck(report, object.fileName)}\nprogram:\n${listing(object.programs[0].insns)}`).toBe("agree");
}

interface SequenceSettings {
  // Packets in one sequence, at most.
  readonly maxPackets: number;
  readonly numRuns: number;
  readonly maps?: readonly MapSource[];
}

// fast-check draws sequences of cases, each case one packet: the kernel and the interpreter
// must agree on every packet of a sequence, run in order on the same maps.
async function expectAgreementOnSequences<Case>(object: BpfObject, caseArb: fc.Arbitrary<Case>, toPacket: (c: Case) => TestPacket, settings: SequenceSettings): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: settings.maxPackets }), async (cases) => expectAgreement(object, cases.map(toPacket), settings.maps)),
    { numRuns: settings.numRuns },
  );
}

// The programs' prologue: r1 = data, r2 = data_end; XDP_PASS (at `out`) unless the packet holds `bytes` bytes.
const packetHolds = (bytes: number): string => `
  r2 = *(u32 *)(r1 + 4)
  r1 = *(u32 *)(r1 + 0)
  r3 = r1
  r3 += ${bytes}
  r0 = 2
  if r3 > r2 goto out`;

// ---- map update flags, errnos, LRU eviction, LPM matches ----

// Packet after the Ethernet header: op (0 update, 1 delete, 2 lookup) at 14, key at 16 (8 bytes),
// value at 24, flags at 32. Returns the helper's result; a lookup returns the value's low 32 bits or 0xdead.
const MAP_OPS = `
  r6 = r1${packetHolds(40)}
  r7 = *(u8 *)(r1 + 14)
  r3 = *(u64 *)(r1 + 16)
  *(u64 *)(r10 - 8) = r3
  r3 = *(u64 *)(r1 + 24)
  *(u64 *)(r10 - 16) = r3
  r4 = *(u64 *)(r1 + 32)
  ld_pseudo r1, 5, 0
  r2 = r10
  r2 += -8
  if r7 == 1 goto delete
  if r7 == 2 goto lookup
  r3 = r10
  r3 += -16
  call 2
  goto out
delete:
  call 3
  goto out
lookup:
  call 1
  if r0 == 0 goto miss
  r0 = *(u32 *)(r0 + 0)
  goto out
miss:
  r0 = 0xdead
out:
  exit
`;

interface MapOp {
  readonly op: 0 | 1 | 2;
  readonly key: bigint;
  readonly value: bigint;
  readonly flags: bigint;
}

function mapOpPacket(op: MapOp, keyBytes: number): TestPacket {
  const body = new Uint8Array(26);
  body[0] = op.op;
  body.set(le(op.key, keyBytes), 2);
  body.set(le(op.value, 8), 10);
  body.set(le(op.flags, 8), 18);
  const names = ["update", "delete", "lookup"];
  return { packet: frame(body, 60), label: `${names[op.op]} key 0x${op.key.toString(16)} value 0x${op.value.toString(16)} flags ${op.flags}` };
}

// Flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST, both (invalid), BPF_F_LOCK (no spin lock: invalid), other bits.
const flagsArb = fc.oneof({ arbitrary: fc.constantFrom(0n, 1n, 2n), weight: 6 }, { arbitrary: fc.constantFrom(3n, 4n, 5n, 8n, 1n << 32n), weight: 1 });

const mapOp = (keys: fc.Arbitrary<bigint>): fc.Arbitrary<MapOp> =>
  fc.record({ op: fc.constantFrom<0 | 1 | 2>(0, 0, 0, 1, 2, 2), key: keys, value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), flags: flagsArb });

const SMALL_KEYS = fc.bigInt({ min: 0n, max: 9n });
const RUNS = 12;
const OPS = 80;

function mapKind(name: string, def: MapDef, keys: fc.Arbitrary<bigint>): void {
  it(`${name}: update flags and their errnos, deletes and lookups`, async () => {
    const object = handObject(`map_ops_${name}`, MAP_OPS, [def]);
    await expectAgreementOnSequences(object, mapOp(keys), (op) => mapOpPacket(op, def.keySize), { maxPackets: OPS, numRuns: RUNS });
  });
}

describe.skipIf(!kernelAvailable)("map helpers in the kernel and in the interpreter", () => {
  const base = { keySize: 8, valueSize: 8, flags: 0 };
  mapKind("hash", { name: "m", type: MapType.HASH, ...base, maxEntries: 6 }, SMALL_KEYS);
  mapKind("array", { name: "m", type: MapType.ARRAY, ...base, keySize: 4, maxEntries: 6 }, SMALL_KEYS);
  mapKind("percpu_hash", { name: "m", type: MapType.PERCPU_HASH, ...base, maxEntries: 6 }, SMALL_KEYS);
  mapKind("percpu_array", { name: "m", type: MapType.PERCPU_ARRAY, ...base, keySize: 4, maxEntries: 6 }, SMALL_KEYS);
  // LRU eviction order: with the thread pinned to one CPU the kernel's choice of victim is deterministic.
  mapKind("lru_hash", { name: "m", type: MapType.LRU_HASH, ...base, maxEntries: 8 }, fc.bigInt({ min: 0n, max: 40n }));
  mapKind("lru_hash_no_common_lru", { name: "m", type: MapType.LRU_HASH, ...base, maxEntries: 8, flags: MapFlag.NO_COMMON_LRU }, fc.bigInt({ min: 0n, max: 40n }));
  mapKind("lru_percpu_hash", { name: "m", type: MapType.LRU_PERCPU_HASH, ...base, maxEntries: 8 }, fc.bigInt({ min: 0n, max: 40n }));
  // LPM keys: u32 prefix length (0..32, and invalid ones above), then an IPv4 address; lookups match the longest prefix.
  const lpmKeys = fc
    .record({ length: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 32 }), weight: 9 }, { arbitrary: fc.constantFrom(33, 64, 255), weight: 1 }), address: fc.constantFrom(0x0a000000, 0x0a010000, 0x0a010200, 0x0a010203, 0xc0000280, 0xc00002c8, 0) })
    .map(({ length, address }) => BigInt(length) | (BigInt(((address >>> 24) | ((address >>> 8) & 0xff00) | ((address << 8) & 0xff0000) | (address << 24)) >>> 0) << 32n));
  mapKind("lpm_trie", { name: "m", type: MapType.LPM_TRIE, ...base, maxEntries: 6, flags: MapFlag.NO_PREALLOC }, lpmKeys);
});

// ---- xdp_adjust_head / xdp_adjust_tail / xdp_adjust_meta ----

// Packet after the Ethernet header: deltas (s32) for head at 14, tail at 18, meta at 22, and the
// order at 26 (0: head, tail, meta; 1: meta, head, tail). Returns the three results' low bytes.
const ADJUST = `
  r6 = r1${packetHolds(27)}
  r7 = *(s32 *)(r1 + 14)
  r8 = *(s32 *)(r1 + 18)
  r9 = *(s32 *)(r1 + 22)
  r3 = *(u8 *)(r1 + 26)
  if r3 == 1 goto meta_first
  r1 = r6
  r2 = r7
  call 44
  *(u64 *)(r10 - 8) = r0
  r1 = r6
  r2 = r8
  call 65
  *(u64 *)(r10 - 16) = r0
  r1 = r6
  r2 = r9
  call 54
  *(u64 *)(r10 - 24) = r0
  goto pack
meta_first:
  r1 = r6
  r2 = r9
  call 54
  *(u64 *)(r10 - 24) = r0
  r1 = r6
  r2 = r7
  call 44
  *(u64 *)(r10 - 8) = r0
  r1 = r6
  r2 = r8
  call 65
  *(u64 *)(r10 - 16) = r0
pack:
  r0 = *(u64 *)(r10 - 8)
  r0 &= 255
  r1 = *(u64 *)(r10 - 16)
  r1 &= 255
  r1 <<= 8
  r0 |= r1
  r1 = *(u64 *)(r10 - 24)
  r1 &= 255
  r1 <<= 16
  r0 |= r1
out:
  exit
`;

// Deltas around the limits: headroom 256 less the xdp_frame (40), the Ethernet minimum of 14, the page's tailroom.
const headDelta = fc.oneof(fc.integer({ min: -300, max: 300 }), fc.constantFrom(-256, -216, -217, -215, -40, 0, 14, -4, 4));
const tailDelta = fc.oneof(fc.integer({ min: -4000, max: 4000 }), fc.constantFrom(-1, 1, 0, -14, 3000, 3600, -100000));
const metaDelta = fc.oneof(fc.integer({ min: -300, max: 64 }), fc.constantFrom(-4, -8, -32, -36, -216, -220, -3, 0, 4));

const adjustment = fc.record({ head: headDelta, tail: tailDelta, meta: metaDelta, metaFirst: fc.boolean(), size: fc.oneof(fc.integer({ min: 27, max: 200 }), fc.integer({ min: 27, max: 3520 })) });

function adjustPacket(c: ValueOf<typeof adjustment>): TestPacket {
  const body = new Uint8Array(13);
  body.set(le(c.head, 4), 0);
  body.set(le(c.tail, 4), 4);
  body.set(le(c.meta, 4), 8);
  body[12] = c.metaFirst ? 1 : 0;
  const packet = frame(body, c.size);
  for (let i = 27; i < packet.length; i++) packet[i] = (i * 7) & 0xff;
  return { packet, label: `head ${c.head} tail ${c.tail} meta ${c.meta}${c.metaFirst ? " (meta first)" : ""}, ${c.size} bytes` };
}

describe.skipIf(!kernelAvailable)("XDP adjust helpers in the kernel and in the interpreter", () => {
  it("xdp_adjust_head, xdp_adjust_tail and xdp_adjust_meta limits and the frame they leave", async () => {
    await expectAgreementOnSequences(handObject("adjust", ADJUST, []), adjustment, adjustPacket, { maxPackets: 40, numRuns: 15 });
  });
});

// ---- csum_diff ----

// Packet after the Ethernet header: from_size at 14, to_size at 15 (each & 63), seed (u32) at 16, then 64 bytes
// copied to the stack as the `from` buffer and 64 as the `to` buffer. Returns the helper's result.
const CSUM_DIFF = `${packetHolds(148)}
  r6 = *(u8 *)(r1 + 14)
  r7 = *(u8 *)(r1 + 15)
  r8 = *(u32 *)(r1 + 16)
  r9 = 0
copy:
  r3 = r1
  r3 += r9
  r4 = *(u64 *)(r3 + 20)
  r3 = r10
  r3 += r9
  *(u64 *)(r3 - 128) = r4
  r9 += 8
  if r9 < 128 goto copy
  r6 &= 63
  r7 &= 63
  r1 = r10
  r1 += -128
  r2 = r6
  r3 = r10
  r3 += -64
  r4 = r7
  r5 = r8
  call 28
out:
  exit
`;

const csumDiffInput = fc.record({
  from: fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constantFrom(0, 4, 8, 20, 60)),
  to: fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constantFrom(0, 4, 8, 20, 60)),
  seed: fc.oneof(fc.nat({ max: 0xffff_ffff }), fc.constantFrom(0, 0xffff, 0xffff_ffff, 0x8000_0000)),
  data: fc.uint8Array({ minLength: 128, maxLength: 128 }),
});

function csumDiffPacket(c: ValueOf<typeof csumDiffInput>): TestPacket {
  const body = new Uint8Array(134);
  body[0] = c.from;
  body[1] = c.to;
  body.set(le(c.seed, 4), 2);
  body.set(c.data, 6);
  return { packet: frame(body), label: `from ${c.from} bytes, to ${c.to} bytes, seed 0x${c.seed.toString(16)}: ${hex(c.data.subarray(0, 8))}...` };
}

describe.skipIf(!kernelAvailable)("csum_diff in the kernel and in the interpreter", () => {
  it("agrees on sizes (multiples of 4 or not, zero on either side), seeds and data", async () => {
    await expectAgreementOnSequences(handObject("csum_diff", CSUM_DIFF, []), csumDiffInput, csumDiffPacket, { maxPackets: 60, numRuns: 10 });
  });
});

// ---- redirect_map and redirect ----

// Packet after the Ethernet header: which helper at 14 (0: redirect_map on the devmap, 1: on the devmap_hash,
// 2: redirect), key/ifindex (u32) at 16, flags (u64) at 20. Returns the helper's result.
const REDIRECT = `${packetHolds(28)}
  r6 = *(u8 *)(r1 + 14)
  r2 = *(u32 *)(r1 + 16)
  r3 = *(u64 *)(r1 + 20)
  if r6 == 1 goto hash
  if r6 == 2 goto plain
  ld_pseudo r1, 5, 0
  call 51
  goto out
hash:
  ld_pseudo r1, 5, 1
  call 51
  goto out
plain:
  r1 = r2
  r2 = r3
  call 23
out:
  exit
`;

const redirectCall = fc.record({
  which: fc.constantFrom(0, 1, 2),
  key: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom(0xffff_ffff, 1)),
  flags: fc.oneof(fc.bigInt({ min: 0n, max: 31n }), fc.constantFrom(0n, 1n, 2n, 3n, 8n, 16n, 24n, 32n, 1n << 40n)),
});

function redirectPacket(c: ValueOf<typeof redirectCall>): TestPacket {
  const body = new Uint8Array(14);
  body[0] = c.which;
  body.set(le(c.key, 4), 2);
  body.set(le(c.flags, 8), 6);
  const helper = ["redirect_map(devmap)", "redirect_map(devmap_hash)", "redirect"][c.which];
  return { packet: frame(body, 60), label: `${helper} key ${c.key} flags 0x${c.flags.toString(16)}` };
}

describe.skipIf(!kernelAvailable)("redirect_map and redirect in the kernel and in the interpreter", () => {
  it("returns XDP_REDIRECT for a filled slot, the flags' fallback action for an empty one, XDP_ABORTED for bad flags", async () => {
    const devmap: MapDef = { name: "ports", type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 };
    const devmapHash: MapDef = { name: "ports_hash", type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 8, flags: 0 };
    const object = handObject("redirect", REDIRECT, [devmap, devmapHash]);
    // Slots 1 and 3 (and hash keys 5 and 7) send to loopback, the one device of the fresh namespace.
    const maps: MapSource[] = [
      { map: "ports", json: { entries: [{ key: "01000000", value: "01000000" }, { key: "03000000", value: "01000000" }] }, source: "devmap slots" },
      { map: "ports_hash", json: { entries: [{ key: "05000000", value: "01000000" }, { key: "07000000", value: "01000000" }] }, source: "devmap_hash keys" },
    ];
    await expectAgreementOnSequences(object, redirectCall, redirectPacket, { maxPackets: 60, numRuns: 10, maps });
  });
});

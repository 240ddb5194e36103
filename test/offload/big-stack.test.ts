// Programs whose stack does not fit a thread's local memory (fixtures/xdp_big_stack.c,
// built by clang and accepted by the kernel's verifier): the compiler moves stack
// bytes to the thread's scratch window (hw-model address region 4) and the NIC
// must still agree with the interpreter, on one stage and on several, through a
// host exit that resumes with bytes from the window.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Preset } from "../../hw-model/presets/types.ts";
import { execParamsOf } from "../../hw-model/presets/derive.ts";
import { Op, Flag, carryScratch } from "../../hw-model/isa/opcode.ts";
import { X0 } from "../../hw-model/isa/register.ts";
import { mk } from "../../hw-model/isa/instruction.ts";
import { loadObject, type BpfProgram } from "../../src/elf/index.ts";
import { createMap, type SimMap } from "../../src/maps/index.ts";
import { insnCost } from "../../src/offload/cost.ts";
import { generate, legalStageStarts, planInternals, planOffload } from "../../src/offload/plan.ts";
import { assemble } from "../../src/ebpf/asm.ts";
import { factsFromVerifier } from "../../src/offload/verifier-facts.ts";
import { verify } from "../../src/verifier/index.ts";
import { compareOne, explainMismatch, preset as loadPreset, toHex } from "./corpus.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { MapType } from "../../src/maps/index.ts";
import { MAP_VALUE_BYTES, programArbitrary } from "../interp/compile-programs.ts";

const FIXTURE = "test/offload/fixtures/xdp_big_stack.o";
const object = loadObject(new Uint8Array(readFileSync(FIXTURE)), FIXTURE);
const nfp = loadPreset();
const lmPerThread = execParamsOf(nfp).localMemoryBytesPerThread;
const programNamed = (name: string): BpfProgram => object.programs.find((p) => p.name === name)!;

function factsOf(program: BpfProgram) {
  const verdict = verify(program.insns, object.maps, { license: object.license, logLevel: 0 });
  expect(verdict.accepted, `${program.name}: our verifier accepts what the kernel accepts`).toBe(true);
  return factsFromVerifier(verdict);
}

function planFor(program: BpfProgram, stages: number, preset: Preset = nfp) {
  const verifierFacts = factsOf(program);
  const plan = planOffload(program, object.maps, preset, { cores: Math.max(4, stages), stages, verifierFacts });
  return { plan, image: generate(plan, preset, verifierFacts) };
}

// The "seen" hash map, empty or holding a few keys the packets may hit.
function mapsWith(entries: readonly Uint8Array[]): SimMap[] {
  const maps = object.maps.map((d) => createMap(d));
  for (const key of entries) maps[0].sysUpdate(key, new Uint8Array(8), 0);
  return maps;
}

// struct key { u32 hash; u32 first; u64 tail; } with small fields, as the programs mask them.
const keyArb = fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 })).map(([hash, first, tail]) => {
  const k = new Uint8Array(16);
  const v = new DataView(k.buffer);
  v.setUint32(0, hash, true);
  v.setUint32(4, first, true);
  v.setUint32(8, tail, true);
  return k;
});
const packetArb = fc.uint8Array({ minLength: 14, maxLength: 200 });

describe("programs whose stack does not fit local memory", () => {
  for (const name of ["big_stack_const", "big_stack_loop"]) {
    it(`${name}: offloads without a stack blocker, with stack bytes in the scratch window`, () => {
      const { plan } = planFor(programNamed(name), 1);
      expect(plan.capability.blockers.filter((b) => b.rule === "stack")).toEqual([]);
      // The stack (over 450 bytes, see the C source) and the reserved slots exceed the thread's local memory.
      expect(plan.scratchBytes).toBeGreaterThan(0);
      expect(plan.localMemoryBytes).toBeLessThanOrEqual(lmPerThread);
      if (name === "big_stack_const") expect(plan.status).toBe("full");
      // The loop program's only blocker is bpf_ktime_get_ns, which the card does not offer.
      else expect(plan.capability.blockers.map((b) => b.rule)).toEqual(["helper"]);
    });

    for (const stages of [1, 2, 3]) {
      it(`${name}: the NIC agrees with the interpreter on generated packets and maps, ${stages} stage(s)`, () => {
        const program = programNamed(name);
        const { image, plan } = planFor(program, stages);
        expect(plan.stages.length).toBe(stages);
        fc.assert(
          fc.property(packetArb, fc.array(keyArb, { maxLength: 4 }), (packet, keys) => {
            const cmp = compareOne(program.insns, image, mapsWith(keys), packet);
            if (JSON.stringify(cmp.host) !== JSON.stringify(cmp.nic)) throw new Error(`host and NIC differ\n${explainMismatch(program.insns, image, packet, cmp)}`);
          }),
          { numRuns: 25 },
        );
      });
    }
  }

  for (const name of ["big_stack_const", "big_stack_loop"]) {
    it(`${name}: two stages split at each legal position carry the scratch bytes that are live across the cut`, () => {
      const program = programNamed(name);
      const verifierFacts = factsOf(program);
      const starts = legalStageStarts(program, object.maps, nfp, verifierFacts);
      expect(starts.length).toBeGreaterThan(0);
      const packets = [0, 1, 2, 3].map((n) => Uint8Array.from({ length: 70 + 9 * n }, (_, i) => (i * 29 + n * 71 + (i >> 3)) & 0xff));
      let carried = 0;
      for (const start of starts) {
        const plan = planOffload(program, object.maps, nfp, { cores: 2, stages: 2, split: [start], verifierFacts });
        const image = generate(plan, nfp, verifierFacts);
        if (image.stages[0].program.insns.some((i) => i.op === Op.HANDOVER && carryScratch(i.c) > 0)) carried++;
        for (const packet of packets) {
          const cmp = compareOne(program.insns, image, mapsWith([]), packet);
          if (JSON.stringify(cmp.host) !== JSON.stringify(cmp.nic)) throw new Error(`split at ${start}: host and NIC differ\n${explainMismatch(program.insns, image, packet, cmp)}`);
        }
      }
      // big_stack_loop keeps its whole buffer in the scratch window, live across most cuts; big_stack_const
      // moved only bytes that no cut finds live.
      if (name === "big_stack_loop") expect(carried).toBeGreaterThan(starts.length / 2);
    });
  }

  it("big_stack_loop: a packet that reaches bpf_ktime_get_ns resumes on the host with the buffer the NIC kept in the scratch window", () => {
    const program = programNamed("big_stack_loop");
    const { image } = planFor(program, 2);
    // First byte & 3 == 0 takes the helper (C source); the verdict then reads the buffer again.
    for (const first of [0, 4, 8, 0xfc]) {
      const packet = Uint8Array.from({ length: 96 }, (_, i) => (i === 0 ? first : (i * 37) & 0xff));
      const cmp = compareOne(program.insns, image, mapsWith([]), packet);
      expect(cmp.nicRun.hostExit, toHex(packet)).toBeDefined();
      expect(cmp.nic).toEqual(cmp.host);
    }
  });

  it("the card's eBPF stack limit still blocks: with offload.stackBytes = 256 big_stack_const stays on the host", () => {
    const small: Preset = { ...nfp, offload: { ...nfp.offload, stackBytes: 256 } };
    const { plan } = planFor(programNamed("big_stack_const"), 1, small);
    expect(plan.capability.blockers.map((b) => b.rule)).toContain("stack");
  });
});

describe("generated programs on a card with little local memory", () => {
  // 48 bytes per thread: 16 reserved, the rest for frames and spills, so most programs that use
  // the stack split it (every access kind, helper keys, variable offsets, calls, host exits).
  const tight: Preset = { ...nfp, core: { ...nfp.core, localMemoryBytes: 48 * nfp.topology.threadsPerCore } };
  const freshMaps = (): SimMap[] => [
    createMap({ name: "array", type: MapType.ARRAY, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 4, flags: 0 }),
    createMap({ name: "hash", type: MapType.HASH, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 3, flags: 0 }),
  ];

  it("agree with the interpreter on 1 to 3 stages, and many keep stack bytes in the scratch window", () => {
    let split = 0;
    fc.assert(
      fc.property(programArbitrary("xdp", { definedAfterCalls: true }), fc.array(packetArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), (generated, packets, stages) => {
        const program = generated.main;
        const maps = freshMaps();
        const plan = planOffload(program, maps.map((m) => m.def), tight, { cores: 4, stages });
        const image = generate(plan, tight);
        if (plan.scratchBytes > 0) split++;
        for (const packet of packets) {
          const cmp = compareOne(program, image, maps, packet, { programs: new Map<number, Program>([[1, program]]) });
          if (JSON.stringify(cmp.host) !== JSON.stringify(cmp.nic)) throw new Error(`host and NIC differ\n${explainMismatch(program, image, packet, cmp)}`);
        }
      }),
      { numRuns: 150 },
    );
    // The property is about split stacks: make sure the generator produced them.
    expect(split).toBeGreaterThan(20);
  });
});

describe("a frame reached through a variable offset", () => {
  // main fills 64 bytes at constant offsets; sub writes its own 64-byte frame at a variable offset
  // (the packet's first byte) and reads it back at constant ones, more often than main reads its bytes.
  const program = assemble(`
  r6 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r6
  r4 += 8
  r0 = 2
  if r4 > r3 goto out
  r8 = *(u64 *)(r6 + 0)
  *(u64 *)(r10 - 8) = r8
  r8 += 1
  *(u64 *)(r10 - 16) = r8
  r8 += 1
  *(u64 *)(r10 - 24) = r8
  r8 += 1
  *(u64 *)(r10 - 32) = r8
  r8 += 1
  *(u64 *)(r10 - 40) = r8
  r8 += 1
  *(u64 *)(r10 - 48) = r8
  r8 += 1
  *(u64 *)(r10 - 56) = r8
  r8 += 1
  *(u64 *)(r10 - 64) = r8
  r1 = *(u8 *)(r6 + 0)
  r2 = *(u8 *)(r6 + 1)
  call sub
  r1 = *(u64 *)(r10 - 8)
  r0 ^= r1
  r1 = *(u64 *)(r10 - 16)
  r0 ^= r1
  r1 = *(u64 *)(r10 - 24)
  r0 ^= r1
  r1 = *(u64 *)(r10 - 32)
  r0 ^= r1
  r1 = *(u64 *)(r10 - 40)
  r0 ^= r1
  r1 = *(u64 *)(r10 - 48)
  r0 ^= r1
  r1 = *(u64 *)(r10 - 56)
  r0 ^= r1
  r1 = *(u64 *)(r10 - 64)
  r0 ^= r1
  r0 &= 3
out:
  exit
sub:
  r1 &= 7
  r1 <<= 3
  r3 = r10
  r3 += -64
  r3 += r1
  *(u64 *)(r3 + 0) = r2
  r0 = 0
  r4 = *(u64 *)(r10 - 8)
  r0 += r4
  r4 = *(u64 *)(r10 - 16)
  r0 += r4
  r4 = *(u64 *)(r10 - 24)
  r0 += r4
  r4 = *(u64 *)(r10 - 32)
  r0 += r4
  r4 = *(u64 *)(r10 - 40)
  r0 += r4
  r4 = *(u64 *)(r10 - 48)
  r0 += r4
  r4 = *(u64 *)(r10 - 56)
  r0 += r4
  r4 = *(u64 *)(r10 - 64)
  r0 += r4
  r4 = *(u64 *)(r10 - 8)
  r0 ^= r4
  r4 = *(u64 *)(r10 - 64)
  r0 ^= r4
  r4 = *(u64 *)(r10 - 32)
  r0 ^= r4
  exit
`);

  it("stays whole in local memory, shifted below its place in the layout, when its caller's bytes move out", () => {
    // 96 bytes per thread: 16 reserved + 64 (sub) leave 16 for main's 64, so 48 of main's move.
    const tight: Preset = { ...nfp, core: { ...nfp.core, localMemoryBytes: 96 * nfp.topology.threadsPerCore } };
    const plan = planOffload(program, [], tight, { cores: 1 });
    const { fe, lowered } = planInternals(plan)!;
    expect(lowered.homes.frames[0].scratchBytes).toBe(48);
    expect(lowered.homes.frames[1]).toMatchObject({ scratchBytes: 0, lmBase: 32 });
    expect(fe.layout.base[1]).toBe(80);
    const image = generate(plan, tight);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 40 }), (packet) => {
        const cmp = compareOne(program, image, [], packet);
        if (JSON.stringify(cmp.host) !== JSON.stringify(cmp.nic)) throw new Error(`host and NIC differ\n${explainMismatch(program, image, packet, cmp)}`);
      }),
      { numRuns: 60 },
    );
  });
});

describe("cost of stack bytes in the scratch window", () => {
  const ctx = { preset: nfp, maps: [], unitOfMap: () => "emem" as const };

  it("an 8-byte scratch read costs the CLS latency and a context swap; a local-memory read one issue cycle", () => {
    const scratchRead = { ...mk(Op.MEM_RD, { d: X0, a: 0, c: 8, x: 0, flags: Flag.LE | Flag.SWAP }), memTarget: { kind: "scratch" as const } };
    const lmRead = mk(Op.LM_LD, { d: 0, n: 0, imm: 0, c: 4 });
    // nfp-4000: issue 1 + swap 2; CLS latency 30 + 8 bytes / 8 bytes per cycle.
    expect(insnCost(ctx, scratchRead)).toEqual({ issueCycles: 1 + 2, waitCycles: 30 + 1 });
    expect(insnCost(ctx, lmRead)).toEqual({ issueCycles: 1, waitCycles: 0 });
  });

  it("big_stack_const costs more per packet with stack bytes in scratch than on a card whose local memory holds them", () => {
    const roomy: Preset = { ...nfp, core: { ...nfp.core, localMemoryBytes: 2 * nfp.core.localMemoryBytes } };
    const split = planFor(programNamed("big_stack_const"), 1).plan;
    const inLm = planFor(programNamed("big_stack_const"), 1, roomy).plan;
    expect(inLm.scratchBytes).toBe(0);
    expect(split.scratchBytes).toBeGreaterThan(0);
    // The moved bytes' accesses now wait on the CLS (on the paths that touch them); nothing else changed.
    expect(split.stages[0].waitCyclesPerPacket).toBeGreaterThan(inLm.stages[0].waitCyclesPerPacket);
    expect(split.stages[0].issueCyclesPerPacket).toBeGreaterThan(inLm.stages[0].issueCyclesPerPacket);
  });
});

// Generated programs (program-generator.ts) through the kernel and through
// our interpreter: the kernel verifier must accept each one, and r0 and
// everything the program wrote (registers, its stack area, the map value,
// all stored into the map value by the epilogue) must be the kernel's. One
// kernel session and one map serve every program; each program is loaded,
// run once and released, which keeps a thousand of them to a few seconds.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listing } from "../../src/ebpf/index.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { KernelSession, type KernelMap } from "../../src/kernel/index.ts";
import { createMap, MapType, type MapDef, type SimMap } from "../../src/maps/index.ts";
import { runXdp } from "../../src/xdp/index.ts";
import { kernelAvailable } from "../kernel/kernel-gate.ts";
import {
  ALU_NAMES,
  ATOMIC_NAMES,
  COND_NAMES,
  MAP_VALUE_BYTES,
  generatedProgram,
  initialMapValue,
  instructionKinds,
  render,
  type GeneratedProgram,
} from "./program-generator.ts";

const PROGRAMS_PER_RUN = Number(process.env.OFFLOAD_SIM_GENERATED_PROGRAMS ?? 1200);
const MEMORY_DEF: MapDef = { name: "mem", type: MapType.ARRAY, keySize: 4, valueSize: MAP_VALUE_BYTES, maxEntries: 1, flags: 0 };
const KEY0 = new Uint8Array(4);
// A minimum-size frame: the programs do not read the packet, the kernel wants at least 14 bytes.
const PACKET = Uint8Array.from({ length: 64 }, (_, i) => i);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// The 8-byte words where two map values differ, named by what the epilogue put there.
function describeDifference(kernel: Uint8Array, ours: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < kernel.length; at += 8) {
    const k = hex(kernel.subarray(at, at + 8));
    const s = hex(ours.subarray(at, at + 8));
    if (k === s) continue;
    const where = at < 256 ? `map area +${at}` : at < 256 + 72 ? `r${(at - 256) / 8}` : `stack r10-${272 - (at - 328)}`;
    lines.push(`  ${where.padEnd(16)} kernel ${k}  interpreter ${s}`);
  }
  return lines.join("\n");
}

function counterexample(program: Program, why: string): string {
  return `${why}\nprogram:\n${listing(program)}packet: ${hex(PACKET)}`;
}

describe.skipIf(!kernelAvailable)("generated programs in the kernel and in the interpreter", () => {
  let k: KernelSession;
  let kernelMap: KernelMap;
  const seen = new Set<string>();
  let programs = 0;

  beforeAll(() => {
    k = KernelSession.open();
    kernelMap = k.createMap(MEMORY_DEF);
  });
  afterAll(() => k?.close());

  // One program: load, run on both sides from the same map value, compare.
  function check(generated: GeneratedProgram): void {
    const { insns } = render(generated);
    const start = initialMapValue(generated);
    const verdict = k.tryLoadProgram({ program: insns, mapFds: [kernelMap.fd], name: "gen", logLevel: 0 });
    if (!verdict.accepted) throw new Error(counterexample(insns, `the kernel rejects a generated program: ${verdict.error.message}\n${verdict.error.verifierLog ?? ""}`));
    try {
      k.update(kernelMap, KEY0, start);
      const kernelRun = k.testRunXdp(verdict.program, { packet: PACKET });
      const kernelValue = k.lookup(kernelMap, KEY0)!;
      const sim: SimMap = createMap(MEMORY_DEF);
      sim.sysUpdate(KEY0, start, 0, 0);
      const ours = runXdp(insns, PACKET, [sim]);
      const oursValue = sim.sysLookup(KEY0) as Uint8Array;
      const problems = [
        ours.fault ? `the interpreter faults: ${ours.fault.message}` : "",
        ours.action !== kernelRun.retval ? `r0 (u32): kernel ${kernelRun.retval}, interpreter ${ours.action}` : "",
        hex(kernelValue) !== hex(oursValue) ? `memory differs:\n${describeDifference(kernelValue, oursValue)}` : "",
        hex(kernelRun.packet) !== hex(ours.packetOut) ? "the packets differ" : "",
      ].filter((p) => p !== "");
      if (problems.length > 0) throw new Error(counterexample(insns, problems.join("\n")));
      programs++;
      for (const kind of instructionKinds(generated.body)) seen.add(kind);
      for (const sub of generated.subs) for (const kind of instructionKinds(sub)) seen.add(kind);
    } finally {
      k.release(verdict.program);
    }
  }

  it(`agree on r0 and memory for ${PROGRAMS_PER_RUN} programs the kernel accepts`, () => {
    fc.assert(fc.property(generatedProgram, check), { numRuns: PROGRAMS_PER_RUN });
    expect(programs).toBeGreaterThanOrEqual(1000);
  }, 300_000);

  it("covered every ALU and JMP operation in 32 and 64 bits, MEMSX loads, byte swaps, atomics and calls", () => {
    const wanted = [
      ...[32, 64].flatMap((w) => ALU_NAMES.flatMap((op) => [`alu${w}:${op}:k`, `alu${w}:${op}:x`])),
      "alu32:neg", "alu64:neg", "alu64:movsx8", "alu64:movsx16", "alu64:movsx32", "alu32:movsx8", "alu32:movsx16",
      ...["le", "be", "bswap"].flatMap((o) => [16, 32, 64].map((b) => `endian:${o}${b}`)),
      ...[32, 64].flatMap((w) => COND_NAMES.flatMap((op) => [`jmp${w}:${op}:k`, `jmp${w}:${op}:x`])),
      "ja", "gotol", "call:local", "lddw",
      ...["stack", "map"].flatMap((b) => ["sb", "sh", "sw", "ub", "uh", "uw", "udw"].map((s) => `load:${b}:${s}`)),
      ...["stack", "map"].flatMap((b) => ATOMIC_NAMES.flatMap((op) => [`atomic:${b}:${op}32`, `atomic:${b}:${op}64`])),
    ];
    expect(programs, "the agreement test ran first").toBeGreaterThanOrEqual(1000);
    expect(wanted.filter((kind) => !seen.has(kind))).toEqual([]);
  });
});

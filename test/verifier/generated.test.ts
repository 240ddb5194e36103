// Generated programs (test/verifier/program-gen.ts: real-program-like blocks,
// some mutated the way bugs break programs) checked two ways:
//  1. against the running kernel: we must never accept what it rejects, and
//     may reject what it accepts for under 2% of programs;
//  2. against the host interpreter: a program we accept never faults, on
//     arbitrary packets and map contents, and every live register's value at
//     every step lies in the scalar range the verifier's facts give for that
//     instruction (facts join the explored states; pruning must not leave a
//     path's values out of them).
// Counterexamples print as disassembly (and packet hex).
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { disassemble } from "../../src/ebpf/disasm.ts";
import type { Program } from "../../src/ebpf/instruction.ts";
import { withKernel } from "../../src/kernel/index.ts";
import { createMap } from "../../src/maps/index.ts";
import { kernelVerdict } from "../../src/verifier/kernel-verdict.ts";
import { verify } from "../../src/verifier/index.ts";
import { runXdp } from "../../src/xdp/index.ts";
import type { RegFact } from "../../src/verifier/index.ts";
import { Confusion } from "./confusion.ts";
import { kernelAvailable } from "./kernel-gate.ts";
import { GEN_MAPS, type GeneratedProgram, generatedProgram } from "./program-gen.ts";

// CI runs at least 5,000 programs against the kernel; VERIFIER_GEN_RUNS overrides (e.g. for a quick local run).
const KERNEL_RUNS = Number(process.env.VERIFIER_GEN_RUNS ?? 5000);
const SOUNDNESS_RUNS = Number(process.env.VERIFIER_SOUNDNESS_RUNS ?? 3000);
const FACT_RUNS = Number(process.env.VERIFIER_FACT_RUNS ?? 1000);
const MAX_ONLY_OURS_REJECTS = 0.02;
// kernel/bpf/verifier.c verifier_bug(): an internal inconsistency of the kernel, e.g. "No program to jit"
// after it inlined a bpf_loop callback in a program with several subprograms (seen on Linux 6.18).
const KERNEL_BUG_PREFIX = "verifier bug:";
// The interpreter's step budget per packet: far above what a generated program's bounded loops need.
const INTERPRETER_STEPS = 200_000;

// Loaded as libbpf loads clang objects: with BTF func info naming each function.
const quietOptions = { collectFacts: false, logLevel: 0, btfFuncInfo: true } as const;
// The interpreter has no bpf_loop yet (src/helpers implements no callback helpers).
const BPF_LOOP = 181;
const callsBpfLoop = (program: Program): boolean => program.some((slot) => slot.opcode === 0x85 && slot.src === 0 && slot.imm === BPF_LOOP);
const show = (program: Program): string => disassemble(program).trimEnd().split("\n").map((line, pc) => `  ${String(pc).padStart(3)}: ${line}`).join("\n");

describe.skipIf(!kernelAvailable)("generated programs against the kernel", () => {
  const confusion = new Confusion();
  const onlyOurs = new Map<string, number>();
  // Rejections the kernel reports as its own bug ("verifier bug: ..."), not as a property of the program.
  const kernelBugs: string[] = [];
  afterAll(() => {
    console.log(confusion.render("generated programs: ours vs kernel"));
    if (kernelBugs.length > 0) console.log(`kernel verifier bugs (not counted): ${kernelBugs.length}, e.g. '${kernelBugs[0]}'`);
    if (onlyOurs.size > 0) console.log(`only ours rejects, by our message: ${JSON.stringify([...onlyOurs.entries()].sort((a, b) => b[1] - a[1]))}`);
  });

  it(`never accepts what the kernel rejects (${KERNEL_RUNS} programs)`, async () => {
    await withKernel((k) => {
      const mapFds = GEN_MAPS.map((def) => k.createMap(def).fd);
      fc.assert(
        fc.property(generatedProgram, (g: GeneratedProgram) => {
          const ours = verify(g.program, GEN_MAPS, quietOptions);
          const functions = ours.functions.map((f, i) => ({ name: `f${i}`, startPc: f.startPc }));
          const kernel = kernelVerdict(k, g.program, GEN_MAPS, { mapFds, functions });
          if (!kernel.accepted && kernel.message.startsWith(KERNEL_BUG_PREFIX)) {
            kernelBugs.push(kernel.message);
            return;
          }
          confusion.add(ours.accepted, kernel.accepted);
          if (!ours.accepted && kernel.accepted) {
            const key = ours.error!.message.replace(/-?\d+/g, "N");
            onlyOurs.set(key, (onlyOurs.get(key) ?? 0) + 1);
          }
          if (ours.accepted && !kernel.accepted) {
            throw new Error(`we accept a program the kernel rejects with '${kernel.message}' (${JSON.stringify(g.mutation)}):\n${show(g.program)}`);
          }
        }),
        { numRuns: KERNEL_RUNS, seed: Number(process.env.VERIFIER_GEN_SEED ?? 20261125) },
      );
    });
    expect(confusion.onlyKernelRejects).toBe(0);
  });

  it("rejects under 2% of the programs the kernel accepts", () => {
    expect(confusion.total).toBeGreaterThan(0);
    expect(confusion.onlyOursRejects / confusion.total).toBeLessThan(MAX_ONLY_OURS_REJECTS);
    // Enough of both verdicts for the comparison to mean something.
    expect(confusion.bothAccept).toBeGreaterThan(confusion.total / 5);
    expect(confusion.bothReject).toBeGreaterThan(confusion.total / 5);
  });
});

// Random contents for the hash and array maps: key index 0..7 and 32 value bytes (cut to each value size).
const mapContents = fc.array(fc.tuple(fc.nat(7), fc.uint8Array({ minLength: 32, maxLength: 32 })), { maxLength: 6 });
const packets = fc.array(fc.uint8Array({ minLength: 0, maxLength: 96 }), { minLength: 1, maxLength: 3 });

function freshMaps(contents: readonly (readonly [number, Uint8Array])[]) {
  const maps = GEN_MAPS.map((def) => createMap(def));
  for (const [index, value] of contents) {
    const key = new Uint8Array(4);
    key[0] = index;
    maps[0].update(key, value.slice(0, GEN_MAPS[0].valueSize), 0, 0);
    if (index < GEN_MAPS[1].maxEntries) maps[1].update(key, value.slice(0, GEN_MAPS[1].valueSize), 0, 0);
  }
  return maps;
}

describe("soundness: programs we accept never fault in the interpreter", () => {
  it("the interpreter does fault on a program we reject (the property can fail)", () => {
    // r2 = data; r0 = *(u8 *)(r2 + 0); exit, with no check against data_end, on an empty packet.
    const unchecked: Program = [
      { opcode: 0x61, dst: 2, src: 1, off: 0, imm: 0 },
      { opcode: 0x71, dst: 0, src: 2, off: 0, imm: 0 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    expect(verify(unchecked, []).accepted).toBe(false);
    expect(runXdp(unchecked, new Uint8Array(0)).fault?.kind).toBe("memory");
  });

  it(`runs ${SOUNDNESS_RUNS} generated programs on arbitrary packets and map contents`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(generatedProgram, packets, mapContents, (g, inputs, contents) => {
        if (callsBpfLoop(g.program) || !verify(g.program, GEN_MAPS, quietOptions).accepted) return;
        accepted++;
        for (const packet of inputs) {
          const result = runXdp(g.program, packet, freshMaps(contents), { maxSteps: INTERPRETER_STEPS });
          if (result.fault !== undefined) {
            throw new Error(`accepted program faulted: ${result.fault.message}\n${show(g.program)}\npacket (${packet.length} bytes): ${Buffer.from(packet).toString("hex")}`);
          }
        }
      }),
      { numRuns: SOUNDNESS_RUNS, seed: Number(process.env.VERIFIER_GEN_SEED ?? 20261125) + 1 },
    );
    expect(accepted).toBeGreaterThan(SOUNDNESS_RUNS / 5);
  });

  it(`runs ${FACT_RUNS} generated programs and finds every live scalar inside the verifier's facts at every step`, () => {
    let checkedSteps = 0;
    fc.assert(
      fc.property(generatedProgram, packets, mapContents, (g, inputs, contents) => {
        if (callsBpfLoop(g.program)) return;
        const verdict = verify(g.program, GEN_MAPS, { ...quietOptions, collectFacts: true });
        if (!verdict.accepted) return;
        const byPc = new Map(verdict.insns.map((i) => [i.pc, i]));
        for (const packet of inputs) {
          runXdp(g.program, packet, freshMaps(contents), {
            maxSteps: INTERPRETER_STEPS,
            onStep: (step) => {
              const fact = byPc.get(step.pc);
              if (fact === undefined) return;
              for (const r of fact.liveRegs) {
                const problem = outsideFact(fact.regs[r], step.regs[r]);
                if (problem !== undefined) {
                  throw new Error(`at pc ${step.pc} r${r} = ${step.regs[r]} but the facts say ${problem}\n${show(g.program)}\npacket (${packet.length} bytes): ${Buffer.from(packet).toString("hex")}`);
                }
                checkedSteps++;
              }
            },
          });
        }
      }),
      { numRuns: FACT_RUNS, seed: Number(process.env.VERIFIER_GEN_SEED ?? 20261125) + 2 },
    );
    expect(checkedSteps).toBeGreaterThan(FACT_RUNS);
  });

  it("the fact check can fail: a value outside a scalar's range is reported", () => {
    const fact: RegFact = { kind: "scalar", range: { umin: 1n, umax: 7n, smin: 1n, smax: 7n, bitsValue: 0n, bitsMask: 7n } };
    expect(outsideFact(fact, 3n)).toBeUndefined();
    expect(outsideFact(fact, 9n)).toBeDefined();
    expect(outsideFact({ ...fact, range: { ...fact.range, bitsValue: 1n, bitsMask: 6n } }, 2n)).toBeDefined();
  });
});

// Why a concrete 64-bit register value is not in a scalar fact (unsigned and signed range, known bits).
function outsideFact(fact: RegFact, value: bigint): string | undefined {
  if (fact.kind !== "scalar") return undefined;
  const r = fact.range;
  const signed = BigInt.asIntN(64, value);
  const fits = value >= r.umin && value <= r.umax && signed >= r.smin && signed <= r.smax && (value & ~r.bitsMask & 0xffffffffffffffffn) === r.bitsValue;
  return fits ? undefined : `u64 [${r.umin}, ${r.umax}], s64 [${r.smin}, ${r.smax}], bits ${r.bitsValue.toString(16)}/${r.bitsMask.toString(16)}`;
}
